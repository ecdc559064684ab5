"""Expert site evaluation and the grade decision (lifecycle steps 3-4): the panel draw and declines, scorecards,
and the decision that opens the public notice. Schemes and the expert registry are in experts.py.

Like applications.py: read, decide with the pure rules (`panel`, `scoring`, `lifecycle`), then one transaction
with the provider's next audit entry; a lost race re-reads and decides again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from grading import dal, deadlines, panel, policy_store
from grading.applications import load_visible
from grading.audit import canonical, entry_for
from grading.clock import iso
from grading.errors import Conflict, Forbidden, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.ids import new_id
from grading.lifecycle import Action, Status, history_entry, releases_slot, transition
from grading.models import (
    DecisionView,
    PanelView,
    ScorecardIn,
    ScorecardView,
)
from grading.races import retrying
from grading.schemes import Scheme, default_scheme
from grading.scoring import Card, decide
from grading.store import notices as store_notices
from grading.store import panels

# --- the common shape of a provider-audited change ----------------------------------------------------------


def _commit(
    dossier: dal.Dossier,
    caller: Caller,
    now: datetime,
    *,
    action: str,
    audit_data: dict[str, Any],
    application: dict[str, Any] | None = None,
    provider_updates: dict[str, Any] | None = None,
    extra: list[dict[str, Any]] | None = None,
    slot: str | None = None,
    provider: dict[str, Any] | None = None,
) -> None:
    app = dossier.application
    assert app is not None
    provider = provider or dal.get_provider(app["credit_code"])
    if provider is None:
        raise RuntimeError(f"provider {app['credit_code']} missing")
    at = iso(now)
    entry = entry_for(
        provider,
        at=at,
        actor=caller.sub,
        action=action,
        data={"application_id": app["application_id"], **audit_data},
    )
    dal.commit(
        dal.Change(
            app["credit_code"],
            {**provider, **(provider_updates or {}), "updated_at": at},
            provider["audit_seq"],
            entry,
            application=application,
            expected_version=app["version"] if application is not None else None,
            slot=slot,
            extra=extra or [],
        )
    )


def _scheme_of(app: dict[str, Any]) -> Scheme:
    return Scheme.model_validate(app["scheme"]) if app.get("scheme") else default_scheme()


def _history(app: dict[str, Any], at: str, actor: str, action: str, after: str, **extra: Any) -> list[dict[str, Any]]:
    return [*app["history"], history_entry(at, actor, action, app["status"], after, omit=(None,), **extra)]


def _open_panel(dossier: dal.Dossier) -> dict[str, Any]:
    app = dossier.application
    assert app is not None
    current = dossier.panel()
    if Status(app["status"]) is not Status.EVALUATING or current is None or current["status"] != "open":
        raise Conflict(f"the panel of application {app['application_id']} is not open", code="PANEL_CLOSED")
    return current


# --- panel ---------------------------------------------------------------------------------------------------


def panel_view(dossier: dal.Dossier, record: dict[str, Any], verify: bool = False) -> PanelView:
    app = dossier.application
    assert app is not None
    return PanelView(
        application_id=app["application_id"],
        round=int(record["round"]),
        status=record["status"],
        panel=record["members"],
        seed=record["seed"],
        candidates=record["candidates"],
        size=int(record["size"]),
        drawn=record["drawn"],
        declines=record.get("declines", []),
        scheme_version=record["scheme_version"],
        drawn_at=record["drawn_at"],
        verification=panel.verify(record).as_dict() if verify else None,
    )


def _provider_and_pool(credit_code: str, category: str) -> tuple[dict[str, Any], list[panel.PoolEntry]]:
    """The provider and the expert pool of its category, in one round trip (pattern 8)."""
    found = dal.get_many([dal.provider_key(credit_code), dal.pool_key(category)])
    provider = found.get((f"PROVIDER#{credit_code}", "PROFILE"))
    assert provider is not None  # written with the application
    pool = [
        panel.PoolEntry(i["expert_id"], bool(i["active"]), frozenset(i.get("affiliations", [])))
        for i in dal.pool_members(found.get((f"POOL#{category}", "MEMBERS")))
    ]
    return provider, pool


def draw_panel(caller: Caller, application_id: str, now: datetime) -> PanelView:
    caller.require(Role.ADMIN)

    def step() -> PanelView:
        dossier = load_visible(caller, application_id)
        app = dossier.application
        assert app is not None
        if Status(app["status"]) is not Status.EVALUATING:
            raise Conflict(
                f"a panel is drawn for an application in evaluation, not {app['status']}", code="INVALID_STATE"
            )
        existing = dossier.panel()
        if existing and existing["status"] == "open":
            raise Conflict("this application already has an open panel", code="PANEL_EXISTS")
        scheme = _scheme_of(app)
        category = app["provider"]["category"]
        provider, pool = _provider_and_pool(app["credit_code"], category)
        previous = provider.get("last_evaluation_experts", [])
        candidates = panel.eligible(pool, app["credit_code"], previous)
        if len(candidates) < scheme.panel_min:
            raise Conflict(
                f"only {len(candidates)} eligible expert(s) for category {category}; a panel needs at least "
                f"{scheme.panel_min}",
                code="NOT_ENOUGH_EXPERTS",
                details=[{"field": "eligible", "message": str(len(candidates))}],
            )
        seed = panel.new_seed()
        size = min(scheme.panel_size, len(candidates))
        drawn = panel.draw(seed, candidates, size)
        round_ = int(app.get("panel_round") or 0) + 1
        at = iso(now)
        record = {
            "round": round_,
            "status": "open",
            "seed": seed,
            "candidates": candidates,
            "size": size,
            "drawn": drawn,
            "members": drawn,
            "declines": [],
            "excluded_previous": sorted(previous),
            "scheme_version": scheme.version,
            "drawn_at": at,
            "drawn_by": caller.sub,
        }
        updated = {
            **app,
            "panel_round": round_,
            "updated_at": at,
            "history": _history(app, at, caller.sub, "draw_panel", app["status"], note=f"round {round_}"),
        }
        _commit(
            dossier,
            caller,
            now,
            action="panel.drawn",
            audit_data={"round": round_, "seed": seed, "candidates": candidates, "drawn": drawn},
            application=updated,
            extra=[panels.panel_item(application_id, round_, record, version=None)],
            provider=provider,
        )
        dossier.application = updated
        return panel_view(dossier, {**record, "version": 1})

    return retrying(step)


def get_panel(caller: Caller, application_id: str) -> PanelView:
    if not caller.has(Role.ADMIN, Role.REVIEWER, Role.EXPERT):
        raise Forbidden("only staff and experts may read a panel")
    dossier = load_visible(caller, application_id)
    record = dossier.panel()
    if record is None:
        raise NotFound(f"application {application_id} has no panel yet")
    return panel_view(dossier, record, verify=True)


def decline(caller: Caller, application_id: str, reason: str, now: datetime) -> PanelView:
    caller.require(Role.EXPERT)

    def step() -> PanelView:
        dossier = load_visible(caller, application_id)
        record = _open_panel(dossier)
        if caller.sub not in record["members"]:
            raise Forbidden("only an expert on this panel may decline it", code="NOT_ON_PANEL")
        round_ = int(record["round"])
        if (round_, caller.sub) in dossier.cards:
            raise Conflict("you have already scored this application; it cannot be declined now", code="ALREADY_SCORED")
        taken = [*record["drawn"], *(d["replacement"] for d in record["declines"] if d.get("replacement"))]
        substitute = panel.replacement(record["seed"], record["candidates"], taken)
        members = [m for m in record["members"] if m != caller.sub] + ([substitute] if substitute else [])
        scheme = _scheme_of(dossier.application or {})
        if len(members) < scheme.panel_min:
            raise Conflict(
                f"no eligible expert is left to replace you; the panel would fall below {scheme.panel_min}",
                code="NOT_ENOUGH_EXPERTS",
            )
        decline_entry = {"expert_id": caller.sub, "reason": reason, "at": iso(now), "replacement": substitute}
        updated = {**record, "members": members, "declines": [*record["declines"], decline_entry]}
        version = updated.pop("version")
        _commit(
            dossier,
            caller,
            now,
            action="panel.declined",
            audit_data={"round": round_, **decline_entry},
            extra=[panels.panel_item(application_id, round_, updated, version=version)],
        )
        return panel_view(dossier, updated)

    return retrying(step)


# --- scorecards ----------------------------------------------------------------------------------------------


def _check_card(scheme: Scheme, body: ScorecardIn) -> None:
    keys = {c.key for c in scheme.criteria}
    details = [
        {"field": f"scores.{k}", "message": "is required by the scheme"} for k in sorted(keys - set(body.scores))
    ]
    details += [
        {"field": f"scores.{k}", "message": f"is not a criterion of scheme {scheme.version}"}
        for k in sorted(set(body.scores) - keys)
    ]
    if body.veto and body.veto.item not in {v.key for v in scheme.veto_items}:
        allowed = ", ".join(v.key for v in scheme.veto_items)
        details.append({"field": "veto.item", "message": f"must be one of: {allowed}"})
    if details:
        raise InvalidInput(f"the scorecard does not fit scheme {scheme.version}", details=details)


def submit_scorecard(
    caller: Caller, application_id: str, expert_id: str, body: ScorecardIn, now: datetime
) -> ScorecardView:
    caller.require(Role.EXPERT)
    if caller.sub != expert_id:
        raise Forbidden("an expert submits only their own scorecard")

    def step() -> ScorecardView:
        dossier = load_visible(caller, application_id)
        app = dossier.application
        assert app is not None
        record = _open_panel(dossier)
        if expert_id not in record["members"]:
            raise Forbidden("only experts on the current panel may score", code="NOT_ON_PANEL")
        _check_card(_scheme_of(app), body)
        round_ = int(record["round"])
        previous = dossier.cards.get((round_, expert_id))
        revision = int(previous["revision"]) + 1 if previous else 1
        scores = dict(sorted(body.scores.items()))
        card: dict[str, Any] = {
            "application_id": application_id,
            "expert_id": expert_id,
            "round": round_,
            "scores": scores,
            "comment": body.comment,
            "veto": body.veto.model_dump() if body.veto else None,
            "revision": revision,
            "submitted_at": iso(now),
        }
        fingerprint = hashlib.sha256(canonical(card).encode()).hexdigest()
        _commit(
            dossier,
            caller,
            now,
            action="scorecard.replaced" if previous else "scorecard.submitted",
            audit_data={
                "round": round_,
                "expert_id": expert_id,
                "revision": revision,
                "card_sha256": fingerprint,
                "scores": {k: str(v) for k, v in scores.items()},
                "veto": card["veto"],
            },
            # The panel must still be open with this expert on it when the card lands.
            extra=panels.scorecard_items(application_id, round_, expert_id, card, previous),
        )
        return _card_view(card)

    return retrying(step)


def _card_view(card: dict[str, Any]) -> ScorecardView:
    return ScorecardView(
        application_id=card["application_id"],
        expert_id=card["expert_id"],
        round=int(card["round"]),
        scores={k: str(v) for k, v in card["scores"].items()},
        comment=card["comment"],
        veto=card.get("veto"),
        revision=int(card["revision"]),
        submitted_at=card["submitted_at"],
    )


# --- decision ------------------------------------------------------------------------------------------------


def _ready_to_decide(dossier: dal.Dossier) -> tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, Any]]]:
    """The application, its open panel and the round's scorecards, once every member has scored."""
    app = dossier.application
    assert app is not None
    if Status(app["status"]) is not Status.EVALUATING:
        raise Conflict(
            f"the application is {app['status']}: already decided or not in evaluation", code="INVALID_STATE"
        )
    record = _open_panel(dossier)
    cards = dossier.round_cards(int(record["round"]))
    missing = [m for m in record["members"] if m not in cards]
    if missing:
        raise Conflict(
            f"{len(missing)} panel member(s) have not scored yet",
            code="CARDS_MISSING",
            details=[{"field": f"scorecards.{m}", "message": "missing"} for m in missing],
        )
    return app, record, cards


