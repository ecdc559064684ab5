"""Who speaks for a provider (issue 15): the claim at the first pass, members instead of an owner, invitations,
removals and staff appointments, the lazy migration of `owner_sub`, and experts' own conflicts (回避)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grading import dal, members
from grading.audit import verify_chain
from grading.errors import Conflict
from grading.events import events_for
from grading.identity import Caller, Role
from grading.ids import new_id
from tests.integration.conftest import (
    ADMIN,
    CREDIT_CODE,
    OTHER_PROVIDER,
    PDF,
    PROVIDER,
    REVIEWER,
    Api,
    application_body,
    evaluating_application,
    register_experts,
    submit,
    upload,
)

COLLEAGUE = ("provider-3", "providers")


def _trail() -> list[dict[str, Any]]:
    return [json.loads(e.body) for e in dal.audit_entries(CREDIT_CODE)]


def _members(api: Api, who: tuple[str, str] = PROVIDER) -> list[tuple[str, str]]:
    reply = api.call("GET", f"/v1/providers/{CREDIT_CODE}/members", who=who)
    assert reply.status == 200, reply.body
    return [(m["sub"], m["role"]) for m in reply.body["items"]]


def _invite(api: Api, role: str = "member", who: tuple[str, str] = PROVIDER) -> dict[str, Any]:
    reply = api.call(
        "POST", f"/v1/providers/{CREDIT_CODE}/invitations", {"email": "li@example.cn", "role": role}, who=who
    )
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _join(api: Api, who: tuple[str, str] = COLLEAGUE, role: str = "member") -> None:
    reply = api.call("POST", f"/v1/invitations/{_invite(api, role)['code']}/accept", who=who)
    assert (reply.status, reply.body) == (200, {"credit_code": CREDIT_CODE, "role": role})


def _reject(api: Api, app_id: str) -> None:
    reply = api.call(
        "POST", f"/v1/applications/{app_id}/review", {"decision": "reject", "reasons": ["资料不实"]}, who=REVIEWER
    )
    assert reply.status == 200, reply.body


def test_the_first_pass_claims_the_provider_for_its_applicant(api: Api) -> None:
    app_id = submit(api)
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and not members.claimed(provider) and "owner_sub" not in provider
    # Before the pass nobody speaks for the provider record; the applicant sees its application only.
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=PROVIDER).status == 404
    assert api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).status == 200
    _reject(api, app_id)
    evaluating_application(api)
    assert _members(api) == [("provider-1", "admin")]
    member = dal.get_item(dal.member_key(CREDIT_CODE, "provider-1"))
    assert member is not None and member["email"] == "provider-1@example.local" and member["via"] == "claim"
    assert _trail()[-1]["action"] == "application.pass" and _trail()[-1]["data"]["claimed_by"] == "provider-1"


def test_an_application_changes_nothing_on_an_existing_provider_until_it_passes(api: Api) -> None:
    _reject(api, submit(api))
    before = dal.get_provider(CREDIT_CODE)
    body = application_body()
    body["provider"] |= {"name": "冒名顶替有限公司", "category": "legal_services", "region": "别处"}
    app_id = submit(api, body, who=OTHER_PROVIDER)  # unclaimed: another user may apply, and change nothing
    after = dal.get_provider(CREDIT_CODE)
    assert before is not None and after is not None
    unchanged = ("name", "category", "region", "claimed_at", "updated_at", "status")
    assert {k: after.get(k) for k in unchanged} == {k: before.get(k) for k in unchanged}
    assert after["audit_seq"] == before["audit_seq"] + 1  # only its audit entry
    assert api.call("GET", f"/v1/applications/{app_id}", who=PROVIDER).status == 404


def test_a_stranger_applying_for_a_claimed_code_gets_409_and_a_member_may_apply(api: Api) -> None:
    app_id = evaluating_application(api)
    stranger = api.call("POST", "/v1/applications", application_body(), who=OTHER_PROVIDER)
    assert stranger.status == 409 and stranger.body["error"]["code"] == "PROVIDER_CLAIMED"
    assert "ask the reviewers" in stranger.body["error"]["message"]
    _join(api)
    colleague = api.call("POST", "/v1/applications", application_body(), who=COLLEAGUE)
    assert colleague.status == 409 and colleague.body["error"]["code"] == "DUPLICATE_APPLICATION"  # the slot
    assert api.call("GET", f"/v1/applications/{app_id}", who=COLLEAGUE).status == 200
    mine = api.call("GET", "/v1/me/applications", who=COLLEAGUE)
    assert [a["application_id"] for a in mine.body["items"]] == [app_id]


def test_invitations_work_once_and_expire(api: Api) -> None:
    evaluating_application(api)
    invitation = _invite(api)
    expires = datetime.fromisoformat(invitation["expires_at"].replace("Z", "+00:00"))
    assert timedelta(days=6, hours=23) < expires - datetime.now(UTC) <= timedelta(days=7)
    stored = dal.get_item(dal.invitation_key(invitation["invitation_id"]))
    assert stored is not None and stored["email"] == "li@example.cn" and stored["code"] == invitation["code"]
    (event,) = events_for(None, {**stored, "type": "invitation"})
    assert event.detail_type == "MemberInvited" and "li@example.cn" not in str(event.detail)
    assert event.detail["credit_code"] == CREDIT_CODE and "code" not in event.detail

    forged = invitation["code"].split(".")[0] + ".00ff"
    assert api.call("POST", f"/v1/invitations/{forged}/accept", who=COLLEAGUE).status == 404
    assert api.call("POST", f"/v1/invitations/{invitation['code']}/accept", who=COLLEAGUE).status == 200
    again = api.call("POST", f"/v1/invitations/{invitation['code']}/accept", who=OTHER_PROVIDER)
    assert again.status == 409 and again.body["error"]["code"] == "INVITATION_USED"
    late = _invite(api)
    caller = Caller("provider-9", frozenset({Role.PROVIDER}))
    with pytest.raises(Conflict) as expired:
        members.accept(caller, late["code"], datetime.fromisoformat(late["expires_at"].replace("Z", "+00:00")))
    assert expired.value.code == "INVITATION_EXPIRED"
    assert _members(api) == [("provider-1", "admin"), ("provider-3", "member")]


def test_only_admins_invite_and_remove_and_never_the_last_admin(api: Api) -> None:
    evaluating_application(api)
    _join(api)
    member_invites = api.call("POST", f"/v1/providers/{CREDIT_CODE}/invitations", {"email": "a@b.cn"}, who=COLLEAGUE)
    assert member_invites.status == 403
    stranger = api.call("POST", f"/v1/providers/{CREDIT_CODE}/invitations", {"email": "a@b.cn"}, who=OTHER_PROVIDER)
    assert stranger.status == 404
    last = api.call("DELETE", f"/v1/providers/{CREDIT_CODE}/members/provider-1", who=PROVIDER)
    assert last.status == 409 and last.body["error"]["code"] == "LAST_ADMIN"
    assert api.call("DELETE", f"/v1/providers/{CREDIT_CODE}/members/provider-1", who=COLLEAGUE).status == 403
    gone = api.call("DELETE", f"/v1/providers/{CREDIT_CODE}/members/provider-3", who=PROVIDER)
    assert gone.status == 200 and [m["sub"] for m in gone.body["items"]] == ["provider-1"]
    # A former member is a stranger again: 404 on the provider, its members and its records.
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=COLLEAGUE).status == 404
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}/members", who=COLLEAGUE).status == 404
    assert api.call("GET", "/v1/me/applications", who=COLLEAGUE).body["items"] == []
    assert verify_chain(dal.audit_entries(CREDIT_CODE)) == []


def test_staff_settle_a_dispute_with_a_reason_and_it_is_audited(api: Api) -> None:
    evaluating_application(api)
    no_reason = api.call("DELETE", f"/v1/providers/{CREDIT_CODE}/members/provider-1", who=REVIEWER)
    assert no_reason.status == 422 and no_reason.body["error"]["details"][0]["field"] == "reason"
    body = {"role": "admin", "reason": "经核实营业执照，该公司法定代表人指定"}
    appointed = api.call("PUT", f"/v1/providers/{CREDIT_CODE}/members/provider-2", body, who=ADMIN)
    assert appointed.status == 200 and appointed.body["role"] == "admin"
    removed = api.call(
        "DELETE", f"/v1/providers/{CREDIT_CODE}/members/provider-1", who=REVIEWER, query={"reason": "冒用营业执照"}
    )
    assert removed.status == 200, removed.body
    assert _members(api, OTHER_PROVIDER) == [("provider-2", "admin")]
    demote = api.call("PUT", f"/v1/providers/{CREDIT_CODE}/members/provider-2", {**body, "role": "member"}, who=ADMIN)
    assert demote.status == 409 and demote.body["error"]["code"] == "LAST_ADMIN"
    trail = _trail()[-2:]
    assert [(e["action"], e["actor"], e["data"]["reason"]) for e in trail] == [
        ("member.appointed", "admin-1", body["reason"]),
        ("member.removed", "reviewer-1", "冒用营业执照"),
    ]
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=PROVIDER).status == 404


def _legacy_provider(api: Api) -> None:
    """A provider as the code before members wrote it: `owner_sub` on the record, no member items."""
    evaluating_application(api)
    for member in dal.members_of(CREDIT_CODE):
        dal.client().delete_item(TableName=dal.table_name(), Key=dal._ser(dal.member_key(CREDIT_CODE, member["sub"])))
    dal.client().update_item(
        TableName=dal.table_name(),
        Key=dal._ser(dal.provider_key(CREDIT_CODE)),
        UpdateExpression="SET owner_sub = :o REMOVE claimed_at, claimed_by",
        ExpressionAttributeValues={":o": {"S": "provider-1"}},
    )


def test_todays_owner_becomes_the_first_admin_lazily(api: Api) -> None:
    _legacy_provider(api)
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=PROVIDER).status == 200
    assert _members(api) == [("provider-1", "admin")]
    stranger = api.call("POST", "/v1/applications", application_body(), who=OTHER_PROVIDER)
    assert stranger.status == 409 and stranger.body["error"]["code"] == "PROVIDER_CLAIMED"
    _join(api)  # the first change of members writes the owner as a member item, in the same transaction
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and "owner_sub" not in provider and provider["claimed_at"]
    stored = {m["sub"]: m["role"] for m in dal.members_of(CREDIT_CODE)}
    assert stored == {"provider-1": "admin", "provider-3": "member"}
    invited = [e for e in _trail() if e["action"] == "member.invited"]
    assert invited[0]["data"]["migrated_owner"] == "provider-1"
    assert verify_chain(dal.audit_entries(CREDIT_CODE)) == []


def test_a_legacy_owner_whose_application_never_passed_has_not_claimed_the_provider(api: Api) -> None:
    """Before members, every submission set `owner_sub`: a submission is no claim (DOMAIN.md), only a pass is."""
    _reject(api, submit(api))
    dal.client().update_item(
        TableName=dal.table_name(),
        Key=dal._ser(dal.provider_key(CREDIT_CODE)),
        UpdateExpression="SET owner_sub = :o",
        ExpressionAttributeValues={":o": {"S": "provider-1"}},
    )
    provider = dal.get_provider(CREDIT_CODE)
    assert provider is not None and not members.claimed(provider) and members.legacy_admin(provider) is None
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}", who=PROVIDER).status == 404
    assert api.call("GET", f"/v1/providers/{CREDIT_CODE}/members", who=PROVIDER).status == 404
    app_id = submit(api, who=OTHER_PROVIDER)  # not PROVIDER_CLAIMED: nobody has claimed it
    for kind in ("business_license", "qualification_certificate"):
        ticket = api.call(
            "POST",
            f"/v1/applications/{app_id}/documents",
            {"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf", "size": len(PDF)},
            who=OTHER_PROVIDER,
        )
        assert ticket.status == 201 and upload(ticket.body, PDF) in (200, 204)
    assert api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER).status == 200
    assert _members(api, OTHER_PROVIDER) == [("provider-2", "admin")]
    after = dal.get_provider(CREDIT_CODE)
    assert after is not None and "owner_sub" not in after and after["claimed_by"] == "provider-2"


def _legacy_records(api: Api) -> tuple[str, str]:
    """A provider, its application and a rectification order as the code before members wrote them: no summary
    copy of the application under the provider (pattern 31 came with members), the order indexed by its owner's
    sub (`RECTS#<owner sub>`, with `owner_sub` on it). Returns (application id, order id)."""
    _legacy_provider(api)
    for summary in dal.applications_of_provider(CREDIT_CODE):
        key = dal.application_summary_key(CREDIT_CODE, summary["submitted_at"], summary["application_id"])
        dal.client().delete_item(TableName=dal.table_name(), Key=dal._ser(key))
    assert dal.applications_of_provider(CREDIT_CODE) == []
    (app,) = dal.applications_by_owner("provider-1", 10, None)[0]
    order = {
        "rectification_id": new_id(),
        "credit_code": CREDIT_CODE,
        "provider_name": "legacy",
        "owner_sub": "provider-1",
        "period": "2026-H1",
        "deadline": "2027-03-01",
        "status": "open",
        "opened_at": "2026-07-02T00:00:00Z",
        "reports": [],
    }
    item = {
        **dal.rectification_key(order["rectification_id"]),
        "type": "rectification",
        "GSI2PK": "RECTS#provider-1",
        "GSI2SK": f"{order['opened_at']}#{order['rectification_id']}",
        "DUE_PK": "DUE#RECT_DEADLINE",
        "DUE_SK": f"{order['deadline']}#{order['rectification_id']}",
        **order,
        "version": 1,
    }
    dal.client().put_item(TableName=dal.table_name(), Item=dal._ser(item))
    return str(app["application_id"]), str(order["rectification_id"])


def _mine(api: Api, what: str, who: tuple[str, str]) -> list[str]:
    reply = api.call("GET", f"/v1/me/{what}", who=who)
    assert reply.status == 200, reply.body
    field = "application_id" if what == "applications" else "rectification_id"
    return [i[field] for i in reply.body["items"]]


def test_the_migration_brings_the_owners_applications_and_orders_to_its_colleagues(api: Api) -> None:
    app_id, order_id = _legacy_records(api)
    assert (_mine(api, "applications", PROVIDER), _mine(api, "rectifications", PROVIDER)) == ([app_id], [order_id])
    _join(api)  # the move: the owner becomes an admin item, and what it alone could find is indexed by the provider
    for who in (PROVIDER, COLLEAGUE):
        assert _mine(api, "applications", who) == [app_id], who
        assert _mine(api, "rectifications", who) == [order_id], who
        assert api.call("GET", f"/v1/rectifications/{order_id}", who=who).status == 200
    stored = dal.get_item(dal.rectification_key(order_id))
    assert stored is not None and stored["status"] == "open" and stored["version"] == 1  # re-indexed, not rewritten
    _join(api, who=("provider-4", "providers"))  # a second change of members moves nothing twice
    assert [s["application_id"] for s in dal.applications_of_provider(CREDIT_CODE)] == [app_id]
    assert verify_chain(dal.audit_entries(CREDIT_CODE)) == []


def test_a_move_too_big_for_one_transaction_writes_the_rest_first(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    app_id, order_id = _legacy_records(api)
    monkeypatch.setattr(members, "MAX_TRANSACTION_ITEMS", 4)  # the invitation and the owner's item fill it
    _join(api)
    assert (_mine(api, "applications", COLLEAGUE), _mine(api, "rectifications", COLLEAGUE)) == ([app_id], [order_id])
    assert {m["sub"] for m in dal.members_of(CREDIT_CODE)} == {"provider-1", "provider-3"}


def test_an_expert_declares_its_own_conflict_and_the_draw_honours_it(api: Api) -> None:
    experts = register_experts(api, 4)
    app_id = evaluating_application(api)
    body = {"credit_code": CREDIT_CODE, "reason": "近三年曾在该公司任职"}
    other = api.call("POST", f"/v1/experts/{experts[1]}/conflicts", body, who=(experts[0], "experts"))
    assert other.status == 403
    declared = api.call("POST", f"/v1/experts/{experts[0]}/conflicts", body, who=(experts[0], "experts"))
    assert declared.status == 201 and CREDIT_CODE in declared.body["affiliations"]
    stored = dal.get_item(dal.expert_key(experts[0]))
    assert stored is not None and stored["declared_conflicts"][0]["reason"] == body["reason"]
    drawn = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert drawn.status == 201, drawn.body
    assert experts[0] not in drawn.body["candidates"] and sorted(drawn.body["panel"]) == sorted(experts[1:])


def test_an_admins_change_of_affiliations_keeps_what_the_expert_declared(api: Api) -> None:
    experts = register_experts(api, 4)
    app_id = evaluating_application(api)
    body = {"credit_code": CREDIT_CODE, "reason": "近三年曾在该公司任职"}
    assert api.call("POST", f"/v1/experts/{experts[0]}/conflicts", body, who=(experts[0], "experts")).status == 201
    other = "91110000600037341L"
    patched = api.call("PATCH", f"/v1/experts/{experts[0]}", {"affiliations": [other]}, who=ADMIN)
    assert patched.status == 200, patched.body
    assert sorted(patched.body["affiliations"]) == sorted([CREDIT_CODE, other])  # the declared one is kept
    stored = dal.get_item(dal.expert_key(experts[0]))
    assert stored is not None and sorted(stored["affiliations"]) == sorted([CREDIT_CODE, other])
    assert [c["credit_code"] for c in stored["declared_conflicts"]] == [CREDIT_CODE]
    cleared = api.call("PATCH", f"/v1/experts/{experts[0]}", {"affiliations": []}, who=ADMIN)
    assert cleared.status == 200 and cleared.body["affiliations"] == [CREDIT_CODE]
    drawn = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert drawn.status == 201, drawn.body
    assert experts[0] not in drawn.body["candidates"] and experts[0] not in drawn.body["panel"]
