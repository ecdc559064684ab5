"""HTTP routes for public notices (公示), objections (异议) and certificate verification (证书).

Notices and certificates are public (no token); their HTML and PDF stay in the private bucket and are served
through the API (HTML) or a short-lived presigned URL (PDF), so no object is ever public-read.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from grading import certificates, notices
from grading.access import needs, public, signed_in
from grading.contract import PUBLIC
from grading.http import caller, request_time
from grading.identity import Role
from grading.models import CertificateView, NoticeView, ObjectionIn, ObjectionView, Page, ResolutionIn
from grading.rest import APPLICATION_JSON, Body, Path, Query, Response, Router

router = Router()

NoticeId = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,64}$")]
ObjectionId = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,64}$")]
Number = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,64}$")]
_ERRORS: dict[int, Any] = {
    404: {"description": "not found"},
    409: {"description": "the window closed, or already resolved"},
    422: {"description": "invalid fields, each listed in details"},
}
# The notice page is our own HTML: no scripts, no remote content, only its inline styles.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "public, max-age=300",
}


@router.get(
    "/v1/notices",
    summary="Public notices, newest first (no token needed)",
    tags=["notices"],
    responses=_ERRORS,
    openapi_extensions=PUBLIC,
)
@public
def list_notices(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, next_token: Annotated[str | None, Query(max_length=2048)] = None
) -> Page[NoticeView]:
    return notices.list_notices(limit, next_token)


@router.get(
    "/v1/notices/<notice_id>",
    summary="One public notice as JSON",
    tags=["notices"],
    responses=_ERRORS,
    openapi_extensions=PUBLIC,
)
@public
def get_notice(notice_id: NoticeId) -> NoticeView:
    return notices.get_notice(notice_id)


@router.get(
    "/v1/notices/<notice_id>/html",
    summary="The notice page for people (HTML)",
    tags=["notices"],
    responses={
        200: {"description": "the notice page", "content": {"text/html": {"schema": {"type": "string"}}}},
        **_ERRORS,
    },
    openapi_extensions=PUBLIC,
)
@public
def get_notice_html(notice_id: NoticeId) -> Response[str]:
    return Response(
        status_code=200,
        content_type="text/html; charset=utf-8",
        body=notices.notice_html(notice_id),
        headers=_PAGE_HEADERS,
    )


@router.post(
    "/v1/notices/<notice_id>/objections",
    summary="Object to a notice entry while its window is open (any signed-in user)",
    tags=["notices"],
    responses=_ERRORS,
    status_code=201,
)
@signed_in
def file_objection(notice_id: NoticeId, body: Annotated[ObjectionIn, Body()]) -> Response[ObjectionView]:
    objection = notices.file_objection(caller(router), notice_id, body, request_time(router))
    return Response(status_code=201, content_type=APPLICATION_JSON, body=objection)


@router.get(
    "/v1/objections",
    summary="Objections in a status, newest first (reviewers, admins): the open ones are the work queue",
    tags=["notices"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER, Role.ADMIN)
def list_objections(
    status: Annotated[Literal["open", "upheld", "dismissed"], Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Page[ObjectionView]:
    return notices.list_objections(caller(router), status, limit, next_token)


@router.get(
    "/v1/objections/<objection_id>",
    summary="An objection (reviewers, or who filed it)",
    tags=["notices"],
    responses=_ERRORS,
)
@signed_in
def get_objection(objection_id: ObjectionId) -> ObjectionView:
    return notices.get_objection(caller(router), objection_id)


@router.post(
    "/v1/objections/<objection_id>/resolution",
    summary="Uphold (back to evaluation, or reject) or dismiss an objection (reviewers)",
    tags=["notices"],
    responses=_ERRORS,
)
@needs(Role.REVIEWER)
def resolve_objection(objection_id: ObjectionId, body: Annotated[ResolutionIn, Body()]) -> ObjectionView:
    return notices.resolve_objection(caller(router), objection_id, body, request_time(router))


@router.get(
    "/v1/certificates/<number>",
    summary="Verify a certificate: valid, expired, superseded or revoked (no token needed)",
    tags=["certificates"],
    responses=_ERRORS,
    openapi_extensions=PUBLIC,
)
@public
def verify_certificate(number: Number) -> CertificateView:
    return certificates.get_certificate(number, request_time(router))


@router.get(
    "/v1/certificates/<number>/pdf",
    summary="The certificate PDF (a short-lived link)",
    tags=["certificates"],
    operation_id="getCertificatePdf",
    responses={
        302: {
            "description": "to a presigned URL of the PDF, valid for 5 minutes",
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {},
        },
        **_ERRORS,
    },
    openapi_extensions=PUBLIC,
)
@public
def certificate_pdf(number: Number) -> Response[str]:
    url = certificates.pdf_url(number)
    return Response(status_code=302, content_type="text/plain", body="", headers={"Location": url})
