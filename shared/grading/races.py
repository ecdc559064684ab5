"""Read, decide, commit, and again from a fresh read when another writer won the race: the one retry loop.

Every state change is conditional (an item's `version`, the provider's `audit_seq`), so a lost race is a
cancelled transaction (`dal.TransactionConflict`), never a lost update. Use-cases write one attempt; this
module decides how often it runs and what a caller hears when it never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from grading import dal
from grading.errors import Conflict

ATTEMPTS = 3

T = TypeVar("T")


def busy(what: str) -> Conflict:
    """What a caller hears when `what` kept changing under every attempt (409, CONCURRENT_CHANGE)."""
    return Conflict(f"the {what} changed while we were writing; retry the request", code="CONCURRENT_CHANGE")


def exhausted() -> dal.TransactionConflict:
    """For the daily sweep's steps, which report a lost race rather than answer a person."""
    return dal.TransactionConflict(["retries exhausted"])


def retrying(
    attempt: Callable[[], T],
    *,
    what: str = "records",
    on_lost: Callable[[dal.TransactionConflict], None] | None = None,
    gave_up: Callable[[], Exception] | None = None,
    attempts: int = ATTEMPTS,
) -> T:
    """Run `attempt` (read, decide, commit) until it commits, at most `attempts` times. A cancelled transaction
    runs it again from a fresh read; `on_lost` sees why first and may raise the answer that failed condition means
    (an item that already exists, say). When every attempt lost: `gave_up()`, by default busy(`what`)."""
    for _ in range(attempts):
        try:
            return attempt()
        except dal.TransactionConflict as lost:
            if on_lost is not None:
                on_lost(lost)
    raise gave_up() if gave_up is not None else busy(what)
