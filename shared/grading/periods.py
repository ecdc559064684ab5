"""Assessment periods (考核期), pure: when one ends, which one comes before it, and the consecutive-failure rule
(连续不合格) read as DOMAIN.md says: "consecutive" means adjacent periods of the calendar, so a period left
unassessed breaks the chain. Quarterly periods are `2026-Q3`, annual ones `2026`."""

from __future__ import annotations

import re
from datetime import date, timedelta

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


def _ordinal(period: str) -> tuple[str, int]:
    """A period as (kind, a number that grows by one from each period to the next)."""
    if m := _QUARTER.fullmatch(period):
        return "quarterly", int(m[1]) * 4 + int(m[2]) - 1
    if m := _YEAR.fullmatch(period):
        return "annual", int(m[1])
    raise ValueError(f"not a period: {period!r}")


def _period(kind: str, ordinal: int) -> str:
    return f"{ordinal // 4}-Q{ordinal % 4 + 1}" if kind == "quarterly" else str(ordinal)


def last_day(period: str) -> date:
    kind, n = _ordinal(period)
    if kind == "annual":
        return date(n, 12, 31)
    year, quarter = divmod(n, 4)
    first_of_next = date(year + 1, 1, 1) if quarter == 3 else date(year, quarter * 3 + 4, 1)
    return first_of_next - timedelta(days=1)


def first_day(period: str) -> date:
    kind, n = _ordinal(period)
    if kind == "annual":
        return date(n, 1, 1)
    year, quarter = divmod(n, 4)
    return date(year, quarter * 3 + 1, 1)


def has_ended(period: str, today: date) -> bool:
    return last_day(period) < today


def previous(period: str) -> str:
    kind, n = _ordinal(period)
    return _period(kind, n - 1)


def adjacent(earlier: str, later: str) -> bool:
    (kind_a, a), (kind_b, b) = _ordinal(earlier), _ordinal(later)
    return kind_a == kind_b and b == a + 1


def trailing_failures(results: dict[str, str]) -> int:
    """The run of failed periods that ends with the latest assessed one, each adjacent to the next: a gap (a
    period with no assessment) or a pass ends the run."""
    ordered = sorted(results, key=lambda p: _ordinal(p))
    count, later = 0, None
    for period in reversed(ordered):
        if results[period] != "fail" or (later is not None and not adjacent(period, later)):
            break
        count, later = count + 1, period
    return count
