"""The README's curl walk-through runs as written against a live local stack, and says what it promises."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LocalStack


def walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S)
    assert block, "README lost its walk-through block"
    return block.group(1)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_walkthrough(local_stack: LocalStack) -> None:
    script = walkthrough().replace("91350100M000100Y43", "91350100M000200Y1H")  # its own provider
    env = {**os.environ, "API": local_stack.api, "PY": sys.executable}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split()
    assert lines[:2] == ["application", lines[1]] and len(lines[1]) == 26
    assert lines[2:] == [
        "returned",
        "upload",
        "204",
        "upload",
        "204",
        "submitted",
        lines[1],
        "evaluating",
        "pass",
        "evaluating",
        "VALIDATION_FAILED",
    ]
