"""Who may call a route at all (the groups it needs), checked before the request's body is read.

Authorization comes before validation (API.md "Second round"): the resolver validates the body before a route
function runs, so a route declares its groups with `@needs(...)` (or `@signed_in`, `@public`) and
`admission` answers 401/403 from the claims alone, before the resolver parses anything. The finer checks (this
provider's member, that expert) stay in the use-cases, after validation, since they read records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from grading.errors import DomainError, Forbidden
from grading.identity import Role, caller_from_event

F = TypeVar("F", bound=Callable[..., Any])
_ATTR = "__grading_access__"
PUBLIC = "public"
SIGNED_IN = "signed_in"


def needs(*roles: Role) -> Callable[[F], F]:
    """The route answers only callers in one of these groups (403 otherwise, whatever the body)."""

    def mark(func: F) -> F:
        setattr(func, _ATTR, frozenset(roles))
        return func

    return mark


def signed_in(func: F) -> F:
    """Any caller with a valid token."""
    setattr(func, _ATTR, SIGNED_IN)
    return func


def public(func: F) -> F:
    """No token needed (`Auth: NONE` in template.yaml)."""
    setattr(func, _ATTR, PUBLIC)
    return func


def declared(func: Callable[..., Any]) -> Any:
    """What a route function declared, or None when it declared nothing."""
    return getattr(func, _ATTR, None)


def route_for(app: Any, method: str, path: str) -> Any:
    """The route that will answer this request (the resolver's own matching, `grading.rest.App.match`), or None."""
    found = app.match(method.upper(), path)
    return found[0] if found is not None else None


def admission(app: Any, event: dict[str, Any]) -> DomainError | None:
    """The refusal for a caller that lacks the route's group, or None to go on."""
    method = str(event.get("httpMethod") or "").upper()
    route = route_for(app, method, str(event.get("path") or "")) if method != "OPTIONS" else None
    access = declared(route.func) if route is not None else None
    if access is None or access == PUBLIC:
        return None
    try:
        caller = caller_from_event(event)
    except DomainError as refused:
        return refused
    if access == SIGNED_IN or caller.has(*access):
        return None
    wanted = " or ".join(sorted(role.value for role in access))
    return Forbidden(f"this action needs the {wanted} group")
