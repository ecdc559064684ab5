"""HTTP routes for the pages people open (no `/v1`, no token, HTML in Chinese): `GET /c/{number}`, what a
certificate's QR code opens, and `GET /notices`, the notice board.

Each page carries an ETag (the SHA-256 of its bytes) and a short public max-age: a phone that reloads sends
If-None-Match and gets a bodiless 304 when nothing changed. The certificate page is one DynamoDB read either way.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from grading import pages, site
from grading.access import public
from grading.contract import PUBLIC
from grading.http import request_time
from grading.rest import Query, Response, Router

router = Router()

# Our own HTML: no scripts, no remote content, only inline styles; nobody may frame it (a page inside a stranger's
# frame would show the genuine host nowhere).
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A status can change (revoked, superseded), so a copy is reused for a minute, then revalidated by its ETag.
    "Cache-Control": "public, max-age=60, must-revalidate",
}
_HTML = "text/html; charset=utf-8"


def _page(status: int, body: str) -> Response[str]:
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    headers = {**_HEADERS, "ETag": etag}
    asked = router.current_event.headers.get("if-none-match") or ""
    if status == 200 and etag in (tag.strip().removeprefix("W/") for tag in asked.split(",")):
        return Response(status_code=304, content_type=_HTML, body="", headers=headers)
    return Response(status_code=status, content_type=_HTML, body=body, headers=headers)


def _origin() -> str | None:
    return site.request_origin(router.current_event.raw_event)


@router.get(
    "/c/<number>",
    summary="A certificate's verification page for people (HTML; what its QR code opens; no token needed)",
    tags=["pages"],
    responses={404: {"description": "no such certificate: a page in Chinese"}, 304: {"description": "unchanged"}},
    openapi_extensions=PUBLIC,
    include_in_schema=False,  # a page for people (HTML), not part of the JSON API's contract
)
@public
def certificate_page(number: str) -> Response[str]:
    status, body = pages.certificate_page(number, request_time(router), _origin())
    return _page(status, body)


@router.get(
    "/notices",
    summary="The notice board for people (HTML): open notices first, then closed ones (no token needed)",
    tags=["pages"],
    responses={304: {"description": "unchanged"}},
    openapi_extensions=PUBLIC,
    include_in_schema=False,  # a page for people (HTML), not part of the JSON API's contract
)
@public
def notice_board(next_token: Annotated[str | None, Query(max_length=2048)] = None) -> Response[str]:
    return _page(200, pages.notice_board(request_time(router), _origin(), next_token))
