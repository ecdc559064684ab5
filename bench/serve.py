"""Issue 20's figures of `make serve` itself, driven over HTTP from this process like a user's clients:

- serve_growth: the p50 of `POST /v1/applications` (one client, one request at a time, each after the stream and
  queue work of the one before is done: `/_local/drain`, untimed) with the table empty and
  holding more and more items. The items are a population of certified providers (bench/population.py, two items
  each) put in the serve's kept state (.local/state.json's format), which `serve` restores at start as after a
  restart: BatchWriteItem before the pollers start, which then begin at the stream's end. Target: the p50 at the
  largest at most 1.5x the empty one.
- serve_load: 200 applications, distinct credit codes, from 16 clients at once against a fresh serve. Target: 15 or
  more per second, p99 under 2 s, every one answered 201.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench import population
from bench.harness import ROOT, median, percentile

GROWTH_SAMPLES = 20
LOAD_APPLICATIONS, LOAD_CLIENTS = 200, 16
GROWTH_RATIO_TARGET, LOAD_RATE_TARGET, LOAD_P99_TARGET_MS = 1.5, 15.0, 2000.0
PROVIDER = ("provider-serve-bench", "providers")


def credit_code(n: int) -> str:
    """Codes of a prefix neither the endpoint scenarios nor the populations use."""
    from grading.credit_code import check_character

    body = f"9133010000{n:07d}"
    return body + check_character(body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Serve:
    """`python -m local serve` in its own process, on free ports, with its state in `state_dir`."""

    def __init__(self, state_dir: Path, *extra: str, timeout: float = 600) -> None:
        self.api = f"http://127.0.0.1:{_free_port()}"
        command = [sys.executable, "-m", "local", "serve", "--port", self.api.rsplit(":", 1)[1]]
        command += ["--backend-port", str(_free_port()), "--state-dir", str(state_dir), *extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "BUCKET_", "POWERTOOLS_"))}
        self.log = state_dir / "serve.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + timeout  # restoring 20,000 items takes a while
        while True:
            try:
                requests.get(f"{self.api}/_local/clock", timeout=10)
                break
            except requests.RequestException:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError(f"serve did not start:\n{self.log.read_text()[-3000:]}") from None
                time.sleep(0.3)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)  # a clean stop saves the state: not needed here, so not awaited long
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _post(session: requests.Session, api: str, token: str, code: str) -> tuple[int, float]:
    from bench.scenarios import application_body

    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}
    started = time.perf_counter()
    reply = session.post(f"{api}/v1/applications", json=application_body(code), headers=headers, timeout=120)
    return reply.status_code, time.perf_counter() - started


def _state_file(path: Path, providers: int) -> int:
    """A kept state of `providers` certified providers; returns its item count."""
    from boto3.dynamodb.types import TypeSerializer

    from grading.clock import local_date

    # The domain's index helpers read the settings the functions get (the local runner's names; serve sets its own).
    os.environ.setdefault("TABLE_NAME", "provider-grading-local-GradingTable")
    os.environ.setdefault("BUCKET_NAME", "provider-grading-local-documentsbucket")
    serializer = TypeSerializer()
    now = datetime.now(UTC)
    items = [
        {k: serializer.serialize(v) for k, v in record.items()}
        for n in range(providers)
        for record in population.provider_records(n, local_date(now), now.year)
    ]
    path.write_text(json.dumps({"version": 1, "tables": {"GradingTable": items}, "buckets": {}}))
    return len(items)


def growth(sizes: list[int], samples: int = GROWTH_SAMPLES) -> dict[str, Any]:
    from local.apigw import make_token

    token = make_token(*PROVIDER)
    items: list[int] = []
    p50: list[float] = []
    p99: list[float] = []
    start_seconds: list[float] = []
    code = 0
    for providers in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
            state = Path(tmp)
            seeded = _state_file(state / "state.json", providers) if providers else 0
            started = time.perf_counter()
            serve = Serve(state, *(() if providers else ("--fresh",)))
            start_seconds.append(round(time.perf_counter() - started, 1))
            try:
                session = requests.Session()
                _post(session, serve.api, token, credit_code(code := code + 1))  # the function's import
                times = []
                for _ in range(samples):
                    # Each sample alone: what the last one set off (stream and queue work) is done first, untimed.
                    session.post(f"{serve.api}/_local/drain", params={"timeout": "60"}, timeout=90)
                    status, seconds = _post(session, serve.api, token, credit_code(code := code + 1))
                    if status != 201:
                        raise RuntimeError(f"POST /v1/applications answered {status} at {seeded} items")
                    times.append(seconds * 1000)
            finally:
                serve.stop()
        items.append(seeded)
        p50.append(round(median(times), 1))
        p99.append(round(percentile(times, 99), 1))
    return {
        "items": items,
        "p50_ms": p50,
        "p99_ms": p99,
        "samples": samples,
        "start_seconds": start_seconds,
        "ratio": round(p50[-1] / p50[0], 2) if p50 and p50[0] else None,
    }


def load(applications: int = LOAD_APPLICATIONS, clients: int = LOAD_CLIENTS) -> dict[str, Any]:
    from local.apigw import make_token

    token = make_token(*PROVIDER)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        serve = Serve(Path(tmp), "--fresh")
        try:
            _post(requests.Session(), serve.api, token, credit_code(9_000_000))  # the function's import
            lock = threading.Lock()
            todo = iter(range(applications))
            results: list[tuple[int, float]] = []

            def client() -> None:
                session = requests.Session()
                while True:
                    with lock:
                        n = next(todo, None)
                    if n is None:
                        return
                    answer = _post(session, serve.api, token, credit_code(9_000_001 + n))
                    with lock:
                        results.append(answer)

            threads = [threading.Thread(target=client) for _ in range(clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.perf_counter() - started
        finally:
            serve.stop()
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    times = [s * 1000 for _, s in results]
    return {
        "applications": applications,
        "clients": clients,
        "seconds": round(seconds, 2),
        "per_second": round(applications / seconds, 1),
        "p50_ms": round(median(times), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "statuses": statuses,
    }


def run(quick: bool = False) -> dict[str, Any]:
    sizes = [0, 500] if quick else [0, 2500, 10000]  # providers, two items each: 0, 5,000 and 20,000 items
    return {
        "serve_growth": growth(sizes, samples=5 if quick else GROWTH_SAMPLES),
        "serve_load": load(40 if quick else LOAD_APPLICATIONS),
    }
