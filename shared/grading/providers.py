"""After grading: periodic assessments (定期考核), rectification orders (整改), the provider record, and the
elimination (淘汰) that the daily sweep carries out.

The consecutive-failure counter is recomputed from the provider's results by period (kept on the provider record)
in the same transaction as the assessment, so a correction of an old period recomputes it too. A provider at the
limit gets `elimination_due_at`, which puts it in the sparse Due index: the sweep reads only those.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from grading import dal, deadlines, members, periods, policy_store
from grading.assessment import (
    assess,
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
    EligibilityView,
    Page,
    ProviderView,
    QualificationIn,
    QualificationReviewIn,
    QualificationView,
    RectificationReportIn,
    RectificationVerificationIn,
    RectificationView,
)
from grading.standing import derive_status, eligibility, qualification_record, reminder_day

_ATTEMPTS = 3


def _busy() -> Conflict:
    return Conflict("the provider changed while we were writing; retry the request", code="CONCURRENT_CHANGE")


def _audit(provider: dict[str, Any], at: str, actor: str, action: str, data: dict[str, Any]) -> Any:
    return entry_for(
        provider,
        at=at,
        actor=actor,
        action=action,
        data=data,
    )


def _key(key: dict[str, str]) -> tuple[str, str]:
    return key["PK"], key["SK"]


# --- assessments --------------------------------------------------------------------------------------------


def record_assessment(caller: Caller, body: AssessmentIn, now: datetime) -> AssessmentView:
    caller.require(Role.ADMIN)
    cc = body.credit_code
    for _ in range(_ATTEMPTS):
        keys = [dal.provider_key(cc), dal.assessment_key(cc, body.period)]
        found = dal.get_many(keys)
        provider = found.get(_key(keys[0]))
        existing = found.get(_key(keys[1]))
        stored = policy_store.current("assessment")
        scheme = stored.values.scheme(stored.version)
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
        if existing and body.correction is None:
            raise Conflict(
                f"{cc} already has an assessment for {body.period}; send a correction with a reason to replace it",
                code="ASSESSMENT_EXISTS",
            )
        if body.correction is not None and not existing:
            raise Conflict(f"there is no assessment of {body.period} to correct", code="NOTHING_TO_CORRECT")
        outcome = assess(scheme, body.indicators)
        at = iso(now)
        today = local_date(now)
        results = {**(provider.get("assessment_results") or {}), body.period: outcome.result}
        failures = trailing_failures(results)
        state = standing(failures, scheme.consecutive_failure_limit)
        open_orders = [
            o for o in provider.get("open_rectifications") or [] if o != (existing or {}).get("rectification_id")
        ]
        extra: list[dict[str, Any]] = []
        rectification_id = (existing or {}).get("rectification_id")
        if outcome.result == "fail" and not rectification_id:
            rectification_id = new_id()
            order: dict[str, Any] = {
                "rectification_id": rectification_id,
                "credit_code": cc,
                "provider_name": provider.get("name"),
                "period": body.period,
                "deadline": deadlines.rectification_deadline(today, stored).isoformat(),
                "status": "open",
                "opened_at": at,
                "reports": [],
            }
            extra.append(
                dal.tx_put(
                    dal.rectification_key(rectification_id),
                    "rectification",
                    order,
                    name="rectification",
                    new=True,
                    indexes=dal.rectification_indexes(order),
                )
            )
        elif outcome.result != "fail" and rectification_id:
            # A correction turned a fail into a pass: its rectification order no longer stands.
            found_order = dal.get_item(dal.rectification_key(rectification_id))
            if found_order and found_order["status"] != "accepted":
                withdrawn = {**found_order, "status": "withdrawn", "closed_at": at}
                extra.append(
                    dal.tx_put(
                        dal.rectification_key(rectification_id),
                        "rectification",
                        withdrawn,
                        name="rectification",
                        expected_version=withdrawn.pop("version"),
                    )
                )
            rectification_id = None
        revision = int((existing or {}).get("revision", 0)) + 1
        assessment: dict[str, Any] = {
            "credit_code": cc,
            "period": body.period,
            "indicators": body.indicators.model_dump(mode="json"),
            "score": str(outcome.score),
            "result": outcome.result,
            "explanation": outcome.explanation,
            "rectification_id": rectification_id,
            "recorded_at": at,
            "recorded_by": caller.sub,
            "revision": revision,
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
        extra.append(
            dal.tx_put(
                dal.assessment_key(cc, body.period),
                "assessment",
                assessment,
                name="assessment",
                new=existing is None,
                expected_version=existing["version"] if existing else None,
            )
        )
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
        try:
            dal.commit(dal.Change(cc, provider_after, int(provider["audit_seq"]), audit, extra=extra))
        except dal.TransactionConflict as lost:
            if "assessment" in lost.reasons and body.correction is None:
                raise Conflict(f"{cc} already has an assessment for {body.period}", code="ASSESSMENT_EXISTS") from None
            continue
        return AssessmentView(
            credit_code=cc,
            period=body.period,
            score=str(outcome.score),
            result=outcome.result,
            rectification_id=rectification_id,
            consecutive_failures=failures,
            provider_status=status,  # type: ignore[arg-type]
            explanation=outcome.explanation,
            revision=revision,
        )
    raise _busy()


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


# --- rectification ------------------------------------------------------------------------------------------


def _rect_view(order: dict[str, Any]) -> RectificationView:
    return RectificationView.model_validate(order)


def get_rectification(caller: Caller, rectification_id: str) -> RectificationView:
    order = dal.get_item(dal.rectification_key(rectification_id))
    if order is None or not (caller.is_staff or members.speaks_for(caller, order["credit_code"])):
        raise NotFound(f"rectification {rectification_id} not found")
    return _rect_view(order)


def _change_rectification(
    caller: Caller, rectification_id: str, now: datetime, *, owner: bool, apply: Any, action: str
) -> RectificationView:
    for _ in range(_ATTEMPTS):
        order = dal.get_item(dal.rectification_key(rectification_id))
        if order is None:
            raise NotFound(f"rectification {rectification_id} not found")
        # The provider, the caller's membership and the assessment settings: one BatchGet (patterns 4, 27, 23).
        provider, member, found = members.provider_and_membership(
            caller, order["credit_code"], policy_store.key_of("assessment")
        )
        if provider is None or (owner and member is None):
            raise NotFound(f"rectification {rectification_id} not found")
        limit = policy_store.from_found("assessment", found).values.failure_limit
        at = iso(now)
        updated = apply(dict(order), at)
        version = updated.pop("version")
        audit = _audit(
            provider, at, caller.sub, action, {"rectification_id": rectification_id, "status": updated["status"]}
        )
        try:
            dal.commit(
                dal.Change(
                    order["credit_code"],
                    {
                        **provider,
                        **_after_order(provider, rectification_id, updated["status"], limit),
                        "updated_at": at,
                    },
                    int(provider["audit_seq"]),
                    audit,
                    extra=[
                        dal.tx_put(
                            dal.rectification_key(rectification_id),
                            "rectification",
                            updated,
                            name="rectification",
                            expected_version=version,
                            indexes=dal.rectification_indexes(updated),
                        )
                    ],
                )
            )
        except dal.TransactionConflict:
            continue
        return _rect_view(updated)
    raise _busy()


def _after_order(provider: dict[str, Any], rectification_id: str, status: str, limit: int) -> dict[str, Any]:
    """The provider's open and overdue orders (and so its status) once an order is `status`."""
    still = status in ("open", "reported", "rejected")
    changed = {
        "open_rectifications": [o for o in provider.get("open_rectifications") or [] if o != rectification_id or still],
        "overdue_rectifications": [
            o for o in provider.get("overdue_rectifications") or [] if o != rectification_id or still
        ],
    }
    return {**changed, "status": derive_status({**provider, **changed}, limit)}


