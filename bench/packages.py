"""Figure 7: what `sam build` ships. Each function is its CodeUri folder; each layer is its ContentUri under python/
plus the wheels of its requirements.txt for Lambda's platform (python3.13, arm64: manylinux2014_aarch64), downloaded
by pip as sam build does; bytes on disk and zipped (deflate). Lambda's limit (250 MB unzipped) is on a function with
every layer it uses, so each function is also given with its layers (ArtifactsFunction has two)."""

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

SKIP = {"__pycache__", ".pytest_cache", ".mypy_cache"}
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def files(root: Path, compiled: bool = False) -> list[tuple[Path, str]]:
    """Every file under root as (path, name in the zip); caches and compiled files are not shipped, except where
    `compiled` (a layer its Makefile built: its __pycache__ folders are part of it)."""
    found = []
    skip = SKIP - {"__pycache__"} if compiled else SKIP
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip)
        for name in sorted(names):
            if compiled or not name.endswith(".pyc"):
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


def install_layer_deps(target: Path, requirements: Path) -> str:
    """The requirements' wheels for Lambda's platform; falls back to this machine's platform if that fails."""
    base = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    base += ["--target", str(target), "-r", str(requirements)]
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


def _layer(content: Path, download: bool, layer_id: str = "") -> tuple[int, int, str, list[dict[str, Any]]]:
    """(bytes, zipped bytes, how, largest dependencies) of one layer as sam build makes it: by the layer's Makefile
    (BuildMethod makefile: wheels and bytecode; run here with this interpreter for python3.13), else by pip."""
    own = [(path, f"python/{name}") for path, name in files(content)]
    requirements = content / "requirements.txt"
    if not download or not requirements.exists():
        raw, zipped = sizes(own)
        return raw, zipped, "its folder only: --quick skips the download of the requirements", []
    with tempfile.TemporaryDirectory(prefix="bench-layer-") as tmp:
        target = Path(tmp) / "python"
        if (content / "Makefile").exists() and layer_id:
            env = {**os.environ, "ARTIFACTS_DIR": tmp}
            command = ["make", "-s", "-C", str(content), f"build-{layer_id}", f"PYTHON313={sys.executable}"]
            subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=True)  # noqa: S603
            how = "its Makefile, as sam build runs it: wheels for manylinux2014_aarch64 / cp313, compiled to .pyc"
            built = [(path, f"python/{name}") for path, name in files(target, compiled=True)]
            own_tops = {name.split("/")[1] for _, name in own}  # grading/: the rest are the dependencies
            deps = [(path, name) for path, name in built if name.split("/")[1] not in own_tops]
            raw, zipped = sizes(built)
        else:
            how = install_layer_deps(target, requirements)
            deps = [(path, f"python/{name}") for path, name in files(target)]
            raw, zipped = sizes(own + deps)
        by_top: dict[str, int] = {}
        for path, name in deps:
            top = name.split("/")[1]
            by_top[top] = by_top.get(top, 0) + path.stat().st_size
    largest = [{"name": name, "bytes": size} for name, size in sorted(by_top.items(), key=lambda kv: -kv[1])[:8]]
    return raw, zipped, how, largest


def run(stack: Any, download: bool) -> dict[str, Any]:
    package_bytes: dict[str, int] = {}
    zipped: dict[str, int] = {}
    for logical_id, spec in stack.functions.items():
        package_bytes[logical_id], zipped[logical_id] = sizes(files(spec.code_dir))
    layer_dirs = {
        (stack.root / str(r["Properties"]["ContentUri"])).resolve(): k
        for k, r in stack.resources.items()
        if r["Type"] == "AWS::Serverless::LayerVersion"
    }
    layers: dict[str, Any] = {}
    for content, layer_id in layer_dirs.items():
        raw, packed, how, largest = _layer(content, download, layer_id)
        package_bytes[layer_id], zipped[layer_id] = raw, packed
        layers[layer_id] = {"how": how, "own_bytes": sizes(files(content))[0], "largest_dependencies": largest}
    uses = {fid: [layer_dirs[d] for d in spec.layer_dirs if d in layer_dirs] for fid, spec in stack.functions.items()}
    with_layers = {fid: package_bytes[fid] + sum(package_bytes[lid] for lid in ids) for fid, ids in uses.items()}
    with_layers_zipped = {fid: zipped[fid] + sum(zipped[lid] for lid in ids) for fid, ids in uses.items()}
    biggest = max(with_layers, key=lambda fid: with_layers[fid])
    shared = next(iter(layers.values()))
    return {
        "package_bytes": package_bytes,
        "package_zipped_bytes": zipped,
        "function_layers": uses,
        "package_with_layers_bytes": with_layers,
        "package_with_layers_zipped_bytes": with_layers_zipped,
        "layers": layers,
        "layer": {  # the shape earlier results had: the largest function with its layers against the limit
            "how": shared["how"],
            "largest_dependencies": shared["largest_dependencies"],
            "largest_function_with_layers": biggest,
            "function_plus_layer_share_of_250MB": round(with_layers[biggest] / LAMBDA_UNZIPPED_LIMIT, 3),
        },
    }
