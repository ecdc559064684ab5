"""The audit hash chain: a clean chain verifies; any edit, gap or cut is named."""

import json

from grading.audit import AuditEntry, next_entry, verify_chain


def chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for i in range(n):
        prev = entries[-1] if entries else None
        entries.append(
            next_entry(
                prev_seq=prev.seq if prev else 0,
                prev_hash=prev.hash if prev else None,
                at=f"2026-01-0{i + 1}T00:00:00Z",
                actor="u1",
                action="application.submitted",
                credit_code="91350100M000100Y43",
                data={"n": i, "名称": "测试"},
            )
        )
    return entries


def test_clean_chain_verifies() -> None:
    entries = chain(5)
    assert verify_chain(entries, head_hash=entries[-1].hash) == []


def test_edited_body_is_named() -> None:
    entries = chain(5)
    fields = json.loads(entries[2].body)
    fields["actor"] = "mallory"
    entries[2] = AuditEntry(seq=3, body=json.dumps(fields), hash=entries[2].hash)
    problems = verify_chain(entries, head_hash=entries[-1].hash)
    assert [p.seq for p in problems] == [3]
    assert "edited" in problems[0].problem


def test_rehashed_edit_breaks_the_next_link() -> None:
    entries = chain(4)
    forged = next_entry(
        prev_seq=1, prev_hash=entries[0].hash, at="x", actor="mallory", action="a", credit_code="c", data={}
    )
    entries[1] = forged
    problems = verify_chain(entries, head_hash=entries[-1].hash)
    assert [p.seq for p in problems] == [3]


def test_missing_entry_and_cut_tail_are_named() -> None:
    entries = chain(4)
    assert verify_chain([entries[0], entries[2], entries[3]])[0].seq == 3
    assert "cut" in verify_chain(entries[:3], head_hash=entries[3].hash)[-1].problem
