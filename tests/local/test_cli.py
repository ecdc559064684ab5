"""`python -m local` finds the running serve by its serve.json: a file a killed serve left behind is not a serve,
and `invoke` gives the function the serve's origin for its links, as serve does (issue 17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import local.__main__ as cli
from local.state import running, write_serve_file


def test_a_serve_file_names_the_running_serve(tmp_path: Path) -> None:
    path = tmp_path / "serve.json"
    write_serve_file(path, "http://127.0.0.1:3001", "http://127.0.0.1:5001")
    assert running("api", path) == "http://127.0.0.1:3001"
    assert running("backend", path) == "http://127.0.0.1:5001"


def test_a_serve_file_left_by_a_killed_serve_is_no_serve(tmp_path: Path) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(ended.stdout)  # a process that has exited
    path = tmp_path / "serve.json"
    path.write_text(json.dumps({"api": "http://127.0.0.1:3001", "backend": "http://127.0.0.1:5001", "pid": pid}))
    with pytest.raises(SystemExit, match="has ended"):
        running("api", path)
    with pytest.raises(SystemExit, match="is missing"):
        running("api", tmp_path / "none.json")


class _Host:
    def __init__(self, stack: Any) -> None:
        self.env_overrides: dict[str, str] = {}

    def invoke(self, function: str, event: Any) -> Any:
        return {"statusCode": 200, "seen": dict(self.env_overrides)}


def test_invoke_gives_the_function_the_running_serves_origin_for_links(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setattr(cli, "FunctionHost", _Host)
    monkeypatch.setattr(cli, "use_endpoint", lambda url: None)
    monkeypatch.setattr(cli, "running", {"api": "http://127.0.0.1:3007", "backend": "http://127.0.0.1:5007"}.get)
    event = tmp_path / "event.json"
    event.write_text("{}")
    template = str(Path(__file__).parents[2] / "template.yaml")
    assert cli.main(["--template", template, "invoke", "ArtifactsFunction", str(event)]) == 0
    answer = json.loads(capsys.readouterr().out)  # stdout is the answer alone
    assert answer["seen"] == {"PUBLIC_BASE_URL": "http://127.0.0.1:3007"}
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://grading.example.gov.cn")  # one the operator set wins
    assert cli.main(["--template", template, "invoke", "ArtifactsFunction", str(event)]) == 0
    assert json.loads(capsys.readouterr().out)["seen"] == {}
    assert os.environ["PUBLIC_BASE_URL"] == "https://grading.example.gov.cn"