def report_rectification(
    caller: Caller, rectification_id: str, body: RectificationReportIn, now: datetime
) -> RectificationView:
    caller.require(Role.PROVIDER)

    def apply(order: dict[str, Any], at: str) -> dict[str, Any]:
        if order["status"] not in ("open", "rejected"):
            raise Conflict(f"the order is {order['status']}: nothing to report", code="INVALID_STATE")
        return {**order, "status": "reported", "reports": [*order["reports"], {"at": at, "report": body.report}]}

    return _change_rectification(
        caller, rectification_id, now, owner=True, apply=apply, action="rectification.reported"
    )


def verify_rectification(
    caller: Caller, rectification_id: str, body: RectificationVerificationIn, now: datetime
) -> RectificationView:
    """Accepted closes the order; rejected sends it back to the provider ("until the requirement is met")."""
    caller.require(Role.REVIEWER)

    def apply(order: dict[str, Any], at: str) -> dict[str, Any]:
        if order["status"] != "reported":
            raise Conflict(f"the order is {order['status']}: there is no report to verify", code="INVALID_STATE")
        reports = [*order["reports"]]
        reports[-1] = {**reports[-1], "decision": body.decision, "note": body.note, "by": caller.sub, "decided_at": at}
        status = "accepted" if body.decision == "accepted" else "rejected"
        return {**order, "status": status, "reports": reports, **({"closed_at": at} if status == "accepted" else {})}

    return _change_rectification(
        caller, rectification_id, now, owner=False, apply=apply, action=f"rectification.{body.decision}"
    )


