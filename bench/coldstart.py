"""Figure 2: cold start. Each function's app.py imported in a fresh interpreter with the environment Lambda gives it
(the template's variables, tracing on, an endpoint that answers nothing), against a handler that only imports boto3
and creates a client. Runs go round-robin over the functions, so drift on a noisy machine hits all of them alike.

Our own modules (the function's folder and shared/) are imported from a copy without `__pycache__`, and nothing
writes bytecode (PYTHONDONTWRITEBYTECODE): sam build ships no .pyc and Lambda's file system is read-only, so every
cold start compiles them again, and so does every sample here. The dependencies keep the .pyc pip gave them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import ROOT, median

BASELINE = "Baseline (boto3 + client)"
_CHILD = r"""
import importlib, json, sys, time
started = time.perf_counter()
sys.path[:0] = [{code!r}, {layer!r}]
module = importlib.import_module({module!r})
handler = getattr(module, {attr!r})
print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""
_BASELINE_APP = (
    'import boto3\n\nclient = boto3.client("dynamodb")\n\n\ndef lambda_handler(event, context):\n    return {}\n'
)
# How much of the budget the API functions' framework alone takes: the baseline plus Powertools' REST resolver.
REFERENCES = {
    "Reference: baseline + Powertools REST resolver (validation on)": "enable_validation=True",
    "Reference: baseline + Powertools REST resolver (validation off)": "",
}
_REFERENCE_APP = (
    "import boto3\nfrom aws_lambda_powertools.event_handler import APIGatewayRestResolver\n\n"
    'client = boto3.client("dynamodb")\napp = APIGatewayRestResolver({args})\n\n\n'
    "def lambda_handler(event, context):\n    return app.resolve(event, context)\n"
)


def lambda_env(spec: Any, region: str) -> dict[str, str]:
    """What the Lambda runtime sets, plus the template's variables; no credentials or endpoints that work."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": f"provider-grading-{spec.logical_id}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # discard port: an import must not call AWS
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "_HANDLER": spec.handler,
        "PYTHONDONTWRITEBYTECODE": "1",  # a read-only file system: nothing compiled is kept between cold starts
    }
    env.update(spec.env)
    return env


def _child(code_dir: Path, handler: str, layer: Path) -> str:
    module, _, attr = handler.rpartition(".")
    return _CHILD.format(code=str(code_dir), layer=str(layer), module=module, attr=attr)


def uncompiled_copy(source: Path, target: Path) -> Path:
    """Our sources as sam build ships them: no compiled files."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def import_seconds(
    code_dir: Path, handler: str, env: dict[str, str], importtime: bool = False, layer: Path = ROOT / "shared"
) -> Any:
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", _child(code_dir, handler, layer)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"import of {code_dir.name} failed: {done.stderr.strip()[-400:]}")
    seconds = float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])
    return (seconds, done.stderr) if importtime else seconds


def top_imports(report: str, count: int = 8) -> list[dict[str, Any]]:
    """From a -X importtime report: what each package costs where it is first entered from outside it (its
    cumulative time, which includes what it pulls in), and the self time of the project's own modules."""
    rows = []
    for line in report.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if found:
            depth = (len(found.group(3)) - 1) // 2
            rows.append((int(found.group(1)), int(found.group(2)), depth, found.group(4)))
    totals: dict[str, int] = {}
    parents: dict[int, str] = {}
    for self_us, cumulative_us, depth, module in reversed(rows):  # parents come first, read backwards
        package = module.split(".")[0]
        parents[depth] = package
        if package in ("grading", "app"):
            totals["grading (own modules, self time)"] = totals.get("grading (own modules, self time)", 0) + self_us
        elif depth == 0 or parents.get(depth - 1) != package:
            totals[package] = totals.get(package, 0) + cumulative_us
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:count]
    return [{"package": name, "ms": round(us / 1000, 1)} for name, us in ranked]


def run(stack: Any, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        base_dir = Path(tmp)
        (base_dir / "app.py").write_text(_BASELINE_APP)
        layer = uncompiled_copy(ROOT / "shared", base_dir / "layer")
        targets: dict[str, tuple[Path, str, dict[str, str]]] = {}
        for logical_id, spec in stack.functions.items():
            code = uncompiled_copy(spec.code_dir, base_dir / "functions" / logical_id)
            targets[logical_id] = (code, spec.handler, lambda_env(spec, stack.region))
        any_spec = next(iter(stack.functions.values()))
        base_env = {
            k: v
            for k, v in lambda_env(any_spec, stack.region).items()
            if k.startswith(("AWS_", "PATH", "LANG", "PYTHONDONTWRITEBYTECODE"))
        }
        targets[BASELINE] = (base_dir, "app.lambda_handler", base_env)
        for i, (name, args) in enumerate(REFERENCES.items()):
            (base_dir / f"reference{i}.py").write_text(_REFERENCE_APP.format(args=args))
            targets[name] = (base_dir, f"reference{i}.lambda_handler", base_env)
        # One round not counted, to warm the OS's file cache; it writes no .pyc (see the module's docstring).
        for code_dir, handler, env in targets.values():
            import_seconds(code_dir, handler, env, layer=layer)
        samples: dict[str, list[float]] = {name: [] for name in targets}
        for round_ in range(runs):
            for name, (code_dir, handler, env) in targets.items():
                samples[name].append(import_seconds(code_dir, handler, env, layer=layer))
            print(f"  cold start round {round_ + 1}/{runs} done", file=sys.stderr)
        assert not list(layer.rglob("*.pyc")), "a sample wrote bytecode: the next ones would not compile"
        medians = {name: median(values) for name, values in samples.items()}
        base = medians[BASELINE]
        api = [fid for fid, spec in stack.functions.items() if spec.routes]
        worst = max(api, key=lambda fid: medians[fid]) if api else None
        breakdown: list[dict[str, Any]] = []
        if worst:
            code_dir, handler, env = targets[worst]
            _, report = import_seconds(code_dir, handler, env, importtime=True, layer=layer)
            breakdown = top_imports(report)
    return {
        "init_ratio": {fid: round(medians[fid] / base, 2) for fid in api},
        "init_ratio_other": {fid: round(medians[fid] / base, 2) for fid in stack.functions if fid not in api},
        "init_seconds": {name: round(value, 4) for name, value in medians.items()},
        "init_reference_ratio": {name: round(medians[name] / base, 2) for name in REFERENCES},
        "init_runs": runs,
        "init_own_modules_precompiled": False,
        "init_slowest_api_function": worst,
        "init_slowest_top_imports": breakdown,
    }
