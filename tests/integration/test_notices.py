"""Notices, objections, the daily sweep and certificates against moto (rendering is tested on its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grading import certificates, dal, notices, sweep
from grading.audit import verify_chain
from grading.clock import local_date
from grading.errors import Conflict
from grading.identity import Caller
from grading.models import ObjectionIn
from local.host import FunctionHost
from local.pollers import scheduled_event
from local.template import Stack
from tests.integration.conftest import (
    ADMIN,
    CREDIT_CODE,
    OTHER_PROVIDER,
    PROVIDER,
    REVIEWER,
    Api,
    in_notice_application,
)

LATER = datetime.now(UTC) + timedelta(days=20)


def run_sweep(host: FunctionHost, stack: Stack, when: datetime) -> dict[str, Any]:
    event = scheduled_event(stack, "DailySweepFunction")
    event["time"] = when.isoformat().replace("+00:00", "Z")
    return dict(host.invoke("DailySweepFunction", event))


def test_notice_is_public_and_lists_newest_first(api: Api) -> None:
    app_id, notice_id = in_notice_application(api)
    listed = api.call("GET", "/v1/notices")
    assert listed.status == 200 and listed.body["items"][0]["notice_id"] == notice_id
    notice = api.call("GET", f"/v1/notices/{notice_id}").body
    assert notice["kind"] == "grading" and notice["status"] == "open"
    assert notice["entries"][0]["application_id"] == app_id and notice["entries"][0]["grade"] == 1
    assert notice["entries"][0]["total"] == "90.00"
    assert notice["html_url"] == f"/v1/notices/{notice_id}/html"
    assert api.call("GET", "/v1/notices/NOPE").status == 404


def test_clean_window_gives_a_certificate_and_a_rerun_changes_nothing(
    api: Api, host: FunctionHost, stack: Stack
) -> None:
    app_id, notice_id = in_notice_application(api)
    early = run_sweep(host, stack, datetime.now(UTC))
    assert early["certificates_issued"] == 0 and early["items_read"] == 0  # nothing due yet
    report = run_sweep(host, stack, LATER)
    assert report["certificates_issued"] == 1 and report["notices_closed"] == 1 and report["failures"] == []
    app = api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body
    assert app["status"] == "certified"
    provider = dal.get_provider(CREDIT_CODE)
    assert provider and provider["grade"] == 1
    number = provider["certificate"]["number"]
    assert number == f"SG-{local_date(LATER).year}-{CREDIT_CODE}-01"  # the year of the sweep's day, China time
    verified = api.call("GET", f"/v1/certificates/{number}")
    assert verified.status == 200 and verified.body["status"] == "valid" and verified.body["grade"] == 1
    entries_before = len(dal.audit_entries(CREDIT_CODE))
    again = run_sweep(host, stack, LATER)
    assert again["certificates_issued"] == 0 and again["items_read"] == 0
    assert len(dal.audit_entries(CREDIT_CODE)) == entries_before
    assert api.call("GET", f"/v1/notices/{notice_id}").body["status"] == "closed"
    assert verify_chain(dal.audit_entries(CREDIT_CODE), dal.get_provider(CREDIT_CODE)["audit_head"]) == []  # type: ignore[index]


def test_open_objection_holds_the_certificate_until_dismissed(api: Api, host: FunctionHost, stack: Stack) -> None:
    app_id, notice_id = in_notice_application(api)
    filed = api.call(
        "POST",
        f"/v1/notices/{notice_id}/objections",
        {"application_id": app_id, "reason": "业绩造假"},
        who=OTHER_PROVIDER,
    )
    assert filed.status == 201 and filed.body["status"] == "open"
    assert (
        api.call("POST", f"/v1/notices/{notice_id}/objections", {"application_id": app_id, "reason": "x"}).status == 401
    )
    held = run_sweep(host, stack, LATER)
    assert held["certificates_issued"] == 0 and held["waiting_on_objections"] == 1
    assert api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body["status"] == "in_notice"
    objection_id = filed.body["objection_id"]
    path = f"/v1/objections/{objection_id}/resolution"
    assert api.call("POST", path, {"decision": "dismissed", "note": "查无实据"}, who=PROVIDER).status == 403
    dismissed_with_outcome = {"decision": "dismissed", "note": "x", "outcome": "reject"}
    assert api.call("POST", path, dismissed_with_outcome, who=REVIEWER).status == 422  # only upheld has an outcome
    dismissed = api.call("POST", path, {"decision": "dismissed", "note": "查无实据"}, who=REVIEWER)
    assert dismissed.status == 200 and dismissed.body["status"] == "dismissed"
    again = api.call("POST", path, {"decision": "dismissed", "note": "again"}, who=REVIEWER)
    assert again.status == 409 and again.body["error"]["code"] == "ALREADY_RESOLVED"
    assert run_sweep(host, stack, LATER)["certificates_issued"] == 1


@pytest.mark.parametrize(
    ("outcome", "status"), [("reevaluate", "evaluating"), ("reject", "rejected"), (None, "evaluating")]
)
def test_upheld_objection_sends_the_application_back(api: Api, outcome: str | None, status: str) -> None:
    """API.md's `{decision: "upheld", note}` (no outcome) sends it back to evaluation, the default."""
    app_id, notice_id = in_notice_application(api)
    filed = api.call(
        "POST", f"/v1/notices/{notice_id}/objections", {"application_id": app_id, "reason": "资质过期"}, who=REVIEWER
    )
    resolved = api.call(
        "POST",
        f"/v1/objections/{filed.body['objection_id']}/resolution",
        {"decision": "upheld", "note": "属实", **({"outcome": outcome} if outcome else {})},
        who=REVIEWER,
    )
    assert resolved.status == 200, resolved.body
    assert resolved.body["outcome"] == (outcome or "reevaluate")
    app = api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body
    assert app["status"] == status and app["grade"] is None
    late = api.call(
        "POST", f"/v1/notices/{notice_id}/objections", {"application_id": app_id, "reason": "x"}, who=REVIEWER
    )
    assert late.status == 409
    if outcome != "reject":
        redraw = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
        assert redraw.status == 409 and redraw.body["error"]["code"] == "NOT_ENOUGH_EXPERTS"  # last panel excluded
    else:
        assert dal.get_provider_and_slot(CREDIT_CODE)[1] is None


