"""The local AWS: moto in server mode on 127.0.0.1, one request at a time, with per-operation request counts, and
with local/motofix.py's fixes to moto's costs (checked against moto's own answers at start).
Also creates the template's tables, buckets, queues, EventBridge rules and SES identities in it (create_resources)."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import boto3
import requests
from botocore.config import Config
from cheroot import wsgi

from local.template import Stack

log = logging.getLogger("local.backend")

# Requests the runner makes itself (pollers, resource creation) carry this marker and are not counted,
# so request_log shows only what the functions and the caller did.
INTERNAL_AGENT = "local-runner-internal"
_ENV_KEYS = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
)


def internal_client(service: str, region: str = "us-east-1", retries: int | None = None) -> Any:
    """A client of the local backend for the runner's own calls. `retries`: at most that many attempts in all
    (the SDK's default is several, with backoff: seconds on one call that fails every time)."""
    make_client: Any = boto3.client  # the stubs' per-service overloads do not take a str variable
    config = Config(user_agent_extra=INTERNAL_AGENT)
    if retries is not None:
        config = config.merge(Config(retries={"total_max_attempts": retries, "mode": "standard"}))
    return make_client(service, region_name=region, config=config)


def use_endpoint(url: str) -> None:
    """Point every boto3 client created from now on in this process at `url`."""
    os.environ["AWS_ENDPOINT_URL"] = url
    # Fake credentials always: the endpoint is local, and a real profile must never be picked up.
    os.environ["AWS_ACCESS_KEY_ID"] = os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


class SerializingMiddleware:
    """Runs one request at a time: moto's backends are not thread-safe (two concurrent conditional
    TransactWriteItems were both seen to succeed), while real DynamoDB conditions are atomic."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()
        self._log_lock = threading.Lock()
        self.request_log: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        entry = classify(environ)
        if entry and INTERNAL_AGENT not in environ.get("HTTP_USER_AGENT", ""):
            with self._log_lock:
                self.request_log.append(entry)
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]  # the body is produced under the lock too
            finally:
                getattr(result, "close", lambda: None)()


def classify(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(service, operation) of an SDK request, e.g. ("dynamodb", "TransactWriteItems")."""
    path, method = environ.get("PATH_INFO", "/"), environ.get("REQUEST_METHOD", "GET")
    if path.startswith("/moto-api"):
        return None
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    credential = environ.get("HTTP_AUTHORIZATION", "") + " Credential=" + "".join(query.get("X-Amz-Credential", []))
    scope = re.search(r"Credential=[^/,\s]+/[^/]+/[^/]+/([^/,\s]+)", credential)
    service = scope.group(1) if scope else "s3"  # unsigned requests (presigned POST forms) are S3
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        prefix, operation = target.rsplit(".", 1)
        return ("dynamodbstreams" if prefix.startswith("DynamoDBStreams") else service), operation
    if service != "s3":
        return service, query.get("Action", [method])[0]
    key = path.lstrip("/").partition("/")[2]
    if key:
        copy = method == "PUT" and "HTTP_X_AMZ_COPY_SOURCE" in environ
        return "s3", "CopyObject" if copy else f"{method.title()}Object"
    sub = next((k for k, v in query.items() if v == [""]), "")
    if method == "POST" and not sub:
        return "s3", "PostObject"  # a browser form upload with a presigned POST policy
    return "s3", f"{method.title()}Bucket{sub.title()}" if sub else f"{method.title()}Bucket"


def keep_streams_through_rollbacks() -> None:
    """moto undoes a cancelled TransactWriteItems by swapping in a deep copy of each table, stream shard included,
    while the stream's shard iterators keep the old shard: every change after the first cancelled transaction
    (a lost race, a duplicate delivery) would never reach the stream consumers. Keep the old shard object and give
    it the copy's records (a cancelled transaction leaves none, as in DynamoDB). Idempotent."""
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend.transact_write_items, "_keeps_streams", False):
        return
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        before = dict(self.tables)
        try:
            original(self, transact_items)
        finally:
            for name, table in before.items():
                restored = self.tables.get(name)
                shard = getattr(table, "stream_shard", None)
                if restored is None or restored is table or shard is None or restored.stream_shard is None:
                    continue
                shard.items = restored.stream_shard.items
                shard.table = restored
                restored.stream_shard = shard

    transact_write_items._keeps_streams = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


