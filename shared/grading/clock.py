"""The one place request paths read the wall clock; scheduled jobs pass "now" from their event instead."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from grading.config import settings


def now() -> datetime:
    return datetime.now(UTC)


def from_request(event: dict[str, Any]) -> datetime:
    """The request's own time (API Gateway's `requestTimeEpoch`, in milliseconds), else the wall clock."""
    epoch = (event.get("requestContext") or {}).get("requestTimeEpoch")
    if isinstance(epoch, (int, float)) and not isinstance(epoch, bool) and epoch > 0:
        return datetime.fromtimestamp(epoch / 1000, UTC)
    return now()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def local_date(moment: datetime) -> date:
    """The calendar date in the operator's time zone (Asia/Shanghai by default)."""
    return moment.astimezone(settings().tz).date()
