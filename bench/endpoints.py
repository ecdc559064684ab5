"""Figures 1 and 3: DynamoDB round trips per API request (counted at the backend) and in-process latency per
endpoint, with the baseline of the same DynamoDB calls replayed straight from boto3."""

from __future__ import annotations

import copy
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from bench.harness import Captured, System, median, percentile
from bench.scenarios import Request, Scenario, SetupFailed, World, scenarios, template_endpoints, variants

WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


@dataclass
class EndpointResult:
    endpoint: str
    note: str = ""
    samples: int = 0
    round_trips: list[int] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)  # of the last sample, in order
    other_calls: dict[str, int] = field(default_factory=dict)  # S3 / SQS calls of the last sample
    items: dict[str, int] = field(default_factory=dict)  # read, written, checked by the last sample
    seconds: list[float] = field(default_factory=list)
    baseline_seconds: list[float] = field(default_factory=list)
    replay_errors: int = 0
    error: str | None = None

    @property
    def round_trip_count(self) -> int | None:
        return max(self.round_trips) if self.round_trips else None  # the worst sample, not a typical one

    def latency_ms(self) -> dict[str, Any] | None:
        if not self.seconds:
            return None
        return {
            "p50": round(median(self.seconds) * 1000, 2),
            "p99": round(percentile(self.seconds, 99) * 1000, 2),
            "baseline_p50": round(median(self.baseline_seconds) * 1000, 2) if self.baseline_seconds else 0.0,
            "samples": len(self.seconds),
            "baseline_replay_errors": self.replay_errors,
        }


def _always_true(condition: str) -> str:
    # Keeps every name and value the original condition uses (DynamoDB refuses unused ones) and evaluates it too.
    return f"({condition}) OR attribute_exists(PK) OR attribute_not_exists(PK)"


def replayable(call: Captured) -> tuple[str, dict[str, Any]]:
    """The same request for boto3 (the wire JSON is the client's parameters), with every condition made always true:
    replayed after the real request, a write puts the same items again instead of failing its condition."""
    params = copy.deepcopy(call.body)
    if call.operation in WRITES and "ConditionExpression" in params:
        params["ConditionExpression"] = _always_true(params["ConditionExpression"])
    if call.operation == "TransactWriteItems":
        for item in params["TransactItems"]:
            for body in item.values():
                if "ConditionExpression" in body:
                    body["ConditionExpression"] = _always_true(body["ConditionExpression"])
    return xform_name(call.operation), params


def items_touched(calls: list[Captured]) -> dict[str, int]:
    """Items read (returned), written and condition-checked: what DynamoDB bills, item by item."""
    read = written = checked = 0
    for call in calls:
        answer = call.response or {}
        if call.operation == "GetItem":
            read += 1 if answer.get("Item") else 0
        elif call.operation == "BatchGetItem":
            read += sum(len(items) for items in answer.get("Responses", {}).values())
        elif call.operation == "Query":
            read += int(answer.get("Count", 0))
        elif call.operation in WRITES:
            written += 1
        elif call.operation == "TransactWriteItems":
            for entry in call.body["TransactItems"]:
                if "ConditionCheck" in entry:
                    checked += 1
                else:
                    written += 1
    return {"read": read, "written": written, "checked": checked}


def replay(client: Any, calls: list[Captured]) -> tuple[float, int]:
    """Seconds to make the same DynamoDB calls, one after another, with a plain boto3 client; and how many failed."""
    prepared = [replayable(c) for c in calls]
    errors = 0
    started = time.perf_counter()
    for method, params in prepared:
        try:
            getattr(client, method)(**params)
        except ClientError:
            errors += 1
    return time.perf_counter() - started, errors


