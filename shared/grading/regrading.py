"""Annual re-grading (年度复评) of every certified provider, and the what-if that runs it under a draft config.

The rule is pure, in regrading_rule.py; the report and notices at the end of a run in regrading_report.py.

The run (fan-out through one SQS queue, the same code locally and on AWS):
  POST /regradings -> run record + counters + one `shard` message per shard of the sparse certified index (16)
  `shard`    -> one page of that shard (SHARD_PAGE providers, whole records: the index projects them), counted
                once into the shard's counter; its re-grades committed in transactions of up to 100 items, each
                with its result items (attribute_not_exists: a redelivered page changes nothing twice), provider
                grades with audit entries (conditional on the audit sequence read), certificates and the shard's
                counter; then the shard's next page as a new message, or the shard counted complete on the run
  `finalize` -> queued by the shard whose count completes the run (an atomic ADD, once per shard): the report
                (CSV, JSON) in S3, the notice of changes, the run completed. A crash anywhere is resumed by SQS
                redelivery of the page it was on.
The shards run in parallel (up to the worker's maximum concurrency), the pages of one shard in sequence.
The page is read from the index, which is eventually consistent: a provider changed just before its page is read
fails the transaction's audit-sequence condition, and is then re-read consistently and re-graded alone.
A what-if (`dry_run`) runs the same items but writes only result items: no grade, certificate or notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from grading import certificates, dal
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.errors import Conflict, NotFound
from grading.identity import Caller, Role
from grading.ids import new_id
from grading.store import objects as storage
from grading.store import queue
from grading.store import regrading as store_regrading
from grading.store.keys import counter_key, pk_sk, result_key, run_key, year_lock_key

if TYPE_CHECKING:
    pass
from grading.regrading_rule import RegradingConfig, regrade

SHARD_PAGE = 250  # providers a page message re-grades (DynamoDB also ends a page at 1 MB; the next token follows)
TX_ITEMS = 100  # DynamoDB's limit of items in one TransactWriteItems
COUNTER_SHARDS = dal.CERTIFIED_SHARDS  # one counter per shard of certified providers: one writer at a time


# --- keys and plumbing -------------------------------------------------------------------------------------


# --- API side ----------------------------------------------------------------------------------------------


def start(caller: Caller, year: int, now: datetime, draft: RegradingConfig | None = None) -> str:
    caller.require(Role.ADMIN)
    config = draft or current_config()
    run_id = new_id()
    dry_run = draft is not None
    run = {
        "run_id": run_id,
        "year": year,
        "status": "running",
        "dry_run": dry_run,
        "config": config.model_dump(mode="json"),
        "started_at": iso(now),
        "started_by": caller.sub,
    }
    counters = {**dict.fromkeys(COUNTS, 0), "done": 0, "total": 0}
    items = store_regrading.start_items(run_id, run, counters, COUNTER_SHARDS, None if dry_run else year)
    from grading import regrading_resume  # the messages, and the retry that finds a run without them

    try:
        dal.write(*items)
    except dal.TransactionConflict as lost:
        if "year" in lost.reasons:
            resumed = regrading_resume.resume_unqueued(year, now)  # a retry after the send failed: go on with it
            if resumed:
                return resumed
            running = dal.get_item(year_lock_key(year)) or {}
            raise Conflict(
                f"a re-grading of {year} is already running ({running.get('run_id')})", code="REGRADING_RUNNING"
            ) from None
        raise
    regrading_resume.queue_run(run_id, list(range(COUNTER_SHARDS)), now)
    return run_id


COUNTS = ("up", "down", "kept", "no_data", "failed")


def _started(run: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(run["started_at"]).replace("Z", "+00:00"))


def current_config() -> RegradingConfig:
    """The stored `regrading` settings (GET/PUT /v1/settings/regrading); its version is the settings version."""
    from grading import policy_store  # policy imports this module's RegradingConfig

    config: RegradingConfig = policy_store.current("regrading").values
    return config


def status(caller: Caller, run_id: str) -> dict[str, Any]:
    """Pattern 19: the run and its counter shards in one round trip."""
    caller.require(Role.ADMIN)
    keys = [run_key(run_id)] + [counter_key(run_id, n) for n in range(COUNTER_SHARDS)]
    found = dal.get_many(keys)
    run = found.get((keys[0]["PK"], keys[0]["SK"]))
    if run is None:
        raise NotFound(f"re-grading run {run_id} not found")
    counters = [found[(k["PK"], k["SK"])] for k in keys[1:] if (k["PK"], k["SK"]) in found]
    if run["status"] == "completed":  # the report's counts: one row per provider re-graded
        counts = {k: int(run["final_counts"].get(k) or 0) for k in COUNTS}
        done = total = sum(counts.values())
    else:
        counts = {k: sum(int(c.get(k) or 0) for c in counters) for k in COUNTS}
        done = sum(int(c.get("done") or 0) for c in counters)
        total = max(done, sum(int(c.get("total") or 0) for c in counters))
    return {
        "run_id": run_id,
        "year": int(run["year"]),
        "status": run["status"],
        "dry_run": bool(run.get("dry_run")),
        "done": done,
        "total": total,
        "enumerated": int(run.get("shards_complete") or 0) == COUNTER_SHARDS,
        "counts": counts,
        "report_url": storage.presigned_get(run["report_json_key"], 900) if run.get("report_json_key") else None,
        "report_csv_url": storage.presigned_get(run["report_csv_key"], 900) if run.get("report_csv_key") else None,
        "notice_ids": run.get("notice_ids", []),
        "config_version": run["config"]["version"],
    }


# --- worker side -------------------------------------------------------------------------------------------


def handle(message: dict[str, Any], now: datetime) -> None:
    """One queue message. Dates written by a run (certificates, notices) are the run's start, not the wall clock,
    so a resumed run writes what an uninterrupted one would have."""
    kind = message["kind"]
    if kind == "shard":
        process_page(message["run_id"], int(message["shard"]), message.get("token"))
    elif kind == "finalize":
        from grading import regrading_report  # the report reads this module's keys

        regrading_report.finalize(message["run_id"], now)
    else:
        raise ValueError(f"unknown message kind {kind!r}")


def process_page(run_id: str, shard: int, token: str | None) -> None:
    """One page of one shard, start to end: read the page (the index projects whole provider records, so the page
    is the read), count it once, commit its re-grades in transactions of up to 100 items, then queue the shard's
    next page, or count the shard complete on the run and, if it was the last, ask for the report.

    A shard's pages run one after another, so its counter item has one writer at a time (no transaction conflicts
    between workers). A redelivered page finds its results already written: the transaction that would write them
    again is cancelled and the page falls back to reading which providers are still to do."""
    run = dal.get_item(run_key(run_id))
    if run is None or run["status"] != "running":
        return
    page, next_token = dal.certified_page(shard, SHARD_PAGE, token)
    dal.add_once(counter_key(run_id, shard), {"total": len(page)}, marker_attr="pages", marker=token or "-")
    work = Work(run, shard)
    plans = work.plans(list(page), [p["credit_code"] for p in page])
    for chunk in _chunks(plans, work.dry_run):
        try:
            _commit_batch(run_id, shard, chunk, work.dry_run)
        except dal.TransactionConflict:
            _commit_fresh(work, [plan.credit_code for plan in chunk])
    if next_token:
        queue.send([{"kind": "shard", "run_id": run_id, "shard": shard, "token": next_token}])
        return
    # The shard is done: count it on the run, once. Exactly one shard's count reaches them all, and asks for the
    # report; a redelivered last page (counted already) looks whether that was asked for.
    counted = dal.add_once(run_key(run_id), {"shards_complete": 1}, marker_attr="complete", marker=str(shard))
    if counted is None:
        run = dal.get_item(run_key(run_id)) or {}
        if str(shard) not in (run.get("complete") or ()):  # refused, yet not counted: let the queue deliver it again
            raise RuntimeError(f"shard {shard} of run {run_id} is not counted complete")
        complete = int(run.get("shards_complete") or 0)
    else:
        complete = int(counted["shards_complete"] or 0)
    if complete == COUNTER_SHARDS:
        _request_finalize(run_id)


@dataclass
class Plan:
    credit_code: str
    result: dict[str, Any]
    writes: list[dict[str, Any]]


class Work:
    """What every provider of a run is re-graded with: the run's config, year, start and mode."""

    def __init__(self, run: dict[str, Any], shard: int) -> None:
        self.run = run
        self.shard = shard
        self.config = RegradingConfig.model_validate(run["config"])
        self.year = int(run["year"])
        self.now = _started(run)
        self.dry_run = bool(run.get("dry_run"))

    def plans(self, providers: list[dict[str, Any] | None], credit_codes: list[str]) -> list[Plan]:
        """A plan for each provider (None: not found), reading their certificates unless this is a what-if."""
        held = {} if self.dry_run else certificates.held_by_each(providers)
        return [
            _plan(self.run, self.config, self.year, p, cc, self.now, held.get(certificates.number_held(p)))
            for p, cc in zip(providers, credit_codes, strict=True)
        ]


