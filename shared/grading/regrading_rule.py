"""The re-grading rule (年度复评), pure: combined = evaluation weight x last site-evaluation total + assessment
weight x the mean of the year's assessment scores; the grade band of the combined score is the target; the new
grade moves at most `max_step` towards it; an upgrade also needs `upgrade_needs_excellent` excellent periods in the
year; a provider with no assessment that year is `no_data` and keeps its grade. No I/O: regrading.py runs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from grading.modelbase import Model
from grading.schemes import Band
from grading.scoring import to_decimal

if TYPE_CHECKING:
    pass


class RegradingConfig(Model):
    model_config = ConfigDict(extra="forbid")
    version: str = "r1"
    evaluation_weight: Decimal = Field(default=Decimal(60), ge=0, le=100)
    assessment_weight: Decimal = Field(default=Decimal(40), ge=0, le=100)
    bands: list[Band] = Field(
        default_factory=lambda: [
            Band(grade=1, min_total=Decimal(90)),
            Band(grade=2, min_total=Decimal(80)),
            Band(grade=3, min_total=Decimal(70)),
            Band(grade=4, min_total=Decimal(0)),
        ]
    )
    max_step: int = Field(default=1, ge=1, le=3)
    upgrade_needs_excellent: int = Field(default=1, ge=0, le=4)
    valid_days: int = Field(default=365, ge=1, le=1100)


@functools.cache
def default_config() -> RegradingConfig:
    """The re-grading settings before an admin changes them."""
    return RegradingConfig()


def __getattr__(attribute: str) -> Any:
    if attribute == "DEFAULT_CONFIG":  # the default, built when first asked for (not at import: issue 20)
        return default_config()
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


@dataclass(frozen=True)
class Regrade:
    change: Literal["up", "down", "kept", "no_data"]
    old_grade: int
    new_grade: int
    combined: Decimal | None
    why: str


def regrade(
    config: RegradingConfig, old_grade: int, evaluation_total: Decimal, year_results: list[tuple[str, Decimal]]
) -> Regrade:
    """`year_results`: (result, score) of each of the year's assessments."""
    if not year_results:
        return Regrade("no_data", old_grade, old_grade, None, "no assessment this year: grade kept, reported")
    mean = sum((Fraction(s) for _, s in year_results), Fraction(0)) / len(year_results)
    combined_exact = (
        Fraction(evaluation_total) * Fraction(config.evaluation_weight) + mean * Fraction(config.assessment_weight)
    ) / (Fraction(config.evaluation_weight) + Fraction(config.assessment_weight))
    combined = to_decimal(combined_exact)
    target = next((b.grade for b in sorted(config.bands, key=lambda b: b.grade) if combined >= b.min_total), 4)
    step = max(-config.max_step, min(config.max_step, target - old_grade))
    new = old_grade + step
    excellent = sum(1 for r, _ in year_results if r == "excellent")
    why = (
        f"combined {combined} = {config.evaluation_weight}% x evaluation {evaluation_total} + "
        f"{config.assessment_weight}% x mean of {len(year_results)} assessment(s) {to_decimal(mean)}; "
        f"band grade {target}"
    )
    if new < old_grade and excellent < config.upgrade_needs_excellent:
        return Regrade(
            "kept",
            old_grade,
            old_grade,
            combined,
            why + f"; an upgrade needs {config.upgrade_needs_excellent} excellent period(s), had {excellent}",
        )
    if target != new:
        why += f"; moved at most {config.max_step} grade(s) a year"
    change: Literal["up", "down", "kept", "no_data"] = (
        "up" if new < old_grade else "down" if new > old_grade else "kept"
    )
    return Regrade(change, old_grade, new, combined, why)
