"""Who receives a mail: addresses are read from the table when the mail is sent, never carried in events."""

from __future__ import annotations

from typing import Any

from grading import dal
from grading.store import notifications as dal_notify


def _unique(addresses: list[str | None]) -> list[str]:
    seen: dict[str, str] = {}
    for address in addresses:
        if address and address.strip().lower() not in seen:
            seen[address.strip().lower()] = address.strip()
    return list(seen.values())


def _latest_application(credit_code: str, provider: dict[str, Any] | None) -> dict[str, Any] | None:
    """The application that speaks for a provider: the certified one, else the one holding the active slot."""
    number = ((provider or {}).get("certificate") or {}).get("number")
    certificate = dal.get_item(dal.certificate_key(number)) if number else None
    application_id = (certificate or {}).get("application_id")
    if not application_id:
        _, slot = dal.get_provider_and_slot(credit_code)
        application_id = (slot or {}).get("application_id")
    application, _ = dal.get_application(application_id) if application_id else (None, [])
    return application


def provider_recipients(credit_code: str, application: dict[str, Any] | None = None) -> list[str]:
    """Everyone who speaks for a provider: the contact of the application (the one given, else the provider's
    certified or active one), the provider record's own contact, and its members (`PROVIDER#<cc> / MEMBER#<sub>`,
    consistent: a member removed a moment ago is not told any more)."""
    provider = dal.get_provider(credit_code)
    application = application or _latest_application(credit_code, provider)
    contact = ((application or {}).get("provider") or {}).get("contact") or {}
    own = ((provider or {}).get("contact") or {}).get("email")
    members = [m.get("email") for m in dal.members_of(credit_code)]
    return _unique([contact.get("email"), own, *members])


def reviewer_recipients() -> list[str]:
    """Every active reviewer in the staff contact registry (PUT /v1/reviewers/{sub})."""
    return _unique([r.get("email") for r in dal_notify.reviewers() if r.get("active", True)])


def expert_recipient(expert_id: str) -> list[str]:
    expert = dal.get_item(dal.expert_key(expert_id))
    return _unique([(expert or {}).get("email")]) if (expert or {}).get("active", True) else []
