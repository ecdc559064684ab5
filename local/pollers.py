"""Plays the template's event source mappings: DynamoDB stream and SQS pollers in background threads,
with Lambda's batching, retries, partial batch failures and on-failure destinations; plus drain()."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from local.backend import internal_client
from local.host import FunctionHost
from local.template import SqsSource, Stack, StreamSource

log = logging.getLogger("local.pollers")
POLL_INTERVAL = 0.3


def json_safe(value: Any) -> Any:
    """boto3 parses timestamps and blobs; Lambda sends epoch seconds and base64 strings."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def scheduled_event(stack: Stack, logical_id: str, name: str | None = None) -> dict[str, Any]:
    """The event a Schedule/ScheduleV2 source would deliver (its Input if set): invoke it by hand."""
    schedules = stack.functions[logical_id].schedules
    schedule = next((s for s in schedules if name in (None, s.name)), None)
    if schedule is None:
        raise KeyError(f"{logical_id} has no schedule {name!r}; has {[s.name for s in schedules]}")
    if schedule.input:
        return dict(json.loads(schedule.input))
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events" if schedule.kind == "Schedule" else "aws.scheduler",
        "account": stack.account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": stack.region,
        "resources": [f"arn:aws:events:{stack.region}:{stack.account}:rule/{stack.name}-{schedule.name}"],
        "detail": {},
    }


class _Poller:
    """One event source mapping. A round is one poll; drain() waits for a round that found nothing."""

    def __init__(self, owner: EventPollers, function: str) -> None:
        self.owner, self.stack, self.function = owner, owner.stack, function
        self.rounds = self.idle_round = self.processed = 0
        self.failed_before = False
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"poller-{function}", daemon=True)

    def connect(self) -> None:
        raise NotImplementedError

    def poll_once(self) -> int:
        raise NotImplementedError

    def _run(self) -> None:
        while not self.owner.stopping.is_set():
            with self.owner.cond:
                self.rounds += 1
                this_round = self.rounds
            failed = False
            try:
                count = self.poll_once()
            except Exception:  # backend hiccups (a reset dropped the table): look again next round
                log.debug("poll of %s failed", self.function, exc_info=True)
                count, failed = 0, True
            with self.owner.cond:
                self.processed += count
                # A first failed round is not an empty one: after a reset the next round finds the new stream, and
                # drain() must wait for it. A failure that repeats counts as idle, so drain() still returns.
                if not count and not (failed and not self.failed_before):
                    self.idle_round = this_round
                self.failed_before = failed
                self.owner.cond.notify_all()
            if not count:
                self.wake.wait(POLL_INTERVAL)
                self.wake.clear()


class _StreamPoller(_Poller):
    def __init__(self, owner: EventPollers, function: str, source: StreamSource) -> None:
        super().__init__(owner, function)
        self.source = source
        self.table = self.stack.tables[source.table_logical_id]
        self.stream_arn: str | None = None
        self.iterators: dict[str, str] = {}
        self.recheck = False  # set while a read is under way: if it raises, the next round describes the table

    def connect(self) -> None:
        # One attempt a call: a poller's next round is its retry. The SDK's own retries, with backoff, held a round
        # for seconds when a reset had dropped the stream a read named, and drain() timed out waiting for it.
        self.ddb = internal_client("dynamodb", self.stack.region, retries=1)
        self.streams = internal_client("dynamodbstreams", self.stack.region, retries=1)
        self.sqs = internal_client("sqs", self.stack.region)  # the on-failure destination: the SDK's retries

    def skip_to_end(self) -> None:
        arn = self.ddb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        if arn is None:
            return
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        self.iterators = {}
        for shard in shards:
            shard_id = shard["ShardId"]
            found = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType="LATEST")
            self.iterators[shard_id] = found["ShardIterator"]
        self.stream_arn = arn

    def poll_once(self) -> int:
        if self.stream_arn is not None and self.iterators and not self.recheck:
            # The stream is known: read on (one call a shard a round). A failed read (a reset dropped the table and
            # its iterators) looks the table's stream up again next round.
            self.recheck = True
            total = self._read(self.stream_arn)
            self.recheck = False
            return total
        arn = self.ddb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        if arn is None:
            return 0
        if arn != self.stream_arn:
            # A stream seen after start-up (e.g. after reset()) is brand new: read it from the beginning.
            position = self.source.starting_position if self.stream_arn is None else "TRIM_HORIZON"
            shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            self.iterators = {
                s["ShardId"]: self.streams.get_shard_iterator(
                    StreamArn=arn, ShardId=s["ShardId"], ShardIteratorType=position
                )["ShardIterator"]
                for s in shards
            }
            self.stream_arn = arn
        self.recheck = True
        total = self._read(arn)
        self.recheck = False
        return total

    def _read(self, arn: str) -> int:
        total = 0
        for shard_id, iterator in list(self.iterators.items()):
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.source.batch_size)
            self.iterators[shard_id] = response["NextShardIterator"]
            records = [{**json_safe(r), "eventSourceARN": arn} for r in response["Records"]]
            if records:
                self._deliver(shard_id, records)
                total += len(records)
        return total

    def _deliver(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        attempts = 0
        while batch and not self.owner.stopping.is_set():
            attempts += 1
            try:
                failed_at = self._first_failure(self.owner.host.invoke(self.function, {"Records": batch}), batch)
            except Exception:
                log.exception("%s failed on a batch of %d stream records", self.function, len(batch))
                failed_at = 0
            if failed_at is None:
                return
            batch = batch[failed_at:]  # retry from the checkpoint, as Lambda does
            if 0 <= self.source.max_retries < attempts:
                self._send_to_on_failure(shard_id, batch, attempts)
                return
            time.sleep(min(0.1 * attempts, 1.0))

    def _first_failure(self, response: Any, batch: list[dict[str, Any]]) -> int | None:
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not self.source.report_item_failures or not failures:
            return None
        sequence = [r["dynamodb"]["SequenceNumber"] for r in batch]
        ids = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
        if not all(i in sequence for i in ids):
            return 0  # an unknown or empty identifier fails the whole batch
        return min(sequence.index(i) for i in ids)

    def _send_to_on_failure(self, shard_id: str, batch: list[dict[str, Any]], attempts: int) -> None:
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        queue = self.source.on_failure_queue_logical_id
        log.error("%s: retries exhausted for %d records, sending to %s", self.function, len(batch), queue)
        if queue is None:
            return
        stamp = "%Y-%m-%dT%H:%M:%S.000Z"
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.stack.function_arn(self.function),
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": datetime.now(UTC).strftime(stamp),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime"), stamp),
                "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime"), stamp),
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }
        self.sqs.send_message(QueueUrl=self.stack.queue_url(queue), MessageBody=json.dumps(message))


