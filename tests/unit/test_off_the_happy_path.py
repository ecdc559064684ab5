"""Pure rules off the happy path: China's calendar for windows and deadlines, adjacent periods and the
consecutive-failure count (a property), the survey minimum, and one rounded number for every comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grading import periods
from grading.assessment import DEFAULT_ASSESSMENT_SCHEME, Indicators, assess
from grading.calendar import Calendar, shipped
from grading.policy import AssessmentSettings, parse
from grading.schemes import DEFAULT_SCHEME
from grading.scoring import Card, decide

CHINA = timezone(timedelta(hours=8))

# --- the official calendar -----------------------------------------------------------------------------------


def test_national_day_and_its_make_up_days() -> None:
    days = shipped()
    assert not days.is_working_day(date(2026, 10, 7))  # 国庆节
    assert days.is_working_day(date(2026, 10, 8))
    assert days.is_working_day(date(2026, 9, 20))  # a Sunday worked in lieu (调休)
    assert not days.is_working_day(date(2026, 9, 26))  # 中秋节, a Saturday anyway


def test_a_notice_decided_on_30_september_runs_past_the_holiday() -> None:
    # 7 days from 30 Sep 10:00 is 7 Oct, inside the holiday: the window runs to the end of 8 Oct (顺延).
    closes = shipped().window_end(datetime(2026, 9, 30, 2, 0, tzinfo=UTC), 7, CHINA)
    assert closes == datetime(2026, 10, 9, 0, 0, tzinfo=CHINA)
    # A window whose last day is a working day closes to the minute.
    plain = shipped().window_end(datetime(2026, 11, 2, 2, 0, tzinfo=UTC), 7, CHINA)
    assert plain == datetime(2026, 11, 9, 10, 0, tzinfo=CHINA)


def test_working_day_windows_and_deadlines() -> None:
    days = shipped()
    # 5 working days from Wed 30 Sep: Oct 8, 9, 10 (Saturday, worked in lieu), 12, 13.
    assert days.deadline(date(2026, 9, 30), 5, working_days=True) == date(2026, 10, 13)
    assert days.window_end(datetime(2026, 9, 30, 2, 0, tzinfo=UTC), 5, CHINA, working_days=True) == datetime(
        2026, 10, 14, tzinfo=CHINA
    )
    # 15 calendar days from 20 Sep is 5 Oct, a holiday: rolled to 8 Oct.
    assert days.deadline(date(2026, 9, 20), 15) == date(2026, 10, 8)


def test_an_operator_extends_a_year_the_library_does_not_know() -> None:
    base = Calendar()
    assert not base.known(2031) and base.is_working_day(date(2031, 10, 1))  # a Wednesday, weekends only
    extended = base.with_days([date(2031, 10, 1)], [date(2031, 9, 27)])
    assert extended.known(2031)
    assert not extended.is_working_day(date(2031, 10, 1)) and extended.is_working_day(date(2031, 9, 27))
    assert extended.deadline(date(2031, 9, 24), 7) == date(2031, 10, 2)


# --- periods --------------------------------------------------------------------------------------------------


def test_period_ends_and_adjacency() -> None:
    assert periods.last_day("2026-Q3") == date(2026, 9, 30) and periods.last_day("2026-Q4") == date(2026, 12, 31)
    assert periods.last_day("2026") == date(2026, 12, 31) and periods.first_day("2026-Q2") == date(2026, 4, 1)
    assert periods.has_ended("2026-Q3", date(2026, 10, 1)) and not periods.has_ended("2026-Q3", date(2026, 9, 30))
    assert periods.previous("2026-Q1") == "2025-Q4" and periods.adjacent("2025-Q4", "2026-Q1")
    assert not periods.adjacent("2025-Q1", "2026-Q3")


def test_failures_far_apart_are_not_consecutive() -> None:
    assert periods.trailing_failures({"2025-Q1": "fail", "2026-Q3": "fail"}) == 1
    assert periods.trailing_failures({"2026-Q2": "fail", "2026-Q3": "fail"}) == 2
    assert periods.trailing_failures({"2026-Q2": "fail", "2026-Q3": "pass"}) == 0


quarters = st.integers(min_value=2020 * 4, max_value=2035 * 4)
results = st.sampled_from(["fail", "pass", "excellent"])


@given(st.dictionaries(quarters, results, max_size=24))
def test_failure_count_is_the_trailing_run_of_adjacent_fails(by_ordinal: dict[int, str]) -> None:
    by_period = {f"{n // 4}-Q{n % 4 + 1}": r for n, r in by_ordinal.items()}
    expected = 0
    if by_ordinal:
        n = max(by_ordinal)
        while by_ordinal.get(n) == "fail":  # a gap (no entry) ends the run like a pass does
            expected, n = expected + 1, n - 1
    assert periods.trailing_failures(by_period) == expected


# --- the survey minimum -----------------------------------------------------------------------------------------


def _indicators(answers: int) -> Indicators:
    return Indicators.model_validate(
        {
            "service_quality": 80,
            "satisfaction": {"satisfied": 0, "basically_satisfied": 0, "dissatisfied": answers},
            "complaints": {"upheld": 0, "orders": 100},
            "market_competitiveness": 80,
            "spot_checks": [{"kind": "scheduled", "passed": True}],
        }
    )


def test_too_few_answers_leave_satisfaction_without_data() -> None:
    few = assess(DEFAULT_ASSESSMENT_SCHEME, _indicators(29))
    # 80 x 30 + 100 x 15 + 80 x 10 + 100 x 15 over 70 (satisfaction's 30 spread): 6200 / 70 = 88.571...
    assert few.score == Decimal("88.57") and few.result == "pass"
    assert few.explanation["sub_scores"]["satisfaction"] == {"score": None, "weight": "0.00", "no_data": True}
    assert few.explanation["satisfaction_rate"] is None
    assert "no data" in few.explanation["survey"] and "29 answer(s), at least 30" in few.explanation["survey"]
    enough = assess(DEFAULT_ASSESSMENT_SCHEME, _indicators(30))
    assert enough.score == Decimal("62.00")  # 6200 / 100: all dissatisfied counts with its full weight
    assert enough.explanation["satisfaction_rate"] == "0.00%"


# --- one number ---------------------------------------------------------------------------------------------------


def test_a_minimum_is_compared_with_the_published_mean() -> None:
    draft = DEFAULT_SCHEME.model_dump(mode="json")
    draft["minimums"] = {1: {"service_quality": "85"}}
    scheme = type(DEFAULT_SCHEME).model_validate(draft)
    keys = [c.key for c in scheme.criteria]
    cards = [
        Card(f"e{i}", {**{k: Decimal(95) for k in keys}, "service_quality": Decimal(v)})
        for i, v in enumerate(["85", "85", "84.99"])
    ]
    result = decide(scheme, cards)
    assert result.explanation["criteria"][-1]["mean"] == "85.00"
    assert result.grade == 1 and result.explanation["missed_minimums"] == []
    assert "低于" not in result.explanation["summary"]


# --- settings documents -------------------------------------------------------------------------------------------


def test_settings_documents_drop_read_only_fields_and_refuse_unknown_ones() -> None:
    doc = {"name": "assessment", "version": 3, "changed_by": "a", "changed_at": "x", "ban_days": 365}
    assert parse("assessment", doc).ban_days == 365
    assert AssessmentSettings().scheme(4).version == "settings-v4"
    with pytest.raises(ValueError):
        parse("assessment", {"ban_dayz": 1})


def test_the_numbers_that_moved_to_settings_have_no_environment_variable_left() -> None:
    """Issue 16: the return deadline, the notice window and the qualification minimum live in the versioned
    settings; an environment variable of the same name would look like a knob and change nothing (or worse)."""
    from pathlib import Path

    from grading.config import Settings

    root = Path(__file__).resolve().parents[2]
    gone = {"RETURN_DEADLINE_DAYS", "NOTICE_WINDOW_DAYS", "QUALIFICATION_MIN_DAYS"}
    aliases = {f.alias for f in Settings.model_fields.values()}
    assert not gone & aliases
    local = [*sorted((root / "local").rglob("*.py")), *sorted((root / "local").rglob("*.json"))]
    places = [root / "template.yaml", *local]
    assert [p.name for p in places if any(name in p.read_text() for name in gone)] == []
