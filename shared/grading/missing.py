"""Periods nobody may forget quietly: the certified providers with no assessment of an ended period (GET
/v1/assessments/missing). Read from the sparse certified index (pattern 26: the 16 shards of pattern 18, whole
records), never a Scan; the page token carries the shard and that shard's own token."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from grading import dal, periods, policy_store
from grading.assessment import period_problem
from grading.clock import local_date
from grading.errors import Conflict, InvalidInput
from grading.identity import Caller, Role
from grading.models import MissingAssessment, Page


def _token(shard: int, inner: str | None) -> str:
    return base64.urlsafe_b64encode(json.dumps({"s": shard, "t": inner}).encode()).decode()


def _untoken(token: str | None) -> tuple[int, str | None]:
    if not token:
        return 0, None
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode()))
        shard, inner = int(found["s"]), found["t"]
        if not 0 <= shard < dal.CERTIFIED_SHARDS or not (inner is None or isinstance(inner, str)):
            raise ValueError(token)
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.field("next_token", "is not a token from this list") from None
    return shard, inner


def _missing(provider: dict[str, Any], period: str) -> bool:
    if period in (provider.get("assessment_results") or {}):
        return False
    since = provider.get("certified_since")
    return not since or since <= periods.last_day(period).isoformat()


def list_missing(caller: Caller, period: str, now: datetime, limit: int, token: str | None) -> Page[MissingAssessment]:
    caller.require(Role.ADMIN, Role.REVIEWER)
    problem = period_problem(period, policy_store.current("assessment").values.period_kind)
    if problem:
        raise InvalidInput.field("period", problem)
    if not periods.has_ended(period, local_date(now)):
        raise Conflict(f"{period} has not ended", code="PERIOD_NOT_ENDED")
    shard, inner = _untoken(token)
    found: list[MissingAssessment] = []
    while shard < dal.CERTIFIED_SHARDS and len(found) < limit:
        page, inner = dal.certified_page(shard, limit - len(found), inner)
        found += [
            MissingAssessment(
                credit_code=p["credit_code"],
                name=p.get("name", ""),
                category=p.get("category"),
                grade=p.get("grade"),
                status=p.get("status", "active"),
                period=period,
            )
            for p in page
            if _missing(p, period)
        ]
        if inner is None:
            shard += 1
    return Page[MissingAssessment](
        items=found, next_token=_token(shard, inner) if shard < dal.CERTIFIED_SHARDS else None
    )
