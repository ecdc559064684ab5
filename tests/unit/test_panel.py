"""The panel draw: eligibility rules, and that a recorded draw can be recomputed (and a forged one cannot)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from grading.panel import PoolEntry, draw, eligible, new_seed, replacement, verify
from tests.conftest import ROOT

ids = st.lists(st.text(alphabet="abcdefghijk0123456789", min_size=1, max_size=8), min_size=3, max_size=30, unique=True)


def test_eligibility_excludes_inactive_conflicted_and_previous() -> None:
    pool = [
        PoolEntry("a", True, frozenset()),
        PoolEntry("b", False, frozenset()),
        PoolEntry("c", True, frozenset({"91350100M000100Y43"})),
        PoolEntry("d", True, frozenset()),
        PoolEntry("e", True, frozenset()),
    ]
    assert eligible(pool, "91350100M000100Y43", previous=["e"]) == ["a", "d"]


def test_the_rank_is_plain_sha256() -> None:
    seed, candidates = "s", ["x", "y", "z"]
    by_hand = sorted(candidates, key=lambda c: hashlib.sha256(f"{seed}:{c}".encode()).hexdigest())
    assert draw(seed, candidates, 3) == by_hand


@given(ids, st.integers(min_value=1, max_value=10))
def test_drawing_again_from_the_record_gives_the_same_panel(candidates: list[str], size: int) -> None:
    candidates = sorted(candidates)
    seed = new_seed()
    drawn = draw(seed, candidates, size)
    assert len(drawn) == min(size, len(candidates)) and len(set(drawn)) == len(drawn)
    declines = []
    taken = list(drawn)
    for expert in drawn[:2]:
        nxt = replacement(seed, candidates, taken)
        declines.append({"expert_id": expert, "replacement": nxt})
        if nxt:
            taken.append(nxt)
    record = {"seed": seed, "candidates": candidates, "size": size, "drawn": drawn, "declines": declines}
    assert verify(record).matches
    if len(candidates) > size:
        forged = {**record, "drawn": [*drawn[:-1], next(c for c in candidates if c not in drawn)]}
        assert not verify(forged).matches


def test_cli_rechecks_a_record(tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidates = sorted(["e1", "e2", "e3", "e4", "e5", "e6"])
    record = {"seed": "abc", "candidates": candidates, "size": 5, "drawn": draw("abc", candidates, 5)}
    path = tmp_path / "panel.json"
    path.write_text(json.dumps({"panel": record}))
    ok = subprocess.run(
        [sys.executable, "-m", "grading.panel", "verify", str(path)],
        cwd=ROOT / "shared",
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["matches"] is True
    path.write_text(json.dumps({**record, "drawn": list(reversed(record["drawn"]))}))
    bad = subprocess.run(
        [sys.executable, "-m", "grading.panel", "verify", str(path)],
        cwd=ROOT / "shared",
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
