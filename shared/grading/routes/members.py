"""HTTP routes of a provider's organisation: its members, invitations, and staff settling who speaks for it."""

from __future__ import annotations

from typing import Annotated, Any

from grading import members
from grading.access import needs
from grading.http import caller, request_time
from grading.identity import Role
from grading.member_models import (
    AppointIn,
    InvitationAccepted,
    InvitationCreated,
    InvitationIn,
    MemberPage,
    MemberView,
)
from grading.rest import APPLICATION_JSON, Body, Path, Query, Response, Router
from grading.routes.providers import CreditCode

router = Router()

Sub = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[\w.@:-]+$")]
Code = Annotated[str, Path(min_length=3, max_length=130, pattern=r"^[0-9A-Za-z]{1,64}\.[0-9a-f]{1,64}$")]
_ERRORS: dict[int, Any] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "the caller's group (or role in the provider) may not do this"},
    404: {"description": "not found (or not your provider)"},
    409: {"description": "the last admin, a used or expired invitation, already a member"},
    422: {"description": "invalid fields, each listed in details"},
}


@router.get(
    "/v1/providers/<credit_code>/members",
    summary="A provider's members (its members, reviewers, admins)",
    tags=["members"],
    responses=_ERRORS,
)
@needs(Role.PROVIDER, Role.REVIEWER, Role.ADMIN)
def list_members(credit_code: CreditCode) -> MemberPage:
    return members.list_members(caller(router), credit_code.upper())


@router.post(
    "/v1/providers/<credit_code>/invitations",
    summary="Invite a colleague by email (the provider's admins); the code works once, for 7 days by default",
    tags=["members"],
    responses=_ERRORS,
    status_code=201,
)
@needs(Role.PROVIDER)
def invite(credit_code: CreditCode, body: Annotated[InvitationIn, Body()]) -> Response[InvitationCreated]:
    created = members.invite(caller(router), credit_code.upper(), body, request_time(router))
    return Response(status_code=201, content_type=APPLICATION_JSON, body=created)


@router.post(
    "/v1/invitations/<code>/accept",
    summary="Accept an invitation (a signed-in providers user)",
    tags=["members"],
    responses=_ERRORS,
)
@needs(Role.PROVIDER)
def accept(code: Code) -> InvitationAccepted:
    return members.accept(caller(router), code, request_time(router))


@router.delete(
    "/v1/providers/<credit_code>/members/<sub>",
    summary="Remove a member (the provider's admins; staff with a reason); never the last admin",
    tags=["members"],
    responses=_ERRORS,
)
@needs(Role.PROVIDER, Role.REVIEWER, Role.ADMIN)
def remove(
    credit_code: CreditCode,
    sub: Sub,
    reason: Annotated[str | None, Query(min_length=1, max_length=500, description="staff: why (audited)")] = None,
) -> MemberPage:
    return members.remove(caller(router), credit_code.upper(), sub, reason, request_time(router))


@router.put(
    "/v1/providers/<credit_code>/members/<sub>",
    summary="Appoint a member or an admin, to settle a dispute (reviewers, admins), with a reason",
    tags=["members"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER, Role.ADMIN)
def appoint(credit_code: CreditCode, sub: Sub, body: Annotated[AppointIn, Body()]) -> MemberView:
    return members.appoint(caller(router), credit_code.upper(), sub, body, request_time(router))
