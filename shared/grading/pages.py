"""The pages people open (API.md "Pages for people"): a certificate's verification page and the notice board.

Both are rendered on request from the records, so what a page says is what the table says now:
- `GET /c/{number}`: one GetItem of the certificate (pattern 13). Its status reads as the verification endpoint
  answers it (a valid certificate past its date is expired even before the sweep has run).
- `GET /notices`: the open notices from the sparse Due index (pattern 14, all of them, soonest deadline first),
  then the newest of the rest from the notices index (pattern 10), a page at a time.
Links are absolute, under the public base URL (grading.site), so they work behind the API's stage path too.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote

from grading import dal, site
from grading.categories import display_name
from grading.certificates import status as certificate_status
from grading.clock import iso, local_date

# What a certificate number can look like (`SG-<year>-<credit code>-<NN>`, and older forms): anything else is
# answered with the not-found page without a read.
_NUMBER = re.compile(r"[0-9A-Za-z-]{1,64}")
BOARD_PAGE = 30
_OPEN_LIMIT = 100


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def certificate_page(number: str, now: datetime, origin: str | None) -> tuple[int, str]:
    """(200, the verification page) or (404, the Chinese not-found page)."""
    from grading.render.pages import CertificatePage, render_certificate_page, render_not_found

    base = site.public_base_url(origin)
    certificate = dal.get_item(dal.certificate_key(number)) if _NUMBER.fullmatch(number) else None
    if certificate is None:
        page = render_not_found(number, base_url=base, board_url=f"{base}/notices", contact=site.procurement_contact())
        return 404, page
    view = CertificatePage(
        number=certificate["number"],
        status=certificate_status(certificate, local_date(now)),  # type: ignore[arg-type]
        provider_name=certificate["provider_name"],
        credit_code=certificate["credit_code"],
        grade=int(certificate["grade"]),
        category_name=display_name(certificate["category"]),
        issued_on=certificate["issued_on"],
        valid_until=certificate["valid_until"],
        scheme_version=certificate.get("scheme_version"),
        pdf_sha256=certificate.get("pdf_sha256"),
        pdf_url=f"{base}/v1/certificates/{number}/pdf" if certificate.get("pdf_key") else None,
        page_url=f"{base}/c/{number}",
        board_url=f"{base}/notices",
        base_url=base,
        today=local_date(now),
    )
    return 200, render_certificate_page(view)


def _board_notice(notice: dict[str, Any], now: datetime, base: str) -> Any:
    from grading.render.pages import BoardNotice

    closes = notice.get("window_closes_at")
    return BoardNotice(
        notice_id=notice["notice_id"],
        kind=notice["kind"],
        published_at=_moment(notice["published_at"]),  # type: ignore[arg-type]
        window_closes_at=_moment(closes),
        open=notice.get("status") == "open" and closes is not None and iso(now) < closes,
        url=f"{base}/v1/notices/{notice['notice_id']}/html" if notice.get("artifacts") else None,
        names=tuple(str(e.get("provider_name", "")) for e in notice.get("entries", [])),
    )


def notice_board(now: datetime, origin: str | None, next_token: str | None = None) -> str:
    """The board's page: open notices first (only on the first page), then a page of the others, newest first."""
    from grading.render.pages import render_notice_board

    base = site.public_base_url(origin)
    shown: list[Any] = []
    if next_token is None:
        open_notices, _ = dal.due("NOTICE_CLOSE", "9999", _OPEN_LIMIT)
        shown = [_board_notice(n, now, base) for n in open_notices]
    seen = {n.notice_id for n in shown}
    rest, more = dal.notices_page(BOARD_PAGE, next_token)
    shown += [_board_notice(n, now, base) for n in rest if n["notice_id"] not in seen]
    more_url = f"{base}/notices?next_token={quote(more, safe='')}" if more else None
    return render_notice_board(shown, base_url=base, more_url=more_url)
