"""The certificate PDF and the notice page/JSON, checked without system tools: shape, determinism, escaping, no tofu.

What a person sees (pdftotext, pdftoppm, a Chromium screenshot) is in tests/visual.
"""

from __future__ import annotations

import json
import re
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO

import pytest
from fontTools.ttLib import TTFont
from pydantic import ValidationError

from grading.render import certificate as cert
from grading.render import format_total, grade_zh
from grading.render.certificate import FALLBACK_CHAR, CertificateData, clean_text, render_certificate
from grading.render.notice import KIND_TITLES, NoticeData, notice_json, render_notice_html

CST = timezone(timedelta(hours=8))


def certificate(**changes: object) -> CertificateData:
    fields: dict[str, object] = {
        "number": "GC-2025-000123",
        "provider_name": "北京星辰信息技术有限公司",
        "credit_code": "91350100M000100Y43",
        "grade": 2,
        "category": "信息技术服务",
        "issued_on": date(2025, 3, 1),
        "valid_until": date(2026, 2, 28),
        "scheme_version": "2025.1",
        "verify_url": "https://grading.example.gov.cn/v1/certificates/GC-2025-000123",
        "issuer": "某某集团采购管理部",
    }
    fields.update(changes)
    return CertificateData.model_validate(fields)


def notice(**changes: object) -> NoticeData:
    fields: dict[str, object] = {
        "notice_id": "N-2025-0042",
        "kind": "grading",
        "published_at": datetime(2025, 3, 1, 1, 0, tzinfo=UTC),
        "window_closes_at": datetime(2025, 3, 8, 1, 0, tzinfo=UTC),
        "entries": [
            {
                "provider_name": "北京星辰信息技术有限公司",
                "credit_code": "91350100M000100Y43",
                "category": "信息技术服务",
                "grade": 2,
                "total": Decimal("86.125"),
            },
            {
                "provider_name": "<script>alert('x')</script>上海某某物业管理有限公司",
                "credit_code": "91110000600037341L",
                "category": "物业服务",
                "grade": None,
                "total": "57.5",
                "note": "技术能力得分低于等级要求 & 需整改",
            },
            {
                "provider_name": "深圳市某某科技发展股份有限公司",
                "credit_code": "91440300MA5FX8K21C",
                "category": "软件开发",
                "grade": 1,
                "total": 93,
            },
        ],
        "objection_url": "https://api.example.gov.cn/v1/notices/N-2025-0042/objections",
        "issuer": "某某集团采购管理部",
        "json_url": "https://public.example.gov.cn/notices/N-2025-0042.json",
        "scheme_version": "2025.1",
    }
    fields.update(changes)
    return NoticeData.model_validate(fields)


def font_cmap() -> set[int]:
    """The shipped font's own cmap, read directly (not through the renderer's cache)."""
    return set(TTFont(cert.FONT_FILE, fontNumber=0, lazy=True).getBestCmap())


def embedded_text(pdf: bytes) -> set[str]:
    """The characters the PDF's embedded font maps back to Unicode (its ToUnicode CMap): a pure-Python look at what
    text the page holds, without a PDF reader."""
    chars: set[str] = set()
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            data = match.group(1)  # fpdf2 leaves the ToUnicode CMap uncompressed
        for section in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for hex_text in re.findall(rb"<[0-9A-Fa-f]+>\s*<([0-9A-Fa-f]+)>", section):
                chars.update(bytes.fromhex(hex_text.decode()).decode("utf-16-be"))
    return chars - {"\0"}  # glyph 0, .notdef, maps to U+0000


# --- Certificate ------------------------------------------------------------------------------------------------


def test_certificate_is_one_small_a4_page() -> None:
    pdf = render_certificate(certificate())
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf  # A4 in points
    assert len(pdf) < 150 * 1024


