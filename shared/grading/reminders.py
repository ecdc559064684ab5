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
from grading.store import notifications as dal_notify

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


def scorecard_events(now: datetime) -> list[DomainEvent]:
    found: list[DomainEvent] = []
    for record in dal_notify.panels_due(iso(now)):
        if record.get("status") != "open":
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
