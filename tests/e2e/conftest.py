"""End-to-end level: `python -m local serve` in its own process, driven over HTTP like a real client."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from local.apigw import make_token
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalStack:
    api: str
    backend: str
    log_path: str

    def token(self, sub: str, group: str) -> str:
        return make_token(sub, [group])

    def headers(self, sub: str, group: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(sub, group)}", **extra}


# Every HTTP exchange of the e2e suite (redirect hops included), so test_zz_answers_match_the_document.py can check
# the real answers against /openapi.json.
EXCHANGES: list[requests.Response] = []
_send = requests.Session.send


def _recording_send(self: requests.Session, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
    response = _send(self, request, **kwargs)  # type: ignore[arg-type]
    EXCHANGES.extend([*response.history, response])
    return response


requests.Session.send = _recording_send  # type: ignore[method-assign]


class Serve:
    """One `python -m local serve` in its own process, on free ports, with its state in `state_dir`."""

    def __init__(self, state_dir: Path, *extra: str) -> None:
        self.state_dir = state_dir
        self.api_port, self.backend_port = free_port(), free_port()
        self.api = f"http://127.0.0.1:{self.api_port}"
        self.backend = f"http://127.0.0.1:{self.backend_port}"
        self.log_path = state_dir / f"serve-{self.api_port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "BUCKET_"))}
        command = [sys.executable, "-m", "local", "serve", "--port", str(self.api_port)]
        command += ["--backend-port", str(self.backend_port), "--state-dir", str(state_dir), *extra]
        state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 180  # a loaded machine (CI, or several suites at once) starts it slowly
        while True:
            try:
                requests.get(f"{self.api}/openapi.json", timeout=10)  # the first builds the document: slow when busy
                break
            except requests.RequestException:  # refused while it starts, or slow on a loaded machine: ask again
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.process.kill()
                    raise RuntimeError(f"local stack did not start:\n{self.log_path.read_text()}") from None
                time.sleep(0.2)

    def stop(self) -> int:
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


# Package scope: the stack stops when its level's last test ends, so an idle stack does not poll through the rest
# of the run (the console's conftest re-exports this fixture, and gets a stack of its own, stopped after it).
@pytest.fixture(scope="package")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    serve = Serve(tmp_path_factory.mktemp("serve"), "--fresh")
    yield LocalStack(api=serve.api, backend=serve.backend, log_path=str(serve.log_path))
    serve.stop()


def drain(stack: LocalStack) -> None:
    """Until the stack's stream consumers have handled everything written so far (events, artifacts, emails)."""
    assert requests.post(f"{stack.api}/_local/drain", params={"timeout": 60}, timeout=120).status_code == 200


def sweep(stack: LocalStack, when: datetime, tmp: Path) -> dict[str, Any]:
    """The daily sweep for another date, invoked like `make invoke` (scheduled jobs take "now" from the event);
    its report. The e2e and console suites share it."""
    event = json.loads((ROOT / "events/DailySweepFunction/scheduled-2026-12-01.json").read_text())
    event["time"] = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    path = tmp / f"sweep-{when.timestamp()}.json"
    path.write_text(json.dumps(event))
    done = subprocess.run(
        [sys.executable, "-m", "local", "invoke", "DailySweepFunction", str(path), "--backend", stack.backend],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


PDF = b"%PDF-1.7\n%%EOF\n"


def passed_application(stack: LocalStack, body: dict, provider: dict[str, str]) -> str:
    """Apply, upload the business licence and a qualification certificate straight to S3, pass initial review."""
    api = stack.api
    created = requests.post(f"{api}/v1/applications", json=body, headers=provider)
    assert created.status_code == 201, created.text
    app_id = str(created.json()["application_id"])
    for kind in ("business_license", "qualification_certificate"):
        form = requests.post(
            f"{api}/v1/applications/{app_id}/documents",
            json={"kind": kind, "filename": "a.pdf", "content_type": "application/pdf", "size": len(PDF)},
            headers=provider,
        ).json()
        assert requests.post(form["url"], data=form["fields"], files={"file": ("a.pdf", PDF)}).ok
    reviewer = stack.headers("e2e-reviewer", "reviewers")
    passed = requests.post(f"{api}/v1/applications/{app_id}/review", json={"decision": "pass"}, headers=reviewer)
    assert passed.ok, passed.text
    return app_id