def test_objections_only_while_the_window_is_open(api: Api) -> None:
    app_id, notice_id = in_notice_application(api)
    anyone = Caller("someone", frozenset())
    with pytest.raises(Conflict) as closed:
        notices.file_objection(anyone, notice_id, ObjectionIn(application_id=app_id, reason="迟到的异议"), LATER)
    assert closed.value.code == "WINDOW_CLOSED"
    wrong = api.call(
        "POST", f"/v1/notices/{notice_id}/objections", {"application_id": "ZZZ", "reason": "x"}, who=PROVIDER
    )
    assert wrong.status == 422 and wrong.body["error"]["details"][0]["field"] == "application_id"


def test_certificates_expire_and_read_as_expired_before_the_sweep(api: Api, host: FunctionHost, stack: Stack) -> None:
    in_notice_application(api)
    run_sweep(host, stack, LATER)
    number = dal.get_provider(CREDIT_CODE)["certificate"]["number"]  # type: ignore[index]
    after_expiry = LATER + timedelta(days=400)
    assert certificates.get_certificate(number, after_expiry).status == "expired"
    report = run_sweep(host, stack, after_expiry)
    assert report["certificates_expired"] == 1
    assert dal.get_item(dal.certificate_key(number))["status"] == "expired"  # type: ignore[index]
    assert run_sweep(host, stack, after_expiry)["certificates_expired"] == 0


def test_sweep_reads_only_what_is_due(api: Api) -> None:
    in_notice_application(api)
    report = sweep.run(datetime.now(UTC))
    assert report.items_read == 0
    assert sweep.run(LATER).items_read == 1


def test_sweep_needs_the_event_time(host: FunctionHost) -> None:
    with pytest.raises(Exception, match="time"):
        host.invoke("DailySweepFunction", {"detail-type": "Scheduled Event"})


def test_admin_role_is_not_needed_to_object(api: Api) -> None:
    app_id, notice_id = in_notice_application(api)
    user = ("citizen-1", "")
    reply = api.call(
        "POST", f"/v1/notices/{notice_id}/objections", {"application_id": app_id, "reason": "群众举报"}, who=user
    )
    assert reply.status == 201
    assert api.call("GET", f"/v1/objections/{reply.body['objection_id']}", who=user).status == 200
    assert api.call("GET", f"/v1/objections/{reply.body['objection_id']}", who=OTHER_PROVIDER).status == 404
    assert api.call("GET", f"/v1/objections/{reply.body['objection_id']}", who=ADMIN).status == 200


def test_the_application_carries_its_certificate_number_once_certified(
    api: Api, host: FunctionHost, stack: Stack
) -> None:
    app_id, _ = in_notice_application(api)
    before = api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body
    assert before["status"] == "in_notice" and before["certificate_number"] is None
    run_sweep(host, stack, LATER)
    after = api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body
    provider = dal.get_provider(CREDIT_CODE)
    assert provider and after["status"] == "certified"
    assert after["certificate_number"] == provider["certificate"]["number"]
    assert api.call("GET", f"/v1/certificates/{after['certificate_number']}").status == 200
