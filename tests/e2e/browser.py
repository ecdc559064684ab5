"""Headless Chromium for the page tests, driven through Debian's chromedriver with Selenium: a phone and a desktop
viewport, full-page screenshots, and axe-core (node_modules, pinned in package.json) injected into the page."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

HINT = "run `make test-tools` (scripts/system-deps.sh: chromium, chromium-driver, zbar-tools, npm; then npm ci)"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
# (width, height, device pixel ratio, mobile): a common phone, and a laptop.
VIEWPORTS = {"phone": (390, 844, 2, True), "desktop": (1280, 900, 1, False)}


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed: {HINT}")
    return path


@contextmanager
def chromium(tmp: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = tool("chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={tmp / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=tool("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def open_at(driver: Any, url: str, viewport: str) -> None:
    width, height, ratio, mobile = VIEWPORTS[viewport]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": ratio, "mobile": mobile},
    )
    driver.get(url)


def screenshot(driver: Any, name: str) -> Path:
    """The whole page (beyond the viewport) as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path = ARTIFACTS / f"{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the open page (WCAG 2.x A/AA and best practices), each with its impact."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: {HINT}")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]})
          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                  nodes: v.nodes.map(n => n.target.join(" "))}))))
          .catch(e => done({error: String(e)}));
        """
    )
    if isinstance(result, dict):
        pytest.fail(f"axe-core failed: {result['error']}")
    return list(result)


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]
