"""The OpenAPI document as a contract: what every operation documents, applied to every route in one place.

Routes say only what is theirs (summary, a success model, the errors they raise with their meaning). Here every
route gets the rest: its success response with the schema of what it returns, one `Error` schema on every error
response (the ones API Gateway answers itself included), a readable operationId, and `security: []` when it is
public. A route added later gets all of it without being edited.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field

from grading.modelbase import Model

# The document is generated at build time (grading.openapi): the functions import no Powertools resolver.
if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, Route

# A public route says so with this (`openapi_extensions=PUBLIC`), beside its `Auth: NONE` in template.yaml. It is
# API Gateway's own extension for "no authorizer", and the document turns it into `security: []`.
PUBLIC_EXTENSION = "x-amazon-apigateway-auth"
PUBLIC: dict[str, Any] = {PUBLIC_EXTENSION: {"type": "NONE"}}


class ErrorInfo(Model):
    model_config = ConfigDict(title="ErrorInfo")
    code: str = Field(description="stable, machine-readable, e.g. VALIDATION_FAILED, NOT_FOUND")
    message: str = Field(description="for people")
    details: list[dict[str, Any]] = Field(
        description="what was wrong, e.g. [{field, message}] for each invalid field; empty when there is nothing more"
    )


class Error(Model):
    """Every error this API answers, API Gateway's own included: `{"error": {"code", "message", "details"}}`."""

    model_config = ConfigDict(title="Error")
    error: ErrorInfo


# What any operation can answer besides what its route declares.
_ALWAYS = {
    422: "invalid parameters or fields, each listed in details",
    429: "too many requests (the stage's throttling); retry later",
    500: "internal error; the request id is in the logs",
}
_SIGNED_IN = {401: "no valid bearer token", 403: "the caller's group may not do this"}
_WITH_BODY = {400: "the body is not JSON", 415: "the body is not application/json"}
_WITH_PATH = {404: "not found"}
_SUCCESS = {200: "OK", 201: "created", 202: "accepted", 204: "no content"}


def is_public(route: Route) -> bool:
    return PUBLIC_EXTENSION in (route.openapi_extensions or {})


def operation_id(name: str) -> str:
    """`get_application` -> `getApplication`: what generated clients name their functions after."""
    head, *rest = name.strip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _has_body(route: Route) -> bool:
    return route.method in ("POST", "PUT", "PATCH") and route.dependant.body_params != []


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"model": Error}}}


def route_responses(route: Route) -> dict[int, Any]:
    """The route's own responses, completed: a success response (from its return type) and every error."""
    declared: dict[int, Any] = copy.deepcopy(route.responses or {})
    responses: dict[int, Any] = {}
    successes = {code: r for code, r in declared.items() if code < 400}
    if not successes:
        code = route.status_code
        successes = {code: {"description": route.response_description or _SUCCESS.get(code, "OK")}}
    responses.update(successes)
    errors: dict[int, str] = dict(_ALWAYS)
    if not is_public(route):
        errors.update(_SIGNED_IN)
    if _has_body(route):
        errors.update(_WITH_BODY)
    if "<" in route.path:
        errors.update(_WITH_PATH)
    for code, response in declared.items():
        if code >= 400:
            errors[code] = str(response.get("description") or errors.get(code) or "error")
    responses.update({code: _error(text) for code, text in sorted(errors.items())})
    return responses


def apply(app: ApiGatewayResolver) -> None:
    """Complete every route's documentation. Call once, after the routers are included."""
    for route in app._static_routes + app._dynamic_routes:
        if not route.include_in_schema:
            continue
        if route.operation_id == route._generate_operation_id():  # not chosen by the route: derive a readable one
            route.operation_id = operation_id(route.func.__name__)
        route.responses = route_responses(route)
        route._dependant = None  # rebuilt with the responses' models
        route._body_field = None


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """The generated document, made exact: public operations need no token, and validation errors are ours."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if operation.pop(PUBLIC_EXTENSION, None) is not None:
                operation["security"] = []
            for code, response in operation.get("responses", {}).items():
                if int(code) >= 400:  # Powertools' own 422/500 models describe answers this API never gives
                    response["content"] = copy.deepcopy(error)
                elif response.get("content") == {}:  # a redirect: no body at all, rather than a body of no type
                    del response["content"]
    schemas = document.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if name.endswith(("-Input", "-Output")):  # pydantic's two modes of one model: two titles, two client models
            schema["title"] = name.replace("-", "")
    text = repr(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"/{unused}'" not in text and unused in schemas:
            del schemas[unused]
    return document


def server_url(event: dict[str, Any]) -> str:
    """Where this request reached the API: the stage URL on AWS (https://host/stage), the local origin locally."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    context = event.get("requestContext") or {}
    host = headers.get("host") or context.get("domainName") or "localhost"
    proto = headers.get("x-forwarded-proto", "https").split(",")[0].strip()
    path, full = str(event.get("path") or "/"), str(context.get("path") or event.get("path") or "/")
    base = full[: -len(path)] if path and full.endswith(path) else ""
    if not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", host):
        host = "localhost"
    return f"{proto}://{host}{base}".rstrip("/")
