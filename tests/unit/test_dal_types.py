"""dal.attribute_value is boto3's TypeSerializer with a short path: for any value a record can hold, it must give
exactly TypeSerializer's answer, and refuse what TypeSerializer refuses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from grading.dal import _plain, _ser, attribute_value, python_value

scalars = (
    st.text()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.none()
    | st.decimals(allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9)
    | st.binary(min_size=1, max_size=8)
    | st.frozensets(st.text(min_size=1), min_size=1, max_size=3).map(set)
    | st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=3).map(set)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def boto3_answer(value: Any) -> Any:
    try:
        return TypeSerializer().serialize(value)
    except Exception as exc:
        return type(exc)


def ours(value: Any) -> Any:
    try:
        return attribute_value(value)
    except Exception as exc:
        return type(exc)


@given(values)
def test_the_same_answer_as_type_serializer(value: Any) -> None:
    assert ours(value) == boto3_answer(value)


@pytest.mark.parametrize(
    "value",
    [10**38, -(10**38), 10**39 + 1, 1.5, float("nan"), Decimal("NaN"), Decimal("1E+200"), object(), (1, "a")],
)
def test_what_type_serializer_refuses_or_rounds_goes_the_same_way(value: Any) -> None:
    assert ours(value) == boto3_answer(value)


def test_an_item_leaves_out_none_and_keeps_the_rest() -> None:
    assert _ser({"a": None, "b": 2, "c": {"d": None}}) == {"b": {"N": "2"}, "c": {"M": {"d": {"NULL": True}}}}


@given(values)
def test_reading_back_gives_what_type_deserializer_and_plain_give(value: Any) -> None:
    """dal.python_value is TypeDeserializer followed by dal._plain (whole numbers as int), on any stored value."""
    try:
        wire = TypeSerializer().serialize(value)
    except Exception:
        return  # not storable: nothing to read back
    expected = _plain(TypeDeserializer().deserialize(wire))
    assert typed(python_value(wire)) == typed(expected)


def typed(value: Any) -> Any:
    """The value with the type of every part spelled out (1 == Decimal(1) == True in Python, not here)."""
    if isinstance(value, dict):
        return ("dict", {k: typed(v) for k, v in value.items()})
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, (set, frozenset)):
        return ("set", sorted(repr(typed(v)) for v in value))
    return (type(value).__name__, value)
