"""The grade certificate (证书): one A4 page, Chinese and English, with a QR code to the verification endpoint.

`render_certificate` is deterministic: the same `CertificateData` gives the same bytes (the record keeps their SHA-256)
for a given fpdf2, segno and font file, so those are pinned.
"""

from __future__ import annotations

import copy
import functools
import tempfile
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any, Final

import segno
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, TextMode, WrapMode
from fpdf.fonts import TTFFont
from pydantic import ConfigDict, Field, field_validator, model_validator

from grading.modelbase import Model
from grading.render import GRADE_ZH, grade_en, grade_zh, zh_date

__all__ = [
    "FALLBACK_CHAR",
    "FONT_FILE",
    "QR_BOX",
    "CertificateData",
    "clean_text",
    "font_covers",
    "render_certificate",
]

FONT_FILE: Final = Path(__file__).resolve().parent.parent / "fonts" / "wqy-microhei.ttc"
# U+3013 GETA MARK 〓 is what Chinese and Japanese typesetting has always printed for a character the type case
# lacks. A character the font cannot draw (an emoji, say) becomes one 〓 instead of an empty "tofu" box or a crash;
# the stored record and the verification endpoint keep the exact name.
FALLBACK_CHAR: Final = "〓"
# Longer text cannot fit the page at the smallest size anyway; cutting first keeps the fitting loop cheap.
_MAX_CHARS: Final = 300


