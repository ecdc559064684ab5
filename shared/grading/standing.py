"""A provider's standing: its status (active / warned / eliminated), its declared qualifications (资质) and their
expiry, and the one question procurement asks before awarding work: may this provider be used now?

Everything eligibility needs is kept on the provider record itself (certificate, status, ban, category, open
rectification orders, qualifications and their dates), so the answer is one GetItem.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

# Fixed by DOMAIN.md ("Qualifications expire": reminded 30 days before), not a setting (unlike the review's
# qualification minimum, `review` settings); the reminder day is stamped on each qualification record.
EXPIRY_NOTICE_DAYS = 30

Eligibility = Literal["allowed", "warning", "not_allowed"]


def derive_status(provider: dict[str, Any], failure_limit: int) -> str:
    """Warned one failure short of the limit (or at it, until the sweep eliminates), or with an expired mandatory
    qualification; active otherwise. Elimination is final until the ban ends and a new grading."""
    if provider.get("status") == "eliminated":
        return "eliminated"
    failures = int(provider.get("consecutive_failures") or 0)
    expired = [
        q
        for q in (provider.get("qualifications") or {}).values()
        if q.get("status") == "expired" and q.get("mandatory", True)
    ]
    if (failures > 0 and failures >= failure_limit - 1) or expired or provider.get("overdue_rectifications"):
        return "warned"
    return "active"


def qualification_record(q: dict[str, Any]) -> dict[str, Any]:
    """What the provider record keeps of one declared qualification."""
    return {
        # Stored qualification items call it qualification_type: `type` is the item-type attribute of the table.
        "type": q.get("qualification_type") or q.get("type"),
        "valid_until": q["valid_until"],
        "mandatory": bool(q.get("mandatory", True)),
        "status": q.get("status", "valid"),
    }


def reminder_day(valid_until: str) -> str:
    return (date.fromisoformat(valid_until) - timedelta(days=EXPIRY_NOTICE_DAYS)).isoformat()


def _blocking(provider: dict[str, Any], category: str | None, today: date) -> list[dict[str, str]]:
    """What makes a provider not_allowed."""
    blocking: list[dict[str, str]] = []
    if provider.get("status") == "eliminated":
        blocking.append(
            {"code": "ELIMINATED", "message": "eliminated after consecutive failed assessment periods (淘汰)"}
        )
    banned_until = provider.get("banned_until")
    if banned_until and date.fromisoformat(banned_until) > today:
        blocking.append({"code": "BANNED", "message": f"banned until {banned_until} (禁入期)"})
    certificate = provider.get("certificate")
    if not certificate:
        blocking.append({"code": "NO_CERTIFICATE", "message": "holds no grade certificate"})
    elif provider.get("status") != "eliminated" and date.fromisoformat(certificate["valid_until"]) < today:
        blocking.append(
            {
                "code": "CERTIFICATE_EXPIRED",
                "message": f"certificate {certificate['number']} expired on {certificate['valid_until']}",
            }
        )
    if category and provider.get("category") != category:
        blocking.append(
            {
                "code": "NOT_GRADED_IN_CATEGORY",
                "message": f"graded in {provider.get('category') or 'no category'}, not {category}",
            }
        )
    return blocking


def _warnings(provider: dict[str, Any], today: date) -> list[dict[str, str]]:
    """What a buyer is told about an allowed provider: a warning, its open or overdue orders, its qualifications."""
    warnings: list[dict[str, str]] = []
    if provider.get("status") == "warned":
        warnings.append(
            {
                "code": "WARNED",
                "message": f"warned: {int(provider.get('consecutive_failures') or 0)} consecutive failed period(s)",
            }
        )
    open_orders = provider.get("open_rectifications") or []
    if open_orders:
        warnings.append(
            {"code": "OPEN_RECTIFICATION", "message": f"{len(open_orders)} rectification order(s) open (整改)"}
        )
    overdue = provider.get("overdue_rectifications") or []
    if overdue:
        warnings.append(
            {"code": "RECTIFICATION_OVERDUE", "message": f"{len(overdue)} rectification order(s) past the deadline"}
        )
    return warnings + _qualification_warnings(provider, today)


def _qualification_warnings(provider: dict[str, Any], today: date) -> list[dict[str, str]]:
    warnings: list[dict[str, str]] = []
    for number, q in sorted((provider.get("qualifications") or {}).items()):
        until = date.fromisoformat(q["valid_until"])
        if q.get("status") in ("replaced", "pending", "rejected"):
            continue
        if until < today:
            warnings.append(
                {"code": "QUALIFICATION_EXPIRED", "message": f"{q['type']} {number} expired on {q['valid_until']}"}
            )
        elif until <= today + timedelta(days=EXPIRY_NOTICE_DAYS):
            warnings.append(
                {"code": "QUALIFICATION_EXPIRING", "message": f"{q['type']} {number} expires on {q['valid_until']}"}
            )
    return warnings


def eligibility(
    provider: dict[str, Any], category: str | None, today: date
) -> tuple[Eligibility, list[dict[str, str]]]:
    blocking = _blocking(provider, category, today)
    warnings = _warnings(provider, today)
    if blocking:
        return "not_allowed", blocking + warnings
    if warnings:
        return "warning", warnings
    return "allowed", []
