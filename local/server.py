"""The local API Gateway: routes HTTP requests to the function whose Api event matches, enforces the
bearer-token requirement (claims decoded WITHOUT verification) and answers with the template's GatewayResponses."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from local import console
from local.apigw import api_event, claims_from_authorization
from local.backend import QuietHandler
from local.events import EventRecorder
from local.host import FunctionHost
from local.pollers import EventPollers
from local.template import Route, Stack

log = logging.getLogger("local.server")
# Local-only hook for out-of-process callers (the e2e): waits until streams and queues are processed.
DRAIN_PATH = "/_local/drain"
EVENTS_PATH = "/_local/events"  # the domain events the stack emitted, oldest first (serve only)


def _segment_rank(segment: str) -> int:
    return 2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0


class ApiServer:
    def __init__(
        self,
        stack: Stack,
        host: FunctionHost,
        pollers: EventPollers | None = None,
        recorder: EventRecorder | None = None,
    ) -> None:
        self.stack, self.host, self.pollers, self.recorder = stack, host, pollers, recorder
        self.stage = stack.parameters.get("StageName", "prod")
        routes = [(fn, r) for fn, spec in stack.functions.items() for r in spec.routes]
        # Literal segments win over {variables}, which win over {greedy+}: API Gateway's precedence.
        self.routes = sorted(
            routes, key=lambda fr: ([_segment_rank(s) for s in _split(fr[1].path)], fr[1].method == "ANY")
        )
        self._server: BaseWSGIServer | None = None

    def match(self, method: str, path: str) -> tuple[str, Route, dict[str, str]] | None:
        parts = _split(path)
        for function, route in self.routes:
            if route.method not in (method, "ANY"):
                continue
            params = _match_path(_split(route.path), parts)
            if params is not None:
                return function, route, params
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        started = time.monotonic()
        request = Request(environ)
        response, target = self.handle(request)
        log.info(
            "%s %s -> %s %d (%.0f ms)",
            request.method,
            request.path,
            target,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response(environ, start_response)

    def handle(self, request: Request) -> tuple[Response, str]:
        if self.pollers and request.method == "POST" and request.path == DRAIN_PATH:
            return self._drain(request.args.get("timeout", "10")), "drain"
        if self.recorder and request.method == "GET" and request.path == EVENTS_PATH:
            limit = int(request.args.get("limit", "50"))
            recorded = self.recorder.last(limit, request.args.get("detail_type"))
            listing = json.dumps({"items": recorded}, ensure_ascii=False)
            return Response(listing, 200, mimetype="application/json"), "events"
        found = self.match(request.method, request.path)
        if found is None and (page := console.serve(request)) is not None:
            return page, "console"  # the web console at / (only where no API route matches)
        if found is None:
            # API Gateway answers unknown routes *and* unknown methods with this response type.
            return self._gateway("MISSING_AUTHENTICATION_TOKEN", "MissingAuthenticationTokenException"), "-"
        function, route, params = found
        claims = None if route.public else claims_from_authorization(request.headers.get("Authorization"))
        if not route.public and claims is None:
            return self._gateway("UNAUTHORIZED", "UnauthorizedException"), "-"
        raw = request.get_data()
        try:
            body, is_base64 = (raw.decode("utf-8") if raw else None), False
        except UnicodeDecodeError:
            body, is_base64 = base64.b64encode(raw).decode(), True
        event = api_event(
            request.method,
            request.path,
            resource=route.path,
            path_parameters=params,
            query={k: request.args.getlist(k) for k in request.args},
            headers=dict(request.headers.items()),
            body=body,
            claims=claims,
            stage=self.stage,
            is_base64=is_base64,
            source_ip=request.remote_addr or "127.0.0.1",
        )
        try:
            result = self.host.invoke(function, event)
            return self._lambda_response(result), function
        except Exception as exc:
            log.exception("%s failed on %s %s", function, request.method, request.path)
            error = {"error": {"code": "INTERNAL", "message": f"{type(exc).__name__}: {exc}", "details": []}}
            return Response(json.dumps(error), 502, content_type="application/json"), function

    def _lambda_response(self, result: Any) -> Response:
        if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
            raise ValueError(f"malformed Lambda proxy response: {str(result)[:200]}")
        headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers += [(key, str(v)) for v in values if (key, str(v)) not in headers]
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        body = result.get("body") or ""
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
        return Response(data, result["statusCode"], headers=[*headers, ("x-amzn-RequestId", str(uuid.uuid4()))])

    def _drain(self, timeout: str) -> Response:
        try:
            self.pollers.drain(float(timeout))  # type: ignore[union-attr]
        except TimeoutError as exc:
            return Response(json.dumps({"drained": False, "message": str(exc)}), 504, content_type="application/json")
        return Response(json.dumps({"drained": True}), 200, content_type="application/json")

    def _gateway(self, response_type: str, error_type: str) -> Response:
        status, body = self.stack.gateway_response(response_type)
        headers = {"x-amzn-ErrorType": error_type, "x-amzn-RequestId": str(uuid.uuid4())}
        return Response(body, status, headers=headers, content_type="application/json")

    def start(self, port: int = 3000, host: str = "127.0.0.1") -> str:
        self._server = make_server(host, port, self, threaded=True, request_handler=QuietHandler)
        threading.Thread(target=self._server.serve_forever, name="api", daemon=True).start()
        return f"http://{host}:{self._server.server_port}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def _split(path: str) -> list[str]:
    return [s for s in path.split("/") if s]


def _match_path(template: list[str], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for i, segment in enumerate(template):
        if segment.endswith("+}"):
            if i >= len(parts):
                return None
            params[segment[1:-2]] = "/".join(parts[i:])
            return params
        if i >= len(parts):
            return None
        if segment.startswith("{"):
            params[segment[1:-1]] = parts[i]
        elif segment != parts[i]:
            return None
    return params if len(template) == len(parts) else None
