"""Periodic assessment (定期考核), pure: indicators -> sub-scores -> weighted score -> excellent / pass / fail,
with outright-fail events, and the consecutive-failure rule behind elimination (淘汰机制).

Sub-scores (0-100), each explained in the result:
- service_quality, market_competitiveness: as given;
- satisfaction (满意率): (满意 + 基本满意) / all answers;
- complaints: 100 at no upheld complaint, falling linearly to 0 at the outright-fail rate (default 5%);
- spot_checks (抽查): share passed; a period with no check scores 100 and says so.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from grading import periods
from grading.modelbase import Model
from grading.scoring import to_decimal

Count = Annotated[int, Field(ge=0, le=10_000_000)]
Score = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False, max_digits=6, decimal_places=2)]


class Satisfaction(Model):
    model_config = ConfigDict(extra="forbid")
    satisfied: Count
    basically_satisfied: Count
    dissatisfied: Count

    @model_validator(mode="after")
    def _answers(self) -> Satisfaction:
        if self.satisfied + self.basically_satisfied + self.dissatisfied == 0:
            raise ValueError("a satisfaction survey needs at least one answer")
        return self


class Complaints(Model):
    model_config = ConfigDict(extra="forbid")
    upheld: Count
    orders: Count = Field(description="orders served in the period")

    @model_validator(mode="after")
    def _rate(self) -> Complaints:
        if self.orders == 0 and self.upheld > 0:
            raise ValueError("upheld complaints need orders to be counted against")
        if self.upheld > self.orders:
            raise ValueError("more upheld complaints than orders")
        return self


class SpotCheck(Model):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["scheduled", "unannounced"]
    passed: bool


class Indicators(Model):
    model_config = ConfigDict(extra="forbid")
    service_quality: Score
    satisfaction: Satisfaction
    complaints: Complaints
    market_competitiveness: Score
    spot_checks: list[SpotCheck] = Field(default_factory=list, max_length=100)
    major_incident: bool = False


class AssessmentScheme(Model):
    """Versioned configuration, like the evaluation schemes."""

    model_config = ConfigDict(extra="forbid")
    version: str = "a1"
    period_kind: Literal["quarterly", "annual"] = "quarterly"
    weights: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "service_quality": Decimal(30),
            "satisfaction": Decimal(30),
            "complaints": Decimal(15),
            "market_competitiveness": Decimal(10),
            "spot_checks": Decimal(15),
        }
    )
    excellent_min: Decimal = Decimal(90)
    pass_min: Decimal = Decimal(60)
    max_upheld_complaint_rate: Decimal = Decimal("0.05")
    consecutive_failure_limit: int = 2
    rectification_days: int = 30
    ban_days: int = 730
    survey_min_answers: int = 30  # below it the satisfaction figure has no data (seed 001: real participation)

    @model_validator(mode="after")
    def _weights(self) -> AssessmentScheme:
        if set(self.weights) != set(INDICATORS) or sum(self.weights.values()) != 100:
            raise ValueError(f"weights must cover {', '.join(INDICATORS)} and add up to 100")
        return self


INDICATORS = ("service_quality", "satisfaction", "complaints", "market_competitiveness", "spot_checks")


@functools.cache
def default_assessment_scheme() -> AssessmentScheme:
    """The assessment scheme before an admin changes it."""
    return AssessmentScheme()


def __getattr__(attribute: str) -> Any:
    if attribute == "DEFAULT_ASSESSMENT_SCHEME":  # the default, built when first asked for (not at import: issue 20)
        return default_assessment_scheme()
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")


_PERIOD = {"quarterly": re.compile(r"^(20[0-9]{2})-Q([1-4])$"), "annual": re.compile(r"^(20[0-9]{2})$")}


def period_problem(period: str, kind: str) -> str | None:
    if _PERIOD[kind].fullmatch(period):
        return None
    example = "2026-Q3" if kind == "quarterly" else "2026"
    return f"must be a {kind} period like {example}"


def before_certification(period: str, certified_since: str | None) -> str | None:
    """A period is assessed only if the provider was certified in it (DOMAIN.md "Periods"): one that ended before
    the certification date (`certified_since`, an ISO date) is refused; None when it may be assessed."""
    ended, since = periods.last_day(period).isoformat(), certified_since[:10] if certified_since else None
    if since is None or ended >= since:
        return None
    return f"{period} ended on {ended}, before the provider was certified on {since}"


class Outcome(Model):
    score: Decimal
    result: Literal["excellent", "pass", "fail"]
    explanation: dict[str, Any]


def assess(scheme: AssessmentScheme, ind: Indicators) -> Outcome:
    answers = ind.satisfaction.satisfied + ind.satisfaction.basically_satisfied + ind.satisfaction.dissatisfied
    satisfaction = Fraction(ind.satisfaction.satisfied + ind.satisfaction.basically_satisfied, answers) * 100
    surveyed = answers >= scheme.survey_min_answers
    rate = Fraction(ind.complaints.upheld, ind.complaints.orders) if ind.complaints.orders else Fraction(0)
    limit = Fraction(scheme.max_upheld_complaint_rate)
    complaints = max(Fraction(0), 1 - rate / limit) * 100 if limit else Fraction(100)
    checks = ind.spot_checks
    spot = Fraction(sum(c.passed for c in checks), len(checks)) * 100 if checks else Fraction(100)
    subs = {
        "service_quality": Fraction(ind.service_quality),
        "satisfaction": satisfaction,
        "complaints": complaints,
        "market_competitiveness": Fraction(ind.market_competitiveness),
        "spot_checks": spot,
    }
    # Too few answers: satisfaction has no data, and its weight is spread over the others in proportion.
    counted = [k for k in INDICATORS if surveyed or k != "satisfaction"]
    weight_sum = sum((Fraction(scheme.weights[k]) for k in counted), Fraction(0))
    weights = {k: Fraction(scheme.weights[k]) * 100 / weight_sum if weight_sum else Fraction(0) for k in counted}
    total = sum((subs[k] * weights[k] for k in counted), Fraction(0)) / 100
    score = to_decimal(total)
    outright = []
    if ind.major_incident:
        outright.append("major_incident: 重大质量事故")
    # One number (DOMAIN.md): the published two-place percentages decide, as the explanation shows them.
    rate_shown, limit_shown = to_decimal(rate * 100), to_decimal(limit * 100)
    if rate_shown > limit_shown:
        outright.append(f"upheld complaint rate {rate_shown}% above {limit_shown}%")
    if outright:
        result: Literal["excellent", "pass", "fail"] = "fail"
    elif score >= scheme.excellent_min:
        result = "excellent"
    elif score >= scheme.pass_min:
        result = "pass"
    else:
        result = "fail"
    return Outcome(
        score=score,
        result=result,
        explanation={
            "scheme_version": scheme.version,
            "sub_scores": {
                k: {
                    "score": str(to_decimal(subs[k])),
                    "weight": str(scheme.weights[k]) if surveyed else str(to_decimal(weights[k])),
                }
                if k in weights
                else {"score": None, "weight": "0.00", "no_data": True}
                for k in INDICATORS
            },
            "satisfaction_rate": str(to_decimal(satisfaction)) + "%" if surveyed else None,
            "survey": (
                f"{answers} answer(s), at least {scheme.survey_min_answers} needed"
                + ("" if surveyed else ": satisfaction has no data; its weight is spread over the other indicators")
            ),
            "complaint_rate": str(rate_shown) + "%",
            "spot_checks": f"{sum(c.passed for c in checks)}/{len(checks)} passed" if checks else "no spot check",
            "outright_fail": outright,
            "thresholds": {"excellent": str(scheme.excellent_min), "pass": str(scheme.pass_min)},
            "score": str(score),
            "result": result,
        },
    )


def trailing_failures(results_by_period: dict[str, str]) -> int:
    """Consecutive (adjacent) failed periods ending with the latest assessed one: what the elimination rule counts."""
    return periods.trailing_failures(results_by_period)


def standing(failures: int, limit: int) -> Literal["active", "warned", "due_for_elimination"]:
    if failures >= limit:
        return "due_for_elimination"
    if failures == limit - 1 and failures > 0:
        return "warned"
    return "active"
