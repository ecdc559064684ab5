"""/openapi.json is a contract a client can be generated from: each operation's success response with its schema,
one Error schema on every error response, `security: []` exactly on the template's public routes, readable and
unique operationIds, and `servers` pointing where the document was served from."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate

from grading.contract import server_url
from local.apigw import api_event
from local.template import Stack
from tests.integration.conftest import Api

ERROR_REF = {"$ref": "#/components/schemas/Error"}
SKIP = {"/openapi.json", "/docs"}


@pytest.fixture
def document(api: Api) -> dict[str, Any]:
    reply = api.call("GET", "/openapi.json")
    assert reply.status == 200
    return dict(reply.body)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in document["paths"].items() for m, op in ops.items()]


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")
    assert len(operations(document)) >= 39


def test_every_operation_documents_one_success_with_its_schema(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        successes = {int(code): r for code, r in op["responses"].items() if int(code) < 400}
        assert len(successes) == 1, f"{method} {path}: {sorted(successes)}"
        ((code, response),) = successes.items()
        if code in (204, 302):
            assert not response.get("content"), f"{method} {path}"
            continue
        ((media, content),) = response["content"].items()
        schema = content["schema"]
        if media == "application/json":
            assert "$ref" in schema, f"{method} {path} answers {code} without a model: {schema}"
            assert schema != ERROR_REF
        else:
            assert media == "text/html" and schema == {"type": "string"}, f"{method} {path}"


def test_every_error_response_is_the_error_schema(document: dict[str, Any]) -> None:
    for method, path, op in operations(document):
        errors = {int(code): r for code, r in op["responses"].items() if int(code) >= 400}
        assert {422, 429, 500} <= set(errors), f"{method} {path}"
        if "{" in path:
            assert 404 in errors, f"{method} {path}"
        if "requestBody" in op:
            assert {400, 415} <= set(errors), f"{method} {path}"
        for code, response in errors.items():
            assert response["content"] == {"application/json": {"schema": ERROR_REF}}, f"{method} {path} {code}"
            assert response["description"] and response["description"] != "Validation Error"
    schemas = document["components"]["schemas"]
    error = schemas["Error"]
    assert error["required"] == ["error"] and error["properties"]["error"] == {"$ref": "#/components/schemas/ErrorInfo"}
    info = schemas["ErrorInfo"]
    assert sorted(info["required"]) == ["code", "details", "message"]
    assert info["properties"]["details"]["type"] == "array"
    # Powertools' own validation-error models describe answers this API never gives: not in the document.
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)


def test_public_routes_need_no_token_and_the_others_do(document: dict[str, Any], stack: Stack) -> None:
    public = {(r.method, r.path) for f in stack.functions.values() for r in f.routes if r.public and r.path not in SKIP}
    assert len(public) >= 5
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for method, path, op in operations(document):
        if (method, path) in public:
            assert op["security"] == [], f"{method} {path} is public in template.yaml"
            assert not {"401", "403"} & set(op["responses"]), f"{method} {path}"
        else:
            assert "security" not in op, f"{method} {path} needs a token (the document's default)"
            assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
            assert "x-amazon-apigateway-auth" not in op


def test_operation_ids_are_readable_and_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", operation_id), operation_id
        assert len(operation_id) <= 40, operation_id
    by_route = {(m, p): op["operationId"] for m, p, op in operations(document)}
    assert by_route["POST", "/v1/applications"] == "submitApplication"
    assert by_route["GET", "/v1/applications/{application_id}"] == "getApplication"
    assert by_route["GET", "/v1/certificates/{number}/pdf"] == "getCertificatePdf"


def test_created_and_accepted_answers_are_documented_as_such(document: dict[str, Any]) -> None:
    codes = {(m, p): sorted(int(c) for c in op["responses"] if int(c) < 400) for m, p, op in operations(document)}
    assert codes["POST", "/v1/applications"] == [201]
    assert codes["POST", "/v1/experts"] == [201]
    assert codes["POST", "/v1/applications/{application_id}/panel"] == [201]
    assert codes["POST", "/v1/regradings"] == [202]
    assert codes["GET", "/v1/certificates/{number}/pdf"] == [302]
    assert codes["GET", "/v1/applications/{application_id}"] == [200]


def test_servers_is_where_the_document_was_served(api: Api) -> None:
    assert api.call("GET", "/openapi.json").body["servers"] == [{"url": "http://localhost"}]
    served = api.call("GET", "/openapi.json", headers={"Host": "127.0.0.1:3123"}).body["servers"]
    assert served == [{"url": "http://127.0.0.1:3123"}]


def test_servers_on_aws_is_the_stage_url() -> None:
    host = "abc123.execute-api.eu-west-1.amazonaws.com"
    event = api_event("GET", "/openapi.json", headers={"Host": host, "X-Forwarded-Proto": "https"}, stage="prod")
    assert server_url(event) == f"https://{host}/prod"
    custom = api_event("GET", "/openapi.json", headers={"Host": "api.example.cn"}, base_path="")
    assert server_url(custom) == "https://api.example.cn"
    hostile = api_event("GET", "/openapi.json", headers={"Host": "evil.example/<script>"}, base_path="")
    assert server_url(hostile) == "https://localhost"


def test_swagger_ui_shows_the_same_document_and_needs_no_network(api: Api) -> None:
    reply = api.client.get("/docs", headers={"Host": "127.0.0.1:3000"})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/html")
    assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=[\"']https?://", html), "loads something from the web"
    assert '"operationId": "submitApplication"' in html or '"operationId":"submitApplication"' in html
    assert "http://127.0.0.1:3000" in html


def test_the_served_document_is_what_the_routes_code_generates(document: dict[str, Any]) -> None:
    """ApiDocsFunction serves a document built before deployment (functions/api_docs/openapi.json), so that its
    cold start loads no router. It must be the one the routes' code generates now: after changing a route or a
    model, `make openapi` writes it again."""
    from grading import openapi_build

    served = {k: v for k, v in document.items() if k != "servers"}
    generated = openapi_build.generated()
    assert served == generated, "functions/api_docs/openapi.json is stale: run `make openapi` and commit it"
    assert openapi_build.TARGET.read_text(encoding="utf-8") == openapi_build.text(generated), "run `make openapi`"


def test_a_route_left_out_of_the_document_fails_the_freshness_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a document missing one operation is not what the code generates."""
    import json

    from grading import openapi_build

    committed = json.loads(openapi_build.TARGET.read_text(encoding="utf-8"))
    path = next(iter(committed["paths"]))
    del committed["paths"][path]
    assert committed != openapi_build.generated()
