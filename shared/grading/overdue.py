"""A rectification order (整改) past its deadline without an accepted report makes its provider `warned` (DOMAIN.md,
"Rectification overdue"). The daily sweep marks each order once (`overdue_since`), from the Due index, and the
provider record keeps the overdue ids, so eligibility still answers in one read; accepting the report clears it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from grading import dal, policy_store
from grading.audit import entry_for
from grading.clock import iso, local_date
from grading.races import exhausted, retrying
from grading.standing import derive_status
from grading.store import rectifications as store_rectifications


def mark_overdue(due: dict[str, Any], now: datetime) -> bool:
    def attempt() -> bool:
        order = dal.get_item(dal.rectification_key(due["rectification_id"]))
        if order is None or order.get("overdue_since") or order["status"] not in ("open", "rejected", "reported"):
            return False
        if order["deadline"] >= local_date(now).isoformat():
            return False
        provider = dal.get_provider(order["credit_code"])
        assert provider is not None
        stored = policy_store.current("assessment")
        at = iso(now)
        marked = {**order, "overdue_since": at}
        version = marked.pop("version")
        overdue = sorted({*(provider.get("overdue_rectifications") or []), order["rectification_id"]})
        after = {**provider, "overdue_rectifications": overdue, "updated_at": at}
        after["status"] = derive_status(after, stored.values.failure_limit)
        audit = entry_for(
            provider,
            at=at,
            actor="daily-sweep",
            action="rectification.overdue",
            data={"rectification_id": order["rectification_id"], "deadline": order["deadline"], "settings": stored.ref},
        )
        extra = [store_rectifications.changed_rectification_item(marked, version)]
        dal.commit(dal.Change(order["credit_code"], after, int(provider["audit_seq"]), audit, extra=extra))
        return True

    return retrying(attempt, gave_up=exhausted)
