"""The store's notification items (access patterns 32-37): who was sent which event, the daily reminder
cap, reminder preferences and unsubscribe tokens, the reviewers' contact registry, and the reminders' Due reads.

Emails never appear in keys: a recipient is keyed by the SHA-256 of the lower-cased address.
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime
from typing import Any

from grading import dal
from grading.clock import iso
from grading.store.keys import cap_key, delivery_key, prefs_key, recipient_hash, token_key

SENT_TTL_DAYS = 400  # a delivery record outlives any redelivery (SQS keeps a message 14 days at most)
CAP_TTL_DAYS = 3
SETTLED = frozenset({"sent", "capped", "unsubscribed"})  # outcomes of a delivery that nobody sends again


def reviewer_key(sub: str) -> dict[str, str]:
    return {"PK": "STAFF#reviewers", "SK": sub}


def _ttl(now: datetime, days: int) -> int:
    return int(now.timestamp()) + days * 86400


class Claimed(Exception):
    """Another delivery of the same event holds the claim and may still be sending: try again later."""


def claim(
    event_id: str, email: str, template: str, now: datetime, lease_seconds: int, cap: tuple[str, int] | None
) -> str:
    """Claim one email of one event (pattern 32); for a reminder, count it against the recipient's day (33):
    `cap` is (local date, reminders allowed that day).

    Returns "claimed" (send it now), "done" (an earlier delivery sent or settled it) or "capped". A claim whose
    lease ran out (its sender died between claiming and marking) is taken over, so a mail is never lost; the
    price is a second copy when the first sender died after SES accepted it (at-least-once). A reminder capped on
    an earlier day is claimed again: the sweep raises a reminder on each day it still holds (the same event id),
    so one held back by a full day goes out on a later one instead of never."""
    at = iso(now)
    record = {
        "status": "sending",
        "template": template,
        "claimed_at": at,
        "lease_until": int(now.timestamp()) + lease_seconds,
        "ttl": _ttl(now, SENT_TTL_DAYS),
    }
    condition = "attribute_not_exists(PK) OR (#s = :sending AND lease_until < :now)"
    values: dict[str, Any] = {":sending": "sending", ":now": int(now.timestamp())}
    if cap is not None:
        condition += " OR (#s = :capped AND capped_on < :day)"
        values.update({":capped": "capped", ":day": cap[0]})
    items = [
        dal.tx_put(
            delivery_key(event_id, email),
            "delivery",
            record,
            name="claim",
            condition=condition,
            names={"#s": "status"},
            values=values,
        )
    ]
    if cap is not None:
        day, limit = cap
        items.append(
            dal.tx_update(
                cap_key(email, day),
                "ADD sent :one SET #ttl = :ttl",
                {":one": 1, ":cap": limit, ":ttl": _ttl(now, CAP_TTL_DAYS)},
                name="cap",
                condition="attribute_not_exists(sent) OR sent < :cap",
                names={"#ttl": "ttl"},
            )
        )
    try:
        dal.write(*items)
    except dal.TransactionConflict as lost:
        if "claim" in lost.reasons:
            existing = dal.get_item(delivery_key(event_id, email)) or {}
            if existing.get("status") not in SETTLED:
                # Still being sent, or given back since (SES refused it): not done, so the queue tries again later.
                raise Claimed(event_id) from None
            return "done"
        settle(event_id, email, "capped", now, first=True, capped_on=cap[0] if cap else None)
        return "capped"
    return "claimed"


def settle(
    event_id: str,
    email: str,
    status: str,
    now: datetime,
    message_id: str | None = None,
    first: bool = False,
    capped_on: str | None = None,
) -> None:
    """Record the outcome: `sent` (with SES's message id), or a mail deliberately not sent (capped,
    unsubscribed). Whoever holds or took the claim writes the same outcome; `first` only where nobody claimed."""
    item: dict[str, Any] = {"status": status, "settled_at": iso(now), "ttl": _ttl(now, SENT_TTL_DAYS)}
    if message_id:
        item["message_id"] = message_id
    if capped_on:
        item["capped_on"] = capped_on  # the recipient's full day: a later day's raise of the reminder may send it
    # With `first`, another delivery may have got there: its outcome stands.
    with contextlib.suppress(dal.TransactionConflict):
        dal.write(dal.tx_put(delivery_key(event_id, email), "delivery", item, name="settle", new=first))


def release(event_id: str, email: str, cap_day: str | None) -> None:
    """SES refused or failed: give the claim (and the reminder's count) back so the retry sends it."""
    items = [
        dal.tx_delete(delivery_key(event_id, email), name="claim"),
    ]
    if cap_day:
        items.append(dal.tx_update(cap_key(email, cap_day), "ADD sent :minus", {":minus": -1}, name="cap"))
    dal.write(*items)


def delivery(event_id: str, email: str) -> dict[str, Any] | None:
    return dal.get_item(delivery_key(event_id, email))


# --- reminder preferences and the unsubscribe link ------------------------------------------------------------


def unsubscribe_token(email: str, now: datetime) -> tuple[str, bool]:
    """The recipient's unsubscribe token (made on their first reminder) and whether reminders are still wanted."""
    prefs = dal.get_item(prefs_key(email))
    if prefs:
        return str(prefs["token"]), not prefs.get("reminders_off")
    token = secrets.token_urlsafe(24)
    try:
        dal.write(
            dal.tx_put(
                prefs_key(email), "contact_prefs", {"token": token, "created_at": iso(now)}, name="prefs", new=True
            ),
            dal.tx_put(
                token_key(token),
                "unsubscribe_token",
                {"recipient": recipient_hash(email), "created_at": iso(now)},
                name="token",
                new=True,
            ),
        )
    except dal.TransactionConflict:
        prefs = dal.get_item(prefs_key(email)) or {}  # made at the same moment by another delivery
        return str(prefs["token"]), not prefs.get("reminders_off")
    return token, True


def token_known(token: str) -> bool:
    return dal.get_item(token_key(token)) is not None


def unsubscribe(token: str, now: datetime) -> bool:
    """Turn reminders off for the token's recipient; False for an unknown token. Doing it twice is harmless."""
    found = dal.get_item(token_key(token))
    if not found:
        return False
    return dal.update_if(
        {"PK": f"CONTACT#{found['recipient']}", "SK": "PREFS"},
        "SET reminders_off = :t, unsubscribed_at = if_not_exists(unsubscribed_at, :at)",
        "#tok = :token",
        {"#tok": "token"},
        {":t": {"BOOL": True}, ":at": {"S": iso(now)}, ":token": {"S": token}},
    )


# --- the reviewers' contact registry --------------------------------------------------------------------------


def put_reviewer(sub: str, record: dict[str, Any]) -> None:
    dal.write(dal.tx_put(reviewer_key(sub), "reviewer_contact", record, name="reviewer"))


def reviewers() -> list[dict[str, Any]]:
    """Pattern 35: every registered reviewer (a handful: one partition, one Query)."""
    return dal.query_partition("STAFF#reviewers")


# --- what the daily sweep reminds of --------------------------------------------------------------------------


def deadlines_between(kind: str, first: str, last: str) -> list[dict[str, Any]]:
    """Pattern 36: items of a Due kind whose moment falls in [first, last] (dates or instants, inclusive)."""
    items = dal._query_all(
        IndexName="Due",
        KeyConditionExpression="DUE_PK = :pk AND DUE_SK BETWEEN :a AND :b",
        ExpressionAttributeValues={":pk": {"S": f"DUE#{kind}"}, ":a": {"S": first}, ":b": {"S": last + "\uffff"}},
    )
    return [dal._strip(i) for i in items]


def panels_due(until: str) -> list[dict[str, Any]]:
    """Pattern 37: open panels whose reminder moment has come, with their application id (from PK)."""
    items = dal._query_all(
        IndexName="Due",
        KeyConditionExpression="DUE_PK = :pk AND DUE_SK <= :until",
        ExpressionAttributeValues={":pk": {"S": "DUE#CARD_REMIND"}, ":until": {"S": until + "\uffff"}},
    )
    return [{**dal._strip(i), "application_id": str(i["PK"]).removeprefix("APP#")} for i in items]
