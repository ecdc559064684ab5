"""The audit-chain verifier (grading.audit_verify, `make verify-audit`): a clean history verifies; one edited entry in
the table is named by its seq and problem; a re-hashed forgery, a deleted entry and a cut-off tail are caught too;
providers are found without a Scan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from grading import audit_verify, dal
from grading.audit import canonical, digest
from local.backend import LocalBackend
from tests.conftest import ROOT
from tests.integration.conftest import CREDIT_CODE, Api, application_body, submit
from tests.security.conftest import build, table


@pytest.fixture
def history(api: Api) -> int:
    """A provider through submission, review, panel, scores and decision: its chain has several entries."""
    build(api, "in_notice")
    entries = dal.audit_entries(CREDIT_CODE)
    assert len(entries) >= 4
    return len(entries)


def _second_provider(api: Api) -> str:
    from grading.credit_code import check_character

    body = "91350100MA2XXXXX1"
    code = body + check_character(body)
    submit(api, application_body(credit_code=code), who=("provider-3", "providers"))
    return code


def _edit(seq: int, **changes: Any) -> None:
    key = dal.audit_key(CREDIT_CODE, seq)
    names = {f"#k{i}": k for i, k in enumerate(changes)}
    values = {f":v{i}": v for i, v in enumerate(changes.values())}
    update = "SET " + ", ".join(f"#k{i} = :v{i}" for i in range(len(changes)))
    table().update_item(
        Key=key, UpdateExpression=update, ExpressionAttributeNames=names, ExpressionAttributeValues=values
    )


def _body(seq: int) -> str:
    return str(table().get_item(Key=dal.audit_key(CREDIT_CODE, seq))["Item"]["body"])


def test_an_untouched_history_verifies(api: Api, history: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert audit_verify.main([CREDIT_CODE]) == 0
    out = capsys.readouterr().out
    assert f"OK      {CREDIT_CODE}: {history} entries, head seq {history}" in out


def test_one_edited_entry_is_named_by_seq_and_problem(
    api: Api, history: int, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _body(2).replace("reviewer-1", "reviewer-9")  # who passed the review, rewritten
    assert body != _body(2)
    _edit(2, body=body)
    assert audit_verify.main([CREDIT_CODE]) == 1
    out = capsys.readouterr().out
    assert f"BROKEN  {CREDIT_CODE}" in out
    assert "seq 2: body does not match its hash: the entry was edited" in out
    [report] = audit_verify.verify([CREDIT_CODE])
    assert [(p.seq, p.problem) for p in report.problems] == [(2, "body does not match its hash: the entry was edited")]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(api: Api, history: int) -> None:
    body = _body(2).replace("reviewer-1", "reviewer-9")
    _edit(2, body=body, hash=digest(body))
    [report] = audit_verify.verify([CREDIT_CODE])
    assert [(p.seq, p.problem) for p in report.problems] == [(3, "prev_hash does not match the entry before")]


def test_a_rewritten_last_entry_no_longer_matches_the_providers_head(api: Api, history: int) -> None:
    fields = {**json.loads(_body(history)), "actor": "someone-else"}
    body = canonical(fields)
    _edit(history, body=body, hash=digest(body))
    [report] = audit_verify.verify([CREDIT_CODE])
    assert [p.seq for p in report.problems] == [history]
    assert "head hash" in report.problems[0].problem


def test_a_deleted_entry_is_caught(api: Api, history: int) -> None:
    table().delete_item(Key=dal.audit_key(CREDIT_CODE, 2))
    problems = {(p.seq, p.problem.split(":")[0]) for p in audit_verify.verify([CREDIT_CODE])[0].problems}
    assert (3, "expected entry 2") in problems


def test_a_cut_tail_is_caught(api: Api, history: int) -> None:
    table().delete_item(Key=dal.audit_key(CREDIT_CODE, history))
    [report] = audit_verify.verify([CREDIT_CODE])
    assert not report.ok
    assert any("audit_seq" in p.problem or "cut" in p.problem for p in report.problems)


def test_every_provider_is_found_without_a_scan(api: Api, history: int, backend: LocalBackend) -> None:
    second = _second_provider(api)
    backend.reset_counts()
    reports = audit_verify.verify()
    assert sorted(r.credit_code for r in reports) == sorted([CREDIT_CODE, second])
    assert all(r.ok for r in reports)
    operations = {op for service, op in backend.request_log if service == "dynamodb"}
    assert "Scan" not in operations and "Query" in operations


def test_an_unknown_provider_is_reported_missing(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    assert audit_verify.main(["91350100M000100Y43"]) == 2
    assert "MISSING" in capsys.readouterr().out


def test_the_command_line_names_the_broken_entry(api: Api, history: int, backend: LocalBackend) -> None:
    """`python -m grading.audit_verify <cc>` in its own process, as `make verify-audit` runs it."""
    _edit(3, body=_body(3).replace('"seq":3', '"seq":3,"note":"x"'))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "shared"),
        "AWS_ENDPOINT_URL": backend.url,
        "TABLE_NAME": dal.table_name(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "grading.audit_verify", CREDIT_CODE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "seq 3: body does not match its hash: the entry was edited" in done.stdout
    assert "checked 1 provider(s)" in done.stdout
