"""HTTP routes for the versioned settings (GET/PUT /v1/settings/{name})."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from grading import policy_store
from grading.access import needs
from grading.errors import InvalidInput
from grading.http import caller, request_time
from grading.identity import Role
from grading.modelbase import Model
from grading.rest import Path, Router

router = Router()


class SettingsDocument(Model):
    """One version of a settings document: its name and version, who changed it and when, then its own values
    (for `assessment` at least failure_limit, ban_days, rectification_days; for `notice` window_days,
    working_days, procurement_contact)."""

    model_config = ConfigDict(extra="allow")
    name: str
    version: int = Field(description="0: the defaults, never changed")
    changed_by: str | None = None
    changed_at: str | None = None


Name = Annotated[
    str, Path(pattern=r"^[a-z_]{1,32}$", description="assessment, notice, review, regrading, calendar, certificate")
]
_ERRORS: dict[int, Any] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "the caller may not do this"},
    404: {"description": "no settings of that name"},
    409: {"description": "changed meanwhile: read again"},
    422: {"description": "invalid fields, each listed in details"},
}


@router.get(
    "/v1/settings/<name>",
    summary="The current version of a settings document (admins; reviewers read)",
    tags=["settings"],
    responses=_ERRORS,
)
@needs(Role.ADMIN, Role.REVIEWER)
def get_settings(name: Name) -> SettingsDocument:
    return SettingsDocument.model_validate(policy_store.get(caller(router), name))


@router.put(
    "/v1/settings/<name>",
    summary="Save a changed settings document as its next version (admins); read-only fields are ignored",
    description="The body is the document as GET gave it, changed. What is decided later records the version.",
    tags=["settings"],
    responses=_ERRORS,
)
@needs(Role.ADMIN)
def put_settings(name: Name) -> SettingsDocument:
    who = caller(router).require(Role.ADMIN)  # authorization before the body is read
    try:
        document = json.loads(router.current_event.body or "null")
    except ValueError:
        raise InvalidInput.field("body", "is not valid JSON") from None
    return SettingsDocument.model_validate(policy_store.put(who, name, document, request_time(router)))
