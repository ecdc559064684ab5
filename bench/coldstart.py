"""Figure 2: cold start. Each function's app.py imported in a fresh interpreter with the environment Lambda gives it
(the template's variables, tracing on, an endpoint that answers nothing), against a handler that only imports boto3
and creates a client. Runs go round-robin over the functions, so drift on a noisy machine hits all of them alike.

Our own modules are imported as sam build ships them, and nothing writes bytecode (PYTHONDONTWRITEBYTECODE: Lambda's
file system is read-only): the layer's (shared/) from a copy compiled as shared/Makefile compiles SharedLayer
(compileall, unchecked-hash .pyc), the function's folder from a copy without `__pycache__` (a function's own code is
built by sam's python builder, which ships no .pyc, so its app.py is compiled on every cold start). The dependencies
keep the .pyc pip gave them, as the layer's Makefile compiles them too.

What a user feels (issue 20) is the import plus the first request: each API function's child then answers one
request (`FIRST_REQUESTS`: a read a signed-in user makes first) against a moto server with the template's
resources, and the bare handler it is compared with imports boto3, creates a client and makes the same first
DynamoDB call (captured at the server in the round not counted), so `init_first_request_ratio` compares the two.
The bare handlers that make the same operation are one baseline (the median of all their samples)."""

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
event = json.loads({event!r})


class Context:  # what Lambda's Python runtime hands a handler, as much of it as Powertools reads
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 15000


started = time.perf_counter()
sys.path[:0] = [{code!r}, {layer!r}]
module = importlib.import_module({module!r})
handler = getattr(module, {attr!r})
imported = time.perf_counter()
answer = handler(event, Context()) if event is not None else None
answered = time.perf_counter()
status = answer.get("statusCode") if isinstance(answer, dict) else None
print(json.dumps({{"seconds": imported - started, "first_request_seconds": answered - started, "status": status}}))
"""
_BASELINE_APP = (
    'import boto3\n\nclient = boto3.client("dynamodb")\n\n\ndef lambda_handler(event, context):\n'
    '    for method, params in event.get("calls", []):  # the same first DynamoDB call as the function\'s\n'
    "        getattr(client, method)(**params)\n"
    '    return {"statusCode": 200}\n'
)
# The first request of each API function: a read a user makes on opening the console (or the document), that
# answers on an empty table. (method, resource, path parameters, query, caller's groups or None for public.)
FIRST_REQUESTS: dict[str, tuple[str, str, dict[str, str], dict[str, str], str | None]] = {
    "ApplicationsFunction": ("GET", "/v1/me/applications", {}, {}, "providers"),
    "EvaluationFunction": ("GET", "/v1/me/panels", {}, {}, "experts"),
    "NoticesFunction": ("GET", "/v1/notices", {}, {}, None),
    "ProvidersFunction": ("GET", "/v1/me/rectifications", {}, {}, "providers"),
    "RegradingFunction": ("GET", "/v1/regradings/{run_id}", {"run_id": "bench0run"}, {}, "admins"),
    "NotificationsFunction": ("GET", "/v1/reviewers", {}, {}, "admins"),
    "ApiDocsFunction": ("GET", "/openapi.json", {}, {}, None),
}
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


def _child(code_dir: Path, handler: str, layer: Path, event: Any = None) -> str:
    module, _, attr = handler.rpartition(".")
    return _CHILD.format(code=str(code_dir), layer=str(layer), module=module, attr=attr, event=json.dumps(event))


def uncompiled_copy(source: Path, target: Path) -> Path:
    """A function's sources as sam build ships them: no compiled files."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def layer_copy(source: Path, target: Path) -> Path:
    """The shared layer as shared/Makefile builds it: its modules compiled to unchecked-hash .pyc."""
    import compileall
    import py_compile

    uncompiled_copy(source, target)
    mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
    if not compileall.compile_dir(str(target), quiet=1, invalidation_mode=mode):
        raise RuntimeError(f"compileall failed in {target}")
    return target


