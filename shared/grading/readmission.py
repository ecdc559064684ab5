"""After the ban (禁入期): a company eliminated earlier that is certified again starts a new standing (DOMAIN.md,
"After the ban"): status `active`, no failures counted, its earlier orders closed as history. The old standing is
kept on the record as a summary; the audit trail and the assessment items keep everything."""

from __future__ import annotations

from typing import Any

from grading import dal
from grading.store import rectifications as store_rectifications

STANDING_FIELDS = ("assessment_results", "assessment_scores", "consecutive_failures", "eliminated_at", "banned_until")


def needs_new_standing(provider: dict[str, Any]) -> bool:
    return provider.get("status") == "eliminated" or bool(provider.get("eliminated_at"))


def new_standing(provider: dict[str, Any], at: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The provider fields of a clean standing, and the transaction items that close its earlier orders."""
    previous = {k: provider.get(k) for k in STANDING_FIELDS if provider.get(k) is not None}
    orders = sorted({*(provider.get("open_rectifications") or []), *(provider.get("overdue_rectifications") or [])})
    items = []
    for rectification_id in orders:
        order = dal.get_item(dal.rectification_key(rectification_id))
        if order is None or order["status"] in ("accepted", "withdrawn", "closed"):
            continue
        closed = {**order, "status": "closed", "closed_at": at, "closed_reason": "new standing after readmission"}
        version = closed.pop("version")
        items.append(store_rectifications.changed_rectification_item(closed, version, name="old-rectification"))
    fields = {
        "status": "active",
        "consecutive_failures": 0,
        "assessment_results": {},
        "assessment_scores": {},
        "open_rectifications": [],
        "overdue_rectifications": [],
        "elimination_due_at": None,
        "eliminated_at": None,
        "banned_until": None,
        "standing_since": at,
        "previous_standings": [*(provider.get("previous_standings") or []), {**previous, "ended_at": at}],
    }
    return fields, items
