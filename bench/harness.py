"""The system under test, in this process: moto backend built from template.yaml, the function host, an API client
(the local API Gateway's WSGI app), a capture of every DynamoDB request body, and the timing helpers."""

from __future__ import annotations

import io
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "shared", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

# --- timing helpers -------------------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else float("nan")


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): with 20 samples, p99 is the slowest one."""
    data = sorted(values)
    if not data:
        return float("nan")
    rank = max(1, -(-len(data) * q // 100))  # ceil
    return data[int(rank) - 1]


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then t[0] is the elapsed seconds."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    uname = platform.uname()
    return (
        f"{uname.system} {uname.release} {uname.machine}; {cpu} x{os.cpu_count()}; Python {platform.python_version()}"
    )


# --- capture of DynamoDB requests at the backend --------------------------------------------------------------


@dataclass
class Captured:
    operation: str
    raw: bytes = b""  # the request body, when bodies are kept (parsed only when read, after the timing)
    raw_response: bytes = b""
    seconds: float = 0.0  # how long moto took to answer, measured at the server

    @property
    def body(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.raw or b"{}")
        return parsed

    @property
    def response(self) -> dict[str, Any] | None:
        try:
            parsed: dict[str, Any] = json.loads(self.raw_response or b"{}")
        except ValueError:
            return None
        return parsed


class DynamoCapture:
    """Wraps moto's WSGI app (inside the backend's serializing lock) and, while recording, notes each DynamoDB
    request: its operation, the time moto took, and (when asked) its body and JSON answer, to replay and to size."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.active = False
        self.bodies = False
        self.calls: list[Captured] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not (self.active and target.startswith("DynamoDB_")):
            return self.app(environ, start_response)
        call = Captured(target.rsplit(".", 1)[1])
        if self.bodies:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            call.raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(call.raw)
        self.calls.append(call)
        started = time.perf_counter()
        chunks = list(self.app(environ, start_response))
        call.seconds = time.perf_counter() - started
        if self.bodies:
            call.raw_response = b"".join(chunks)
        return chunks

    @contextmanager
    def recording(self, bodies: bool = True) -> Iterator[list[Captured]]:
        self.calls = []
        self.active, self.bodies = True, bodies
        try:
            yield self.calls
        finally:
            self.active = False


# --- the system ------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    seconds: float


@dataclass
class System:
    """One moto backend for the whole run, reset between sections, and everything that talks to it."""

    backend: Any
    stack: Any
    host: Any
    capture: DynamoCapture
    client: Any  # werkzeug test Client over the local API Gateway
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return str(self.stack.tables["GradingTable"])

    @property
    def bucket(self) -> str:
        return str(self.stack.buckets["DocumentsBucket"])

    def token(self, who: tuple[str, str]) -> str:
        if who not in self.tokens:
            from local.apigw import make_token

            self.tokens[who] = make_token(who[0], who[1])
        return self.tokens[who]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        who: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> Reply:
        """One API request through the local API Gateway (routing, auth, proxy event, function, response)."""
        all_headers = dict(headers or {})
        if who:
            all_headers["Authorization"] = f"Bearer {self.token(who)}"
        data = json.dumps(body) if body is not None else None
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        started = time.perf_counter()
        response = self.client.open(path, method=method, data=data, headers=all_headers, query_string=query)
        text = response.get_data(as_text=True)
        elapsed = time.perf_counter() - started
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return Reply(response.status_code, parsed, dict(response.headers), elapsed)

    def send(self, request: Any) -> Reply:
        """A bench.scenarios.Request."""
        return self.call(
            request.method, request.path, request.body, who=request.who, headers=request.headers, query=request.query
        )

    def reset(self) -> None:
        """Empty every table, bucket and queue (moto's reset), then recreate the template's resources."""
        self.backend.reset()
        self.backend.reset_counts()

    def stop(self) -> None:
        self.backend.stop()


def start_system() -> System:
    """Start moto and create the template's resources, with the settings the functions get."""
    from local.template import load_stack

    stack = load_stack(ROOT / "template.yaml", stack_name="provider-grading-local")
    # The domain code called directly (seeding, sweep, renders) reads the same settings the functions get.
    os.environ["TABLE_NAME"] = stack.tables["GradingTable"]
    os.environ["BUCKET_NAME"] = stack.buckets["DocumentsBucket"]
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "bench")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ProviderGradingBench")
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"

    from werkzeug.test import Client

    from local.backend import LocalBackend
    from local.host import FunctionHost
    from local.server import ApiServer

    backend = LocalBackend(port=0)  # with local/motofix.py's fixes, checked against moto's own answers at start
    capture = DynamoCapture(backend.middleware.app)
    backend.middleware.app = capture
    backend.start()
    backend.create_resources(stack)
    host = FunctionHost(stack)
    return System(backend, stack, host, capture, Client(ApiServer(stack, host)))


@contextmanager
def function_output_to(path: Path) -> Iterator[Any]:
    """The functions print (Powertools logs and EMF metrics) to sys.stdout: send that to a file for the run, so
    they still pay for it but the bench's own output stays readable. Yields the real stdout."""
    import logging

    real = sys.stdout
    with open(path, "w", encoding="utf-8") as stream:
        sys.stdout = stream
        logging.getLogger("local").setLevel(logging.WARNING)
        try:
            yield real
        finally:
            sys.stdout = real


def new_id() -> str:
    return uuid.uuid4().hex[:12]
