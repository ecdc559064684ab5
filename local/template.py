"""Reads template.yaml into a Stack: deterministic physical names, resolved env vars, routes and event sources.
Only the intrinsics that env vars and event sources use are resolved; everything else in the template is ignored."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

REPO_ROOT = Path(__file__).resolve().parent.parent

# API Gateway's own status codes and bodies when a GatewayResponse does not override them.
_DEFAULT_GATEWAY = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "THROTTLED": (429, "Too Many Requests"),
}


@dataclass(frozen=True)
class Route:
    method: str  # upper case; "ANY" matches every method
    path: str  # template path, e.g. /v1/applications/{application_id}
    public: bool


@dataclass(frozen=True)
class StreamSource:
    table_logical_id: str
    batch_size: int
    starting_position: str
    max_retries: int  # -1 = retry until the record expires, as in AWS
    report_item_failures: bool
    on_failure_queue_logical_id: str | None


@dataclass(frozen=True)
class SqsSource:
    queue_logical_id: str
    batch_size: int
    report_item_failures: bool


@dataclass(frozen=True)
class ScheduleSource:
    name: str
    kind: str  # Schedule (EventBridge rule) or ScheduleV2 (EventBridge Scheduler)
    expression: str
    input: str | None


@dataclass
class FunctionSpec:
    logical_id: str
    code_dir: Path
    handler: str
    env: dict[str, str]
    timeout: int = 3
    memory: int = 128
    routes: list[Route] = field(default_factory=list)
    stream_sources: list[StreamSource] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: list[ScheduleSource] = field(default_factory=list)
    layer_dirs: list[Path] = field(default_factory=list)  # ContentUri of the template's own layers


@dataclass
class Stack:
    name: str
    region: str
    account: str
    root: Path
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    # type -> (status, body template); status 0 = the error's own status (DEFAULT_4XX / DEFAULT_5XX)
    gateway_responses: dict[str, tuple[int, str]] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)  # raw template resources, for backend.py
    parameters: dict[str, str] = field(default_factory=dict)
    # The Api's Cors, as the headers of API Gateway's preflight answer (empty: no CORS, OPTIONS is a 404)
    cors_headers: dict[str, str] = field(default_factory=dict)
    # type -> headers a GatewayResponse adds (ResponseParameters.Headers)
    gateway_headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def function_arn(self, logical_id: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}-{logical_id}"

    def queue_url(self, logical_id: str) -> str:
        # moto (and boto3) address a queue by the last path segments, so the AWS form works against moto.
        return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.queues[logical_id]}"

    def gateway_response(self, response_type: str, message: str | None = None) -> tuple[int, str]:
        """Status and body API Gateway would answer for `response_type`, rendering $context.error.messageString."""
        default_status, default_message = _DEFAULT_GATEWAY.get(response_type, (400, "Bad Request"))
        message = message or default_message
        fallback = "DEFAULT_5XX" if default_status >= 500 else "DEFAULT_4XX"
        status, body = self.gateway_responses.get(
            response_type, self.gateway_responses.get(fallback, (0, json.dumps({"message": message})))
        )
        return status or default_status, body.replace("$context.error.messageString", json.dumps(message))

    def resolve(self, value: Any) -> Any:
        """Resolve Ref / GetAtt / Sub / Join in `value` (recursively) to plain values."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        key = next(iter(value), "")
        if len(value) != 1 or not (key == "Ref" or key.startswith("Fn::")):
            return {k: self.resolve(v) for k, v in value.items()}
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return self._ref(arg)
        if fn == "Fn::GetAtt":
            logical, attr = arg.split(".", 1) if isinstance(arg, str) else arg
            return self._get_att(logical, attr)
        if fn == "Fn::Join":
            return str(arg[0]).join(str(self.resolve(v)) for v in self.resolve(arg[1]))
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub_var(m.group(1), variables), text)
        raise ValueError(f"local runner cannot resolve {fn} in {value!r}")

    def _sub_var(self, name: str, variables: dict[str, Any]) -> str:
        if name.startswith("!"):
            return "${" + name[1:] + "}"  # ${!Literal} is an escaped literal
        if name in variables:
            return str(variables[name])
        if "." in name and not name.startswith("AWS::"):
            return str(self._get_att(*name.split(".", 1)))
        return str(self._ref(name))

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.queues:
            return self.queue_url(name)  # Ref on a queue is its URL
        return self._physical(name)

    def _physical(self, logical_id: str) -> str:
        for names in (self.tables, self.buckets, self.queues):
            if logical_id in names:
                return names[logical_id]
        if logical_id in self.resources:
            return f"{self.name}-{logical_id}"
        raise ValueError(f"unknown logical id {logical_id!r}")

    def _get_att(self, logical_id: str, attr: str) -> str:
        name, prefix = self._physical(logical_id), f"{self.region}:{self.account}"
        if logical_id in self.tables:
            # The real stream label is only known after creation; pollers look it up by table name.
            return {"Arn": f"arn:aws:dynamodb:{prefix}:table/{name}"}.get(
                attr, f"arn:aws:dynamodb:{prefix}:table/{name}/stream/local"
            )
        if logical_id in self.buckets:
            return f"arn:aws:s3:::{name}" if attr == "Arn" else f"{name}.s3.amazonaws.com"
        if logical_id in self.queues:
            return {"QueueName": name, "QueueUrl": self.queue_url(logical_id)}.get(attr, f"arn:aws:sqs:{prefix}:{name}")
        if logical_id in self.functions:
            return self.function_arn(logical_id)
        return f"arn:aws:local:{prefix}:{name}"