def sample(
    code_dir: Path,
    handler: str,
    env: dict[str, str],
    event: Any = None,
    importtime: bool = False,
    layer: Path = ROOT / "shared",
) -> dict[str, Any]:
    """One cold start in a fresh interpreter: `seconds` to import app.py, and with an event `first_request_seconds`
    (the import plus the handler's answer to it) and the answer's `status`; `report` is -X importtime's."""
    child = _child(code_dir, handler, layer, event)
    args = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", child]
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"cold start of {code_dir.name} failed: {done.stderr.strip()[-400:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["report"] = done.stderr
    return result


def import_seconds(
    code_dir: Path, handler: str, env: dict[str, str], importtime: bool = False, layer: Path = ROOT / "shared"
) -> Any:
    result = sample(code_dir, handler, env, importtime=importtime, layer=layer)
    return (result["seconds"], result["report"]) if importtime else result["seconds"]


def first_request_event(spec: Any, request: tuple[str, str, dict[str, str], dict[str, str], str | None]) -> Any:
    """The proxy event API Gateway hands the function for `request`, with the Cognito claims of a signed-in user."""
    from local.apigw import api_event

    method, resource, params, query, groups = request
    path = resource.format(**params)
    claims = None
    if groups:
        sub = f"bench-{groups}"
        claims = {"sub": sub, "cognito:username": sub, "email": f"{sub}@example.local", "cognito:groups": groups}
    if not any(r.method == method and r.path == resource for r in spec.routes):
        raise RuntimeError(f"{spec.logical_id} serves no {method} {resource}: update FIRST_REQUESTS")
    return api_event(
        method, path, resource=resource, path_parameters=params, query=query or None, headers={}, claims=claims
    )


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
    from bench.harness import DynamoCapture
    from local.backend import LocalBackend

    backend = LocalBackend(port=0)
    capture = DynamoCapture(backend.middleware.app)
    backend.middleware.app = capture
    backend.start()
    try:
        backend.create_resources(stack)
        return _run(stack, runs, backend.url, capture)
    finally:
        backend.stop()


