"""The tamper-evident audit trail: each provider's entries form a hash chain (each carries the hash of the one before).

An entry's `body` is canonical JSON text and its `hash` is SHA-256 over that text, so what is verified is exactly
what is stored: no number or key-order round trip through DynamoDB can change it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    body: str
    hash: str

    @property
    def fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = json.loads(self.body)
        return fields


def next_entry(
    *,
    prev_seq: int,
    prev_hash: str | None,
    at: str,
    actor: str,
    action: str,
    credit_code: str,
    data: dict[str, Any],
) -> AuditEntry:
    seq = prev_seq + 1
    body = canonical(
        {
            "seq": seq,
            "at": at,
            "actor": actor,
            "action": action,
            "credit_code": credit_code,
            "data": data,
            "prev_hash": prev_hash or GENESIS,
        }
    )
    return AuditEntry(seq=seq, body=body, hash=digest(body))


def entry_for(provider: dict[str, Any], *, at: str, actor: str, action: str, data: dict[str, Any]) -> AuditEntry:
    """The provider's next entry, chained to the head the provider record carries."""
    return next_entry(
        prev_seq=int(provider.get("audit_seq") or 0),
        prev_hash=provider.get("audit_head"),
        at=at,
        actor=actor,
        action=action,
        credit_code=provider["credit_code"],
        data=data,
    )


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    problem: str


def verify_chain(entries: list[AuditEntry], head_hash: str | None = None) -> list[ChainProblem]:
    """Every break in the chain: an edited body, a broken link, a gap in the numbering, a cut-off tail."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    for expected_seq, entry in enumerate(sorted(entries, key=lambda e: e.seq), start=1):
        if entry.seq != expected_seq:
            problems.append(ChainProblem(entry.seq, f"expected entry {expected_seq}: an entry is missing"))
        if digest(entry.body) != entry.hash:
            problems.append(ChainProblem(entry.seq, "body does not match its hash: the entry was edited"))
        try:
            fields = entry.fields
        except ValueError:
            problems.append(ChainProblem(entry.seq, "body is not valid JSON"))
            prev = entry.hash
            continue
        if fields.get("prev_hash") != prev:
            problems.append(ChainProblem(entry.seq, "prev_hash does not match the entry before"))
        if fields.get("seq") != entry.seq:
            problems.append(ChainProblem(entry.seq, "stored seq differs from the seq inside the body"))
        prev = entry.hash
    if head_hash is not None and head_hash != prev:
        problems.append(ChainProblem(len(entries), "the provider's head hash is not the last entry: entries were cut"))
    return problems
