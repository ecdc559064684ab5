"""Issue 3 end to end over HTTP: apply, upload, get returned, resubmit, pass initial review; and the contract's
edges (no token, unknown route, the served OpenAPI document)."""

from __future__ import annotations

from datetime import date, timedelta

import requests

from tests.e2e.conftest import LocalStack

CREDIT_CODE = "91110000600037341L"
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


def body() -> dict:
    return {
        "provider": {
            "name": "北京测试服务有限公司",
            "credit_code": CREDIT_CODE,
            "category": "property_services",
            "region": "北京市",
            "contact": {"name": "李四", "phone": "+86 10 1234 5678", "email": "li@example.cn"},
        },
        "qualifications": [
            {
                "type": "物业服务企业资质",
                "number": "WY-001",
                "issuer": "北京市住建委",
                "valid_until": (date.today() + timedelta(days=365)).isoformat(),
            }
        ],
        "service_cases": [],
    }


def test_apply_upload_return_resubmit_pass(local_stack: LocalStack) -> None:
    api = local_stack.api
    provider = local_stack.headers("e2e-provider", "providers")
    reviewer = local_stack.headers("e2e-reviewer", "reviewers")

    created = requests.post(f"{api}/v1/applications", json=body(), headers={**provider, "Idempotency-Key": "e2e-1"})
    assert created.status_code == 201, created.text
    app_id = created.json()["application_id"]
    replay = requests.post(f"{api}/v1/applications", json=body(), headers={**provider, "Idempotency-Key": "e2e-1"})
    assert replay.json() == created.json()

    returned = requests.post(
        f"{api}/v1/applications/{app_id}/review",
        json={"decision": "return", "reasons": ["请上传营业执照"]},
        headers=reviewer,
    )
    assert returned.status_code == 200 and returned.json()["status"] == "returned"

    for kind in ("business_license", "qualification_certificate"):
        ticket = requests.post(
            f"{api}/v1/applications/{app_id}/documents",
            json={"kind": kind, "filename": f"{kind}.pdf", "content_type": "application/pdf", "size": len(PDF)},
            headers=provider,
        )
        assert ticket.status_code == 201, ticket.text
        form = ticket.json()
        assert form["url"].startswith(local_stack.backend)  # straight to the bucket, not through the API
        stored = requests.post(form["url"], data=form["fields"], files={"file": (f"{kind}.pdf", PDF)})
        assert stored.status_code in (200, 204), stored.text

    resubmitted = requests.post(f"{api}/v1/applications/{app_id}/resubmit", json={"note": "已补正"}, headers=provider)
    assert resubmitted.status_code == 200 and resubmitted.json()["status"] == "submitted"

    queue = requests.get(f"{api}/v1/applications", params={"status": "submitted"}, headers=reviewer).json()
    assert app_id in [item["application_id"] for item in queue["items"]]

    passed = requests.post(f"{api}/v1/applications/{app_id}/review", json={"decision": "pass"}, headers=reviewer)
    assert passed.status_code == 200, passed.text
    view = requests.get(f"{api}/v1/applications/{app_id}", headers=provider).json()
    assert view["status"] == "evaluating"
    assert [h["action"] for h in view["history"]] == ["submit", "return", "resubmit", "pass"]
    mine = requests.get(f"{api}/v1/me/applications", headers=provider).json()
    assert [i["application_id"] for i in mine["items"]] == [app_id]


def test_contract_edges(local_stack: LocalStack) -> None:
    api = local_stack.api
    no_token = requests.get(f"{api}/v1/me/applications")
    assert no_token.status_code == 401 and no_token.json()["error"]["code"] == "UNAUTHORIZED"
    unknown = requests.get(f"{api}/v1/unknown", headers=local_stack.headers("x", "providers"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"
    malformed = requests.post(
        f"{api}/v1/applications",
        data="{",
        headers={**local_stack.headers("x", "providers"), "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "MALFORMED_JSON"
    spec = requests.get(f"{api}/openapi.json").json()
    for path, method in [
        ("/v1/applications", "post"),
        ("/v1/applications", "get"),
        ("/v1/applications/{application_id}", "get"),
        ("/v1/applications/{application_id}/documents", "post"),
        ("/v1/applications/{application_id}/resubmit", "post"),
        ("/v1/applications/{application_id}/review", "post"),
        ("/v1/me/applications", "get"),
    ]:
        assert method in spec["paths"][path], (path, method)
    assert "ApplicationIn" in spec["components"]["schemas"]
    docs = requests.get(f"{api}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