class CertificateData(Model):
    """What a certificate says. Texts are taken as given; `render_certificate` makes them printable."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    number: str = Field(min_length=1, max_length=64)
    provider_name: str = Field(min_length=1)
    credit_code: str = Field(min_length=1, max_length=64)
    grade: int = Field(ge=1, le=4)
    category: str = Field(min_length=1)
    issued_on: date
    valid_until: date
    scheme_version: str = Field(min_length=1, max_length=64)
    # The QR code must stay scannable at 32 mm, which bounds its length.
    verify_url: str = Field(min_length=1, max_length=300)
    issuer: str | None = None

    @field_validator("verify_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("verify_url must be an http(s) URL")
        # The QR code encodes the URL exactly as given, so it must be one a phone can open as is.
        if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf") for char in value):
            raise ValueError("verify_url must not contain spaces or control characters")
        return value

    @model_validator(mode="after")
    def _dates_in_order(self) -> CertificateData:
        if self.valid_until < self.issued_on:
            raise ValueError("valid_until is before issued_on")
        return self


# --- The font: parsed once per process --------------------------------------------------------------------------


class _Face:
    """Face 0 of the shipped WenQuanYi Micro Hei collection, read once per process (~0.15 s, ~15 MB).

    Why not `FPDF.add_font(ttc)` per document: fpdf2 parses the whole font there (cmap, widths and glyph names of
    49,531 glyphs) and then subsets that parsed font *in place* while writing the PDF, so nothing it parsed can serve
    the next document: ~0.2 s per certificate. Instead this keeps what every document needs (the cmap, the advance
    widths, the glyf table as raw bytes with its offsets, the small header tables) and builds per document a small
    TrueType font of just the glyphs it draws, from the original outlines, which fpdf2 parses and subsets in ms.
    """

    def __init__(self, path: Path) -> None:
        font = TTFont(path, fontNumber=0, lazy=True, recalcTimestamp=False)
        self.cmap: dict[int, str] = font.getBestCmap()
        self._names: list[str] = font.getGlyphOrder()
        self._gid = {name: gid for gid, name in enumerate(self._names)}
        # Advance widths and left side bearings by glyph id, as two arrays (a dict of tuples costs ~7 MB).
        metrics = font["hmtx"].metrics
        self._advance = array("H", (metrics[name][0] for name in self._names))
        self._lsb = array("h", (metrics[name][1] for name in self._names))
        # The outlines stay one bytes object plus offsets: parsing all glyphs into objects would triple the memory.
        self._glyf_data: bytes = font.reader["glyf"]
        self._offsets = list(font["loca"].locations)
        # A glyf table with no glyphs, only the master's glyph order: it names a composite's components.
        self._naming: Any = newTable("glyf")
        self._naming.setGlyphOrder(self._names)
        # Small tables copied into every subset. Left out: post (rebuilt as format 3, no glyph names), vertical
        # metrics and OpenType layout (fpdf2 writes horizontal text and drops GSUB/GPOS/GDEF itself), and the hinting
        # programs (fpgm, prep, cvt, gasp), see subset().
        self._tables = {tag: font[tag] for tag in ("head", "hhea", "maxp", "OS/2", "name")}
        post = font["post"]
        self._post = {
            f: getattr(post, f) for f in ("italicAngle", "underlinePosition", "underlineThickness", "isFixedPitch")
        }
        font.close()

    def covers(self, char: str) -> bool:
        return ord(char) in self.cmap

    def _glyph(self, name: str) -> Glyph:
        gid = self._gid[name]
        return Glyph(self._glyf_data[self._offsets[gid] : self._offsets[gid + 1]])

    def subset(self, chars: Iterable[str]) -> bytes:
        """A TrueType font with .notdef and the glyphs of `chars` (and their components), deterministic bytes."""
        cmap = {ord(ch): self.cmap[ord(ch)] for ch in set(chars) if ord(ch) in self.cmap}
        names = {".notdef", *cmap.values()}
        pending = list(names)
        while pending:
            for component in self._glyph(pending.pop()).getComponentNames(self._naming):
                if component not in names:
                    names.add(component)
                    pending.append(component)
        order = sorted(names, key=self._gid.__getitem__)

        # recalcBBoxes=False: the glyphs keep their stored bounds and the master's header bounds still hold.
        font = TTFont(recalcBBoxes=False, recalcTimestamp=False)
        font.setGlyphOrder(order)
        for tag, table in self._tables.items():
            font[tag] = copy.deepcopy(table)
        font["post"] = self._post_format_3()
        glyf: Any = newTable("glyf")
        glyf.setGlyphOrder(order)
        glyf.glyphs = {}
        for name in order:
            glyph = self._glyph(name)
            # Expanding names a composite's components (stored as the master's glyph ids); compiling renumbers them.
            glyph.expand(self._naming)
            # TrueType hinting is for screens at small pixel sizes; PDF viewers and printers rasterise without it,
            # and the instructions are a quarter of the embedded font.
            glyph.removeHinting()
            glyf.glyphs[name] = glyph
        font["glyf"] = glyf
        font["loca"] = newTable("loca")
        hmtx: Any = newTable("hmtx")
        hmtx.metrics = {name: (self._advance[self._gid[name]], self._lsb[self._gid[name]]) for name in order}
        font["hmtx"] = hmtx
        font["cmap"] = _cmap_table(cmap)
        out = BytesIO()
        font.save(out)
        return out.getvalue()

    def _post_format_3(self) -> Any:
        post: Any = newTable("post")
        post.formatType = 3.0
        for field, value in self._post.items():
            setattr(post, field, value)
        post.minMemType42 = post.maxMemType42 = post.minMemType1 = post.maxMemType1 = 0
        return post


def _cmap_table(cmap: dict[int, str]) -> Any:
    bmp: Any = CmapSubtable.newSubtable(4)
    bmp.platformID, bmp.platEncID, bmp.language = 3, 1, 0
    bmp.cmap = {cp: name for cp, name in cmap.items() if cp <= 0xFFFF}
    table: Any = newTable("cmap")
    table.tableVersion = 0
    table.tables = [bmp]
    if any(cp > 0xFFFF for cp in cmap):
        full: Any = CmapSubtable.newSubtable(12)
        full.platformID, full.platEncID, full.language = 3, 10, 0
        full.cmap = dict(cmap)
        table.tables.append(full)
    return table


@functools.cache
def _face() -> _Face:
    return _Face(FONT_FILE)


def font_covers(char: str) -> bool:
    """Whether the certificate font has a glyph for `char` (tests use it to prove there is no tofu)."""
    return _face().covers(char)


# --- Text that is safe to print ---------------------------------------------------------------------------------

_ZWJ = "\u200d"
_INVISIBLE = frozenset({"Mn", "Me", "Cf"})  # combining marks, enclosing marks, format controls (ZWJ, bidi, tags)


def _regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _skin_tone(char: str) -> bool:
    return 0x1F3FB <= ord(char) <= 0x1F3FF


def clean_text(text: str) -> str:
    """`text` as the certificate prints it: one line, nothing invisible, nothing the font cannot draw.

    NFC-normalised; control characters, line breaks and runs of whitespace become one space; format characters are
    dropped (a bidi override could otherwise reorder what a reader sees); a character the font lacks becomes one
    FALLBACK_CHAR together with whatever belongs to it (skin-tone modifiers, variation selectors, ZWJ sequences,
    the second half of a flag), so 👨‍👩‍👧 prints as one 〓. The PDF holds text as glyph ids, so markup such as
    <script> is simply printed, never interpreted.
    """
    face = _face()
    out: list[str] = []
    in_fallback = False  # the last thing written stands for a character the font lacks
    joined = False  # the previous character was a ZWJ inside that fallback
    pending_flag = False  # one regional indicator seen, its partner belongs to the same 〓
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if char.isspace() or category in ("Cc", "Zl", "Zp"):
            if out and out[-1] != " ":
                out.append(" ")
            in_fallback = joined = pending_flag = False
            continue
        flag_half = pending_flag and _regional_indicator(char)
        if in_fallback and (joined or category in _INVISIBLE or _skin_tone(char) or flag_half):
            joined = char == _ZWJ
            pending_flag = pending_flag and not flag_half
            continue
        if category in _INVISIBLE:
            continue
        if face.covers(char):
            out.append(char)
            in_fallback = False
            continue
        out.append(FALLBACK_CHAR)
        in_fallback, joined, pending_flag = True, False, _regional_indicator(char)
    return "".join(out).strip()[:_MAX_CHARS]


# --- Layout -----------------------------------------------------------------------------------------------------

PAGE_W, PAGE_H = 210.0, 297.0
_PT = 25.4 / 72  # millimetres per point
# Where the QR code sits (x, y of its top-left corner and its side, in mm; the quiet zone is outside): public so the
# visual test can read the code back from the rendered page.
QR_BOX: Final = (PAGE_W - 24.0 - 30.0, PAGE_H - 24.0 - 30.0 - 9.0, 30.0)
_RED = (150, 28, 32)
_GOLD = (176, 141, 76)
_INK = (34, 34, 34)
_MUTED = (112, 112, 112)
_PAPER = (253, 251, 245)
_TITLE = ("服务商等级证书", "SERVICE PROVIDER GRADE CERTIFICATE")
_NUMBER = ("证书编号", "Certificate No.")
_CERTIFY = ("兹证明", "This is to certify that")
_CREDIT_CODE = ("统一社会信用代码", "Unified Social Credit Code")
_GRADED = ("经评定，其服务商等级为", "has been assessed and awarded")
_CATEGORY = ("服务类别", "Service category")
_ISSUED = ("发证日期", "Date of issue")
_VALID = ("有效期至", "Valid until")
_SCHEME = ("评级方案", "Grading scheme")
_ISSUER = ("颁发单位", "Issued by")
_SCAN = ("扫码验证", "Scan to verify")
_NOTE = (
    "本证书在有效期内有效，真伪及状态以扫码验证结果为准。",
    "Valid until the date above; the verification service is authoritative.",
)
# Every fixed text on the page, so each document's font has its glyphs (a missing one fails the render, see below).
_FIXED = (_TITLE, _NUMBER, _CERTIFY, _CREDIT_CODE, _GRADED, _CATEGORY, _ISSUED, _VALID, _SCHEME, _ISSUER, _SCAN, _NOTE)
_EMPTY = "—"
_LABELS = "".join(zh + en for zh, en in _FIXED) + "".join(GRADE_ZH.values()) + "年月日…" + _EMPTY
# Every printable ASCII character goes into each document's font: dates, numbers, URLs and versions are Latin, and
# fpdf2 embeds only the glyphs a page really uses, so the extra ones cost nothing in the PDF.
_ASCII = "".join(chr(cp) for cp in range(0x20, 0x7F))


@dataclass(frozen=True)
class _Texts:
    """Everything the page prints that comes from the data, already cleaned."""

    provider: str
    credit_code: str
    category: str
    number: str
    scheme: str
    url: str
    issuer: str | None
    issued: tuple[str, str]
    valid: tuple[str, str]
    grade: tuple[str, str]

    def chars(self) -> str:
        return "".join(
            [self.provider, self.credit_code, self.category, self.number, self.scheme, self.url, self.issuer or ""]
        )


def _texts(data: CertificateData) -> _Texts:
    def day(value: date) -> tuple[str, str]:
        return zh_date(value), value.isoformat()

    def printable(value: str) -> str:
        # A value of only invisible characters would leave a blank where a reader expects something.
        return clean_text(value) or _EMPTY

    return _Texts(
        provider=printable(data.provider_name),
        credit_code=printable(data.credit_code),
        category=printable(data.category),
        number=printable(data.number),
        scheme=printable(data.scheme_version),
        url=printable(data.verify_url),
        issuer=printable(data.issuer) if data.issuer else None,
        issued=day(data.issued_on),
        valid=day(data.valid_until),
        grade=(grade_zh(data.grade), grade_en(data.grade)),
    )


class _Page:
    """Drawing helpers over one FPDF page; sizes in points, positions in millimetres."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf = pdf
        self.color = _INK

    def font(self, size: float, color: tuple[int, int, int] = _INK, spacing: float = 0.0) -> None:
        self.pdf.set_font("wqy", size=size)
        self.color = color
        self.pdf.set_text_color(*color)
        self.pdf.set_char_spacing(spacing)

    def text(
        self, x: float, y: float, w: float, h: float, text: str, align: Align = Align.C, bold: bool = False
    ) -> None:
        # WenQuanYi has no bold face: a thin stroke of the text colour around the glyphs thickens them instead.
        if bold:
            self.pdf.text_mode = TextMode.FILL_STROKE
            self.pdf.set_draw_color(*self.color)
            self.pdf.set_line_width(0.25)
        self.pdf.set_xy(x, y)
        self.pdf.cell(w=w, h=h, text=text, align=align)
        self.pdf.text_mode = TextMode.FILL

    def lines(self, text: str, width: float) -> list[str]:
        result = self.pdf.multi_cell(
            w=width, text=text, dry_run=True, output=MethodReturnValue.LINES, wrapmode=WrapMode.WORD
        )
        assert isinstance(result, list)  # what output=LINES returns
        return result

    def fit(self, text: str, width: float, sizes: tuple[float, float], max_lines: int) -> tuple[float, list[str]]:
        """The largest size in `sizes` (max, min) at which `text` wraps into `max_lines`, balanced; else truncated."""
        largest, smallest = sizes
        size = largest
        while True:
            self.pdf.set_font_size(size)
            lines = self.lines(text, width)
            if len(lines) <= max_lines or size <= smallest:
                break
            size = max(smallest, size - 1)
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            last = lines[-1]
            while last and self.pdf.get_string_width(last + "…") > width:
                last = last[:-1]
            lines[-1] = last.rstrip() + "…"
        elif len(lines) > 1:
            # Balance the lines (no lone last character under a long line): the narrowest width keeping the count.
            narrow = width
            while narrow > width / 2 and len(self.lines(text, narrow - 2)) == len(lines):
                narrow -= 2
            lines = self.lines(text, narrow)
        return size, lines


