"""Evaluation schemes (评分方案): criteria and weights, grade bands and per-grade minimums, veto items, the trimming
rule and the deviation threshold. Versioned configuration: an application keeps the version it started with."""

from __future__ import annotations

import functools
import itertools
from decimal import Decimal
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from grading.modelbase import Model

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Score = Annotated[Decimal, Field(ge=0, le=100, allow_inf_nan=False)]


class Criterion(Model):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name: Name
    weight: Annotated[Decimal, Field(gt=0, le=100, allow_inf_nan=False)]


class Band(Model):
    model_config = ConfigDict(extra="forbid")
    grade: int = Field(ge=1, le=4)
    min_total: Score


class VetoItem(Model):
    model_config = ConfigDict(extra="forbid")
    key: Key
    name: Name


class SchemeDraft(Model):
    """What an admin submits; the system assigns the version."""

    model_config = ConfigDict(extra="forbid")
    criteria: list[Criterion] = Field(min_length=1, max_length=20)
    bands: list[Band] = Field(min_length=1, max_length=4)
    minimums: dict[int, dict[str, Score]] = Field(
        default_factory=dict, description="grade -> criterion -> the lowest criterion mean that grade allows"
    )
    veto_items: list[VetoItem] = Field(default_factory=list, max_length=20)
    trim_min_cards: int = Field(default=5, ge=3, le=50, description="with this many cards, drop one max and one min")
    deviation_threshold: Score = Decimal(15)
    panel_size: int = Field(default=5, ge=1, le=25)
    panel_min: int = Field(default=3, ge=1, le=25)

    @model_validator(mode="after")
    def _consistent(self) -> SchemeDraft:
        keys = [c.key for c in self.criteria]
        if len(set(keys)) != len(keys):
            raise ValueError("criterion keys must be unique")
        if sum((c.weight for c in self.criteria), Decimal(0)) != 100:
            raise ValueError("criterion weights must add up to 100")
        grades = [b.grade for b in self.bands]
        if len(set(grades)) != len(grades):
            raise ValueError("each grade has at most one band")
        ordered = sorted(self.bands, key=lambda b: b.grade)
        if any(better.min_total <= worse.min_total for better, worse in itertools.pairwise(ordered)):
            raise ValueError("a better grade (lower number) needs a strictly higher min_total")
        for grade, mins in self.minimums.items():
            if grade not in grades:
                raise ValueError(f"minimums name grade {grade}, which has no band")
            unknown = set(mins) - set(keys)
            if unknown:
                raise ValueError(f"minimums name unknown criteria: {', '.join(sorted(unknown))}")
        if self.panel_min > self.panel_size:
            raise ValueError("panel_min cannot exceed panel_size")
        return self


class Scheme(SchemeDraft):
    version: str

    def criterion(self, key: str) -> Criterion:
        return next(c for c in self.criteria if c.key == key)


@functools.cache
def default_scheme() -> Scheme:
    """The evaluation scheme applications start with until an admin publishes one (version v1)."""
    return Scheme(
        version="v1",
        criteria=[
            Criterion(key="reputation", name="企业信誉 reputation", weight=Decimal(20)),
            Criterion(key="technical_capability", name="技术实力 technical capability", weight=Decimal(25)),
            Criterion(key="service_experience", name="服务经验 service experience", weight=Decimal(20)),
            Criterion(key="qualifications", name="资质条件 qualifications", weight=Decimal(15)),
            Criterion(key="service_quality", name="服务质量与用户满意度 service quality", weight=Decimal(20)),
        ],
        bands=[
            Band(grade=1, min_total=Decimal(90)),
            Band(grade=2, min_total=Decimal(80)),
            Band(grade=3, min_total=Decimal(70)),
            Band(grade=4, min_total=Decimal(60)),
        ],
        # Seed 000 art. 5: grade 1 also needs high user satisfaction.
        minimums={1: {"service_quality": Decimal(85)}},
        veto_items=[
            VetoItem(key="forged_documents", name="伪造资质文件 forged documents"),
            VetoItem(key="major_safety_incident", name="重大安全事故 major safety incident"),
            VetoItem(key="invalid_mandatory_licence", name="必备资质失效 invalid mandatory licence"),
        ],
    )


def __getattr__(attribute: str) -> Any:
    if attribute == "DEFAULT_SCHEME":  # the default, built when first asked for (not at import: issue 20)
        return default_scheme()
    raise AttributeError(f"module {__name__!r} has no attribute {attribute!r}")
