"""The public notice (公示) as an HTML page for people and a JSON document for machines, from one `NoticeData`.

Both are pure functions of their input (no clock, no randomness), so re-rendering a notice gives the same bytes.
"""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal

import jinja2
from pydantic import AwareDatetime, ConfigDict, Field, field_validator, model_validator

from grading.modelbase import Model
from grading.render import china_time, format_total, grade_en, grade_zh

__all__ = ["KIND_TITLES", "NoticeData", "NoticeEntry", "NoticeKind", "notice_json", "render_notice_html"]

NoticeKind = Literal["grading", "elimination", "regrading"]
KIND_TITLES: Final[dict[str, str]] = {
    "grading": "服务商分级公示",
    "elimination": "服务商淘汰公示",
    "regrading": "服务商年度复评公示",
}
# The sentence that opens the page, per kind.
_LEADS: Final[dict[str, str]] = {
    "grading": "经初步审核和专家实地考察评分，以下服务商的拟定等级现予公示。",
    "elimination": "以下服务商连续考核不合格，拟予淘汰，撤销其等级证书，禁入期内不得再次申请，现予公示。",
    "regrading": "年度复评已完成，以下服务商的等级调整现予公示。",
}
# What the grade column means for each kind.
_GRADE_HEADINGS: Final[dict[str, str]] = {"grading": "拟定等级", "elimination": "原等级", "regrading": "复评等级"}
_OBJECTION_PATH = "/v1/notices/{notice_id}/objections"
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_TEMPLATE = "notice.html.j2"
_SCHEMA = "grading.notice/1"


def _web_url(value: str | None) -> str | None:
    # Links are printed into href attributes: only http(s) and site-relative ones, never javascript: or data:.
    if value is not None and (not value.startswith(("https://", "http://", "/")) or value.startswith("//")):
        raise ValueError("must be an http(s) URL or a path on this site")
    return value


class NoticeEntry(Model):
    """One provider on the notice. Extra keys are ignored: entries come straight from stored records."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    provider_name: str
    credit_code: str
    category: str
    grade: int | None = Field(default=None, ge=1, le=4)
    # Only set on a re-grading notice: the grade the provider held before, shown as 原等级.
    previous_grade: int | None = Field(default=None, ge=1, le=4)
    total: Decimal | None = None
    note: str | None = None


class NoticeData(Model):
    """What a notice says. Times must carry their zone; the page shows them in China time (UTC+8)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    notice_id: str = Field(min_length=1, max_length=100)
    kind: NoticeKind
    title: str | None = None
    published_at: AwareDatetime
    # The objection window; opens at publication unless given. A notice without a closing time has no window.
    window_opens_at: AwareDatetime | None = None
    window_closes_at: AwareDatetime | None = None
    entries: tuple[NoticeEntry, ...] = ()
    objection_instructions: str | None = None
    # Where the objection is filed (the API's full URL), for machines (the JSON); people read the instructions.
    objection_url: str | None = None
    # Whom a person without the console's objection form turns to: the procurement office's contact.
    objection_contact: str | None = None
    # The notice board, linked from the page.
    board_url: str | None = None
    issuer: str | None = None
    # The machine-readable twin of the page, linked from it.
    json_url: str | None = None
    scheme_version: str | None = None

    @field_validator("objection_url", "json_url", "board_url")
    @classmethod
    def _links(cls, value: str | None) -> str | None:
        return _web_url(value)

    @model_validator(mode="after")
    def _window_in_order(self) -> NoticeData:
        if self.window_closes_at is not None and self.window_closes_at <= self.opens_at:
            raise ValueError("window_closes_at must be after the window opens")
        return self

    @property
    def display_title(self) -> str:
        return self.title or KIND_TITLES[self.kind]

    @property
    def opens_at(self) -> datetime:
        return self.window_opens_at or self.published_at

    @property
    def objection_path(self) -> str:
        return _OBJECTION_PATH.format(notice_id=self.notice_id)

    def instructions(self) -> str | None:
        """How to object, in plain Chinese: the given text, or the default with the deadline and whom to contact."""
        if self.objection_instructions:
            return self.objection_instructions
        if self.window_closes_at is None:
            return None
        closes = _zh_time(self.window_closes_at)
        contact = self.objection_contact or "发布本公示的采购管理部门"
        return (
            f"对公示内容有异议的，请于{closes}（北京时间）前提出：登录本系统账号后，在控制台的异议表单中填写；"
            f"异议表单开通前，请联系{contact}提交书面异议。"
            "异议须写明所涉服务商、异议事项和理由，并附相关证明材料。"
            "逾期提交的异议不予受理。审核人员将对每条异议作出维持或驳回的决定。"
        )


