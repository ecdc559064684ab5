"""ProvidersFunction and the elimination sweep against moto: assessments, the consecutive-failure counter,
rectification orders, elimination, and the ban that follows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grading import dal, elimination, rectifications, sweep
from grading.audit import verify_chain
from tests.conftest import certified_since_the_first, ended_quarters
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
)

Q3, Q4 = ended_quarters(2)  # the two latest ended quarters: adjacent, and assessable today
LATER = datetime.now(UTC) + timedelta(days=20)


def certified(api: Api) -> str:
    in_notice_application(api)
    assert sweep.run(LATER).certificates_issued == 1
    certified_since_the_first(CREDIT_CODE)  # certified before the ended periods the tests assess
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None
    return str(provider["certificate"]["number"])


def assess(api: Api, period: str, passing: bool, **extra: Any) -> Any:
    body = {"credit_code": CREDIT_CODE, "period": period, "indicators": indicators(passing), **extra}
    return api.call("POST", "/v1/assessments", body, who=ADMIN)


def test_fail_warns_and_opens_a_rectification(api: Api) -> None:
    certified(api)
    failed = assess(api, Q3, passing=False)
    assert failed.status == 201, failed.body
    assert failed.body["result"] == "fail" and failed.body["consecutive_failures"] == 1
    assert failed.body["provider_status"] == "warned" and failed.body["rectification_id"]
    view = api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=PROVIDER).body
    assert view["status"] == "warned" and view["consecutive_failures"] == 1
    assert [a["period"] for a in view["assessments"]] == [Q3]
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=OTHER_PROVIDER).status == 404
    passed = assess(api, Q4, passing=True)
    assert passed.body["result"] == "excellent" and passed.body["consecutive_failures"] == 0
    assert passed.body["provider_status"] == "active" and passed.body["rectification_id"] is None


def test_second_assessment_of_a_period_needs_a_correction(api: Api) -> None:
    certified(api)
    assert assess(api, Q3, passing=True).status == 201
    again = assess(api, Q3, passing=False)
    assert again.status == 409 and again.body["error"]["code"] == "ASSESSMENT_EXISTS"
    corrected = assess(api, Q3, passing=False, correction={"reason": "抽查记录漏录"})
    assert corrected.status == 201 and corrected.body["revision"] == 2 and corrected.body["result"] == "fail"
    assert corrected.body["rectification_id"] and corrected.body["provider_status"] == "warned"
    # Correcting back to a pass withdraws the order and recomputes the counter.
    undone = assess(api, Q3, passing=True, correction={"reason": "复核后合格"})
    assert undone.body["consecutive_failures"] == 0 and undone.body["provider_status"] == "active"
    order = api.call("GET", f"/v1/rectifications/{corrected.body['rectification_id']}", who=REVIEWER).body
    assert order["status"] == "withdrawn"
    # The withdrawn order stays in the provider's list of orders, as withdrawn (the record is kept, not hidden).
    mine = api.call("GET", "/v1/me/rectifications", who=PROVIDER).body["items"]
    assert [(o["rectification_id"], o["status"]) for o in mine] == [(corrected.body["rectification_id"], "withdrawn")]


@pytest.mark.parametrize("period", ["2026-Q5", "2026", "Q3-2026", ""])
def test_bad_periods_are_422(api: Api, period: str) -> None:
    certified(api)
    reply = assess(api, period, passing=True)
    assert reply.status == 422 and reply.body["error"]["details"][0]["field"] == "period"


def test_uncertified_or_unknown_providers_cannot_be_assessed(api: Api) -> None:
    reply = assess(api, Q3, passing=True)
    assert reply.status == 404
    in_notice_application(api)
    assert assess(api, Q3, passing=True).status == 409
    refused = api.call("POST", "/v1/assessments", {"credit_code": CREDIT_CODE}, who=REVIEWER)
    assert refused.status == 403  # API.md: authorization before validation, the body is not read


def test_rectification_report_and_verification(api: Api) -> None:
    certified(api)
    order_id = assess(api, Q3, passing=False).body["rectification_id"]
    path = f"/v1/rectifications/{order_id}"
    assert api.call("POST", f"{path}/report", {"report": "已整改"}, who=OTHER_PROVIDER).status == 404
    assert api.call("POST", f"{path}/verification", {"decision": "accepted"}, who=REVIEWER).status == 409
    reported = api.call("POST", f"{path}/report", {"report": "已更换项目经理并完成培训"}, who=PROVIDER)
    assert reported.status == 200 and reported.body["status"] == "reported"
    rejected = api.call("POST", f"{path}/verification", {"decision": "rejected", "note": "证据不足"}, who=REVIEWER)
    assert rejected.body["status"] == "rejected"
    api.call("POST", f"{path}/report", {"report": "补充培训记录"}, who=PROVIDER)
    accepted = api.call("POST", f"{path}/verification", {"decision": "accepted"}, who=REVIEWER)
    assert accepted.body["status"] == "accepted" and len(accepted.body["reports"]) == 2


def test_overdue_orders_are_listed_for_reviewers(api: Api) -> None:
    from grading.identity import Caller, Role

    certified(api)
    order_id = assess(api, Q3, passing=False).body["rectification_id"]
    reviewer = Caller("r", frozenset({Role.REVIEWER}))
    assert rectifications.overdue_rectifications(reviewer, datetime.now(UTC), 50, None).items == []
    late = rectifications.overdue_rectifications(reviewer, datetime.now(UTC) + timedelta(days=40), 50, None)
    assert [o.rectification_id for o in late.items] == [order_id]
    assert api.call("GET", "/v1/rectifications", who=PROVIDER).status == 403


def test_two_failed_periods_eliminate_revoke_ban_and_notice(api: Api) -> None:
    number = certified(api)
    assess(api, Q3, passing=False)
    second = assess(api, Q4, passing=False)
    assert second.body["consecutive_failures"] == 2
    report = sweep.run(LATER + timedelta(days=1))
    assert report.providers_eliminated == 1 and report.failures == []
    view = api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=REVIEWER).body
    assert view["status"] == "eliminated" and view["banned_until"]
    assert api.call("GET", f"/v1/certificates/{number}").body["status"] == "revoked"
    elimination = api.call("GET", "/v1/notices").body["items"][0]
    assert elimination["kind"] == "elimination" and elimination["entries"][0]["credit_code"] == CREDIT_CODE
    refused = api.call("POST", "/v1/applications", application_body(), who=PROVIDER)
    assert refused.status == 409 and refused.body["error"]["code"] == "PROVIDER_BANNED"
    rerun = sweep.run(LATER + timedelta(days=1))
    assert rerun.providers_eliminated == 0 and rerun.items_read == 0
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and verify_chain(dal.audit_entries(CREDIT_CODE), provider["audit_head"]) == []


def test_one_failing_provider_does_not_stop_the_others(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from grading.credit_code import check_character

    second = "91350100M000500Y1"
    second += check_character(second)
    for cc in (CREDIT_CODE, second):
        in_notice_application(api, credit_code=cc)
    assert sweep.run(LATER).certificates_issued == 2
    certified_since_the_first(CREDIT_CODE, second)
    for cc in (CREDIT_CODE, second):
        for period in (Q3, Q4):
            body = {"credit_code": cc, "period": period, "indicators": indicators(passing=False)}
            assert api.call("POST", "/v1/assessments", body, who=ADMIN).status == 201
    real = elimination.eliminate
    calls: list[str] = []

    def broken(provider: dict[str, Any], now: datetime, ban_days: int | None = None) -> str | None:
        calls.append(provider["credit_code"])
        if len(calls) == 1:
            raise RuntimeError("throttled")
        return real(provider, now, ban_days)

    monkeypatch.setattr(elimination, "eliminate", broken)
    first = sweep.run(LATER)
    assert len(first.failures) == 1 and first.providers_eliminated == 1  # the other one went through
    failed_cc = calls[0]
    assert dal.get_provider(failed_cc)["status"] == "warned"  # type: ignore[index]  # untouched, not half-done
    retried = sweep.run(LATER)
    assert retried.providers_eliminated == 1 and retried.failures == []
    assert {dal.get_provider(cc)["status"] for cc in (CREDIT_CODE, second)} == {"eliminated"}  # type: ignore[index]
