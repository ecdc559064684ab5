"""Rectification orders (pattern 17; a provider's orders, pattern 22; an open or rejected order is due at its
deadline, pattern 14)."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_put
from grading.store.keys import rectification_indexes, rectification_key


def new_rectification_item(order: dict[str, Any]) -> dict[str, Any]:
    """A new order: refused (as `rectification`) if its id is taken."""
    return tx_put(
        rectification_key(order["rectification_id"]),
        "rectification",
        order,
        name="rectification",
        new=True,
        indexes=rectification_indexes(order),
    )


def changed_rectification_item(order: dict[str, Any], version: int, *, name: str = "rectification") -> dict[str, Any]:
    """The order as `order`, optimistic on the `version` read; its indexes follow its status."""
    return tx_put(
        rectification_key(order["rectification_id"]),
        "rectification",
        order,
        name=name,
        expected_version=version,
        indexes=rectification_indexes(order),
    )


def withdrawn_rectification_item(order: dict[str, Any], version: int) -> dict[str, Any]:
    """The order withdrawn (its assessment corrected to a pass), optimistic on the `version` read. It stays in the
    provider's list of orders (pattern 22), as withdrawn, and is no longer due (pattern 14)."""
    return changed_rectification_item(order, version)