def _chunks(plans: list[Plan], dry_run: bool) -> list[list[Plan]]:
    """Plans packed into transactions of at most TX_ITEMS items, one of which is the counter."""
    chunks: list[list[Plan]] = []
    size = TX_ITEMS
    for plan in plans:
        items = 1 + (0 if dry_run else len(plan.writes))
        if size + items > TX_ITEMS - 1:
            chunks.append([])
            size = 0
        chunks[-1].append(plan)
        size += items
    return chunks


def _commit_fresh(work: Work, credit_codes: list[str], alone: bool = False) -> None:
    """After a cancelled transaction: re-read the providers and their results (consistently), leave out those a
    previous delivery already did, and commit the rest. If that is cancelled too, each provider is tried alone, and
    one that is still changing under the run is reported as failed rather than retried for ever."""
    run_id = work.run["run_id"]
    keys = [k for cc in credit_codes for k in (dal.provider_key(cc), result_key(run_id, cc))]
    fresh: dict[tuple[str, str], dict[str, Any]] = {}
    for i in range(0, len(keys), 100):
        fresh |= dal.get_many(keys[i : i + 100])
    todo = [cc for cc in credit_codes if pk_sk(result_key(run_id, cc)) not in fresh]
    plans = work.plans([fresh.get(pk_sk(dal.provider_key(cc))) for cc in todo], todo)
    for chunk in _chunks(plans, work.dry_run):
        try:
            _commit_batch(run_id, work.shard, chunk, work.dry_run)
        except dal.TransactionConflict:
            for plan in chunk:  # one at a time, so one busy provider does not hold up the others
                if alone:
                    _commit_batch(run_id, work.shard, [_failed(plan.credit_code, "changed during the run twice")], True)
                else:
                    _commit_fresh(work, [plan.credit_code], alone=True)


