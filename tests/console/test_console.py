"""The console in a browser, each role's main task by clicking: a provider applies (the credit code checked as it
is typed, the API's 422 shown at its field) and uploads straight to S3; a reviewer previews and passes; an admin
registers experts and draws the panel (verified); each expert scores; the admin decides; the notice window
closes with the daily sweep (run for a later date, as the e2e tests do) and the provider sees its certificate;
an admin records an assessment and starts the annual re-grading, whose charts are drawn."""

from __future__ import annotations

import json
import random
import re
import struct
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from grading.credit_code import check_character
from tests.conftest import ROOT
from tests.console.conftest import Console
from tests.e2e.conftest import LocalStack

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
BODY17 = f"91350100M{random.SystemRandom().randrange(10**8):08d}"  # a fresh provider on every run
CODE = BODY17 + check_character(BODY17)
WRONG = BODY17 + ("0" if CODE[-1] != "0" else "1")


def png() -> bytes:
    """A valid 8x8 PNG (a grey square), made here so the test needs no file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x80" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def sweep(stack: LocalStack, when: datetime, tmp: Path) -> dict[str, Any]:
    """The daily sweep for a later date, invoked like `make invoke` (scheduled jobs take "now" from the event)."""
    event = json.loads((ROOT / "events/DailySweepFunction/scheduled-2026-12-01.json").read_text())
    event["time"] = when.astimezone(UTC).isoformat().replace("+00:00", "Z")
    path = tmp / "sweep.json"
    path.write_text(json.dumps(event))
    done = subprocess.run(
        [sys.executable, "-m", "local", "invoke", "DailySweepFunction", str(path), "--backend", stack.backend],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def drain(stack: LocalStack) -> None:
    assert requests.post(f"{stack.api}/_local/drain", params={"timeout": 60}, timeout=120).status_code == 200


def fill(c: Console, values: dict[str, str]) -> None:
    for name, value in values.items():
        c.page.locator(f"[name='{name}']").fill(value)


def apply_and_upload(c: Console) -> str:
    page = c.page
    c.sign_in("provider-1")
    c.shot("01-provider-my-applications")
    c.open("apply")
    code = page.locator("[name='provider.credit_code']")
    code.fill(WRONG)
    error = page.locator(".field-error[data-for='provider.credit_code']")
    assert error.inner_text() == f"校验码应为 {CODE[-1]}，当前为 {WRONG[-1]}"
    assert code.get_attribute("aria-invalid") == "true"
    code.fill(CODE)
    assert error.inner_text() == "✓ 校验码正确"
    fill(c, {"provider.name": "福州控制台测试有限公司", "provider.region": "福建省福州市"})
    fill(c, {"provider.contact.name": "张三", "provider.contact.phone": "13800000000"})
    fill(c, {"provider.contact.email": "not-an-email"})  # the API's 422 lands at this field
    fill(c, {"qualifications.0.type": "ISO 9001", "qualifications.0.number": "Q-2026-9"})
    fill(c, {"qualifications.0.issuer": "中国质量认证中心", "qualifications.0.valid_until": "2030-12-31"})
    page.get_by_role("button", name="提交申请").click()
    email_error = page.locator(".field-error[data-for='provider.contact.email']")
    email_error.wait_for(state="visible")
    page.wait_for_function("document.querySelector(\".field-error[data-for='provider.contact.email']\").textContent")
    assert "pattern" in email_error.inner_text() or "match" in email_error.inner_text(), email_error.inner_text()
    assert page.locator("[name='provider.contact.email']").get_attribute("aria-invalid") == "true"
    c.shot("02-provider-apply-422")
    fill(c, {"provider.contact.email": "zhang@example.cn"})
    page.get_by_role("button", name="提交申请").click()
    c.wait_hash(r"^#/app/[0-9A-Za-z]+$")
    app_id = page.url.rsplit("/", 1)[1]
    assert page.locator("h1").inner_text() == f"申请 {app_id}"
    for kind, name, mime, data in (
        ("business_license", "营业执照.pdf", "application/pdf", PDF),
        ("qualification_certificate", "资质证书.png", "image/png", png()),
    ):
        page.locator("[name='kind']").select_option(kind)
        page.locator("[name='file']").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
        page.get_by_role("button", name="上传", exact=True).click()
        page.wait_for_selector(f"td:text-is('{name}')")
        c.ready()
    assert page.locator("table tbody tr").count() == 2
    c.shot("03-provider-application-uploaded")
    return app_id


def test_provider_to_certificate(console: Console, stack: LocalStack, tmp_path: Path) -> None:
    c, page = console, console.page
    app_id = apply_and_upload(c)
    assert app_id
