"""Elimination (淘汰), carried out by the daily sweep for a provider at the consecutive-failure limit: status, ban,
certificate revoked, elimination notice and audit entry in one transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from grading import certificates, dal, policy_store
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.ids import new_id
from grading.races import retrying
from grading.store import notices as store_notices


def _audit(provider: dict[str, Any], at: str, actor: str, action: str, data: dict[str, Any]) -> Any:
    return entry_for(provider, at=at, actor=actor, action=action, data=data)


# --- elimination (run by the daily sweep) ------------------------------------------------------------------


def eliminate(provider: dict[str, Any], now: datetime, ban_days: int | None = None) -> str | None:
    """Eliminate one provider at the limit: status, ban, certificate revoked, elimination notice, audit, in one
    transaction, by the stored assessment settings (failure limit, ban) whose version it records. Returns the notice
    id, or None when the provider is no longer due (already done, or corrected)."""
    stored = policy_store.current("assessment")
    scheme = stored.values.scheme(stored.version)

    def attempt() -> str | None:
        current = dal.get_provider(provider["credit_code"])
        if (
            current is None
            or current.get("status") == "eliminated"
            or not current.get("elimination_due_at")
            or int(current.get("consecutive_failures") or 0) < scheme.consecutive_failure_limit
        ):
            return None
        at = iso(now)
        today = local_date(now)
        banned_until = (today + timedelta(days=ban_days or scheme.ban_days)).isoformat()
        notice_id = new_id()
        failed = sorted(p for p, r in (current.get("assessment_results") or {}).items() if r == "fail")
        notice = {
            "notice_id": notice_id,
            "kind": "elimination",
            "status": "closed",
            "published_at": at,
            "entries": [
                {
                    "provider_name": current.get("name", ""),
                    "credit_code": current["credit_code"],
                    "category": current.get("category"),
                    "grade": None,
                    "note": f"连续{current.get('consecutive_failures')}个考核期不合格（{'、'.join(failed[-2:])}），"
                    f"予以淘汰，禁入至{banned_until}。Eliminated after consecutive failed periods; banned until "
                    f"{banned_until}.",
                }
            ],
        }
        extra = [store_notices.new_notice_item(notice_id, notice)]
        number = certificates.number_held(current) or None
        held = certificates.held_by(current)
        if held is not None and certificates.can_revoke(held):
            extra.append(certificates.revoke(held, at, "elimination"))
        after = {
            **current,
            "status": "eliminated",
            "banned_until": banned_until,
            "eliminated_at": at,
            "elimination_notice_id": notice_id,
            "elimination_due_at": None,
            "elimination_settings": stored.ref,
            "updated_at": at,
        }
        audit = _audit(
            current,
            at,
            "daily-sweep",
            "provider.eliminated",
            {
                "banned_until": banned_until,
                "notice_id": notice_id,
                "certificate": number,
                "failed_periods": failed,
                "settings": stored.ref,
            },
        )
        dal.commit(dal.Change(current["credit_code"], after, int(current["audit_seq"]), audit, extra=extra))
        return notice_id

    return retrying(attempt, what="provider")
