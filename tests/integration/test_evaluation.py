"""EvaluationFunction against moto: experts, the verifiable draw, declines, scorecards, and the decision."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from grading import dal, evaluation, experts, panel
from grading.audit import verify_chain
from grading.errors import Conflict
from grading.identity import Caller, Role
from grading.models import ExpertIn
from tests.integration.conftest import (
    ADMIN,
    CREDIT_CODE,
    PROVIDER,
    REVIEWER,
    Api,
    evaluating_application,
    register_experts,
)

KEYS = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]


def expert(expert_id: str) -> tuple[str, str]:
    return (expert_id, "experts")


def card(value: int | str, **extra: Any) -> dict[str, Any]:
    return {"scores": {k: value for k in KEYS}, "comment": "现场考察情况良好", **extra}


def draw(api: Api, app_id: str) -> dict[str, Any]:
    reply = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def score_all(api: Api, app_id: str, members: list[str], values: list[int]) -> None:
    for member, value in zip(members, values, strict=True):
        reply = api.call("PUT", f"/v1/applications/{app_id}/scorecards/{member}", card(value), who=expert(member))
        assert reply.status == 200, reply.body


def test_draw_is_recorded_and_recomputable(api: Api) -> None:
    register_experts(api, 8)
    register_experts(api, 3, category="catering")  # another category: never eligible
    app_id = evaluating_application(api)
    drawn = draw(api, app_id)
    assert len(drawn["panel"]) == 5 and drawn["candidates"] == sorted(drawn["candidates"])
    assert len(drawn["candidates"]) == 8
    assert drawn["panel"] == panel.draw(drawn["seed"], drawn["candidates"], 5)
    checked = api.call("GET", f"/v1/applications/{app_id}/panel", who=REVIEWER)
    assert checked.body["verification"]["matches"] is True
    again = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert again.status == 409 and again.body["error"]["code"] == "PANEL_EXISTS"


def test_conflicts_and_inactive_experts_are_excluded(api: Api) -> None:
    ids = register_experts(api, 6)
    api.call("PATCH", f"/v1/experts/{ids[0]}", {"affiliations": [CREDIT_CODE]}, who=ADMIN)
    api.call("PATCH", f"/v1/experts/{ids[1]}", {"active": False}, who=ADMIN)
    api.call("PATCH", f"/v1/experts/{ids[2]}", {"specialties": ["catering"]}, who=ADMIN)
    app_id = evaluating_application(api)
    drawn = draw(api, app_id)
    assert drawn["candidates"] == ids[3:]
    assert drawn["panel"] == sorted(drawn["panel"], key=lambda e: panel.rank(drawn["seed"], ids[3:]).index(e))


def test_the_pool_of_a_category_follows_its_experts(api: Api) -> None:
    """One pool item per category: registering, moving and deactivating experts keep it exact."""
    ids = register_experts(api, 3)
    api.call("PATCH", f"/v1/experts/{ids[0]}", {"specialties": ["catering"]}, who=ADMIN)
    api.call("PATCH", f"/v1/experts/{ids[1]}", {"active": False}, who=ADMIN)
    members = dal.pool_members(dal.get_item(dal.pool_key("it_services")))
    assert [(m["expert_id"], m["active"]) for m in members] == [(ids[1], False), (ids[2], True)]
    assert [m["expert_id"] for m in dal.pool_members(dal.get_item(dal.pool_key("catering")))] == [ids[0]]


def test_an_expert_registered_while_another_one_changes_the_pool_is_registered_on_retry(
    api: Api, monkeypatch: Any
) -> None:
    real_write, attempts = dal.write, []

    def pool_busy_once(*items: dict[str, Any]) -> None:
        attempts.append(len(items))
        if len(attempts) == 1:
            raise dal.TransactionConflict(["pool:it_services"])  # another admin's change to the same pool item
        real_write(*items)

    monkeypatch.setattr(dal, "write", pool_busy_once)
    body = {"expert_id": "exp-retry", "name": "专家", "specialties": ["it_services"]}
    admin = Caller("admin", frozenset({Role.ADMIN}))
    created = experts.register_expert(admin, ExpertIn(**body), datetime.now(UTC))
    assert created.expert_id == "exp-retry" and len(attempts) == 2
    assert [m["expert_id"] for m in dal.pool_members(dal.get_item(dal.pool_key("it_services")))] == ["exp-retry"]


def test_too_few_experts_is_a_clear_409(api: Api) -> None:
    register_experts(api, 2)
    app_id = evaluating_application(api)
    reply = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert reply.status == 409 and reply.body["error"]["code"] == "NOT_ENOUGH_EXPERTS"
    assert "only 2 eligible" in reply.body["error"]["message"]
    assert api.call("POST", f"/v1/applications/{app_id}/panel", who=REVIEWER).status == 403


def test_decline_draws_the_next_in_rank(api: Api) -> None:
    register_experts(api, 7)
    app_id = evaluating_application(api)
    drawn = draw(api, app_id)
    leaving = drawn["panel"][0]
    reply = api.call(
        "POST", f"/v1/applications/{app_id}/panel/decline", {"reason": "与该公司有业务往来"}, who=expert(leaving)
    )
    assert reply.status == 200, reply.body
    expected = panel.replacement(drawn["seed"], drawn["candidates"], drawn["panel"])
    assert reply.body["declines"][0]["replacement"] == expected
    assert leaving not in reply.body["panel"] and expected in reply.body["panel"]
    assert api.call("GET", f"/v1/applications/{app_id}/panel", who=ADMIN).body["verification"]["matches"]
    outsider = next(c for c in drawn["candidates"] if c not in reply.body["panel"] and c != leaving)
    refused = api.call("POST", f"/v1/applications/{app_id}/panel/decline", {"reason": "x"}, who=expert(outsider))
    assert refused.status == 404 and refused.body["error"]["code"] == "NOT_FOUND"  # as the matrix: not told it exists


def test_scorecards_are_checked_against_the_scheme(api: Api) -> None:
    register_experts(api, 5)
    app_id = evaluating_application(api)
    member = draw(api, app_id)["panel"][0]
    path = f"/v1/applications/{app_id}/scorecards/{member}"
    bad = {"scores": {"reputation": 101, "made_up": 50}, "comment": "x", "veto": {"item": "nope", "reason": "r"}}
    reply = api.call("PUT", path, bad, who=expert(member))
    assert reply.status == 422
    nan = api.call("PUT", path, card("NaN"), who=expert(member))
    assert nan.status == 422
    missing = api.call("PUT", path, {"scores": {"reputation": 80}, "comment": "x"}, who=expert(member))
    assert missing.status == 422
    assert {d["field"] for d in missing.body["error"]["details"]} >= {"scores.service_quality"}
    # Someone else's card, or not an expert at all.
    assert api.call("PUT", path, card(80), who=expert("expert-it_services-99")).status == 403
    assert api.call("PUT", path, card(80), who=PROVIDER).status == 403  # API.md: wrong group
    first = api.call("PUT", path, card(80), who=expert(member))
    second = api.call("PUT", path, card(85), who=expert(member))
    assert first.body["revision"] == 1 and second.body["revision"] == 2


def test_off_panel_expert_cannot_score(api: Api) -> None:
    ids = register_experts(api, 6)
    app_id = evaluating_application(api)
    drawn = draw(api, app_id)
    outsider = next(i for i in ids if i not in drawn["panel"])
    reply = api.call("PUT", f"/v1/applications/{app_id}/scorecards/{outsider}", card(80), who=expert(outsider))
    assert reply.status == 404 and reply.body["error"]["code"] == "NOT_FOUND"  # as the matrix: not told it exists


def test_decision_by_hand_and_late_cards(api: Api) -> None:
    register_experts(api, 5)
    app_id = evaluating_application(api)
    members = draw(api, app_id)["panel"]
    score_all(api, app_id, members[:4], [95, 88, 92, 70])
    early = api.call("POST", f"/v1/applications/{app_id}/decision", who=ADMIN)
    assert early.status == 409 and early.body["error"]["code"] == "CARDS_MISSING"
    assert early.body["error"]["details"] == [{"field": f"scorecards.{members[4]}", "message": "missing"}]
    score_all(api, app_id, members[4:], [99])
    decided = api.call("POST", f"/v1/applications/{app_id}/decision", who=ADMIN)
    assert decided.status == 200, decided.body
    # Per criterion: drop 70 and 99, mean(95, 88, 92) = 91.67; all criteria equal -> total 91.67 -> grade 1.
    assert decided.body["grade"] == 1 and decided.body["total"] == "91.67" and decided.body["notice_id"]
    view = api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).body
    assert view["status"] == "in_notice" and view["grade"] == 1 and view["total"] == "91.67"
    assert view["explanation"]["criteria"][0]["dropped"] and view["explanation"]["scheme_version"] == "v1"
    late = api.call("PUT", f"/v1/applications/{app_id}/scorecards/{members[0]}", card(10), who=expert(members[0]))
    assert late.status == 409 and late.body["error"]["code"] == "PANEL_CLOSED"
    again = api.call("POST", f"/v1/applications/{app_id}/decision", who=ADMIN)
    assert again.status == 409
    notice = dal.get_item(dal.notice_key(decided.body["notice_id"]))
    assert notice and notice["entries"][0]["grade"] == 1
    provider = dal.get_provider(CREDIT_CODE)
    assert provider and sorted(provider["last_evaluation_experts"]) == sorted(members)
    entries = dal.audit_entries(CREDIT_CODE)
    assert verify_chain(entries, provider["audit_head"]) == []
    assert entries[-1].fields["action"] == "application.decided"


def test_veto_means_not_graded_and_frees_the_credit_code(api: Api) -> None:
    register_experts(api, 3)
    app_id = evaluating_application(api)
    members = draw(api, app_id)["panel"]
    score_all(api, app_id, members[1:], [95, 95])
    veto = card(95, veto={"item": "forged_documents", "reason": "资质证书编号查无此证"})
    assert (
        api.call("PUT", f"/v1/applications/{app_id}/scorecards/{members[0]}", veto, who=expert(members[0])).status
        == 200
    )
    decided = api.call("POST", f"/v1/applications/{app_id}/decision", who=ADMIN).body
    assert decided["grade"] is None and decided["notice_id"] is None and decided["status"] == "not_graded"
    assert "一票否决" in decided["explanation"]["summary"]
    assert dal.get_provider_and_slot(CREDIT_CODE)[1] is None


def test_previous_panel_is_excluded_next_time(api: Api) -> None:
    register_experts(api, 8)
    app_id = evaluating_application(api)
    first = draw(api, app_id)["panel"][:3]
    # Decide with a veto so the credit code is free to apply again.
    members = api.call("GET", f"/v1/applications/{app_id}/panel", who=ADMIN).body["panel"]
    for m in members:
        body = card(90, veto={"item": "forged_documents", "reason": "x"}) if m == members[0] else card(90)
        api.call("PUT", f"/v1/applications/{app_id}/scorecards/{m}", body, who=expert(m))
    api.call("POST", f"/v1/applications/{app_id}/decision", who=ADMIN)
    second_app = evaluating_application(api)
    second = draw(api, second_app)
    assert not set(second["candidates"]) & set(members) and len(second["candidates"]) == 3
    assert set(first) <= set(members)


def test_concurrent_decisions_one_wins(api: Api) -> None:
    register_experts(api, 3)
    app_id = evaluating_application(api)
    members = draw(api, app_id)["panel"]
    score_all(api, app_id, members, [80, 82, 84])
    admin = Caller("admin-1", frozenset({Role.ADMIN}))
    outcomes: list[Any] = []

    def attempt() -> None:
        try:
            outcomes.append(evaluation.make_decision(admin, app_id, datetime.now(UTC)).total)
        except Conflict as lost:
            outcomes.append(lost.code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("82.00") == 1, outcomes
    assert set(outcomes) - {"82.00"} <= {"INVALID_STATE", "PANEL_CLOSED", "CONCURRENT_CHANGE"}
    decided = [e for e in dal.audit_entries(CREDIT_CODE) if e.fields["action"] == "application.decided"]
    assert len(decided) == 1


def test_a_new_scheme_version_applies_to_new_applications_only(api: Api) -> None:
    register_experts(api, 3)
    old_app = evaluating_application(api)
    draft = experts.current_scheme().model_dump(mode="json", exclude={"version"})
    draft["bands"] = [{"grade": 1, "min_total": 95}, {"grade": 2, "min_total": 85}, {"grade": 3, "min_total": 75}]
    draft["minimums"] = {}
    created = api.call("POST", "/v1/schemes", draft, who=ADMIN)
    assert created.status == 201 and created.body["version"] == "v2"
    assert api.call("POST", "/v1/schemes", draft, who=REVIEWER).status == 403
    assert api.call("GET", "/v1/schemes/current", who=PROVIDER).body["version"] == "v2"
    members = draw(api, old_app)["panel"]
    score_all(api, old_app, members, [90, 90, 90])
    decided = api.call("POST", f"/v1/applications/{old_app}/decision", who=ADMIN).body
    assert decided["grade"] == 1 and decided["explanation"]["scheme_version"] == "v1"
    assert Decimal(decided["total"]) == Decimal("90.00")
