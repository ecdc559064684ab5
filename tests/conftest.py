"""Test setup shared by every level: the domain layer on sys.path, a fake AWS environment, and (for the levels
that ask for it) one moto backend per session built from template.yaml.

One backend per process: the domain layer caches its boto3 clients, so a second backend would split the state
in two. The integration and security suites share these session fixtures; each resets the backend before every
test in its own conftest.
"""

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "shared"))
sys.path.insert(0, str(ROOT))

os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
# The same physical names the local runner gives the template's table and bucket, so cached settings agree.
os.environ.setdefault("TABLE_NAME", "provider-grading-local-GradingTable")
os.environ.setdefault("BUCKET_NAME", "provider-grading-local-documentsbucket")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ProviderGradingTests")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "tests")


# Property tests assert behaviour, never time: on a shared 2-core machine running two workers a single example
# can take seconds, so no per-example deadline and no too-slow health check (the example counts bound the time).
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")

# Imported after sys.path is set up: the runner and the functions import the domain layer.
from local.backend import LocalBackend  # noqa: E402
from local.host import FunctionHost  # noqa: E402
from local.template import Stack, load_stack  # noqa: E402


@pytest.fixture(scope="session")
def stack() -> Stack:
    return load_stack(str(ROOT / "template.yaml"))


@pytest.fixture(scope="session")
def backend(stack: Stack) -> Iterator[LocalBackend]:
    server = LocalBackend(port=0)
    server.start()
    server.create_resources(stack)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def host(stack: Stack, backend: LocalBackend) -> FunctionHost:
    return FunctionHost(stack)


# The levels whose tests share one `local serve` (and, for the e2e suite, the record of every answer that
# test_zz_answers_match_the_document.py checks): each runs whole, in file order, on one xdist worker. Any other
# test file also stays on one worker (its module fixtures are built once); files spread over the workers.
_ONE_WORKER_LEVELS = ("e2e", "console")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the test ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.path))
        path = path.relative_to(ROOT / "tests") if path.is_relative_to(ROOT / "tests") else path
        level = path.parts[0]
        group = level if level in _ONE_WORKER_LEVELS else str(path)
        item.add_marker(pytest.mark.xdist_group(group))


def ended_quarters(count: int = 2) -> list[str]:
    """The `count` latest quarters that have ended by today (China time), oldest first: assessable periods that
    stay adjacent whatever day the suite runs on."""
    from datetime import UTC, datetime, timedelta

    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    n = today.year * 4 + (today.month - 1) // 3 - 1  # the quarter before today's
    return [f"{m // 4}-Q{m % 4 + 1}" for m in range(n - count + 1, n + 1)]


def certified_since_the_first(*credit_codes: str, count: int = 2, table: Any = None) -> None:
    """Date the providers' certification back to the first day of the earliest of `ended_quarters(count)`: a suite
    that certifies today may then assess those ended periods (an assessment is for a period in which the provider
    was certified). `table`: the DynamoDB table resource, the in-process moto one by default."""
    import boto3

    from grading import dal, periods

    since = periods.first_day(ended_quarters(count)[0]).isoformat()
    table = table or boto3.resource("dynamodb").Table(dal.table_name())
    for cc in credit_codes:
        table.update_item(
            Key=dal.provider_key(cc),
            UpdateExpression="SET certified_since = :since",
            ConditionExpression="attribute_exists(certified_since)",
            ExpressionAttributeValues={":since": since},
        )
