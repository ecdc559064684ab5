"""Fills the Chinese mail templates: a subject, a text part and an HTML part (every value escaped there).

Pure: the context comes from `compose`; links are built from the deployment's public base URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"

SUBJECTS = {
    "application_returned": "【补正通知】{{ provider_name }}的申请需补充材料，请于{{ deadline }}前补正",
    "application_passed": "【初审通过】{{ provider_name }}的申请已通过初步审核",
    "application_rejected": "【初审未通过】{{ provider_name }}的申请未通过初步审核",
    "application_lapsed": "【申请失效】{{ provider_name }}的申请因逾期未补正已失效",
    "review_waiting": "【待审核】{{ provider_name }}的申请{{ '已补正，' if resubmitted else '' }}等待初步审核",
    "grade_decided": "【分级结果】{{ provider_name }}：{{ grade }}",
    "notice_published": "【公示】{{ provider_name }}的分级结果已公示",
    "objection_resolved": "【异议处理结果】{{ provider_name }}的公示异议已处理",
    "objection_filed": "【待处理异议】{{ provider_name }}的公示收到异议",
    "rectification_reported": "【待核查整改】{{ provider_name }}{{ period }}的整改报告已提交",
    "rectification_opened": "【整改通知】{{ provider_name }}{{ period }}考核不合格，请于{{ deadline }}前完成整改",
    "rectification_deadline_near": "【整改提醒】整改期限{{ deadline }}即将到期",
    "qualification_expiring": "【资质到期提醒】{{ type or '资质证书' }}（{{ number }}）将于{{ valid_until }}到期",
    "provider_eliminated": "【淘汰通知】{{ provider_name }}已被取消分级资格",
    "member_invited": "【成员邀请】{{ provider_name }}邀请您加入",
    "panel_seated": "【专家抽选通知】您已被抽选为{{ provider_name }}的实地考察专家",
    "scorecard_missing": "【评分提醒】{{ provider_name }}的评分表尚未提交",
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def _environments() -> tuple[Environment, Environment]:
    loader = FileSystemLoader(str(TEMPLATES))
    html = Environment(loader=loader, autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    text = Environment(loader=loader, autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)  # noqa: S701 - plain text, never HTML
    return text, html


def render(template: str, context: dict[str, Any], *, base_url: str, unsubscribe_url: str | None = None) -> Rendered:
    text_env, html_env = _environments()
    values = {**context, "base_url": base_url.rstrip("/"), "unsubscribe_url": unsubscribe_url}
    subject = text_env.from_string(SUBJECTS[template]).render(values)
    # A header is one line: a newline in a provider's name must not start a new header.
    subject = " ".join(subject.split())
    return Rendered(
        subject=subject,
        text=text_env.get_template(f"{template}.txt.j2").render(values),
        html=html_env.get_template(f"{template}.html.j2").render({**values, "subject": subject}),
    )