def load_stack(
    template_path: str | Path = "template.yaml",
    stack_name: str = "provider-grading-local",
    region: str = "us-east-1",
    account: str = "123456789012",
    parameters: dict[str, str] | None = None,
) -> Stack:
    path = Path(template_path)
    path = path if path.is_absolute() or path.exists() else REPO_ROOT / path
    tpl: dict[str, Any] = cfn_yaml.load(str(path))
    stack = Stack(stack_name, region, account, path.resolve().parent, resources=dict(tpl.get("Resources", {})))
    for name, p in tpl.get("Parameters", {}).items():
        # Parameters without a default (UserPoolArn) get a recognisable local placeholder.
        stack.parameters[name] = str(p.get("Default", f"local-{name}"))
    stack.parameters.update(parameters or {})

    for logical, res in stack.resources.items():
        props, kind = res.get("Properties", {}), res["Type"]
        if kind == "AWS::DynamoDB::Table":
            stack.tables[logical] = props.get("TableName", f"{stack_name}-{logical}")
        elif kind == "AWS::S3::Bucket":
            stack.buckets[logical] = props.get("BucketName", f"{stack_name}-{logical}".lower())
        elif kind == "AWS::SQS::Queue":
            fifo = ".fifo" if props.get("FifoQueue") else ""
            stack.queues[logical] = props.get("QueueName", f"{stack_name}-{logical}{fifo}")
    for logical, res in stack.resources.items():
        if res["Type"] == "AWS::Serverless::Function":
            stack.functions[logical] = FunctionSpec(logical, Path(), "", {})  # registered first for GetAtt
    globals_fn = tpl.get("Globals", {}).get("Function", {})
    for logical in stack.functions:
        stack.functions[logical] = _function(stack, logical, globals_fn)
    for res in stack.resources.values():
        if res["Type"] == "AWS::Serverless::Api":
            for kind, spec in res.get("Properties", {}).get("GatewayResponses", {}).items():
                body = next(iter(spec.get("ResponseTemplates", {}).values()), "")
                stack.gateway_responses[kind] = (int(spec.get("StatusCode", 0)), body)
                headers = spec.get("ResponseParameters", {}).get("Headers", {})
                stack.gateway_headers[kind] = {k: _unquote(stack.resolve(v)) for k, v in headers.items()}
            stack.cors_headers = _cors_headers(stack, res.get("Properties", {}).get("Cors"))
            break
    return stack


