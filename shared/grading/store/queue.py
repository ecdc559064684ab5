"""The re-grading queue (SQS): the one client for it, and sending a run's messages in batches of ten."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from grading.config import settings

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs")


def send(messages: list[dict[str, Any]]) -> None:
    url = settings().regrading_queue_url
    for i in range(0, len(messages), 10):
        chunk = messages[i : i + 10]
        response = sqs().send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(n), "MessageBody": json.dumps(m)} for n, m in enumerate(chunk)]
        )
        if response.get("Failed"):
            raise RuntimeError(f"queue refused {len(response['Failed'])} message(s)")
