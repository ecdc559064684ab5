"""The store's one module that talks to EventBridge: puts entries on the domain event bus."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsResponseTypeDef


@cache
def client() -> EventBridgeClient:
    return boto3.client("events")


def put_events(entries: list[Any]) -> PutEventsResponseTypeDef:
    """One PutEvents call on the domain bus (at most 10 entries); the answer says which were refused."""
    return client().put_events(Entries=entries)
