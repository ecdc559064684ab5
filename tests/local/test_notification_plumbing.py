"""The local runner's part of notifications: the template's EventBridge rule delivers into its queue, its SES
identity exists (moto sends only from a verified one), and a cancelled transaction no longer cuts the table's
stream off from its consumers (a duplicate delivery's claim is such a transaction)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from local.backend import LocalBackend
from local.template import Stack, load_stack
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def backend() -> Iterator[tuple[LocalBackend, Stack]]:
    stack = load_stack(str(ROOT / "template.yaml"))
    server = LocalBackend()
    server.start()
    server.create_resources(stack)
    yield server, stack
    server.stop()


def test_the_notification_rule_routes_domain_events_into_the_queue(backend: tuple[LocalBackend, Stack]) -> None:
    _, stack = backend
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=stack.queues["NotificationQueue"])["QueueUrl"]
    events = boto3.client("events")
    for detail_type in ("ApplicationReviewed", "CertificateIssued"):  # the second is nobody's mail
        entry = {"Source": "provider-grading", "DetailType": detail_type, "Detail": json.dumps({"event_id": "x"})}
        assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"])["detail-type"] for m in messages] == ["ApplicationReviewed"]
    identities = boto3.client("sesv2").list_email_identities()["EmailIdentities"]
    assert [i["IdentityName"] for i in identities] == [stack.parameters["SenderAddress"]]


def test_a_cancelled_transaction_leaves_the_stream_readable(backend: tuple[LocalBackend, Stack]) -> None:
    _, stack = backend
    table = stack.tables["GradingTable"]
    ddb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    ddb.put_item(TableName=table, Item={"PK": {"S": "T#1"}, "SK": {"S": "A"}})
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"PK": {"S": "T#2"}, "SK": {"S": "A"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"PK": {"S": "T#1"}, "SK": {"S": "A"}},
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    ddb.put_item(TableName=table, Item={"PK": {"S": "T#3"}, "SK": {"S": "A"}})
    records = streams.get_records(ShardIterator=iterator)["Records"]
    # The put before, none of the cancelled transaction, and the put after.
    assert [r["dynamodb"]["Keys"]["PK"]["S"] for r in records] == ["T#1", "T#3"]
