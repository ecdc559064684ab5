"""What a person sees: the certificate through poppler (pdftotext, pdftoppm) and the notice through headless Chromium.

The tools come from scripts/system-deps.sh (`make test` runs it); a missing tool fails the test with that hint, it is
never skipped. The pictures are kept under test-artifacts/ at the repository root for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import segno
from PIL import Image

from grading.render.certificate import QR_BOX, CertificateData, render_certificate
from grading.render.notice import NoticeData, render_notice_html

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# Chromium draws the notice's Chinese with the system's fonts; without a CJK font a person would see tofu boxes.
SYSTEM_CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
HINT = "run scripts/system-deps.sh (installs poppler-utils, chromium and fonts-wqy-microhei)"
MM = 1 / 25.4  # inches per millimetre


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed: {HINT}")
    return path


def run(args: list[str], timeout: float = 120) -> str:
    """Run a tool in its own process group, so a hung Chromium and its helpers are all stopped on timeout."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{args[0]} did not finish in {timeout} s")
    if proc.returncode != 0:
        pytest.fail(f"{args[0]} failed ({proc.returncode}): {err.decode(errors='replace')[-2000:]}")
    return out.decode("utf-8")


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def colours(path: Path) -> int:
    with Image.open(path) as image:
        found = image.convert("RGB").getcolors(maxcolors=1 << 24)
    return len(found or [])


CERTIFICATE = CertificateData(
    number="GC-2025-000123",
    provider_name="北京星辰信息技术有限公司",
    credit_code="91350100M000100Y43",
    grade=2,
    category="信息技术服务",
    issued_on=date(2025, 3, 1),
    valid_until=date(2026, 2, 28),
    scheme_version="2025.1",
    verify_url="https://grading.example.gov.cn/v1/certificates/GC-2025-000123",
    issuer="某某集团采购管理部",
)


def test_certificate_text_reads_right(artifacts: Path) -> None:
    pdf = artifacts / "certificate.pdf"
    pdf.write_bytes(render_certificate(CERTIFICATE))
    text = run([tool("pdftotext"), "-layout", "-enc", "UTF-8", str(pdf), "-"])
    for expected in (
        "服务商等级证书",
        "SERVICE PROVIDER GRADE CERTIFICATE",
        "北京星辰信息技术有限公司",
        "统一社会信用代码",
        "91350100M000100Y43",
        "二级",
        "GRADE 2",
        "GC-2025-000123",
        "信息技术服务",
        "2025年3月1日",
        "2025-03-01",
        "2026年2月28日",
        "2026-02-28",
        "2025.1",
        "某某集团采购管理部",
        "扫码验证",
        "https://grading.example.gov.cn/v1/certificates/GC-2025-000123",
    ):
        assert expected in text, f"{expected!r} is not what pdftotext reads:\n{text}"


def test_certificate_picture_is_kept(artifacts: Path) -> None:
    pdf = artifacts / "certificate.pdf"
    pdf.write_bytes(render_certificate(CERTIFICATE))
    run([tool("pdftoppm"), "-png", "-r", "60", "-singlefile", str(pdf), str(artifacts / "certificate")])
    png = artifacts / "certificate.png"
    with Image.open(png) as image:
        assert image.size == (497, 702)  # A4 at 60 dpi: one portrait page
    assert colours(png) > 50


def test_certificate_qr_code_on_the_page_is_the_verify_url(artifacts: Path, tmp_path: Path) -> None:
    """Read the QR code back from a 300 dpi rendering, module by module, and compare it with the code for the URL."""
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(render_certificate(CERTIFICATE))
    dpi = 300
    run([tool("pdftoppm"), "-png", "-r", str(dpi), "-singlefile", str(pdf), str(tmp_path / "page")])
    expected = [list(row) for row in segno.make(CERTIFICATE.verify_url, error="m", micro=False).matrix_iter(border=0)]
    x, y, size = QR_BOX
    step = size / len(expected)
    with Image.open(tmp_path / "page.png") as image:
        grey = image.convert("L")

        def dark(row: int, col: int) -> int:
            centre = (round((x + (col + 0.5) * step) * MM * dpi), round((y + (row + 0.5) * step) * MM * dpi))
            value = grey.getpixel(centre)
            assert isinstance(value, int)
            return int(value < 128)

        seen = [[dark(row, col) for col in range(len(expected))] for row in range(len(expected))]
    assert seen == expected


