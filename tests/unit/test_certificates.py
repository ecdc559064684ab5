"""The certificate guards: every change of a held certificate is conditional on the version and the PDF read, and
the sweep (a new certificate from an application) and the re-grading supersede under the very same guard."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from grading import certificates, dal, policy, policy_store, regrading, regrading_rule

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
CC = "91310000MA1FL8XQ3K"
HELD: dict[str, Any] = {
    "number": f"SG-2025-{CC}-01",
    "credit_code": CC,
    "provider_name": "某服务商",
    "category": "it_services",
    "grade": 1,
    "issued_on": "2025-01-10",
    "valid_until": "2026-01-10",
    "status": "valid",
    "version": 3,
    "pdf_key": "certificates/x.pdf",
    "pdf_sha256": "ab" * 32,
}
PROVIDER: dict[str, Any] = {
    "credit_code": CC,
    "name": "某服务商",
    "category": "it_services",
    "status": "active",
    "grade": 1,
    "certificate": {"number": HELD["number"], "valid_until": HELD["valid_until"]},
    "certificate_seq": 1,
    "audit_seq": 7,
    "audit_head": "0" * 64,
    "evaluation_total": "50",
    "assessment_results": {"2025-Q1": "fail"},
    "assessment_scores": {"2025-Q1": "50"},
}
APPLICATION: dict[str, Any] = {
    "application_id": "app-2",
    "credit_code": CC,
    "status": "in_notice",
    "notice_id": "n-1",
    "grade": 2,
    "total": "81",
    "provider": {"name": "某服务商", "category": "it_services"},
    "history": [],
    "version": 5,
}


def _named(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (body,) = [next(iter(i.values())) for i in items if next(iter(i.values()))["_name"] == name]
    return body


def _guard(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return body["ConditionExpression"], body["ExpressionAttributeValues"]


def test_every_change_of_a_held_certificate_checks_the_version_and_the_pdf_read() -> None:
    for item in (
        certificates.renew(HELD, "2027-03-02", "t"),
        certificates.supersede(HELD, "SG-2026-X-02", "t"),
        certificates.revoke(HELD, "t", "elimination"),
        certificates.expire(HELD, "t"),
    ):
        condition, values = _guard(item["Put"])
        assert condition == "(version = :v) AND (pdf_sha256 = :pdf)"
        assert values == {":v": {"N": "3"}, ":pdf": {"S": HELD["pdf_sha256"]}}
    unrendered = {k: v for k, v in HELD.items() if k not in ("pdf_key", "pdf_sha256")}
    condition, _ = _guard(certificates.supersede(unrendered, "SG-2026-X-02", "t")["Put"])
    assert condition == "(version = :v) AND (attribute_not_exists(pdf_sha256))"


def test_the_sweep_and_the_regrading_supersede_under_the_same_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    committed: list[dal.Change] = []
    monkeypatch.setattr(certificates, "held_by", lambda provider: HELD)
    monkeypatch.setattr(dal, "commit", committed.append)
    defaults = policy_store.Stored("certificate", 0, policy.default("certificate"))
    certificates._certify(APPLICATION, PROVIDER, NOW, None, defaults)
    by_sweep = _named(committed[0].extra, "old-certificate")

    run = {"run_id": "r-1", "year": 2025}
    plan = regrading._plan(run, regrading_rule.DEFAULT_CONFIG, 2025, PROVIDER, CC, NOW, HELD)
    assert plan.result["change"] == "down" and Decimal(plan.result["combined"]) == 50
    by_regrading = _named(plan.writes, "old-certificate")

    assert _guard(by_sweep) == _guard(by_regrading)
    for put in (by_sweep, by_regrading):
        assert put["Item"]["PK"] == {"S": f"CERT#{HELD['number']}"} and put["Item"]["status"] == {"S": "superseded"}


def test_only_a_valid_certificate_is_superseded_and_a_revoked_one_is_not_revoked_again() -> None:
    assert certificates.can_supersede(HELD)
    assert not certificates.can_supersede({**HELD, "status": "expired"}) and not certificates.can_supersede(None)
    assert certificates.can_revoke({**HELD, "status": "expired"})
    assert not certificates.can_revoke({**HELD, "status": "revoked"}) and not certificates.can_revoke(None)
