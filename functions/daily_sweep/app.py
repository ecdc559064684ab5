"""DailySweepFunction: "now" is the EventBridge event's `time`, never the wall clock, so any day can be replayed."""

from grading import startup

startup.begin()  # the first statement: the collector rests while the function loads

from datetime import datetime
from typing import Any

from grading import dal, snapstart, sweep
from grading.errors import InvalidInput
from grading.observability import logger

snapstart.prime(dal.client)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        now = datetime.fromisoformat(str(event["time"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        raise InvalidInput.field("time", "the scheduled event must carry an ISO 8601 time") from None
    report = sweep.run(now)
    logger.info("daily sweep", **report.as_dict())
    if report.failures:
        # Raising makes the scheduler retry; everything already done is skipped on the retry.
        raise RuntimeError(f"{len(report.failures)} item(s) failed: {report.failures}")
    return report.as_dict()


startup.done()  # the last: what the init built is frozen, the collector back on
