"""The grade decision: worked examples from DOMAIN.md by hand, and properties over generated panels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading.schemes import DEFAULT_SCHEME, SchemeDraft
from grading.scoring import Card, decide, to_decimal, trimmed

KEYS = [c.key for c in DEFAULT_SCHEME.criteria]
score = st.decimals(min_value=0, max_value=100, places=1, allow_nan=False, allow_infinity=False)
card_scores = st.fixed_dictionaries({k: score for k in KEYS})
panels = st.lists(card_scores, min_size=1, max_size=9)


def cards_of(score_sets: list[dict[str, Decimal]]) -> list[Card]:
    return [Card(expert_id=f"e{i:02d}", scores=s) for i, s in enumerate(score_sets)]


def uniform(*values: int) -> list[Card]:
    return cards_of([{k: Decimal(v) for k in KEYS} for v in values])


# --- worked by hand ---------------------------------------------------------------------------------------


def test_five_cards_drop_highest_and_lowest() -> None:
    # Every criterion: 95, 88, 92, 70, 99 -> drop 70 and 99 -> mean of 95, 88, 92 = 91.666... -> 91.67
    result = decide(DEFAULT_SCHEME, uniform(95, 88, 92, 70, 99))
    assert result.total == Decimal("91.67") and result.grade == 1
    first = result.explanation["criteria"][0]
    assert first["dropped"] == ["e03", "e04"] and first["mean"] == "91.67"
    # e03's card total is 70, the median 92: 22 points away, more than 15 -> flagged for the chair.
    assert [f["expert_id"] for f in result.explanation["flags"]] == ["e03"]


def test_fewer_than_five_cards_are_all_averaged() -> None:
    result = decide(DEFAULT_SCHEME, uniform(80, 85, 90))
    assert result.total == Decimal("85.00") and result.grade == 2
    assert all(c["dropped"] == [] for c in result.explanation["criteria"])


def test_weighted_total_by_hand() -> None:
    # 20% * 90 + 25% * 80 + 20% * 70 + 15% * 100 + 20% * 60 = 18 + 20 + 14 + 15 + 12 = 79 -> grade 3
    scores = dict(zip(KEYS, map(Decimal, (90, 80, 70, 100, 60)), strict=True))
    result = decide(DEFAULT_SCHEME, cards_of([scores, scores, scores]))
    assert result.total == Decimal("79.00") and result.grade == 3


def test_band_met_but_minimum_missed_gives_the_next_grade_and_says_why() -> None:
    # Total 92 reaches grade 1's band, but service_quality 80 < 85: grade 2, and the explanation says so.
    scores = dict(zip(KEYS, map(Decimal, (95, 95, 95, 95, 80)), strict=True))
    result = decide(DEFAULT_SCHEME, cards_of([scores] * 3))
    assert result.total == Decimal("92.00") and result.grade == 2
    assert result.explanation["missed_minimums"] == [
        {"grade": 1, "criterion": "service_quality", "mean": "80.00", "minimum": "85"}
    ]
    assert "未达一级" in result.explanation["summary"]


def test_a_veto_fails_whatever_the_scores() -> None:
    cards = uniform(99, 99, 99)
    cards[1] = Card("e01", cards[1].scores, veto={"item": "forged_documents", "reason": "营业执照伪造"})
    result = decide(DEFAULT_SCHEME, cards)
    assert result.grade is None and result.explanation["vetoes"][0]["item"] == "forged_documents"
    assert "一票否决" in result.explanation["summary"]


def test_below_sixty_is_not_graded() -> None:
    assert decide(DEFAULT_SCHEME, uniform(59, 59, 59)).grade is None


def test_half_up_rounding_is_exact() -> None:
    from fractions import Fraction

    assert to_decimal(Fraction(89995, 1000)) == Decimal("90.00")  # a float would give 89.99
    assert to_decimal(Fraction(1, 3)) == Decimal("0.33") and to_decimal(Fraction(2, 3)) == Decimal("0.67")


def test_scheme_validation() -> None:
    base = DEFAULT_SCHEME.model_dump(exclude={"version"})
    with pytest.raises(ValueError, match="add up to 100"):
        SchemeDraft.model_validate({**base, "criteria": base["criteria"][:4]})
    with pytest.raises(ValueError, match="strictly higher"):
        SchemeDraft.model_validate({**base, "bands": [{"grade": 1, "min_total": 80}, {"grade": 2, "min_total": 85}]})


# --- properties ------------------------------------------------------------------------------------------


@given(panels, st.randoms(use_true_random=False))
def test_order_of_cards_does_not_matter(score_sets: list[dict[str, Decimal]], rnd) -> None:  # type: ignore[no-untyped-def]
    cards = cards_of(score_sets)
    shuffled = list(cards)
    rnd.shuffle(shuffled)
    a, b = decide(DEFAULT_SCHEME, cards), decide(DEFAULT_SCHEME, shuffled)
    assert (a.grade, a.total, a.explanation) == (b.grade, b.total, b.explanation)


@given(st.lists(st.tuples(score, st.uuids().map(str)), min_size=1, max_size=12, unique_by=lambda v: v[1]))
def test_trimming_drops_exactly_one_max_and_one_min(values: list[tuple[Decimal, str]]) -> None:
    kept, dropped = trimmed(values, 5)
    if len(values) < 5:
        assert dropped == [] and len(kept) == len(values)
        return
    assert len(dropped) == 2 and len(kept) == len(values) - 2
    by_expert = dict((e, v) for v, e in values)
    assert by_expert[dropped[0]] == min(v for v, _ in values)
    assert by_expert[dropped[1]] == max(v for v, _ in values)


@given(panels)
def test_totals_stay_within_0_and_100(score_sets: list[dict[str, Decimal]]) -> None:
    result = decide(DEFAULT_SCHEME, cards_of(score_sets))
    assert Decimal(0) <= result.total <= Decimal(100)
    assert result.total == result.total.quantize(Decimal("0.01"))


def rank(grade: int | None) -> int:
    return 5 if grade is None else grade  # lower is better; not graded is worst


@settings(max_examples=300)
@given(panels, st.data())
def test_raising_any_score_never_lowers_the_grade(score_sets: list[dict[str, Decimal]], data) -> None:  # type: ignore[no-untyped-def]
    before = decide(DEFAULT_SCHEME, cards_of(score_sets))
    i = data.draw(st.integers(min_value=0, max_value=len(score_sets) - 1))
    key = data.draw(st.sampled_from(KEYS))
    old = score_sets[i][key]
    new = data.draw(st.decimals(min_value=old, max_value=100, places=1))
    raised = [dict(s) for s in score_sets]
    raised[i][key] = new
    after = decide(DEFAULT_SCHEME, cards_of(raised))
    assert rank(after.grade) <= rank(before.grade)
    assert after.total >= before.total


def test_a_flag_is_raised_by_the_published_deviation() -> None:
    """One number: a card 15.002 points from the median is published as 15.00, which is not more than 15."""
    near = {k: Decimal(95) for k in KEYS} | {"reputation": Decimal("95.01")}  # total 95.002
    result = decide(DEFAULT_SCHEME, [*uniform(80, 80), Card("e02", near)])
    assert result.explanation["flags"] == []
    far = {k: Decimal(95) for k in KEYS} | {"reputation": Decimal("95.03")}  # total 95.006 -> 15.01
    flagged = decide(DEFAULT_SCHEME, [*uniform(80, 80), Card("e02", far)]).explanation["flags"]
    assert [(f["expert_id"], f["deviation"]) for f in flagged] == [("e02", "15.01")]


@settings(max_examples=60)
@given(panels)
def test_every_flag_shown_is_above_the_threshold_and_every_other_is_not(score_sets: list[dict[str, Decimal]]) -> None:
    cards = cards_of(score_sets)
    result = decide(DEFAULT_SCHEME, cards)
    flagged = {f["expert_id"]: Decimal(f["deviation"]) for f in result.explanation["flags"]}
    assert all(d > DEFAULT_SCHEME.deviation_threshold for d in flagged.values())
    from statistics import median

    from grading.scoring import card_total

    totals = {c.expert_id: card_total(c, DEFAULT_SCHEME) for c in cards}
    middle = median(totals.values())
    for expert, total in totals.items():
        if expert not in flagged:
            assert to_decimal(abs(total - middle)) <= DEFAULT_SCHEME.deviation_threshold
