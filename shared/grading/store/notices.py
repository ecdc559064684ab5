"""Public notices and their objections (patterns 10-12; an open notice is due to close, pattern 14)."""

from __future__ import annotations

from typing import Any

from grading.store.items import tx_check, tx_put
from grading.store.keys import application_key, notice_indexes, notice_key, objection_indexes, objection_key


def new_notice_item(notice_id: str, notice: dict[str, Any]) -> dict[str, Any]:
    """A notice published once: refused (as `notice`) if its id is taken."""
    return tx_put(notice_key(notice_id), "notice", notice, name="notice", new=True, indexes=notice_indexes(notice))


def run_notice_item(notice_id: str, notice: dict[str, Any], run_id: str) -> dict[str, Any]:
    """A re-grading run's notice: new, or the same run's own (a resumed report writes it again)."""
    return tx_put(
        notice_key(notice_id),
        "notice",
        notice,
        name="notice",
        indexes=notice_indexes(notice),
        condition="attribute_not_exists(PK) OR regrading_run = :run",
        values={":run": run_id},
    )


def changed_notice_item(notice: dict[str, Any], version: int) -> dict[str, Any]:
    """The notice as `notice` (optimistic on the `version` read); a closed one leaves the Due index."""
    return tx_put(
        notice_key(notice["notice_id"]),
        "notice",
        notice,
        name="notice",
        expected_version=version,
        indexes=notice_indexes(notice),
    )


def objection_item(objection: dict[str, Any], *, version: int | None) -> dict[str, Any]:
    """An objection: new when `version` is None, else optimistic on the `version` read."""
    return tx_put(
        objection_key(objection["objection_id"]),
        "objection",
        objection,
        name="objection",
        new=version is None,
        expected_version=version,
        indexes=objection_indexes(objection),
    )


def still_in_status(application_id: str, status: str) -> dict[str, Any]:
    """The application is still in `status` (its notice period) when the objection lands."""
    return tx_check(
        application_key(application_id),
        "#s = :in_notice",
        {":in_notice": status},
        name="application",
        names={"#s": "status"},
    )
