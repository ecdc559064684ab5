"""The pages people open, as HTML in Chinese: a certificate's verification page (what its QR code opens), the
notice board, and the page for an unknown certificate number.

Pure functions of their input (no clock, no store): the caller passes "today" and every link, so the same input
always gives the same bytes, and a page's ETag can be its hash. Every value is escaped (autoescape), and the pages
carry no script and load nothing from elsewhere.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from pathlib import Path
from typing import Final, Literal

import jinja2
from pydantic import AwareDatetime, ConfigDict, Field, field_validator

from grading.modelbase import Model
from grading.render import china_time, grade_zh, zh_date

__all__ = [
    "STATUS_WORDS",
    "BoardNotice",
    "CertificatePage",
    "render_certificate_page",
    "render_not_found",
    "render_notice_board",
]

CertificateStatus = Literal["valid", "expired", "superseded", "revoked"]
STATUS_WORDS: Final[dict[str, str]] = {
    "valid": "有效",
    "expired": "已过期",
    "superseded": "已被替代",
    "revoked": "已撤销",
}
_STATUS_LINES: Final[dict[str, str]] = {
    "valid": "本证书在有效期内，可作为该服务商在所列服务类别中等级的证明。",
    "expired": "本证书已超过有效期，不再证明该服务商的等级。",
    "superseded": "本证书已被该服务商的新证书替代，请以新证书为准。",
    "revoked": "本证书已被撤销，不得作为服务商等级的证明。",
}
KIND_TITLES: Final[dict[str, str]] = {
    "grading": "服务商分级公示",
    "elimination": "服务商淘汰公示",
    "regrading": "服务商年度复评公示",
}
_TEMPLATES = Path(__file__).resolve().parent / "templates"
# Bidi embeddings, overrides and isolates would reorder what a reader sees in a name (as on the notice page).
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])


def _visible(text: str) -> str:
    return text.translate(_BIDI_CONTROLS)


def _link(value: str | None) -> str | None:
    # Printed into href attributes: only http(s) URLs, never javascript: or data:.
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value


class CertificatePage(Model):
    """What the verification page says: the certificate as stored, its status today, and the links to print."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str = Field(min_length=1, max_length=100)
    status: CertificateStatus
    provider_name: str
    credit_code: str
    grade: int = Field(ge=1, le=4)
    category_name: str
    issued_on: date
    valid_until: date
    scheme_version: str | None = None
    pdf_sha256: str | None = None
    pdf_url: str | None = None
    page_url: str
    board_url: str
    base_url: str
    today: date

    @field_validator("pdf_url", "page_url", "board_url", "base_url")
    @classmethod
    def _links(cls, value: str | None) -> str | None:
        return _link(value)


class BoardNotice(Model):
    """One notice on the board."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    notice_id: str
    kind: str
    published_at: AwareDatetime
    window_closes_at: AwareDatetime | None = None
    open: bool
    url: str | None = None
    names: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _links(cls, value: str | None) -> str | None:
        return _link(value)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _zh_time(moment: datetime) -> str:
    local = china_time(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def render_certificate_page(page: CertificatePage) -> str:
    """The verification page: status in words and colour first, then the facts, the PDF and how to tell it is real."""
    return (
        _environment()
        .get_template("certificate_page.html.j2")
        .render(
            c=page.model_copy(update={"provider_name": _visible(page.provider_name)}),
            status_word=STATUS_WORDS[page.status],
            status_line=_STATUS_LINES[page.status],
            grade_word=grade_zh(page.grade),
            category_name=_visible(page.category_name),
            issued=zh_date(page.issued_on),
            valid_until=zh_date(page.valid_until),
            pdf_url=page.pdf_url if page.pdf_sha256 else None,
            page_url=page.page_url,
            board_url=page.board_url,
            base_url=page.base_url,
            host=page.base_url.split("://", 1)[1].split("/", 1)[0],
            today=zh_date(page.today),
            today_iso=page.today.isoformat(),
        )
    )


def render_not_found(number: str, *, base_url: str, board_url: str, contact: str) -> str:
    """The 404 page for a certificate number the system does not know (the number shown escaped, cut to 64)."""
    return (
        _environment()
        .get_template("not_found.html.j2")
        .render(number=_visible(number[:64]), base_url=base_url, board_url=board_url, contact=contact)
    )


def _board_item(notice: BoardNotice) -> dict[str, object]:
    names = [_visible(n) for n in notice.names]
    shown = "、".join(names[:5]) + (f" 等 {len(names)} 家" if len(names) > 5 else "")
    return {
        "notice_id": notice.notice_id,
        "title": KIND_TITLES.get(notice.kind, "公示"),
        "url": notice.url,
        "published": _zh_time(notice.published_at),
        "published_iso": china_time(notice.published_at).isoformat(timespec="seconds"),
        "closes": None if notice.window_closes_at is None else _zh_time(notice.window_closes_at),
        "closes_iso": None
        if notice.window_closes_at is None
        else china_time(notice.window_closes_at).isoformat(timespec="seconds"),
        "names": shown or "本公示无服务商条目",
    }


def render_notice_board(notices: list[BoardNotice], *, base_url: str, more_url: str | None = None) -> str:
    """The board: notices still open for objections first (soonest deadline first), then closed ones (newest first)."""
    open_ = sorted(
        (n for n in notices if n.open),
        key=lambda n: (n.window_closes_at is None, n.window_closes_at or n.published_at),
    )
    closed = sorted((n for n in notices if not n.open), key=lambda n: n.published_at, reverse=True)
    groups = [
        {
            "heading": "公示中",
            "open": True,
            "notices": [_board_item(n) for n in open_],
            "empty": "目前没有公示期内的公示。",
        },
        {
            "heading": "已结束",
            "open": False,
            "notices": [_board_item(n) for n in closed],
            "empty": "没有已结束的公示。",
        },
    ]
    return (
        _environment()
        .get_template("notice_board.html.j2")
        .render(groups=groups, base_url=base_url, more_url=_link(more_url))
    )
