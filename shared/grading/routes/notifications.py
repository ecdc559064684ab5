"""HTTP routes for notifications: the reviewers' contact registry (admins) and the unsubscribe page that the
link in every reminder opens (public: the token in the link is the credential)."""

from __future__ import annotations

from typing import Annotated, Any

from grading.access import needs, public
from grading.contract import PUBLIC
from grading.http import caller, request_time
from grading.identity import Role
from grading.modelbase import Model
from grading.models import ReviewerContactIn, ReviewerContactView
from grading.notify import contacts
from grading.rest import Body, Path, Response, Router

router = Router()

Sub = Annotated[str, Path(pattern=r"^[0-9A-Za-z@._:-]{1,128}$")]
Token = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{16,64}$")]
_ERRORS: dict[int, Any] = {403: {"description": "admins only"}, 422: {"description": "invalid fields"}}


class Reviewers(Model):
    items: list[ReviewerContactView]


@router.put(
    "/v1/reviewers/<sub>",
    summary="Register (or change) a reviewer's email: they are told of new work in the queue (admins)",
    tags=["notifications"],
    responses=_ERRORS,
)
@needs(Role.ADMIN)
def put_reviewer(sub: Sub, body: Annotated[ReviewerContactIn, Body()]) -> ReviewerContactView:
    return contacts.put_reviewer(caller(router), sub, body, request_time(router))


@router.get("/v1/reviewers", summary="The registered reviewers (admins)", tags=["notifications"], responses=_ERRORS)
@needs(Role.ADMIN)
def list_reviewers() -> Reviewers:
    return Reviewers(items=contacts.list_reviewers(caller(router)))


def _html(status: int, body: str) -> Response[str]:
    return Response(
        status_code=status, content_type="text/html; charset=utf-8", body=body, headers=contacts.page_headers()
    )


@router.get(
    "/unsubscribe/<token>",
    summary="The unsubscribe page of a reminder email: a confirmation form (HTML, no token needed)",
    tags=["notifications"],
    responses={
        200: {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}},
        404: {"description": "unknown link"},
    },
    openapi_extensions=PUBLIC,
    include_in_schema=False,  # a page for people (HTML), not part of the JSON API's contract
)
@public
def unsubscribe_page(token: Token) -> Response[str]:
    return _html(*contacts.unsubscribe_page(token))


@router.post(
    "/unsubscribe/<token>",
    summary="Stop reminder emails (the page's form, or a mail client's RFC 8058 one-click POST)",
    tags=["notifications"],
    responses={
        200: {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}},
        404: {"description": "unknown link"},
    },
    openapi_extensions=PUBLIC,
    include_in_schema=False,  # a page for people (HTML), not part of the JSON API's contract
)
@public
def unsubscribe(token: Token) -> Response[str]:
    return _html(*contacts.unsubscribe(token, request_time(router)))
