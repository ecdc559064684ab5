"""The store's one module that talks to SES (v2): sends a raw MIME mail from the one sending identity."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


@cache
def client() -> SESV2Client:
    return boto3.client("sesv2")


def send_raw(sender: str, to: str, raw: bytes) -> str | None:
    """Send one raw mail to one recipient; SES's message id."""
    reply = client().send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [to]},
        Content={"Raw": {"Data": raw}},
    )
    return reply.get("MessageId")
