"""Large populations of certified providers: each provider's record and certificate, with the index attributes the
domain's own functions give them (dal.provider_indexes: GSI1 CERTIFIED#<shard>; dal.certificate_indexes: Due
CERT_EXPIRY), so they are found exactly as real ones are.

The first BATCH_SEEDED providers go through BatchWriteItem (25 items a call), and that rate is reported; the rest are
put straight into moto's table in this process, like DynamoDB's import from S3 (no request, no stream record):
BatchWriteItem into moto runs at ~1,000 items/s here (moto re-sizes the whole item for every attribute it sets), which
would spend most of the 10-minute budget on seeding 200,000 items."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeSerializer

_serializer = TypeSerializer()
CATEGORY = "it_services"


def credit_code(n: int) -> str:
    """The n-th population credit code (a prefix the endpoint scenarios do not use), with its check character."""
    from grading.credit_code import check_character

    body = f"9144030000{n:07d}"
    return body + check_character(body)


def provider_records(n: int, today: date, year: int, *, due: bool = False) -> list[dict[str, Any]]:
    """Provider n's record and certificate as the lifecycle leaves them; `due` makes its certificate expire
    yesterday (so the daily sweep has it to do). Grades and the year's assessments vary with n, deterministically."""
    from grading import dal
    from grading.audit import next_entry

    rng = random.Random(n)  # noqa: S311 - reproducible bench data, not a secret
    cc = credit_code(n)
    at = "2026-01-10T00:00:00.000Z"
    number = f"SG-2026-{cc}-01"
    valid_until = (today - timedelta(days=1)) if due else today + timedelta(days=1 + rng.randrange(365))
    grade = rng.randint(1, 4)
    evaluation = f"{rng.uniform(60, 99):.2f}"
    results: dict[str, str] = {}
    scores: dict[str, str] = {}
    periods = [f"{year}-Q{q}" for q in (1, 2, 3)] if rng.random() > 0.1 else [f"{year - 1}-Q4"]
    for period in periods:
        score = rng.uniform(40, 99)
        results[period] = "excellent" if score >= 90 else "pass" if score >= 60 else "fail"
        scores[period] = f"{score:.2f}"
    audit = next_entry(prev_seq=0, prev_hash=None, at=at, actor="bench", action="seeded", credit_code=cc, data={})
    provider = {
        "credit_code": cc,
        "name": f"基准服务商{n}",
        "category": CATEGORY,
        "region": "广东省深圳市",
        "status": "active",
        "owner_sub": f"owner-{n}",
        "grade": grade,
        "evaluation_total": evaluation,
        "certificate": {"number": number, "valid_until": valid_until.isoformat()},
        "certificate_seq": 1,
        "assessment_results": results,
        "assessment_scores": scores,
        "consecutive_failures": 0,
        "created_at": at,
        "updated_at": at,
        "audit_seq": audit.seq,
        "audit_head": audit.hash,
    }
    certificate = {
        "number": number,
        "credit_code": cc,
        "provider_name": provider["name"],
        "category": CATEGORY,
        "grade": grade,
        "total": evaluation,
        "scheme_version": "v1",
        "issued_on": "2026-01-10",
        "valid_until": valid_until.isoformat(),
        "status": "valid",
        "issued_at": at,
        "version": 1,
    }
    return [
        {**dal.provider_key(cc), "type": "provider", **provider, **dal.provider_indexes(provider)},
        {**dal.certificate_key(number), "type": "certificate", **certificate, **dal.certificate_indexes(certificate)},
    ]


def _batches(items: Iterator[dict[str, Any]], size: int = 25) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def batch_write(client: Any, table: str, requests: Iterator[dict[str, Any]]) -> int:
    """BatchWriteItem, 25 requests a call, retrying what comes back unprocessed; returns the calls made."""
    calls = 0
    for batch in _batches(requests):
        pending: dict[str, Any] = {table: batch}
        while pending:
            calls += 1
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    return calls


def insert_direct(table: str, items: Iterator[dict[str, Any]], region: str = "us-east-1") -> int:
    """Put wire-format items straight into moto's in-process table (an import: no request, no stream record)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    target = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(table)
    count = 0
    for wire in items:
        item = Item.__new__(Item)
        item.hash_key = DynamoType(wire[target.hash_key_attr])
        item.range_key = DynamoType(wire[target.range_key_attr])
        item.attrs = LimitedSizeDict({k: DynamoType(v) for k, v in wire.items()})
        target.items[item.hash_key][item.range_key] = item
        count += 1
    return count


BATCH_SEEDED = 1000


@dataclass
class Seeding:
    batch_items: int = 0
    batch_seconds: float = 0.0
    direct_items: int = 0
    direct_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        rate = self.batch_items / self.batch_seconds if self.batch_seconds else None
        return {
            "batch_write_items": self.batch_items,
            "batch_write_seconds": round(self.batch_seconds, 2),
            "batch_write_items_per_second": round(rate) if rate else None,
            "direct_items": self.direct_items,
            "direct_seconds": round(self.direct_seconds, 2),
        }


def seed(client: Any, table: str, first: int, last: int, now: datetime, year: int, due: set[int]) -> Seeding:
    """Providers first..last-1 (with certificates); those in `due` have a certificate that expired yesterday."""
    from grading.clock import local_date

    today = local_date(now)
    done = Seeding()

    def wire(numbers: range) -> Iterator[dict[str, Any]]:
        for n in numbers:
            for record in provider_records(n, today, year, due=n in due):
                yield {k: _serializer.serialize(v) for k, v in record.items()}

    batched = range(first, min(last, max(first, BATCH_SEEDED)))
    if batched:
        started = time.perf_counter()
        batch_write(client, table, ({"PutRequest": {"Item": item}} for item in wire(batched)))
        done.batch_items, done.batch_seconds = 2 * len(batched), time.perf_counter() - started
    direct = range(max(first, BATCH_SEEDED), last)
    if direct:
        started = time.perf_counter()
        done.direct_items = insert_direct(table, wire(direct))
        done.direct_seconds = time.perf_counter() - started
    return done