def test_certificate_bytes_depend_only_on_the_data() -> None:
    first = render_certificate(certificate())
    other = render_certificate(certificate(provider_name="上海某某物业管理有限公司", grade=4))
    assert render_certificate(certificate()) == first
    assert other != first
    # Rendering another certificate in between leaves no trace in the cached font.
    assert render_certificate(certificate()) == first
    assert b"/CreationDate (D:20250301000000Z)" in first


def test_certificate_holds_the_text_a_reader_needs() -> None:
    data = certificate()
    held = embedded_text(render_certificate(data))
    for text in (data.provider_name, data.credit_code, data.number, "二级", "GRADE 2", "服务商等级证书", "2026-02-28"):
        assert set(text) <= held, f"{text!r} is not on the page"


@pytest.mark.parametrize("grade", [1, 2, 3, 4])
def test_each_grade_is_printed_in_chinese_and_english(grade: int) -> None:
    held = embedded_text(render_certificate(certificate(grade=grade)))
    assert set(grade_zh(grade)) <= held
    assert str(grade) in held


def test_certificate_font_is_the_shipped_font_subset() -> None:
    pdf = render_certificate(certificate())
    assert b"/BaseFont /MPDFAA+WenQuanYiMicroHei" in pdf
    assert cert.FONT_FILE.stat().st_size > 1_000_000
    assert (cert.FONT_FILE.parent / "COPYRIGHT-wqy-microhei.txt").is_file()
    assert (cert.FONT_FILE.parent / "LICENSE-Apache-2.0.txt").is_file()


def test_the_per_document_font_draws_exactly_the_original_glyphs() -> None:
    """The small font built per certificate has the master's outlines and advance widths, composites included."""
    master = TTFont(cert.FONT_FILE, fontNumber=0)
    master_cmap = master.getBestCmap()
    composite = next(
        chr(cp) for cp, name in sorted(master_cmap.items()) if chr(cp).isalpha() and master["glyf"][name].isComposite()
    )
    text = "服务商等级证书 Grade 2 91350100M000100Y43 〓" + composite
    small = TTFont(BytesIO(cert._face().subset(text)))
    small_cmap = small.getBestCmap()
    for char in set(text):
        ours, theirs = small_cmap[ord(char)], master_cmap[ord(char)]
        assert small["hmtx"][ours][0] == master["hmtx"][theirs][0], char
        ours_coords = small["glyf"][ours].getCoordinates(small["glyf"])[0]
        theirs_coords = master["glyf"][theirs].getCoordinates(master["glyf"])[0]
        assert list(ours_coords) == list(theirs_coords), char
    assert small["maxp"].numGlyphs < 60


def test_no_tofu_every_printed_character_is_in_the_font() -> None:
    cmap = font_cmap()
    data = certificate(provider_name="中华（北京）科技·有限公司 Ltd.", category="物业、保洁服务")
    printed = cert._LABELS + "".join(clean_text(v) for v in (data.provider_name, data.category, data.number))
    printed += "".join(grade_zh(g) for g in (1, 2, 3, 4)) + FALLBACK_CHAR
    assert not {ch for ch in printed if ord(ch) not in cmap}
    # And on the page itself: every character the PDF maps back is one the font has.
    held = embedded_text(render_certificate(data))
    assert held and not {ch for ch in held if ord(ch) not in cmap}


def test_markup_in_a_name_is_printed_as_text() -> None:
    name = '<script>alert("x")</script> & Co.'
    assert clean_text(name) == name
    assert set(name) <= embedded_text(render_certificate(certificate(provider_name=name)))


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("星辰😀科技", "星辰〓科技"),
        ("A👨‍👩‍👧B", "A〓B"),  # a ZWJ family is one character to a reader, so one fallback
        ("旗🇨🇳下", "旗〓下"),  # a flag is two regional indicators
        ("👍🏽好", "〓好"),  # with its skin tone
        ("a\u202eb", "ab"),  # a bidi override would reorder what a reader sees
        ("北京\n  星辰\t科技", "北京 星辰 科技"),
        ("e\u0301", "é"),  # NFC
        ("😀 😀", "〓 〓"),
    ],
)
def test_characters_the_font_lacks_become_one_fallback_each(raw: str, printed: str) -> None:
    assert clean_text(raw) == printed


