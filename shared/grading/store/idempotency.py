"""Idempotency-Key answers (pattern 6), written in the transaction of the request they answer; TTL `ttl`."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_put


def idempotency_item(key: dict[str, str], body: dict[str, Any], now_epoch: int) -> dict[str, Any]:
    """Put unless a live record is there (an expired one, not yet deleted by TTL, is replaced)."""
    return tx_put(
        key,
        "idempotency",
        body,
        name="idempotency",
        condition="attribute_not_exists(PK) OR #ttl <= :now",
        names={"#ttl": "ttl"},
        values={":now": now_epoch},
    )