def _failed(cc: str, why: str) -> Plan:
    return Plan(cc, {"credit_code": cc, "change": "failed", "why": why}, [])


def _plan(
    run: dict[str, Any],
    config: RegradingConfig,
    year: int,
    provider: dict[str, Any] | None,
    cc: str,
    now: datetime,
    held: dict[str, Any] | None = None,
) -> Plan:
    """`held`: the provider's current certificate record, as read (not needed for a what-if)."""
    if provider is None or not provider.get("certificate") or provider.get("status") == "eliminated":
        return _failed(cc, "not a certified provider any more")
    old_grade = int(provider["grade"])
    scores = provider.get("assessment_scores") or {}
    results = provider.get("assessment_results") or {}
    year_results = [
        (results[p], Decimal(str(scores[p]))) for p in sorted(scores) if p.startswith(str(year)) and p in results
    ]
    outcome = regrade(config, old_grade, Decimal(str(provider.get("evaluation_total") or 0)), year_results)
    result = {
        "credit_code": cc,
        "provider_name": provider.get("name", ""),
        "category": provider.get("category"),
        "old_grade": outcome.old_grade,
        "new_grade": outcome.new_grade,
        "change": outcome.change,
        "combined": str(outcome.combined) if outcome.combined is not None else None,
        "assessments": len(year_results),
        "why": outcome.why,
    }
    if run.get("dry_run") or outcome.change == "no_data":
        return Plan(cc, result, [])
    at = iso(now)
    valid_until = (local_date(now) + timedelta(days=config.valid_days)).isoformat()
    old_number = provider["certificate"]["number"]
    if not certificates.can_supersede(held):
        state = held.get("status") if held else "missing"
        return _failed(cc, f"its certificate {old_number} is {state}, not valid: re-grade it once that is settled")
    assert held is not None
    change = certificates.Regraded(
        outcome.change == "kept", outcome.new_grade, valid_until, f"regrading {config.version}"
    )
    certificate, seq, writes = certificates.regraded(provider, held, change, run["run_id"], now)
    audit = entry_for(
        provider,
        at=at,
        actor=f"regrading:{run['run_id']}",
        action="provider.regraded",
        data={k: result[k] for k in ("old_grade", "new_grade", "change", "combined", "why")},
    )
    after = {
        **provider,
        "grade": outcome.new_grade,
        "certificate": certificate,
        "certificate_seq": seq,
        "updated_at": at,
    }
    writes += dal.tx_provider_change(provider, after, audit, name=f"provider:{cc}")
    return Plan(cc, result, writes)


def _commit_batch(run_id: str, shard: int, plans: list[Plan], dry_run: bool) -> None:
    counts = dict.fromkeys(COUNTS, 0)
    items: list[dict[str, Any]] = []
    for plan in plans:
        counts[plan.result["change"]] += 1
        items.append(store_regrading.result_item(run_id, plan.credit_code, plan.result))
        if not dry_run:
            items.extend(plan.writes)
    items.append(store_regrading.count_item(run_id, shard, len(plans), counts))
    dal.write(*items)


def _request_finalize(run_id: str) -> None:
    if dal.set_once(run_key(run_id), {"finalize_requested": True}, guard="finalize_requested"):
        queue.send([{"kind": "finalize", "run_id": run_id}])
    else:  # asked already; a retry gets here only if that send may have failed, and finalize runs once anyway
        run = dal.get_item(run_key(run_id)) or {}
        if run.get("status") == "running":
            queue.send([{"kind": "finalize", "run_id": run_id}])
