"""The README's curl walk-through runs as written against a live local stack, and says what it promises."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LocalStack


def walkthrough(part: str = "") -> str:
    """A marked bash block of the README: the walk-through, or (part "members") its continuation."""
    text = (ROOT / "README.md").read_text()
    name = f"walkthrough:{part}:" if part else "walkthrough:"
    block = re.search(rf"<!-- {name}start -->\s*```bash\n(.*?)```\s*<!-- {name}end -->", text, re.S)
    assert block, f"README lost its {name} block"
    return block.group(1)


MEMBERS = "--- members ---"


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_walkthrough(local_stack: LocalStack) -> None:
    script = f"{walkthrough()}\necho '{MEMBERS}'\n{walkthrough('members')}"  # one shell, as the README says
    script = script.replace("91350100M000100Y43", "91350100M000200Y1H")  # its own provider
    env = {**os.environ, "API": local_stack.api, "PY": sys.executable}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    first, _, members = done.stdout.partition(MEMBERS + "\n")
    role, listed = members.splitlines()
    assert role == "member"
    assert [(m["sub"], m["role"]) for m in ast.literal_eval(listed)] == [
        ("colleague-1", "member"),
        ("provider-1", "admin"),
    ]
    lines = first.split()
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
