"""The certified providers at a glance, for the console's dashboard (GET /v1/summaries/providers): how many hold
each grade in each category, and those at risk (warned, open or overdue rectification orders, a qualification
expiring or expired, a certificate past its date), each with the eligibility answer's own reasons.

One aggregated read instead of one GetItem per provider: the sparse certified index (pattern 18: 16 shards that
project the whole provider record), every page of every shard, never a Scan. Eliminated providers are not in it
(they hold no grade)."""

from collections import Counter
from datetime import datetime
from typing import Any

from grading import dal
from grading.clock import iso, local_date
from grading.identity import Caller, Role
from grading.modelbase import Model
from grading.standing import eligibility

PAGE = 500  # items per Query; DynamoDB also stops a page at 1 MB


class CategoryGrades(Model):
    category: str
    total: int
    grades: dict[str, int]  # "1".."4", and "none" for certified providers without a grade


class RiskReason(Model):
    code: str
    message: str


class ProviderAtRisk(Model):
    credit_code: str
    name: str
    category: str | None = None
    grade: int | None = None
    status: str
    consecutive_failures: int
    eligibility: str
    reasons: list[RiskReason]


class ProviderSummary(Model):
    as_of: str
    certified: int
    by_category: list[CategoryGrades]
    at_risk: list[ProviderAtRisk]


def certified_providers() -> list[dict[str, Any]]:
    """Pattern 18, whole: every page of every shard."""
    found: list[dict[str, Any]] = []
    for shard in range(dal.CERTIFIED_SHARDS):
        token: str | None = None
        while True:
            page, token = dal.certified_page(shard, PAGE, token)
            found += page
            if token is None:
                break
    return found


def provider_summary(caller: Caller, now: datetime) -> ProviderSummary:
    caller.require(Role.REVIEWER, Role.ADMIN)
    providers = certified_providers()
    today = local_date(now)
    counts: dict[str, Counter[str]] = {}
    at_risk: list[ProviderAtRisk] = []
    for p in providers:
        grade = p.get("grade")
        counts.setdefault(p.get("category") or "", Counter())[str(grade) if grade else "none"] += 1
        answer, reasons = eligibility(p, None, today)
        if answer != "allowed":
            at_risk.append(
                ProviderAtRisk(
                    credit_code=p["credit_code"],
                    name=p.get("name", ""),
                    category=p.get("category"),
                    grade=grade,
                    status=p.get("status", "active"),
                    consecutive_failures=int(p.get("consecutive_failures") or 0),
                    eligibility=answer,
                    reasons=[RiskReason(**r) for r in reasons],
                )
            )
    by_category = [
        CategoryGrades(
            category=category,
            total=sum(c.values()),
            grades={g: c.get(g, 0) for g in ("1", "2", "3", "4", "none")},
        )
        for category, c in sorted(counts.items())
    ]
    at_risk.sort(key=lambda r: (r.eligibility != "not_allowed", r.status != "warned", r.credit_code))
    return ProviderSummary(as_of=iso(now), certified=len(providers), by_category=by_category, at_risk=at_risk)
