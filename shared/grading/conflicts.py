"""Conflicts an expert declares itself (回避): a credit code it must not evaluate, with its reason.

The declared code joins the expert's `affiliations`, which the panel draw already leaves out, in the same
transaction as the pools of its categories, so the next draw honours it. An admin's change of `affiliations`
keeps them (`with_declared`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import dal
from grading.clock import iso
from grading.errors import Forbidden, NotFound
from grading.identity import Caller, Role
from grading.member_models import ConflictIn
from grading.models import ExpertView
from grading.races import retrying
from grading.store import experts as store_experts


def with_declared(affiliations: list[str], expert: dict[str, Any]) -> list[str]:
    """An admin's list of affiliations with the conflicts the expert declared itself put back: only the expert
    declares them, so an admin's change of the list (which replaces it) never undoes one."""
    return sorted({*affiliations, *(c["credit_code"] for c in expert.get("declared_conflicts") or [])})


def declare(caller: Caller, expert_id: str, body: ConflictIn, now: datetime) -> ExpertView:
    caller.require(Role.EXPERT)
    if caller.sub != expert_id:
        raise Forbidden("an expert declares only its own conflicts")

    def attempt() -> ExpertView:
        current = dal.get_item(dal.expert_key(expert_id))
        if current is None:
            raise NotFound(f"expert {expert_id} not found")
        at = iso(now)
        declared = [
            *current.get("declared_conflicts", []),
            {"credit_code": body.credit_code, "reason": body.reason, "at": at},
        ]
        updated = {
            **current,
            "affiliations": sorted({*current.get("affiliations", []), body.credit_code}),
            "declared_conflicts": declared,
            "updated_at": at,
            "history": [
                *current.get("history", []),
                {
                    "at": at,
                    "actor": caller.sub,
                    "action": "conflict_declared",
                    "credit_code": body.credit_code,
                    "reason": body.reason,
                },
            ],
        }
        version = updated.pop("version")
        dal.write(*store_experts.changed_expert_items(expert_id, updated, current, version))  # pools follow
        return ExpertView.model_validate(updated)

    return retrying(attempt, what="expert record")
