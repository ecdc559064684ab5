"""The pages people open, rendered on their own (grading.render.pages), the public base URL and contact
(grading.site), and the category display names (grading.categories)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from grading import site
from grading.categories import CATEGORY_NAMES, display_name
from grading.render.pages import (
    STATUS_WORDS,
    BoardNotice,
    CertificatePage,
    render_certificate_page,
    render_not_found,
    render_notice_board,
)

BASE = "https://grading.example.gov.cn"


def page(**changes: Any) -> CertificatePage:
    values: dict[str, Any] = {
        "number": "SG-2026-91350100M000100Y43-01",
        "status": "valid",
        "provider_name": "福州云服务有限公司",
        "credit_code": "91350100M000100Y43",
        "grade": 2,
        "category_name": "信息技术服务",
        "issued_on": date(2026, 12, 1),
        "valid_until": date(2027, 12, 1),
        "scheme_version": "v1",
        "pdf_sha256": "ab" * 32,
        "pdf_url": f"{BASE}/v1/certificates/SG-2026-91350100M000100Y43-01/pdf",
        "page_url": f"{BASE}/c/SG-2026-91350100M000100Y43-01",
        "board_url": f"{BASE}/notices",
        "base_url": BASE,
        "today": date(2026, 12, 2),
    }
    return CertificatePage(**{**values, **changes})


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(html: str) -> Tags:
    tags = Tags()
    tags.feed(html)
    return tags


def test_certificate_page_shows_the_facts_in_chinese() -> None:
    html = render_certificate_page(page())
    text = "".join(parsed(html).text)
    for fact in ("福州云服务有限公司", "91350100M000100Y43", "二级", "信息技术服务", "2026年12月1日", "2027年12月1日"):
        assert fact in text
    assert '<html lang="zh-CN">' in html and "有效" in text
    assert f'<a class="button" href="{BASE}/v1/certificates/SG-2026-91350100M000100Y43-01/pdf">' in html
    assert "ab" * 32 in text
    assert "真实的核验页面只由 grading.example.gov.cn 提供" in text
    assert len(html.encode("utf-8")) < 30 * 1024


@pytest.mark.parametrize(("status", "word"), sorted(STATUS_WORDS.items()))
def test_each_status_has_its_word_and_its_colour_class(status: str, word: str) -> None:
    html = render_certificate_page(page(status=status))
    assert f'<section class="status s-{status}" aria-label="证书状态">\n    <strong>{word}</strong>' in html
    assert f".s-{status} {{ color:" in html


def test_no_pdf_yet_says_so_instead_of_a_link() -> None:
    html = render_certificate_page(page(pdf_sha256=None, pdf_url=None))
    assert "证书 PDF 正在生成" in html and "/pdf" not in html


def test_links_must_be_http() -> None:
    with pytest.raises(ValidationError):
        page(pdf_url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        BoardNotice(notice_id="n", kind="grading", published_at=datetime.now(UTC), open=True, url="data:x")


@settings(max_examples=60, deadline=None)
@given(name=st.text(min_size=1, max_size=200), number=st.text(min_size=1, max_size=120))
def test_whatever_a_name_or_number_holds_the_page_has_no_markup_of_it(name: str, number: str) -> None:
    html = render_certificate_page(page(provider_name=name))
    assert parsed(html).tags.count("script") == 0 and parsed(html).tags.count("a") == 2
    missing = render_not_found(number, base_url=BASE, board_url=f"{BASE}/notices", contact="采购办")
    assert "script" not in parsed(missing).tags and parsed(missing).tags.count("a") == 1
    assert not re.search(r"[\u202a-\u202e\u2066-\u2069]", html + missing)  # bidi controls dropped


def notice(notice_id: str, *, open_: bool, published: datetime, closes: datetime | None = None) -> BoardNotice:
    return BoardNotice(
        notice_id=notice_id,
        kind="grading",
        published_at=published,
        window_closes_at=closes,
        open=open_,
        url=f"{BASE}/v1/notices/{notice_id}/html",
        names=("甲公司", "乙公司"),
    )


def test_board_puts_open_notices_first_soonest_deadline_first_then_closed_newest_first() -> None:
    t = datetime(2026, 12, 1, tzinfo=UTC)
    notices = [
        notice("C-OLD", open_=False, published=t - timedelta(days=30), closes=t - timedelta(days=23)),
        notice("O-LATE", open_=True, published=t, closes=t + timedelta(days=7)),
        notice("C-NEW", open_=False, published=t - timedelta(days=10), closes=t - timedelta(days=3)),
        notice("O-SOON", open_=True, published=t - timedelta(days=5), closes=t + timedelta(days=2)),
    ]
    html = render_notice_board(notices, base_url=BASE)
    order = [html.index(f"编号 {n}") for n in ("O-SOON", "O-LATE", "C-NEW", "C-OLD")]
    assert order == sorted(order)
    assert html.index("公示中（2）") < order[0] and order[1] < html.index("已结束（2）") < order[2]
    assert "甲公司、乙公司" in html


def test_board_names_at_most_five_providers_per_notice() -> None:
    many = BoardNotice(
        notice_id="R",
        kind="regrading",
        published_at=datetime(2026, 12, 1, tzinfo=UTC),
        open=False,
        names=tuple(f"公司{i}" for i in range(12)),
    )
    html = render_notice_board([many], base_url=BASE)
    assert "公司0、公司1、公司2、公司3、公司4 等 12 家" in html and "公司5" not in html
    assert "服务商年度复评公示</span>（页面生成中）" in html  # not rendered yet: no link


def test_public_base_url_prefers_the_setting_then_the_request_then_the_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_BASE_URL", "https://abc.execute-api.example/prod")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert site.public_base_url() == "https://abc.execute-api.example/prod"
    assert site.public_base_url("https://from.request/prod") == "https://from.request/prod"
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://grading.example.gov.cn/")
    assert site.public_base_url("https://from.request/prod") == BASE
    assert site.link("/c/X") == f"{BASE}/c/X" and site.host_name() == "grading.example.gov.cn"


def test_request_origin_is_the_domain_and_stage_api_gateway_saw() -> None:
    event = {"requestContext": {"domainName": "abc.execute-api.cn-north-1.amazonaws.com.cn", "stage": "prod"}}
    assert site.request_origin(event) == "https://abc.execute-api.cn-north-1.amazonaws.com.cn/prod"
    assert site.request_origin({"requestContext": {"domainName": "x.cn", "stage": "$default"}}) == "https://x.cn"
    assert site.request_origin({}) is None


def test_procurement_contact_from_the_setting_or_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROCUREMENT_CONTACT", raising=False)
    assert site.procurement_contact() == "发布本公示的采购管理部门"
    monkeypatch.setenv("PROCUREMENT_CONTACT", " 福州市采购办 0591-12345678 ")
    assert site.procurement_contact() == "福州市采购办 0591-12345678"


def test_category_keys_read_as_chinese_names_and_unknown_keys_stay() -> None:
    assert display_name("it_services") == "信息技术服务"
    assert display_name("property_services") == "物业管理服务"
    assert display_name("brand_new") == "brand_new"
    assert all(
        re.fullmatch(r"[a-z_]+", key) and re.search(r"[\u4e00-\u9fff]", name) for key, name in CATEGORY_NAMES.items()
    )