def measure(system: System, scenario: Scenario, samples: int, raw_client: Any, warmup: int = 1) -> EndpointResult:
    result = EndpointResult(scenario.endpoint, scenario.note)
    request = None
    for i in range(warmup + samples):
        try:
            if request is None or not scenario.reusable:
                request = scenario.prepare()
        except (SetupFailed, AssertionError, KeyError, TypeError) as exc:
            result.error = f"setup failed: {exc}"
            return result
        system.backend.reset_counts()
        with system.capture.recording() as calls:
            reply = system.call(
                request.method,
                request.path,
                request.body,
                who=request.who,
                headers=request.headers,
                query=request.query,
            )
        log = system.backend.request_log
        if reply.status != request.expect:
            result.error = f"{request.method} {request.path} -> {reply.status}: {str(reply.body)[:300]}"
            return result
        baseline, errors = replay(raw_client, list(calls))
        if i < warmup:
            continue
        result.samples += 1
        result.seconds.append(reply.seconds)
        result.baseline_seconds.append(baseline)
        result.replay_errors += errors
        result.round_trips.append(sum(1 for service, _ in log if service == "dynamodb"))
        result.operations = [operation for service, operation in log if service == "dynamodb"]
        result.other_calls = {}
        for service, operation in log:
            if service != "dynamodb":
                result.other_calls[f"{service}:{operation}"] = result.other_calls.get(f"{service}:{operation}", 0) + 1
        result.items = items_touched(list(calls))
    return result


def warm_up(system: System) -> Any:
    """Import every API function once (its cold start is figure 2's business, not this one's), and make the
    replaying client's first call of each operation (botocore builds its models then) before anything is timed."""
    from local.backend import internal_client

    for spec in system.stack.functions.values():
        if spec.routes:
            path = "/".join("x" if part.startswith("{") else part for part in spec.routes[0].path.split("/"))
            system.call("GET", path, who=("warm-up", "admins"))
    client = internal_client("dynamodb", system.stack.region)
    table, key = system.table, {"PK": {"S": "BENCH#warm"}, "SK": {"S": "WARM"}}
    client.put_item(TableName=table, Item=key, ConditionExpression="attribute_not_exists(PK)")
    client.get_item(TableName=table, Key=key)
    client.batch_get_item(RequestItems={table: {"Keys": [key]}})
    client.query(TableName=table, KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": key["PK"]})
    client.update_item(
        TableName=table, Key=key, UpdateExpression="SET n = :n", ExpressionAttributeValues={":n": {"N": "1"}}
    )
    client.transact_write_items(TransactItems=[{"Delete": {"TableName": table, "Key": key}}])
    client.delete_item(TableName=table, Key=key)
    return client


def coverage(stack: Any, listed: list[Scenario]) -> dict[str, list[str]]:
    """The Api routes of template.yaml without a scenario, and the scenarios of no route (a renamed or removed one)."""
    routes = template_endpoints(stack)
    names = [s.endpoint for s in listed]
    return {
        "without_scenario": [e for e in routes if e not in names],
        "not_in_template": [e for e in names if e not in routes],
    }


def run(system: System, quick: bool) -> tuple[list[EndpointResult], list[EndpointResult], dict[str, list[str]]]:
    """Every endpoint of template.yaml, in a fresh backend (one without a scenario is reported as such); then the
    variants; and the coverage of the template's routes by the scenarios."""
    system.reset()
    raw_client = warm_up(system)
    world = World(system)
    listed = scenarios(world)
    by_endpoint = {s.endpoint: s for s in listed}
    chosen = [by_endpoint.get(e) or Scenario(e, _no_scenario) for e in template_endpoints(system.stack)]
    results: list[list[EndpointResult]] = [[], []]
    for group, scenario in [(0, s) for s in chosen] + [(1, s) for s in variants(world)]:
        count = (5 if quick else 30) if scenario.reusable else (2 if quick else 12)
        started = time.perf_counter()
        result = measure(system, scenario, count, raw_client)
        elapsed = time.perf_counter() - started
        status = result.error or f"{result.round_trip_count} round trips"
        print(f"  {scenario.endpoint:<66} {elapsed:5.1f}s  {status}", file=sys.stderr)
        results[group].append(result)
    return results[0], results[1], coverage(system.stack, listed)


def _no_scenario() -> Request:
    raise SetupFailed("no scenario in bench/scenarios.py for this endpoint of template.yaml")