def _unquote(value: Any) -> str:
    """API Gateway header values are quoted literals: "'*'" is the header value *."""
    text = str(value)
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _cors_headers(stack: Stack, cors: Any) -> dict[str, str]:
    """The headers of SAM's preflight answer for an Api's Cors (a string is the origin alone)."""
    if not cors:
        return {}
    spec = {"AllowOrigin": cors} if isinstance(cors, str) else dict(cors)
    names = {
        "AllowOrigin": "Access-Control-Allow-Origin",
        "AllowMethods": "Access-Control-Allow-Methods",
        "AllowHeaders": "Access-Control-Allow-Headers",
        "MaxAge": "Access-Control-Max-Age",
    }
    headers = {names[k]: _unquote(stack.resolve(v)) for k, v in spec.items() if k in names}
    if spec.get("AllowCredentials"):
        headers["Access-Control-Allow-Credentials"] = "true"
    return headers


def _function(stack: Stack, logical: str, globals_fn: dict[str, Any]) -> FunctionSpec:
    props = {**globals_fn, **stack.resources[logical].get("Properties", {})}
    env_vars = {
        **globals_fn.get("Environment", {}).get("Variables", {}),
        **stack.resources[logical].get("Properties", {}).get("Environment", {}).get("Variables", {}),
    }
    env = {k: _env_str(stack.resolve(v)) for k, v in env_vars.items()}
    layers = [*globals_fn.get("Layers", []), *stack.resources[logical].get("Properties", {}).get("Layers", [])]
    layer_ids = [layer["Ref"] for layer in layers if isinstance(layer, dict) and "Ref" in layer]
    spec = FunctionSpec(
        logical,
        (stack.root / str(props.get("CodeUri", "."))).resolve(),
        str(props.get("Handler", "app.lambda_handler")),
        env,
        int(props.get("Timeout", 3)),
        int(props.get("MemorySize", 128)),
        layer_dirs=[
            (stack.root / str(stack.resources[i]["Properties"]["ContentUri"])).resolve()
            for i in layer_ids
            if stack.resources.get(i, {}).get("Type") == "AWS::Serverless::LayerVersion"
        ],
    )
    for name, event in props.get("Events", {}).items():
        ev, kind = event.get("Properties", {}), event["Type"]
        if kind == "Api":
            spec.routes.append(Route(ev["Method"].upper(), ev["Path"], _is_public(stack, ev)))
        elif kind == "DynamoDB":
            on_failure = ev.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
            spec.stream_sources.append(
                StreamSource(
                    _target_logical_id(ev["Stream"]),
                    int(ev.get("BatchSize", 100)),
                    ev.get("StartingPosition", "TRIM_HORIZON"),
                    int(ev.get("MaximumRetryAttempts", -1)),
                    "ReportBatchItemFailures" in ev.get("FunctionResponseTypes", []),
                    _target_logical_id(on_failure) if on_failure else None,
                )
            )
        elif kind == "SQS":
            spec.sqs_sources.append(
                SqsSource(
                    _target_logical_id(ev["Queue"]),
                    int(ev.get("BatchSize", 10)),
                    "ReportBatchItemFailures" in ev.get("FunctionResponseTypes", []),
                )
            )
        elif kind in ("Schedule", "ScheduleV2"):
            expression = ev.get("Schedule") or ev.get("ScheduleExpression", "")
            spec.schedules.append(ScheduleSource(name, kind, str(expression), ev.get("Input")))
    return spec


def _is_public(stack: Stack, ev: dict[str, Any]) -> bool:
    authorizer = ev.get("Auth", {}).get("Authorizer")
    if authorizer is not None:
        return bool(authorizer == "NONE")
    api_id = ev.get("RestApiId", {}).get("Ref") if isinstance(ev.get("RestApiId"), dict) else None
    api = stack.resources.get(api_id or "", {}).get("Properties", {})
    return not api.get("Auth", {}).get("DefaultAuthorizer")


def _target_logical_id(value: Any) -> str:
    """The logical id behind `!GetAtt X.Arn` / `!Ref X` in an event source."""
    if isinstance(value, dict):
        if "Fn::GetAtt" in value:
            att = value["Fn::GetAtt"]
            return str(att.split(".")[0] if isinstance(att, str) else att[0])
        if "Ref" in value:
            return str(value["Ref"])
    raise ValueError(f"local runner needs !GetAtt/!Ref for an event source, got {value!r}")


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)
