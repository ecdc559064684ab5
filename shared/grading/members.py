"""Who speaks for a provider (DOMAIN.md "Off the happy path"): its members, the claim, invitations, and staff who
settle disputes.

A credit code is a company; its people are members (`admin` or `member`), one item each beside the provider
(`PROVIDER#<cc> / MEMBER#<sub>`). Every change of members is one transaction with the provider's next audit entry,
conditional on the audit sequence read, so two admins removing each other cannot both win and leave none.

`speaks_for` and `speaks_for_application` are THE provider-side checks: every "owner" of API.md is one of them.
Records written before members existed carry `owner_sub` on the provider: that user is read as its admin, and the
first change of its members writes that admin as an item (a lazy migration, in the same transaction), and moves
what only that owner could find (its applications' summaries, its orders' index) to the provider's keys
(`_moved_records`; the key design is in store/members.py).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from grading import dal
from grading.audit import entry_for
from grading.clock import iso
from grading.errors import Conflict, Forbidden, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.ids import new_id
from grading.member_models import (
    AppointIn,
    InvitationAccepted,
    InvitationCreated,
    InvitationIn,
    MemberPage,
    MemberView,
)
from grading.races import retrying
from grading.store import members as store_members

ADMIN, MEMBER = "admin", "member"
INVITATION_DAYS = 7


# --- the checks every provider-side use-case calls ----------------------------------------------------------


def claimed(provider: dict[str, Any] | None) -> bool:
    """Claimed: a reviewer passed an application for it (or, before members, for its owner: `legacy_admin`)."""
    return bool(provider and (provider.get("claimed_at") or legacy_admin(provider)))


def legacy_admin(provider: dict[str, Any] | None) -> str | None:
    """The owner of a record written before members existed, not yet moved over to a member item. Before members
    every submission set `owner_sub`, and a submission claims nothing (DOMAIN.md "Who speaks for a provider"): the
    owner is read as the provider's admin only if a reviewer passed one of its applications for this credit code.
    A record with `claimed_at` was claimed by a pass since, and an `owner_sub` left on it says nothing."""
    provider = provider or {}
    owner = provider.get("owner_sub")
    if not owner or provider.get("claimed_at"):
        return None
    return owner if _passed_before_members(owner, provider["credit_code"]) else None


def _passed_before_members(owner: str, credit_code: str) -> bool:
    """Did a reviewer pass an application of `owner` for this credit code? Pattern 3 (OWNER#<sub>): a Query read
    only for a record that still carries `owner_sub` and no `claimed_at`, which the first change of its members
    (or a pass, which sets `claimed_at`) turns into one that needs no such read."""
    apps = dal.legacy_records_of_owner(owner, credit_code, orders=False)[0]
    return any(h.get("action") == "pass" for a in apps for h in a.get("history") or [])


def membership(caller: Caller, credit_code: str, provider: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The caller's membership of this provider ({sub, role, ...}), or None. One consistent GetItem (and the
    provider record, for a legacy owner, when the caller holds no member item)."""
    if not caller.has(Role.PROVIDER):
        return None
    found = dal.get_item(dal.member_key(credit_code, caller.sub))
    if found is not None:
        return found
    provider = provider if provider is not None else dal.get_provider(credit_code)
    return _legacy_membership(caller, credit_code, provider)


def _legacy_membership(caller: Caller, credit_code: str, provider: dict[str, Any] | None) -> dict[str, Any] | None:
    if (provider or {}).get("owner_sub") == caller.sub and legacy_admin(provider) == caller.sub:  # no read else
        return {"credit_code": credit_code, "sub": caller.sub, "role": ADMIN, "legacy": True}
    return None


def provider_and_membership(
    caller: Caller, credit_code: str, *also: dict[str, str]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, dict[tuple[str, str], dict[str, Any]]]:
    """The provider record and the caller's membership of it (as `membership` answers it), in one consistent
    BatchGet (patterns 4 and 27) instead of two GetItems; with any other keys the caller needs in the same round
    trip (their items, keyed by (PK, SK)). A caller who is no provider user has no membership to read."""
    provider_key = dal.provider_key(credit_code)
    member_key = dal.member_key(credit_code, caller.sub)
    keys = [provider_key, *([member_key] if caller.has(Role.PROVIDER) else []), *also]
    found = dal.get_many(keys)
    provider = found.get((provider_key["PK"], provider_key["SK"]))
    if provider is not None:
        provider["audit_seq"] = int(provider.get("audit_seq") or 0)  # as dal.get_provider reads it
    if not caller.has(Role.PROVIDER):
        return provider, None, found
    member = found.get((member_key["PK"], member_key["SK"])) or _legacy_membership(caller, credit_code, provider)
    return provider, member, found


def owns_application(
    caller: Caller, app: dict[str, Any], provider: dict[str, Any] | None, member: dict[str, Any] | None
) -> bool:
    """`speaks_for_application` with the provider and the caller's membership already read."""
    if not caller.has(Role.PROVIDER):
        return False
    return member is not None or bool(app.get("owner_sub") == caller.sub and not claimed(provider))


def speaks_for(caller: Caller, credit_code: str, provider: dict[str, Any] | None = None) -> bool:
    """May this caller act for the provider (a member of it, any role)?"""
    return membership(caller, credit_code, provider) is not None


def speaks_for_application(caller: Caller, app: dict[str, Any], provider: dict[str, Any] | None = None) -> bool:
    """The owner check of an application: a member of its provider, or its submitter while nobody has claimed the
    provider (API.md: "for an application not yet passed, the user who submitted it")."""
    if not caller.has(Role.PROVIDER):
        return False
    provider = provider if provider is not None else dal.get_provider(app["credit_code"])
    if speaks_for(caller, app["credit_code"], provider):
        return True
    return bool(app.get("owner_sub") == caller.sub and not claimed(provider))


def claimed_conflict(credit_code: str) -> Conflict:
    return Conflict(
        f"provider {credit_code} is already claimed by its members: ask one of its admins for an invitation, or, "
        "if you speak for this company and they do not, ask the reviewers to settle it (with the business licence)",
        code="PROVIDER_CLAIMED",
        details=[{"field": "provider.credit_code", "message": "claimed by another organisation's members"}],
    )


# --- the claim (called by the initial review's pass) --------------------------------------------------------


def member_record(
    credit_code: str, sub: str, role: str, email: str | None, at: str, by: str, via: str
) -> dict[str, Any]:
    return {
        "credit_code": credit_code,
        "sub": sub,
        "role": role,
        "email": email,
        "added_at": at,
        "added_by": by,
        "via": via,
    }


def claim(
    provider: dict[str, Any], app: dict[str, Any], at: str, actor: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A pass of `app`: the first one claims the provider for its applicant (its first admin) and sets the
    provider's profile from the checked application. Returns (provider updates, transaction items).
    A claimed provider's pass needs the applicant to be a member still (409 PROVIDER_CLAIMED)."""
    profile = {k: (app.get("provider") or {}).get(k) for k in ("name", "category", "region")}
    cc, applicant = app["credit_code"], app["owner_sub"]
    if not claimed(provider):
        admin = member_record(cc, applicant, ADMIN, app.get("owner_email"), at, actor, "claim")
        claim = {**profile, "claimed_at": at, "claimed_by": applicant, "owner_sub": None}  # None: not written
        return claim, [store_members.member_item(admin, new=True)]
    stored = dal.get_item(dal.member_key(cc, applicant))
    if stored is None and legacy_admin(provider) != applicant:
        raise claimed_conflict(cc)
    return profile, []


# --- reads --------------------------------------------------------------------------------------------------


def _roster(credit_code: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The provider and its members by sub, the legacy owner included (marked `legacy`): one Query."""
    provider, listed = dal.provider_with_members(credit_code)
    if provider is None:
        raise NotFound(f"provider {credit_code} not found")
    members = {m["sub"]: m for m in listed}
    legacy = legacy_admin(provider)
    if legacy and legacy not in members:
        members[legacy] = {
            **member_record(credit_code, legacy, ADMIN, None, provider.get("created_at", ""), legacy, "migration"),
            "legacy": True,
        }
    return provider, members


def _view(member: dict[str, Any]) -> MemberView:
    return MemberView(sub=member["sub"], role=member["role"], email=member.get("email"), added_at=member["added_at"])


def list_members(caller: Caller, credit_code: str) -> MemberPage:
    caller.require(Role.PROVIDER, Role.REVIEWER, Role.ADMIN)
    _, members = _roster(credit_code)
    if not (caller.is_staff or _member_in(caller, members)):
        raise NotFound(f"provider {credit_code} not found")
    return MemberPage(items=[_view(m) for _, m in sorted(members.items())])


def applications_spoken_for(caller: Caller) -> list[dict[str, Any]]:
    """Applications (whole, or their summaries) of the caller's providers, and its own submissions for providers it
    still speaks for (unclaimed, or its legacy ownership). A user belongs to few providers, each with few
    applications: every one is read, then paged in memory."""
    codes = {m["credit_code"] for m in dal.memberships_of(caller.sub)}
    found: dict[str, dict[str, Any]] = {}
    for cc in sorted(codes):
        found.update({a["application_id"]: a for a in dal.applications_of_provider(cc)})
    own: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        items, token = dal.applications_by_owner(caller.sub, 100, token)
        own += [a for a in items if a["application_id"] not in found and a["credit_code"] not in codes]
        if not token:
            break
    keys = [dal.provider_key(cc) for cc in sorted({a["credit_code"] for a in own})][:100]
    providers = dal.get_many(keys) if keys else {}  # DynamoDB refuses a BatchGetItem of no keys (moto does not)
    for app in own:
        key = dal.provider_key(app["credit_code"])
        provider = providers.get((key["PK"], key["SK"]))
        if not claimed(provider) or legacy_admin(provider) == caller.sub:
            found[app["application_id"]] = app
    return list(found.values())


def encode_cursor(last: tuple[str, str]) -> str:
    """A page's end in a list merged over the caller's providers: (when, id) of its last item."""
    return base64.urlsafe_b64encode(json.dumps(list(last)).encode()).decode()


def decode_cursor(token: str | None) -> tuple[str, str] | None:
    if not token:
        return None
    try:
        at, item_id = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(at), str(item_id)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput.field("next_token", "is not a token from this list") from None


def page_of(items: list[Any], key: Any, limit: int, token: str | None) -> tuple[list[Any], str | None]:
    """Newest first by `key` (a (when, id) pair), after the cursor; the next cursor when more remain."""
    ordered = sorted(items, key=key, reverse=True)
    after = decode_cursor(token)
    if after is not None:
        ordered = [i for i in ordered if key(i) < after]
    page = ordered[:limit]
    return page, encode_cursor(key(page[-1])) if len(ordered) > limit else None


def rectifications_spoken_for(caller: Caller) -> list[dict[str, Any]]:
    """The rectification orders of the caller's providers (and of a legacy owner, indexed by its sub then)."""
    codes = sorted({m["credit_code"] for m in dal.memberships_of(caller.sub)})
    found: dict[str, dict[str, Any]] = {}
    for partition in [*codes, caller.sub]:
        token: str | None = None
        while True:
            items, token = dal.rectifications_of_provider(partition, 100, token)
            found.update({o["rectification_id"]: o for o in items})
            if not token:
                break
    legacy = {o["credit_code"] for o in found.values() if o["credit_code"] not in codes}
    allowed = set(codes) | {cc for cc in legacy if speaks_for(caller, cc)}
    return [o for o in found.values() if o["credit_code"] in allowed]


# --- writes -------------------------------------------------------------------------------------------------


def _commit(
    provider: dict[str, Any],
    members: dict[str, dict[str, Any]],
    changes: dict[str, dict[str, Any] | None],
    at: str,
    actor: str,
    action: str,
    data: dict[str, Any],
    extra: list[dict[str, Any]] | None = None,
) -> None:
    """Members changed (`None`: removed), with the legacy owner written as a member item if it is still one, the
    provider's `owner_sub` dropped, and the audit entry: one transaction."""
    items: list[dict[str, Any]] = list(extra or [])
    for sub, member in changes.items():
        before = members.get(sub)
        if member is not None:
            items.append(store_members.member_item(member))
        elif before is not None and not before.get("legacy"):
            items.append(store_members.member_removal_item(provider["credit_code"], sub))
    after = dict(provider)
    after.pop("owner_sub", None)  # a legacy owner is moved over (below), an unproven one dropped
    legacy = next((sub for sub, m in members.items() if m.get("legacy")), None)  # as _roster read it
    if legacy:
        if legacy not in changes:
            items.append(
                store_members.member_item({k: v for k, v in members[legacy].items() if k != "legacy"}, new=True)
            )
        items += _moved_records(provider["credit_code"], legacy, room=MAX_TRANSACTION_ITEMS - 2 - len(items))
        after.setdefault("claimed_at", at)
        data = {**data, "migrated_owner": legacy}
    after["updated_at"] = at
    entry = entry_for(provider, at=at, actor=actor, action=action, data=data)
    dal.commit(dal.Change(provider["credit_code"], after, int(provider["audit_seq"]), entry, extra=items))


MAX_TRANSACTION_ITEMS = 100  # DynamoDB's TransactWriteItems limit


def _moved_records(credit_code: str, owner: str, room: int) -> list[dict[str, Any]]:
    """The move of a legacy owner's records to its provider's indexes (the key design: store/members.py): the
    missing summary copies of its applications and its orders re-indexed by credit code, as transaction items for
    the move itself. What does not fit in `room` is written first, in transactions of its own: each item is
    conditional and idempotent, so a move that then loses its race and runs again finds it done and skips it."""
    apps, orders = dal.legacy_records_of_owner(owner, credit_code)
    copied = {s["application_id"] for s in dal.applications_of_provider(credit_code, consistent=True)}
    items = [store_members.legacy_summary_item(credit_code, a) for a in apps if a["application_id"] not in copied]
    items += [store_members.legacy_order_reindex_item(o) for o in orders]
    while items and len(items) > room:
        ahead, items = items[:MAX_TRANSACTION_ITEMS], items[MAX_TRANSACTION_ITEMS:]
        dal.write(*ahead)
    return items


def _admins_after(members: dict[str, dict[str, Any]], changes: dict[str, dict[str, Any] | None]) -> int:
    merged = {**members, **changes}
    return sum(1 for m in merged.values() if m is not None and m["role"] == ADMIN)


def _member_in(caller: Caller, members: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """`membership`, out of the roster just read (consistent, the legacy owner included): no read of its own."""
    return members.get(caller.sub) if caller.has(Role.PROVIDER) else None


def _require_admin(caller: Caller, credit_code: str, members: dict[str, dict[str, Any]]) -> None:
    found = _member_in(caller, members)
    if found is None:
        raise NotFound(f"provider {credit_code} not found")
    if found["role"] != ADMIN:
        raise Forbidden("only an admin of this provider may do this")


def invite(caller: Caller, credit_code: str, body: InvitationIn, now: datetime) -> InvitationCreated:
    caller.require(Role.PROVIDER)

    def attempt() -> InvitationCreated:
        provider, members = _roster(credit_code)
        _require_admin(caller, credit_code, members)
        at = iso(now)
        invitation_id = new_id()
        code = f"{invitation_id}.{secrets.token_hex(16)}"
        expires_at = iso(now + timedelta(days=body.days or INVITATION_DAYS))
        invitation = {
            "invitation_id": invitation_id,
            "credit_code": credit_code,
            "provider_name": provider.get("name"),
            "email": body.email,
            "role": body.role,
            "code": code,  # kept so the notifier can mail it; it works once and expires
            "status": "pending",
            "invited_by": caller.sub,
            "created_at": at,
            "expires_at": expires_at,
        }
        put = store_members.invitation_item(invitation, version=None)
        data = {"invitation_id": invitation_id, "role": body.role, "expires_at": expires_at}
        _commit(provider, members, {}, at, caller.sub, "member.invited", data, extra=[put])
        return InvitationCreated(invitation_id=invitation_id, code=code, expires_at=expires_at, role=body.role)

    return retrying(attempt, what="provider's members")


def _invitation_for(code: str) -> dict[str, Any]:
    invitation_id, _, _secret = code.partition(".")
    found = dal.get_item(dal.invitation_key(invitation_id)) if invitation_id else None
    if found is None or not hmac.compare_digest(str(found.get("code", "")).encode(), code.encode()):
        raise NotFound("no such invitation")
    return found


def accept(caller: Caller, code: str, now: datetime) -> InvitationAccepted:
    caller.require(Role.PROVIDER)

    def attempt() -> InvitationAccepted:
        invitation = _invitation_for(code)
        if invitation["status"] != "pending":
            raise Conflict("this invitation was already used", code="INVITATION_USED")
        if iso(now) >= invitation["expires_at"]:
            raise Conflict(f"this invitation expired at {invitation['expires_at']}", code="INVITATION_EXPIRED")
        cc = invitation["credit_code"]
        provider, members = _roster(cc)
        if caller.sub in members:
            raise Conflict(f"you are already a member of {cc}", code="ALREADY_MEMBER")
        at = iso(now)
        joined = member_record(
            cc, caller.sub, invitation["role"], invitation.get("email") or caller.email, at, caller.sub, "invitation"
        ) | {"invitation_id": invitation["invitation_id"], "invited_by": invitation.get("invited_by")}
        used = {**invitation, "status": "accepted", "accepted_by": caller.sub, "accepted_at": at}
        version = used.pop("version")
        put = store_members.invitation_item(used, version=version)
        data = {"invitation_id": used["invitation_id"], "sub": caller.sub, "role": joined["role"]}
        _commit(provider, members, {caller.sub: joined}, at, caller.sub, "member.joined", data, extra=[put])
        return InvitationAccepted(credit_code=cc, role=joined["role"])

    return retrying(attempt, what="provider's members")


def remove(caller: Caller, credit_code: str, sub: str, reason: str | None, now: datetime) -> MemberPage:
    """A provider admin removes a member; staff remove anyone, with a reason. Never the last admin."""
    caller.require(Role.PROVIDER, Role.REVIEWER, Role.ADMIN)
    staff = caller.is_staff
    if staff and not reason:
        raise InvalidInput.field("reason", "staff give a reason for removing a member (it is audited)")

    def attempt() -> MemberPage:
        provider, members = _roster(credit_code)
        if not staff:
            _require_admin(caller, credit_code, members)
        if sub not in members:
            raise NotFound(f"{sub} is not a member of {credit_code}")
        changes: dict[str, dict[str, Any] | None] = {sub: None}
        if members[sub]["role"] == ADMIN and _admins_after(members, changes) == 0:
            raise _last_admin(credit_code)
        data = {"sub": sub, "role": members[sub]["role"], "reason": reason, "by_staff": staff}
        _commit(provider, members, changes, iso(now), caller.sub, "member.removed", data)
        remaining = {k: v for k, v in members.items() if k != sub}
        return MemberPage(items=[_view(m) for _, m in sorted(remaining.items())])

    return retrying(attempt, what="provider's members")


def appoint(caller: Caller, credit_code: str, sub: str, body: AppointIn, now: datetime) -> MemberView:
    """Staff settle a dispute: make `sub` an admin or a member (added if it was not one), with a reason."""
    caller.require(Role.REVIEWER, Role.ADMIN)

    def attempt() -> MemberView:
        provider, members = _roster(credit_code)
        at = iso(now)
        before = members.get(sub)
        appointed = {**(before or member_record(credit_code, sub, body.role, None, at, caller.sub, "staff"))}
        appointed = {k: v for k, v in appointed.items() if k not in ("legacy", "version")} | {"role": body.role}
        changes: dict[str, dict[str, Any] | None] = {sub: appointed}
        if _admins_after(members, changes) == 0:
            raise _last_admin(credit_code)
        data = {"sub": sub, "role": body.role, "previous_role": (before or {}).get("role"), "reason": body.reason}
        extra = {"claimed_at": provider.get("claimed_at") or at}
        _commit({**provider, **extra}, members, changes, at, caller.sub, "member.appointed", data)
        return _view(appointed)

    return retrying(attempt, what="provider's members")


def _last_admin(credit_code: str) -> Conflict:
    return Conflict(
        f"this would leave provider {credit_code} without an admin: appoint another admin first",
        code="LAST_ADMIN",
    )
