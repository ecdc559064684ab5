"""Annual re-grading against moto, through the API and the queue exactly as the template wires them: a mixed
population gets the right counts, certificates and report; a what-if writes no grade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from grading import dal
from grading.audit import next_entry, verify_chain
from grading.credit_code import check_character
from grading.store import keys, queue
from local.host import FunctionHost
from local.pollers import EventPollers
from local.template import Stack
from tests.integration.conftest import ADMIN, REVIEWER, Api


def code(n: int) -> str:
    body = f"9135010000{n:07d}"
    return body + check_character(body)


def seed_provider(
    n: int, grade: int, evaluation: str, year_results: dict[str, tuple[str, str]], status: str = "active"
) -> str:
    """A certified provider as the lifecycle leaves it: record, certificate, audit entry."""
    cc = code(n)
    at = "2026-01-10T00:00:00.000Z"
    number = f"SG-2026-{cc}-01"
    provider = {
        "credit_code": cc,
        "name": f"服务商{n}",
        "category": "it_services",
        "status": status,
        "grade": grade,
        "evaluation_total": evaluation,
        "certificate": {"number": number, "valid_until": "2027-01-10"},
        "certificate_seq": 1,
        "assessment_results": {p: r for p, (r, _) in year_results.items()},
        "assessment_scores": {p: s for p, (_, s) in year_results.items()},
        "created_at": at,
        "updated_at": at,
    }
    certificate = {
        "number": number,
        "credit_code": cc,
        "provider_name": provider["name"],
        "category": "it_services",
        "grade": grade,
        "scheme_version": "v1",
        "issued_on": "2026-01-10",
        "valid_until": "2027-01-10",
        "status": "valid" if status != "eliminated" else "revoked",
    }
    audit = next_entry(prev_seq=0, prev_hash=None, at=at, actor="seed", action="seeded", credit_code=cc, data={})
    dal.commit(
        dal.Change(
            cc,
            provider,
            0,
            audit,
            extra=[
                dal.tx_put(
                    dal.certificate_key(number),
                    "certificate",
                    certificate,
                    name="c",
                    new=True,
                    indexes=dal.certificate_indexes(certificate),
                )
            ],
        )
    )
    return cc


@pytest.fixture
def population() -> dict[str, str]:
    return {
        "capped_up": seed_provider(1, 3, "95", {"2026-Q1": ("excellent", "95"), "2026-Q2": ("excellent", "92")}),
        "kept": seed_provider(2, 2, "85", {"2026-Q1": ("pass", "82"), "2026-Q2": ("excellent", "91")}),
        "capped_down": seed_provider(3, 1, "91", {"2026-Q1": ("fail", "40"), "2026-Q2": ("pass", "61")}),
        "no_data": seed_provider(4, 2, "88", {"2025-Q4": ("pass", "80")}),
        "eliminated": seed_provider(5, 2, "88", {"2026-Q1": ("fail", "30")}, status="eliminated"),
        "no_excellent": seed_provider(6, 3, "88", {"2026-Q1": ("pass", "85"), "2026-Q2": ("pass", "80")}),
    }


def dying_at(call: int, writes: list[int]) -> Callable[..., None]:
    """dal.write that notes each transaction's size and, on the `call`-th, dies like a worker out of time."""
    real_write = dal.write

    def write(*items: dict[str, Any]) -> None:
        writes.append(len(items))
        if len(writes) == call:
            raise TimeoutError("the worker's time ran out")
        real_write(*items)

    return write


def run_to_end(api: Api, stack: Stack, host: FunctionHost, path: str, body: dict[str, Any]) -> dict[str, Any]:
    pollers = EventPollers(stack, host)
    pollers.start()
    try:
        started = api.call("POST", path, body, who=ADMIN)
        assert started.status == 202, started.body
        pollers.drain(timeout=60)
    finally:
        pollers.stop()
    return dict(api.call("GET", f"/v1/regradings/{started.body['run_id']}", who=ADMIN).body)


