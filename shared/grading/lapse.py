"""A return for more documents (补正) whose deadline passed without a resubmission lapses (`lapsed`), run by the
daily sweep from the Due index (DUE#RETURN_DEADLINE): the slot is freed in the same transaction, so the provider
may apply again; the history, the audit trail and the ApplicationLapsed event say so. Only a `returned`
application lapses, and a return comes before the pass, so no panel is ever open to close (a withdrawal, which
may come during the evaluation, closes it: applications._change)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import dal
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.lifecycle import Action, Status, history_entry, releases_slot, transition
from grading.races import exhausted, retrying


def lapse(due: dict[str, Any], now: datetime) -> bool:
    """Lapse one returned application whose deadline is before today; False when it is no longer due."""
    today = local_date(now).isoformat()

    def attempt() -> bool:
        app = dal.get_item(dal.application_key(due["application_id"]))
        if (
            app is None
            or app["status"] != Status.RETURNED.value
            or not app.get("return_deadline")
            or app["return_deadline"] >= today
        ):
            return False
        provider = dal.get_provider(app["credit_code"])
        assert provider is not None  # written with the application
        at = iso(now)
        after = transition(app["status"], Action.LAPSE)
        entry = history_entry(
            at,
            "daily-sweep",
            Action.LAPSE.value,
            app["status"],
            after.value,
            deadline=app["return_deadline"],
            note=f"补正期限 {app['return_deadline']} 已过，申请失效；可重新申请。The deadline passed; apply again.",
        )
        updated = {**app, "status": after.value, "updated_at": at, "history": [*app["history"], entry]}
        audit = entry_for(
            provider,
            at=at,
            actor="daily-sweep",
            action="application.lapsed",
            data={"application_id": app["application_id"], "deadline": app["return_deadline"]},
        )
        dal.commit(
            dal.Change(
                app["credit_code"],
                {**provider, "updated_at": at},
                int(provider["audit_seq"]),
                audit,
                application=updated,
                expected_version=app["version"],
                slot="release" if releases_slot(app["status"], after) else None,
            )
        )
        return True

    return retrying(attempt, gave_up=exhausted)
