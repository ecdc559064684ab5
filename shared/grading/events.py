"""Domain events: which committed change on the table's stream is which event of API.md ("Events").

Pure: `events_for(old, new)` looks at an item before and after a change. The detail carries ids, credit code,
grade and dates, never contact data. Each event has a stable `event_id`, so a consumer can drop the duplicates
that an at-least-once stream may deliver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SOURCE = "provider-grading"
_REVIEW_OUTCOME = {"evaluating": "pass", "returned": "return", "rejected": "reject"}


@dataclass(frozen=True)
class DomainEvent:
    detail_type: str
    detail: dict[str, Any]

    def entry(self, bus_name: str) -> dict[str, Any]:
        import json

        return {
            "Source": SOURCE,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail, ensure_ascii=False, default=str),
            "EventBusName": bus_name,
        }


def _application_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    before = (old or {}).get("status")
    after = new.get("status")
    if before == after:
        return []
    base = {
        "application_id": new["application_id"],
        "credit_code": new["credit_code"],
        "category": (new.get("provider") or {}).get("category"),
        "status": after,
        "at": new.get("updated_at"),
        "event_id": f"{new['application_id']}:{len(new.get('history') or [])}",
    }
    if after == "submitted":
        return [DomainEvent("ApplicationSubmitted", {**base, "resubmitted": before is not None})]
    if before == "submitted" and after in _REVIEW_OUTCOME:
        last = (new.get("history") or [{}])[-1]
        return [
            DomainEvent(
                "ApplicationReviewed",
                {
                    **base,
                    "decision": _REVIEW_OUTCOME[after],
                    "return_deadline": new.get("return_deadline"),
                    "reviewer": last.get("actor"),
                },
            )
        ]
    return []


def events_for(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[DomainEvent]:
    """The domain events that one item change means (an empty list for most changes)."""
    if new is None:
        return []
    if new.get("type") == "application":
        return _application_events(old, new)
    return []
