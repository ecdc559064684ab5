"""Scan to page, end to end against `python -m local serve`: a certificate is issued, its PDF is drawn to an image
(pdftoppm), the QR code on it is decoded (zbarimg) to `<public base URL>/c/{number}` — the runner's own origin —
and that page opens in headless Chromium at a phone and a desktop width: screenshots in test-artifacts/, and
axe-core finds no serious or critical violation. The notice board and a notice page get the same checks."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from PIL import Image

from grading.credit_code import check_character
from tests.e2e.browser import VIEWPORTS, axe_violations, chromium, open_at, screenshot, serious, tool
from tests.e2e.conftest import LocalStack, drain, sweep
from tests.e2e.test_provider_life import certified_provider

NAME = "广州物业管理有限公司"


def decode_qr(pdf: bytes, tmp: Path) -> list[str]:
    """Every QR code zbar finds on the certificate's first page, drawn at 200 dpi."""
    (tmp / "certificate.pdf").write_bytes(pdf)
    subprocess.run(
        [tool("pdftoppm"), "-r", "200", "-png", "-singlefile", str(tmp / "certificate.pdf"), str(tmp / "page")],
        check=True,
        timeout=120,
    )
    done = subprocess.run(
        [tool("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(tmp / "page.png")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"zbarimg found no QR code: {done.stderr}"
    return done.stdout.split()


# The sweep that issues the certificate runs when the notice window has passed; the page is read in the hour after,
# at the stack's clock (POST /_local/clock), so its verification date is not before the issue date it shows.
ISSUED_AT = datetime.now(UTC) + timedelta(days=8)


@pytest.fixture
def after_issue(local_stack: LocalStack) -> Iterator[None]:
    moment = {"now": (ISSUED_AT + timedelta(hours=1)).isoformat()}
    assert requests.post(f"{local_stack.api}/_local/clock", json=moment, timeout=10).status_code == 200
    try:
        yield
    finally:
        requests.delete(f"{local_stack.api}/_local/clock", timeout=10)


@pytest.fixture(scope="module")
def issued(local_stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """(certificate number, its PDF's decoded QR code, the grading notice id) for a freshly certified provider."""
    tmp = tmp_path_factory.mktemp("scan")
    code = "9144010100000047" + "0"
    code += check_character(code)
    _, decided, _ = certified_provider(local_stack, tmp, code, "cleaning", "scan-owner")
    drain(local_stack)
    assert sweep(local_stack, ISSUED_AT, tmp)["certificates_issued"] >= 1
    drain(local_stack)
    found = requests.get(
        f"{local_stack.api}/v1/providers/{code}", headers=local_stack.headers("scan-owner", "providers")
    ).json()
    number = found["certificate"]["number"]
    pdf = requests.get(f"{local_stack.api}/v1/certificates/{number}/pdf", allow_redirects=True, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    codes = decode_qr(pdf.content, tmp)
    assert len(codes) == 1, codes
    return number, codes[0], decided["notice_id"]


def test_the_qr_code_opens_the_certificate_page(
    local_stack: LocalStack, issued: tuple[str, str, str], after_issue: None
) -> None:
    number, scanned, _ = issued
    assert scanned == f"{local_stack.api}/c/{number}"
    page = requests.get(scanned, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert NAME in page.text and "<strong>有效</strong>" in page.text and "保洁服务" in page.text
    assert len(page.content) < 30 * 1024
    issued_on = re.search(r'发证日期</dt><dd><time datetime="([0-9-]+)"', page.text)
    checked_on = re.search(r'核验日期 <time datetime="([0-9-]+)"', page.text)
    assert issued_on and checked_on and checked_on.group(1) >= issued_on.group(1), "checked before it was issued"
    cached = requests.get(scanned, headers={"If-None-Match": page.headers["ETag"]}, timeout=30)
    assert cached.status_code == 304 and cached.content == b""


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_certificate_page_in_chromium(
    issued: tuple[str, str, str], after_issue: None, tmp_path: Path, viewport: str
) -> None:
    number, scanned, _ = issued
    with chromium(tmp_path) as driver:
        open_at(driver, scanned, viewport)
        assert driver.find_element("css selector", "header .code").text == number
        assert driver.find_element("css selector", ".status strong").text == "有效"
        assert NAME in driver.find_element("css selector", "dl.facts").text
        # Nothing runs on the page and nothing spills sideways on a phone.
        assert driver.execute_script("return document.scripts.length") == 0
        width = VIEWPORTS[viewport][0]
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        png = screenshot(driver, f"certificate-page-{viewport}")
        assert serious(axe_violations(driver)) == []
    with Image.open(png) as image:
        assert image.size[0] == width * VIEWPORTS[viewport][2]


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_board_and_notice_page_in_chromium(
    local_stack: LocalStack, issued: tuple[str, str, str], tmp_path: Path, viewport: str
) -> None:
    _, _, notice_id = issued
    with chromium(tmp_path) as driver:
        open_at(driver, f"{local_stack.api}/notices", viewport)
        link = driver.find_element("css selector", f"a[href='{local_stack.api}/v1/notices/{notice_id}/html']")
        screenshot(driver, f"notice-board-{viewport}")
        assert serious(axe_violations(driver)) == []
        link.click()
        assert driver.current_url == f"{local_stack.api}/v1/notices/{notice_id}/html"
        assert NAME in driver.page_source and "控制台的异议表单" in driver.page_source
        screenshot(driver, f"notice-page-{viewport}")
        assert serious(axe_violations(driver)) == []


def test_unknown_number_opens_a_chinese_404_page(local_stack: LocalStack, tmp_path: Path) -> None:
    url = f"{local_stack.api}/c/SG-2026-NOSUCHNUMBER-01"
    assert requests.get(url, timeout=30).status_code == 404
    with chromium(tmp_path) as driver:
        open_at(driver, url, "phone")
        assert driver.find_element("css selector", "h1").text == "未找到该证书"
        screenshot(driver, "certificate-not-found-phone")
        assert serious(axe_violations(driver)) == []
