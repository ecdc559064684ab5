"""Applications and initial review (lifecycle steps 1-2): what may be submitted, by whom, and what a review decides.

Every change reads the records, decides with the pure rules (`lifecycle`, `credit_code`, the checks below) and
writes one transaction through `dal.commit` with the provider's next audit entry. A lost race re-reads and decides
again, so a retried request never changes anything twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from grading import dal, deadlines, members, policy_store
from grading.audit import entry_for, next_entry
from grading.clock import iso, local_date
from grading.config import settings
from grading.errors import Conflict, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.ids import new_id
from grading.lifecycle import ACCEPTS_DOCUMENTS, Action, Status, history_entry, releases_slot, transition
from grading.models import (
    ApplicationIn,
    ApplicationPage,
    ApplicationSummary,
    ApplicationView,
    DocumentKind,
    DocumentRequest,
    DocumentView,
    Qualification,
    ResubmitIn,
    ReviewIn,
    UploadTicket,
    WithdrawIn,
)
from grading.races import busy, retrying
from grading.schemes import default_scheme
from grading.store import idempotency as store_idempotency
from grading.store import objects as storage
from grading.store import panels as store_panels

# The documents a review needs to see in the bucket before it can pass an application.
REQUIRED_DOCUMENTS = (DocumentKind.BUSINESS_LICENSE, DocumentKind.QUALIFICATION_CERTIFICATE)


# --- pure checks --------------------------------------------------------------------------------------------


def qualification_problems(
    qualifications: list[Qualification], today: date, field: str, review: policy_store.Stored | None = None
) -> list[dict[str, str]]:
    """Each certificate must stay valid for the stored review settings' number of days (default 30) from `today`;
    `review`: those settings, where the caller read them in a BatchGet of its own (else they are read here)."""
    min_days = (review or policy_store.current("review")).values.qualification_min_days
    earliest = today + timedelta(days=min_days)
    return [
        {
            "field": f"{field}.{i}.valid_until",
            "message": f"must be valid for at least {min_days} more days (on or after {earliest.isoformat()})",
        }
        for i, q in enumerate(qualifications)
        if q.valid_until < earliest
    ]


def ban_in_force(provider: dict[str, Any] | None, today: date) -> str | None:
    banned_until = (provider or {}).get("banned_until")
    return banned_until if banned_until and date.fromisoformat(banned_until) > today else None


def _history(at: str, actor: str, action: Action, before: str | None, after: Status, **extra: Any) -> dict[str, Any]:
    return history_entry(at, actor, action.value, before, after.value, omit=(None, [], ""), **extra)


def _owns(caller: Caller, app: dict[str, Any], provider: dict[str, Any] | None = None) -> bool:
    """The application's owner: a member of its provider (or its submitter while the provider is unclaimed)."""
    return members.speaks_for_application(caller, app, provider)


# --- submit ------------------------------------------------------------------------------------------------


def submit(caller: Caller, body: ApplicationIn, now: datetime) -> dict[str, Any]:
    answer, _ = submit_once(caller, body, now, None)
    return answer


def _refuse_submission(
    caller: Caller, cc: str, provider: dict[str, Any] | None, slot: dict[str, Any] | None, today: date
) -> None:
    """Raises why this caller may not submit for `cc` now: a claimed provider it does not speak for, an active
    application, a ban in force."""
    if members.claimed(provider) and not members.speaks_for(caller, cc, provider):
        raise members.claimed_conflict(cc)  # before the slot: a stranger learns nothing of its applications
    if slot:
        raise _duplicate(cc, slot.get("application_id"))
    banned_until = ban_in_force(provider, today)
    if banned_until:
        raise Conflict(
            f"provider {cc} is banned from applying until {banned_until} (淘汰禁入期)",
            code="PROVIDER_BANNED",
            details=[{"field": "provider.credit_code", "message": f"banned until {banned_until}"}],
        )


