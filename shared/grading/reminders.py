"""The daily sweep's reminders: a rectification deadline in 3 days, a scorecard still missing 3 days after the
draw. Each is a domain event put straight on the bus (ids only, like every event) for the notifier; its
`event_id` names the reminder, so the same reminder raised on two days (or by a re-run) is sent once.
(A qualification expiring in 30 days is the sweep's QualificationExpiring event, from the table's stream.)

Reads only what is due: rectification orders by deadline and open panels by draw date, through the Due index.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from grading import dal, publisher
from grading.clock import iso, local_date
from grading.events import DomainEvent
from grading.lifecycle import Status
from grading.store import notifications as dal_notify

# Fixed by DOMAIN.md ("People are told": a rectification deadline "and 3 days before it"), not a setting. A
# reminder decides nothing, so it has no settings version to record.
RECTIFICATION_AHEAD_DAYS = 3


def rectification_events(now: datetime) -> list[DomainEvent]:
    today = local_date(now)
    first, last = (today + timedelta(days=1)).isoformat(), (today + timedelta(days=RECTIFICATION_AHEAD_DAYS))
    return [
        DomainEvent(
            "RectificationDeadlineNear",
            {
                "rectification_id": order["rectification_id"],
                "credit_code": order["credit_code"],
                "deadline": order["deadline"],
                "event_id": f"rectification:{order['rectification_id']}:deadline-near:{order['deadline']}",
            },
        )
        for order in dal_notify.deadlines_between("RECT_DEADLINE", first, last.isoformat())
        if order.get("status") in ("open", "rejected")
    ]


def _evaluating(application_ids: list[str]) -> set[str]:
    """Which of these applications are still being evaluated (BatchGets of at most 100 keys)."""
    found: set[str] = set()
    for start in range(0, len(application_ids), 100):
        keys = [dal.application_key(a) for a in application_ids[start : start + 100]]
        apps = dal.get_many(keys).values()
        found |= {a["application_id"] for a in apps if a.get("status") == Status.EVALUATING.value}
    return found


def scorecard_events(now: datetime) -> list[DomainEvent]:
    found: list[DomainEvent] = []
    due = [r for r in dal_notify.panels_due(iso(now)) if r.get("status") == "open"]
    # A withdrawal closes the panel with it; a panel left open by an application that is no longer evaluated
    # (withdrawn before that was so) reminds nobody either.
    evaluating = _evaluating(sorted({r["application_id"] for r in due}))
    for record in due:
        if record["application_id"] not in evaluating:
            continue
        round_ = int(record["round"])
        app_id = record["application_id"]
        scored = {c.get("expert_id") for c in dal.query_partition(f"APP#{app_id}", f"CARD#{round_:02d}#")}
        found += [
            DomainEvent(
                "ScorecardMissing",
                {
                    "application_id": app_id,
                    "round": round_,
                    "expert_id": expert,
                    "drawn_at": record.get("drawn_at"),
                    "event_id": f"panel:{app_id}:{round_}:card-missing:{expert}",
                },
            )
            for expert in record.get("members") or []
            if expert not in scored
        ]
    return found


def run(now: datetime) -> dict[str, Any]:
    """Raise today's reminders; returns how many of each were put on the bus."""
    rectifications, scorecards = rectification_events(now), scorecard_events(now)
    publisher.publish([*rectifications, *scorecards])
    return {"rectification_reminders": len(rectifications), "scorecard_reminders": len(scorecards)}
