"""Headless Chromium for the page tests: offline, every non-file request refused and recorded.

Chromium is Debian's (``apt-get install chromium``), driven by Playwright for Python; the
tests skip with a reason when either is missing.  ``CIVICGRAPH_CHROMIUM`` points at another
binary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from chromium import CHROMIUM, CHROMIUM_ARGS

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the session."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install chromium`")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@dataclass
class OfflinePage:
    """A page in an offline context that records console errors and network attempts."""

    page: Any
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def open(self, path: Path, timeout_ms: float = 60_000) -> Any:
        """Load *path* and wait until the graph is drawn and stable (``data-ready``)."""
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready='1']", state="attached", timeout=timeout_ms)
        return self.page

    def js(self, expression: str, arg: Any = None) -> Any:
        # page.evaluate runs through the DevTools protocol, so the page's CSP (no eval)
        # does not apply to it; wait_for_function would need 'unsafe-eval'.
        return self.page.evaluate(expression, arg)

    def counts(self) -> dict[str, Any]:
        return self.js("() => window.civicgraph.visibleCounts()")

    def set_date(self, iso: str | None) -> dict[str, Any]:
        return self.js("(d) => window.civicgraph.setDate(d)", iso)

    def hidden(self, node_id: str) -> bool:
        return bool(self.js("(id) => window.civicgraph.nodes.get(id).hidden", node_id))


@pytest.fixture
def offline_page(browser: Any) -> Iterator[OfflinePage]:
    """A fresh page with the network disabled; fails the test if anything left file://."""
    context = browser.new_context(offline=True, viewport=VIEWPORT)
    page = context.new_page()
    view = OfflinePage(page)

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith("file://"):
            r.continue_()
        else:
            view.blocked.append(url)
            r.abort()

    def on_dialog(d: Any) -> None:
        view.dialogs.append(d.message)
        d.dismiss()

    def on_console(m: Any) -> None:
        if m.type == "error":
            view.errors.append(m.text)

    context.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda e: view.errors.append(f"page error: {e}"))
    page.on("dialog", on_dialog)
    try:
        yield view
    finally:
        context.close()
    assert view.blocked == [], f"the page tried to load: {view.blocked}"