def submit_once(
    caller: Caller, body: ApplicationIn, now: datetime, idempotency_key: str | None
) -> tuple[dict[str, Any], bool]:
    """Submit; with an Idempotency-Key, a retry gets the first answer back (`True`: replayed), and the key with
    another body is refused. The key's record is read in the same BatchGet as the provider and written in the
    same transaction as the application, so there is no window where the application exists without it: two
    round trips in all, and a concurrent retry either reads the record or loses the transaction and then reads it."""
    caller.require(Role.PROVIDER)
    payload = hashlib.sha256(json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    key = dal.idempotency_key("submit-application", caller.sub, idempotency_key) if idempotency_key else None
    today = local_date(now)
    problems = qualification_problems(body.qualifications, today, "qualifications")
    if problems:
        raise InvalidInput("qualification certificates expire too soon", details=problems)
    cc = body.provider.credit_code

    def attempt() -> tuple[dict[str, Any], bool]:
        provider, slot, current_scheme, seen = dal.get_submission_context_and(cc, key)
        if seen is not None and int(seen.get("ttl") or 0) > now.timestamp():  # DynamoDB's TTL deletes lazily
            if seen["payload_sha256"] != payload:
                raise InvalidInput.field("Idempotency-Key", "was already used with a different body")
            return dict(seen["answer"]), True
        scheme = current_scheme or default_scheme().model_dump(mode="json")
        _refuse_submission(caller, cc, provider, slot, today)
        at = iso(now)
        application_id = new_id()
        application = {
            "application_id": application_id,
            "credit_code": cc,
            "owner_sub": caller.sub,  # the submitter; members of the provider speak for it too
            "owner_email": caller.email,
            "status": Status.SUBMITTED.value,
            "provider": body.provider.model_dump(mode="json"),
            "qualifications": [q.model_dump(mode="json") for q in body.qualifications],
            "service_cases": [c.model_dump(mode="json") for c in body.service_cases],
            "submitted_at": at,
            "updated_at": at,
            "history": [_history(at, caller.sub, Action.SUBMIT, None, Status.SUBMITTED)],
            # The application keeps the scheme it started with, whatever version is adopted later.
            "scheme_version": scheme["version"],
            "scheme": scheme,
        }
        seq = (provider or {}).get("audit_seq", 0)
        # Until a reviewer passes it, an application changes nothing on an existing provider record (claims).
        record = provider or {
            "credit_code": cc,
            "status": "active",
            "created_at": at,
            "name": body.provider.name,
            "category": body.provider.category,
            "region": body.provider.region,
            "updated_at": at,
        }
        audit = next_entry(
            prev_seq=seq,
            prev_hash=(provider or {}).get("audit_head"),
            at=at,
            actor=caller.sub,
            action="application.submitted",
            credit_code=cc,
            data={"application_id": application_id, "category": body.provider.category},
        )
        answer = {"application_id": application_id, "status": Status.SUBMITTED.value}
        extra = [_idempotency_record(key, payload, answer, now)] if key else []
        change = dal.Change(
            cc, record, seq, audit, application=application, expected_version=None, slot="acquire", extra=extra
        )
        dal.commit(change)
        return answer, False

    def on_lost(lost: dal.TransactionConflict) -> None:
        if "idempotency" in lost.reasons:
            return  # the same request, committed meanwhile: the next read replays its answer
        if "slot" in lost.reasons:
            _, slot = dal.get_provider_and_slot(cc)
            raise _duplicate(cc, (slot or {}).get("application_id")) from None

    return retrying(attempt, on_lost=on_lost, what="application")


def _idempotency_record(key: dict[str, str], payload: str, answer: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Put unless a live record is there (an expired one, not yet deleted by TTL, is replaced)."""
    expires = int(now.timestamp()) + settings().idempotency_ttl_seconds
    body = {"payload_sha256": payload, "answer": answer, "created_at": iso(now), "ttl": expires}
    return store_idempotency.idempotency_item(key, body, int(now.timestamp()))


def _duplicate(cc: str, application_id: str | None) -> Conflict:
    return Conflict(
        f"credit code {cc} already has an active application {application_id or ''}".strip(),
        code="DUPLICATE_APPLICATION",
        details=[{"field": "provider.credit_code", "message": f"active application {application_id}"}],
    )


# --- reads -------------------------------------------------------------------------------------------------


def on_panel(caller: Caller, dossier: dal.Dossier) -> bool:
    panel = dossier.panel()
    return caller.has(Role.EXPERT) and panel is not None and caller.sub in panel["members"]


def load_visible(caller: Caller, application_id: str) -> dal.Dossier:
    """The dossier, if the caller may see it: staff, the owner, or an expert on its current panel."""
    dossier = dal.get_dossier(application_id)
    app = dossier.application
    # Someone else's application is "not found", not "forbidden": its existence must not leak.
    if app is None or not (caller.is_staff or on_panel(caller, dossier) or _owns(caller, app)):
        raise NotFound(f"application {application_id} not found")
    return dossier


Found = dict[tuple[str, str], dict[str, Any]]  # a BatchGet's items, keyed by (PK, SK)


def _load_owned(
    caller: Caller, application_id: str, settings_names: Sequence[str] = ()
) -> tuple[dal.Dossier, dict[str, Any] | None, bool, Found]:
    """`load_visible` for a change: the dossier, its provider, whether the caller owns the application, and the
    BatchGet's items (the provider and the caller's membership read in one BatchGet, with the named settings the
    change needs, patterns 1 then 4 + 27 + 23: two round trips)."""
    dossier = dal.get_dossier(application_id)
    app = dossier.application
    if app is None:
        raise NotFound(f"application {application_id} not found")
    also = [policy_store.key_of(n) for n in settings_names]
    provider, member, found = members.provider_and_membership(caller, app["credit_code"], *also)
    owns = members.owns_application(caller, app, provider, member)
    if not (caller.is_staff or on_panel(caller, dossier) or owns):
        raise NotFound(f"application {application_id} not found")
    return dossier, provider, owns, found


def _load_visible(caller: Caller, application_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dossier = load_visible(caller, application_id)
    assert dossier.application is not None
    return dossier.application, dossier.documents


def summary(app: dict[str, Any]) -> ApplicationSummary:
    return ApplicationSummary(
        application_id=app["application_id"],
        credit_code=app["credit_code"],
        provider_name=app["provider"]["name"],
        category=app["provider"]["category"],
        status=app["status"],
        submitted_at=app["submitted_at"],
        updated_at=app["updated_at"],
    )


def view(caller: Caller, application_id: str) -> ApplicationView:
    app, docs = _load_visible(caller, application_id)
    return view_of(app, docs)


def view_of(app: dict[str, Any], docs: list[dict[str, Any]]) -> ApplicationView:
    return ApplicationView(
        **summary(app).model_dump(),
        provider=app["provider"],
        qualifications=app["qualifications"],
        service_cases=app.get("service_cases", []),
        documents=[DocumentView.model_validate(d) for d in sorted(docs, key=lambda d: d["created_at"])],
        history=app["history"],
        return_deadline=app.get("return_deadline"),
        grade=int(app["grade"]) if app.get("grade") is not None else None,
        total=str(app["total"]) if app.get("total") is not None else None,
        explanation=app.get("explanation"),
        certificate_number=app.get("certificate_number"),
    )


def list_by_status(caller: Caller, status: Status, limit: int, token: str | None) -> ApplicationPage:
    caller.require(Role.REVIEWER, Role.ADMIN)
    items, next_token = dal.applications_by_status(status.value, limit, token)
    return ApplicationPage(items=[summary(a) for a in items], next_token=next_token)


def list_mine(caller: Caller, limit: int, token: str | None) -> ApplicationPage:
    """The applications the caller speaks for (its providers', and its own for an unclaimed one), newest first."""
    caller.require(Role.PROVIDER)
    found = [
        summary(a) if "provider" in a else ApplicationSummary.model_validate(a)
        for a in members.applications_spoken_for(caller)
    ]
    page, next_token = members.page_of(found, lambda s: (s.submitted_at, s.application_id), limit, token)
    return ApplicationPage(items=page, next_token=next_token)


# --- documents ---------------------------------------------------------------------------------------------


def request_upload(caller: Caller, application_id: str, body: DocumentRequest, now: datetime) -> UploadTicket:
    caller.require(Role.PROVIDER)
    dossier, _, owns, _ = _load_owned(caller, application_id)
    app = dossier.application
    if app is None or not owns:
        raise NotFound(f"application {application_id} not found")
    if Status(app["status"]) not in ACCEPTS_DOCUMENTS:
        raise Conflict(f"documents cannot be added to an application that is {app['status']}", code="INVALID_STATE")
    document_id = new_id()
    key = storage.document_key(application_id, document_id, body.filename)
    document = {
        "document_id": document_id,
        "kind": body.kind.value,
        "filename": body.filename,
        "content_type": body.content_type,
        "declared_size": body.size,
        "key": key,
        "created_at": iso(now),
    }
    try:
        dal.put_document(application_id, app["version"], document)
    except dal.client().exceptions.TransactionCanceledException:
        raise busy("application") from None
    post = storage.presigned_upload(key, body.content_type)
    return UploadTicket(
        document_id=document_id,
        kind=body.kind,
        key=key,
        url=post["url"],
        fields=post["fields"],
        expires_at=iso(now + timedelta(seconds=settings().upload_url_seconds)),
        max_bytes=settings().upload_max_bytes,
    )


def verify_documents(docs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The documents really in the bucket, and what is missing for a pass (as error details)."""
    verified: list[dict[str, Any]] = []
    problems: list[dict[str, str]] = []
    for doc in docs:
        found = storage.inspect(doc["key"], doc["content_type"])
        if found.acceptable:
            verified.append(
                {
                    "document_id": doc["document_id"],
                    "kind": doc["kind"],
                    "size": found.size,
                    "version_id": found.version_id,
                    "etag": found.etag,
                }
            )
        elif found.present:
            problems.append(
                {"field": f"documents.{doc['document_id']}", "message": f"{doc['filename']} {found.problem}"}
            )
    kinds = {d["kind"] for d in verified}
    for required in REQUIRED_DOCUMENTS:
        if required.value not in kinds:
            problems.append(
                {"field": f"documents.{required.value}", "message": "no valid uploaded document of this kind"}
            )
    return verified, problems


# --- state changes -----------------------------------------------------------------------------------------

# (application, documents, provider, the BatchGet's items with the settings `_change` was asked to read)
Decide = Callable[[dict[str, Any], list[dict[str, Any]], dict[str, Any], Found], dict[str, Any]]


def _change(
    caller: Caller,
    application_id: str,
    action: Action,
    now: datetime,
    *,
    owner_only: bool,
    decide: Decide,
    history_extra: Callable[[], dict[str, Any]] = dict,
    settings_names: Sequence[str] = (),
) -> ApplicationView:
    """Read, check, and commit one status change with its audit entry; re-decide if we lose a race. Answers the
    application as it now is, without reading it again. `settings_names`: the settings `decide` needs, read in the
    BatchGet of the provider (pattern 23) and handed to it. What `decide` answers under "history" goes into the
    history entry and the audit data, after `history_extra`."""

    def attempt() -> ApplicationView:
        dossier, provider, owns, found = _load_owned(caller, application_id, settings_names)
        app, docs = dossier.application, dossier.documents
        assert app is not None
        if provider is None:  # the provider record is written with the application: never absent
            raise RuntimeError(f"provider {app['credit_code']} missing for {application_id}")
        if owner_only and not owns:
            raise NotFound(f"application {application_id} not found")
        before = app["status"]
        after = transition(before, action)
        outcome = decide(app, docs, provider, found)  # may raise; may return application updates and audit data
        at = iso(now)
        more = list(outcome.get("extra", []))
        panel = dossier.panel()
        if before == Status.EVALUATING and panel is not None and panel.get("status") == "open":
            # Leaving the evaluation (a withdrawal) closes the panel's round with it: no more scorecards, no more
            # reminders to its experts.
            more.append(store_panels.closed_panel_item(application_id, panel, at, after.value))
        extra = {**history_extra(), **outcome.get("history", {})}
        updated = {
            **app,
            **outcome.get("application", {}),
            "status": after.value,
            "updated_at": at,
            "history": [*app["history"], _history(at, caller.sub, action, before, after, **extra)],
        }
        audit = entry_for(
            provider,
            at=at,
            actor=caller.sub,
            action=f"application.{action.value}",
            data={
                "application_id": application_id,
                "from": before,
                "to": after.value,
                **extra,
                **outcome.get("audit", {}),
            },
        )
        change = dal.Change(
            app["credit_code"],
            {**provider, **outcome.get("provider", {}), "updated_at": at},
            provider["audit_seq"],
            audit,
            application=updated,
            expected_version=app["version"],
            slot="release" if releases_slot(before, after) else None,
            extra=more,
        )
        dal.commit(change)
        return view_of(updated, docs)

    return retrying(attempt, what="application")


def resubmit(caller: Caller, application_id: str, body: ResubmitIn, now: datetime) -> ApplicationView:
    caller.require(Role.PROVIDER)
    today = local_date(now)

    def decide(
        app: dict[str, Any], _docs: list[dict[str, Any]], _provider: dict[str, Any], found: Found
    ) -> dict[str, Any]:
        deadline = app.get("return_deadline")
        if deadline and date.fromisoformat(deadline) < today:
            raise Conflict(f"the deadline for more documents passed on {deadline}", code="RETURN_DEADLINE_PASSED")
        updates: dict[str, Any] = {"return_deadline": None}
        if body.qualifications is not None:
            review = policy_store.from_found("review", found)
            problems = qualification_problems(body.qualifications, today, "qualifications", review)
            if problems:
                raise InvalidInput("qualification certificates expire too soon", details=problems)
            updates["qualifications"] = [q.model_dump(mode="json") for q in body.qualifications]
        if body.service_cases is not None:
            updates["service_cases"] = [c.model_dump(mode="json") for c in body.service_cases]
        return {"application": updates}

    return _change(
        caller,
        application_id,
        Action.RESUBMIT,
        now,
        owner_only=True,
        decide=decide,
        history_extra=lambda: {"note": body.note},
        settings_names=("review",) if body.qualifications is not None else (),  # the certificates' minimum days
    )


def _returned(given: date | None, today: date, found: Found) -> dict[str, Any]:
    """A return's outcome: its deadline (the reviewer's, or the default counted by the review and calendar settings
    in `found`) and, for the history and audit, the settings versions that counted it."""
    deadline, used = given, dict[str, str]()
    if deadline is None:
        deadline, used = deadlines.return_deadline(today, found)
        if deadline <= today:
            raise InvalidInput.field("deadline", "must be after today")
    return {
        "application": {"return_deadline": deadline.isoformat()},
        "history": {
            "deadline": deadline.isoformat(),
            "settings": used.get("settings"),
            "calendar": used.get("calendar"),
        },
    }


def review(caller: Caller, application_id: str, body: ReviewIn, now: datetime) -> ApplicationView:
    caller.require(Role.REVIEWER)
    today = local_date(now)
    action = {"pass": Action.PASS, "return": Action.RETURN, "reject": Action.REJECT}[body.decision]
    if action in (Action.RETURN, Action.REJECT) and not body.reasons:
        raise InvalidInput.field("reasons", f"at least one reason is required to {body.decision}")
    if action is Action.RETURN and body.deadline is not None and body.deadline <= today:
        raise InvalidInput.field("deadline", "must be after today")
    if action is not Action.RETURN and body.deadline is not None:
        raise InvalidInput.field("deadline", "only a return has a deadline")
    # What the BatchGet of the provider reads besides: a default 补正 deadline counts the stored review settings'
    # days on the stored calendar; a pass checks the certificates against the review settings' minimum days.
    settings_names: tuple[str, ...] = ()
    if action is Action.RETURN and body.deadline is None:
        settings_names = deadlines.RETURN_SETTINGS
    elif action is Action.PASS:
        settings_names = ("review",)

    def decide(
        app: dict[str, Any], docs: list[dict[str, Any]], provider: dict[str, Any], found: Found
    ) -> dict[str, Any]:
        if action is Action.RETURN:
            return _returned(body.deadline, today, found)
        if action is Action.REJECT:
            return {}
        # A pass repeats the automatic checks: time has passed since submission, and documents must be real.
        problems = qualification_problems(
            [Qualification.model_validate(q) for q in app["qualifications"]],
            today,
            "qualifications",
            policy_store.from_found("review", found),
        )
        banned_until = ban_in_force(provider, today)
        if banned_until:
            problems.append({"field": "provider", "message": f"banned until {banned_until}"})
        verified, missing = verify_documents(docs)
        problems.extend(missing)
        if problems:
            raise Conflict("the application cannot pass initial review yet", code="CHECKS_FAILED", details=problems)
        # The business licence is checked: the first pass claims the provider for the applicant (its first admin).
        first = not members.claimed(provider)
        updates, items = members.claim(provider, app, iso(now), caller.sub)
        return {
            "application": {"verified_documents": verified},
            "audit": {"verified_documents": verified, **({"claimed_by": app["owner_sub"]} if first else {})},
            "provider": updates,
            "extra": items,
        }

    return _change(
        caller,
        application_id,
        action,
        now,
        owner_only=False,
        decide=decide,
        # A return's decide fills in its deadline and the settings versions that counted it (in this order).
        history_extra=lambda: {"reasons": body.reasons, "deadline": None, "settings": None, "calendar": None},
        settings_names=settings_names,
    )


def withdraw(caller: Caller, application_id: str, body: WithdrawIn, now: datetime) -> ApplicationView:
    """The owner withdraws its application before the decision; the credit code's slot is freed."""
    caller.require(Role.PROVIDER)
    return _change(
        caller,
        application_id,
        Action.WITHDRAW,
        now,
        owner_only=True,
        decide=lambda _app, _docs, _provider, _found: {"application": {"return_deadline": None}},
        history_extra=lambda: {"reasons": [body.reason]},
    )
