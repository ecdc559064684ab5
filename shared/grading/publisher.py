"""Puts the domain events of one committed change onto EventBridge; raises if any entry was refused."""

from __future__ import annotations

from typing import Any

from grading.config import settings
from grading.events import DomainEvent, events_for
from grading.observability import logger
from grading.store import bus


def publish_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> int:
    events = events_for(old, new)
    if not events:
        return 0
    entries: list[Any] = [e.entry(settings().event_bus_name) for e in events]
    response = bus.put_events(entries)
    if response.get("FailedEntryCount"):
        # Raising makes the batch processor report this record, so the stream retries it (then the DLQ).
        raise RuntimeError(f"EventBridge refused {response['FailedEntryCount']} event(s): {response['Entries']}")
    for e in events:
        logger.info("domain event", detail_type=e.detail_type, event_id=e.detail.get("event_id"))
    return len(events)


def publish(events: list[DomainEvent]) -> None:
    """Put events the sweep raises itself (its reminders), 10 to a PutEvents call; raises if any was refused."""
    for start in range(0, len(events), 10):
        chunk = events[start : start + 10]
        entries: list[Any] = [e.entry(settings().event_bus_name) for e in chunk]
        response = bus.put_events(entries)
        if response.get("FailedEntryCount"):
            raise RuntimeError(f"EventBridge refused {response['FailedEntryCount']} event(s): {response['Entries']}")
