"""GB 32100-2015 check character: known codes, and properties over generated ones."""

from hypothesis import given
from hypothesis import strategies as st

from grading import credit_code

body17 = st.tuples(
    st.sampled_from("159Y"),
    st.sampled_from("123"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=credit_code.CHARSET, min_size=9, max_size=9),
).map("".join)


def test_published_examples_are_valid() -> None:
    assert credit_code.is_valid("91350100M000100Y43")
    assert credit_code.is_valid("91110000600037341L")


def test_problems_are_specific() -> None:
    assert "18 characters" in (credit_code.problem("9135010") or "")
    assert "not allowed" in (credit_code.problem("91350100M000100YI3") or "")
    assert "expected 3" in (credit_code.problem("91350100M000100Y4X") or "")
    assert "administrative division" in (credit_code.problem("91A50100M000100Y43") or "")


@given(body17)
def test_the_computed_check_character_makes_a_valid_code(body: str) -> None:
    assert credit_code.is_valid(body + credit_code.check_character(body))


@given(body17, st.integers(min_value=0, max_value=17), st.sampled_from(credit_code.CHARSET))
def test_any_single_substitution_is_detected(body: str, position: int, replacement: str) -> None:
    code = body + credit_code.check_character(body)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code and changed[2:8].isdigit():
        assert not credit_code.is_valid(changed)


@given(body17, st.integers(min_value=0, max_value=16))
def test_adjacent_transpositions_are_mostly_detected(body: str, position: int) -> None:
    # 31 is prime and neighbouring weights differ mod 31, so swapping two different characters changes the sum.
    code = body + credit_code.check_character(body)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    if swapped != code and swapped[2:8].isdigit():
        assert not credit_code.is_valid(swapped)
