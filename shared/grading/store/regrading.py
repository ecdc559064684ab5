"""A re-grading run's items (patterns 19-20): the run, its counter shards, the year's lock, per-provider results."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_delete, tx_put, tx_update
from grading.store.keys import counter_key, result_key, run_key, year_lock_key


def start_items(
    run_id: str, run: dict[str, Any], counters: dict[str, int], shards: int, lock_year: int | None
) -> list[dict[str, Any]]:
    """A new run with `shards` counter shards starting at `counters`, and (unless None) the lock on `lock_year`
    that refuses (as `year`) a second run of the same year."""
    items = [tx_put(run_key(run_id), "regrading_run", run, name="run", new=True)]
    items += [
        tx_put(counter_key(run_id, n), "regrading_counter", counters, name="counter", new=True) for n in range(shards)
    ]
    if lock_year is not None:
        items.append(tx_put(year_lock_key(lock_year), "regrading_lock", {"run_id": run_id}, name="year", new=True))
    return items


def result_item(run_id: str, credit_code: str, result: dict[str, Any]) -> dict[str, Any]:
    """A provider's result in the run, written once."""
    return tx_put(result_key(run_id, credit_code), "regrading_result", result, name="result", new=True)


def count_item(run_id: str, shard: int, done: int, counts: dict[str, int]) -> dict[str, Any]:
    """ADD `done` and each of `counts` to a counter shard of the run."""
    return tx_update(
        counter_key(run_id, shard),
        "ADD done :done, " + ", ".join(f"{k} :{k}" for k in counts),
        {":done": done, **{f":{k}": v for k, v in counts.items()}},
        name="counter",
    )


def release_year_item(year: int) -> dict[str, Any]:
    return tx_delete(year_lock_key(year), name="year")


def changed_run_item(run_id: str, run: dict[str, Any], version: int) -> dict[str, Any]:
    """The run as `run`, optimistic on the `version` read."""
    return tx_put(run_key(run_id), "regrading_run", run, name="run", expected_version=version)
