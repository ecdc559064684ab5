"""RegradingWorkerFunction: one SQS batch of re-grading messages; a failed message is retried alone."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

import json
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from grading import dal, regrading, snapstart
from grading.observability import logger
from grading.store import objects as storage
from grading.store import queue

processor = BatchProcessor(event_type=EventType.SQS)
snapstart.prime(dal.client, queue.sqs, storage.client)


def record_handler(record: SQSRecord) -> None:
    regrading.handle(json.loads(record.body), datetime.now(UTC))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


startup.done()  # the last: what the init built is frozen, the collector back on
