"""Walk each provider's audit chain and name every broken entry: `python -m grading.audit_verify [credit codes...]`.

For each provider: read its entries in order (Query PK=PROVIDER#<cc>, SK begins_with AUDIT#, pattern 5) and check
that every body still hashes to its stored hash, every entry links to the hash of the one before, the numbering
has no gap, and the provider record's `audit_head` / `audit_seq` point at the last entry (nothing cut off the end).

Which providers, without a Scan: the credit codes given, or else every provider that ever applied. A provider record
is created in the same transaction as its first application, and every application sits in exactly one partition
of GSI1 (`STATUS#<status>`, pattern 2), so the applications of the seven statuses name every provider; the sparse
`CERTIFIED#<shard>` partitions (pattern 18) are added for providers whose records came from elsewhere (migrations,
seeds). Both are index Queries that read only `credit_code`.

Exit status: 0 when every chain holds, 1 when any entry is broken (each is printed with its seq and the problem),
2 when a named provider does not exist.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from grading import dal
from grading.audit import ChainProblem, verify_chain
from grading.lifecycle import Status


@dataclass
class ChainReport:
    credit_code: str
    found: bool
    entries: int = 0
    head_seq: int | None = None
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.found and not self.problems

    def lines(self) -> list[str]:
        if not self.found:
            return [f"MISSING {self.credit_code}: no provider record"]
        if self.ok:
            return [f"OK      {self.credit_code}: {self.entries} entries, head seq {self.head_seq}"]
        head = f"BROKEN  {self.credit_code}: {self.entries} entries, head seq {self.head_seq}"
        return [head, *(f"        seq {p.seq}: {p.problem}" for p in self.problems)]


def verify_provider(credit_code: str) -> ChainReport:
    provider = dal.get_provider(credit_code)
    entries = dal.audit_entries(credit_code)
    if provider is None:
        report = ChainReport(credit_code, found=False, entries=len(entries))
        if entries:  # entries without their provider: the record itself was removed
            report.found = True
            report.problems.append(ChainProblem(len(entries), "the provider record is missing"))
        return report
    head_seq = int(provider.get("audit_seq") or 0)
    report = ChainReport(credit_code, found=True, entries=len(entries), head_seq=head_seq)
    report.problems = verify_chain(entries, provider.get("audit_head"))
    last_seq = max((e.seq for e in entries), default=0)
    if head_seq != last_seq:
        report.problems.append(
            ChainProblem(last_seq, f"the provider's audit_seq is {head_seq}, the last entry is {last_seq}")
        )
    return report


def _codes_in(index_pk: str) -> set[str]:
    codes: set[str] = set()
    kwargs: dict[str, Any] = {
        "TableName": dal.table_name(),
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": index_pk}},
        "ProjectionExpression": "credit_code",
    }
    while True:
        page = dal.client().query(**kwargs)
        codes.update(item["credit_code"]["S"] for item in page.get("Items", []) if "credit_code" in item)
        if "LastEvaluatedKey" not in page:
            return codes
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def known_providers() -> list[str]:
    """Every provider that ever applied (GSI1 status partitions) or holds a certificate (sparse shards)."""
    codes: set[str] = set()
    for status in Status:
        codes |= _codes_in(f"STATUS#{status.value}")
    for shard in range(dal.CERTIFIED_SHARDS):
        codes |= _codes_in(f"CERTIFIED#{shard:02d}")
    return sorted(codes)


def verify(credit_codes: list[str] | None = None) -> list[ChainReport]:
    codes = credit_codes if credit_codes else known_providers()
    return [verify_provider(code.strip().upper()) for code in codes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grading.audit_verify", description=__doc__.split("\n\n")[0])
    parser.add_argument("credit_codes", nargs="*", help="providers to check (default: every provider found)")
    args = parser.parse_args(argv)
    os.environ.setdefault("BUCKET_NAME", "-")  # settings() wants one; the verifier reads only the table
    reports = verify(args.credit_codes)
    for report in reports:
        print("\n".join(report.lines()))
    broken = [r for r in reports if r.found and not r.ok]
    missing = [r for r in reports if not r.found]
    entries = sum(r.entries for r in reports)
    print(
        f"checked {len(reports)} provider(s), {entries} entries in table {dal.table_name()}: "
        f"{len(broken)} broken, {len(missing)} missing"
    )
    return 1 if broken else 2 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
