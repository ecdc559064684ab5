"""Figure 7: what `sam build` ships. Each function is its CodeUri folder; the layer is shared/ under python/ plus the
wheels of shared/requirements.txt for Lambda's platform (python3.13, arm64: manylinux2014_aarch64), downloaded by
pip as sam build does; bytes on disk and zipped (deflate), against Lambda's limits (250 MB unzipped, 50 MB zipped)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from bench.harness import ROOT

SKIP = {"__pycache__", ".pytest_cache", ".mypy_cache"}
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def files(root: Path) -> list[tuple[Path, str]]:
    """Every file under root as (path, name in the zip); caches and compiled files are not shipped."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP)
        for name in sorted(names):
            if not name.endswith(".pyc"):
                path = Path(folder) / name
                found.append((path, str(path.relative_to(root))))
    return found


def sizes(entries: list[tuple[Path, str]]) -> tuple[int, int]:
    """(bytes on disk, bytes zipped with deflate)."""
    raw = sum(path.stat().st_size for path, _ in entries)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, name in entries:
            archive.write(path, name)
    return raw, buffer.tell()


def install_layer_deps(target: Path) -> str:
    """The requirements' wheels for Lambda's platform; falls back to this machine's platform if that fails."""
    base = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    base += ["--target", str(target), "-r", str(ROOT / "shared" / "requirements.txt")]
    lambda_platform = ["--platform", "manylinux2014_aarch64", "--implementation", "cp", "--python-version", "3.13"]
    lambda_platform += ["--only-binary=:all:"]
    done = subprocess.run([*base, *lambda_platform], capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    if done.returncode == 0:
        return "wheels for manylinux2014_aarch64 / cp313, as sam build installs them"
    shutil.rmtree(target, ignore_errors=True)
    local = subprocess.run(base, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    if local.returncode == 0:
        return f"this machine's platform (the Lambda platform's download failed: {done.stderr.strip()[-200:]})"
    raise RuntimeError(f"pip could not install the layer's requirements: {local.stderr.strip()[-300:]}")


def run(stack: Any, download: bool) -> dict[str, Any]:
    package_bytes: dict[str, int] = {}
    zipped: dict[str, int] = {}
    for logical_id, spec in stack.functions.items():
        package_bytes[logical_id], zipped[logical_id] = sizes(files(spec.code_dir))
    layer_id = next(k for k, r in stack.resources.items() if r["Type"] == "AWS::Serverless::LayerVersion")
    own = [(path, f"python/{name}") for path, name in files(ROOT / "shared")]
    largest: list[dict[str, Any]] = []
    note = "shared/ only: --quick skips the download of the requirements"
    if download:
        with tempfile.TemporaryDirectory(prefix="bench-layer-") as tmp:
            target = Path(tmp) / "python"
            note = install_layer_deps(target)
            deps = [(path, f"python/{name}") for path, name in files(target)]
            package_bytes[layer_id], zipped[layer_id] = sizes(own + deps)
            by_top: dict[str, int] = {}
            for path, name in deps:
                top = name.split("/")[1]
                by_top[top] = by_top.get(top, 0) + path.stat().st_size
            largest = [
                {"name": name, "bytes": size} for name, size in sorted(by_top.items(), key=lambda kv: -kv[1])[:8]
            ]
    else:
        package_bytes[layer_id], zipped[layer_id] = sizes(own)
    own_bytes = sum(path.stat().st_size for path, _ in own)
    biggest_function = max(package_bytes[f] for f in stack.functions)
    return {
        "package_bytes": package_bytes,
        "package_zipped_bytes": zipped,
        "layer": {
            "logical_id": layer_id,
            "how": note,
            "shared_bytes": own_bytes,
            "largest_dependencies": largest,
            "function_plus_layer_share_of_250MB": round(
                (package_bytes[layer_id] + biggest_function) / LAMBDA_UNZIPPED_LIMIT, 3
            ),
        },
    }
