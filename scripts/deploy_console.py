"""Publish the web console to a deployed stack: write its config.json from the stack's outputs (the API, the
Cognito hosted UI and the console's public client), upload web/ to the console bucket in the layout `make serve`
serves (index.html, console/..., console/vendor/...), delete what an earlier upload left that is no longer part of
it, and invalidate the CloudFront distribution so people get the new files at once.

    python scripts/deploy_console.py --stack provider-grading [--region eu-west-1] [--dry-run]

Needs AWS credentials allowed to read the stack, write the console bucket and create an invalidation. Run
`make web` first (the console's npm libraries, web/node_modules)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from local.console import console_files, content_type  # noqa: E402  (the one list of the console's files)

CONFIG_KEY = "console/config.json"
# The page, its config and its modules keep their names from one release to the next (no build step, no hashes):
# browsers and CloudFront revalidate them; the invalidation drops what the edge already holds.
CACHE_CONTROL = "no-cache"


class DeployError(Exception):
    """The stack or the working tree lacks something the console needs; the message says what."""


@dataclass(frozen=True)
class Target:
    bucket: str
    distribution_id: str
    config: dict[str, str]


def _origin(url: str) -> str:
    url = url.strip().rstrip("/")
    return url if url.startswith(("https://", "http://")) else f"https://{url}"


def target_from_outputs(outputs: dict[str, str], distribution_id: str | None = None) -> Target:
    """What to upload where, from the stack's outputs (OutputKey -> OutputValue)."""
    missing = [
        k for k in ("ConsoleUrl", "ConsoleBucketName", "ConsoleUserPoolClientId", "ApiUrl") if not outputs.get(k)
    ]
    if missing:
        raise DeployError(f"the stack has no output {', '.join(missing)}: deploy the current template.yaml first")
    domain = outputs.get("ConsoleCognitoDomain") or outputs.get("HostedUiUrl")
    if not domain:
        raise DeployError(
            "no hosted UI domain: give the stack's ConsoleCognitoDomain parameter (your user pool's domain), "
            "or let it create the user pool (UserPoolArn empty), whose HostedUiUrl is used"
        )
    distribution = distribution_id or outputs.get("ConsoleDistributionId")
    if not distribution:
        raise DeployError("the stack has no output ConsoleDistributionId")
    console_url = _origin(outputs["ConsoleUrl"]) + "/"
    config = {
        "mode": "cognito",
        # The distribution routes /v1/* to the API: the console calls it same-origin (no CORS, no second host).
        "apiBase": "",
        "apiUrl": outputs["ApiUrl"].rstrip("/"),
        "cognitoDomain": _origin(domain),
        "clientId": outputs["ConsoleUserPoolClientId"],
        "redirectUri": console_url,
        "consoleUrl": console_url,
    }
    return Target(bucket=outputs["ConsoleBucketName"], distribution_id=distribution, config=config)


def stack_outputs(cloudformation: Any, stack: str) -> tuple[dict[str, str], str | None]:
    """The stack's outputs, and the distribution's id from its resources when the outputs lack it."""
    found = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    distribution = None
    if "ConsoleDistributionId" not in outputs:  # a stack deployed before the template named it
        from botocore.exceptions import ClientError

        try:
            resource = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId="ConsoleDistribution")
            distribution = resource["StackResourceDetail"]["PhysicalResourceId"]
        except ClientError:  # then target_from_outputs names what is missing
            distribution = None
    return outputs, distribution


def _mime(key: str) -> str:
    kind = content_type(key)
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def files_to_upload() -> dict[str, Path]:
    files = console_files()
    absent = [key for key, path in files.items() if not path.is_file()]
    if absent:
        raise DeployError(f"missing {', '.join(absent)}: run `make web` (npm ci in web/) first")
    return files


def deploy(target: Target, s3: Any, cloudfront: Any, *, dry_run: bool = False, log: Any = print) -> dict[str, Any]:
    """Upload the files and the config, delete stale keys, invalidate; what was done, as a dict."""
    files = files_to_upload()
    body = json.dumps(target.config, ensure_ascii=False, indent=1).encode()
    wanted = set(files) | {CONFIG_KEY}
    existing: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=target.bucket):
        existing |= {o["Key"] for o in page.get("Contents", [])}
    stale = sorted(existing - wanted)
    report: dict[str, Any] = {
        "bucket": target.bucket,
        "uploaded": sorted(wanted),
        "deleted": stale,
        "config": target.config,
        "invalidation": None,
    }
    if dry_run:
        log(json.dumps(report, ensure_ascii=False, indent=1))
        return report
    for key, path in sorted(files.items()):
        s3.put_object(
            Bucket=target.bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=_mime(key),
            CacheControl=CACHE_CONTROL,
        )
        log(f"uploaded s3://{target.bucket}/{key}")
    s3.put_object(
        Bucket=target.bucket, Key=CONFIG_KEY, Body=body, ContentType="application/json", CacheControl=CACHE_CONTROL
    )
    log(f"uploaded s3://{target.bucket}/{CONFIG_KEY}")
    for start in range(0, len(stale), 1000):
        chunk = stale[start : start + 1000]
        s3.delete_objects(Bucket=target.bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True})
        log(f"deleted {len(chunk)} stale object(s)")
    invalidation = cloudfront.create_invalidation(
        DistributionId=target.distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": f"console-{time.time_ns()}"},
    )["Invalidation"]
    report["invalidation"] = invalidation["Id"]
    log(f"invalidation {invalidation['Id']} on {target.distribution_id}: {invalidation['Status']}")
    log(f"the console: {target.config['consoleUrl']}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name (sam deploy's stack_name)")
    parser.add_argument("--region", default=None, help="its region (default: the AWS configuration's)")
    parser.add_argument("--dry-run", action="store_true", help="print what would be uploaded and the config only")
    args = parser.parse_args(argv)
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    session = boto3.session.Session(region_name=args.region)
    try:
        outputs, distribution = stack_outputs(session.client("cloudformation"), args.stack)
        target = target_from_outputs(outputs, distribution)
        deploy(target, session.client("s3"), session.client("cloudfront"), dry_run=args.dry_run)
    except (DeployError, ClientError, BotoCoreError) as e:  # an unknown stack, no credentials, access denied
        print(f"deploy_console: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
