"""The expert panel draw (专家抽取): who is eligible, and a random draw that anyone can check afterwards.

The draw is verifiable without trusting this code: each eligible expert's rank is
SHA-256("<seed>:<expert id>") in hex, lowest first (ties, which do not happen in practice, by id). The panel is
the first `size` ranks; a replacement for a declining expert is the next rank not yet drawn. The record keeps
the sorted candidate list and the seed, so `verify` (or `python -m grading.panel verify record.json`, or a
few lines in any language) recomputes the same panel.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PoolEntry:
    expert_id: str
    active: bool
    affiliations: frozenset[str]


def eligible(pool: Iterable[PoolEntry], credit_code: str, previous: Iterable[str]) -> list[str]:
    """Active experts of the category, minus declared conflicts (回避) and last evaluation's experts; sorted."""
    excluded = set(previous)
    return sorted(
        e.expert_id for e in pool if e.active and credit_code not in e.affiliations and e.expert_id not in excluded
    )


def new_seed() -> str:
    return secrets.token_hex(32)


def rank(seed: str, candidates: Iterable[str]) -> list[str]:
    return sorted(candidates, key=lambda c: (hashlib.sha256(f"{seed}:{c}".encode()).hexdigest(), c))


def draw(seed: str, candidates: list[str], size: int) -> list[str]:
    return rank(seed, candidates)[:size]


def replacement(seed: str, candidates: list[str], taken: Iterable[str]) -> str | None:
    used = set(taken)
    return next((c for c in rank(seed, candidates) if c not in used), None)


@dataclass(frozen=True)
class Verification:
    matches: bool
    expected_drawn: list[str]
    expected_replacements: list[str | None]
    problems: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "matches": self.matches,
            "expected_drawn": self.expected_drawn,
            "expected_replacements": self.expected_replacements,
            "problems": self.problems,
            "method": "rank = sha256('<seed>:<expert_id>') hex ascending; panel = first <size>; "
            "each replacement = next rank not yet drawn",
        }


def verify(record: dict[str, Any]) -> Verification:
    """Recompute a recorded draw (seed, candidates, size, declines) and say whether it is what was recorded."""
    seed, candidates, size = record["seed"], list(record["candidates"]), int(record["size"])
    problems = []
    if candidates != sorted(candidates):
        problems.append("the candidate list is not sorted")
    expected = draw(seed, candidates, size)
    if list(record["drawn"]) != expected:
        problems.append(f"drawn {record['drawn']} but the seed gives {expected}")
    taken = list(expected)
    replacements: list[str | None] = []
    for decline in record.get("declines", []):
        nxt = replacement(seed, candidates, taken)
        replacements.append(nxt)
        if decline.get("replacement") != nxt:
            problems.append(
                f"{decline['expert_id']} was replaced by {decline.get('replacement')}, the seed gives {nxt}"
            )
        if nxt:
            taken.append(nxt)
    return Verification(not problems, expected, replacements, problems)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "verify":
        print("usage: python -m grading.panel verify RECORD.json  (a panel record as GET .../panel returns it)")
        return 2
    record = json.loads(open(argv[1], encoding="utf-8").read())  # noqa: SIM115 - a CLI reading one file
    result = verify(record.get("panel", record))
    print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    return 0 if result.matches else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