def test_mixed_population(api: Api, stack: Stack, host: FunctionHost, population: dict[str, str]) -> None:
    run = run_to_end(api, stack, host, "/v1/regradings", {"year": 2026})
    assert run["status"] == "completed" and run["done"] == run["total"] == 5
    assert run["counts"] == {"up": 1, "down": 1, "kept": 2, "no_data": 1, "failed": 0}
    grades = {k: dal.get_provider(cc)["grade"] for k, cc in population.items()}  # type: ignore[index]
    assert grades == {"capped_up": 2, "kept": 2, "capped_down": 2, "no_data": 2, "eliminated": 2, "no_excellent": 3}
    # A changed grade gets a new certificate, the old one superseded; a kept one is renewed.
    up = dal.get_provider(population["capped_up"])
    assert up is not None and up["certificate"]["number"].endswith("-02")
    assert dal.get_item(dal.certificate_key(f"SG-2026-{population['capped_up']}-01"))["status"] == "superseded"  # type: ignore[index]
    kept = dal.get_item(dal.certificate_key(f"SG-2026-{population['kept']}-01"))
    assert kept and kept["status"] == "valid" and kept["valid_until"] > "2027-01-10"
    report = requests.get(run["report_url"], timeout=10).json()
    rows = {r["credit_code"]: r for r in report["rows"]}
    assert rows[population["capped_up"]]["why"].count("moved at most 1") == 1
    assert "upgrade needs 1 excellent" in rows[population["no_excellent"]]["why"]
    assert population["eliminated"] not in rows
    csv_text = requests.get(run["report_csv_url"], timeout=10).content.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("credit_code,provider_name")
    notice = api.call("GET", f"/v1/notices/{run['notice_ids'][0]}").body
    assert notice["kind"] == "regrading" and len(notice["entries"]) == 2
    for cc in population.values():
        provider = dal.get_provider(cc)
        assert provider is not None and verify_chain(dal.audit_entries(cc), provider["audit_head"]) == []


def test_one_run_per_year_and_admins_only(api: Api, population: dict[str, str]) -> None:
    first = api.call("POST", "/v1/regradings", {"year": 2026}, who=ADMIN)
    assert first.status == 202
    second = api.call("POST", "/v1/regradings", {"year": 2026}, who=ADMIN)
    assert second.status == 409 and second.body["error"]["code"] == "REGRADING_RUNNING"
    assert api.call("POST", "/v1/regradings", {"year": 2026}, who=REVIEWER).status == 403
    assert api.call("POST", "/v1/regradings", {"year": 2999}, who=ADMIN).status == 422
    assert api.call("GET", "/v1/regradings/NOPE", who=ADMIN).status == 404


def test_what_if_reports_without_writing(
    api: Api, stack: Stack, host: FunctionHost, population: dict[str, str]
) -> None:
    draft = {"version": "draft-2027", "evaluation_weight": 30, "assessment_weight": 70, "upgrade_needs_excellent": 0}
    run = run_to_end(api, stack, host, "/v1/regradings/what-if", {"year": 2026, "config": draft})
    assert run["status"] == "completed" and run["dry_run"] is True and run["notice_ids"] == []
    assert sum(run["counts"].values()) == 5
    assert dal.get_provider(population["no_excellent"])["grade"] == 3  # type: ignore[index]
    # 30/70 and no excellent period needed: capped_up 93.95 and no_excellent 84.15 go up, capped_down 62.65 down,
    # kept 86.05 stays in band 2, no_data has no 2026 assessment (eliminated is not in the run)
    assert run["counts"] == {"up": 2, "down": 1, "kept": 1, "no_data": 1, "failed": 0}
    report = requests.get(run["report_url"], timeout=10).json()
    assert report["dry_run"] is True and report["config"]["version"] == "draft-2027"


