"""Delivers the mails of one domain event: each (event, recipient) once, through SES v2 from one identity.

At-least-once, by choice. A mail is claimed in the table before SES is called and marked `sent` after; a claim
whose sender died (its lease ran out) is taken over by the redelivery, so no mail is ever lost between a commit
and a send. Once SES has accepted a mail nothing raises for it (marking it sent is retried, then logged): a failed
delivery comes back after the lease and would send it again. The one duplicate left: a sender that dies after SES
accepted the mail and before it marked it sent, which the redelivery sends again. At-most-once would lose that
mail instead, and a provider that misses its 补正 deadline loses more than one who reads a notice twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from grading import site
from grading.clock import local_date
from grading.config import settings
from grading.notify.compose import Mail, mails_for
from grading.notify.render import render
from grading.observability import logger
from grading.store import mail as ses
from grading.store import notifications as dal_notify


@dataclass
class Outcome:
    sent: int = 0
    duplicates: int = 0
    capped: int = 0
    unsubscribed: int = 0


def mime(to: str, subject: str, text: str, html: str, now: datetime, unsubscribe_url: str | None) -> bytes:
    message = EmailMessage()
    message["From"] = Address("服务商分级管理", addr_spec=settings().sender_address)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=settings().sender_address.rsplit("@", 1)[-1])
    if unsubscribe_url:
        # RFC 8058 one-click: mail clients POST to the link; it is the same page people open.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message.as_bytes()


def _send_one(event_id: str, mail: Mail, to: str, now: datetime, outcome: Outcome) -> None:
    config = settings()
    unsubscribe_url = None
    if mail.reminder:
        token, wanted = dal_notify.unsubscribe_token(to, now)
        if not wanted:
            dal_notify.settle(event_id, to, "unsubscribed", now, first=True)
            outcome.unsubscribed += 1
            return
        unsubscribe_url = site.link(f"/unsubscribe/{token}")
    day = local_date(now).isoformat()
    cap = (day, config.reminder_daily_cap) if mail.reminder else None
    state = dal_notify.claim(event_id, to, mail.template, now, config.notify_lease_seconds, cap)
    if state != "claimed":
        outcome.duplicates += state == "done"
        outcome.capped += state == "capped"
        return
    rendered = render(mail.template, mail.context, base_url=site.public_base_url(), unsubscribe_url=unsubscribe_url)
    raw = mime(to, rendered.subject, rendered.text, rendered.html, now, unsubscribe_url)
    try:
        message_id = ses.send_raw(config.sender_address, to, raw)
    except Exception:
        dal_notify.release(event_id, to, day if cap is not None else None)
        raise
    _settle_sent(event_id, to, now, message_id)
    outcome.sent += 1
    logger.info("mail sent", event_id=event_id, template=mail.template, message_id=message_id)


SETTLE_ATTEMPTS = 3


def _settle_sent(event_id: str, to: str, now: datetime, message_id: str | None) -> None:
    """SES has accepted the mail: record it, trying again if the table refuses for a moment. Never raise from
    here: a failed delivery is delivered again after the claim's lease has run out, and would send a second copy.
    If every attempt fails the claim stays `sending`, which only a redelivery for another mail could take over."""
    for attempt in range(1, SETTLE_ATTEMPTS + 1):
        try:
            dal_notify.settle(event_id, to, "sent", now, message_id=message_id)
            return
        except Exception:
            if attempt == SETTLE_ATTEMPTS:
                logger.exception("mail sent but not recorded", event_id=event_id, message_id=message_id)


def deliver(event: dict[str, Any], now: datetime) -> Outcome:
    """Every mail of one EventBridge event. Raises (so the queue retries it) if any mail failed; the ones that
    were sent are not sent again on the retry."""
    detail = event.get("detail") or {}
    event_id = str(detail.get("event_id") or event.get("id"))
    outcome = Outcome()
    failures: list[Exception] = []
    for mail in mails_for(str(event.get("detail-type")), detail):
        for to in mail.to:
            try:
                _send_one(f"{event_id}:{mail.template}", mail, to, now, outcome)
            except Exception as exc:  # one recipient's failure must not keep the others from their mail
                logger.exception("mail failed", event_id=event_id, template=mail.template)
                failures.append(exc)
    if failures:
        raise RuntimeError(f"{len(failures)} mail(s) of event {event_id} failed: {failures!r}")
    return outcome
