"""What an evaluation is done with: the evaluation schemes (versions; an application keeps the one it started
with) and the expert registry, whose pools (one item per category) the panel draw reads (evaluation.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import conflicts, dal
from grading.clock import iso
from grading.errors import Conflict, Forbidden, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.models import (
    ExpertIn,
    ExpertPatch,
    ExpertView,
)
from grading.races import retrying
from grading.schemes import Scheme, SchemeDraft, default_scheme
from grading.store import experts as store_experts

# --- schemes ------------------------------------------------------------------------------------------------


def current_scheme() -> Scheme:
    item = dal.get_item(dal.CURRENT_SCHEME_KEY)
    return Scheme.model_validate(item["scheme"]) if item else default_scheme()


def get_scheme(version: str) -> Scheme:
    if version == default_scheme().version:
        item = dal.get_item(dal.scheme_key(version))
        return Scheme.model_validate(item["scheme"]) if item else default_scheme()
    item = dal.get_item(dal.scheme_key(version))
    if item is None:
        raise NotFound(f"scheme version {version} not found")
    return Scheme.model_validate(item["scheme"])


def create_scheme(caller: Caller, draft: SchemeDraft, now: datetime) -> Scheme:
    """A new version becomes current; applications already submitted keep theirs."""
    caller.require(Role.ADMIN)

    def attempt() -> Scheme:
        pointer = dal.get_item(dal.CURRENT_SCHEME_KEY)
        number = int(str(pointer["scheme"]["version"]).lstrip("v")) if pointer else 1
        scheme = Scheme(**draft.model_dump(), version=f"v{number + 1}")
        body = {"scheme": scheme.model_dump(mode="json"), "created_at": iso(now), "created_by": caller.sub}
        dal.write(*store_experts.scheme_version_items(scheme.version, body, pointer))
        return scheme

    return retrying(attempt)


# --- expert registry ---------------------------------------------------------------------------------------


def _expert_view(item: dict[str, Any]) -> ExpertView:
    return ExpertView.model_validate(item)


def register_expert(caller: Caller, body: ExpertIn, now: datetime) -> ExpertView:
    caller.require(Role.ADMIN)
    at = iso(now)
    expert = {
        "expert_id": body.expert_id,
        "name": body.name,
        "specialties": sorted(set(body.specialties)),
        "affiliations": sorted(set(body.affiliations)),
        **({"email": body.email} if body.email else {}),
        "active": True,
        "created_at": at,
        "updated_at": at,
        "history": [{"at": at, "actor": caller.sub, "action": "registered"}],
    }

    def attempt() -> ExpertView:  # another expert of the same category written at the same moment: try again
        dal.write(*store_experts.new_expert_items(body.expert_id, expert))
        return _expert_view(expert)

    def on_lost(lost: dal.TransactionConflict) -> None:
        if "expert" in lost.reasons:
            raise Conflict(f"expert {body.expert_id} is already registered", code="EXPERT_EXISTS") from None

    return retrying(attempt, on_lost=on_lost)


def get_expert(caller: Caller, expert_id: str) -> ExpertView:
    if not (caller.has(Role.ADMIN) or caller.sub == expert_id):
        raise Forbidden("only admins and the expert may read an expert record")
    item = dal.get_item(dal.expert_key(expert_id))
    if item is None:
        raise NotFound(f"expert {expert_id} not found")
    return _expert_view(item)


def update_expert(caller: Caller, expert_id: str, patch: ExpertPatch, now: datetime) -> ExpertView:
    """Deactivate, change specialties or declared affiliations (the conflicts the expert declared itself stay);
    the pool follows in the same transaction."""
    caller.require(Role.ADMIN)
    changes = patch.model_dump(exclude_none=True)
    if not changes:
        raise InvalidInput.field("body", "give at least one of name, specialties, affiliations, active")

    def attempt() -> ExpertView:
        current = dal.get_item(dal.expert_key(expert_id))
        if current is None:
            raise NotFound(f"expert {expert_id} not found")
        at = iso(now)
        updated = {**current, **changes, "updated_at": at}
        updated["specialties"] = sorted(set(updated["specialties"]))
        updated["affiliations"] = conflicts.with_declared(updated["affiliations"], current)
        updated["history"] = [*current.get("history", []), {"at": at, "actor": caller.sub, "changed": changes}]
        version = updated.pop("version")
        dal.write(*store_experts.changed_expert_items(expert_id, updated, current, version))
        return _expert_view(updated)

    return retrying(attempt)
