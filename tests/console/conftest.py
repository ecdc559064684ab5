"""Browser level: the web console in headless Chromium (Debian's, driven by Playwright) against its own
`python -m local serve` (the e2e fixture: free ports, stopped after). Screenshots go to test-artifacts/console/,
and every page is checked with axe-core (no serious or critical violation)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LocalStack, local_stack  # noqa: F401  (the console gets a stack of its own)

ARTIFACTS = ROOT / "test-artifacts" / "console"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HINT = "run `make web` (npm ci in web/) and scripts/system-deps.sh (chromium)"


@pytest.fixture(scope="package")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(chromium).exists(), f"no chromium: {HINT}"
    assert AXE.exists(), f"no axe-core: {HINT}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
            executable_path=chromium,
            args=CHROMIUM_FLAGS,
            headless=True,
            locale="zh-CN",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(60_000)  # a shared, busy machine: API calls can take seconds
        yield context
        context.close()


class Console:
    """One tab on the console, signed in as one sample user at a time."""

    def __init__(self, page: Any, stack: LocalStack) -> None:
        self.page, self.stack = page, stack
        self.shots: list[str] = []
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, hash_path: str) -> None:
        self.page.goto(f"{self.stack.api}/#/{hash_path}")
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("main[data-ready='1']")

    def wait_hash(self, pattern: str) -> None:
        """Until the console has moved to a page whose hash matches, and that page has loaded."""
        self.page.wait_for_function("p => new RegExp(p).test(location.hash)", arg=pattern)
        self.ready()

    def sign_in(self, sub: str) -> None:
        self.page.goto(f"{self.stack.api}/")
        self.ready()
        if self.page.locator("main").get_attribute("data-page") != "login":
            self.page.get_by_role("button", name="退出").click()
            self.page.wait_for_selector("main[data-page='login'][data-ready='1']")
        self.page.locator(f"button[data-sub='{sub}']").click()
        self.ready()

    def shot(self, name: str) -> None:
        """A screenshot of the page as it is, and axe-core's serious and critical findings on it."""
        self.page.wait_for_timeout(150)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        self.shots.append(name)
        self.page.add_script_tag(content=AXE.read_text())
        violations = self.page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        assert violations == [], f"{name}: {json.dumps(violations, ensure_ascii=False, indent=1)}"


@pytest.fixture(scope="package")
def stack(request: pytest.FixtureRequest) -> LocalStack:
    """The console's own `python -m local serve`; CONSOLE_STACK="<api url> <backend url>" reuses a running one
    (handy while working on the console: the stack takes a while to start on a busy machine)."""
    if os.environ.get("CONSOLE_STACK"):
        api, backend = os.environ["CONSOLE_STACK"].split()
        return LocalStack(api=api, backend=backend, log_path="")
    return request.getfixturevalue("local_stack")  # type: ignore[no-any-return]


@pytest.fixture
def console(browser_context: Any, stack: LocalStack) -> Iterator[Console]:
    page = browser_context.new_page()
    c = Console(page, stack)
    yield c
    page.screenshot(path=str(ARTIFACTS.parent / "console-last-page.png"), full_page=True)  # what a failure saw
    page.close()
    assert c.errors == [], f"uncaught errors in the page: {c.errors}"
