"""Figure 5: a whole annual re-grading (POST /v1/regradings, then the queue played message by message into
RegradingWorkerFunction as its SQS event source would) against the baseline of BatchWriteItem of the same items the
run wrote, into an identical empty table, in the same run."""

from __future__ import annotations

import contextlib
import gc
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3

from bench import population
from bench.harness import Captured, System
from bench.scenarios import ADMIN

WRITE_OPS = ("Put", "Update", "Delete")


def written_items(calls: list[Captured], table: str) -> Iterator[dict[str, Any]]:
    """Every item the run wrote, as a BatchWriteItem request: Puts as written, Updates as a Put of their key and
    new values (about the size they write), Deletes as deletes. Condition checks write nothing."""

    def as_put(body: dict[str, Any]) -> dict[str, Any]:
        if "Item" in body:
            return {"PutRequest": {"Item": body["Item"]}}
        values = body.get("ExpressionAttributeValues", {})
        return {"PutRequest": {"Item": {**body["Key"], **{f"v{i}": v for i, v in enumerate(values.values())}}}}

    for call in calls:
        if call.operation not in ("TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem"):
            continue
        request = call.body
        if call.operation == "TransactWriteItems":
            for entry in request["TransactItems"]:
                ((op, body),) = entry.items()
                if body.get("TableName") != table:
                    continue
                if op == "Delete":
                    yield {"DeleteRequest": {"Key": body["Key"]}}
                elif op in WRITE_OPS:
                    yield as_put(body)
        elif request.get("TableName") != table:
            continue
        elif call.operation == "DeleteItem":
            yield {"DeleteRequest": {"Key": request["Key"]}}
        else:
            yield as_put(request)


def raw_batch_write(client: Any, table: str, requests: list[dict[str, Any]]) -> tuple[float, int]:
    """BatchWriteItem, 25 a call; a key met twice starts a new call (one request may not name an item twice)."""
    batches: list[list[dict[str, Any]]] = [[]]
    seen: set[str] = set()
    for request in requests:
        ((_, body),) = request.items()
        attrs = body.get("Item") or body["Key"]
        key = f"{attrs['PK']}|{attrs['SK']}"
        if len(batches[-1]) == 25 or key in seen:
            batches.append([])
            seen = set()
        batches[-1].append(request)
        seen.add(key)
    started = time.perf_counter()
    calls = 0
    for batch in batches:
        if batch:
            calls += population.batch_write(client, table, iter(batch))
    return time.perf_counter() - started, calls


def _run_status(client: Any, table: str, run_id: str) -> str:
    key = {"PK": {"S": f"REGRADING#{run_id}"}, "SK": {"S": "#RUN"}}
    item = client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") or {}
    return str(item.get("status", {}).get("S", "missing"))


def run_once(system: System, size: int, timeout: float) -> dict[str, Any]:
    from local.backend import create_resources, internal_client
    from local.pollers import EventPollers
    from local.template import load_stack

    system.reset()
    client = internal_client("dynamodb", system.stack.region)
    now = datetime.now(UTC)
    seeding = population.seed(client, system.table, 0, size, now, now.year, set())
    # The worker, as its SQS event source mapping plays it (batches of 10, deletes, partial failures), driven here
    # message batch by message batch with no polling pause, so the time is the work's.
    pollers = EventPollers(system.stack, system.host)
    (worker,) = [p for p in pollers.pollers if p.function == "RegradingWorkerFunction"]
    worker.connect()
    with contextlib.suppress(Exception):  # an empty batch may be refused: the import has happened either way
        system.host.invoke("RegradingWorkerFunction", {"Records": []})  # its cold start is figure 2's business
    system.call("GET", "/v1/regradings/warm-up", who=ADMIN)  # and so is RegradingFunction's (a 404)
    gc.collect()
    gc.freeze()
    batches = 0
    error = None
    started = time.perf_counter()
    with system.capture.recording(bodies=True) as calls:
        reply = system.call("POST", "/v1/regradings", {"year": now.year}, who=ADMIN)
        run_id = reply.body.get("run_id") if isinstance(reply.body, dict) else None
        if reply.status != 202 or not run_id:
            error = f"POST /v1/regradings -> {reply.status}: {str(reply.body)[:200]}"
        while error is None:
            if worker.poll_once():
                batches += 1
                continue
            if _run_status(client, system.table, run_id) == "completed":
                break
            if time.perf_counter() - started > timeout:
                error = f"not completed after {timeout:.0f}s (a failed message waits out its visibility timeout)"
                break
            time.sleep(0.01)
    seconds = time.perf_counter() - started
    gc.unfreeze()
    view = system.call("GET", f"/v1/regradings/{run_id}", who=ADMIN).body if run_id else {}
    moto_seconds = sum(c.seconds for c in calls)
    by_operation: dict[str, float] = {}
    for c in calls:
        by_operation[c.operation] = by_operation.get(c.operation, 0.0) + c.seconds
    transactions = sum(1 for c in calls if c.operation == "TransactWriteItems")
    items = list(written_items(calls, system.table))
    raw_stack = load_stack(system.stack.root / "template.yaml", stack_name="bench-raw")
    create_resources(raw_stack)
    raw_table = raw_stack.tables["GradingTable"]
    # The baseline's client is configured as the functions' is (grading.dal.client: no client-side validation).
    from botocore.config import Config

    from local.backend import INTERNAL_AGENT

    raw_client = boto3.client(
        "dynamodb",
        region_name=system.stack.region,
        config=Config(user_agent_extra=INTERNAL_AGENT, parameter_validation=False),
    )
    raw_seconds, raw_calls = raw_batch_write(raw_client, raw_table, items)
    row: dict[str, Any] = {
        "providers": size,
        "seconds": round(seconds, 2),
        "raw_batch_seconds": round(raw_seconds, 2),
        "items_written": len(items),
        "raw_batch_calls": raw_calls,
        "worker_batches": batches,
        "transactions": transactions,
        "moto_seconds": round(moto_seconds, 2),
        "moto_seconds_by_operation": {k: round(v, 2) for k, v in sorted(by_operation.items())},
        "calls_by_operation": {op: sum(1 for c in calls if c.operation == op) for op in sorted(by_operation)},
        "status": (view or {}).get("status"),
        "counts": (view or {}).get("counts"),
        "seeding": seeding.as_dict(),
    }
    if error:
        row["error"] = error
    print(
        f"  re-grading {size:>6,} providers: {seconds:.1f}s through the queue ({len(items):,} items written, moto "
        f"{moto_seconds:.1f}s) vs {raw_seconds:.1f}s raw BatchWriteItem; {row['status']} {row['counts']}",
        file=sys.stderr,
    )
    return row


def run(system: System, sizes: list[int], timeout: float) -> list[dict[str, Any]]:
    return [run_once(system, size, timeout) for size in sizes]
