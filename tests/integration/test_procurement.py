"""Issue 10 against moto: eligibility with reasons (and its cost), qualification reminders on the right day,
expiry warnings healed by a renewed qualification, and the domain events of a provider's life, in order and
each valid against its JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jsonschema
import pytest

from grading import dal, sweep
from local.backend import LocalBackend
from local.host import FunctionHost
from local.pollers import EventPollers
from local.template import Stack
from tests.conftest import ROOT, certified_since_the_first, ended_quarters
from tests.integration.conftest import (
    CREDIT_CODE,
    OTHER_PROVIDER,
    PROVIDER,
    REVIEWER,
    Api,
    in_notice_application,
)
from tests.integration.test_providers import assess, certified

SCHEMAS = {p.stem: json.loads(p.read_text()) for p in (ROOT / "schemas/events").glob("*.json")}
Q3, Q4 = ended_quarters(2)  # the two latest ended quarters: adjacent, and assessable today
LATER = datetime.now(UTC) + timedelta(days=20)


def eligibility(api: Api, category: str | None = "it_services") -> dict[str, Any]:
    reply = api.call(
        "GET",
        f"/v1/providers/{CREDIT_CODE}/eligibility",
        who=OTHER_PROVIDER,
        query={"category": category} if category else None,
    )
    assert reply.status == 200, reply.body
    return dict(reply.body)


def codes(answer: dict[str, Any]) -> set[str]:
    return {r["code"] for r in answer["reasons"]}


def test_eligibility_along_a_life(api: Api, backend: LocalBackend) -> None:
    in_notice_application(api)
    assert eligibility(api)["eligibility"] == "not_allowed" and "NO_CERTIFICATE" in codes(eligibility(api))
    sweep.run(LATER)
    certified_since_the_first(CREDIT_CODE)
    allowed = eligibility(api)
    assert allowed["eligibility"] == "allowed" and allowed["grade"] == 1 and allowed["reasons"] == []
    wrong = eligibility(api, category="catering")
    assert wrong["eligibility"] == "not_allowed" and codes(wrong) == {"NOT_GRADED_IN_CATEGORY"}
    assess(api, Q3, passing=False)
    warned = eligibility(api)
    assert warned["eligibility"] == "warning" and codes(warned) == {"WARNED", "OPEN_RECTIFICATION"}
    assess(api, Q4, passing=False)
    sweep.run(LATER + timedelta(days=1))
    gone = eligibility(api)
    assert gone["eligibility"] == "not_allowed" and {"ELIMINATED", "BANNED"} <= codes(gone)
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}/eligibility").status == 401
    assert api.call("GET", "/v1/providers/91110000600037341L/eligibility", who=REVIEWER).status == 404
    backend.reset_counts()
    eligibility(api)
    reads = [op for service, op in backend.request_log if service == "dynamodb"]
    assert len(reads) <= 2, reads


def test_reminder_on_the_day_not_the_day_before_then_expiry_and_renewal(api: Api) -> None:
    certified(api)
    valid_until = date.fromisoformat(dal.get_provider(CREDIT_CODE)["qualifications"]["Q-2026-001"]["valid_until"])  # type: ignore[index]
    remind_on = valid_until - timedelta(days=30)
    at = lambda day: datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=1)  # noqa: E731 - 09:00 in China
    assert sweep.run(at(remind_on - timedelta(days=1))).qualifications_reminded == 0
    assert sweep.run(at(remind_on)).qualifications_reminded == 1
    assert sweep.run(at(remind_on)).qualifications_reminded == 0  # re-running the day changes nothing
    from grading import providers

    on_the_day = providers.check_eligibility(CREDIT_CODE, None, at(remind_on))
    assert on_the_day.eligibility == "warning" and [r["code"] for r in on_the_day.reasons] == ["QUALIFICATION_EXPIRING"]
    assert sweep.run(at(valid_until)).qualifications_expired == 0  # valid on its last day
    assert sweep.run(at(valid_until + timedelta(days=1))).qualifications_expired == 1
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and provider["status"] == "warned"
    renewed = {
        "type": "ISO 9001",
        "number": "Q-2027-001",
        "issuer": "中国质量认证中心",
        "valid_until": (valid_until + timedelta(days=1000)).isoformat(),
        "replaces": "Q-2026-001",
    }
    assert api.call("POST", f"/v1/providers/{CREDIT_CODE}/qualifications", renewed, who=OTHER_PROVIDER).status == 404
    submitted = api.call("POST", f"/v1/providers/{CREDIT_CODE}/qualifications", renewed, who=PROVIDER)
    assert submitted.status == 201 and submitted.body["status"] == "pending"
    assert dal.get_provider(CREDIT_CODE)["status"] == "warned"  # type: ignore[index]  # not until accepted
    review = f"/v1/providers/{CREDIT_CODE}/qualifications/Q-2027-001/review"
    assert api.call("POST", review, {"decision": "accepted"}, who=PROVIDER).status == 403
    accepted = api.call("POST", review, {"decision": "accepted", "note": "原件已核验"}, who=REVIEWER)
    assert accepted.status == 200 and accepted.body["status"] == "valid"
    assert dal.get_provider(CREDIT_CODE)["status"] == "active"  # type: ignore[index]


def test_my_rectifications_are_mine_only(api: Api) -> None:
    certified(api)
    order = assess(api, Q3, passing=False).body["rectification_id"]
    mine = api.call("GET", "/v1/me/rectifications", who=PROVIDER).body
    assert [o["rectification_id"] for o in mine["items"]] == [order]
    assert api.call("GET", "/v1/me/rectifications", who=OTHER_PROVIDER).body["items"] == []


def test_events_of_a_life_in_order_and_valid(api: Api, stack: Stack, host: FunctionHost, bus: Any) -> None:
    pollers = EventPollers(stack, host)
    pollers.start()
    try:
        certified(api)
        pollers.drain(timeout=60)  # the certificate's PDF (and so CertificateIssued) before the next period
        assess(api, Q3, passing=False)
        assess(api, Q4, passing=False)
        sweep.run(LATER + timedelta(days=1))
        pollers.drain(timeout=60)
    finally:
        pollers.stop()
    events = bus()
    kinds = [e["detail-type"] for e in events]
    for event in events:
        jsonschema.validate(event["detail"], SCHEMAS[event["detail-type"]])
    expected_order = [
        "ApplicationSubmitted",
        "ApplicationReviewed",
        "GradeDecided",
        "NoticePublished",
        "CertificateIssued",
        "AssessmentRecorded",
        "ProviderWarned",
        "AssessmentRecorded",
        "ProviderEliminated",
        "CertificateRevoked",
    ]
    assert set(expected_order) <= set(kinds), kinds
    assert kinds.index("ApplicationSubmitted") < kinds.index("GradeDecided") < kinds.index("CertificateIssued")
    assert kinds.index("CertificateIssued") < kinds.index("ProviderWarned") < kinds.index("ProviderEliminated")
    assert kinds.count("AssessmentRecorded") == 2
    assert all(
        "contact" not in json.dumps(e["detail"]) and "13800000000" not in json.dumps(e["detail"]) for e in events
    )


def test_schemas_reject_contact_data() -> None:
    detail = {"credit_code": CREDIT_CODE, "grade": 2, "consecutive_failures": 1, "at": None, "event_id": "x"}
    jsonschema.validate(detail, SCHEMAS["ProviderWarned"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**detail, "contact": {"phone": "138"}}, SCHEMAS["ProviderWarned"])
