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
from datetime import UTC, datetime
from typing import Any

from cheroot import wsgi
from werkzeug.wrappers import Request, Response

from local import console, outbox
from local.apigw import api_event, claims_from_authorization
from local.events import EventRecorder
from local.host import FunctionHost
from local.poller_process import PollerProcess
from local.pollers import EventPollers
from local.template import Route, Stack

log = logging.getLogger("local.server")
# Local-only hook for out-of-process callers (the e2e): waits until streams and queues are processed.
DRAIN_PATH = "/_local/drain"
EVENTS_PATH = "/_local/events"  # the domain events the stack emitted, oldest first (serve only)
CLOCK_PATH = "/_local/clock"  # POST {"now": ISO 8601} fixes the time stamped on requests; DELETE: the wall clock
OUTBOX_PATH = "/_local/outbox"  # the emails sent through the local SES, oldest first (API.md "Notifications")


def _segment_rank(segment: str) -> int:
    return 2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0


class ApiServer:
    def __init__(
        self,
        stack: Stack,
        host: FunctionHost,
        pollers: EventPollers | PollerProcess | None = None,
        recorder: EventRecorder | None = None,
    ) -> None:
        self.stack, self.host, self.pollers, self.recorder = stack, host, pollers, recorder
        self.stage = stack.parameters.get("StageName", "prod")
        routes = [(fn, r) for fn, spec in stack.functions.items() for r in spec.routes]
        # Literal segments win over {variables}, which win over {greedy+}: API Gateway's precedence.
        self.routes = sorted(
            routes, key=lambda fr: ([_segment_rank(s) for s in _split(fr[1].path)], fr[1].method == "ANY")
        )
        self._server: wsgi.Server | None = None
        self.clock: datetime | None = None  # None: the wall clock

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
        if request.path == CLOCK_PATH and request.method in ("POST", "DELETE", "GET"):
            return self._clock(request), "clock"
        if request.method == "OPTIONS" and self.stack.cors_headers and self._routed(request.path):
            # SAM's Cors: a mock integration answers every preflight, with no token and no function.
            return Response("", 200, headers=self.stack.cors_headers), "preflight"
        if request.method == "GET" and request.path == OUTBOX_PATH:
            listing = json.dumps({"items": outbox.sent(self.stack.account, self.stack.region)}, ensure_ascii=False)
            return Response(listing, 200, mimetype="application/json"), "outbox"
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
            headers={**dict(request.headers.items()), "X-Forwarded-Proto": request.scheme},
            body=body,
            claims=claims,
            stage=self.stage,
            is_base64=is_base64,
            source_ip=request.remote_addr or "127.0.0.1",
            now=self.clock,
            base_path="",  # routes start with /v1 here: no stage prefix
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

    def _clock(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.clock = None
        elif request.method == "POST":
            try:
                moment = datetime.fromisoformat(
                    str((request.get_json(silent=True) or {})["now"]).replace("Z", "+00:00")
                )
            except (KeyError, TypeError, ValueError):
                message = {"field": "now", "message": "an ISO 8601 moment with its offset, e.g. 2027-01-05T02:00:00Z"}
                error = {"error": {"code": "VALIDATION_FAILED", "message": "now: invalid", "details": [message]}}
                return Response(json.dumps(error), 422, content_type="application/json")
            self.clock = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        now = self.clock or datetime.now(UTC)
        answer = {"now": now.isoformat().replace("+00:00", "Z"), "fixed": self.clock is not None}
        return Response(json.dumps(answer), 200, content_type="application/json")

    def _drain(self, timeout: str) -> Response:
        try:
            self.pollers.drain(float(timeout))  # type: ignore[union-attr]
        except TimeoutError as exc:
            return Response(json.dumps({"drained": False, "message": str(exc)}), 504, content_type="application/json")
        return Response(json.dumps({"drained": True}), 200, content_type="application/json")

    def _routed(self, path: str) -> bool:
        return any(_match_path(_split(route.path), _split(path)) is not None for _, route in self.routes)

    def _gateway(self, response_type: str, error_type: str) -> Response:
        status, body = self.stack.gateway_response(response_type)
        headers = {"x-amzn-ErrorType": error_type, "x-amzn-RequestId": str(uuid.uuid4())}
        headers.update(self.stack.gateway_headers.get(response_type, {}))
        return Response(body, status, headers=headers, content_type="application/json")

    def start(self, port: int = 3000, host: str = "127.0.0.1") -> str:
        url = self.bind(port, host)
        self.serve()
        return url

    def bind(self, port: int = 3000, host: str = "127.0.0.1") -> str:
        """Listen on `port` (0: a free one) without answering yet: a client that connects before serve() waits
        in the socket's backlog instead of being refused. Returns the server's URL."""
        # cheroot keeps a client's connection alive between requests (werkzeug's development server closes each).
        self._server = wsgi.Server((host, port), self, numthreads=16, request_queue_size=64)
        self._server.prepare()
        return f"http://{host}:{self._server.bind_addr[1]}"

    def serve(self) -> None:
        """Answer requests, from a background thread (after bind())."""
        assert self._server is not None, "bind() first"
        threading.Thread(target=self._server.serve, name="api", daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.stop()
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
