"""The local outbox: the emails the functions sent through SES, as moto (in this process) keeps them.

API.md "Notifications": `GET /_local/outbox` -> {items: [{to, subject, text, html, sent_at}]}, oldest first."""

from __future__ import annotations

import email
from email.message import Message
from email.policy import default
from email.utils import parsedate_to_datetime
from typing import Any


def _part(message: Message, subtype: str) -> str | None:
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}" and not part.is_multipart():
            payload = part.get_content()  # type: ignore[attr-defined]
            return str(payload)
    return None


def parse(raw: str, destinations: list[str]) -> dict[str, Any]:
    message = email.message_from_string(raw, policy=default)
    date = message.get("Date")
    return {
        "to": list(dict.fromkeys(destinations)) or [str(message.get("To"))],  # moto adds the To header's again
        "subject": str(message.get("Subject") or ""),
        "text": _part(message, "plain"),
        "html": _part(message, "html"),
        "sent_at": parsedate_to_datetime(str(date)).isoformat().replace("+00:00", "Z") if date else None,
        "headers": {k: str(v) for k, v in message.items() if k.lower().startswith("list-")},
    }


def sent(account: str = "123456789012", region: str = "us-east-1") -> list[dict[str, Any]]:
    from moto.ses.models import RawMessage, ses_backends

    backend = ses_backends[account][region]
    found = []
    for message in list(backend.sent_messages):
        if isinstance(message, RawMessage):
            found.append(parse(message.raw_data, list(message.destinations)))
        else:  # a Simple message: moto keeps one body
            found.append(
                {
                    "to": [*message.destinations.get("ToAddresses", [])],
                    "subject": message.subject,
                    "text": message.body,
                    "html": None,
                    "sent_at": None,
                    "headers": {},
                }
            )
    return found
