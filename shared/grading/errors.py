"""Domain errors: every refusal the system can give, each with its HTTP status and stable code.

Routes never build error bodies; `grading.http` maps these to the contract's error shape in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class InvalidInput(DomainError):
    """A field is well-formed but breaks a rule (422, like schema validation)."""

    status = 422
    code = "VALIDATION_FAILED"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", details=[{"field": field, "message": message}])


class Unauthorized(DomainError):
    status = 401
    code = "UNAUTHORIZED"


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    """The current state forbids the action (409)."""

    status = 409
    code = "CONFLICT"
