"""China's official calendar (法定节假日 and 调休), pure: which days are working days, and where a window or a
deadline ends (如遇节假日顺延: a last day that is a day off runs to the end of the next working day).

The known years come from the `chinesecalendar` library (pinned); `data/calendar.json` and the stored `calendar`
settings add days for a year the library does not know yet. A year neither knows falls back to weekends only,
and `known(year)` says so, so a caller can record it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path

import chinese_calendar

_DATA = Path(__file__).parent / "data" / "calendar.json"


@dataclass(frozen=True)
class Calendar:
    """The library's days plus the operator's: `days_off` on weekdays, `working_days` on weekends."""

    days_off: frozenset[date] = field(default_factory=frozenset)
    working_days: frozenset[date] = field(default_factory=frozenset)

    def with_days(self, days_off: Iterable[date], working_days: Iterable[date]) -> Calendar:
        return Calendar(self.days_off | frozenset(days_off), self.working_days | frozenset(working_days))

    def known(self, year: int) -> bool:
        return year in _library_years() or any(d.year == year for d in self.days_off | self.working_days)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        if day.year in _library_years():
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def deadline(self, start: date, days: int, working_days: bool = False) -> date:
        """The last day of a period of `days` from `start` (not counted): calendar days rolled forward past days
        off (顺延), or `days` working days."""
        if not working_days:
            return self.next_working_day(start + timedelta(days=days))
        day, left = start, days
        while left > 0:
            day += timedelta(days=1)
            left -= self.is_working_day(day)
        return day

    def window_end(self, opened: datetime, days: int, tz: tzinfo, working_days: bool = False) -> datetime:
        """When a window opened at `opened` closes: `days` later to the minute, unless that falls on a day off (or
        the window counts working days), then at the end of its last (working) day, in local time."""
        local = opened.astimezone(tz)
        exact = local + timedelta(days=days)
        if not working_days and self.is_working_day(exact.date()):
            return exact
        last = self.deadline(local.date(), days, working_days)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)


@cache
def _library_years() -> frozenset[int]:
    return frozenset(d.year for d in chinese_calendar.holidays)


def _dates(values: Iterable[str]) -> frozenset[date]:
    return frozenset(date.fromisoformat(v) for v in values)


@cache
def shipped() -> Calendar:
    """The library's years plus the days shipped in data/calendar.json."""
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    return Calendar(_dates(data.get("days_off", [])), _dates(data.get("working_days", [])))


def with_operator_days(days_off: Iterable[str], working_days: Iterable[str]) -> Calendar:
    return shipped().with_days(_dates(days_off), _dates(working_days))
