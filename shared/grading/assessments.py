"""Periodic assessments (定期考核) of certified providers: recorded, or corrected with a reason.

The consecutive-failure counter is recomputed from the provider's results by period (kept on the provider record)
in the same transaction as the assessment, so a correction of an old period recomputes it too. A provider at the
limit gets `elimination_due_at`, which puts it in the sparse Due index: the sweep reads only those (elimination.py).
A failed period opens a rectification order (rectifications.py) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import dal, deadlines, periods, policy_store
from grading.assessment import (
    AssessmentScheme,
    Outcome,
    assess,
    before_certification,
    period_problem,
    standing,
    trailing_failures,
)
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.errors import Conflict, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.ids import new_id
from grading.models import (
    AssessmentIn,
    AssessmentView,
)
from grading.policy_store import Stored
from grading.races import retrying
from grading.standing import derive_status
from grading.store import assessments as store_assessments
from grading.store import rectifications as store_rectifications


def _audit(provider: dict[str, Any], at: str, actor: str, action: str, data: dict[str, Any]) -> Any:
    return entry_for(provider, at=at, actor=actor, action=action, data=data)


def _key(key: dict[str, str]) -> tuple[str, str]:
    return key["PK"], key["SK"]


# --- assessments --------------------------------------------------------------------------------------------


def _refuse(
    body: AssessmentIn,
    provider: dict[str, Any] | None,
    existing: dict[str, Any] | None,
    scheme: AssessmentScheme,
    now: datetime,
) -> dict[str, Any]:
    """The provider, once the period and the records allow this assessment; raises the reason otherwise."""
    cc = body.credit_code
    problem = period_problem(body.period, scheme.period_kind)
    if problem:
        raise InvalidInput.field("period", problem)
    if not periods.has_ended(body.period, local_date(now)):
        raise Conflict(
            f"{body.period} has not ended (it ends on {periods.last_day(body.period).isoformat()})",
            code="PERIOD_NOT_ENDED",
            details=[{"field": "period", "message": "can be assessed once it has ended"}],
        )
    if provider is None:
        raise NotFound(f"provider {cc} not found")
    if not provider.get("certificate") or provider.get("status") == "eliminated":
        raise Conflict(f"provider {cc} holds no certificate to assess", code="NOT_CERTIFIED")
    if early := before_certification(body.period, provider.get("certified_since")):
        raise Conflict(early, code="BEFORE_CERTIFICATION", details=[{"field": "period", "message": early}])
    if existing and body.correction is None:
        raise Conflict(
            f"{cc} already has an assessment for {body.period}; send a correction with a reason to replace it",
            code="ASSESSMENT_EXISTS",
        )
    if body.correction is not None and not existing:
        raise Conflict(f"there is no assessment of {body.period} to correct", code="NOTHING_TO_CORRECT")
    return provider


def _rectification(
    body: AssessmentIn,
    provider: dict[str, Any],
    existing: dict[str, Any] | None,
    result: str,
    stored: Stored,
    now: datetime,
) -> tuple[str | None, list[dict[str, Any]]]:
    """The period's rectification order after this result, and its write: a fail opens one (a correction keeps
    the one it had); a correction to a pass withdraws it."""
    at = iso(now)
    rectification_id = (existing or {}).get("rectification_id")
    if result == "fail" and not rectification_id:
        rectification_id = new_id()
        deadline, used = deadlines.rectification_deadline(local_date(now), stored)
        order: dict[str, Any] = {
            "rectification_id": rectification_id,
            "credit_code": body.credit_code,
            "provider_name": provider.get("name"),
            "period": body.period,
            "deadline": deadline.isoformat(),
            **used,  # the assessment settings and the calendar that shaped the deadline
            "status": "open",
            "opened_at": at,
            "reports": [],
        }
        return rectification_id, [store_rectifications.new_rectification_item(order)]
    if result != "fail" and rectification_id:
        # A correction turned a fail into a pass: its rectification order no longer stands.
        found_order = dal.get_item(dal.rectification_key(rectification_id))
        if found_order and found_order["status"] != "accepted":
            withdrawn = {**found_order, "status": "withdrawn", "closed_at": at}
            version = withdrawn.pop("version")
            return None, [store_rectifications.withdrawn_rectification_item(withdrawn, version)]
        return None, []
    return rectification_id, []


def _record(
    caller: Caller,
    body: AssessmentIn,
    existing: dict[str, Any] | None,
    outcome: Outcome,
    rectification_id: str | None,
    stored: Stored,
    at: str,
) -> dict[str, Any]:
    assessment: dict[str, Any] = {
        "credit_code": body.credit_code,
        "period": body.period,
        "indicators": body.indicators.model_dump(mode="json"),
        "score": str(outcome.score),
        "result": outcome.result,
        "explanation": outcome.explanation,
        "rectification_id": rectification_id,
        "recorded_at": at,
        "recorded_by": caller.sub,
        "revision": int((existing or {}).get("revision", 0)) + 1,
        "settings": stored.ref,
    }
    if body.correction is not None:
        assessment["corrections"] = [
            *(existing or {}).get("corrections", []),
            {
                "at": at,
                "by": caller.sub,
                "reason": body.correction.reason,
                "previous": {"score": (existing or {}).get("score"), "result": (existing or {}).get("result")},
            },
        ]
    return assessment


def record_assessment(caller: Caller, body: AssessmentIn, now: datetime) -> AssessmentView:
    caller.require(Role.ADMIN)
    cc = body.credit_code

    def attempt() -> AssessmentView:
        keys = [dal.provider_key(cc), dal.assessment_key(cc, body.period)]
        found = dal.get_many(keys)
        existing = found.get(_key(keys[1]))
        stored = policy_store.current("assessment")
        scheme = stored.values.scheme(stored.version)
        provider = _refuse(body, found.get(_key(keys[0])), existing, scheme, now)
        outcome = assess(scheme, body.indicators)
        at = iso(now)
        results = {**(provider.get("assessment_results") or {}), body.period: outcome.result}
        failures = trailing_failures(results)
        state = standing(failures, scheme.consecutive_failure_limit)
        open_orders = [
            o for o in provider.get("open_rectifications") or [] if o != (existing or {}).get("rectification_id")
        ]
        rectification_id, extra = _rectification(body, provider, existing, outcome.result, stored, now)
        assessment = _record(caller, body, existing, outcome, rectification_id, stored, at)
        extra.append(store_assessments.assessment_item(cc, body.period, assessment, existing))
        if rectification_id:
            open_orders.append(rectification_id)
        provider_after = {
            **provider,
            "open_rectifications": open_orders,
            "assessment_results": results,
            "assessment_scores": {**(provider.get("assessment_scores") or {}), body.period: str(outcome.score)},
            "consecutive_failures": failures,
            "elimination_due_at": at if state == "due_for_elimination" else None,
            "updated_at": at,
        }
        status = derive_status(provider_after, scheme.consecutive_failure_limit)
        provider_after["status"] = status
        audit = _audit(
            provider,
            at,
            caller.sub,
            "assessment.corrected" if body.correction else "assessment.recorded",
            {
                "period": body.period,
                "score": str(outcome.score),
                "result": outcome.result,
                "consecutive_failures": failures,
                "rectification_id": rectification_id,
                "reason": body.correction.reason if body.correction else None,
                "settings": stored.ref,
            },
        )
        dal.commit(dal.Change(cc, provider_after, int(provider["audit_seq"]), audit, extra=extra))
        return AssessmentView(
            credit_code=cc,
            period=body.period,
            score=str(outcome.score),
            result=outcome.result,
            rectification_id=rectification_id,
            consecutive_failures=failures,
            provider_status=status,  # type: ignore[arg-type]
            explanation=outcome.explanation,
            revision=assessment["revision"],
        )

    def on_lost(lost: dal.TransactionConflict) -> None:
        if "assessment" in lost.reasons and body.correction is None:
            raise Conflict(f"{cc} already has an assessment for {body.period}", code="ASSESSMENT_EXISTS") from None

    return retrying(attempt, on_lost=on_lost, what="provider")
