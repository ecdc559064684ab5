"""End-to-end level: `python -m local serve` in its own process, driven over HTTP like a real client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

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


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    api_port, backend_port = free_port(), free_port()
    log_path = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_", "BUCKET_"))}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "serve", "--port", str(api_port), "--backend-port", str(backend_port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    api = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 180  # generous: the machine is shared, and the first answer imports a function
    while True:
        try:
            requests.get(f"{api}/openapi.json", timeout=10)
            break
        except (requests.ConnectionError, requests.Timeout):  # a busy machine: the first answer can be slow
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"local stack did not start:\n{log_path.read_text()}") from None
            time.sleep(0.2)
    yield LocalStack(api=api, backend=f"http://127.0.0.1:{backend_port}", log_path=str(log_path))
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


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
