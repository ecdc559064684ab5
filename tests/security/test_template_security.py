"""template.yaml, read as a security reviewer would: cfn-lint clean, checkov with no failed check (each skip carries
its reason inline), least-privilege function policies, and storage that is encrypted, recoverable, protected from
deletion, private and logged."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from local.template import cfn_yaml
from tests.conftest import ROOT

TEMPLATE = ROOT / "template.yaml"
RESOURCES: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))["Resources"]
TABLE, BUCKET = "GradingTable", "DocumentsBucket"
# Routes anyone may call without a token: public notices, certificate verification, the API's own docs.
PUBLIC_ROUTES = {
    ("GET", "/v1/notices"),
    ("GET", "/v1/notices/{notice_id}"),
    ("GET", "/v1/notices/{notice_id}/html"),
    ("GET", "/v1/certificates/{number}"),
    ("GET", "/v1/certificates/{number}/pdf"),
    ("GET", "/c/{number}"),
    ("GET", "/notices"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/unsubscribe/{token}"),  # the link in a reminder email: its token is the credential
    ("POST", "/unsubscribe/{token}"),
}


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def props(name: str) -> dict[str, Any]:
    return dict(RESOURCES[name].get("Properties", {}))


# --- linters --------------------------------------------------------------------------------------------------


def test_cfn_lint_is_clean() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _checkov() -> str:
    for candidate in (ROOT / ".venv" / "checkov" / "bin" / "checkov", shutil.which("checkov")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    if os.environ.get("CI"):
        pytest.fail("checkov is not installed: `make test` installs it (make security-tools)")
    pytest.skip("checkov is not installed: run `make security-tools` (make test does)")


def test_checkov_finds_no_failed_check() -> None:
    """checkov reads SAM templates itself (AWS::Serverless::* included), so the template is scanned as written."""
    done = subprocess.run(
        [_checkov(), "-f", str(TEMPLATE), "--framework", "cloudformation", "--skip-download", "-o", "json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"].get("failed_checks", [])]
    assert summary["parsing_errors"] == 0
    assert not failed, "\n".join(failed)
    assert summary["passed"] > 40 and summary["resource_count"] == len(RESOURCES)


def test_every_checkov_skip_says_why() -> None:
    skips = [
        (name, skip)
        for name, resource in RESOURCES.items()
        for skip in (resource.get("Metadata", {}).get("checkov", {}).get("skip") or [])
    ]
    assert skips, "no skips at all: then drop this test's expectation"
    for name, skip in skips:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip.get("id", "")), (name, skip)
        assert len(str(skip.get("comment", "")).split()) >= 8, f"{name} skips {skip.get('id')} without a reason"


# --- least privilege --------------------------------------------------------------------------------------------


def _refs(value: Any) -> str:
    """A resource ARN as written: !GetAtt X.Arn -> "X.Arn", !Sub "${X.Arn}/p/*" -> "${X.Arn}/p/*", "*" -> "*"."""
    if isinstance(value, str):
        return value
    if "Fn::GetAtt" in value:
        att = value["Fn::GetAtt"]
        return ".".join(att) if isinstance(att, list) else str(att)
    if "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        return str(sub if isinstance(sub, str) else sub[0])
    if "Ref" in value:
        return f"Ref {value['Ref']}"
    return json.dumps(value)


def _statements() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, fn in of_type("AWS::Serverless::Function").items():
        for policy in fn["Properties"].get("Policies") or []:
            if isinstance(policy, dict) and "Statement" in policy:
                found += [(name, statement) for statement in policy["Statement"]]
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_functions_use_named_actions_on_named_resources() -> None:
    statements = _statements()
    assert len(statements) >= 10
    for function, statement in statements:
        assert statement.get("Effect") == "Allow", (function, statement)
        actions = [str(a) for a in _list(statement["Action"])]
        resources = [_refs(r) for r in _list(statement["Resource"])]
        where = f"{function}/{statement.get('Sid')}"
        assert all("*" not in a for a in actions), f"{where}: wildcard action in {actions}"
        assert "*" not in resources, f"{where}: Resource '*'"
        assert "dynamodb:Scan" not in actions, f"{where}: the data model has no Scan"
        for action in actions:
            service = action.split(":")[0]
            if service == "dynamodb":
                allowed = {f"{TABLE}.Arn", f"${{{TABLE}.Arn}}/index/*"}
                assert set(resources) <= allowed, f"{where}: DynamoDB actions beyond the table: {resources}"
            elif service == "s3":
                # Objects under a named prefix of the bucket only: never the bucket itself or all of it.
                for resource in resources:
                    assert re.fullmatch(rf"\$\{{{BUCKET}\.Arn\}}/[a-z]+/\*", resource), f"{where}: {resource}"
            else:
                assert all(r.startswith(("arn:${AWS::Partition}:", "${")) for r in resources), f"{where}: {resources}"


def test_policy_templates_are_scoped_to_one_queue() -> None:
    for name, fn in of_type("AWS::Serverless::Function").items():
        for policy in fn["Properties"].get("Policies") or []:
            if isinstance(policy, dict) and "Statement" not in policy:
                ((template, args),) = policy.items()
                assert template == "SQSSendMessagePolicy", f"{name}: review policy template {template}"
                (queue, attribute) = args["QueueName"]["Fn::GetAtt"]  # one queue of this template, by its name
                assert attribute == "QueueName" and of_type("AWS::SQS::Queue").get(queue), name
                assert set(args) == {"QueueName"}, name


def test_functions_that_touch_no_data_get_no_data_permission() -> None:
    docs = of_type("AWS::Serverless::Function")["ApiDocsFunction"]["Properties"]
    assert not docs.get("Policies")
    publisher = [s for f, s in _statements() if f == "EventPublisherFunction"]
    assert [a for s in publisher for a in _list(s["Action"])] == ["events:PutEvents"]


# --- storage and the API's front door ----------------------------------------------------------------------------


def test_table_is_encrypted_recoverable_and_protected() -> None:
    table = RESOURCES[TABLE]
    p = table["Properties"]
    assert p["SSESpecification"]["SSEEnabled"] is True
    assert p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert p["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_buckets_are_private_encrypted_versioned_and_tls_only() -> None:
    policies = {_refs(p["Properties"]["Bucket"]): p for p in of_type("AWS::S3::BucketPolicy").values()}
    buckets = of_type("AWS::S3::Bucket")
    assert set(buckets) == {BUCKET, "AccessLogsBucket", "ConsoleBucket"}  # documents, their access logs, the console
    for name, bucket in buckets.items():
        p = bucket["Properties"]
        assert all(p["PublicAccessBlockConfiguration"].values()) and len(p["PublicAccessBlockConfiguration"]) == 4
        assert p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert p["VersioningConfiguration"]["Status"] == "Enabled"
        assert p["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"  # no ACLs
        assert bucket["DeletionPolicy"] == "Retain", name
        statements = policies[f"Ref {name}"]["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in statements
        ), f"{name} accepts plain HTTP"


def test_documents_bucket_access_is_logged_only_by_the_logging_service() -> None:
    logging = props(BUCKET)["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"} and logging["LogFilePrefix"]
    statements = props("AccessLogsBucketPolicy")["PolicyDocument"]["Statement"]
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"} and allow["Action"] == "s3:PutObject"
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"] == {"Fn::GetAtt": [BUCKET, "Arn"]}
    assert props("AccessLogsBucket")["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"]


def test_queues_are_encrypted_and_logs_expire() -> None:
    for name, queue in of_type("AWS::SQS::Queue").items():
        p = queue["Properties"]
        assert p.get("SqsManagedSseEnabled") is True or p.get("KmsMasterKeyId"), name
    for name, group in of_type("AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name


def test_every_route_needs_a_token_except_the_public_ones() -> None:
    api = props("GradingApi")
    assert api["Auth"]["DefaultAuthorizer"] == "CognitoAuthorizer"
    assert api["AccessLogSetting"]["DestinationArn"] and api["TracingEnabled"] is True
    assert api["MethodSettings"][0]["ThrottlingRateLimit"] and api["MethodSettings"][0]["ThrottlingBurstLimit"]
    public = set()
    for fn in of_type("AWS::Serverless::Function").values():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "Api" and event["Properties"].get("Auth", {}).get("Authorizer") == "NONE":
                public.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    assert public == PUBLIC_ROUTES
    for kind in ("UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"):
        body = json.loads(
            api["GatewayResponses"][kind]["ResponseTemplates"]["application/json"].replace(
                "$context.error.messageString", '"m"'
            )
        )
        assert set(body["error"]) == {"code", "message", "details"}, kind


def test_the_local_runner_creates_the_log_bucket_too() -> None:
    from local.template import load_stack

    assert "AccessLogsBucket" in load_stack(TEMPLATE).buckets
