"""The expert registry's and the schemes' transaction items (access patterns 7-9): an expert and its entry in
the pool of each specialty change in one transaction; a scheme version and the CURRENT pointer likewise."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_put, tx_update
from grading.store.keys import CURRENT_SCHEME_KEY, POOL_MEMBER_PREFIX, expert_key, pool_key, scheme_key


def scheme_version_items(version: str, body: dict[str, Any], pointer: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A new scheme version, and the CURRENT pointer moved to it (optimistic on the pointer read as `pointer`)."""
    return [
        tx_put(scheme_key(version), "scheme", body, name="version", new=True),
        tx_put(
            CURRENT_SCHEME_KEY,
            "scheme_pointer",
            body,
            name="current",
            new=pointer is None,
            expected_version=pointer["version"] if pointer else None,
        ),
    ]


def pool_items(expert: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The expert's entry in the pool of each specialty as it is now, and its removal from dropped ones (one pool
    item per category, so a panel draw reads the pool and the provider in one BatchGet)."""
    member = {"#E": POOL_MEMBER_PREFIX + expert["expert_id"]}
    entry = {"expert_id": expert["expert_id"], "active": expert["active"], "affiliations": expert["affiliations"]}
    items = [
        tx_update(pool_key(c), "SET #E = :entry", {":entry": entry}, name=f"pool:{c}", names=member)
        for c in expert["specialties"]
    ]
    dropped = set((previous or {}).get("specialties", [])) - set(expert["specialties"])
    items += [tx_update(pool_key(c), "REMOVE #E", {}, name=f"pool-drop:{c}", names=member) for c in sorted(dropped)]
    return items


def new_expert_items(expert_id: str, expert: dict[str, Any]) -> list[dict[str, Any]]:
    """A newly registered expert (refused as `expert` if the id is taken) and its pool entries."""
    return [tx_put(expert_key(expert_id), "expert", expert, name="expert", new=True), *pool_items(expert, None)]


def changed_expert_items(
    expert_id: str, updated: dict[str, Any], current: dict[str, Any], version: int
) -> list[dict[str, Any]]:
    """The expert as `updated` (optimistic on the `version` read), and its pools following from `current`."""
    return [
        tx_put(expert_key(expert_id), "expert", updated, name="expert", expected_version=version),
        *pool_items(updated, current),
    ]
