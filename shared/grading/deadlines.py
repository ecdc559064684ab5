"""Where windows and deadlines end: the stored settings' day counts on China's official calendar (如遇节假日顺延,
or working days where the settings say so). Each answer carries the versions it used: the settings' (`review@2`)
and the calendar's (`calendar@1`), as `{"settings": ..., "calendar": ...}` for the record it shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from grading import policy_store
from grading.clock import iso
from grading.config import settings


def used(stored: policy_store.Stored, calendar: policy_store.Stored) -> dict[str, str]:
    """What a window or deadline records: the settings version that counted its days and the calendar's."""
    return {"settings": stored.ref, "calendar": calendar.ref}


RETURN_SETTINGS = ("review", "calendar")  # what return_deadline reads


def return_deadline(
    today: date, found: dict[tuple[str, str], dict[str, Any]] | None = None
) -> tuple[date, dict[str, str]]:
    """The last day to answer a return for more documents (补正), and the versions it used; `found`: the caller's
    BatchGet that read RETURN_SETTINGS with its own items."""
    stored, calendar, days = policy_store.read_with_calendar("review", found)
    review = stored.values
    return days.deadline(today, review.return_deadline_days, review.return_working_days), used(stored, calendar)


NOTICE_SETTINGS = ("notice", "calendar")  # what notice_window reads


def notice_window(
    opened: datetime, found: dict[tuple[str, str], dict[str, Any]] | None = None
) -> tuple[str, str, dict[str, str]]:
    """When a public notice (公示) opened at `opened` closes (ISO), the procurement contact, and the versions used;
    `found`: the caller's BatchGet that read NOTICE_SETTINGS with its own items."""
    stored, calendar, days = policy_store.read_with_calendar("notice", found)
    notice = stored.values
    closes = days.window_end(opened, notice.window_days, settings().tz, notice.working_days)
    return iso(closes), notice.procurement_contact, used(stored, calendar)


def rectification_deadline(today: date, stored: policy_store.Stored) -> tuple[date, dict[str, str]]:
    """The last day of a rectification order (整改), by the assessment settings `stored`, and the versions used."""
    calendar = policy_store.current("calendar")
    values = stored.values
    deadline: date = calendar.values.calendar().deadline(
        today, values.rectification_days, values.rectification_working_days
    )
    return deadline, used(stored, calendar)
