"""Who is calling: the Cognito claims API Gateway puts on the request, as a typed caller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from grading.errors import Forbidden, Unauthorized


class Role(StrEnum):
    PROVIDER = "providers"
    REVIEWER = "reviewers"
    EXPERT = "experts"
    ADMIN = "admins"


STAFF = frozenset({Role.REVIEWER, Role.ADMIN})


@dataclass(frozen=True)
class Caller:
    sub: str
    roles: frozenset[Role]
    email: str | None = None  # the token's email claim, when it has one (recorded on a membership)

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    def require(self, *roles: Role) -> Caller:
        if not self.has(*roles):
            wanted = " or ".join(role.value for role in roles)
            raise Forbidden(f"this action needs the {wanted} group")
        return self

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF)


def _groups(raw: Any) -> list[str]:
    # Cognito sends a comma-separated string through the REST authorizer; tokens decoded locally carry a list.
    if isinstance(raw, str):
        raw = raw.strip("[]").replace(" ", ",").split(",")
    return [str(g).strip() for g in raw or [] if str(g).strip()]


def caller_from_event(event: dict[str, Any]) -> Caller:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    sub = claims.get("sub")
    if not sub:
        raise Unauthorized("a valid bearer token is required")
    roles = frozenset(Role(g) for g in _groups(claims.get("cognito:groups")) if g in Role._value2member_map_)
    email = claims.get("email")
    return Caller(sub=str(sub), roles=roles, email=str(email)[:254] if email else None)
