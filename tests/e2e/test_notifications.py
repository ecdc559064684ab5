"""Issue 18 over HTTP against `python -m local serve`: a returned application's contact finds the reasons and the
deadline in the local outbox (GET /_local/outbox), sent by NotifierFunction through the template's rule and queue
as `make serve` plays them; and a reviewer registered by an admin hears of the resubmission."""

from __future__ import annotations

import requests

from grading.credit_code import check_character
from tests.e2e.conftest import LocalStack


def outbox(stack: LocalStack, to: str) -> list[dict]:
    assert requests.post(f"{stack.api}/_local/drain", params={"timeout": 60}, timeout=120).status_code == 200
    items = requests.get(f"{stack.api}/_local/outbox", timeout=30).json()["items"]
    assert all(set(m) >= {"to", "subject", "text", "html", "sent_at"} for m in items)
    return [m for m in items if to in m["to"]]


def test_a_returned_application_contact_finds_reasons_and_deadline_in_the_outbox(local_stack: LocalStack) -> None:
    api = local_stack.api
    cc = "9144010100000044" + "0"
    cc += check_character(cc)
    contact = "e2e.notify@example.cn"
    admin = local_stack.headers("e2e-notify-admin", "admins")
    reviewer = local_stack.headers("e2e-notify-reviewer", "reviewers")
    provider = local_stack.headers("e2e-notify-provider", "providers")
    registered = requests.put(
        f"{api}/v1/reviewers/e2e-notify-reviewer", json={"name": "周审核", "email": "zhou@example.cn"}, headers=admin
    )
    assert registered.status_code == 200, registered.text
    body = {
        "provider": {
            "name": "厦门通知测试有限公司",
            "credit_code": cc,
            "category": "it_services",
            "region": "福建省厦门市",
            "contact": {"name": "陈七", "phone": "13900000000", "email": contact},
        },
        "qualifications": [{"type": "ISO 9001", "number": "N-1", "issuer": "认证中心", "valid_until": "2031-01-01"}],
        "service_cases": [{"client": "某区政府", "description": "运维", "year": 2025}],
    }
    created = requests.post(f"{api}/v1/applications", json=body, headers=provider)
    assert created.status_code == 201, created.text
    app_id = created.json()["application_id"]
    reasons = ["请上传营业执照", "资质证书扫描件不清晰"]
    returned = requests.post(
        f"{api}/v1/applications/{app_id}/review",
        json={"decision": "return", "reasons": reasons, "deadline": "2027-01-15"},
        headers=reviewer,
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned", returned.text

    [mail] = outbox(local_stack, contact)
    assert mail["to"] == [contact]
    assert mail["subject"] == "【补正通知】厦门通知测试有限公司的申请需补充材料，请于2027-01-15前补正"
    assert "  1. 请上传营业执照\n  2. 资质证书扫描件不清晰\n" in mail["text"]
    assert "补正截止日期：2027-01-15" in mail["text"] and "<strong>补正截止日期：2027-01-15</strong>" in mail["html"]
    assert mail["sent_at"]

    resubmitted = requests.post(f"{api}/v1/applications/{app_id}/resubmit", json={"note": "已补正"}, headers=provider)
    assert resubmitted.status_code == 200, resubmitted.text
    told = [m["subject"] for m in outbox(local_stack, "zhou@example.cn")]
    assert "【待审核】厦门通知测试有限公司的申请已补正，等待初步审核" in told
    assert len(outbox(local_stack, contact)) == 1  # nothing more for the provider: it acted
