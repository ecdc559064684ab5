"""The application state machine: only the listed moves exist."""

import pytest

from grading.errors import Conflict
from grading.lifecycle import ACTIVE, MOVES, Action, Status, releases_slot, transition


@pytest.mark.parametrize("action", list(MOVES))
@pytest.mark.parametrize("status", list(Status))
def test_every_move_is_either_listed_or_refused(action: Action, status: Status) -> None:
    sources, target = MOVES[action]
    if status in sources:
        assert transition(status, action) is target
    else:
        with pytest.raises(Conflict) as refused:
            transition(status, action)
        assert refused.value.code == "INVALID_STATE"


def test_terminal_statuses_release_the_slot() -> None:
    assert releases_slot(Status.SUBMITTED, Status.REJECTED)
    assert not releases_slot(Status.SUBMITTED, Status.EVALUATING)
    assert Status.CERTIFIED not in ACTIVE and Status.IN_NOTICE in ACTIVE
