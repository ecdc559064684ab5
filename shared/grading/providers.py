"""The provider record as its members and staff read it, and eligibility (the procurement integration point).

After grading, a provider's life is in: assessments.py (定期考核), rectifications.py (整改), elimination.py (淘汰),
qualifications.py (资质) and certificates.py (证书).
"""

from __future__ import annotations

from datetime import date, datetime

from grading import dal, members
from grading.clock import local_date
from grading.errors import NotFound
from grading.identity import Caller
from grading.models import (
    EligibilityView,
    ProviderView,
)
from grading.standing import eligibility

# --- the provider record ------------------------------------------------------------------------------------


def provider_view(caller: Caller, credit_code: str) -> ProviderView:
    provider = dal.get_provider(credit_code)
    if provider is None or not (caller.is_staff or members.speaks_for(caller, credit_code, provider)):
        raise NotFound(f"provider {credit_code} not found")
    certificate = provider.get("certificate")
    assessments = [
        {
            k: a.get(k)
            for k in ("period", "score", "result", "rectification_id", "recorded_at", "revision", "explanation")
        }
        for a in dal.assessments_of(credit_code)
    ]
    return ProviderView(
        credit_code=credit_code,
        name=provider.get("name", ""),
        category=provider.get("category"),
        grade=provider.get("grade"),
        status=provider.get("status", "active"),
        consecutive_failures=int(provider.get("consecutive_failures") or 0),
        banned_until=provider.get("banned_until"),
        certificate={"number": certificate["number"], "valid_until": certificate["valid_until"]}
        if certificate
        else None,
        assessments=assessments,
    )


def days_until(day: str, today: date) -> int:
    return (date.fromisoformat(day) - today).days


# --- eligibility: the procurement integration point -------------------------------------------------------


def check_eligibility(credit_code: str, category: str | None, now: datetime) -> EligibilityView:
    """One GetItem: everything the answer needs is kept on the provider record."""
    provider = dal.get_provider(credit_code)
    if provider is None:
        raise NotFound(f"provider {credit_code} not found")
    verdict, reasons = eligibility(provider, category, local_date(now))
    return EligibilityView(
        credit_code=credit_code,
        eligibility=verdict,
        grade=provider.get("grade"),
        category=provider.get("category"),
        status=provider.get("status", "active"),
        reasons=reasons,
        checked_on=local_date(now),
    )
