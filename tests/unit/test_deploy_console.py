"""scripts/deploy_console.py against moto (no real AWS): from a stack's outputs it writes the console's config.json,
uploads web/ in the layout `make serve` serves, deletes what a previous upload left behind, and invalidates the
CloudFront distribution."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.console import console_files
from scripts import deploy_console
from tests.conftest import ROOT

REGION = "eu-west-1"
BUCKET = "grading-console-files"
STACK = "provider-grading"
CLIENT_ID = "5k2console0client"
DOMAIN = "grading-test.auth.eu-west-1.amazoncognito.com"
CONSOLE_URL = "https://d111111abcdef8.cloudfront.net/"


def stack_template(distribution_id: str, domain: str) -> str:
    """A stand-in for the deployed stack: the same output names the real template declares."""
    outputs = {
        "ApiUrl": {"Value": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"},
        "ConsoleUrl": {"Value": CONSOLE_URL},
        "ConsoleBucketName": {"Value": {"Ref": "ConsoleBucket"}},
        "ConsoleDistributionId": {"Value": distribution_id},
        "ConsoleUserPoolClientId": {"Value": CLIENT_ID},
        "ConsoleCognitoDomain": {"Value": domain},
    }
    if not domain:
        del outputs["ConsoleCognitoDomain"]
    resources = {"ConsoleBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": BUCKET}}}
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources, "Outputs": outputs})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        cloudfront = boto3.client("cloudfront", region_name=REGION)
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "console",
                "Comment": "console",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "console",
                            "DomainName": f"{BUCKET}.s3.amazonaws.com",
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                    ],
                },
                "DefaultCacheBehavior": {"TargetOriginId": "console", "ViewerProtocolPolicy": "redirect-to-https"},
            }
        )["Distribution"]["Id"]
        yield {
            "s3": boto3.client("s3", region_name=REGION),
            "cloudfront": cloudfront,
            "cloudformation": boto3.client("cloudformation", region_name=REGION),
            "distribution": distribution,
        }


def create_stack(aws: dict[str, Any], domain: str = DOMAIN) -> None:
    aws["cloudformation"].create_stack(StackName=STACK, TemplateBody=stack_template(aws["distribution"], domain))


def keys(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_uploads_the_console_writes_its_config_and_invalidates(aws: dict[str, Any]) -> None:
    create_stack(aws)
    s3 = aws["s3"]
    s3.put_object(Bucket=BUCKET, Key="console/pages/gone.js", Body=b"// from an older release")

    assert deploy_console.main(["--stack", STACK, "--region", REGION]) == 0

    files = console_files()
    assert keys(s3) == {*files, "console/config.json"}  # the stale module is gone
    assert {"index.html", "console/app.js", "console/lib/auth.js", "console/vendor/echarts.esm.min.mjs"} <= set(files)
    for key, path in files.items():
        got = s3.get_object(Bucket=BUCKET, Key=key)
        assert got["Body"].read() == path.read_bytes(), key
        assert got["CacheControl"] == "no-cache"
        expected = "text/html" if key.endswith(".html") else "text/css" if key.endswith(".css") else "text/javascript"
        assert got["ContentType"] == f"{expected}; charset=utf-8", key

    got = s3.get_object(Bucket=BUCKET, Key="console/config.json")
    assert got["ContentType"] == "application/json"
    config = json.loads(got["Body"].read())
    assert config == {
        "mode": "cognito",
        "apiBase": "",  # same-origin: the distribution routes /v1/* to the API
        "apiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1",
        "cognitoDomain": f"https://{DOMAIN}",
        "clientId": CLIENT_ID,
        "redirectUri": CONSOLE_URL,
        "consoleUrl": CONSOLE_URL,
    }
    # ... which is what the console reads: every setting auth.js and app.js use is in the file
    read = set(
        re.findall(
            r"(?<![/\w])config\.(\w+)", (ROOT / "web/lib/auth.js").read_text() + (ROOT / "web/app.js").read_text()
        )
    )
    assert read and read <= set(config), read - set(config)

    invalidations = aws["cloudfront"].list_invalidations(DistributionId=aws["distribution"])["InvalidationList"]
    assert invalidations["Quantity"] == 1
    done = aws["cloudfront"].get_invalidation(DistributionId=aws["distribution"], Id=invalidations["Items"][0]["Id"])
    assert done["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]


def test_the_created_user_pools_hosted_ui_when_no_domain_is_given(aws: dict[str, Any]) -> None:
    outputs = {
        "ApiUrl": "https://abc.execute-api.eu-west-1.amazonaws.com/v1/",
        "ConsoleUrl": "https://d2.cloudfront.net/",
        "ConsoleBucketName": BUCKET,
        "ConsoleDistributionId": "E2",
        "ConsoleUserPoolClientId": CLIENT_ID,
        "ConsoleCognitoDomain": "",  # the parameter left empty
        "HostedUiUrl": "https://provider-grading-123.auth.eu-west-1.amazoncognito.com",
    }
    target = deploy_console.target_from_outputs(outputs)
    assert target.config["cognitoDomain"] == outputs["HostedUiUrl"]
    assert target.config["apiUrl"] == "https://abc.execute-api.eu-west-1.amazonaws.com/v1"
    assert target.distribution_id == "E2"


def test_a_dry_run_uploads_nothing(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    create_stack(aws)
    assert deploy_console.main(["--stack", STACK, "--region", REGION, "--dry-run"]) == 0
    assert keys(aws["s3"]) == set()
    assert aws["cloudfront"].list_invalidations(DistributionId=aws["distribution"])["InvalidationList"]["Quantity"] == 0
    printed = json.loads(capsys.readouterr().out)
    assert "console/config.json" in printed["uploaded"] and printed["config"]["clientId"] == CLIENT_ID


def test_without_a_hosted_ui_domain_it_says_what_to_set(
    aws: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    create_stack(aws, domain="")
    assert deploy_console.main(["--stack", STACK, "--region", REGION]) == 1
    assert "ConsoleCognitoDomain" in capsys.readouterr().err
    assert keys(aws["s3"]) == set()


def test_the_template_declares_every_output_the_script_reads() -> None:
    template = (ROOT / "template.yaml").read_text()
    outputs = template[template.index("\nOutputs:") :]
    for name in ("ApiUrl", "ConsoleUrl", "ConsoleBucketName", "ConsoleDistributionId", "ConsoleUserPoolClientId"):
        assert re.search(rf"^  {name}:$", outputs, re.M), name
    assert re.search(r"^  ConsoleCognitoDomain:$", outputs, re.M) and re.search(r"^  HostedUiUrl:$", outputs, re.M)


def test_an_unknown_stack_is_said_in_one_line(aws: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy_console.main(["--stack", "no-such-stack", "--region", REGION]) == 1
    assert "no-such-stack" in capsys.readouterr().err
