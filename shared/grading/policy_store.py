"""The versioned settings as stored: read the current version (defaults are version 0 until an admin saves one),
save a new version. Each version is kept (SETTINGS#<name> / VERSION#n) beside a current copy; saving writes both
in one transaction, conditional on the current copy being the version read, so two admins cannot both win."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from grading import calendar, dal, policy
from grading.clock import iso
from grading.errors import Conflict, InvalidInput, NotFound
from grading.identity import Caller, Role
from grading.races import retrying
from grading.store import settings as store_settings


@dataclass(frozen=True)
class Stored:
    """One settings document: its values, the version they are, and who saved it when."""

    name: str
    version: int
    values: Any
    changed_by: str | None = None
    changed_at: str | None = None

    @property
    def ref(self) -> str:
        """How a decision records the version it used: `notice@3`."""
        return f"{self.name}@{self.version}"

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at,
            **self.values.model_dump(mode="json", exclude={"version"}),
        }


def _stored(name: str, item: dict[str, Any] | None) -> Stored:
    if item is None:
        return Stored(name, 0, policy.default(name), "default")
    version = int(item["settings_version"])
    values = policy.parse(name, item["values"])
    if name == "regrading":  # a run records the config version it used: the settings version
        values = values.model_copy(update={"version": f"settings-v{version}"})
    return Stored(name, version, values, item.get("changed_by"), item.get("changed_at"))


def read(*names: str) -> dict[str, Stored]:
    """The current version of each named document, in one round trip."""
    keys = [dal.settings_key(n) for n in names]
    found = dal.get_many(keys)
    return {n: _stored(n, found.get((k["PK"], k["SK"]))) for n, k in zip(names, keys, strict=True)}


def key_of(name: str) -> dict[str, str]:
    """The current copy's key, for a caller that reads it in its own BatchGet (pattern 23 with other items)."""
    return dal.settings_key(name)


def from_found(name: str, found: dict[tuple[str, str], dict[str, Any]]) -> Stored:
    """The current version, out of a BatchGet that included `key_of(name)`."""
    key = dal.settings_key(name)
    return _stored(name, found.get((key["PK"], key["SK"])))


def current(name: str) -> Stored:
    return read(name)[name]


def read_with_calendar(
    name: str, found: dict[tuple[str, str], dict[str, Any]] | None = None
) -> tuple[Stored, Stored, calendar.Calendar]:
    """The named settings, the stored `calendar` settings (whose version a deadline records too) and the calendar
    they make. `found`: a BatchGet of the caller's that included `key_of(name)` and `key_of("calendar")`."""
    both = read(name, "calendar") if found is None else {n: from_found(n, found) for n in (name, "calendar")}
    return both[name], both["calendar"], both["calendar"].values.calendar()


def _known(name: str) -> str:
    if name not in policy.MODELS:
        raise NotFound(f"no settings named {name}; known: {', '.join(policy.MODELS)}")
    return name


def get(caller: Caller, name: str) -> dict[str, Any]:
    caller.require(Role.ADMIN, Role.REVIEWER)
    return current(_known(name)).document()


def _changed() -> Conflict:
    return Conflict("the settings changed while we were saving; read them again", code="CONCURRENT_CHANGE")


def put(caller: Caller, name: str, document: Any, now: datetime) -> dict[str, Any]:
    caller.require(Role.ADMIN)
    _known(name)
    if not isinstance(document, dict):
        raise InvalidInput.field("body", "must be the settings document, a JSON object")
    try:
        values = policy.parse(name, document)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise InvalidInput(f"{len(details)} invalid field(s) in the {name} settings", details=details) from None

    def attempt() -> dict[str, Any]:
        before = current(name)
        version = before.version + 1
        body = {
            "settings_version": version,
            "values": values.model_dump(mode="json", exclude={"version"}),
            "changed_by": caller.sub,
            "changed_at": iso(now),
        }
        dal.write(*store_settings.settings_version_items(name, version, body, before.version))
        return _stored(name, body).document()

    return retrying(attempt, gave_up=_changed)