def _run(stack: Any, runs: int, endpoint: str, capture: Any) -> dict[str, Any]:
    api = [fid for fid, spec in stack.functions.items() if spec.routes]
    missing = [fid for fid in api if fid not in FIRST_REQUESTS]
    if missing:
        raise RuntimeError(f"no first request for {missing}: add them to FIRST_REQUESTS")
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as tmp:
        base_dir = Path(tmp)
        (base_dir / "app.py").write_text(_BASELINE_APP)
        layer = layer_copy(ROOT / "shared", base_dir / "layer")
        # name -> (code, handler, environment, event)
        targets: dict[str, tuple[Path, str, dict[str, str], Any]] = {}
        for logical_id, spec in stack.functions.items():
            code = uncompiled_copy(spec.code_dir, base_dir / "functions" / logical_id)
            env = {**lambda_env(spec, stack.region), "AWS_ENDPOINT_URL": endpoint}
            event = first_request_event(spec, FIRST_REQUESTS[logical_id]) if logical_id in api else None
            targets[logical_id] = (code, spec.handler, env, event)
        any_spec = next(iter(stack.functions.values()))
        base_env = {
            k: v
            for k, v in lambda_env(any_spec, stack.region).items()
            if k.startswith(("AWS_", "PATH", "LANG", "PYTHONDONTWRITEBYTECODE"))
        }
        base_env["AWS_ENDPOINT_URL"] = endpoint
        for i, (name, args) in enumerate(REFERENCES.items()):
            (base_dir / f"reference{i}.py").write_text(_REFERENCE_APP.format(args=args))
            targets[name] = (base_dir, f"reference{i}.lambda_handler", base_env, None)
        # One round not counted, to warm the OS's file cache; it writes no .pyc (see the module's docstring). It
        # also captures each API function's first DynamoDB call, which its bare handler then makes.
        statuses: dict[str, Any] = {}
        first_calls: dict[str, Any] = {}
        for name, (code_dir, handler, env, event) in list(targets.items()):
            with capture.recording() as calls:
                statuses[name] = sample(code_dir, handler, env, event, layer=layer)["status"]
            if name in api:
                first = [[_method(calls[0].operation), calls[0].body]] if calls else []
                first_calls[name] = first
                bare_event = {"calls": first}
                targets[f"{BASELINE}, {name}'s first call"] = (base_dir, "app.lambda_handler", base_env, bare_event)
        failed = {name: status for name, status in statuses.items() if name in api and not 200 <= status < 500}
        if failed:
            raise RuntimeError(f"a first request failed: {failed}")
        samples: dict[str, list[float]] = {name: [] for name in targets}
        first_samples: dict[str, list[float]] = {name: [] for name in targets}
        for round_ in range(runs):
            for name, (code_dir, handler, env, event) in targets.items():
                result = sample(code_dir, handler, env, event, layer=layer)
                samples[name].append(result["seconds"])
                if event is not None:
                    first_samples[name].append(result["first_request_seconds"])
            print(f"  cold start round {round_ + 1}/{runs} done", file=sys.stderr)
        assert not [p for p in base_dir.rglob("*.pyc") if layer not in p.parents], "a sample wrote bytecode"
        # Every bare handler imports the same module: its imports are one baseline of all their samples.
        bare = [name for name in targets if name.startswith(f"{BASELINE}, ")]
        samples[BASELINE] = [value for name in bare for value in samples.pop(name)]
        medians = {name: median(values) for name, values in samples.items()}
        first = {name: median(values) for name, values in first_samples.items() if values}
        base = medians[BASELINE]
        worst = max(api, key=lambda fid: medians[fid]) if api else None
        breakdown: list[dict[str, Any]] = []
        if worst:
            code_dir, handler, env, event = targets[worst]
            breakdown = top_imports(sample(code_dir, handler, env, importtime=True, layer=layer)["report"])
    # The bare handlers that make the same DynamoDB operation (a Query on an empty table, say) do the same work: each
    # function is compared with the median of all their samples, not of its own nine, which on a shared machine
    # wandered by 20% between functions in one run (the import baseline above is pooled the same way).
    pooled: dict[Any, list[float]] = {}
    for fid in api:
        operation = first_calls[fid][0][0] if first_calls[fid] else None
        pooled.setdefault(operation, []).extend(first_samples[f"{BASELINE}, {fid}'s first call"])
    bare_first = {fid: median(pooled[first_calls[fid][0][0] if first_calls[fid] else None]) for fid in api}
    return {
        "init_ratio": {fid: round(medians[fid] / base, 2) for fid in api},
        "init_ratio_other": {fid: round(medians[fid] / base, 2) for fid in stack.functions if fid not in api},
        "init_first_request_ratio": {fid: round(first[fid] / bare_first[fid], 2) for fid in api},
        "init_seconds": {name: round(value, 4) for name, value in medians.items()},
        "init_first_request_seconds": {fid: round(first[fid], 4) for fid in api},
        "init_first_request_baseline_seconds": {fid: round(bare_first[fid], 4) for fid in api},
        "init_first_requests": {
            fid: {
                "request": f"{FIRST_REQUESTS[fid][0]} {FIRST_REQUESTS[fid][1]}",
                "status": statuses[fid],
                "first_dynamodb_call": first_calls[fid][0][0] if first_calls[fid] else None,
            }
            for fid in api
        },
        "init_reference_ratio": {name: round(medians[name] / base, 2) for name in REFERENCES},
        "init_runs": runs,
        "init_own_modules_precompiled": "the layer's (shared/Makefile), not the function folder's",
        "init_slowest_api_function": worst,
        "init_slowest_top_imports": breakdown,
    }


def _method(operation: str) -> str:
    """boto3's method for a DynamoDB operation: Query -> query, BatchGetItem -> batch_get_item."""
    from botocore import xform_name

    return str(xform_name(operation))
