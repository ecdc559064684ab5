"""standing.eligibility: the one question procurement asks (may this provider be used now?), from the record alone."""

from __future__ import annotations

from datetime import date
from typing import Any

from grading.standing import eligibility

TODAY = date(2026, 6, 1)
GOOD: dict[str, Any] = {
    "credit_code": "91310000MA1FL8XQ3K",
    "status": "active",
    "category": "it_services",
    "certificate": {"number": "SG-2026-91310000MA1FL8XQ3K-01", "valid_until": "2027-01-01"},
    "qualifications": {"Q-1": {"type": "ISO9001", "valid_until": "2027-01-01", "status": "valid"}},
}


def codes(provider: dict[str, Any], category: str | None = None) -> tuple[str, list[str]]:
    answer, reasons = eligibility(provider, category, TODAY)
    return answer, [r["code"] for r in reasons]


def test_a_certified_active_provider_in_its_category_is_allowed() -> None:
    assert eligibility(GOOD, "it_services", TODAY) == ("allowed", [])
    assert codes(GOOD, None) == ("allowed", [])


def test_what_blocks_a_provider() -> None:
    assert codes({**GOOD, "status": "eliminated"}) == ("not_allowed", ["ELIMINATED"])
    assert codes({**GOOD, "banned_until": "2026-06-02"}) == ("not_allowed", ["BANNED"])
    assert codes({**GOOD, "banned_until": "2026-06-01"}) == ("allowed", [])  # the ban ends on its day
    assert codes({**GOOD, "certificate": None}) == ("not_allowed", ["NO_CERTIFICATE"])
    expired = {**GOOD, "certificate": {**GOOD["certificate"], "valid_until": "2026-05-31"}}
    assert codes(expired) == ("not_allowed", ["CERTIFICATE_EXPIRED"])
    assert codes({**GOOD, "certificate": {**GOOD["certificate"], "valid_until": "2026-06-01"}}) == ("allowed", [])
    assert codes(GOOD, "consulting") == ("not_allowed", ["NOT_GRADED_IN_CATEGORY"])


def test_an_eliminated_provider_is_not_also_told_its_certificate_expired() -> None:
    eliminated = {**GOOD, "status": "eliminated", "certificate": {**GOOD["certificate"], "valid_until": "2020-01-01"}}
    assert codes(eliminated) == ("not_allowed", ["ELIMINATED"])


def test_what_only_warns() -> None:
    assert codes({**GOOD, "status": "warned", "consecutive_failures": 1}) == ("warning", ["WARNED"])
    assert codes({**GOOD, "open_rectifications": ["r-1"]}) == ("warning", ["OPEN_RECTIFICATION"])
    assert codes({**GOOD, "overdue_rectifications": ["r-1"]}) == ("warning", ["RECTIFICATION_OVERDUE"])


def test_qualifications_warn_once_expired_or_within_thirty_days_and_not_when_replaced() -> None:
    def with_q(valid_until: str, status: str = "valid") -> dict[str, Any]:
        return {**GOOD, "qualifications": {"Q-1": {"type": "ISO9001", "valid_until": valid_until, "status": status}}}

    assert codes(with_q("2026-05-31")) == ("warning", ["QUALIFICATION_EXPIRED"])
    assert codes(with_q("2026-07-01")) == ("warning", ["QUALIFICATION_EXPIRING"])
    assert codes(with_q("2026-07-02")) == ("allowed", [])
    for settled in ("replaced", "pending", "rejected"):
        assert codes(with_q("2020-01-01", settled)) == ("allowed", [])


def test_blocking_reasons_come_first_and_warnings_follow() -> None:
    provider = {**GOOD, "status": "eliminated", "open_rectifications": ["r-1"]}
    assert codes(provider, "consulting") == (
        "not_allowed",
        ["ELIMINATED", "NOT_GRADED_IN_CATEGORY", "OPEN_RECTIFICATION"],
    )
