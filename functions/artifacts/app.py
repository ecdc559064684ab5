"""ArtifactsFunction: the table's stream -> notice HTML/JSON and certificate PDFs in S3 (retried, then the DLQ)."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from grading import artifacts, dal, snapstart
from grading.observability import logger
from grading.store import objects as storage

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
snapstart.prime(dal.client, storage.client)


def record_handler(record: DynamoDBRecord) -> None:
    artifacts.handle_change(record.dynamodb.new_image if record.dynamodb else None)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


startup.done()  # the last: what the init built is frozen, the collector back on
