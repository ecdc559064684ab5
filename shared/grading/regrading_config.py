"""The re-grading configuration (weights, bands, steps), apart from the run itself: the versioned settings
(`grading.policy`) validate it, and every function that reads settings need not load the re-grading run."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from grading.schemes import Band


class RegradingConfig(BaseModel):
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


DEFAULT_CONFIG = RegradingConfig()
