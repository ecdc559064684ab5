"""Tests of the local runner (package local/): template loading, backend, events, server routing, pollers.
Function-level tests use tests/local/fixtures/, so they do not depend on the real functions."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from werkzeug.test import Client

from local.__main__ import main
from local.apigw import api_event, claims_from_authorization, make_token
from local.backend import LocalBackend, SerializingMiddleware
from local.host import FunctionHost
from local.pollers import EventPollers, scheduled_event
from local.server import ApiServer
from local.template import REPO_ROOT, Stack, load_stack

FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"


# --- template ------------------------------------------------------------------------------------------
def test_real_template_loads_functions_routes_and_resolved_env() -> None:
    stack = load_stack(REPO_ROOT / "template.yaml")
    assert stack.tables == {"GradingTable": "provider-grading-local-GradingTable"}
    assert stack.buckets == {
        "DocumentsBucket": "provider-grading-local-documentsbucket",
        "AccessLogsBucket": "provider-grading-local-accesslogsbucket",  # the documents bucket's access logs
        "ConsoleBucket": "provider-grading-local-consolebucket",  # the web console's files (behind CloudFront)
    }
    assert stack.functions, "no AWS::Serverless::Function found"
    for spec in stack.functions.values():
        assert spec.handler == "app.lambda_handler"
        assert spec.code_dir.is_relative_to(REPO_ROOT / "functions")
        # Globals' layer first, then the function's own (SAM appends lists): only the renderers get RenderLayer.
        renders = spec.logical_id == "ArtifactsFunction"  # the mail templates need only Jinja2 (SharedLayer)
        extra = [REPO_ROOT / "layers/render"] if renders else []
        assert spec.layer_dirs == [REPO_ROOT / "shared", *extra]
        assert spec.env["TABLE_NAME"] == stack.tables["GradingTable"]
        assert spec.env["BUCKET_NAME"] == stack.buckets["DocumentsBucket"]
        assert all("Ref" not in v and "Fn::" not in v for v in spec.env.values())
    routes = {(r.method, r.path): r.public for s in stack.functions.values() for r in s.routes}
    assert routes[("GET", "/v1/applications/{application_id}")] is False
    assert routes[("GET", "/openapi.json")] is True
    stream = stack.functions["EventPublisherFunction"].stream_sources[0]
    assert (stream.table_logical_id, stream.batch_size, stream.max_retries) == ("GradingTable", 100, 5)
    assert stream.report_item_failures and stream.on_failure_queue_logical_id == "StreamDeadLetterQueue"
    status, body = stack.gateway_response("MISSING_AUTHENTICATION_TOKEN")
    assert status == 404 and json.loads(body)["error"]["code"] == "NOT_FOUND"


def test_fixture_template_resolves_intrinsics_and_sources() -> None:
    stack = load_stack(FIXTURE, stack_name="fx")
    env = stack.functions["EchoFunction"].env
    assert env["TABLE_NAME"] == "fx-Table" and env["WHO"] == "echo"
    assert env["INBOX_ARN"] == "arn:aws:sqs:us-east-1:123456789012:fx-Inbox"
    assert env["TABLE_INDEX_ARN"] == "arn:aws:dynamodb:us-east-1:123456789012:table/fx-Table/index/*"
    assert env["JOINED"] == "us-east-1|prod"
    inbox = stack.functions["InboxFunction"]
    assert inbox.sqs_sources[0].queue_logical_id == "Inbox" and inbox.sqs_sources[0].batch_size == 5
    assert inbox.layer_dirs == [FIXTURE.parent / "layer"]
    assert inbox.schedules[0].name == "Nightly" and inbox.schedules[0].expression == "cron(0 2 * * ? *)"
    assert scheduled_event(stack, "InboxFunction")["detail-type"] == "Scheduled Event"
    assert stack.gateway_response("DEFAULT_4XX")[0] == 400  # not in the fixture: API Gateway's default


# --- backend ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_backend() -> Iterator[tuple[LocalBackend, Stack]]:
    stack = load_stack(REPO_ROOT / "template.yaml")
    backend = LocalBackend()
    backend.start()
    backend.create_resources(stack)
    yield backend, stack
    backend.stop()


def test_resources_match_template(real_backend: tuple[LocalBackend, Stack]) -> None:
    backend, stack = real_backend
    backend.create_resources(stack)  # idempotent
    props = stack.resources["GradingTable"]["Properties"]
    ddb = boto3.client("dynamodb")
    table = ddb.describe_table(TableName=stack.tables["GradingTable"])["Table"]
    assert table["KeySchema"] == props["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
    assert {(g["IndexName"], json.dumps(g["KeySchema"])) for g in table["GlobalSecondaryIndexes"]} == {
        (g["IndexName"], json.dumps(g["KeySchema"])) for g in props["GlobalSecondaryIndexes"]
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    ttl = ddb.describe_time_to_live(TableName=stack.tables["GradingTable"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    s3 = boto3.client("s3")
    bucket = stack.buckets["DocumentsBucket"]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedMethods"] == ["POST"]
    boto3.client("sqs").get_queue_url(QueueName=stack.queues["StreamDeadLetterQueue"])


def test_conditional_transactions_have_exactly_one_winner(real_backend: tuple[LocalBackend, Stack]) -> None:
    _, stack = real_backend
    ddb, table = boto3.client("dynamodb"), stack.tables["GradingTable"]

    def claim(key: str, n: int, barrier: threading.Barrier, wins: list[int]) -> None:
        put: Any = {
            "TableName": table,
            "Item": {"PK": {"S": key}, "SK": {"S": "lock"}, "owner": {"N": str(n)}},
            "ConditionExpression": "attribute_not_exists(PK)",
        }
        barrier.wait()
        try:
            ddb.transact_write_items(TransactItems=[{"Put": put}])
            wins.append(n)
        except ddb.exceptions.TransactionCanceledException:
            pass

    for attempt in range(20):
        wins: list[int] = []
        barrier = threading.Barrier(8)
        threads = [threading.Thread(target=claim, args=(f"race#{attempt}", n, barrier, wins)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(wins) == 1, f"attempt {attempt}: winners {wins}"


def test_middleware_runs_one_request_at_a_time_and_counts_them() -> None:
    active: list[int] = []
    peak: list[int] = [0]

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        active.append(1)
        peak[0] = max(peak[0], len(active))
        time.sleep(0.01)
        active.pop()
        start_response("200 OK", [])
        return [b"ok"]

    middleware = SerializingMiddleware(slow_app)
    environ = {
        "PATH_INFO": "/",
        "REQUEST_METHOD": "POST",
        "HTTP_X_AMZ_TARGET": "DynamoDB_20120810.TransactWriteItems",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/dynamodb/aws4_request, x",
    }
    threads = [threading.Thread(target=middleware, args=(dict(environ), lambda *a: None)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1
    assert middleware.request_log == [("dynamodb", "TransactWriteItems")] * 8


def test_request_log_counts_operations(real_backend: tuple[LocalBackend, Stack]) -> None:
    backend, stack = real_backend
    backend.reset_counts()
    ddb = boto3.client("dynamodb")
    ddb.get_item(TableName=stack.tables["GradingTable"], Key={"PK": {"S": "a"}, "SK": {"S": "b"}})
    boto3.client("s3").put_object(Bucket=stack.buckets["DocumentsBucket"], Key="k/x.txt", Body=b"x")
    assert backend.request_log == [("dynamodb", "GetItem"), ("s3", "PutObject")]
    backend.reset_counts()
    assert backend.request_log == []


# --- events and tokens -----------------------------------------------------------------------------------
def test_api_event_shape() -> None:
    event = api_event(
        "post",
        "/v1/applications/a1/review",
        resource="/v1/applications/{application_id}/review",
        path_parameters={"application_id": "a1"},
        query={"limit": "5", "tag": ["x", "y"]},
        headers={"Content-Type": "application/json"},
        body={"decision": "approve"},
        claims={"sub": "u1", "cognito:groups": "reviewers"},
    )
    assert event["httpMethod"] == "POST" and event["resource"] == "/v1/applications/{application_id}/review"
    assert event["queryStringParameters"] == {"limit": "5", "tag": "y"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "tag": ["x", "y"]}
    assert event["multiValueHeaders"] == {"Content-Type": ["application/json"]}
    assert json.loads(event["body"]) == {"decision": "approve"} and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["path"] == "/prod/v1/applications/a1/review" and ctx["stage"] == "prod"
    assert ctx["resourcePath"] == event["resource"] and ctx["httpMethod"] == "POST"
    assert ctx["authorizer"] == {"claims": {"sub": "u1", "cognito:groups": "reviewers"}}
    assert isinstance(ctx["requestTimeEpoch"], int) and ctx["identity"]["sourceIp"]
    bare = api_event("GET", "/docs")
    assert bare["pathParameters"] is None and bare["queryStringParameters"] is None and bare["body"] is None
    assert "authorizer" not in bare["requestContext"] and bare["stageVariables"] is None


def test_jwt_round_trip_and_rejections() -> None:
    token = make_token("u1", ["providers", "admins"], email="u1@example.com")
    claims = claims_from_authorization(f"Bearer {token}")
    assert claims is not None
    assert claims["sub"] == "u1" and claims["cognito:groups"] == "providers,admins"
    assert claims["email"] == "u1@example.com"
    assert "cognito:groups" not in (claims_from_authorization(f"Bearer {make_token('u2')}") or {})
    assert claims_from_authorization(None) is None
    assert claims_from_authorization("Bearer not.a.jwt") is None
    assert claims_from_authorization(f"Bearer {make_token('u1', exp=int(time.time()) - 5)}") is None


# --- functions: host, server, pollers on the fixture stack -----------------------------------------------
@pytest.fixture(scope="module")
def fixture_stack() -> Iterator[tuple[LocalBackend, Stack, FunctionHost, EventPollers]]:
    stack = load_stack(FIXTURE, stack_name="fx")
    backend = LocalBackend()
    backend.start()
    backend.create_resources(stack)
    host = FunctionHost(stack)
    pollers = EventPollers(stack, host)
    pollers.start()
    yield backend, stack, host, pollers
    pollers.stop()
    backend.stop()


@pytest.fixture
def api(fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers]) -> Client:
    _, stack, host, _ = fixture_stack
    return Client(ApiServer(stack, host))


def _error_code(response: Any) -> str:
    body = json.loads(response.get_data())
    assert set(body["error"]) == {"code", "message", "details"}
    return str(body["error"]["code"])


def test_server_answers_gateway_responses(api: Client) -> None:
    response = api.get("/v1/nowhere")
    assert response.status_code == 404 and _error_code(response) == "NOT_FOUND"
    response = api.delete("/v1/items/1")  # known path, unknown method
    assert response.status_code == 404 and _error_code(response) == "NOT_FOUND"
    response = api.get("/v1/items/1")
    assert response.status_code == 401 and _error_code(response) == "UNAUTHORIZED"
    response = api.get("/v1/items/1", headers={"Authorization": "Bearer garbage"})
    assert response.status_code == 401 and _error_code(response) == "UNAUTHORIZED"


def test_server_routes_to_function_with_claims_and_path_parameters(api: Client) -> None:
    auth = {"Authorization": f"Bearer {make_token('u1', ['providers'])}"}
    body = api.get("/v1/items/42?x=1", headers=auth).get_json()
    assert body["resource"] == "/v1/items/{item_id}" and body["pathParameters"] == {"item_id": "42"}
    assert body["query"] == {"x": "1"} and body["who"] == "echo" and body["function"] == "fx-EchoFunction"
    assert body["claims"]["sub"] == "u1" and body["claims"]["cognito:groups"] == "providers"
    special = api.get("/v1/items/special", headers=auth).get_json()
    assert special["resource"] == "/v1/items/special" and special["pathParameters"] is None
    posted = api.post("/v1/items", json={"a": 1}, headers=auth).get_json()
    assert json.loads(posted["body"]) == {"a": 1}
    public = api.get("/v1/public").get_json()
    assert public["claims"] is None


def test_drain_endpoint(fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers]) -> None:
    _, stack, host, pollers = fixture_stack
    response = Client(ApiServer(stack, host, pollers)).post("/_local/drain")
    assert response.status_code == 200 and response.get_json() == {"drained": True}
    assert Client(ApiServer(stack, host)).post("/_local/drain").status_code == 404  # only when serving pollers


def test_server_answers_502_when_the_function_raises(api: Client) -> None:
    auth = {"Authorization": f"Bearer {make_token('u1')}"}
    response = api.get("/v1/items/boom", headers=auth)
    assert response.status_code == 502 and _error_code(response) == "INTERNAL"


def test_host_applies_and_restores_function_env(
    fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers],
) -> None:
    _, _, host, _ = fixture_stack
    result = host.invoke("EchoFunction", api_event("GET", "/v1/public", resource="/v1/public"))
    assert json.loads(result["body"])["who"] == "echo"
    assert "WHO" not in os.environ and "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


@pytest.mark.parametrize("isolate", [True, False])
def test_isolated_layer_gives_each_function_its_own_modules(
    fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers], isolate: bool
) -> None:
    _, stack, _, _ = fixture_stack
    for name in [n for n in sys.modules if n == "fxlayer"]:
        del sys.modules[name]
    host = FunctionHost(stack, isolate_layer=isolate)
    assert host.invoke("InboxFunction", {"Records": []})["layer_who"] == "unset"  # imported the layer first
    echo = json.loads(host.invoke("EchoFunction", api_event("GET", "/v1/public"))["body"])
    assert echo["layer_who"] == ("echo" if isolate else "unset")
    assert host.invoke("InboxFunction", {"Records": []})["layer_who"] == "unset"


def test_stream_poller_delivers_inserts_and_drain_waits(
    fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers],
) -> None:
    _, stack, _, pollers = fixture_stack
    table = boto3.resource("dynamodb").Table(stack.tables["Table"])
    table.put_item(Item={"PK": "item#1", "SK": "x"})
    pollers.drain()
    seen = table.get_item(Key={"PK": "seen#1", "SK": "x"}).get("Item")
    assert seen is not None and str(seen["source"]).startswith("arn:aws:dynamodb:")


def test_stream_failures_go_to_on_failure_queue(
    fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers],
) -> None:
    _, stack, _, pollers = fixture_stack
    table = boto3.resource("dynamodb").Table(stack.tables["Table"])
    table.put_item(Item={"PK": "item#bad", "SK": "x", "fail": "yes"})
    pollers.drain()
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=stack.queue_url("StreamFailures")).get("Messages", [])
    assert len(messages) == 1
    failure = json.loads(messages[0]["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == stack.function_arn("StreamFunction")
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"].startswith("arn:aws:dynamodb:") and info["shardId"]


def test_sqs_poller_deletes_handled_messages_only(
    fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers],
) -> None:
    _, stack, _, pollers = fixture_stack
    sqs = boto3.client("sqs")
    url = stack.queue_url("Inbox")
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    sqs.send_message(QueueUrl=url, MessageBody="fail")
    pollers.drain()
    table = boto3.resource("dynamodb").Table(stack.tables["Table"])
    assert table.get_item(Key={"PK": "sqs#hello", "SK": "x"}).get("Item") is not None
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"  # the failed one waits out its timeout


def test_reset_empties_state_and_pollers_follow_the_new_stream(
    fixture_stack: tuple[LocalBackend, Stack, FunctionHost, EventPollers],
) -> None:
    backend, stack, _, pollers = fixture_stack
    table = boto3.resource("dynamodb").Table(stack.tables["Table"])
    table.put_item(Item={"PK": "item#before", "SK": "x"})
    pollers.drain()
    backend.reset()
    assert table.scan()["Items"] == []
    table.put_item(Item={"PK": "item#after", "SK": "x"})
    pollers.drain()
    assert {i["PK"] for i in table.scan()["Items"]} == {"item#after", "seen#after"}


# --- command line ------------------------------------------------------------------------------------------
def test_cli_token_and_unknown_function(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["token", "--sub", "u9", "--groups", "experts,admins"]) == 0
    claims = claims_from_authorization("Bearer " + capsys.readouterr().out.strip())
    assert claims is not None and claims["cognito:groups"] == "experts,admins"
    event = tmp_path / "event.json"
    event.write_text("{}")
    assert main(["--template", str(FIXTURE), "invoke", "Nope", str(event)]) == 2
    assert "EchoFunction" in capsys.readouterr().err
