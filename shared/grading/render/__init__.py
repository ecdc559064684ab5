"""Pure rendering of the public artifacts: the notice (公示, `notice`) and the certificate (证书, `certificate`).

This package only turns data into bytes or text; storing, keys and events belong to the publishing pipeline.
Nothing here imports fpdf2 or Jinja2, so a caller that needs one artifact does not pay for the other's import.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "CHINA_TZ",
    "GRADE_ZH",
    "NOT_GRADED_EN",
    "NOT_GRADED_ZH",
    "china_time",
    "format_total",
    "grade_en",
    "grade_zh",
    "zh_date",
]

# China has had no daylight saving since 1991, so a fixed offset is exact and needs no tzdata in the runtime.
CHINA_TZ = timezone(timedelta(hours=8), "UTC+8")

# The same words as grading.scoring's; repeated so that rendering does not import the scoring engine.
GRADE_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
NOT_GRADED_ZH = "不予评级"
NOT_GRADED_EN = "Not graded"
_CENT = Decimal("0.01")


def grade_zh(grade: int | None) -> str:
    """一级..四级, or 不予评级 for a provider below the lowest band."""
    if grade is None:
        return NOT_GRADED_ZH
    return GRADE_ZH[grade]


def grade_en(grade: int | None) -> str:
    return NOT_GRADED_EN if grade is None else f"Grade {grade}"


def format_total(total: Decimal | None) -> str | None:
    """Two decimals, half up, as people round a score (87.345 -> 87.35); None stays None."""
    if total is None:
        return None
    return str(total.quantize(_CENT, rounding=ROUND_HALF_UP))


def china_time(moment: datetime) -> datetime:
    return moment.astimezone(CHINA_TZ)


def zh_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