def make_decision(caller: Caller, application_id: str, now: datetime) -> DecisionView:
    caller.require(Role.ADMIN)

    def step() -> DecisionView:
        dossier = load_visible(caller, application_id)
        app, record, cards = _ready_to_decide(dossier)
        round_ = int(record["round"])
        scheme = _scheme_of(app)
        result = decide(
            scheme,
            [
                Card(m, {k: Decimal(str(v)) for k, v in cards[m]["scores"].items()}, cards[m].get("veto"))
                for m in record["members"]
            ],
        )
        graded = result.grade is not None
        # The provider, with the notice settings a graded decision's notice needs: one BatchGet (patterns 4, 23).
        settings_keys = [policy_store.key_of(n) for n in deadlines.NOTICE_SETTINGS] if graded else []
        provider, found = dal.get_provider_with(app["credit_code"], *settings_keys)
        action = Action.DECIDE_GRADED if graded else Action.DECIDE_NOT_GRADED
        before, after = app["status"], transition(app["status"], action)
        at = iso(now)
        notice_id = new_id() if graded else None
        updated = {
            **app,
            "status": after.value,
            "grade": result.grade,
            "total": str(result.total),  # a string keeps its two places through DynamoDB
            "explanation": result.explanation,
            "notice_id": notice_id,
            "decided_at": at,
            "updated_at": at,
            "history": _history(app, at, caller.sub, action.value, after.value, note=f"total {result.total}"),
        }
        panel_record = {**record, "status": "closed", "closed_at": at}
        panel_version = panel_record.pop("version")
        extra = [panels.panel_item(application_id, round_, panel_record, version=panel_version)]
        if notice_id:
            extra.append(_grading_notice(notice_id, app, result.grade, result.total, now, found))
        _commit(
            dossier,
            caller,
            now,
            action="application.decided",
            audit_data={
                "round": round_,
                "grade": result.grade,
                "total": str(result.total),
                "scheme_version": scheme.version,
                "notice_id": notice_id,
                "cards": {m: int(cards[m]["revision"]) for m in record["members"]},
            },
            application=updated,
            provider_updates={"last_evaluation_experts": record["members"]},
            extra=extra,
            slot="release" if releases_slot(before, after) else None,
            provider=provider,
        )
        return DecisionView(
            application_id=application_id,
            status=after,
            grade=result.grade,
            total=str(result.total),
            notice_id=notice_id,
            explanation=result.explanation,
        )

    return retrying(step)


def _grading_notice(
    notice_id: str,
    app: dict[str, Any],
    grade: int | None,
    total: Decimal,
    now: datetime,
    found: dict[tuple[str, str], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The 公示 record; the notices pipeline renders it from the table's stream. `found`: a BatchGet that read the
    notice settings (deadlines.NOTICE_SETTINGS)."""
    at = iso(now)
    closes_at, contact, used = deadlines.notice_window(now, found)  # the stored settings, on the official calendar
    notice = {
        "notice_id": notice_id,
        "kind": "grading",
        "status": "open",
        "published_at": at,
        "window_opens_at": at,
        "window_closes_at": closes_at,
        "procurement_contact": contact or None,
        **used,  # settings and calendar versions
        "entries": [
            {
                "application_id": app["application_id"],
                "provider_name": app["provider"]["name"],
                "credit_code": app["credit_code"],
                "category": app["provider"]["category"],
                "grade": grade,
                "total": str(total),
                "scheme_version": app.get("scheme_version"),
            }
        ],
    }
    return store_notices.new_notice_item(notice_id, notice)