def _zh_time(moment: datetime) -> str:
    local = china_time(moment)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _iso(moment: datetime | None) -> str | None:
    # China time with its offset: the same instant as stored, and the same wall clock the page shows.
    return None if moment is None else china_time(moment).isoformat(timespec="seconds")


# Bidi embeddings, overrides and isolates: in a provider's name they would reorder what a reader sees (the
# certificate drops them too). Zero-width joiners stay: emoji sequences need them.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C])


def _visible(text: str | None) -> str | None:
    return None if text is None else text.translate(_BIDI_CONTROLS)


def _entry_facts(entry: NoticeEntry) -> dict[str, Any]:
    return {
        "provider_name": _visible(entry.provider_name),
        "credit_code": entry.credit_code,
        "category": _visible(entry.category),
        "grade": entry.grade,
        "grade_zh": grade_zh(entry.grade),
        "grade_en": grade_en(entry.grade),
        "previous_grade": entry.previous_grade,
        "previous_grade_zh": None if entry.previous_grade is None else grade_zh(entry.previous_grade),
        "total": format_total(entry.total),
        "note": _visible(entry.note),
    }


def notice_json(notice: NoticeData) -> dict[str, Any]:
    """The notice's facts for machines: ISO 8601 times with offset, totals as strings with two decimals."""
    window = None
    if notice.window_closes_at is not None:
        window = {"opens_at": _iso(notice.opens_at), "closes_at": _iso(notice.window_closes_at)}
    objection = None
    if window is not None:
        objection = {
            "method": "POST",
            "path": notice.objection_path,
            "url": notice.objection_url,
            "requires": "signed-in account",
            "deadline": window["closes_at"],
            "instructions": notice.instructions(),
        }
    return {
        "schema": _SCHEMA,
        "notice_id": notice.notice_id,
        "kind": notice.kind,
        "title": notice.display_title,
        "published_at": _iso(notice.published_at),
        "window": window,
        "objection": objection,
        "issuer": notice.issuer,
        "scheme_version": notice.scheme_version,
        "json_url": notice.json_url,
        "entries": [_entry_facts(entry) for entry in notice.entries],
    }


@functools.cache
def _environment() -> jinja2.Environment:
    # Built once per process: the template is parsed and compiled on first use only.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_notice_html(notice: NoticeData) -> str:
    """The notice as one self-contained HTML page in Chinese (inline CSS, no external assets), every value escaped."""
    entries = [_entry_facts(entry) for entry in notice.entries]
    return (
        _environment()
        .get_template(_TEMPLATE)
        .render(
            notice=notice,
            title=notice.display_title,
            lead=_LEADS[notice.kind],
            grade_heading=_GRADE_HEADINGS[notice.kind],
            show_previous=any(entry["previous_grade"] is not None for entry in entries),
            show_total=any(entry["total"] is not None for entry in entries),
            show_note=any(entry["note"] for entry in entries),
            entries=entries,
            published=_zh_time(notice.published_at),
            opens=_zh_time(notice.opens_at),
            closes=None if notice.window_closes_at is None else _zh_time(notice.window_closes_at),
            published_iso=_iso(notice.published_at),
            closes_iso=_iso(notice.window_closes_at),
            instructions=notice.instructions(),
        )
    )
