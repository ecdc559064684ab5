"""The domain settings (patterns 23-24): each change is a new stored version and the CURRENT copy of it."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_put
from grading.store.keys import settings_key


def settings_version_items(name: str, version: int, body: dict[str, Any], read_version: int) -> list[dict[str, Any]]:
    """Version `version` of the `name` settings (refused as `version` if stored meanwhile), and the current copy
    moved to it: new when none was stored (`read_version` 0), else only while it is still the one read."""
    first = read_version == 0
    current_copy = tx_put(
        settings_key(name),
        "settings",
        body,
        name="current",
        new=first,
        condition=None if first else "settings_version = :read",
        values=None if first else {":read": read_version},
    )
    return [tx_put(settings_key(name, version), "settings", body, name="version", new=True), current_copy]
