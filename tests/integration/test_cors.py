"""A browser app on another origin can call the API: preflights are answered without a token (API Gateway's mock,
played by the local runner from the template's Cors), and answers, errors included, carry the allowed origin."""

from __future__ import annotations

import pytest

from grading.http import build_app
from grading.routes import notices
from local.apigw import api_event
from tests.integration.conftest import PROVIDER, Api

ORIGIN = "https://console.example.cn"


def test_a_preflight_needs_no_token_and_allows_the_contract_headers(api: Api) -> None:
    reply = api.client.options(
        "/v1/applications",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x"},
    )
    assert reply.status_code == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in reply.headers["Access-Control-Allow-Methods"].split(",")
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(
        reply.headers["Access-Control-Allow-Headers"].split(",")
    )
    with_params = api.client.options("/v1/applications/ABC/review", headers={"Origin": ORIGIN})
    assert with_params.status_code == 200
    assert api.client.options("/v1/nowhere", headers={"Origin": ORIGIN}).status_code == 404


def test_answers_and_gateway_errors_carry_the_origin(api: Api) -> None:
    ok = api.call("GET", "/v1/me/applications", who=PROVIDER, headers={"Origin": ORIGIN})
    assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == "*"
    refused = api.call("GET", "/v1/me/applications", headers={"Origin": ORIGIN})
    assert refused.status == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"


def test_the_functions_allow_only_the_configured_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGIN", ORIGIN)
    app = build_app(notices.router)
    allowed = app.resolve(api_event("GET", "/v1/notices/NOPE", headers={"Origin": ORIGIN}), None)
    assert allowed["statusCode"] == 404
    assert allowed["multiValueHeaders"]["Access-Control-Allow-Origin"] == [ORIGIN]
    other = app.resolve(api_event("GET", "/v1/notices/NOPE", headers={"Origin": "https://evil.example"}), None)
    assert "Access-Control-Allow-Origin" not in (other.get("multiValueHeaders") or {})
