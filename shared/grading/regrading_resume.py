"""A re-grading run's messages: queued after the run commits, and queued again for a run found without them.

The start commits the run, its counters and the year's lock in one transaction, and only then sends the shard
messages: a send that fails (an SQS outage) would leave the year locked with nothing queued. So the run records
`queued_at` once its messages are sent, and a run that is running without it is resumed: by a retry of the same
start (which finds the year's lock) or by an admin (`POST /v1/regradings/{run_id}/resume`, for any stuck run: a
page that went to the dead-letter queue, a lost finalize). Resuming queues the first page of every shard that is
not complete, or the finalize once all are. That is safe at any time: a page already done commits nothing again
(its result items are `attribute_not_exists`) and passes on to the next, and finalize runs once. A message queued
twice costs a re-read, never a double write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import dal
from grading.clock import iso
from grading.errors import NotFound
from grading.identity import Caller, Role
from grading.observability import logger
from grading.regrading import COUNTER_SHARDS
from grading.store import queue
from grading.store.keys import run_key, year_lock_key


def queue_run(run_id: str, shards: list[int], now: datetime) -> None:
    """Send the first page of each shard, then record that the run's messages have left."""
    queue.send([{"kind": "shard", "run_id": run_id, "shard": s, "token": None} for s in shards])
    dal.set_once(run_key(run_id), {"queued_at": iso(now)}, guard="queued_at")


def unqueued_run_of(year: int) -> dict[str, Any] | None:
    """The year's running run if its messages never left (its start failed after the commit), else None."""
    lock = dal.get_item(year_lock_key(year))
    run = dal.get_item(run_key(str(lock["run_id"]))) if lock else None
    if run is None or run["status"] != "running" or run.get("queued_at"):
        return None
    return run


def resume_unqueued(year: int, now: datetime) -> str | None:
    """What a retried start does when the year is locked: resume the run whose messages never left (its run id),
    or None (the run is under way: the caller's 409)."""
    run = unqueued_run_of(year)
    if run is None:
        return None
    logger.warning("re-grading start retried: queueing the run's messages", run_id=run["run_id"])
    queue_run(str(run["run_id"]), _incomplete(run), now)
    return str(run["run_id"])


def _incomplete(run: dict[str, Any]) -> list[int]:
    complete = {int(s) for s in run.get("complete") or ()}
    return [s for s in range(COUNTER_SHARDS) if s not in complete]


def resume(caller: Caller, run_id: str, now: datetime) -> dict[str, Any]:
    """Queue again what a running run needs to go on. Idempotent: a second call queues the same (harmless) pages."""
    caller.require(Role.ADMIN)
    run = dal.get_item(run_key(run_id))
    if run is None:
        raise NotFound(f"re-grading run {run_id} not found")
    if run["status"] != "running":
        return {"run_id": run_id, "status": run["status"], "queued_shards": [], "finalize_queued": False}
    shards = _incomplete(run)
    if shards:
        queue_run(run_id, shards, now)
    else:  # every shard is counted complete: only the report is missing (finalize runs once, so this is safe)
        queue.send([{"kind": "finalize", "run_id": run_id}])
        dal.set_once(run_key(run_id), {"queued_at": iso(now)}, guard="queued_at")
    logger.info("re-grading resumed", run_id=run_id, shards=shards, by=caller.sub)
    return {"run_id": run_id, "status": "running", "queued_shards": shards, "finalize_queued": not shards}
