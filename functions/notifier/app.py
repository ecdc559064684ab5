"""NotifierFunction: domain events (EventBridge rule -> NotificationQueue) -> emails through SES.

One SQS message is one EventBridge event; a message whose mails failed is reported alone and retried (its sent
mails are not sent again), then parked in the dead-letter queue, which is alarmed."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from grading import clock, dal, snapstart
from grading.notify import send
from grading.observability import logger
from grading.store import mail as ses

# A batch whose every message failed is answered with every message listed, like any partial failure.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
snapstart.prime(dal.client, ses.client)


def record_handler(record: SQSRecord) -> None:
    event = json.loads(record.body)
    outcome = send.deliver(event, clock.now())
    logger.info("event notified", detail_type=event.get("detail-type"), **outcome.__dict__)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


startup.done()  # the last: what the init built is frozen, the collector back on
