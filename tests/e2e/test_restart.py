"""`make serve` keeps what it wrote across a restart (under its state folder, `--fresh` starts empty), and
`python -m local invoke / events / where` find the running serve by its serve.json, not by a guessed port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.conftest import ROOT
from tests.e2e.conftest import LocalStack, Serve, passed_application
from tests.integration.conftest import application_body

CREDIT_CODE = "91350100M000600Y1G"


def _local(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, "LOCAL_STATE_DIR": str(state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "local", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_restart_keeps_an_application_and_fresh_starts_empty(tmp_path: Path) -> None:
    first = Serve(tmp_path)
    stack = LocalStack(api=first.api, backend=first.backend, log_path=str(first.log_path))
    provider = stack.headers("restart-provider", "providers")
    try:
        app_id = passed_application(stack, application_body(CREDIT_CODE), provider)
        before = requests.get(f"{first.api}/v1/applications/{app_id}", headers=provider, timeout=10).json()
        served = json.loads((tmp_path / "serve.json").read_text())
        assert served["api"] == first.api and served["backend"] == first.backend
        assert _local(tmp_path, "where", "backend").stdout.strip() == first.backend
    finally:
        assert first.stop() == 0
    assert not (tmp_path / "serve.json").exists()  # a stopped serve is not found any more
    assert _local(tmp_path, "where", "api").returncode != 0

    second = Serve(tmp_path)
    try:
        after = requests.get(f"{second.api}/v1/applications/{app_id}", headers=provider, timeout=10)
        assert after.status_code == 200
        assert after.json() == before  # documents, history, status: all of it
        requests.post(f"{second.api}/_local/drain", timeout=30)
        events = _local(tmp_path, "events")
        assert events.returncode == 0 and events.stdout == ""  # restored, not replayed: no event twice
        invoked = _local(tmp_path, "invoke", "NoticesFunction", "events/NoticesFunction/list-notices-public.json")
        assert invoked.returncode == 0, invoked.stderr
        assert json.loads(invoked.stdout)["statusCode"] == 200  # stdout is the function's answer and nothing else
    finally:
        assert second.stop() == 0

    fresh = Serve(tmp_path, "--fresh")
    try:
        gone = requests.get(f"{fresh.api}/v1/applications/{app_id}", headers=provider, timeout=10)
        assert gone.status_code == 404
    finally:
        assert fresh.stop() == 0  # a clean stop (SIGTERM handled, the state saved), not a kill after a hang
