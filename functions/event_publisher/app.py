"""EventPublisherFunction: the table's stream -> domain events on EventBridge (one bad record never blocks the rest)."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from grading import publisher, snapstart
from grading.observability import logger
from grading.store import bus

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
snapstart.prime(bus.client)


def record_handler(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    publisher.publish_change(change.old_image if change else None, change.new_image if change else None)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


startup.done()  # the last: what the init built is frozen, the collector back on
