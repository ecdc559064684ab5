"""The takeover of issue 15, over HTTP against `make serve`'s stack: a company's application passes (the slot is
free again once it is decided), then a stranger applies with the company's credit code. Before organisations, the
submission rewrote the provider's owner, name and category: the stranger read the company's record and the
company got 404. Now the credit code is claimed by its members: the stranger gets 409 PROVIDER_CLAIMED, and the
record, its members and who may read it stay as they were. A colleague joins by invitation and takes over."""

from __future__ import annotations

import requests

from grading.credit_code import check_character
from tests.e2e.conftest import LocalStack, passed_application

KEYS = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]
CATEGORY = "cleaning_services"


def _body(cc: str, name: str, category: str = CATEGORY) -> dict:
    return {
        "provider": {
            "name": name,
            "credit_code": cc,
            "category": category,
            "region": "福建省厦门市",
            "contact": {"name": "王五", "phone": "13900000000", "email": "wang@example.cn"},
        },
        "qualifications": [{"type": "保洁资质", "number": "BJ-1", "issuer": "行业协会", "valid_until": "2031-01-01"}],
    }


def _decided_not_graded(stack: LocalStack, app_id: str) -> None:
    """Through the panel to a decision (low scores: not graded), which frees the credit code's slot."""
    api, admin = stack.api, stack.headers("takeover-admin", "admins")
    for i in range(3):
        requests.post(
            f"{api}/v1/experts",
            json={"expert_id": f"takeover-expert-{i}", "name": f"专家{i}", "specialties": [CATEGORY]},
            headers=admin,
        )
    panel = requests.post(f"{api}/v1/applications/{app_id}/panel", headers=admin)
    assert panel.status_code == 201, panel.text
    for member in panel.json()["panel"]:
        card = {"scores": dict.fromkeys(KEYS, 40), "comment": "不足"}
        reply = requests.put(
            f"{api}/v1/applications/{app_id}/scorecards/{member}", json=card, headers=stack.headers(member, "experts")
        )
        assert reply.status_code == 200, reply.text
    decided = requests.post(f"{api}/v1/applications/{app_id}/decision", headers=admin)
    assert decided.status_code == 200 and decided.json()["grade"] is None, decided.text


def test_a_stranger_cannot_take_over_a_passed_company(local_stack: LocalStack) -> None:
    api = local_stack.api
    cc = "9135020000000015" + "0"
    cc += check_character(cc)
    company = local_stack.headers("acme-founder", "providers")
    stranger = local_stack.headers("takeover-stranger", "providers")
    app_id = passed_application(local_stack, _body(cc, "厦门洁净服务有限公司"), company)
    _decided_not_graded(local_stack, app_id)

    taken = requests.post(f"{api}/v1/applications", json=_body(cc, "冒名公司", "it_services"), headers=stranger)
    assert taken.status_code == 409, taken.text
    assert taken.json()["error"]["code"] == "PROVIDER_CLAIMED"

    own = requests.get(f"{api}/v1/providers/{cc}", headers=company)
    assert own.status_code == 200, own.text
    assert (own.json()["name"], own.json()["category"]) == ("厦门洁净服务有限公司", CATEGORY)
    assert requests.get(f"{api}/v1/providers/{cc}", headers=stranger).status_code == 404
    assert requests.get(f"{api}/v1/applications/{app_id}", headers=stranger).status_code == 404
    members = requests.get(f"{api}/v1/providers/{cc}/members", headers=company).json()["items"]
    assert [(m["sub"], m["role"]) for m in members] == [("acme-founder", "admin")]

    # The founder leaves; a colleague joins by invitation and takes over as admin.
    colleague = local_stack.headers("acme-colleague", "providers")
    invited = requests.post(
        f"{api}/v1/providers/{cc}/invitations", json={"email": "li@example.cn", "role": "admin"}, headers=company
    )
    assert invited.status_code == 201, invited.text
    code = invited.json()["code"]
    assert requests.post(f"{api}/v1/invitations/{code}/accept", headers=stranger).json() == {
        "credit_code": cc,
        "role": "admin",
    }
    again = requests.post(f"{api}/v1/invitations/{code}/accept", headers=colleague)
    assert again.status_code == 409 and again.json()["error"]["code"] == "INVITATION_USED"
    # (the stranger held the code: the admin removes them, invites the colleague, and leaves)
    removed = requests.delete(f"{api}/v1/providers/{cc}/members/takeover-stranger", headers=company)
    assert removed.status_code == 200, removed.text
    code = requests.post(
        f"{api}/v1/providers/{cc}/invitations", json={"email": "li@example.cn", "role": "admin"}, headers=company
    ).json()["code"]
    assert requests.post(f"{api}/v1/invitations/{code}/accept", headers=colleague).status_code == 200
    assert requests.delete(f"{api}/v1/providers/{cc}/members/acme-founder", headers=colleague).status_code == 200
    assert requests.get(f"{api}/v1/providers/{cc}", headers=colleague).status_code == 200
    assert requests.get(f"{api}/v1/providers/{cc}", headers=company).status_code == 404
    assert requests.get(f"{api}/v1/providers/{cc}", headers=stranger).status_code == 404
    last = requests.delete(f"{api}/v1/providers/{cc}/members/acme-colleague", headers=colleague)
    assert last.status_code == 409 and last.json()["error"]["code"] == "LAST_ADMIN"
    mine = requests.get(f"{api}/v1/me/applications", headers=colleague).json()["items"]
    assert [a["application_id"] for a in mine] == [app_id]
