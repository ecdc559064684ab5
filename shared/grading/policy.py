"""Versioned settings (the numbers DOMAIN.md calls defaults), pure: one document per name, validated, with what
each decision needs derived from it. Stored and versioned by `policy_store`; the defaults here are version 0.

| name        | decides                                                                               |
|-------------|---------------------------------------------------------------------------------------|
| assessment  | weights and thresholds of a period, survey minimum, failure limit, ban, rectification |
| notice      | the objection window (calendar or working days), the procurement office's contact     |
| review      | the deadline of a return for more documents (补正), qualification validity at review   |
| regrading   | the annual re-grading's weights, bands and steps                                      |
| calendar    | days the official-calendar library does not know yet (a new year's holidays, 调休)      |
| certificate | how long a first certificate is valid (a re-graded one: `regrading` valid_days)       |
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from grading import calendar
from grading.assessment import AssessmentScheme
from grading.modelbase import Model
from grading.regrading_rule import RegradingConfig

READ_ONLY = ("name", "version", "changed_by", "changed_at")
Days = Annotated[int, Field(ge=1, le=3650)]


class _Doc(Model):
    model_config = ConfigDict(extra="forbid")


class AssessmentSettings(_Doc):
    period_kind: Literal["quarterly", "annual"] = "quarterly"
    weights: dict[str, Decimal] = Field(default_factory=lambda: dict(AssessmentScheme().weights))
    excellent_min: Decimal = Field(default=Decimal(90), ge=0, le=100)
    pass_min: Decimal = Field(default=Decimal(60), ge=0, le=100)
    max_upheld_complaint_rate: Decimal = Field(default=Decimal("0.05"), ge=0, le=1)
    survey_min_answers: int = Field(default=30, ge=1, le=100_000)
    failure_limit: int = Field(default=2, ge=1, le=12)
    ban_days: Days = 730
    rectification_days: Days = 30
    rectification_working_days: bool = False

    def scheme(self, version: int) -> AssessmentScheme:
        return AssessmentScheme(
            version=f"settings-v{version}",
            period_kind=self.period_kind,
            weights=self.weights,
            excellent_min=self.excellent_min,
            pass_min=self.pass_min,
            max_upheld_complaint_rate=self.max_upheld_complaint_rate,
            consecutive_failure_limit=self.failure_limit,
            rectification_days=self.rectification_days,
            ban_days=self.ban_days,
            survey_min_answers=self.survey_min_answers,
        )


class NoticeSettings(_Doc):
    window_days: Days = 7
    working_days: bool = Field(default=False, description="count the window in working days, not calendar days")
    procurement_contact: Annotated[str, StringConstraints(max_length=500)] = Field(
        default="", description="how the public reaches the procurement office (email, phone), shown on notices"
    )


class ReviewSettings(_Doc):
    return_deadline_days: Days = 15
    return_working_days: bool = False
    qualification_min_days: Annotated[int, Field(ge=0, le=3650)] = 30


class RegradingSettings(RegradingConfig):
    """The re-grading's config; its `version` is the settings version it was stored as."""


class CertificateSettings(_Doc):
    valid_days: Annotated[int, Field(ge=1, le=1100)] = Field(
        default=365, description="days a first certificate is valid from its issue (DOMAIN: one year)"
    )


class CalendarSettings(_Doc):
    days_off: list[date] = Field(default_factory=list, max_length=400, description="holidays on weekdays")
    working_days: list[date] = Field(default_factory=list, max_length=400, description="make-up working days")

    def calendar(self) -> calendar.Calendar:
        return calendar.shipped().with_days(self.days_off, self.working_days)


MODELS: dict[str, type[BaseModel]] = {
    "assessment": AssessmentSettings,
    "notice": NoticeSettings,
    "review": ReviewSettings,
    "regrading": RegradingSettings,
    "calendar": CalendarSettings,
    "certificate": CertificateSettings,
}
Name = Literal["assessment", "notice", "review", "regrading", "calendar", "certificate"]


def parse(name: str, document: dict[str, Any]) -> Any:
    """The settings part of a document (read-only fields dropped), validated."""
    body = {k: v for k, v in document.items() if k not in READ_ONLY}
    if name == "regrading":
        body.pop("version", None)
    return MODELS[name].model_validate(body)


def default(name: str) -> Any:
    return MODELS[name]()