def overdue_rectifications(caller: Caller, now: datetime, limit: int, token: str | None) -> Page[RectificationView]:
    caller.require(Role.REVIEWER, Role.ADMIN)
    yesterday = (local_date(now) - timedelta(days=1)).isoformat()
    items, next_token = dal.due("RECT_DEADLINE", yesterday, limit=limit, token=token)
    return Page[RectificationView](items=[_rect_view(i) for i in items], next_token=next_token)


# --- elimination (run by the daily sweep) ------------------------------------------------------------------


def eliminate(provider: dict[str, Any], now: datetime, ban_days: int | None = None) -> str | None:
    """Eliminate one provider at the limit: status, ban, certificate revoked, elimination notice, audit, in one
    transaction, by the stored assessment settings (failure limit, ban) whose version it records. Returns the notice
    id, or None when the provider is no longer due (already done, or corrected)."""
    stored = policy_store.current("assessment")
    scheme = stored.values.scheme(stored.version)
    for _ in range(_ATTEMPTS):
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
        extra = [
            dal.tx_put(
                dal.notice_key(notice_id), "notice", notice, name="notice", new=True, indexes=dal.notice_indexes(notice)
            )
        ]
        number = (current.get("certificate") or {}).get("number")
        if number:
            certificate = dal.get_item(dal.certificate_key(number))
            if certificate and certificate["status"] in ("valid", "expired"):
                revoked = {**certificate, "status": "revoked", "revoked_at": at, "revoked_reason": "elimination"}
                extra.append(
                    dal.tx_put(
                        dal.certificate_key(number),
                        "certificate",
                        revoked,
                        name="certificate",
                        expected_version=revoked.pop("version"),
                    )
                )
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
        try:
            dal.commit(dal.Change(current["credit_code"], after, int(current["audit_seq"]), audit, extra=extra))
        except dal.TransactionConflict:
            continue
        return notice_id
    raise _busy()


def days_until(day: str, today: date) -> int:
    return (date.fromisoformat(day) - today).days


# --- eligibility: the procurement integration point -------------------------------------------------------


def check_eligibility(caller: Caller, credit_code: str, category: str | None, now: datetime) -> EligibilityView:
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


def my_rectifications(caller: Caller, limit: int, token: str | None) -> Page[RectificationView]:
    caller.require(Role.PROVIDER)
    orders = members.rectifications_spoken_for(caller)
    page, next_token = members.page_of(orders, lambda o: (o["opened_at"], o["rectification_id"]), limit, token)
    return Page[RectificationView](items=[_rect_view(i) for i in page], next_token=next_token)


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
                dal.tx_put(
                    dal.qualification_key(provider["credit_code"], q["number"]),
                    "qualification",
                    record,
                    name="qualification",
                    new=new,
                    expected_version=None if new else version,
                    indexes=dal.qualification_indexes(record),
                ),
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
    for _ in range(_ATTEMPTS):
        current = dal.get_item(dal.qualification_key(q["credit_code"], q["number"]))
        provider = dal.get_provider(q["credit_code"])
        if current is None or provider is None or current.get("status") != expected:
            return False
        at = iso(now)
        if step == "remind":
            changed = {**current, "status": "expiring", "reminded_on": local_date(now).isoformat()}
        else:
            changed = {**current, "status": "expired", "expired_on": local_date(now).isoformat()}
        try:
            _commit_qualification(
                provider,
                changed,
                at,
                "daily-sweep",
                f"qualification.{changed['status']}",
                {"valid_until": current["valid_until"]},
            )
        except dal.TransactionConflict:
            continue
        return True
    raise _busy()


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
        raise _busy() from None
    return _qualification_view(q)


def review_qualification(
    caller: Caller, credit_code: str, number: str, body: QualificationReviewIn, now: datetime
) -> QualificationView:
    """Accepted: it counts (and the one it replaces stops counting); the provider is active again when nothing
    else keeps it warned."""
    caller.require(Role.REVIEWER)
    for _ in range(_ATTEMPTS):
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
                extra.append(
                    dal.tx_put(
                        dal.qualification_key(credit_code, old["number"]),
                        "qualification",
                        replaced,
                        name="replaced",
                        expected_version=replaced.pop("version", None),
                    )
                )
        try:
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
        except dal.TransactionConflict:
            continue
        return _qualification_view(changed)
    raise _busy()
