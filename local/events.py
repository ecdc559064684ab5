"""The domain events the local stack put on its EventBridge bus, kept so a developer (or a test) can read them:
a rule on the default bus copies everything from our source into a queue; a thread moves it into memory."""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any

from local.backend import internal_client
from local.template import Stack

SOURCE = "provider-grading"


class EventRecorder:
    def __init__(self, stack: Stack, keep: int = 2000) -> None:
        self.stack = stack
        self.events: deque[dict[str, Any]] = deque(maxlen=keep)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._receiving = threading.Lock()  # one receiver at a time: a batch is in `events` before anyone reads
        self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
        self.queue_url = ""
        self._sqs: Any = None

    def start(self) -> None:
        sqs, events = internal_client("sqs", self.stack.region), internal_client("events", self.stack.region)
        self.queue_url = sqs.create_queue(QueueName=f"{self.stack.name}-observed-events")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=f"{self.stack.name}-observe", EventPattern=json.dumps({"source": [SOURCE]}))
        events.put_targets(Rule=f"{self.stack.name}-observe", Targets=[{"Id": "observed", "Arn": arn}])
        self._sqs = internal_client("sqs", self.stack.region)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                received = self._receive_once()
            except Exception:  # the backend is shutting down
                if self._stop.wait(0.5):
                    return
                continue
            if not received and self._stop.wait(0.3):
                return

    def _receive_once(self) -> int:
        with self._receiving:
            # No long polling: the local backend serves one request at a time, so a waiting receive would hold up
            # every function for its whole wait.
            batch = self._sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = batch.get("Messages", [])
            for message in messages:
                with self._lock:
                    self.events.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            return len(messages)

    def collect(self) -> None:
        """Take in whatever the bus has delivered by now, so a read right after a drain sees the drained events
        (the background thread polls every 0.3 s)."""
        if not self._thread.is_alive():
            return
        while self._receive_once():
            pass

    def last(self, limit: int = 50, detail_type: str | None = None) -> list[dict[str, Any]]:
        self.collect()
        with self._lock:
            found = [e for e in self.events if detail_type in (None, e.get("detail-type"))]
        return found[-limit:]

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
