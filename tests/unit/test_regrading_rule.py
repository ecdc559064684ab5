"""The re-grading rule (regrading_rule.regrade), pure: properties over any grade, evaluation total and year."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from grading.regrading_rule import DEFAULT_CONFIG, RegradingConfig, regrade

RESULTS = ("excellent", "pass", "fail")
scores = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
years = st.lists(st.tuples(st.sampled_from(RESULTS), scores), max_size=4)
grades = st.integers(min_value=1, max_value=4)
configs = st.builds(
    RegradingConfig,
    max_step=st.integers(min_value=1, max_value=3),
    upgrade_needs_excellent=st.integers(min_value=0, max_value=4),
    evaluation_weight=st.integers(min_value=1, max_value=100).map(Decimal),
    assessment_weight=st.integers(min_value=1, max_value=100).map(Decimal),
)


@settings(deadline=None)
@given(grades, scores, years)
def test_a_grade_moves_at_most_one_step_a_year(old: int, total: Decimal, year: list[tuple[str, Decimal]]) -> None:
    outcome = regrade(DEFAULT_CONFIG, old, total, year)
    assert abs(outcome.new_grade - old) <= 1
    assert 1 <= outcome.new_grade <= 4


@settings(deadline=None)
@given(configs, grades, scores, years)
def test_a_grade_never_moves_more_than_the_configured_step(
    config: RegradingConfig, old: int, total: Decimal, year: list[tuple[str, Decimal]]
) -> None:
    outcome = regrade(config, old, total, year)
    assert abs(outcome.new_grade - old) <= config.max_step
    expected = "up" if outcome.new_grade < old else "down" if outcome.new_grade > old else ("kept", "no_data")
    assert outcome.change in expected


@settings(deadline=None)
@given(configs, grades, scores)
def test_a_provider_without_an_assessment_that_year_keeps_its_grade(
    config: RegradingConfig, old: int, total: Decimal
) -> None:
    outcome = regrade(config, old, total, [])
    assert outcome.change == "no_data" and outcome.new_grade == old and outcome.combined is None


@settings(deadline=None)
@given(configs, grades, scores, years)
def test_an_upgrade_needs_the_configured_excellent_periods(
    config: RegradingConfig, old: int, total: Decimal, year: list[tuple[str, Decimal]]
) -> None:
    outcome = regrade(config, old, total, year)
    if outcome.change == "up":
        assert sum(1 for r, _ in year if r == "excellent") >= config.upgrade_needs_excellent


def test_the_best_scores_without_an_excellent_period_keep_the_grade() -> None:
    outcome = regrade(DEFAULT_CONFIG, 3, Decimal(100), [("pass", Decimal(100))])
    assert outcome.change == "kept" and outcome.new_grade == 3 and "excellent" in outcome.why
    assert regrade(DEFAULT_CONFIG, 3, Decimal(100), [("excellent", Decimal(100))]).new_grade == 2
