"""SharedLayer is built by shared/Makefile (template.yaml: BuildMethod makefile), as `sam build` runs it: the
python3.13 builder's wheels for arm64, grading/, and every module compiled to bytecode, so that a cold start on
Lambda (a read-only file system) compiles nothing. Run here with this interpreter in place of python3.13."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_the_shared_layer_is_built_with_every_module_compiled(tmp_path: Path) -> None:
    artifacts = tmp_path / "SharedLayer"
    env = {**os.environ, "ARTIFACTS_DIR": str(artifacts)}
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT / "shared"), "build-SharedLayer", f"PYTHON313={sys.executable}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    python = artifacts / "python"
    sources = sorted(p.relative_to(python) for p in (python / "grading").rglob("*.py"))
    assert len(sources) > 50
    tag = sys.implementation.cache_tag
    missing = [s for s in sources if not (python / s.parent / "__pycache__" / f"{s.stem}.{tag}.pyc").exists()]
    assert missing == []
    # The dependencies are there, for arm64 and compiled as well; the fonts and templates came along.
    assert any("aarch64" in p.name for p in (python / "pydantic_core").glob("*.so"))
    assert list((python / "pydantic" / "__pycache__").glob(f"*.{tag}.pyc"))
    assert {p.suffix for p in (python / "grading").rglob("*") if p.is_file()} >= {".py", ".pyc", ".j2", ".json"}
    # unchecked-hash: used as they are, whatever the sources' times in the zip (flags word = 0b01)
    pyc = (python / "grading" / "__pycache__" / f"dal.{tag}.pyc").read_bytes()
    assert int.from_bytes(pyc[4:8], "little") == 0b01