class LocalBackend:
    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from local import motofix

        motofix.install()  # checked against moto's own code in start(), once the server answers
        keep_streams_through_rollbacks()
        self.middleware = SerializingMiddleware(DomainDispatcherApplication(create_backend_app))
        self.host, self.port = host, port
        self.url = ""
        self.stack: Stack | None = None
        self._server: wsgi.Server | None = None
        self._thread: threading.Thread | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def request_log(self) -> list[tuple[str, str]]:
        with self.middleware._log_lock:
            return list(self.middleware.request_log)

    def reset_counts(self) -> None:
        with self.middleware._log_lock:
            self.middleware.request_log.clear()

    def start(self) -> str:
        # cheroot, not werkzeug's development server: werkzeug closes every connection after one answer (and
        # starts a thread per connection), so each SDK call paid a TCP connect and a thread start; cheroot keeps
        # the SDK's connections alive between calls and answers from a pool of threads.
        self._server = wsgi.Server((self.host, self.port), self.middleware, numthreads=16, request_queue_size=64)
        self._server.prepare()  # bound and listening
        self.port = int(self._server.bind_addr[1])
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve, name="moto", daemon=True)
        self._thread.start()
        self._saved_env = {k: os.environ.get(k) for k in _ENV_KEYS}
        use_endpoint(self.url)
        from local import motofix

        motofix.check()  # raises, and so stops the start, if a fix answers differently from moto
        return self.url

    def stop(self) -> None:
        if self._server:
            self._server.stop()
        if self._thread:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        # Give the process its environment back, so e.g. later in-process moto mocks are not bypassed.
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}

    def create_resources(self, stack: Stack) -> None:
        self.stack = stack
        create_resources(stack)

    def reset(self) -> None:
        """Wipe every moto backend, then recreate the last stack's resources (empty)."""
        requests.post(f"{self.url}/moto-api/reset", timeout=30).raise_for_status()
        if self.stack:
            create_resources(self.stack)


def create_resources(stack: Stack) -> None:
    """Create the template's tables, buckets and queues in the backend at AWS_ENDPOINT_URL; skip existing."""
    ddb, s3, sqs = (internal_client(s, stack.region) for s in ("dynamodb", "s3", "sqs"))
    props = {k: stack.resources[k].get("Properties", {}) for k in stack.resources}

    existing = set(ddb.list_tables()["TableNames"])
    for logical, name in stack.tables.items():
        if name in existing:
            continue
        p = stack.resolve({k: v for k, v in props[logical].items() if k != "Tags"})
        args: dict[str, Any] = {
            "TableName": name,
            "KeySchema": p["KeySchema"],
            "AttributeDefinitions": p["AttributeDefinitions"],
            "BillingMode": p.get("BillingMode", "PROVISIONED"),
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
            if key in p:
                args[key] = p[key]
        if "StreamSpecification" in p:
            args["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        ddb.create_table(**args)
        if p.get("TimeToLiveSpecification", {}).get("Enabled"):
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=p["TimeToLiveSpecification"])

    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for logical, name in stack.buckets.items():
        if name in existing:
            continue
        s3.create_bucket(Bucket=name)
        p = props[logical]
        status = p.get("VersioningConfiguration", {}).get("Status")
        if status:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
        rules = stack.resolve(p.get("CorsConfiguration", {}).get("CorsRules", []))
        if rules:
            for rule in rules:
                if "MaxAge" in rule:
                    rule["MaxAgeSeconds"] = rule.pop("MaxAge")
                rule.pop("Id", None)
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": rules})

    existing_urls = sqs.list_queues().get("QueueUrls", [])
    existing = {url.rsplit("/", 1)[-1] for url in existing_urls}
    # Dead-letter targets first: a RedrivePolicy must point at an existing queue.
    for logical in sorted(stack.queues, key=lambda q: "RedrivePolicy" in props[q]):
        name = stack.queues[logical]
        if name in existing:
            continue
        p = stack.resolve({k: v for k, v in props[logical].items() if k not in ("Tags", "QueueName")})
        if "RedrivePolicy" in p:
            p["RedrivePolicy"] = json.dumps(p["RedrivePolicy"])
        sqs.create_queue(QueueName=name, Attributes={k: _attr(v) for k, v in p.items()})
    create_rules_and_identities(stack)


def create_rules_and_identities(stack: Stack) -> None:
    """The template's EventBridge rules that target its queues (moto delivers matching events to them, and the
    queue pollers play the queue to its function), and its SES identities (moto sends only from verified ones)."""
    events, ses = internal_client("events", stack.region), internal_client("sesv2", stack.region)
    for logical, res in stack.resources.items():
        p = res.get("Properties", {})
        if res["Type"] == "AWS::Events::Rule" and "EventPattern" in p:
            name = f"{stack.name}-{logical}"
            bus = str(stack.resolve(p.get("EventBusName", "default")))
            events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(stack.resolve(p["EventPattern"])))
            targets = [{"Id": str(t["Id"]), "Arn": str(stack.resolve(t["Arn"]))} for t in p.get("Targets", [])]
            events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
        elif res["Type"] == "AWS::SES::EmailIdentity":
            identity = str(stack.resolve(p["EmailIdentity"]))
            if identity not in {i["IdentityName"] for i in ses.list_email_identities().get("EmailIdentities", [])}:
                ses.create_email_identity(EmailIdentity=identity)


def _attr(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
