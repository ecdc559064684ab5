"""Issue 4 end to end over HTTP: from a passed application to a decided grade, with a decline on the way; the
grade and total are the ones the rules of DOMAIN.md give by hand."""

from __future__ import annotations

import requests

from tests.e2e.conftest import LocalStack, passed_application

CREDIT_CODE = "91350100M000300Y1X"  # check character computed for this test's own provider
KEYS = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]


def test_panel_scores_and_decision(local_stack: LocalStack) -> None:
    from grading.credit_code import check_character

    code = CREDIT_CODE[:17] + check_character(CREDIT_CODE[:17])
    api = local_stack.api
    provider = local_stack.headers("grading-provider", "providers")
    admin = local_stack.headers("grading-admin", "admins")
    category = "security_services"

    body = {
        "provider": {
            "name": "厦门安保服务有限公司",
            "credit_code": code,
            "category": category,
            "region": "福建省厦门市",
            "contact": {"name": "王五", "phone": "13900000000", "email": "wang@example.cn"},
        },
        "qualifications": [
            {"type": "保安服务许可证", "number": "BA-1", "issuer": "公安厅", "valid_until": "2031-01-01"}
        ],
    }
    app_id = passed_application(local_stack, body, provider)

    for i in range(6):
        expert = {"expert_id": f"sec-expert-{i}", "name": f"专家{i}", "specialties": [category]}
        assert requests.post(f"{api}/v1/experts", json=expert, headers=admin).status_code == 201
    drawn = requests.post(f"{api}/v1/applications/{app_id}/panel", headers=admin)
    assert drawn.status_code == 201, drawn.text
    leaving = drawn.json()["panel"][0]
    declined = requests.post(
        f"{api}/v1/applications/{app_id}/panel/decline",
        json={"reason": "近三年曾在该公司任职"},
        headers=local_stack.headers(leaving, "experts"),
    )
    assert declined.status_code == 200, declined.text
    members = declined.json()["panel"]
    assert leaving not in members and len(members) == 5

    # Scores per member, the same for every criterion except service quality:
    #   others: 90, 84, 86, 60, 98  -> drop 60 and 98 -> mean 86.67
    #   service quality: 80 for all -> mean 80 (below grade 1's minimum, which 86.67 would not reach anyway)
    # total = 0.8 * 86.666.. + 0.2 * 80 = 69.333.. + 16 = 85.33 -> grade 2
    for member, value in zip(members, [90, 84, 86, 60, 98], strict=True):
        scores = {k: value for k in KEYS} | {"service_quality": 80}
        reply = requests.put(
            f"{api}/v1/applications/{app_id}/scorecards/{member}",
            json={"scores": scores, "comment": "现场考察记录"},
            headers=local_stack.headers(member, "experts"),
        )
        assert reply.status_code == 200, reply.text
    decided = requests.post(f"{api}/v1/applications/{app_id}/decision", headers=admin)
    assert decided.status_code == 200, decided.text
    assert decided.json()["grade"] == 2 and decided.json()["total"] == "85.33"
    view = requests.get(f"{api}/v1/applications/{app_id}", headers=provider).json()
    assert view["status"] == "in_notice" and view["total"] == "85.33"
    explanation = view["explanation"]
    assert explanation["band"] == {"grade": 2, "min_total": "80"}
    assert [c["mean"] for c in explanation["criteria"]] == ["86.67", "86.67", "86.67", "86.67", "80.00"]
    assert "二级" in explanation["summary"]
    # Card totals 88, 83.2, 84.8, 64, 94.4: median 84.8; member 4 (64) is 20.8 away, more than 15: flagged.
    assert [f["expert_id"] for f in explanation["flags"]] == [members[3]]
    check = requests.get(f"{api}/v1/applications/{app_id}/panel", headers=admin).json()
    assert check["verification"]["matches"] is True and check["status"] == "closed"
