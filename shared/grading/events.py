"""Domain events: which committed change on the table's stream is which event of API.md ("Events").

Pure: `events_for(old, new)` looks at an item before and after a change. The detail carries ids, credit code,
grade and dates, never contact data. Each event has a stable `event_id`, so a consumer can drop the duplicates
that an at-least-once stream may deliver.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SOURCE = "provider-grading"
_REVIEW_OUTCOME = {"evaluating": "pass", "returned": "return", "rejected": "reject"}


@dataclass(frozen=True)
class DomainEvent:
    detail_type: str
    detail: dict[str, Any]

    def entry(self, bus_name: str) -> dict[str, Any]:
        return {
            "Source": SOURCE,
            "DetailType": self.detail_type,
            "Detail": json.dumps(self.detail, ensure_ascii=False, default=_plain),
            "EventBusName": bus_name,
        }


def _plain(value: Any) -> Any:
    """Stream images carry every number as Decimal: whole ones are ints in the event, others exact strings."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return str(value)


def _application_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    before = (old or {}).get("status")
    after = new.get("status")
    if before == after:
        return []
    base = {
        "application_id": new["application_id"],
        "credit_code": new["credit_code"],
        "category": (new.get("provider") or {}).get("category"),
        "status": after,
        "at": new.get("updated_at"),
        "event_id": f"{new['application_id']}:{len(new.get('history') or [])}",
    }
    if after == "submitted":
        return [DomainEvent("ApplicationSubmitted", {**base, "resubmitted": before is not None})]
    if before == "submitted" and after in _REVIEW_OUTCOME:
        last = (new.get("history") or [{}])[-1]
        return [
            DomainEvent(
                "ApplicationReviewed",
                {
                    **base,
                    "decision": _REVIEW_OUTCOME[after],
                    "return_deadline": new.get("return_deadline"),
                    "reviewer": last.get("actor"),
                },
            )
        ]
    if after == "lapsed":
        return [DomainEvent("ApplicationLapsed", {**base, "return_deadline": (old or {}).get("return_deadline")})]
    if after == "withdrawn":
        last = (new.get("history") or [{}])[-1]
        return [DomainEvent("ApplicationWithdrawn", {**base, "withdrawn_by": last.get("actor")})]
    if before == "evaluating" and after in ("in_notice", "not_graded"):
        return [
            DomainEvent(
                "GradeDecided",
                {
                    **base,
                    "grade": new.get("grade"),
                    "total": new.get("total"),
                    "notice_id": new.get("notice_id"),
                    "scheme_version": new.get("scheme_version"),
                },
            )
        ]
    return []


def _notice_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    if new.get("artifacts") and not (old or {}).get("artifacts"):
        return [
            DomainEvent(
                "NoticePublished",
                {
                    "notice_id": new["notice_id"],
                    "kind": new["kind"],
                    "credit_codes": [e["credit_code"] for e in new.get("entries", [])],
                    "window_closes_at": new.get("window_closes_at"),
                    "html_sha256": new["artifacts"].get("html_sha256"),
                    "event_id": f"notice:{new['notice_id']}:published",
                },
            )
        ]
    return []


def _certificate_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    base = {
        "number": new["number"],
        "credit_code": new["credit_code"],
        "grade": new.get("grade"),
        "issued_on": new.get("issued_on"),
        "valid_until": new.get("valid_until"),
    }
    found: list[DomainEvent] = []
    if new.get("pdf_sha256") and not (old or {}).get("pdf_sha256"):
        found.append(
            DomainEvent(
                "CertificateIssued",
                {**base, "pdf_sha256": new["pdf_sha256"], "event_id": f"certificate:{new['number']}:issued"},
            )
        )
    if new.get("status") == "revoked" and (old or {}).get("status") != "revoked":
        found.append(DomainEvent("CertificateRevoked", {**base, "event_id": f"certificate:{new['number']}:revoked"}))
    return found


def _provider_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    before, after = (old or {}).get("status"), new.get("status")
    if before == after:
        return []
    base = {
        "credit_code": new["credit_code"],
        "grade": new.get("grade"),
        "consecutive_failures": new.get("consecutive_failures"),
        "at": new.get("updated_at"),
    }
    if after == "warned":
        return [
            DomainEvent(
                "ProviderWarned", {**base, "event_id": f"provider:{new['credit_code']}:warned:{new.get('audit_seq')}"}
            )
        ]
    if after == "eliminated":
        return [
            DomainEvent(
                "ProviderEliminated",
                {
                    **base,
                    "banned_until": new.get("banned_until"),
                    "notice_id": new.get("elimination_notice_id"),
                    "event_id": f"provider:{new['credit_code']}:eliminated:{new.get('audit_seq')}",
                },
            )
        ]
    return []


def _assessment_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    if (old or {}).get("revision") == new.get("revision"):
        return []
    return [
        DomainEvent(
            "AssessmentRecorded",
            {
                "credit_code": new["credit_code"],
                "period": new["period"],
                "score": new.get("score"),
                "result": new.get("result"),
                "rectification_id": new.get("rectification_id"),
                "revision": new.get("revision"),
                "event_id": f"assessment:{new['credit_code']}:{new['period']}:{new.get('revision')}",
            },
        )
    ]