def test_a_redelivered_page_changes_nothing_twice(
    stack: Stack, population: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from grading import regrading
    from grading.identity import Caller, Role

    monkeypatch.setenv("REGRADING_QUEUE_URL", stack.functions["RegradingFunction"].env["REGRADING_QUEUE_URL"])
    admin = Caller("a", frozenset({Role.ADMIN}))
    run_id = regrading.start(admin, 2026, datetime.now(UTC))
    shard = dal.certified_shard(population["capped_up"])
    on_page = [cc for cc in population.values() if dal.certified_shard(cc) == shard and cc != population["eliminated"]]
    regrading.process_page(run_id, shard, None)
    seq = dal.get_provider(population["capped_up"])["audit_seq"]  # type: ignore[index]
    before = regrading.status(admin, run_id)
    regrading.process_page(run_id, shard, None)  # the queue delivers it again
    assert dal.get_provider(population["capped_up"])["audit_seq"] == seq  # type: ignore[index]
    assert dal.get_provider(population["capped_up"])["grade"] == 2  # type: ignore[index]
    after = regrading.status(admin, run_id)
    assert after["done"] == before["done"] == after["total"] == len(on_page)
    assert after["counts"] == before["counts"]


def test_a_provider_changed_after_its_page_was_read_is_regraded_from_its_new_record(
    stack: Stack, population: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page comes from an eventually consistent index: a record that moved on since is caught by the audit
    sequence condition and re-graded from a consistent read, its chain intact."""
    from grading import regrading
    from grading.identity import Caller, Role

    monkeypatch.setenv("REGRADING_QUEUE_URL", stack.functions["RegradingFunction"].env["REGRADING_QUEUE_URL"])
    cc = population["kept"]
    stale = dal.get_provider(cc)
    real_page = dal.certified_page

    def page_then_change(shard: int, limit: int, token: str | None) -> tuple[list[dict[str, Any]], str | None]:
        items, next_token = real_page(shard, limit, token)
        if any(i["credit_code"] == cc for i in items):  # somebody records an assessment right after the read
            provider = dal.get_provider(cc)
            assert provider is not None
            audit = next_entry(
                prev_seq=provider["audit_seq"],
                prev_hash=provider["audit_head"],
                at="2026-11-01T00:00:00.000Z",
                actor="assessor",
                action="assessment.recorded",
                credit_code=cc,
                data={},
            )
            scores = {**provider["assessment_scores"], "2026-Q3": "99"}
            results = {**provider["assessment_results"], "2026-Q3": "excellent"}
            changed = {**provider, "assessment_scores": scores, "assessment_results": results}
            dal.commit(dal.Change(cc, changed, provider["audit_seq"], audit))
        return items, next_token

    monkeypatch.setattr(dal, "certified_page", page_then_change)
    admin = Caller("a", frozenset({Role.ADMIN}))
    run_id = regrading.start(admin, 2026, datetime.now(UTC))
    regrading.process_page(run_id, dal.certified_shard(cc), None)
    provider = dal.get_provider(cc)
    assert stale is not None and provider is not None
    assert provider["audit_seq"] == stale["audit_seq"] + 2  # the assessment, then the re-grade
    assert verify_chain(dal.audit_entries(cc), provider["audit_head"]) == []
    result = dal.get_item(keys.result_key(run_id, cc))
    assert result is not None and result["assessments"] == 3  # the new period counted


def test_a_page_interrupted_between_transactions_resumes_without_doing_anything_twice(
    stack: Stack, population: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Transactions of at most 6 items: the page takes several, and the worker dies after the first; the queue
    delivers the page again and the run ends as an uninterrupted one would."""
    from grading import regrading
    from grading.identity import Caller, Role

    monkeypatch.setenv("REGRADING_QUEUE_URL", stack.functions["RegradingFunction"].env["REGRADING_QUEUE_URL"])
    monkeypatch.setattr(regrading, "TX_ITEMS", 7)
    admin = Caller("a", frozenset({Role.ADMIN}))
    run_id = regrading.start(admin, 2026, datetime.now(UTC))
    writes: list[int] = []

    everyone = [cc for name, cc in population.items() if name != "eliminated"]
    monkeypatch.setattr(
        dal, "certified_page", lambda shard, limit, token: ([dal.get_provider(cc) for cc in everyone], None)
    )
    monkeypatch.setattr(dal, "write", dying_at(2, writes))
    with pytest.raises(TimeoutError):
        regrading.process_page(run_id, 0, None)
    partly = regrading.status(admin, run_id)
    assert 0 < partly["done"] < partly["total"] == len(everyone)
    regrading.process_page(run_id, 0, None)  # redelivered
    assert len(writes) > 3  # several transactions, as the test intends
    done = regrading.status(admin, run_id)
    assert done["done"] == done["total"] == len(everyone)
    assert done["counts"] == {"up": 1, "down": 1, "kept": 2, "no_data": 1, "failed": 0}
    for cc in everyone:
        provider = dal.get_provider(cc)
        assert provider is not None and verify_chain(dal.audit_entries(cc), provider["audit_head"]) == []
        regraded = [e for e in dal.audit_entries(cc) if e.fields["action"] == "provider.regraded"]
        assert len(regraded) <= 1


def test_a_provider_whose_certificate_is_no_longer_valid_is_reported_not_regraded(
    stack: Stack, population: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from grading import regrading
    from grading.identity import Caller, Role

    monkeypatch.setenv("REGRADING_QUEUE_URL", stack.functions["RegradingFunction"].env["REGRADING_QUEUE_URL"])
    cc = population["capped_down"]
    number = f"SG-2026-{cc}-01"
    held = dal.get_item(dal.certificate_key(number))
    assert held is not None
    revoked = {**held, "status": "revoked"}
    dal.write(
        dal.tx_put(
            dal.certificate_key(number), "certificate", revoked, name="c", expected_version=revoked.pop("version")
        )
    )
    admin = Caller("a", frozenset({Role.ADMIN}))
    run_id = regrading.start(admin, 2026, datetime.now(UTC))
    regrading.process_page(run_id, dal.certified_shard(cc), None)
    result = dal.get_item(keys.result_key(run_id, cc))
    assert result is not None and result["change"] == "failed" and "revoked" in result["why"]
    assert dal.get_provider(cc)["grade"] == 1  # type: ignore[index]
    assert dal.get_item(dal.certificate_key(number))["status"] == "revoked"  # type: ignore[index]


def test_a_finalize_cut_short_between_its_transactions_completes_without_duplicate_notices(
    stack: Stack, population: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One notice per changed provider and one notice per transaction (limits made tiny): the first attempt dies
    after one notice; the retry rewrites it under the same id and completes the run."""
    from grading import regrading, regrading_report
    from grading.identity import Caller, Role

    monkeypatch.setenv("REGRADING_QUEUE_URL", stack.functions["RegradingFunction"].env["REGRADING_QUEUE_URL"])
    admin = Caller("a", frozenset({Role.ADMIN}))
    run_id = regrading.start(admin, 2026, datetime.now(UTC))
    for shard in range(dal.CERTIFIED_SHARDS):
        regrading.process_page(run_id, shard, None)
    monkeypatch.setattr(regrading_report, "NOTICE_ENTRIES", 1)
    monkeypatch.setattr(regrading_report, "TX_BYTES", 10)  # every item is its own transaction
    writes: list[int] = []

    monkeypatch.setattr(dal, "write", dying_at(2, writes))
    with pytest.raises(TimeoutError):
        regrading_report.finalize(run_id, datetime.now(UTC))
    assert regrading.status(admin, run_id)["status"] == "running"
    regrading_report.finalize(run_id, datetime.now(UTC))
    run = regrading.status(admin, run_id)
    assert run["status"] == "completed" and len(run["notice_ids"]) == 2  # capped_up and capped_down
    published, _ = dal.notices_page(100, None)
    assert sorted(n["notice_id"] for n in published) == sorted(run["notice_ids"])
    assert max(writes) == 1


def test_the_report_is_asked_for_once_by_the_shard_that_completes_the_run(
    stack: Stack, population: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from grading import regrading, regrading_report
    from grading.identity import Caller, Role

    url = stack.functions["RegradingFunction"].env["REGRADING_QUEUE_URL"]
    monkeypatch.setenv("REGRADING_QUEUE_URL", url)
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(queue, "send", sent.extend)
    admin = Caller("a", frozenset({Role.ADMIN}))
    run_id = regrading.start(admin, 2026, datetime.now(UTC))
    for shard in range(dal.CERTIFIED_SHARDS):
        assert not [m for m in sent if m["kind"] == "finalize"]  # not before the last shard is done
        regrading.process_page(run_id, shard, None)
    assert [m for m in sent if m["kind"] == "finalize"] == [{"kind": "finalize", "run_id": run_id}]
    assert regrading.status(admin, run_id)["enumerated"] is True
    # A page delivered again before the report is written asks again (the first ask may have been lost on its
    # way to the queue): finalize is safe to run twice.
    regrading.process_page(run_id, 3, None)
    assert len([m for m in sent if m["kind"] == "finalize"]) == 2
    regrading_report.finalize(run_id, datetime.now(UTC))
    regrading_report.finalize(run_id, datetime.now(UTC))
    run = regrading.status(admin, run_id)
    assert run["status"] == "completed" and run["counts"] == {"up": 1, "down": 1, "kept": 2, "no_data": 1, "failed": 0}
    published, _ = dal.notices_page(100, None)
    assert [n["notice_id"] for n in published] == run["notice_ids"]
    regrading.process_page(run_id, 3, None)  # and once it is written, a late page changes nothing
    assert len([m for m in sent if m["kind"] == "finalize"]) == 2


def test_a_run_reads_the_stored_settings_and_reports_their_version(
    api: Api, stack: Stack, host: FunctionHost, population: dict[str, str]
) -> None:
    """DOMAIN "Settings are versioned": the real run uses the regrading settings an admin saved, not the defaults."""
    document = api.call("GET", "/v1/settings/regrading", who=ADMIN).body
    assert document["version"] == 0
    changed = {**document, "evaluation_weight": 30, "assessment_weight": 70, "upgrade_needs_excellent": 0}
    changed["valid_days"] = 200
    saved = api.call("PUT", "/v1/settings/regrading", changed, who=ADMIN)
    assert saved.status == 200 and saved.body["version"] == 1, saved.body
    run = run_to_end(api, stack, host, "/v1/regradings", {"year": 2026})
    assert run["status"] == "completed" and run["dry_run"] is False
    assert run["config_version"] == "settings-v1"
    # The same counts as the what-if with these numbers (the defaults give up 1, down 1, kept 2).
    assert run["counts"] == {"up": 2, "down": 1, "kept": 1, "no_data": 1, "failed": 0}
    assert dal.get_provider(population["no_excellent"])["grade"] == 2  # type: ignore[index]
    report = requests.get(run["report_url"], timeout=10).json()
    assert report["config"]["version"] == "settings-v1" and report["config"]["valid_days"] == 200
    kept = dal.get_item(dal.certificate_key(f"SG-2026-{population['kept']}-01"))
    assert kept is not None and kept["status"] == "valid"
    started = datetime.fromisoformat(run_started(run["run_id"]))
    assert kept["valid_until"] == (started.date() + timedelta(days=200)).isoformat()


def run_started(run_id: str) -> str:
    run = dal.get_item(keys.run_key(run_id))
    assert run is not None
    return str(run["started_at"]).replace("Z", "+00:00")
