"""Rectification orders (整改): opened by a failed assessment, reported by the provider, verified by a reviewer.

The provider record keeps its open and overdue orders, so its status (and eligibility) answers in one read; every
change of an order is one transaction with the provider's next audit entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from grading import dal, members, policy_store
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.errors import Conflict, NotFound
from grading.identity import Caller, Role
from grading.models import (
    Page,
    RectificationReportIn,
    RectificationVerificationIn,
    RectificationView,
)
from grading.races import retrying
from grading.standing import derive_status
from grading.store import rectifications as store_rectifications


def _audit(provider: dict[str, Any], at: str, actor: str, action: str, data: dict[str, Any]) -> Any:
    return entry_for(provider, at=at, actor=actor, action=action, data=data)


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
    def attempt() -> RectificationView:
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
                extra=[store_rectifications.changed_rectification_item(updated, version)],
            )
        )
        return _rect_view(updated)

    return retrying(attempt, what="provider")


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


def my_rectifications(caller: Caller, limit: int, token: str | None) -> Page[RectificationView]:
    caller.require(Role.PROVIDER)
    orders = members.rectifications_spoken_for(caller)
    page, next_token = members.page_of(orders, lambda o: (o["opened_at"], o["rectification_id"]), limit, token)
    return Page[RectificationView](items=[_rect_view(i) for i in page], next_token=next_token)
