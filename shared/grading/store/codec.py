"""Records to DynamoDB's attribute values and back: Decimal-exact numbers, sets, and the table's own attributes
(keys, indexes, `type`) kept out of the records the use-cases see. Pure: no client."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from grading.errors import InvalidInput

if TYPE_CHECKING:
    pass


_serializer = TypeSerializer()


_deserializer = TypeDeserializer()


_KEY_ATTRS = ("PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "DUE_PK", "DUE_SK", "type")


def _ser(item: dict[str, Any]) -> dict[str, Any]:
    return {k: attribute_value(v) for k, v in item.items() if v is not None}


_MAX_INT = 10**38  # DynamoDB numbers carry 38 significant digits; past that boto3's checks apply


def attribute_value(value: Any) -> dict[str, Any]:
    """boto3's TypeSerializer, with a short path for the types records are made of (strings, whole numbers,
    booleans, maps, lists): it is called for every attribute of every item written (tests/unit/test_dal_types.py
    holds it to TypeSerializer's answers). Anything else (Decimal, sets, bytes, ...) goes to TypeSerializer."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is dict:
        return {"M": {k: attribute_value(v) for k, v in value.items()}}
    if kind is bool:
        return {"BOOL": value}
    if kind is int and -_MAX_INT < value < _MAX_INT:
        return {"N": str(value)}
    if kind is list:
        return {"L": [attribute_value(v) for v in value]}
    if value is None:
        return {"NULL": True}
    return dict(_serializer.serialize(value))


def _plain(value: Any) -> Any:
    """Whole numbers come back from DynamoDB as Decimal('2'); give them back as ints. Fractional numbers stay
    Decimal, and totals are stored as strings so their two places survive."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _deser(item: dict[str, Any]) -> dict[str, Any]:
    return {k: python_value(v) for k, v in item.items()}


def python_value(value: dict[str, Any]) -> Any:
    """TypeDeserializer then `_plain`, with a short path for strings, numbers, maps, lists, booleans and nulls
    (tests/unit/test_dal_types.py holds it to their answers); sets and binary go the long way."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else number
    if kind == "M":
        return {k: python_value(v) for k, v in inner.items()}
    if kind == "L":
        return [python_value(v) for v in inner]
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    return _plain(_deserializer.deserialize(value))  # type: ignore[arg-type]


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _KEY_ATTRS}


def _ints(value: Any) -> Any:
    """DynamoDB returns every number as Decimal; whole numbers in our records are counters and versions."""
    return int(value) if value is not None else None


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_token(token: str | None, *, index_pk: str, expected_pk: str) -> dict[str, Any] | None:
    """A next_token is only valid for the list it came from; anything else is a 422, not a 500."""
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
        valid = isinstance(key, dict) and key.get(index_pk) == {"S": expected_pk}
    except (ValueError, binascii.Error, UnicodeDecodeError):
        valid = False
    if not valid:
        raise InvalidInput.field("next_token", "is not a token from this list")
    start: dict[str, Any] = key
    return start
