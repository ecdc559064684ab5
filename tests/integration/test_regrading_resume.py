"""A re-grading run is never left holding its year's lock with nothing queued: a start whose messages could not be
sent (an SQS outage) is resumed by its retry, and an admin can resume any stuck run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from grading import dal, regrading
from grading.store import keys
from grading.store import queue as regrading_queue
from local.host import FunctionHost
from local.pollers import EventPollers
from local.template import Stack
from tests.integration.conftest import ADMIN, Api
from tests.integration.test_regrading import population  # noqa: F401  (the fixture)

COUNTS = {"up": 1, "down": 1, "kept": 2, "no_data": 1, "failed": 0}


class QueueOutage:
    """The re-grading queue refuses every send (what botocore raises once its own retries are spent)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.refused = 0

    def __getattr__(self, name: str) -> Any:
        if name not in ("send_message", "send_message_batch"):
            return getattr(self.real, name)

        def refuse(**kwargs: Any) -> Any:
            self.refused += 1
            error = {"Error": {"Code": "ServiceUnavailable", "Message": "injected outage"}}
            raise ClientError(error, name)  # type: ignore[arg-type]

        return refuse


class Sent:
    """Forwards to the real queue and keeps what was sent (reading the queue would count as receives)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.bodies: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        if name != "send_message_batch":
            return getattr(self.real, name)

        def send(**kwargs: Any) -> Any:
            answer = self.real.send_message_batch(**kwargs)
            self.bodies += [json.loads(e["MessageBody"]) for e in kwargs["Entries"]]
            return answer

        return send


@pytest.fixture
def queue(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """What reached the re-grading queue since the test began: the bodies sent, checked against its depth."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.queues["RegradingQueue"])["QueueUrl"]
    spy = Sent(regrading_queue.sqs())
    monkeypatch.setattr(regrading_queue, "sqs", lambda: spy)

    def messages() -> list[dict[str, Any]]:
        depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        assert int(depth["Attributes"]["ApproximateNumberOfMessages"]) == len(spy.bodies)
        return list(spy.bodies)

    def purge() -> None:
        sqs.purge_queue(QueueUrl=url)
        spy.bodies.clear()

    messages.purge = purge  # type: ignore[attr-defined]
    yield messages


def drain(stack: Stack, host: FunctionHost) -> None:
    pollers = EventPollers(stack, host)
    pollers.start()
    try:
        pollers.drain(timeout=60)
    finally:
        pollers.stop()


def test_a_start_that_could_not_queue_is_resumed_by_its_retry(
    api: Api,
    stack: Stack,
    host: FunctionHost,
    population: dict[str, str],  # noqa: F811
    queue: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = regrading_queue.sqs()
    outage = QueueOutage(spy)
    monkeypatch.setattr(regrading_queue, "sqs", lambda: outage)
    first = api.call("POST", "/v1/regradings", {"year": 2026}, who=ADMIN)
    assert first.status == 500 and first.body["error"]["code"] == "INTERNAL", first.body
    assert outage.refused == 1
    assert queue() == []  # the run and the year's lock are committed, and nothing is queued
    monkeypatch.setattr(regrading_queue, "sqs", lambda: spy)  # the queue is back

    retry = api.call("POST", "/v1/regradings", {"year": 2026}, who=ADMIN)
    assert retry.status == 202, retry.body
    run_id = retry.body["run_id"]
    lock = dal.get_item(keys.year_lock_key(2026))
    assert lock is not None and lock["run_id"] == run_id  # the run the failed start committed, not a second one
    queued = sorted(queue(), key=lambda m: m["shard"])
    assert queued == [{"kind": "shard", "run_id": run_id, "shard": s, "token": None} for s in range(16)]
    # Once its messages are queued, another start is the usual 409.
    again = api.call("POST", "/v1/regradings", {"year": 2026}, who=ADMIN)
    assert again.status == 409 and again.body["error"]["code"] == "REGRADING_RUNNING"

    drain(stack, host)
    run = api.call("GET", f"/v1/regradings/{run_id}", who=ADMIN).body
    assert run["status"] == "completed" and run["counts"] == COUNTS and run["done"] == run["total"] == 5
    assert dal.get_item(keys.year_lock_key(2026)) is None  # the year can be re-graded again


def test_an_admin_resumes_a_run_whose_messages_were_lost(
    api: Api,
    stack: Stack,
    host: FunctionHost,
    population: dict[str, str],  # noqa: F811
    queue: Any,
) -> None:
    started = api.call("POST", "/v1/regradings", {"year": 2026}, who=ADMIN)
    assert started.status == 202
    run_id = started.body["run_id"]
    queue.purge()
    assert queue() == []  # every shard's message lost (as after five failed receives into the DLQ)

    assert api.call("POST", f"/v1/regradings/{run_id}/resume", who=("reviewer-1", "reviewers")).status == 403
    assert api.call("POST", "/v1/regradings/NOSUCHRUN/resume", who=ADMIN).status == 404
    resumed = api.call("POST", f"/v1/regradings/{run_id}/resume", who=ADMIN)
    assert resumed.status == 202, resumed.body
    assert resumed.body == {"run_id": run_id, "status": "running", "queued_shards": list(range(16)),
                            "finalize_queued": False}  # fmt: skip
    again = api.call("POST", f"/v1/regradings/{run_id}/resume", who=ADMIN)  # idempotent: the same pages again
    assert again.status == 202 and again.body == resumed.body
    assert len(queue()) == 32

    drain(stack, host)
    run = api.call("GET", f"/v1/regradings/{run_id}", who=ADMIN).body
    assert run["status"] == "completed" and run["counts"] == COUNTS and run["done"] == run["total"] == 5
    for cc in population.values():  # each page ran twice, and re-graded each provider once
        regraded = [e for e in dal.audit_entries(cc) if e.fields["action"] == "provider.regraded"]
        assert len(regraded) == (0 if cc in (population["no_data"], population["eliminated"]) else 1), cc
    finished = api.call("POST", f"/v1/regradings/{run_id}/resume", who=ADMIN)
    assert finished.status == 200
    assert finished.body == {"run_id": run_id, "status": "completed", "queued_shards": [], "finalize_queued": False}


def test_a_run_whose_shards_are_all_complete_is_resumed_with_its_report(
    api: Api,
    stack: Stack,
    host: FunctionHost,
    population: dict[str, str],  # noqa: F811
    queue: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The finalize message was lost after every shard counted itself complete: resuming asks for the report."""
    started = api.call("POST", "/v1/regradings", {"year": 2026}, who=ADMIN)
    run_id = started.body["run_id"]
    real_send = regrading_queue.send
    monkeypatch.setattr(regrading_queue, "send", lambda messages: None)  # every page and the finalize are lost
    for shard in range(dal.CERTIFIED_SHARDS):
        regrading.process_page(run_id, shard, None)
    monkeypatch.setattr(regrading_queue, "send", real_send)
    queue.purge()
    resumed = api.call("POST", f"/v1/regradings/{run_id}/resume", who=ADMIN)
    assert resumed.status == 202
    assert resumed.body == {"run_id": run_id, "status": "running", "queued_shards": [], "finalize_queued": True}
    assert queue() == [{"kind": "finalize", "run_id": run_id}]
    drain(stack, host)
    run = api.call("GET", f"/v1/regradings/{run_id}", who=ADMIN).body
    assert run["status"] == "completed" and run["counts"] == COUNTS
