"""One domain event -> the mails it means: which template, to whom, with which facts.

The event carries ids only; the facts people need (reasons, deadlines, names) and the addresses are read here,
when the mail is sent. A reminder (`reminder=True`) counts against the recipient's daily cap and carries an
unsubscribe link; a notice a provider must receive does neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grading import dal
from grading.categories import display_name
from grading.notify.recipients import expert_recipient, provider_recipients, reviewer_recipients
from grading.scoring import GRADE_ZH

REMINDERS = frozenset({"RectificationDeadlineNear", "QualificationExpiring", "ScorecardMissing"})


@dataclass(frozen=True)
class Mail:
    template: str
    to: list[str]
    context: dict[str, Any] = field(default_factory=dict)
    reminder: bool = False


def _application(application_id: str | None) -> dict[str, Any] | None:
    return dal.get_application(application_id)[0] if application_id else None


def _provider_name(credit_code: str, application: dict[str, Any] | None = None) -> str:
    if application:
        return str((application.get("provider") or {}).get("name") or credit_code)
    provider = dal.get_provider(credit_code) or {}
    return str(provider.get("name") or credit_code)


def _grade(value: Any) -> str:
    return GRADE_ZH.get(int(value), str(value)) if value is not None else "不予评级"


def application_reviewed(d: dict[str, Any]) -> list[Mail]:
    app = _application(d["application_id"])
    if app is None:
        return []
    history = reversed(app.get("history") or [])
    last: dict[str, Any] = next((h for h in history if h.get("action") in ("return", "reject")), {})
    template = {"return": "application_returned", "pass": "application_passed", "reject": "application_rejected"}
    context = {
        "application_id": d["application_id"],
        "provider_name": _provider_name(d["credit_code"], app),
        "credit_code": d["credit_code"],
        "reasons": list(last.get("reasons") or []) if d["decision"] != "pass" else [],
        "deadline": d.get("return_deadline") or last.get("deadline"),
    }
    return [Mail(template[d["decision"]], provider_recipients(d["credit_code"], app), context)]


def application_lapsed(d: dict[str, Any]) -> list[Mail]:
    """The 补正 deadline passed (DOMAIN "Off the happy path"): the provider is told, and that it may apply again."""
    app = _application(d["application_id"])
    if app is None or app.get("status") != "lapsed":
        return []
    context = {
        "application_id": d["application_id"],
        "provider_name": _provider_name(d["credit_code"], app),
        "credit_code": d["credit_code"],
        "deadline": d.get("return_deadline") or (app.get("history") or [{}])[-1].get("deadline"),
    }
    return [Mail("application_lapsed", provider_recipients(d["credit_code"], app), context)]


def application_submitted(d: dict[str, Any]) -> list[Mail]:
    app = _application(d["application_id"])
    context = {
        "application_id": d["application_id"],
        "provider_name": _provider_name(d["credit_code"], app),
        "credit_code": d["credit_code"],
        "category": d.get("category"),
        "resubmitted": bool(d.get("resubmitted")),
    }
    return [Mail("review_waiting", reviewer_recipients(), context)]


def grade_decided(d: dict[str, Any]) -> list[Mail]:
    app = _application(d["application_id"])
    context = {
        "application_id": d["application_id"],
        "provider_name": _provider_name(d["credit_code"], app),
        "credit_code": d["credit_code"],
        "grade": _grade(d.get("grade")),
        "graded": d.get("grade") is not None,
        "total": d.get("total"),
        "notice_id": d.get("notice_id"),
    }
    return [Mail("grade_decided", provider_recipients(d["credit_code"], app), context)]


def notice_published(d: dict[str, Any]) -> list[Mail]:
    """A grading notice tells its provider; an elimination is told by ProviderEliminated, and a re-grading's
    notice of changes is not a mail to each of its providers."""
    if d.get("kind") != "grading":
        return []
    notice = dal.get_item(dal.notice_key(d["notice_id"])) or {}
    mails = []
    for entry in notice.get("entries") or []:
        app = _application(entry.get("application_id"))
        context = {
            "notice_id": d["notice_id"],
            "kind": d.get("kind"),
            "provider_name": entry.get("provider_name") or _provider_name(entry["credit_code"], app),
            "credit_code": entry["credit_code"],
            "window_closes_at": d.get("window_closes_at"),
        }
        mails.append(Mail("notice_published", provider_recipients(entry["credit_code"], app), context))
    return mails


def objection_resolved(d: dict[str, Any]) -> list[Mail]:
    objection = dal.get_item(dal.objection_key(d["objection_id"])) or {}
    app = _application(d.get("application_id"))
    context = {
        "objection_id": d["objection_id"],
        "provider_name": _provider_name(d["credit_code"], app),
        "credit_code": d["credit_code"],
        "decision": d["decision"],
        "outcome": d.get("outcome"),
        "note": objection.get("note"),
    }
    return [Mail("objection_resolved", provider_recipients(d["credit_code"], app), context)]


def objection_filed(d: dict[str, Any]) -> list[Mail]:
    """New work for the reviewers: an objection to resolve while the notice stays open."""
    objection = dal.get_item(dal.objection_key(d["objection_id"])) or {}
    if objection.get("status") != "open":
        return []  # resolved since it was filed: nothing left to do
    app = _application(d.get("application_id"))
    context = {
        "objection_id": d["objection_id"],
        "notice_id": d.get("notice_id"),
        "application_id": d.get("application_id"),
        "provider_name": _provider_name(d["credit_code"], app),
        "credit_code": d["credit_code"],
        "reason": objection.get("reason"),
        "filed_at": objection.get("filed_at") or d.get("at"),
    }
    return [Mail("objection_filed", reviewer_recipients(), context)]


def rectification_reported(d: dict[str, Any]) -> list[Mail]:
    """New work for the reviewers: a rectification report to verify."""
    context = _rectification_context(d["rectification_id"])
    if context is None or context["status"] != "reported":
        return []  # verified since it was reported
    order = dal.get_item(dal.rectification_key(d["rectification_id"])) or {}
    reports = order.get("reports") or []
    context |= {"report": (reports[-1] if reports else {}).get("report"), "reports": len(reports)}
    return [Mail("rectification_reported", reviewer_recipients(), context)]


def _rectification_context(rectification_id: str) -> dict[str, Any] | None:
    order = dal.get_item(dal.rectification_key(rectification_id))
    if order is None:
        return None
    return {
        "rectification_id": rectification_id,
        "credit_code": order["credit_code"],
        "provider_name": _provider_name(order["credit_code"]),
        "period": order.get("period"),
        "deadline": order.get("deadline"),
        "status": order.get("status"),
    }


def assessment_recorded(d: dict[str, Any]) -> list[Mail]:
    if d.get("result") != "fail" or not d.get("rectification_id"):
        return []
    context = _rectification_context(d["rectification_id"])
    if context is None or context["status"] not in ("open", "rejected"):
        return []
    context["score"] = d.get("score")
    return [Mail("rectification_opened", provider_recipients(d["credit_code"]), context)]


def rectification_deadline_near(d: dict[str, Any]) -> list[Mail]:
    context = _rectification_context(d["rectification_id"])
    if context is None or context["status"] not in ("open", "rejected"):
        return []  # reported or accepted since the sweep looked
    return [Mail("rectification_deadline_near", provider_recipients(d["credit_code"]), context, reminder=True)]


def qualification_expiring(d: dict[str, Any]) -> list[Mail]:
    context = {
        "credit_code": d["credit_code"],
        "provider_name": _provider_name(d["credit_code"]),
        "number": d["number"],
        "type": d.get("type"),
        "valid_until": d["valid_until"],
    }
    return [Mail("qualification_expiring", provider_recipients(d["credit_code"]), context, reminder=True)]


def provider_eliminated(d: dict[str, Any]) -> list[Mail]:
    context = {
        "credit_code": d["credit_code"],
        "provider_name": _provider_name(d["credit_code"]),
        "consecutive_failures": d.get("consecutive_failures"),
        "banned_until": d.get("banned_until"),
        "notice_id": d.get("notice_id"),
    }
    return [Mail("provider_eliminated", provider_recipients(d["credit_code"]), context)]


def _panel_context(application_id: str, expert_id: str, round_: Any) -> dict[str, Any]:
    app = _application(application_id) or {}
    expert = dal.get_item(dal.expert_key(expert_id)) or {}
    return {
        "application_id": application_id,
        "round": round_,
        "expert_name": expert.get("name") or expert_id,
        "provider_name": (app.get("provider") or {}).get("name") or application_id,
        "category": display_name(str((app.get("provider") or {}).get("category") or "")),
    }


def panel_seated(d: dict[str, Any]) -> list[Mail]:
    return [
        Mail("panel_seated", expert_recipient(e), _panel_context(d["application_id"], e, d.get("round")))
        for e in d.get("experts") or []
    ]


def scorecard_missing(d: dict[str, Any]) -> list[Mail]:
    context = {**_panel_context(d["application_id"], d["expert_id"], d.get("round")), "drawn_at": d.get("drawn_at")}
    return [Mail("scorecard_missing", expert_recipient(d["expert_id"]), context, reminder=True)]


def member_invited(d: dict[str, Any]) -> list[Mail]:
    """The code goes to the invited address only: the event carries neither, the invitation item holds both."""
    invitation = dal.get_item(dal.invitation_key(d["invitation_id"])) or {}
    if invitation.get("status") != "pending" or not invitation.get("email"):
        return []
    context = {
        "credit_code": d["credit_code"],
        "provider_name": _provider_name(d["credit_code"]),
        "role": "管理员" if invitation.get("role") == "admin" else "成员",
        "code": invitation["code"],
        "expires_at": invitation.get("expires_at"),
    }
    return [Mail("member_invited", [invitation["email"]], context)]


# ApplicationWithdrawn mails nobody: its owner withdrew it, and nobody is left with anything to do (a reviewer's
# queue simply no longer holds it; an open panel is closed with it, so its experts get no more reminders).
COMPOSERS: dict[str, Callable[[dict[str, Any]], list[Mail]]] = {
    "ApplicationSubmitted": application_submitted,
    "ApplicationReviewed": application_reviewed,
    "ApplicationLapsed": application_lapsed,
    "GradeDecided": grade_decided,
    "NoticePublished": notice_published,
    "ObjectionFiled": objection_filed,
    "ObjectionResolved": objection_resolved,
    "RectificationReported": rectification_reported,
    "AssessmentRecorded": assessment_recorded,
    "RectificationDeadlineNear": rectification_deadline_near,
    "QualificationExpiring": qualification_expiring,
    "ProviderEliminated": provider_eliminated,
    "PanelSeated": panel_seated,
    "ScorecardMissing": scorecard_missing,
    "MemberInvited": member_invited,
}


def mails_for(detail_type: str, detail: dict[str, Any]) -> list[Mail]:
    composer = COMPOSERS.get(detail_type)
    mails = composer(detail) if composer else []
    return [m for m in mails if m.to]
