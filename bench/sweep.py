"""Figure 4: the daily sweep (DailySweepFunction, invoked with its schedule event) at growing populations with the
same 10 items due. moto answers an index Query by scanning and sorting the whole table, which DynamoDB does not, so
the time moto spent in those Queries (measured at the server) is reported apart: the rest is the sweep's own work."""

from __future__ import annotations

import gc
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench import population
from bench.harness import System

DUE = 10


def run(system: System, sizes: list[int]) -> list[dict[str, Any]]:
    from local.backend import internal_client
    from local.pollers import scheduled_event

    system.reset()
    client = internal_client("dynamodb", system.stack.region)
    now = datetime.now(UTC).replace(microsecond=0)
    event = scheduled_event(system.stack, "DailySweepFunction")
    event["time"] = now.isoformat().replace("+00:00", "Z")
    system.host.invoke("DailySweepFunction", event)  # warm: its import is figure 2's business
    rows: list[dict[str, Any]] = []
    seeded = 0
    for size in sorted(sizes):
        # The population grows; each size gets ten fresh certificates that expired yesterday (the last ones
        # the previous sweep expired are no longer due).
        due = set(range(size - DUE, size))
        seeding = population.seed(client, system.table, seeded, size, now, now.year, due)
        seeded = size
        gc.collect()
        gc.freeze()  # the seeded items are moto's long-lived objects: keep the collector off them, as a server would
        started = time.perf_counter()
        with system.capture.recording(bodies=False) as calls:
            try:
                report = system.host.invoke("DailySweepFunction", event)
                error = None
            except Exception as exc:  # the handler raises when an item failed: report it, keep measuring
                report, error = {}, f"{type(exc).__name__}: {exc}"[:300]
        seconds = time.perf_counter() - started
        scans = sum(c.seconds for c in calls if c.operation == "Query")
        row = {
            "providers": size,
            "due": DUE,
            "items_read": report.get("items_read"),
            "certificates_expired": report.get("certificates_expired"),
            "seconds": round(seconds, 3),
            "moto_query_seconds": round(scans, 3),
            "seconds_without_moto_scans": round(seconds - scans, 3),
            "dynamodb_calls": len(calls),
            "items_in_table": 2 * size,
            "seeding": seeding.as_dict(),
        }
        if error:
            row["error"] = error
        rows.append(row)
        print(
            f"  sweep at {size:>7,} providers: {row['items_read']} read, {seconds:.2f}s, of which moto's index "
            f"scans {scans:.2f}s; seeding {seeding.batch_seconds + seeding.direct_seconds:.1f}s",
            file=sys.stderr,
        )
    gc.unfreeze()
    return rows
