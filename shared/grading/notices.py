"""Public notices (公示) and objections (异议): lifecycle steps 5-6.

A grading decision writes the notice record (evaluation.py); the artifacts function renders it; the public reads
it here. While the window is open anyone signed in may object; a reviewer upholds (the application goes back to
evaluation, or is rejected) or dismisses. The daily sweep (sweep.py) issues the certificate when the window
closes clean (certificates.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import dal
from grading.audit import entry_for
from grading.clock import iso
from grading.errors import Conflict, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.ids import new_id
from grading.lifecycle import Action, Status, history_entry, releases_slot, transition
from grading.models import NoticeView, ObjectionIn, ObjectionView, Page, ResolutionIn
from grading.races import retrying
from grading.store import notices as store_notices
from grading.store import objects as storage

# --- notices -------------------------------------------------------------------------------------------------


def notice_view(notice: dict[str, Any]) -> NoticeView:
    return NoticeView(
        notice_id=notice["notice_id"],
        kind=notice["kind"],
        status=notice["status"],
        entries=notice["entries"],
        published_at=notice["published_at"],
        window_opens_at=notice.get("window_opens_at"),
        window_closes_at=notice.get("window_closes_at"),
        html_url=f"/v1/notices/{notice['notice_id']}/html",
        html_sha256=(notice.get("artifacts") or {}).get("html_sha256"),
        procurement_contact=notice.get("procurement_contact"),
    )


def get_notice(notice_id: str) -> NoticeView:
    notice = dal.get_item(dal.notice_key(notice_id))
    if notice is None:
        raise NotFound(f"notice {notice_id} not found")
    return notice_view(notice)


def list_notices(limit: int, token: str | None) -> Page[NoticeView]:
    items, next_token = dal.notices_page(limit, token)
    return Page[NoticeView](items=[notice_view(n) for n in items], next_token=next_token)


def notice_html(notice_id: str) -> str:
    notice = dal.get_item(dal.notice_key(notice_id))
    if notice is None:
        raise NotFound(f"notice {notice_id} not found")
    artifacts = notice.get("artifacts")
    if not artifacts:
        raise Conflict("the notice is being published; its page is not rendered yet", code="NOT_YET_RENDERED")
    return storage.read_text(artifacts["html_key"])


# --- objections ---------------------------------------------------------------------------------------------


def objection_view(objection: dict[str, Any]) -> ObjectionView:
    return ObjectionView.model_validate(objection)


def file_objection(caller: Caller, notice_id: str, body: ObjectionIn, now: datetime) -> ObjectionView:
    def attempt() -> ObjectionView:
        notice = dal.get_item(dal.notice_key(notice_id))
        if notice is None:
            raise NotFound(f"notice {notice_id} not found")
        if notice["status"] != "open" or iso(now) >= notice["window_closes_at"]:
            raise Conflict(
                f"the objection window of notice {notice_id} closed at {notice['window_closes_at']}",
                code="WINDOW_CLOSED",
            )
        entry = next((e for e in notice["entries"] if e.get("application_id") == body.application_id), None)
        if entry is None:
            raise InvalidInput.field("application_id", "is not an entry of this notice")
        app_key, provider_key = dal.application_key(body.application_id), dal.provider_key(entry["credit_code"])
        found = dal.get_many([app_key, provider_key])
        app = found.get((app_key["PK"], app_key["SK"]))
        provider = found.get((provider_key["PK"], provider_key["SK"]))
        if app is None or provider is None or app["status"] != Status.IN_NOTICE.value:
            raise Conflict("this application is no longer in its public notice", code="INVALID_STATE")
        at = iso(now)
        objection = {
            "objection_id": new_id(),
            "notice_id": notice_id,
            "application_id": body.application_id,
            "credit_code": entry["credit_code"],
            "reason": body.reason,
            "filed_by": caller.sub,
            "filed_at": at,
            "status": "open",
        }
        audit = entry_for(
            provider,
            at=at,
            actor=caller.sub,
            action="objection.filed",
            data={
                "application_id": body.application_id,
                "notice_id": notice_id,
                "objection_id": objection["objection_id"],
            },
        )
        dal.commit(
            dal.Change(
                entry["credit_code"],
                {**provider, "updated_at": at},
                int(provider["audit_seq"]),
                audit,
                extra=[
                    store_notices.objection_item(objection, version=None),
                    store_notices.still_in_status(body.application_id, Status.IN_NOTICE.value),
                ],
            )
        )
        return objection_view(objection)

    return retrying(attempt)


def get_objection(caller: Caller, objection_id: str) -> ObjectionView:
    objection = dal.get_item(dal.objection_key(objection_id))
    if objection is None or not (caller.is_staff or objection["filed_by"] == caller.sub):
        raise NotFound(f"objection {objection_id} not found")
    return objection_view(objection)


def list_objections(caller: Caller, status: str, limit: int, token: str | None) -> Page[ObjectionView]:
    """Objections in a status, newest first (pattern 25): the reviewers' queue is `open`."""
    caller.require(Role.REVIEWER, Role.ADMIN)
    items, next_token = dal.objections_by_status(status, limit, token)
    return Page[ObjectionView](items=[objection_view(o) for o in items], next_token=next_token)


