"""The dashboard's one read (GET /v1/summaries/providers) against moto: the certified providers counted by
category and grade, and the ones at risk with the eligibility answer's reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from grading import sweep
from grading.credit_code import check_character
from tests.conftest import certified_since_the_first, ended_quarters
from tests.integration.conftest import ADMIN, CREDIT_CODE, EXPERT, PROVIDER, REVIEWER, Api, in_notice_application
from tests.integration.test_providers import assess

(PERIOD,) = ended_quarters(1)
SECOND = "91350100M00020047"  # a second provider: 17 characters and its check character
SECOND += check_character(SECOND)


def test_counts_by_category_and_grade_and_names_those_at_risk(api: Api) -> None:
    empty = api.call("GET", "/v1/summaries/providers", who=REVIEWER)
    assert empty.status == 200, empty.body
    assert empty.body["certified"] == 0 and empty.body["by_category"] == [] and empty.body["at_risk"] == []

    in_notice_application(api, CREDIT_CODE, score=95)
    in_notice_application(api, SECOND, score=82)
    assert sweep.run(datetime.now(UTC) + timedelta(days=20)).certificates_issued == 2
    certified_since_the_first(CREDIT_CODE, count=1)  # an assessment is for a period in which it was certified
    assert assess(api, PERIOD, passing=False).status == 201  # the first fails: warned, a rectification order open

    summary = api.call("GET", "/v1/summaries/providers", who=ADMIN)
    assert summary.status == 200, summary.body
    body = summary.body
    assert body["certified"] == 2
    assert body["by_category"] == [
        {"category": "it_services", "total": 2, "grades": {"1": 1, "2": 1, "3": 0, "4": 0, "none": 0}}
    ]
    assert [r["credit_code"] for r in body["at_risk"]] == [CREDIT_CODE]
    risk = body["at_risk"][0]
    assert risk["status"] == "warned" and risk["grade"] == 1 and risk["eligibility"] == "warning"
    assert risk["consecutive_failures"] == 1
    assert {"WARNED", "OPEN_RECTIFICATION"} <= {r["code"] for r in risk["reasons"]}


def test_only_staff_read_it(api: Api) -> None:
    for who in (PROVIDER, EXPERT):
        refused = api.call("GET", "/v1/summaries/providers", who=who)
        assert refused.status == 403 and refused.body["error"]["code"] == "FORBIDDEN", refused.body
    assert api.call("GET", "/v1/summaries/providers").status == 401