def _iso(epoch: Any, fmt: str) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).strftime(fmt) if isinstance(epoch, (int, float)) else None


class _SqsPoller(_Poller):
    def __init__(self, owner: EventPollers, function: str, source: SqsSource) -> None:
        super().__init__(owner, function)
        self.source = source
        self.url = self.stack.queue_url(source.queue_logical_id)
        self.arn = f"arn:aws:sqs:{self.stack.region}:{self.stack.account}:{self.url.rsplit('/', 1)[-1]}"

    def connect(self) -> None:
        self.sqs = internal_client("sqs", self.stack.region)

    def poll_once(self) -> int:
        messages = self.sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=min(10, self.source.batch_size),
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            response = self.owner.host.invoke(self.function, {"Records": [self._record(m) for m in messages]})
        except Exception:
            # Nothing is deleted: the messages return after the queue's visibility timeout, as in AWS.
            log.exception("%s failed on a batch of %d messages", self.function, len(messages))
            return len(messages)
        failed = self._failed_ids(response, {m["MessageId"] for m in messages})
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            self.sqs.delete_message_batch(QueueUrl=self.url, Entries=entries)
        return len(messages)

    def _failed_ids(self, response: Any, ids: set[str]) -> set[str]:
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not self.source.report_item_failures or not failures:
            return set()
        failed = {f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures}
        return ids if not failed <= ids else failed  # type: ignore[return-value]

    def _record(self, m: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": json_safe(value.get("BinaryValue")),
                    "stringListValues": value.get("StringListValues", []),
                    "binaryListValues": json_safe(value.get("BinaryListValues", [])),
                    "dataType": value.get("DataType"),
                }
                for name, value in m.get("MessageAttributes", {}).items()
            },
            "md5OfBody": m.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": self.stack.region,
        }


class EventPollers:
    def __init__(self, stack: Stack, host: FunctionHost) -> None:
        self.stack, self.host = stack, host
        self.stopping = threading.Event()
        self.cond = threading.Condition()
        self.pollers: list[_Poller] = []
        for logical_id, spec in stack.functions.items():
            self.pollers += [_StreamPoller(self, logical_id, s) for s in spec.stream_sources]
            self.pollers += [_SqsPoller(self, logical_id, s) for s in spec.sqs_sources]

    def start(self, skip_existing: bool = False) -> None:
        """Start polling the backend at AWS_ENDPOINT_URL (so call it after LocalBackend.start()). `skip_existing`:
        streams are read from their end (what is in them was restored, and was processed before the restart)."""
        for poller in self.pollers:
            poller.connect()  # here, not in the threads: creating boto3 clients is not thread-safe
            if skip_existing and isinstance(poller, _StreamPoller):
                poller.skip_to_end()
        for poller in self.pollers:
            poller.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for poller in self.pollers:
            poller.wake.set()
        for poller in self.pollers:
            if poller.thread.is_alive():
                poller.thread.join(timeout=10)

    def drain(self, timeout: float = 10.0) -> None:
        """Return once every stream and queue has been read to its end and processed: every poller has
        finished an empty round that began after a moment since which no poller processed anything
        (so records written by the functions the pollers invoked are drained too)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                started = {p: p.rounds for p in self.pollers}
                processed = {p: p.processed for p in self.pollers}
                for poller in self.pollers:
                    poller.wake.set()
                while not all(p.idle_round > started[p] for p in self.pollers):
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        busy = [p.function for p in self.pollers if p.idle_round <= started[p]]
                        raise TimeoutError(f"event sources still busy after {timeout}s: {busy}")
                    self.cond.wait(remaining)
                if all(p.processed == processed[p] for p in self.pollers):
                    return
