"""The grade decision (确定分级), pure and exact: per-criterion trimmed means, the weighted total, the grade band
with its minimums, vetoes, and outlier flags, each step recorded in the explanation.

Arithmetic is exact (fractions of the submitted decimals); only the published total is rounded, to two places,
half-up, and the band and the minimums are compared with those published figures (the total, each mean) so
that what a reader sees decides the grade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from statistics import median
from typing import Any

from grading.schemes import Scheme

GRADE_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Card:
    expert_id: str
    scores: dict[str, Decimal]
    veto: dict[str, str] | None = None


@dataclass
class Decision:
    grade: int | None
    total: Decimal
    explanation: dict[str, Any] = field(default_factory=dict)


def to_decimal(value: Fraction) -> Decimal:
    """Round a non-negative exact fraction half-up to two places, without ever passing through a float."""
    quantum = Fraction(1, 100)
    units, remainder = divmod(value, quantum)
    if remainder * 2 >= quantum:
        units += 1
    return Decimal(int(units)) * TWO_PLACES


def trimmed(values: list[tuple[Decimal, str]], trim_min_cards: int) -> tuple[list[tuple[Decimal, str]], list[str]]:
    """Drop one highest and one lowest (去掉最高分和最低分) when there are `trim_min_cards` or more.

    Ties are broken by expert id so the same cards always drop the same experts' scores.
    """
    ordered = sorted(values, key=lambda v: (v[0], v[1]))
    if len(ordered) < trim_min_cards:
        return ordered, []
    return ordered[1:-1], [ordered[0][1], ordered[-1][1]]


def card_total(card: Card, scheme: Scheme) -> Fraction:
    return sum((Fraction(card.scores[c.key]) * Fraction(c.weight) for c in scheme.criteria), Fraction(0)) / 100


def _criteria(scheme: Scheme, cards: list[Card]) -> tuple[list[dict[str, Any]], dict[str, Fraction], Decimal]:
    """Each criterion's trimmed mean and weighted share, as explained; the exact means; the rounded total."""
    criteria: list[dict[str, Any]] = []
    means: dict[str, Fraction] = {}
    total_exact = Fraction(0)
    for criterion in scheme.criteria:
        values = [(card.scores[criterion.key], card.expert_id) for card in cards]
        kept, dropped = trimmed(values, scheme.trim_min_cards)
        mean = sum((Fraction(v) for v, _ in kept), Fraction(0)) / len(kept)
        means[criterion.key] = mean
        weighted = mean * Fraction(criterion.weight) / 100
        total_exact += weighted
        criteria.append(
            {
                "criterion": criterion.key,
                "name": criterion.name,
                "weight": str(criterion.weight),
                "scores": [{"expert_id": e, "score": str(v)} for v, e in sorted(values, key=lambda v: v[1])],
                "dropped": dropped,
                "mean": str(to_decimal(mean)),
                "weighted": str(to_decimal(weighted)),
            }
        )
    return criteria, means, to_decimal(total_exact)


def _band(
    scheme: Scheme, total: Decimal, means: dict[str, Fraction]
) -> tuple[int | None, dict[str, Any] | None, list[dict[str, Any]]]:
    """The best grade whose band the total reaches and whose minimums every mean meets; the minimums missed."""
    missed: list[dict[str, Any]] = []
    for candidate in sorted(scheme.bands, key=lambda b: b.grade):
        if total < candidate.min_total:
            continue
        shortfalls = [
            {
                "grade": candidate.grade,
                "criterion": key,
                "mean": str(to_decimal(means[key])),
                "minimum": str(minimum),
            }
            for key, minimum in sorted(scheme.minimums.get(candidate.grade, {}).items())
            if to_decimal(means[key]) < minimum  # the published, rounded mean decides (one number)
        ]
        if shortfalls:
            missed.extend(shortfalls)
            continue
        return candidate.grade, {"grade": candidate.grade, "min_total": str(candidate.min_total)}, missed
    return None, None, missed


def _flags(scheme: Scheme, cards: list[Card]) -> list[dict[str, Any]]:
    """Cards whose total deviates from the median by more than the threshold (the deviation as published)."""
    totals = {card.expert_id: card_total(card, scheme) for card in cards}
    middle = median(totals.values())
    return [
        {
            "expert_id": expert_id,
            "total": str(to_decimal(t)),
            "median": str(to_decimal(middle)),
            "deviation": str(to_decimal(abs(t - middle))),
        }
        for expert_id, t in sorted(totals.items())
        if to_decimal(abs(t - middle)) > scheme.deviation_threshold  # the published deviation decides (one number)
    ]


def decide(scheme: Scheme, cards: list[Card]) -> Decision:
    if not cards:
        raise ValueError("a decision needs at least one scorecard")
    criteria, means, total = _criteria(scheme, cards)
    vetoes = [
        {"expert_id": card.expert_id, "item": card.veto["item"], "reason": card.veto.get("reason", "")}
        for card in sorted(cards, key=lambda c: c.expert_id)
        if card.veto
    ]
    grade: int | None = None
    band: dict[str, Any] | None = None
    missed: list[dict[str, Any]] = []
    if not vetoes:
        grade, band, missed = _band(scheme, total, means)
    flags = _flags(scheme, cards)
    explanation = {
        "scheme_version": scheme.version,
        "cards": len(cards),
        "trimming": (
            f"with {scheme.trim_min_cards} or more cards the highest and the lowest score of each criterion are dropped"
        ),
        "criteria": criteria,
        "total": str(total),
        "band": band,
        "missed_minimums": missed,
        "vetoes": vetoes,
        "flags": flags,
        "deviation_threshold": str(scheme.deviation_threshold),
        "grade": grade,
        "summary": summary(grade, total, band, missed, vetoes),
    }
    return Decision(grade=grade, total=total, explanation=explanation)


def summary(
    grade: int | None,
    total: Decimal,
    band: dict[str, Any] | None,
    missed: list[dict[str, Any]],
    vetoes: list[dict[str, Any]],
) -> str:
    """One paragraph a reviewer reads first (Chinese, then English)."""
    if vetoes:
        items = "、".join(sorted({v["item"] for v in vetoes}))
        return f"一票否决（{items}），不予评级。Vetoed ({items}): not graded."
    parts = []
    for m in missed:
        parts.append(
            f"未达{GRADE_ZH[m['grade']]}：{m['criterion']} 平均 {m['mean']} 低于 {m['minimum']}"
            f" (grade {m['grade']} needs {m['criterion']} >= {m['minimum']}, mean {m['mean']})"
        )
    if grade is None or band is None:
        parts.insert(0, f"加权总分 {total}，未达任何等级，不予评级。Total {total}: not graded.")
    else:
        parts.insert(
            0,
            f"加权总分 {total}，达到{GRADE_ZH[grade]}（≥{band['min_total']}）。"
            f"Total {total} reaches grade {grade} (>= {band['min_total']}).",
        )
    return " ".join(parts)
