"""The end of a re-grading run (`finalize`): the report (CSV, JSON) in S3, the notices of the grades that changed,
the year's lock released and the run completed, in transactions within DynamoDB's limits. Run once per run; a
retried finalize rewrites the same notices (named after the run)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from grading import dal
from grading.clock import iso
from grading.observability import logger
from grading.store import notices as store_notices
from grading.store import objects as storage
from grading.store import regrading as store_regrading

if TYPE_CHECKING:
    pass

from grading.regrading import COUNTS, TX_ITEMS, _started
from grading.store.keys import run_key

NOTICE_ENTRIES = 500


TX_BYTES = 3_000_000  # under a transaction's 4 MB, counted on the request's JSON (larger than DynamoDB's count)


def _transactions(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for item in items:
        n = len(json.dumps(item, default=str))
        if chunks[-1] and (len(chunks[-1]) == TX_ITEMS or size + n > TX_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += n
    return chunks


COLUMNS = [
    "credit_code",
    "provider_name",
    "category",
    "old_grade",
    "new_grade",
    "change",
    "combined",
    "assessments",
    "why",
]


def _write_report(run: dict[str, Any], results: list[dict[str, Any]], base: str) -> dict[str, int]:
    """The report as CSV and JSON in S3; the counts of each change."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in results:
        writer.writerow(row)
    storage.put_artifact(f"{base}.csv", ("\ufeff" + buffer.getvalue()).encode("utf-8"), "text/csv; charset=utf-8")
    counts = {k: sum(1 for r in results if r["change"] == k) for k in COUNTS}
    report = {
        "run_id": run["run_id"],
        "year": int(run["year"]),
        "dry_run": bool(run.get("dry_run")),
        "config": run["config"],
        "counts": counts,
        "rows": [{k: r.get(k) for k in COLUMNS} for r in results],
    }
    storage.put_artifact(
        f"{base}.json", json.dumps(report, ensure_ascii=False, default=str).encode("utf-8"), "application/json"
    )
    return counts


def _notices(run: dict[str, Any], changed: list[dict[str, Any]], at: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The notices of the changed grades, NOTICE_ENTRIES a notice: their ids and their writes."""
    run_id = run["run_id"]
    notice_ids: list[str] = []
    items: list[dict[str, Any]] = []
    for i in range(0, len(changed), NOTICE_ENTRIES):
        # Named after the run, so a finalize retried after some of its transactions rewrites the same notices.
        notice_id = f"{run_id}N{i // NOTICE_ENTRIES:03d}"
        notice_ids.append(notice_id)
        notice = {
            "notice_id": notice_id,
            "version": 1,
            "regrading_run": run_id,
            "kind": "regrading",
            "status": "closed",
            "published_at": at,
            "entries": [
                {
                    "provider_name": r["provider_name"],
                    "credit_code": r["credit_code"],
                    "category": r.get("category"),
                    "grade": r["new_grade"],
                    "note": f"{run['year']}年度复评：{r['old_grade']}级 → {r['new_grade']}级",
                }
                for r in changed[i : i + NOTICE_ENTRIES]
            ],
        }
        items.append(
            store_notices.run_notice_item(notice_id, notice, run_id)  # new, or this run's own
        )
    return notice_ids, items


def finalize(run_id: str, now: datetime) -> None:
    run = dal.get_item(run_key(run_id))
    if run is None or run["status"] != "running":
        return
    now = _started(run)
    results = sorted(dal.query_partition(f"REGRADING#{run_id}", begins_with="ITEM#"), key=lambda r: r["credit_code"])
    base = f"reports/regrading/{run_id}"
    counts = _write_report(run, results, base)
    notice_ids: list[str] = []
    items: list[dict[str, Any]] = []
    if not run.get("dry_run"):
        notice_ids, items = _notices(run, [r for r in results if r["change"] in ("up", "down")], iso(now))
        items.append(store_regrading.release_year_item(int(run["year"])))
    completed = {
        **run,
        "status": "completed",
        "completed_at": iso(now),
        "report_json_key": f"{base}.json",
        "report_csv_key": f"{base}.csv",
        "notice_ids": notice_ids,
        "final_counts": counts,
    }
    version = completed.pop("version")
    items.append(store_regrading.changed_run_item(run_id, completed, version))
    # Notices go in transactions within DynamoDB's limits (100 items, 4 MB); the run flips to completed in the last.
    for chunk in _transactions(items):
        dal.write(*chunk)
    logger.info("re-grading completed", run_id=run_id, counts=counts)
