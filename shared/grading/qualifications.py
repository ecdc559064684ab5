"""A provider's qualifications (资质): reminders and expiry (run by the daily sweep), and a replacement declared by
the provider and reviewed by staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import dal, members, policy_store
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.errors import Conflict, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.models import (
    QualificationIn,
    QualificationReviewIn,
    QualificationView,
)
from grading.races import busy, retrying
from grading.standing import derive_status, qualification_record, reminder_day
from grading.store import qualifications as store_qualifications


def _audit(provider: dict[str, Any], at: str, actor: str, action: str, data: dict[str, Any]) -> Any:
    return entry_for(provider, at=at, actor=actor, action=action, data=data)


# --- qualifications (资质): reminders, expiry, replacement -------------------------------------------------


def _commit_qualification(
    provider: dict[str, Any],
    q: dict[str, Any],
    at: str,
    actor: str,
    action: str,
    data: dict[str, Any],
    *,
    new: bool = False,
    extra: list[dict[str, Any]] | None = None,
    limit: int | None = None,
) -> None:
    """`limit`: the assessment settings' failure limit, when the caller read them with its other items."""
    record = dict(q)
    version = record.pop("version", None)
    qualifications = {**(provider.get("qualifications") or {}), q["number"]: qualification_record(q)}
    after = {**provider, "qualifications": qualifications, "updated_at": at}
    if limit is None:
        limit = policy_store.current("assessment").values.failure_limit
    after["status"] = derive_status(after, limit)
    dal.commit(
        dal.Change(
            provider["credit_code"],
            after,
            int(provider["audit_seq"]),
            _audit(provider, at, actor, action, {"number": q["number"], **data}),
            extra=[
                store_qualifications.qualification_item(provider["credit_code"], record, new=new, version=version),
                *(extra or []),
            ],
        )
    )


def _qualification_view(q: dict[str, Any]) -> QualificationView:
    return QualificationView.model_validate({**q, "type": q.get("qualification_type")})


def advance_qualification(q: dict[str, Any], step: str, now: datetime) -> bool:
    """The sweep's two steps: `remind` 30 days before expiry (QualificationExpiring), `expire` the day after the
    last valid day (the provider is warned while a mandatory qualification is expired)."""
    expected = {"remind": "valid", "expire": "expiring"}[step]

    def attempt() -> bool:
        current = dal.get_item(dal.qualification_key(q["credit_code"], q["number"]))
        provider = dal.get_provider(q["credit_code"])
        if current is None or provider is None or current.get("status") != expected:
            return False
        at = iso(now)
        if step == "remind":
            changed = {**current, "status": "expiring", "reminded_on": local_date(now).isoformat()}
        else:
            changed = {**current, "status": "expired", "expired_on": local_date(now).isoformat()}
        _commit_qualification(
            provider,
            changed,
            at,
            "daily-sweep",
            f"qualification.{changed['status']}",
            {"valid_until": current["valid_until"]},
        )
        return True

    return retrying(attempt, what="provider")


def submit_qualification(caller: Caller, credit_code: str, body: QualificationIn, now: datetime) -> QualificationView:
    """The provider declares a new (renewed) qualification; it counts once a reviewer accepts it."""
    caller.require(Role.PROVIDER)
    # The provider, the caller's membership and the assessment settings: one BatchGet (patterns 4, 27, 23).
    provider, member, found = members.provider_and_membership(caller, credit_code, policy_store.key_of("assessment"))
    if provider is None or member is None:
        raise NotFound(f"provider {credit_code} not found")
    limit = policy_store.from_found("assessment", found).values.failure_limit
    if body.valid_until <= local_date(now):
        raise InvalidInput.field("valid_until", "must be in the future")
    if body.replaces and body.replaces not in (provider.get("qualifications") or {}):
        raise InvalidInput.field("replaces", "is not a qualification of this provider")
    at = iso(now)
    q = {
        "credit_code": credit_code,
        "number": body.number,
        "qualification_type": body.type,
        "issuer": body.issuer,
        "valid_until": body.valid_until.isoformat(),
        "mandatory": body.mandatory,
        "replaces": body.replaces,
        "status": "pending",
        "submitted_at": at,
        "remind_on": reminder_day(body.valid_until.isoformat()),
    }
    try:
        _commit_qualification(
            provider, q, at, caller.sub, "qualification.submitted", {"replaces": body.replaces}, new=True, limit=limit
        )
    except dal.TransactionConflict as lost:
        if "qualification" in lost.reasons:
            raise Conflict(f"qualification {body.number} is already declared", code="QUALIFICATION_EXISTS") from None
        raise busy("provider") from None
    return _qualification_view(q)


def review_qualification(
    caller: Caller, credit_code: str, number: str, body: QualificationReviewIn, now: datetime
) -> QualificationView:
    """Accepted: it counts (and the one it replaces stops counting); the provider is active again when nothing
    else keeps it warned."""
    caller.require(Role.REVIEWER)

    def attempt() -> QualificationView:
        # The qualification, its provider and the assessment settings: one BatchGet (patterns 21, 4, 23).
        q_key = dal.qualification_key(credit_code, number)
        provider, _, found = members.provider_and_membership(
            caller, credit_code, q_key, policy_store.key_of("assessment")
        )
        q = found.get((q_key["PK"], q_key["SK"]))
        if q is None or provider is None:
            raise NotFound(f"qualification {number} of {credit_code} not found")
        if q["status"] != "pending":
            raise Conflict(f"qualification {number} is {q['status']}, not pending review", code="INVALID_STATE")
        at = iso(now)
        accepted = body.decision == "accepted"
        changed = {
            **q,
            "status": "valid" if accepted else "rejected",
            "reviewed_by": caller.sub,
            "reviewed_at": at,
            "review_note": body.note,
        }
        extra: list[dict[str, Any]] = []
        if accepted and q.get("replaces"):
            old = dal.get_item(dal.qualification_key(credit_code, q["replaces"]))
            if old is not None:
                replaced = {**old, "status": "replaced", "replaced_by": number}
                listed = {**(provider.get("qualifications") or {}), old["number"]: qualification_record(replaced)}
                provider = {**provider, "qualifications": listed}
                version = replaced.pop("version", None)
                extra.append(store_qualifications.replaced_qualification_item(credit_code, replaced, version))
        _commit_qualification(
            provider,
            changed,
            at,
            caller.sub,
            f"qualification.{changed['status']}",
            {"note": body.note},
            extra=extra,
            limit=policy_store.from_found("assessment", found).values.failure_limit,
        )
        return _qualification_view(changed)

    return retrying(attempt, what="provider")
