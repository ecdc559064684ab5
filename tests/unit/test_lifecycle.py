"""The application state machine against the moves ../shared/DOMAIN.md describes, written out here by hand (not read
from `lifecycle.MOVES`, so a wrong move in the code is a failing test, not a second copy of the same mistake)."""

import pytest

from grading.errors import Conflict
from grading.lifecycle import ACTIVE, MOVES, Action, Status, releases_slot, transition

# (status, action) -> the status it leads to, from DOMAIN.md "Lifecycle of one provider"; every other pair is
# refused. Issue 16's `lapsed` (a return whose deadline passed: returned -> lapsed, by the sweep) and `withdrawn`
# (by its owner before the decision) are added here, as rows and in HOLDS_SLOT, when they join `Status`.
DOMAIN_MOVES: dict[tuple[str, str], str] = {
    # 2. initial review: a reviewer passes, returns for more documents (补正) or rejects a submitted application
    ("submitted", "pass"): "evaluating",
    ("submitted", "return"): "returned",
    ("submitted", "reject"): "rejected",
    # 2. the provider answers a return by resubmitting
    ("returned", "resubmit"): "submitted",
    # 4. the grade decision closes the evaluation: a grade opens the public notice, none means not graded
    ("evaluating", "decide_graded"): "in_notice",
    ("evaluating", "decide_not_graded"): "not_graded",
    # 5. an upheld objection sends it back to evaluation, or rejects it
    ("in_notice", "objection_reevaluate"): "evaluating",
    ("in_notice", "objection_reject"): "rejected",
    # 6. the window closes with no open or upheld objection: a certificate is issued
    ("in_notice", "certify"): "certified",
    # Off the happy path: a return whose 补正 deadline passed lapses (the daily sweep); the owner may withdraw its
    # application before the decision
    ("returned", "lapse"): "lapsed",
    ("submitted", "withdraw"): "withdrawn",
    ("returned", "withdraw"): "withdrawn",
    ("evaluating", "withdraw"): "withdrawn",
}
# One active application per credit code: these hold the slot; a rejected (or finished) one releases it.
HOLDS_SLOT = {"submitted": True, "returned": True, "evaluating": True, "in_notice": True, "rejected": False,
              "certified": False, "not_graded": False, "lapsed": False, "withdrawn": False}  # fmt: skip
MOVING = [a for a in Action if a is not Action.SUBMIT]  # submitting creates an application; it moves none


def test_the_table_names_every_status_and_action() -> None:
    assert {s.value for s in Status} == set(HOLDS_SLOT), "a status DOMAIN_MOVES and HOLDS_SLOT do not cover yet"
    assert {a.value for a in MOVING} == {action for _, action in DOMAIN_MOVES}
    assert Action.SUBMIT not in MOVES


@pytest.mark.parametrize("action", MOVING, ids=str)
@pytest.mark.parametrize("status", list(Status), ids=str)
def test_each_move_is_the_one_the_domain_describes(action: Action, status: Status) -> None:
    target = DOMAIN_MOVES.get((status.value, action.value))
    if target is not None:
        assert transition(status, action) == Status(target)
    else:
        with pytest.raises(Conflict) as refused:
            transition(status, action)
        assert refused.value.code == "INVALID_STATE"
        assert status.value in str(refused.value)


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_which_statuses_hold_the_one_active_slot(status: Status) -> None:
    assert (status in ACTIVE) is HOLDS_SLOT[status.value]


def test_a_move_out_of_the_active_statuses_releases_the_slot() -> None:
    for (before, _), after in DOMAIN_MOVES.items():
        assert releases_slot(before, after) is (HOLDS_SLOT[before] and not HOLDS_SLOT[after]), (before, after)
