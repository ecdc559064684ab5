"""EventPublisherFunction, fed by the table's stream exactly as the template maps it: committed changes become
domain events on the default bus, and a failed publish is retried rather than lost."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.host import FunctionHost
from local.pollers import EventPollers
from local.template import Stack
from tests.integration.conftest import PROVIDER, REVIEWER, Api, application_body


def test_lifecycle_changes_reach_the_bus_in_order(api: Api, stack: Stack, host: FunctionHost, bus: Any) -> None:
    pollers = EventPollers(stack, host)
    pollers.start()
    try:
        app_id = api.call("POST", "/v1/applications", application_body(), who=PROVIDER).body["application_id"]
        review = {"decision": "return", "reasons": ["缺少营业执照"]}
        assert api.call("POST", f"/v1/applications/{app_id}/review", review, who=REVIEWER).status == 200
        pollers.drain(timeout=20)
    finally:
        pollers.stop()
    events = bus()
    assert [e["detail-type"] for e in events] == ["ApplicationSubmitted", "ApplicationReviewed"]
    assert all(e["source"] == "provider-grading" for e in events)
    assert events[1]["detail"]["decision"] == "return"
    assert all("contact" not in json.dumps(e["detail"]) for e in events)


def test_a_record_that_fails_is_reported_not_dropped(host: FunctionHost, monkeypatch: pytest.MonkeyPatch) -> None:
    from grading import publisher

    image = {
        "type": {"S": "application"},
        "application_id": {"S": "A1"},
        "credit_code": {"S": "c"},
        "status": {"S": "submitted"},
    }
    records = [
        {
            "eventID": str(i),
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {"NewImage": image, "SequenceNumber": f"{i:021d}", "StreamViewType": "NEW_AND_OLD_IMAGES"},
        }
        for i in (1, 2)
    ]

    calls = {"n": 0}
    real = publisher.publish_change

    def flaky(old: Any, new: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("EventBridge is down")
        return real(old, new)

    monkeypatch.setattr(publisher, "publish_change", flaky)
    result = host.invoke("EventPublisherFunction", {"Records": records})
    assert result == {"batchItemFailures": [{"itemIdentifier": f"{1:021d}"}]}
