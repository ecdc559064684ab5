"""Integration level: the real functions, routed as the template says, against a moto backend built from
template.yaml. Requests go through the local API Gateway's WSGI app in-process (no sockets to the API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import boto3
import pytest
import requests
from werkzeug.test import Client

from local.apigw import make_token
from local.backend import LocalBackend
from local.host import FunctionHost
from local.server import ApiServer
from local.template import Stack


@pytest.fixture(autouse=True)
def _fresh_backend(backend: LocalBackend) -> None:
    backend.reset()


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Api:
    """Calls the API as a client would: a path, a body, and who is calling."""

    def __init__(self, stack: Stack, host: FunctionHost) -> None:
        self.client = Client(ApiServer(stack, host))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        who: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        raw: str | None = None,
    ) -> Reply:
        all_headers = dict(headers or {})
        if who:
            all_headers["Authorization"] = f"Bearer {make_token(who[0], who[1])}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        response = self.client.open(path, method=method, data=data, headers=all_headers, query_string=query)
        text = response.get_data(as_text=True)
        return Reply(response.status_code, json.loads(text) if text else None, dict(response.headers))


@pytest.fixture
def api(stack: Stack, host: FunctionHost) -> Api:
    return Api(stack, host)


PROVIDER = ("provider-1", "providers")
OTHER_PROVIDER = ("provider-2", "providers")
REVIEWER = ("reviewer-1", "reviewers")
ADMIN = ("admin-1", "admins")
EXPERT = ("expert-1", "experts")
CREDIT_CODE = "91350100M000100Y43"
PDF = b"%PDF-1.4\n% test document\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def application_body(credit_code: str = CREDIT_CODE, valid_days: int = 400) -> dict[str, Any]:
    return {
        "provider": {
            "name": "福州云服务有限公司",
            "credit_code": credit_code,
            "category": "it_services",
            "region": "福建省福州市",
            "contact": {"name": "张三", "phone": "13800000000", "email": "zhang@example.cn"},
        },
        "qualifications": [
            {
                "type": "ISO 9001",
                "number": "Q-2026-001",
                "issuer": "中国质量认证中心",
                "valid_until": (date.today() + timedelta(days=valid_days)).isoformat(),
            }
        ],
        "service_cases": [{"client": "某市政府", "description": "政务云运维", "year": 2025}],
    }


def upload(ticket: dict[str, Any], content: bytes, content_type: str | None = None) -> int:
    """POST the file to the presigned form, as a browser would."""
    fields = dict(ticket["fields"])
    if content_type:
        fields["Content-Type"] = content_type
    response = requests.post(ticket["url"], data=fields, files={"file": ("f", content)}, timeout=30)
    return response.status_code


def s3() -> Any:
    return boto3.client("s3")


def submit(api: Api, body: dict[str, Any] | None = None, who: tuple[str, str] = PROVIDER) -> str:
    reply = api.call("POST", "/v1/applications", body or application_body(), who=who)
    assert reply.status == 201, reply.body
    return str(reply.body["application_id"])


def add_document(
    api: Api, app_id: str, kind: str, content: bytes = PDF, content_type: str = "application/pdf", declared: int = 0
) -> dict:
    reply = api.call(
        "POST",
        f"/v1/applications/{app_id}/documents",
        {"kind": kind, "filename": f"{kind}.pdf", "content_type": content_type, "size": declared or len(content)},
        who=PROVIDER,
    )
    assert reply.status == 201, reply.body
    assert upload(reply.body, content) in (200, 204)
    return dict(reply.body)


def evaluating_application(api: Api, credit_code: str = CREDIT_CODE) -> str:
    """An application that passed initial review: the state a panel is drawn in."""
    app_id = submit(api, application_body(credit_code=credit_code))
    add_document(api, app_id, "business_license")
    add_document(api, app_id, "qualification_certificate")
    reply = api.call("POST", f"/v1/applications/{app_id}/review", {"decision": "pass"}, who=REVIEWER)
    assert reply.status == 200, reply.body
    return app_id


def register_experts(api: Api, count: int, category: str = "it_services", **extra: Any) -> list[str]:
    ids = [f"expert-{category}-{i:02d}" for i in range(count)]
    for expert_id in ids:
        body = {"expert_id": expert_id, "name": f"专家{expert_id}", "specialties": [category], **extra}
        reply = api.call("POST", "/v1/experts", body, who=ADMIN)
        assert reply.status == 201, reply.body
    return ids


def in_notice_application(api: Api, credit_code: str = CREDIT_CODE, score: int = 90) -> tuple[str, str]:
    """An application decided with grade and a public notice open: (application_id, notice_id)."""
    from grading import dal

    if not dal.pool_members(dal.get_item(dal.pool_key("it_services"))):
        register_experts(api, 6)
    app_id = evaluating_application(api, credit_code)
    drawn = api.call("POST", f"/v1/applications/{app_id}/panel", who=ADMIN)
    assert drawn.status == 201, drawn.body
    keys = ["reputation", "technical_capability", "service_experience", "qualifications", "service_quality"]
    for member in drawn.body["panel"]:
        card = {"scores": {k: score for k in keys}, "comment": "良好"}
        reply = api.call("PUT", f"/v1/applications/{app_id}/scorecards/{member}", card, who=(member, "experts"))
        assert reply.status == 200, reply.body
    decided = api.call("POST", f"/v1/applications/{app_id}/decision", who=ADMIN)
    assert decided.status == 200 and decided.body["notice_id"], decided.body
    return app_id, decided.body["notice_id"]


@pytest.fixture
def bus() -> Iterator[Any]:
    """Everything our source puts on the default bus, routed into a queue; call it to read what arrived."""
    sqs, events = boto3.client("sqs"), boto3.client("events")
    url = sqs.create_queue(QueueName="observed-domain-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="observe", EventPattern=json.dumps({"source": ["provider-grading"]}))
    events.put_targets(Rule="observe", Targets=[{"Id": "q", "Arn": arn}])

    def read() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            found.extend(json.loads(m["Body"]) for m in batch)
        return found

    yield read


def indicators(passing: bool) -> dict[str, Any]:
    quality = 95 if passing else 30
    return {
        "service_quality": quality,
        "satisfaction": {
            "satisfied": 90 if passing else 10,
            "basically_satisfied": 5,
            "dissatisfied": 5 if passing else 85,
        },
        "complaints": {"upheld": 0, "orders": 200},
        "market_competitiveness": quality,
        "spot_checks": [{"kind": "unannounced", "passed": passing}],
        "major_incident": False,
    }
