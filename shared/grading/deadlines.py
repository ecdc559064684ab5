"""Where windows and deadlines end: the stored settings' day counts on China's official calendar (如遇节假日顺延,
or working days where the settings say so). Each answer carries the settings version it used (`review@2`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from grading import policy_store
from grading.clock import iso
from grading.config import settings


def return_deadline(today: date) -> tuple[date, str]:
    """The last day to answer a return for more documents (补正)."""
    stored, days = policy_store.read_with_calendar("review")
    review = stored.values
    return days.deadline(today, review.return_deadline_days, review.return_working_days), stored.ref


NOTICE_SETTINGS = ("notice", "calendar")  # what notice_window reads


def notice_window(opened: datetime, found: dict[tuple[str, str], dict[str, Any]] | None = None) -> tuple[str, str, str]:
    """When a public notice (公示) opened at `opened` closes (ISO), the procurement contact, and the version;
    `found`: the caller's BatchGet that read NOTICE_SETTINGS with its own items."""
    stored, days = policy_store.read_with_calendar("notice", found)
    notice = stored.values
    closes = days.window_end(opened, notice.window_days, settings().tz, notice.working_days)
    return iso(closes), notice.procurement_contact, stored.ref


def rectification_deadline(today: date, stored: policy_store.Stored) -> date:
    """The last day of a rectification order (整改), by the assessment settings `stored`."""
    days = policy_store.current("calendar").values.calendar()
    values = stored.values
    deadline: date = days.deadline(today, values.rectification_days, values.rectification_working_days)
    return deadline