def _draw_frame(page: _Page) -> None:
    pdf = page.pdf
    pdf.set_fill_color(*_PAPER)
    pdf.rect(0, 0, PAGE_W, PAGE_H, style="F")
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(1.2)
    pdf.rect(9, 9, PAGE_W - 18, PAGE_H - 18)
    pdf.set_line_width(0.3)
    pdf.rect(12, 12, PAGE_W - 24, PAGE_H - 24)
    # A small gold diamond at each inner corner.
    pdf.set_fill_color(*_GOLD)
    for cx, cy in ((12, 12), (PAGE_W - 12, 12), (12, PAGE_H - 12), (PAGE_W - 12, PAGE_H - 12)):
        pdf.polygon([(cx, cy - 2.2), (cx + 2.2, cy), (cx, cy + 2.2), (cx - 2.2, cy)], style="F")


def _draw_rule(page: _Page, y: float, width: float) -> None:
    pdf = page.pdf
    cx = PAGE_W / 2
    pdf.set_draw_color(*_GOLD)
    pdf.set_line_width(0.3)
    pdf.line(cx - width / 2, y, cx - 3, y)
    pdf.line(cx + 3, y, cx + width / 2, y)
    pdf.set_fill_color(*_GOLD)
    pdf.polygon([(cx, y - 1.5), (cx + 1.5, y), (cx, y + 1.5), (cx - 1.5, y)], style="F")