def test_a_name_of_only_emoji_still_renders() -> None:
    pdf = render_certificate(certificate(provider_name="😀😀", category="🚀", credit_code="🙂"))
    assert FALLBACK_CHAR in embedded_text(pdf)


def test_a_very_long_name_is_shrunk_or_cut_never_a_second_page() -> None:
    name = "中华人民共和国北京市海淀区中关村科技园区某某信息技术发展股份有限公司" * 20
    pdf = render_certificate(certificate(provider_name=name, category="信息技术服务" * 40, issuer="某某" * 100))
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1
    assert "…" in embedded_text(pdf)


def test_certificate_data_is_validated() -> None:
    with pytest.raises(ValidationError):
        certificate(grade=5)
    with pytest.raises(ValidationError):
        certificate(verify_url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        certificate(valid_until=date(2025, 2, 1))


# --- Notice -----------------------------------------------------------------------------------------------------


class _Text(HTMLParser):
    """The text a browser would show (and the tags it would meet)."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def page_text(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.text), parser.tags


def test_notice_page_is_escaped_phone_ready_and_self_contained() -> None:
    html = render_notice_html(notice())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&amp; 需整改" in html
    text, tags = page_text(html)
    assert "script" not in tags
    assert "<script>alert('x')</script>上海某某物业管理有限公司" in text  # shown as text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert '<html lang="zh-CN">' in html
    # No external assets: nothing loaded from elsewhere, and the page forbids it anyway.
    assert not {"link", "script", "img", "iframe"} & set(tags)
    assert "default-src 'none'" in html


def test_notice_page_shows_grades_totals_window_and_how_to_object() -> None:
    text, _ = page_text(render_notice_html(notice()))
    assert KIND_TITLES["grading"] in text
    for word in ("二级", "一级", "不予评级"):
        assert word in text
    for total in ("86.13", "57.50", "93.00"):
        assert total in text
    # China time: 01:00 UTC is 09:00 in Beijing.
    assert "2025年3月1日 09:00" in text
    assert "2025年3月8日 09:00" in text
    # Plain words for people: sign in, the console's form, until then the procurement office; no API path.
    assert "POST" not in text and "/v1/" not in text
    assert "登录本系统账号后，在控制台的异议表单中填写" in text
    assert "请于2025年3月8日 09:00（北京时间）前提出" in text
    assert "异议表单开通前，请联系发布本公示的采购管理部门提交书面异议" in text


def test_notice_page_names_the_procurement_contact_and_links_the_board() -> None:
    data = notice(objection_contact="福州市采购办 0591-12345678", board_url="https://grading.example.gov.cn/notices")
    text, _ = page_text(render_notice_html(data))
    assert "异议表单开通前，请联系福州市采购办 0591-12345678提交书面异议" in text
    assert '<a href="https://grading.example.gov.cn/notices">返回公示栏</a>' in render_notice_html(data)
    with pytest.raises(ValidationError):
        notice(board_url="javascript:alert(1)")


def test_notice_title_follows_the_kind_unless_given() -> None:
    assert KIND_TITLES == {
        "grading": "服务商分级公示",
        "elimination": "服务商淘汰公示",
        "regrading": "服务商年度复评公示",
    }
    for kind, title in KIND_TITLES.items():
        assert f"<h1>{title}</h1>" in render_notice_html(notice(kind=kind))
        assert notice_json(notice(kind=kind))["title"] == title
    assert notice_json(notice(title="关于2025年第一批服务商分级结果的公示"))["title"].startswith("关于")


def test_regrading_notice_shows_the_previous_grade() -> None:
    entry = {"provider_name": "甲公司", "credit_code": "91350100M000100Y43", "category": "物业服务"}
    data = notice(kind="regrading", entries=[{**entry, "grade": 2, "previous_grade": 3}])
    text, _ = page_text(render_notice_html(data))
    assert "原等级" in text and "复评等级" in text and "三级" in text and "二级" in text
    assert notice_json(data)["entries"][0]["previous_grade_zh"] == "三级"


def test_notice_json_carries_the_same_facts_for_machines() -> None:
    facts = notice_json(notice())
    json.dumps(facts)  # plain JSON types only
    assert facts["schema"] == "grading.notice/1"
    assert facts["notice_id"] == "N-2025-0042"
    assert facts["kind"] == "grading"
    assert facts["published_at"] == "2025-03-01T09:00:00+08:00"
    assert facts["window"] == {"opens_at": "2025-03-01T09:00:00+08:00", "closes_at": "2025-03-08T09:00:00+08:00"}
    assert facts["objection"]["method"] == "POST"
    assert facts["objection"]["path"] == "/v1/notices/N-2025-0042/objections"
    assert facts["objection"]["deadline"] == "2025-03-08T09:00:00+08:00"
    first, second, third = facts["entries"]
    assert first == {
        "provider_name": "北京星辰信息技术有限公司",
        "credit_code": "91350100M000100Y43",
        "category": "信息技术服务",
        "grade": 2,
        "grade_zh": "二级",
        "grade_en": "Grade 2",
        "previous_grade": None,
        "previous_grade_zh": None,
        "total": "86.13",
        "note": None,
    }
    assert (second["grade"], second["grade_zh"], second["total"]) == (None, "不予评级", "57.50")
    assert third["total"] == "93.00"
    # The raw name goes to JSON unescaped: escaping is the HTML's business.
    assert second["provider_name"].startswith("<script>")


def test_notice_output_is_deterministic_and_zone_independent() -> None:
    data = notice()
    same_instants = notice(
        published_at=datetime(2025, 3, 1, 9, 0, tzinfo=CST), window_closes_at=datetime(2025, 3, 8, 9, 0, tzinfo=CST)
    )
    assert render_notice_html(data) == render_notice_html(data) == render_notice_html(same_instants)
    assert notice_json(data) == notice_json(same_instants)


def test_notice_without_window_or_entries_still_renders() -> None:
    data = notice(kind="elimination", window_closes_at=None, entries=[])
    text, _ = page_text(render_notice_html(data))
    assert "本公示无服务商条目" in text
    assert "异议方式" not in text
    assert notice_json(data)["window"] is None and notice_json(data)["objection"] is None


def test_notice_page_has_no_tofu_in_the_shipped_font() -> None:
    """Every character of the page's text is in WenQuanYi Micro Hei (the font the screenshot and readers fall back
    to), fixed wording and grade words included."""
    cmap = font_cmap()
    texts = [page_text(render_notice_html(notice(kind=kind)))[0] for kind in KIND_TITLES]
    texts.append(page_text(render_notice_html(notice(kind="regrading", window_closes_at=None, entries=[])))[0])
    missing = {ch for text in texts for ch in text if not ch.isspace() and ord(ch) not in cmap}
    assert not missing


def test_notice_data_is_validated() -> None:
    with pytest.raises(ValidationError):
        notice(published_at=datetime(2025, 3, 1, 9, 0))  # a time without a zone is ambiguous
    with pytest.raises(ValidationError):
        notice(json_url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        notice(window_closes_at=datetime(2025, 2, 1, tzinfo=UTC))
    with pytest.raises(ValidationError):
        notice(kind="other")
    with pytest.raises(ValidationError):
        notice(entries=[{"provider_name": "甲", "credit_code": "x", "category": "y", "grade": 5}])


def test_totals_round_half_up_to_two_decimals() -> None:
    assert format_total(Decimal("87.345")) == "87.35"
    assert format_total(Decimal("87.344")) == "87.34"
    assert format_total(Decimal(90)) == "90.00"
    assert format_total(None) is None