def _upheld(
    app: dict[str, Any], objection: dict[str, Any], body: ResolutionIn, caller: Caller, at: str
) -> tuple[dict[str, Any], str | None]:
    """The application after an upheld objection: back to evaluation or rejected, its decision kept as previous;
    and whether that frees the provider's slot."""
    action = Action.OBJECTION_REEVALUATE if body.outcome == "reevaluate" else Action.OBJECTION_REJECT
    after = transition(app["status"], action)
    previous = {k: app.get(k) for k in ("grade", "total", "explanation", "notice_id", "decided_at")}
    application = {
        **app,
        "status": after.value,
        "grade": None,
        "total": None,
        "explanation": None,
        "notice_id": None,
        "previous_decisions": [
            *app.get("previous_decisions", []),
            {**previous, "objection_id": objection["objection_id"]},
        ],
        "updated_at": at,
        "history": [
            *app["history"],
            history_entry(
                at, caller.sub, action.value, app["status"], after.value, note=body.note, reasons=[objection["reason"]]
            ),
        ],
    }
    return application, "release" if releases_slot(app["status"], after) else None


def resolve_objection(caller: Caller, objection_id: str, body: ResolutionIn, now: datetime) -> ObjectionView:
    """Upheld: the application goes back to evaluation (a new panel) or is rejected, as the reviewer chooses."""
    caller.require(Role.REVIEWER)
    if body.decision == "upheld" and body.outcome is None:
        body = body.model_copy(update={"outcome": "reevaluate"})  # API.md's {decision, note}: back to evaluation
    if body.decision == "dismissed" and body.outcome is not None:
        raise InvalidInput.field("outcome", "only an upheld objection has an outcome")

    def attempt() -> ObjectionView:
        objection = dal.get_item(dal.objection_key(objection_id))
        if objection is None:
            raise NotFound(f"objection {objection_id} not found")
        if objection["status"] != "open":
            raise Conflict(f"objection {objection_id} was already {objection['status']}", code="ALREADY_RESOLVED")
        app_key, provider_key = (
            dal.application_key(objection["application_id"]),
            dal.provider_key(objection["credit_code"]),
        )
        found = dal.get_many([app_key, provider_key])
        app, provider = found.get((app_key["PK"], app_key["SK"])), found.get((provider_key["PK"], provider_key["SK"]))
        assert app is not None and provider is not None
        at = iso(now)
        resolved = {
            **objection,
            "status": body.decision,
            "outcome": body.outcome,
            "note": body.note,
            "resolved_by": caller.sub,
            "resolved_at": at,
        }
        version = resolved.pop("version")
        extra = [store_notices.objection_item(resolved, version=version)]
        application, slot = _upheld(app, objection, body, caller, at) if body.decision == "upheld" else (None, None)
        audit = entry_for(
            provider,
            at=at,
            actor=caller.sub,
            action=f"objection.{body.decision}",
            data={"objection_id": objection_id, "application_id": app["application_id"], "outcome": body.outcome},
        )
        dal.commit(
            dal.Change(
                objection["credit_code"],
                {**provider, "updated_at": at},
                int(provider["audit_seq"]),
                audit,
                application=application,
                expected_version=app["version"] if application else None,
                slot=slot,
                extra=extra,
            )
        )
        return objection_view(resolved)

    return retrying(attempt)
