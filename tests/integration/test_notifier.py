"""NotifierFunction against moto: each domain event's email (rendered text checked), one email per event and
recipient however often the event is delivered, the daily reminder cap, unsubscribing, and no mail lost when a
sender dies between its claim and SES."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grading import dal, dal_notify, sweep
from local import outbox
from local.host import FunctionHost
from local.pollers import EventPollers
from local.template import Stack
from tests.integration.conftest import (
    ADMIN,
    CREDIT_CODE,
    PROVIDER,
    REVIEWER,
    Api,
    application_body,
    evaluating_application,
    in_notice_application,
    register_experts,
    submit,
)
from tests.integration.test_providers import assess, certified

CONTACT = "zhang@example.cn"


def mails(to: str | None = None) -> list[dict[str, Any]]:
    return [m for m in outbox.sent() if to is None or to in m["to"]]


def subjects(to: str | None = None) -> list[str]:
    return [m["subject"] for m in mails(to)]


@pytest.fixture
def pollers(stack: Stack, host: FunctionHost) -> Iterator[EventPollers]:
    """The template's event sources, played: stream -> events -> the notification rule -> queue -> notifier."""
    running = EventPollers(stack, host)
    running.start()
    yield running
    running.stop()


def sqs_event(detail_type: str, detail: dict[str, Any], message_id: str = "m1") -> dict[str, Any]:
    event = {
        "version": "0",
        "id": "e-" + message_id,
        "source": "provider-grading",
        "detail-type": detail_type,
        "time": "2026-12-01T00:00:00Z",
        "detail": detail,
    }
    return {
        "Records": [
            {
                "messageId": message_id,
                "receiptHandle": "r",
                "body": json.dumps(event, ensure_ascii=False),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
        ]
    }


def test_a_returned_application_tells_its_contact_the_reasons_and_deadline(api: Api, pollers: EventPollers) -> None:
    app_id = submit(api)
    review = {"decision": "return", "reasons": ["请上传营业执照", "资质证书<已过期>"]}
    reply = api.call("POST", f"/v1/applications/{app_id}/review", review, who=REVIEWER)
    assert reply.status == 200, reply.body
    pollers.drain(timeout=30)
    deadline = dal.get_application(app_id)[0]["return_deadline"]  # type: ignore[index]
    [mail] = mails(CONTACT)
    assert mail["to"] == [CONTACT]
    assert mail["subject"] == f"【补正通知】福州云服务有限公司的申请需补充材料，请于{deadline}前补正"
    assert "  1. 请上传营业执照\n  2. 资质证书<已过期>\n" in mail["text"]
    assert f"补正截止日期：{deadline}" in mail["text"]
    assert "<li>资质证书&lt;已过期&gt;</li>" in mail["html"] and "<已过期>" not in mail["html"]
    assert "不能退订" in mail["text"] and "unsubscribe" not in mail["text"]
