"""A provider's declared qualifications (pattern 21; in the Due index for their reminder and expiry)."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_put
from grading.store.keys import qualification_indexes, qualification_key


def qualification_item(credit_code: str, record: dict[str, Any], *, new: bool, version: int | None) -> dict[str, Any]:
    """The qualification as `record`: `new` (refused if its number is taken), else optimistic on the `version`
    read (unconditional when there is none)."""
    return tx_put(
        qualification_key(credit_code, record["number"]),
        "qualification",
        record,
        name="qualification",
        new=new,
        expected_version=None if new else version,
        indexes=qualification_indexes(record),
    )


def replaced_qualification_item(credit_code: str, replaced: dict[str, Any], version: int | None) -> dict[str, Any]:
    """The qualification a newer one replaces (named `replaced`), out of the Due index."""
    return tx_put(
        qualification_key(credit_code, replaced["number"]),
        "qualification",
        replaced,
        name="replaced",
        expected_version=version,
    )


def copied_qualification_item(credit_code: str, number: str, q: dict[str, Any]) -> dict[str, Any]:
    """A qualification declared in the application, written as the provider's when it is certified."""
    return tx_put(
        qualification_key(credit_code, number),
        "qualification",
        q,
        name="qualification",
        indexes=qualification_indexes(q),
    )
