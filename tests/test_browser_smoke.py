"""The example digest in a real browser: no console errors, no horizontal scrolling, no outside requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import static_server

PAGES = [
    "",
    "articles/port-strike-begins-at-harwick/",
    "tags/ports/",
    "digest/2026-03-03/",
    "archive/",
    "tags/",
]


@pytest.mark.parametrize("width", [360, 1280])
def test_pages_load_cleanly(browser, built_example: Path, width: int) -> None:
    with static_server(built_example) as base:
        context = browser.new_context(viewport={"width": width, "height": 800})
        try:
            for path in PAGES:
                tab = context.new_page()
                problems: list[str] = []
                outside: list[str] = []
                tab.on("console", lambda m, p=problems: p.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
                tab.on("pageerror", lambda e, p=problems: p.append(f"page error: {e}"))
                tab.on("requestfailed", lambda r, p=problems: p.append(f"failed request: {r.url}"))
                tab.on("request", lambda r, o=outside: o.append(r.url) if not r.url.startswith(base) else None)
                response = tab.goto(base + path)
                assert response is not None and response.status == 200, path
                tab.wait_for_load_state("load")
                assert problems == [], f"{path}: {problems}"
                assert outside == [], f"{path} requested other hosts: {outside}"
                scroll_width = tab.evaluate("document.documentElement.scrollWidth")
                assert scroll_width <= width, f"{path} scrolls horizontally at {width}px ({scroll_width}px wide)"
                assert tab.evaluate("getComputedStyle(document.body).fontSize") != ""
                tab.close()
        finally:
            context.close()


def test_dark_mode_changes_colours(browser, built_example: Path) -> None:
    with static_server(built_example) as base:
        colours = {}
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme)
            tab = context.new_page()
            tab.goto(base)
            colours[scheme] = tab.evaluate("getComputedStyle(document.body).backgroundColor")
            context.close()
        assert colours["light"] != colours["dark"]