def test_hostile_and_very_long_names_stay_inside_the_frame(artifacts: Path) -> None:
    long_name = (
        '<script>alert("x")</script> 星辰😀科技👨‍👩‍👧 '
        + "中华人民共和国北京市海淀区中关村科技园区信息技术发展股份有限公司" * 6
    )
    data = CERTIFICATE.model_copy(update={"provider_name": long_name, "category": "信息技术服务、" * 30})
    pdf = artifacts / "certificate-long-name.pdf"
    pdf.write_bytes(render_certificate(data))
    text = run([tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-"])
    assert '<script>alert("x")</script>' in text
    assert "星辰〓科技〓" in text  # each emoji became one fallback mark, not tofu
    assert "…" in text  # too long even at the smallest size: cut, visibly
    run([tool("pdftoppm"), "-png", "-r", "60", "-singlefile", str(pdf), str(artifacts / "certificate-long-name")])
    with Image.open(artifacts / "certificate-long-name.png") as image:
        rgb = image.convert("RGB")
        dpi = 60
        # The strips between the inner frame (12 mm) and the text column (24 mm), on both sides: paper only.
        rows = range(round(20 * MM * dpi), round(277 * MM * dpi))
        for left_mm, right_mm in ((13.5, 22.5), (188.5, 196.5)):
            for col in range(round(left_mm * MM * dpi), round(right_mm * MM * dpi)):
                for row in rows:
                    pixel = rgb.getpixel((col, row))
                    assert isinstance(pixel, tuple)
                    assert min(pixel) > 200, f"ink at {col},{row} px outside the text column"


NOTICE = NoticeData.model_validate(
    {
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
                "provider_name": "<script>document.title='x'</script>上海某某物业管理有限公司（浦东分公司）",
                "credit_code": "91110000600037341L",
                "category": "物业服务",
                "grade": None,
                "total": Decimal("57.5"),
                "note": "技术能力得分低于等级要求",
            },
            {
                "provider_name": "深圳市某某科技发展股份有限公司",
                "credit_code": "91440300MA5FX8K21C",
                "category": "软件开发",
                "grade": 1,
                "total": Decimal("93"),
            },
        ],
        "objection_url": "https://api.example.gov.cn/v1/notices/N-2025-0042/objections",
        "issuer": "某某集团采购管理部",
        "json_url": "https://public.example.gov.cn/notices/N-2025-0042.json",
        "scheme_version": "2025.1",
    }
)


@pytest.mark.parametrize(
    ("name", "window"),
    [("notice-phone", "390,844"), ("notice-phone-full", "390,1900"), ("notice-desktop", "1280,900")],
)
def test_notice_screenshot_is_kept_and_not_blank(artifacts: Path, tmp_path: Path, name: str, window: str) -> None:
    chromium = tool("chromium")
    if not SYSTEM_CJK_FONT.exists():
        pytest.fail(f"no CJK font for Chromium ({SYSTEM_CJK_FONT}): {HINT}")
    page = artifacts / "notice.html"
    page.write_text(render_notice_html(NOTICE), encoding="utf-8")
    png = artifacts / f"{name}.png"
    png.unlink(missing_ok=True)
    run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'chromium'}",
            f"--window-size={window}",
            f"--screenshot={png}",
            page.as_uri(),
        ]
    )
    assert png.is_file(), "Chromium wrote no screenshot"
    width, height = (int(v) for v in window.split(","))
    with Image.open(png) as image:
        assert image.size == (width, height)
        rgb = image.convert("RGB")
        background = rgb.getpixel((width - 1, height - 1))
        counts = {colour: count for count, colour in rgb.getcolors(maxcolors=1 << 24) or []}
        inked = width * height - counts.get(background, 0)
    assert colours(png) > 1
    assert inked > width * height // 50, "the screenshot is (nearly) blank"
