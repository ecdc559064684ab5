"""The application's state machine (lifecycle steps 1-6 of DOMAIN.md): which action may move which status where.

Pure: no I/O. Every status change in the system goes through `transition`, so the allowed moves live here only.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from grading.errors import Conflict


class Status(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REJECTED = "rejected"
    EVALUATING = "evaluating"
    IN_NOTICE = "in_notice"
    CERTIFIED = "certified"
    NOT_GRADED = "not_graded"
    LAPSED = "lapsed"  # a return (补正) whose deadline passed without a resubmission
    WITHDRAWN = "withdrawn"  # withdrawn by its owner before the decision


class Action(StrEnum):
    SUBMIT = "submit"
    RESUBMIT = "resubmit"
    PASS = "pass"
    RETURN = "return"
    REJECT = "reject"
    DECIDE_GRADED = "decide_graded"
    DECIDE_NOT_GRADED = "decide_not_graded"
    OBJECTION_REEVALUATE = "objection_reevaluate"
    OBJECTION_REJECT = "objection_reject"
    CERTIFY = "certify"
    LAPSE = "lapse"
    WITHDRAW = "withdraw"


# action -> (statuses it may start from, status it leads to)
MOVES: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.RESUBMIT: (frozenset({Status.RETURNED}), Status.SUBMITTED),
    Action.PASS: (frozenset({Status.SUBMITTED}), Status.EVALUATING),
    Action.RETURN: (frozenset({Status.SUBMITTED}), Status.RETURNED),
    Action.REJECT: (frozenset({Status.SUBMITTED}), Status.REJECTED),
    Action.DECIDE_GRADED: (frozenset({Status.EVALUATING}), Status.IN_NOTICE),
    Action.DECIDE_NOT_GRADED: (frozenset({Status.EVALUATING}), Status.NOT_GRADED),
    Action.OBJECTION_REEVALUATE: (frozenset({Status.IN_NOTICE}), Status.EVALUATING),
    Action.OBJECTION_REJECT: (frozenset({Status.IN_NOTICE}), Status.REJECTED),
    Action.CERTIFY: (frozenset({Status.IN_NOTICE}), Status.CERTIFIED),
    Action.LAPSE: (frozenset({Status.RETURNED}), Status.LAPSED),
    # Before the decision: once a grade is decided the public notice (公示) decides what happens next.
    Action.WITHDRAW: (frozenset({Status.SUBMITTED, Status.RETURNED, Status.EVALUATING}), Status.WITHDRAWN),
}

# An application in one of these holds the credit code's single active-application slot.
ACTIVE = frozenset({Status.SUBMITTED, Status.RETURNED, Status.EVALUATING, Status.IN_NOTICE})
# Documents can be added only while a reviewer has not yet passed the application.
ACCEPTS_DOCUMENTS = frozenset({Status.SUBMITTED, Status.RETURNED})


def transition(current: Status | str, action: Action) -> Status:
    sources, target = MOVES[action]
    if Status(current) not in sources:
        allowed = ", ".join(sorted(s.value for s in sources))
        raise Conflict(
            f"cannot {action.value.replace('_', ' ')} an application that is {Status(current).value}"
            f" (allowed from: {allowed})",
            code="INVALID_STATE",
        )
    return target


def releases_slot(before: Status | str, after: Status | str) -> bool:
    return Status(before) in ACTIVE and Status(after) not in ACTIVE


def history_entry(
    at: str, actor: str, action: str, before: str | None, after: str, *, omit: tuple[Any, ...] = (), **extra: Any
) -> dict[str, Any]:
    """One entry of an application's `history`: who moved it from which status to which, and why (`extra`, less
    the values in `omit`). Every status change appends one."""
    entry: dict[str, Any] = {"at": at, "actor": actor, "action": action, "from_status": before, "to_status": after}
    entry.update({k: v for k, v in extra.items() if v not in omit})
    return entry
