"""The staff contact registry (reviewers' emails, kept by admins) and the reminders' unsubscribe pages."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from grading.clock import iso
from grading.identity import Caller, Role
from grading.models import ReviewerContactIn, ReviewerContactView
from grading.store import notifications as dal_notify


def put_reviewer(caller: Caller, sub: str, body: ReviewerContactIn, now: datetime) -> ReviewerContactView:
    caller.require(Role.ADMIN)
    record = {"sub": sub, "name": body.name, "email": body.email, "active": body.active, "updated_at": iso(now)}
    dal_notify.put_reviewer(sub, {**record, "updated_by": caller.sub})
    return ReviewerContactView.model_validate(record)


def list_reviewers(caller: Caller) -> list[ReviewerContactView]:
    caller.require(Role.ADMIN)
    return [ReviewerContactView.model_validate(r) for r in dal_notify.reviewers()]


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>"
        '<body style="font-family: sans-serif; max-width: 40em; margin: 2em auto;">'
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )


def unsubscribe_page(token: str) -> tuple[int, str]:
    """GET: a confirmation form, never the change itself (mail scanners open links)."""
    if not dal_notify.token_known(token):
        return 404, _page("链接无效", "<p>该退订链接无效或已失效。</p>")
    form = (
        "<p>退订后，您将不再收到提醒邮件（整改期限、资质到期、评分提醒）。"
        "必须送达的正式通知（审核结果、分级结果、整改通知、淘汰通知等）不受影响。</p>"
        f'<form method="post" action="{escape(token)}"><button type="submit">确认退订提醒</button></form>'
    )
    return 200, _page("退订提醒邮件", form)


def unsubscribe(token: str, now: datetime) -> tuple[int, str]:
    if not dal_notify.unsubscribe(token, now):
        return 404, _page("链接无效", "<p>该退订链接无效或已失效。</p>")
    return 200, _page("已退订", "<p>您已退订提醒邮件。必须送达的正式通知仍会发送。</p>")


def page_headers() -> dict[str, Any]:
    return {
        "Content-Security-Policy": "default-src 'none'; form-action 'self'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
