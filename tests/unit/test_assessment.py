"""Periodic assessment rules by hand, and the consecutive-failure counter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grading.assessment import (
    DEFAULT_ASSESSMENT_SCHEME as S,
)
from grading.assessment import (
    Indicators,
    assess,
    period_problem,
    standing,
    trailing_failures,
)


def indicators(**over: object) -> Indicators:
    base = {
        "service_quality": 90,
        "satisfaction": {"satisfied": 80, "basically_satisfied": 10, "dissatisfied": 10},
        "complaints": {"upheld": 1, "orders": 100},
        "market_competitiveness": 70,
        "spot_checks": [{"kind": "scheduled", "passed": True}, {"kind": "unannounced", "passed": False}],
        "major_incident": False,
    }
    return Indicators.model_validate({**base, **over})


def test_score_by_hand() -> None:
    # 0.30*90 + 0.30*90 (90/100 satisfied) + 0.15*80 (1% of 5%) + 0.10*70 + 0.15*50 = 27+27+12+7+7.5 = 80.5
    outcome = assess(S, indicators())
    assert outcome.score == Decimal("80.50") and outcome.result == "pass"
    assert outcome.explanation["complaint_rate"] == "1.00%"


def test_outright_fails() -> None:
    assert assess(S, indicators(major_incident=True)).result == "fail"
    high = assess(S, indicators(complaints={"upheld": 6, "orders": 100}))
    assert high.result == "fail" and "above 5.00%" in high.explanation["outright_fail"][0]
    excellent = assess(
        S,
        indicators(
            service_quality=100, market_competitiveness=100, spot_checks=[], complaints={"upheld": 0, "orders": 10}
        ),
    )
    assert excellent.result == "excellent"


@pytest.mark.parametrize(("period", "ok"), [("2026-Q3", True), ("2026-Q5", False), ("2026", False), ("26-Q1", False)])
def test_periods(period: str, ok: bool) -> None:
    assert (period_problem(period, "quarterly") is None) is ok
    assert period_problem("2026", "annual") is None


def test_bad_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        indicators(satisfaction={"satisfied": 0, "basically_satisfied": 0, "dissatisfied": 0})
    with pytest.raises(ValueError):
        indicators(complaints={"upheld": 5, "orders": 2})
    with pytest.raises(ValueError):
        indicators(service_quality="NaN")


def test_trailing_failures_and_standing() -> None:
    assert trailing_failures({"2026-Q1": "fail", "2026-Q2": "pass", "2026-Q3": "fail"}) == 1
    assert trailing_failures({"2026-Q2": "fail", "2026-Q3": "fail"}) == 2
    assert trailing_failures({"2026-Q3": "fail", "2026-Q2": "excellent"}) == 1
    assert [standing(n, 2) for n in (0, 1, 2, 3)] == ["active", "warned", "due_for_elimination", "due_for_elimination"]


@given(st.integers(0, 100), st.integers(0, 100), st.integers(0, 1000), st.integers(1, 1000))
def test_score_within_bounds(quality: int, market: int, satisfied: int, orders: int) -> None:
    outcome = assess(
        S,
        indicators(
            service_quality=quality,
            market_competitiveness=market,
            satisfaction={"satisfied": satisfied, "basically_satisfied": 0, "dissatisfied": 1},
            complaints={"upheld": 0, "orders": orders},
        ),
    )
    assert Decimal(0) <= outcome.score <= Decimal(100)


def test_a_period_that_ended_before_the_certification_is_refused() -> None:
    from grading.assessment import before_certification

    assert "before the provider was certified on 2026-07-06" in str(before_certification("2026-Q1", "2026-07-06"))
    assert before_certification("2026-Q2", "2026-07-06") is not None  # ended on 30 June
    assert before_certification("2026-Q3", "2026-07-06") is None  # certified during it
    assert before_certification("2026-Q2", "2026-06-30") is None  # certified on its last day
    assert before_certification("2025", "2026-01-01") is not None and before_certification("2026", "2026-12-31") is None
    assert before_certification("2026-Q1", None) is None  # no date recorded (older records): not refused here


def test_the_complaint_rate_is_compared_as_published() -> None:
    """One number: 10001 of 200000 is 5.0005%, published as 5.00%, which is not above 5.00%."""
    edge = assess(S, indicators(complaints={"upheld": 10001, "orders": 200000}))
    assert edge.explanation["complaint_rate"] == "5.00%" and edge.explanation["outright_fail"] == []
    over = assess(S, indicators(complaints={"upheld": 10010, "orders": 200000}))  # 5.005% -> 5.01%
    assert over.explanation["outright_fail"] == ["upheld complaint rate 5.01% above 5.00%"]


@given(upheld=st.integers(0, 20_000), orders=st.integers(1, 200_000))
def test_an_outright_fail_for_complaints_never_contradicts_the_published_rate(upheld: int, orders: int) -> None:
    upheld = min(upheld, orders)
    outcome = assess(S, indicators(complaints={"upheld": upheld, "orders": orders}))
    shown = Decimal(outcome.explanation["complaint_rate"].removesuffix("%"))
    failed = any(f.startswith("upheld complaint rate") for f in outcome.explanation["outright_fail"])
    assert failed == (shown > S.max_upheld_complaint_rate * 100)
