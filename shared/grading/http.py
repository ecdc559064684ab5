"""What every API function shares: its resolver (`grading.rest`) with the contract's error shape, identity, the
request's time, and the Lambda entry point.

Errors are mapped to `{"error": {"code", "message", "details"}}` here and nowhere else.
"""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

from grading import clock, contract
from grading.access import admission
from grading.errors import DomainError
from grading.identity import Caller, caller_from_event
from grading.observability import logger
from grading.rest import APPLICATION_JSON, App, Cors, InvalidRequest, Response, Router


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None) -> Response[Any]:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return Response(status_code=status, content_type=APPLICATION_JSON, body=json.dumps(body))


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


def cors_config() -> Cors:
    """ALLOWED_ORIGIN (the template's AllowedOrigin parameter, also what API Gateway's preflight answers): the
    origin of the browser app that calls the API, or * for any (tokens are bearer tokens, never cookies)."""
    return Cors(
        allow_origin=os.environ.get("ALLOWED_ORIGIN", "*").strip() or "*",
        allow_headers=("Authorization", "Content-Type", "Idempotency-Key"),
        expose_headers=("Location", "x-amzn-RequestId"),
        max_age=300,
    )


def build_app(*routers: Router) -> App:
    app = App(cors=cors_config())
    for router in routers:
        app.include_router(router)

    @app.exception_handler(InvalidRequest)
    def _invalid(exc: InvalidRequest) -> Response[Any]:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(
                400,
                "MALFORMED_JSON",
                "the request body is not valid JSON",
                [{"field": "body", "message": "not valid JSON"}],
            )
        details = [{"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in errors]
        return error_response(422, "VALIDATION_FAILED", f"{len(details)} invalid field(s)", details)

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response[Any]:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.not_found
    def _no_route(_exc: Exception) -> Response[Any]:
        return error_response(404, "NOT_FOUND", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return error_response(500, "INTERNAL", "internal error; the request id is in the logs")

    return app


def enable_docs(app: App, built: Callable[[], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    """`/openapi.json` and Swagger UI at `/docs` (its scripts are inlined: it works offline), of one document: `built`
    (ApiDocsFunction's, generated at build time from every router by `grading.openapi`; see functions/api_docs).
    Only ApiDocsFunction serves them, so only it loads Swagger UI (Powertools' assets), on a request for `/docs`."""

    @functools.cache
    def document() -> dict[str, Any]:  # once per container: the routes do not change while it runs
        return built()

    def served() -> str:
        return json.dumps({**document(), "servers": [{"url": contract.server_url(app.current_event.raw_event)}]})

    @app.get("/openapi.json", include_in_schema=False)
    def _openapi() -> Response[str]:
        return Response(status_code=200, content_type=APPLICATION_JSON, body=served())

    @app.get("/docs", include_in_schema=False)
    def _docs() -> Response[str]:
        from pathlib import Path

        from aws_lambda_powertools.event_handler.openapi import swagger_ui
        from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

        assets = Path(swagger_ui.__file__).parent
        html = generate_swagger_html(
            served().replace("</", "<\\/"),
            (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            "",
            None,
        )
        return Response(status_code=200, content_type="text/html", body=html)

    return document


def caller(router: Router) -> Caller:
    return caller_from_event(router.current_event.raw_event)


def request_time(router: Router) -> datetime:
    """ "Now" for a request: the moment API Gateway stamped on it (`requestContext.requestTimeEpoch`, which the
    local runner's /_local/clock can move), as scheduled jobs take it from their event. The wall clock only for
    an event that carries no stamp."""
    return clock.from_request(router.current_event.raw_event)


def _proxy_error(status: int, code: str, message: str, details: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"error": {"code": code, "message": message, "details": details}}
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": APPLICATION_JSON,
            "Access-Control-Allow-Origin": os.environ.get("ALLOWED_ORIGIN", "*").strip() or "*",
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def unreadable_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """Every body this API takes is JSON in UTF-8: anything else is refused here, in the error shape, before the
    resolver tries (and fails) to parse it as a form, a multipart upload or text."""
    body = event.get("body")
    if not body:
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    content_type = (headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        return _proxy_error(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"request bodies are JSON (application/json), not {content_type}",
            [{"field": "Content-Type", "message": "must be application/json"}],
        )
    try:
        raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8", "surrogatepass")
        raw.decode("utf-8")
    except (ValueError, UnicodeError):
        return _proxy_error(
            400, "MALFORMED_JSON", "the request body is not UTF-8 JSON", [{"field": "body", "message": "not UTF-8"}]
        )
    return None


def make_handler(app: App) -> Any:
    """The Lambda entry point of an API function: correlation id, metrics, then the routes. (Traces: Lambda's active
    tracing records the invocation's segment; no X-Ray SDK runs in the function.)"""
    from aws_lambda_powertools.logging import correlation_paths

    from grading.observability import metrics

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        denied = admission(app, event)  # the caller's groups first: authorization before validation
        if denied is not None:
            return _proxy_error(denied.status, denied.code, denied.message, denied.details)
        refused = unreadable_body(event)
        if refused is not None:
            return refused
        return app.resolve(event, context)

    return lambda_handler