def _draw_seal(page: _Page, cy: float, grade: tuple[str, str], r: float) -> None:
    """The grade as a round red seal, 一级..四级 over GRADE n; scaled with the room the name left."""
    pdf = page.pdf
    cx, k = PAGE_W / 2, r / 19.0
    pdf.set_draw_color(*_RED)
    pdf.set_line_width(1.0)
    pdf.circle(x=cx, y=cy, radius=r)
    pdf.set_line_width(0.3)
    pdf.circle(x=cx, y=cy, radius=r - 2.2 * k)
    page.font(30 * k, _RED, spacing=1.5 * k)
    page.text(cx - r, cy - 10.5 * k, 2 * r, 14 * k, grade[0], bold=True)
    page.font(10 * k, _RED, spacing=1 * k)
    page.text(cx - r, cy + 4 * k, 2 * r, 6 * k, grade[1].upper())


def _draw_qr(page: _Page, x: float, y: float, size: float, url: str) -> None:
    """The QR code as filled rectangles (vector, crisp at any zoom, no image to embed), one per run of dark modules."""
    pdf = page.pdf
    qr = segno.make(url, error="m", micro=False)
    modules = qr.symbol_size(border=0)[0]
    step = size / modules
    # The quiet zone the standard asks for: four modules of white (the layout keeps other ink out of it too).
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x - 4 * step, y - 4 * step, size + 8 * step, size + 8 * step, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(qr.matrix_iter(border=0)):
        start: int | None = None
        for col, dark in enumerate([*cells, 0]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                # A hair of overlap so no white seams show between touching rectangles in a viewer.
                pdf.rect(x + start * step, y + row * step, (col - start) * step + 0.02, step + 0.02, style="F")
                start = None


def _draw_table(page: _Page, rows: list[tuple[tuple[str, str], str]], top: float, *, dry_run: bool = False) -> float:
    """The details: label (Chinese over English) and value per row, gold rules between; returns the bottom y."""
    pdf = page.pdf
    table_x, table_r, label_w = 38.0, PAGE_W - 38.0, 40.0
    value_x = table_x + label_w
    value_w = table_r - value_x
    y = top
    if not dry_run:
        pdf.set_draw_color(*_GOLD)
        pdf.set_line_width(0.2)
        pdf.line(table_x, y, table_r, y)
    for (zh, en), value in rows:
        page.font(11.5, _INK)
        size, lines = page.fit(value, value_w, (11.5, 8), 2)
        line_h = size * _PT * 1.4
        row_h = max(11.5, 3.0 + len(lines) * line_h)
        if not dry_run:
            page.font(10.5, _INK, spacing=1)
            page.text(table_x, y + row_h / 2 - 5, label_w, 5, zh, align=Align.L)
            page.font(7.5, _MUTED)
            page.text(table_x, y + row_h / 2, label_w, 4, en, align=Align.L)
            page.font(size, _INK)
            vy = y + (row_h - len(lines) * line_h) / 2
            for line in lines:
                page.text(value_x, vy, value_w, line_h, line, align=Align.L)
                vy += line_h
            pdf.set_draw_color(*_GOLD)
            pdf.set_line_width(0.2)
            pdf.line(table_x, y + row_h, table_r, y + row_h)
        y += row_h
    return y


def _draw(pdf: FPDF, t: _Texts, qr_url: str) -> None:
    page = _Page(pdf)
    _draw_frame(page)
    left, right = 24.0, PAGE_W - 24.0
    width = right - left

    # Top, flowing down: title, number, the provider and its code, the words before the grade.
    page.font(30, _RED, spacing=6)
    page.text(left, 25, width, 14, _TITLE[0], bold=True)
    page.font(10.5, _GOLD, spacing=2.2)
    page.text(left, 40, width, 6, _TITLE[1])
    _draw_rule(page, 50, 70)
    page.font(9.5, _MUTED)
    page.text(left, 54, width, 6, f"{_NUMBER[0]} {_NUMBER[1]}  {t.number}")
    page.font(13, _INK, spacing=2)
    page.text(left, 66, width, 7, _CERTIFY[0])
    page.font(9.5, _MUTED)
    page.text(left, 73, width, 5, _CERTIFY[1])
    # The provider's name: as large as fits in three lines, down to 12 pt; a longer name is cut with an ellipsis.
    page.font(22, _INK, spacing=0.5)
    size, lines = page.fit(t.provider, width, (22, 12), 3)
    line_h = size * _PT * 1.45
    y = 81.0
    for line in lines:
        page.text(left, y, width, line_h, line, bold=True)
        y += line_h
    y += 3
    page.font(9.5, _MUTED)
    page.text(left, y, width, 5, f"{_CREDIT_CODE[0]}  {_CREDIT_CODE[1]}")
    page.font(13, _INK, spacing=1.2)
    size, lines = page.fit(t.credit_code, width, (13, 9), 1)
    page.text(left, y + 5.5, width, 7, lines[0])
    y += 16
    page.font(12, _INK, spacing=1)
    page.text(left, y, width, 6, _GRADED[0])
    page.font(9.5, _MUTED)
    page.text(left, y + 6.5, width, 5, _GRADED[1])
    flow_bottom = y + 12

    # Bottom, anchored to the frame: the QR code on the right, issuer and note on the left.
    qr_x, qr_y, qr_size = QR_BOX
    _draw_qr(page, qr_x, qr_y, qr_size, qr_url)
    page.font(8.5, _INK, spacing=0.5)
    page.text(qr_x - 10, qr_y + qr_size + 4, qr_size + 20, 4, f"{_SCAN[0]} {_SCAN[1]}")
    page.font(6.5, _MUTED)
    _, lines = page.fit(t.url, width, (6.5, 5.5), 1)
    page.text(left, qr_y + qr_size + 8.5, width, 3, lines[0], align=Align.R)
    note_w = qr_x - 12 - left
    if t.issuer:
        page.font(9, _MUTED, spacing=0.5)
        page.text(left, qr_y + 1, note_w, 5, f"{_ISSUER[0]}  {_ISSUER[1]}", align=Align.L)
        page.font(12, _INK)
        size, lines = page.fit(t.issuer, note_w, (12, 8), 2)
        iy = qr_y + 7
        for line in lines:
            page.text(left, iy, note_w, size * _PT * 1.4, line, align=Align.L, bold=True)
            iy += size * _PT * 1.4
    page.font(8.5, _INK)
    page.text(left, qr_y + 21, note_w, 4.5, _NOTE[0], align=Align.L)
    page.font(7.5, _MUTED)
    page.text(left, qr_y + 25.5, note_w, 4, _NOTE[1], align=Align.L)

    # The details table sits above the bottom band; the seal takes the middle of what is left between.
    rows = [
        (_CATEGORY, t.category),
        (_ISSUED, f"{t.issued[0]}  ({t.issued[1]})"),
        (_VALID, f"{t.valid[0]}  ({t.valid[1]})"),
        (_SCHEME, t.scheme),
    ]
    table_bottom = qr_y - 8
    table_top = table_bottom - (_draw_table(page, rows, 0.0, dry_run=True))
    _draw_table(page, rows, table_top)
    radius = min(19.0, (table_top - flow_bottom - 6) / 2)
    _draw_seal(page, (flow_bottom + table_top) / 2, t.grade, radius)


def render_certificate(data: CertificateData) -> bytes:
    """The certificate as PDF bytes: one A4 page; the same data always gives the same bytes."""
    texts = _texts(data)
    font_bytes = _face().subset(_ASCII + _LABELS + FALLBACK_CHAR + texts.chars())
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    # Fixed metadata: the creation date is the issue date and fpdf2 derives the file /ID from content and that date.
    pdf.set_creation_date(datetime.combine(data.issued_on, time(0, 0), tzinfo=UTC))
    pdf.set_title(f"服务商等级证书 {texts.number}")
    pdf.set_subject(texts.provider)
    pdf.set_creator("grading.render.certificate")
    pdf.set_lang("zh-CN")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    # fpdf2 reads fonts only from files; the document's font lives for this call only.
    with tempfile.TemporaryDirectory(prefix="certificate-font-") as tmp:
        font_path = Path(tmp) / "wqy-microhei-subset.ttf"
        font_path.write_bytes(font_bytes)
        pdf.add_font("wqy", fname=font_path)
        font = pdf.fonts["wqy"]
        assert isinstance(font, TTFFont)
        try:
            pdf.add_page()
            _draw(pdf, texts, data.verify_url)
            if font.missing_glyphs:
                # A fixed label not in _LABELS: fail loudly rather than print tofu.
                missing = "".join(map(chr, font.missing_glyphs))
                raise RuntimeError(f"certificate font lacks {missing!r}; add the label to _LABELS")
            return bytes(pdf.output())
        finally:
            font.close()  # fpdf2 reads the font lazily from the temporary file until the output is written