def _qualification_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    if new.get("status") == "expiring" and (old or {}).get("status") != "expiring":
        return [
            DomainEvent(
                "QualificationExpiring",
                {
                    "credit_code": new["credit_code"],
                    "number": new["number"],
                    "type": new.get("qualification_type"),
                    "valid_until": new["valid_until"],
                    "reminded_on": new.get("reminded_on"),
                    "event_id": f"qualification:{new['credit_code']}:{new['number']}:expiring:{new['valid_until']}",
                },
            )
        ]
    return []


def _regrading_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    if new.get("status") == "completed" and (old or {}).get("status") != "completed":
        return [
            DomainEvent(
                "RegradingCompleted",
                {
                    "run_id": new["run_id"],
                    "year": new.get("year"),
                    "dry_run": bool(new.get("dry_run")),
                    "counts": new.get("final_counts") or {},
                    "notice_ids": new.get("notice_ids") or [],
                    "event_id": f"regrading:{new['run_id']}:completed",
                },
            )
        ]
    return []


def _invitation_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    """A new invitation: the notifier reads it (email, code) from the table by its id; the event carries neither."""
    if old is not None or new.get("status") != "pending":
        return []
    return [
        DomainEvent(
            "MemberInvited",
            {
                "invitation_id": new["invitation_id"],
                "credit_code": new["credit_code"],
                "role": new.get("role"),
                "invited_by": new.get("invited_by"),
                "expires_at": new.get("expires_at"),
                "event_id": f"invitation:{new['invitation_id']}:invited",
            },
        )
    ]


def _panel_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    """A seat on a panel: the drawn experts when it is drawn, a replacement when one declines. No credit code:
    the experts learn whom they evaluate from the dossier, which the notifier reads."""
    before = set((old or {}).get("members") or [])
    seated = [m for m in new.get("members") or [] if m not in before]
    if new.get("status") != "open" or not seated:
        return []
    application_id = str(new.get("PK", "")).removeprefix("APP#")
    return [
        DomainEvent(
            "PanelSeated",
            {
                "application_id": application_id,
                "round": new.get("round"),
                "experts": seated,
                "at": new.get("drawn_at") if old is None else ((new.get("declines") or [{}])[-1].get("at")),
                "event_id": f"panel:{application_id}:{new.get('round')}:seated:{len(new.get('declines') or [])}",
            },
        )
    ]


def _objection_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    before, after = (old or {}).get("status"), new.get("status")
    if old is None and after == "open":
        # New work for the reviewers; the reason stays in the item, for the notifier to read.
        return [
            DomainEvent(
                "ObjectionFiled",
                {
                    "objection_id": new["objection_id"],
                    "notice_id": new.get("notice_id"),
                    "application_id": new.get("application_id"),
                    "credit_code": new["credit_code"],
                    "at": new.get("filed_at"),
                    "event_id": f"objection:{new['objection_id']}:filed",
                },
            )
        ]
    if before != "open" or after not in ("upheld", "dismissed"):
        return []
    return [
        DomainEvent(
            "ObjectionResolved",
            {
                "objection_id": new["objection_id"],
                "notice_id": new.get("notice_id"),
                "application_id": new.get("application_id"),
                "credit_code": new["credit_code"],
                "decision": after,
                "outcome": new.get("outcome"),
                "at": new.get("resolved_at"),
                "event_id": f"objection:{new['objection_id']}:{after}",
            },
        )
    ]


def _rectification_events(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DomainEvent]:
    """A rectification report submitted (again, after a rejection: each report is its own event)."""
    if new.get("status") != "reported" or (old or {}).get("status") == "reported":
        return []
    reports = new.get("reports") or []
    return [
        DomainEvent(
            "RectificationReported",
            {
                "rectification_id": new["rectification_id"],
                "credit_code": new["credit_code"],
                "period": new.get("period"),
                "deadline": new.get("deadline"),
                "at": (reports[-1] if reports else {}).get("at"),
                "event_id": f"rectification:{new['rectification_id']}:reported:{len(reports)}",
            },
        )
    ]


# Which item types mean events, and the function that reads them from one item change.
_EVENTS_BY_TYPE: dict[str, Callable[[dict[str, Any] | None, dict[str, Any]], list[DomainEvent]]] = {
    "application": _application_events,
    "notice": _notice_events,
    "certificate": _certificate_events,
    "provider": _provider_events,
    "assessment": _assessment_events,
    "qualification": _qualification_events,
    "regrading_run": _regrading_events,
    "invitation": _invitation_events,
    "panel": _panel_events,
    "objection": _objection_events,
    "rectification": _rectification_events,
}


def events_for(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[DomainEvent]:
    """The domain events that one item change means (an empty list for most changes)."""
    if new is None:
        return []
    reader = _EVENTS_BY_TYPE.get(str(new.get("type")))
    return reader(old, new) if reader else []
