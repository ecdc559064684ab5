"""Every road ends somewhere (issue 16), against moto through the local API Gateway, whose clock each test sets:
lapsed and withdrawn applications, readmission after the ban, ended and adjacent periods, the missing list,
versioned settings that elimination and windows read, China's calendar, overdue rectification, open objections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from grading import dal, sweep
from grading.audit import verify_chain
from tests.integration.conftest import (
    ADMIN,
    CREDIT_CODE,
    OTHER_PROVIDER,
    PROVIDER,
    REVIEWER,
    Api,
    application_body,
    in_notice_application,
    indicators,
    register_experts,
    submit,
)


def at(api: Api, moment: datetime | None) -> None:
    """Set the time the local API Gateway stamps on requests (requestTimeEpoch), as POST /_local/clock does."""
    api.client.application.clock = moment


CHINA = timezone(timedelta(hours=8))


def china(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, 0, tzinfo=CHINA).astimezone(UTC)


def certified_at(api: Api, when: datetime, body: dict[str, Any] | None = None) -> str:
    """Decide at `when` and let the sweep certify after the window; the certificate number."""
    at(api, when)
    app_id, notice_id = in_notice_application(api) if body is None else _decided(api, body)
    closes = datetime.fromisoformat(dal.get_item(dal.notice_key(notice_id))["window_closes_at"].replace("Z", "+00:00"))  # type: ignore[index]
    assert sweep.run(closes + timedelta(minutes=5)).certificates_issued == 1
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and app_id
    return str(provider["certificate"]["number"])


def _decided(api: Api, body: dict[str, Any]) -> tuple[str, str]:
    from tests.integration.conftest import add_document

    app_id = submit(api, body)
    add_document(api, app_id, "business_license")
    add_document(api, app_id, "qualification_certificate")
    assert api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER).status == 200
    drawn = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert drawn.status == 201, drawn.body
    keys = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]
    for member in drawn.body["panel"]:
        card = {"scores": dict.fromkeys(keys, 90), "comment": "良好"}
        scored = api.call("PUT", f"/v1/applications/{app_id}/scorecards/{member}", card, who=(member, "experts"))
        assert scored.status == 200, scored.body
    decided = api.call("POST", f"/v1/applications/{app_id}/decision", who=ADMIN)
    assert decided.status == 200, decided.body
    return app_id, decided.body["notice_id"]


def assess(api: Api, period: str, passing: bool) -> Any:
    body = {"credit_code": CREDIT_CODE, "period": period, "indicators": indicators(passing)}
    return api.call("POST", "/v1/assessments", body, who=ADMIN)


# --- 补正 deadline: lapsed; withdrawal -------------------------------------------------------------------------


def test_a_return_whose_deadline_passes_lapses_and_frees_the_slot(api: Api) -> None:
    at(api, china(2026, 9, 14))
    app_id = submit(api)
    returned = api.call(
        "POST", f"/v1/applications/{app_id}/review", {"decision": "return", "reasons": ["补营业执照"]}, who=REVIEWER
    )
    # 15 days from 14 Sep is 29 Sep, a working day.
    assert returned.status == 200 and returned.body["return_deadline"] == "2026-09-29"
    assert returned.body["history"][-1]["settings"] == "review@0"
    assert returned.body["history"][-1]["calendar"] == "calendar@0"  # the calendar that shaped it, too
    assert sweep.run(china(2026, 9, 29, 0)).applications_lapsed == 0  # the deadline day itself still counts
    report = sweep.run(china(2026, 9, 30, 0))
    assert report.applications_lapsed == 1 and report.failures == []
    view = api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body
    assert view["status"] == "lapsed" and view["history"][-1]["action"] == "lapse"
    assert view["history"][-1]["actor"] == "daily-sweep"
    assert dal.get_provider_and_slot(CREDIT_CODE)[1] is None
    assert api.call("POST", f"/v1/applications/{app_id}/resubmit", {"note": "迟到"}, who=PROVIDER).status == 409
    assert sweep.run(china(2026, 10, 2, 0)).applications_lapsed == 0  # nothing left in the Due index
    at(api, china(2026, 10, 9))
    assert api.call("POST", "/v1/applications", application_body(), who=PROVIDER).status == 201  # may apply again
    actions = [e.fields["action"] for e in dal.audit_entries(CREDIT_CODE)]
    assert "application.lapsed" in actions
    assert verify_chain(dal.audit_entries(CREDIT_CODE), dal.get_provider(CREDIT_CODE)["audit_head"]) == []  # type: ignore[index]


def test_a_return_deadline_on_a_holiday_runs_to_the_next_working_day(api: Api) -> None:
    at(api, china(2026, 9, 20))
    app_id = submit(api)
    returned = api.call(
        "POST", f"/v1/applications/{app_id}/review", {"decision": "return", "reasons": ["补正"]}, who=REVIEWER
    )
    assert returned.body["return_deadline"] == "2026-10-08"  # 5 Oct is National Day: 顺延 to 8 Oct


def test_the_owner_withdraws_before_the_decision(api: Api) -> None:
    at(api, china(2026, 11, 2))
    app_id = submit(api)
    path = f"/v1/applications/{app_id}/withdraw"
    assert api.call("POST", path, {"reason": "x"}, who=OTHER_PROVIDER).status == 404
    assert api.call("POST", path, {"reason": "x"}, who=REVIEWER).status == 403
    assert api.call("POST", path, {}, who=PROVIDER).status == 422
    done = api.call("POST", path, {"reason": "公司业务调整"}, who=PROVIDER)
    assert done.status == 200 and done.body["status"] == "withdrawn"
    assert done.body["history"][-1]["reasons"] == ["公司业务调整"] and done.body["history"][-1]["action"] == "withdraw"
    assert dal.get_provider_and_slot(CREDIT_CODE)[1] is None
    again = api.call("POST", path, {"reason": "again"}, who=PROVIDER)
    assert again.status == 409 and again.body["error"]["code"] == "INVALID_STATE"
    assert submit(api)  # the slot is free


def test_no_withdrawal_once_decided(api: Api) -> None:
    at(api, china(2026, 11, 2))
    app_id, _ = in_notice_application(api)
    late = api.call("POST", f"/v1/applications/{app_id}/withdraw", {"reason": "算了"}, who=PROVIDER)
    assert late.status == 409 and late.body["error"]["code"] == "INVALID_STATE"


# --- the notice window on the official calendar ----------------------------------------------------------------


def test_a_notice_decided_on_30_september_closes_after_national_day(api: Api) -> None:
    at(api, china(2026, 9, 30))
    _, notice_id = in_notice_application(api)
    notice = api.call("GET", f"/v1/notices/{notice_id}").body
    # 7 days is 7 Oct, inside the holiday: it runs to the end of 8 Oct (China time).
    assert notice["window_closes_at"] == "2026-10-08T16:00:00.000Z"
    assert dal.get_item(dal.notice_key(notice_id))["settings"] == "notice@0"  # type: ignore[index]
    assert dal.get_item(dal.notice_key(notice_id))["calendar"] == "calendar@0"  # type: ignore[index]


def test_notice_settings_count_working_days_and_carry_the_contact(api: Api) -> None:
    at(api, china(2026, 9, 30))
    doc = api.call("GET", "/v1/settings/notice", who=ADMIN).body
    assert doc["window_days"] == 7 and doc["working_days"] is False and doc["version"] == 0
    doc |= {"window_days": 5, "working_days": True, "procurement_contact": "采购办 0591-12345678"}
    saved = api.call("PUT", "/v1/settings/notice", doc, who=ADMIN)
    assert saved.status == 200 and saved.body["version"] == 1 and saved.body["changed_by"] == ADMIN[0]
    _, notice_id = in_notice_application(api)
    notice = api.call("GET", f"/v1/notices/{notice_id}").body
    # 5 working days after 30 Sep: 8, 9, 10 (a Saturday worked in lieu), 12, 13 Oct.
    assert notice["window_closes_at"] == "2026-10-13T16:00:00.000Z"
    assert notice["procurement_contact"] == "采购办 0591-12345678"


# --- settings -------------------------------------------------------------------------------------------------


def test_settings_are_versioned_and_only_admins_change_them(api: Api) -> None:
    at(api, china(2026, 11, 2))
    first = api.call("GET", "/v1/settings/assessment", who=REVIEWER)
    assert first.status == 200 and first.body["failure_limit"] == 2 and first.body["ban_days"] == 730
    assert first.body["rectification_days"] == 30 and first.body["survey_min_answers"] == 30
    assert api.call("PUT", "/v1/settings/assessment", first.body, who=REVIEWER).status == 403
    assert api.call("GET", "/v1/settings/assessment", who=PROVIDER).status == 403
    assert api.call("GET", "/v1/settings/nope", who=ADMIN).status == 404
    bad = api.call("PUT", "/v1/settings/assessment", {**first.body, "ban_days": 0, "extra": 1}, who=ADMIN)
    assert bad.status == 422 and {d["field"] for d in bad.body["error"]["details"]} == {"ban_days", "extra"}
    v1 = api.call("PUT", "/v1/settings/assessment", {**first.body, "ban_days": 365, "version": 99}, who=ADMIN)
    v2 = api.call("PUT", "/v1/settings/assessment", {**v1.body, "failure_limit": 3}, who=ADMIN)
    assert (v1.body["version"], v2.body["version"]) == (1, 2)
    now = api.call("GET", "/v1/settings/assessment", who=ADMIN).body
    assert now["version"] == 2 and now["ban_days"] == 365 and now["failure_limit"] == 3
    assert dal.get_item(dal.settings_key("assessment", 1))["values"]["failure_limit"] == 2  # type: ignore[index]


def test_elimination_reads_the_stored_settings_and_records_the_version(api: Api) -> None:
    certified_at(api, china(2026, 3, 2))
    at(api, china(2026, 11, 2))
    doc = api.call("GET", "/v1/settings/assessment", who=ADMIN).body
    assert api.call("PUT", "/v1/settings/assessment", {**doc, "ban_days": 365}, who=ADMIN).status == 200
    assert assess(api, "2026-Q2", False).status == 201
    second = assess(api, "2026-Q3", False)
    assert second.status == 201 and second.body["consecutive_failures"] == 2
    assert sweep.run(china(2026, 11, 3, 0)).providers_eliminated == 1
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and provider["banned_until"] == "2027-11-03"  # 365 days, not the default 730
    assert provider["elimination_settings"] == "assessment@1"
    assert dal.audit_entries(CREDIT_CODE)[-1].fields["data"]["settings"] == "assessment@1"


# --- periods ----------------------------------------------------------------------------------------------------


def test_only_ended_periods_are_assessed_and_gaps_break_the_chain(api: Api) -> None:
    certified_at(api, china(2025, 1, 6))
    at(api, china(2026, 11, 2))
    future = assess(api, "2099-Q4", False)
    assert future.status == 409 and future.body["error"]["code"] == "PERIOD_NOT_ENDED"
    current = assess(api, "2026-Q4", False)
    assert current.status == 409 and current.body["error"]["code"] == "PERIOD_NOT_ENDED"
    assert assess(api, "2025-Q1", False).body["consecutive_failures"] == 1
    far = assess(api, "2026-Q3", False)
    assert far.status == 201 and far.body["consecutive_failures"] == 1 and far.body["provider_status"] == "warned"
    assert dal.get_provider(CREDIT_CODE).get("elimination_due_at") is None  # type: ignore[union-attr]


def test_missing_assessments_are_listed_for_an_ended_period(api: Api) -> None:
    certified_at(api, china(2026, 3, 2))
    at(api, china(2026, 11, 2))
    missing = api.call("GET", "/v1/assessments/missing", query={"period": "2026-Q3"}, who=REVIEWER)
    assert missing.status == 200 and [i["credit_code"] for i in missing.body["items"]] == [CREDIT_CODE]
    assert missing.body["next_token"] is None
    # Certified on 2 March (after 2025-Q4 ended): nothing was missed then.
    assert api.call("GET", "/v1/assessments/missing", query={"period": "2025-Q4"}, who=ADMIN).body["items"] == []
    assert assess(api, "2026-Q3", True).status == 201
    assert api.call("GET", "/v1/assessments/missing", query={"period": "2026-Q3"}, who=ADMIN).body["items"] == []
    open_period = api.call("GET", "/v1/assessments/missing", query={"period": "2026-Q4"}, who=ADMIN)
    assert open_period.status == 409 and open_period.body["error"]["code"] == "PERIOD_NOT_ENDED"
    assert api.call("GET", "/v1/assessments/missing", query={"period": "2026-Q3"}, who=PROVIDER).status == 403
    bad = api.call("GET", "/v1/assessments/missing", query={"period": "2026-Q3", "next_token": "x"}, who=ADMIN)
    assert bad.status == 422


# --- after the ban ------------------------------------------------------------------------------------------------


def test_after_the_ban_a_new_certificate_starts_a_clean_standing(api: Api) -> None:
    body = application_body(valid_days=2400)
    register_experts(api, 12)  # the second panel leaves out the first one's experts
    certified_at(api, china(2026, 3, 2), body)
    at(api, china(2026, 11, 2))
    order = assess(api, "2026-Q2", False).body["rectification_id"]
    assess(api, "2026-Q3", False)
    assert sweep.run(china(2026, 11, 3, 0)).providers_eliminated == 1
    assert dal.get_provider(CREDIT_CODE)["banned_until"] == "2028-11-02"  # type: ignore[index]  # 730 days
    at(api, china(2028, 11, 1))
    banned = api.call("POST", "/v1/applications", body, who=PROVIDER)
    assert banned.status == 409 and banned.body["error"]["code"] == "PROVIDER_BANNED"
    at(api, china(2028, 11, 6))
    number = certified_at(api, china(2028, 11, 6), body)
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and number.endswith("-02")
    assert provider["status"] == "active" and provider["consecutive_failures"] == 0
    assert provider["assessment_results"] == {} and provider["open_rectifications"] == []
    assert provider.get("banned_until") is None and provider["previous_standings"][0]["banned_until"] == "2028-11-02"
    assert dal.get_item(dal.rectification_key(order))["status"] == "closed"  # type: ignore[index]
    at(api, china(2029, 4, 2))
    allowed = api.call(
        "GET", f"/v1/providers/{CREDIT_CODE}/eligibility", query={"category": "it_services"}, who=REVIEWER
    )
    assert allowed.body["eligibility"] == "allowed", allowed.body
    fresh = assess(api, "2029-Q1", False)
    assert fresh.status == 201 and fresh.body["consecutive_failures"] == 1  # the old failures no longer count
    assert verify_chain(dal.audit_entries(CREDIT_CODE), dal.get_provider(CREDIT_CODE)["audit_head"]) == []  # type: ignore[index]


# --- rectification overdue; objections -------------------------------------------------------------------------


def test_an_overdue_rectification_warns_the_provider(api: Api) -> None:
    certified_at(api, china(2026, 3, 2))
    at(api, china(2026, 11, 2))
    # Settings say 5 working days from Mon 2 Nov (due Mon 9 Nov), and 3 failures (one failure warns no one).
    doc = api.call("GET", "/v1/settings/assessment", who=ADMIN).body
    assert (
        api.call(
            "PUT",
            "/v1/settings/assessment",
            {**doc, "rectification_days": 5, "rectification_working_days": True, "failure_limit": 3},
            who=ADMIN,
        ).status
        == 200
    )
    order = api.call(
        "GET", f"/v1/rectifications/{assess(api, '2026-Q3', False).body['rectification_id']}", who=REVIEWER
    ).body
    assert order["deadline"] == "2026-11-09"
    assert dal.get_provider(CREDIT_CODE)["status"] == "active"  # type: ignore[index]
    assert sweep.run(china(2026, 11, 9, 0)).rectifications_overdue == 0  # the deadline day still counts
    assert sweep.run(china(2026, 11, 10, 0)).rectifications_overdue == 1
    assert sweep.run(china(2026, 11, 11, 0)).rectifications_overdue == 0  # marked once
    at(api, china(2026, 11, 12))
    answer = api.call("GET", f"/v1/providers/{CREDIT_CODE}/eligibility", who=REVIEWER).body
    assert answer["status"] == "warned" and "RECTIFICATION_OVERDUE" in {r["code"] for r in answer["reasons"]}
    rid = order["rectification_id"]
    assert api.call("POST", f"/v1/rectifications/{rid}/report", {"report": "已整改"}, who=PROVIDER).status == 200
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}/eligibility", who=REVIEWER).body["status"] == "warned"
    accepted = api.call("POST", f"/v1/rectifications/{rid}/verification", {"decision": "accepted"}, who=REVIEWER)
    assert accepted.status == 200
    after = api.call("GET", f"/v1/providers/{CREDIT_CODE}/eligibility", who=REVIEWER).body
    assert after["status"] == "active" and "RECTIFICATION_OVERDUE" not in {r["code"] for r in after["reasons"]}


def test_open_objections_are_listed_for_reviewers(api: Api) -> None:
    at(api, china(2026, 11, 2))
    app_id, notice_id = in_notice_application(api)
    filed = api.call(
        "POST",
        f"/v1/notices/{notice_id}/objections",
        {"application_id": app_id, "reason": "案例不实"},
        who=OTHER_PROVIDER,
    )
    listed = api.call("GET", "/v1/objections", query={"status": "open"}, who=REVIEWER)
    assert listed.status == 200 and [o["objection_id"] for o in listed.body["items"]] == [filed.body["objection_id"]]
    assert api.call("GET", "/v1/objections", query={"status": "open"}, who=PROVIDER).status == 403
    assert api.call("GET", "/v1/objections", query={"status": "closed"}, who=REVIEWER).status == 422
    path = f"/v1/objections/{filed.body['objection_id']}/resolution"
    assert api.call("POST", path, {"decision": "upheld", "note": "属实"}, who=REVIEWER).status == 200
    assert api.call("GET", "/v1/objections", query={"status": "open"}, who=ADMIN).body["items"] == []
    upheld = api.call("GET", "/v1/objections", query={"status": "upheld"}, who=ADMIN).body["items"]
    assert [(o["objection_id"], o["outcome"]) for o in upheld] == [(filed.body["objection_id"], "reevaluate")]


@pytest.mark.parametrize("moment", ["2027-01-05T02:00:00Z", "2027-01-05T10:00:00+08:00"])
def test_request_time_comes_from_the_request(api: Api, moment: str) -> None:
    at(api, datetime.fromisoformat(moment.replace("Z", "+00:00")))
    answer = api.call("GET", f"/v1/providers/{CREDIT_CODE}/eligibility", who=REVIEWER)
    assert answer.status == 404  # no provider yet; the check below needs one
    submit(api)
    checked = api.call("GET", f"/v1/providers/{CREDIT_CODE}/eligibility", who=REVIEWER).body
    assert checked["checked_on"] == date(2027, 1, 5).isoformat()


def test_the_qualification_minimum_is_read_from_the_stored_review_settings(api: Api) -> None:
    """Issue 16: `qualification_min_days` is a review setting (default 30), not an environment variable."""
    doc = api.call("GET", "/v1/settings/review", who=ADMIN).body
    assert doc["qualification_min_days"] == 30
    saved = api.call("PUT", "/v1/settings/review", {**doc, "qualification_min_days": 400}, who=ADMIN)
    assert saved.status == 200, saved.body
    refused = api.call("POST", "/v1/applications", application_body(valid_days=200), who=PROVIDER)
    assert refused.status == 422, refused.body
    [problem] = refused.body["error"]["details"]
    assert problem["field"] == "qualifications.0.valid_until" and "at least 400 more days" in problem["message"]
    assert api.call("POST", "/v1/applications", application_body(valid_days=401), who=PROVIDER).status == 201


def test_periods_that_ended_before_the_certification_are_not_assessed(api: Api) -> None:
    """Issue 16: assessments are for periods in which the provider was certified (DOMAIN.md "Periods")."""
    certified_at(api, china(2026, 7, 6))  # certified in 2026-Q3
    since = dal.get_provider(CREDIT_CODE)["certified_since"]  # type: ignore[index]
    assert "2026-07-01" <= since <= "2026-09-30", since
    at(api, china(2026, 11, 2))
    for period in ("2026-Q1", "2026-Q2"):
        early = assess(api, period, False)
        assert early.status == 409 and early.body["error"]["code"] == "BEFORE_CERTIFICATION", early.body
        assert early.body["error"]["details"][0]["field"] == "period"
        assert f"before the provider was certified on {since}" in early.body["error"]["message"]
    assert assess(api, "2026-Q3", True).status == 201  # the period it was certified in
    assert dal.get_provider(CREDIT_CODE).get("assessment_results") == {"2026-Q3": "excellent"}  # type: ignore[union-attr]


def test_a_withdrawal_during_the_evaluation_closes_the_panel_and_its_reminders(api: Api) -> None:
    from grading import reminders
    from tests.integration.conftest import evaluating_application

    at(api, china(2026, 11, 2))
    register_experts(api, 6)
    app_id = evaluating_application(api)
    drawn = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert drawn.status == 201, drawn.body
    later = china(2026, 11, 6)  # past the scorecard reminder moment (3 days after the draw)
    assert {e.detail["expert_id"] for e in reminders.scorecard_events(later)} == set(drawn.body["panel"])
    done = api.call("POST", f"/v1/applications/{app_id}/withdraw", {"reason": "不再参加"}, who=PROVIDER)
    assert done.status == 200 and done.body["status"] == "withdrawn", done.body
    panel = dal.get_item(dal.panel_key(app_id, 1))
    assert panel is not None and panel["status"] == "closed" and panel["closed_reason"] == "withdrawn"
    assert reminders.scorecard_events(later) == []
    keys = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]
    card = {"scores": dict.fromkeys(keys, 90), "comment": "迟到"}
    member = drawn.body["panel"][0]
    late = api.call("PUT", f"/v1/applications/{app_id}/scorecards/{member}", card, who=(member, "experts"))
    assert late.status == 409, late.body


def test_a_panel_left_open_by_a_withdrawn_application_reminds_nobody(api: Api) -> None:
    """Data written before withdrawals closed the panel: the reminders check the application too."""
    from grading import reminders
    from grading.store import panels
    from tests.integration.conftest import evaluating_application

    at(api, china(2026, 11, 2))
    register_experts(api, 6)
    app_id = evaluating_application(api)
    assert api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN).status == 201
    assert api.call("POST", f"/v1/applications/{app_id}/withdraw", {"reason": "x"}, who=PROVIDER).status == 200
    closed = dal.get_item(dal.panel_key(app_id, 1))
    assert closed is not None
    reopened = {k: v for k, v in closed.items() if k not in ("closed_at", "closed_reason")} | {"status": "open"}
    dal.write(panels.panel_item(app_id, 1, reopened, version=reopened.pop("version")))
    assert dal.get_item(dal.panel_key(app_id, 1))["status"] == "open"  # type: ignore[index]
    assert reminders.scorecard_events(china(2026, 11, 6)) == []


def test_a_calendar_setting_moves_a_deadline_in_a_year_the_library_does_not_know(api: Api) -> None:
    """2027 is past the library's years: weekends only, until an operator adds the State Council's days."""
    from grading import calendar

    assert not calendar.shipped().known(2027)
    at(api, china(2027, 3, 1))
    reasons = {"decision": "return", "reasons": ["补正"]}
    first = submit(api)
    returned = api.call("POST", f"/v1/applications/{first}/review", reasons, who=REVIEWER)
    assert returned.body["return_deadline"] == "2027-03-16"  # 15 days, a Tuesday
    assert api.call("POST", f"/v1/applications/{first}/withdraw", {"reason": "x"}, who=PROVIDER).status == 200
    doc = api.call("GET", "/v1/settings/calendar", who=ADMIN).body
    assert doc["version"] == 0 and doc["days_off"] == []
    changed = {**doc, "days_off": ["2027-03-16", "2027-03-17"]}
    saved = api.call("PUT", "/v1/settings/calendar", changed, who=ADMIN)
    assert saved.status == 200 and saved.body["version"] == 1 and saved.body["days_off"] == changed["days_off"]
    second = submit(api)
    again = api.call("POST", f"/v1/applications/{second}/review", reasons, who=REVIEWER)
    assert again.body["return_deadline"] == "2027-03-18"  # 顺延 past the two days off
    assert again.body["history"][-1]["settings"] == "review@0"
    assert again.body["history"][-1]["calendar"] == "calendar@1"
    audit = dal.audit_entries(CREDIT_CODE)[-1].fields["data"]
    assert audit["deadline"] == "2027-03-18" and audit["calendar"] == "calendar@1"


def test_an_assessment_records_the_settings_version_it_used(api: Api) -> None:
    certified_at(api, china(2026, 3, 2))
    at(api, china(2026, 11, 2))
    assert assess(api, "2026-Q2", True).status == 201
    first = dal.get_item(dal.assessment_key(CREDIT_CODE, "2026-Q2"))
    assert first is not None and first["settings"] == "assessment@0"
    doc = api.call("GET", "/v1/settings/assessment", who=ADMIN).body
    stricter = {**doc, "pass_min": 99, "excellent_min": 100}
    assert api.call("PUT", "/v1/settings/assessment", stricter, who=ADMIN).status == 200
    second = assess(api, "2026-Q3", True)
    assert second.status == 201 and second.body["result"] == "fail"  # 99 to pass now
    record = dal.get_item(dal.assessment_key(CREDIT_CODE, "2026-Q3"))
    assert record is not None and record["settings"] == "assessment@1"
    assert record["explanation"]["scheme_version"] == "settings-v1"
    assert dal.audit_entries(CREDIT_CODE)[-1].fields["data"]["settings"] == "assessment@1"
    # The rectification order it opened records what shaped its deadline.
    order = api.call("GET", f"/v1/rectifications/{second.body['rectification_id']}", who=ADMIN).body
    assert order["settings"] == "assessment@1" and order["calendar"] == "calendar@0", order


def test_a_first_certificate_is_valid_for_the_stored_certificate_settings(api: Api) -> None:
    """DOMAIN "Settings are versioned": the validity of a first certificate is a stored setting, recorded on it."""
    at(api, china(2026, 3, 2))
    doc = api.call("GET", "/v1/settings/certificate", who=REVIEWER)
    assert doc.status == 200 and doc.body["version"] == 0 and doc.body["valid_days"] == 365
    saved = api.call("PUT", "/v1/settings/certificate", {**doc.body, "valid_days": 200}, who=ADMIN)
    assert saved.status == 200 and saved.body["version"] == 1 and saved.body["valid_days"] == 200
    assert api.call("PUT", "/v1/settings/certificate", {**doc.body, "valid_days": 0}, who=ADMIN).status == 422
    number = certified_at(api, china(2026, 3, 2))
    certificate = dal.get_item(dal.certificate_key(number))
    assert certificate is not None and certificate["settings"] == "certificate@1"
    issued = date.fromisoformat(certificate["issued_on"])
    assert certificate["valid_until"] == (issued + timedelta(days=200)).isoformat()
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and provider["certificate"]["valid_until"] == certificate["valid_until"]
