"""template.yaml deploys to a new account and tells someone when it breaks: API Gateway's CloudWatch role, one
alarm topic that every alarm notifies, the alarms an operator needs, an optional user pool of its own, and checkov
over the template as CloudFormation receives it (after SAM's transform), not only as written."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from local.template import cfn_yaml
from scripts.sam_translate import translate
from tests.conftest import ROOT
from tests.security.test_template_security import RESOURCES, _checkov, of_type, props

TEMPLATE = ROOT / "template.yaml"
DOCUMENT: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
PARAMETERS: dict[str, Any] = DOCUMENT["Parameters"]


def test_checkov_finds_no_failed_check_in_the_translated_template(tmp_path: Path) -> None:
    translated = translate(TEMPLATE)
    resources = translated["Resources"]
    assert isinstance(resources, dict)
    kinds = {r["Type"] for r in resources.values()}
    assert {"AWS::ApiGateway::Stage", "AWS::ApiGateway::RestApi", "AWS::IAM::Role", "AWS::Lambda::Function"} <= kinds
    assert not any(k.startswith("AWS::Serverless::") for k in kinds)
    path = tmp_path / "translated.json"
    path.write_text(json.dumps(translated))
    done = subprocess.run(
        [_checkov(), "-f", str(path), "--framework", "cloudformation", "--skip-download", "-o", "json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in report["results"].get("failed_checks", [])]
    assert report["summary"]["parsing_errors"] == 0
    assert not failed, "\n".join(failed)
    assert report["summary"]["resource_count"] == len(resources)


def test_the_stage_waits_for_the_accounts_cloudwatch_role() -> None:
    assert RESOURCES["GradingApi"]["DependsOn"] == "ApiGatewayAccount"
    assert props("ApiGatewayAccount")["CloudWatchRoleArn"] == {"Fn::GetAtt": ["ApiGatewayCloudWatchRole", "Arn"]}
    role = props("ApiGatewayCloudWatchRole")
    [statement] = role["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert role["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"}
    ]


def test_every_alarm_notifies_the_one_topic() -> None:
    alarms = of_type("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 16
    for name, alarm in alarms.items():
        assert alarm["Properties"].get("AlarmActions") == [{"Ref": "AlarmTopic"}], f"{name} notifies nobody"
    assert of_type("AWS::SNS::Topic").keys() == {"AlarmTopic"}
    assert props("AlarmTopic")["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert PARAMETERS["AlarmEmail"]["Default"] == ""
    # CloudWatch may use the topic's key, and only for this account's alarms.
    key = props("AlarmTopicKey")
    assert key["EnableKeyRotation"] is True
    statements = key["KeyPolicy"]["Statement"]
    [cloudwatch] = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def _watched(metric: str) -> dict[str, dict[str, Any]]:
    found = {}
    for alarm in of_type("AWS::CloudWatch::Alarm").values():
        p = alarm["Properties"]
        if p["MetricName"] == metric:
            found[json.dumps(p["Dimensions"][0]["Value"])] = p
    return found


def test_the_alarms_an_operator_needs() -> None:
    functions = of_type("AWS::Serverless::Function")
    errors = _watched("Errors")
    for function in functions:
        assert json.dumps({"Ref": function}) in errors, f"no error alarm on {function}"
    sweep = [p for p in of_type("AWS::CloudWatch::Alarm") if p.startswith("DailySweep")]
    assert sorted(sweep) == ["DailySweepFailedAlarm", "DailySweepMissedAlarm"]
    missed = props("DailySweepMissedAlarm")
    assert (missed["MetricName"], missed["Period"], missed["TreatMissingData"]) == ("Invocations", 86400, "breaching")
    streams = [n for n, f in functions.items() if "DynamoDB" in {e["Type"] for e in f["Properties"]["Events"].values()}]
    ages = _watched("IteratorAge")
    assert streams and all(json.dumps({"Ref": n}) in ages for n in streams)
    api = props("ApiServerErrorsAlarm")
    assert (api["Namespace"], api["MetricName"]) == ("AWS/ApiGateway", "5XXError")
    assert api["Dimensions"][0]["Value"] == props("GradingApi")["Name"]
    depth = _watched("ApproximateNumberOfMessagesVisible")
    for queue in ("RegradingDeadLetterQueue", "StreamDeadLetterQueue"):
        assert json.dumps({"Fn::GetAtt": [queue, "QueueName"]}) in depth, f"no depth alarm on {queue}"


def test_a_user_pool_is_created_only_when_none_is_given() -> None:
    assert PARAMETERS["UserPoolArn"]["Default"] == ""
    conditional = {n for n, r in RESOURCES.items() if r.get("Condition") == "CreateUserPool"}
    assert {"UserPool", "UserPoolDomain", "UserPoolClient"} <= conditional
    groups = {r["Properties"]["GroupName"] for r in of_type("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"providers", "reviewers", "experts", "admins"}
    assert all(r["Condition"] == "CreateUserPool" for r in of_type("AWS::Cognito::UserPoolGroup").values())
    authorizer = props("GradingApi")["Auth"]["Authorizers"]["CognitoAuthorizer"]
    assert authorizer["UserPoolArn"] == {
        "Fn::If": ["CreateUserPool", {"Fn::GetAtt": ["UserPool", "Arn"]}, {"Ref": "UserPoolArn"}]
    }


def test_cors_allowed_origin_is_a_parameter_everywhere() -> None:
    origin = {"Fn::Sub": "'${AllowedOrigin}'"}
    api = props("GradingApi")
    assert api["Cors"]["AllowOrigin"] == origin
    assert "Authorization" in api["Cors"]["AllowHeaders"]
    for kind, response in api["GatewayResponses"].items():
        assert response["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] == origin, kind
    env = DOCUMENT["Globals"]["Function"]
    assert env["Environment"]["Variables"]["ALLOWED_ORIGIN"] == {"Ref": "AllowedOrigin"}
