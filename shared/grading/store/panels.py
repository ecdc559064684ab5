"""An application's panels and scorecards (pattern 1; an open panel is also due for a reminder, pattern 37)."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_check, tx_put
from grading.store.keys import card_key, panel_indexes, panel_key


def panel_item(application_id: str, round_: int, record: dict[str, Any], *, version: int | None) -> dict[str, Any]:
    """The panel of a round as `record`: new when `version` is None, else optimistic on the `version` read. Only an
    open panel keeps its reminder index."""
    return tx_put(
        panel_key(application_id, round_),
        "panel",
        record,
        name="panel",
        new=version is None,
        expected_version=version,
        indexes=panel_indexes(record, application_id),
    )


def closed_panel_item(application_id: str, record: dict[str, Any], at: str, reason: str) -> dict[str, Any]:
    """The open panel `record` (as read, with its version) closed at `at` for `reason`: it leaves the reminder index
    and takes no more scorecards. Optimistic on the version read, so it goes in the transaction that ends the
    evaluation (a withdrawal)."""
    closed = {**record, "status": "closed", "closed_at": at, "closed_reason": reason}
    version = closed.pop("version")
    return panel_item(application_id, int(record["round"]), closed, version=version)


def scorecard_items(
    application_id: str, round_: int, expert_id: str, card: dict[str, Any], previous: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """An expert's scorecard (new, or replacing `previous` optimistically), landing only while the panel is still
    open with this expert on it."""
    return [
        tx_check(
            panel_key(application_id, round_),
            "#s = :open AND contains(members, :e)",
            {":open": "open", ":e": expert_id},
            name="panel",
            names={"#s": "status"},
        ),
        tx_put(
            card_key(application_id, round_, expert_id),
            "scorecard",
            {k: v for k, v in card.items() if v is not None},
            name="card",
            new=previous is None,
            expected_version=previous["version"] if previous else None,
        ),
    ]
