"""The one place request paths read the wall clock; scheduled jobs pass "now" from their event instead."""

from __future__ import annotations

from datetime import UTC, date, datetime

from grading.config import settings


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_date(moment: datetime) -> date:
    """The calendar date in the operator's time zone (Asia/Shanghai by default)."""
    return moment.astimezone(settings().tz).date()
