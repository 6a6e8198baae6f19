"""Live reload in Chromium: edits show up in an open tab by themselves."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import CHROMIUM, CHROMIUM_ARGS, REPO, static_server
from tests.servehelp import Server, edit

ARTICLE = "content/water-rationing-announced.md"
PAGE = "articles/water-rationing-announced/"
BODY = "Regional utility Vessa Water will ban"
DRAFT_PAGE = "articles/port-strike-tentative-deal/"
DRAFT_TEXT = "Tentative"
REACT_MS = 3_000  # the promise: an edit is on screen within 3 seconds of saving
CONNECTED = "() => !!(window.LiveReload && window.LiveReload.connector && window.LiveReload.connector.protocol)"


def _open(browser, server: Server, path: str):
    page = browser.new_page()
    page.goto(server.url + path)
    page.wait_for_function(CONNECTED, timeout=60_000)  # generous: startup on a loaded machine
    return page


def test_edits_breakage_and_fixes_appear_in_the_open_tab(browser, example_site: Path) -> None:
    article = example_site / ARTICLE
    original = article.read_text(encoding="utf-8")
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        page = _open(browser, server, PAGE)
        try:
            edit(article, "Regional utility", "Regional utility LIVE-EDIT")
            page.wait_for_function("() => document.body.innerText.includes('LIVE-EDIT')", timeout=REACT_MS)

            page.wait_for_function(CONNECTED, timeout=60_000)  # the reloaded page reconnects
            edit(article, "date: 2026-03-03T10:00:00+01:00", "date: not-a-date")
            page.wait_for_function("() => document.body.innerText.includes('Build failed')", timeout=REACT_MS)
            assert "water-rationing-announced.md:3: error: unparseable `date` `not-a-date`" in page.inner_text("body")

            page.wait_for_function(CONNECTED, timeout=60_000)
            article.write_text(original, encoding="utf-8")
            page.wait_for_function(
                "() => !document.body.innerText.includes('Build failed') && document.body.innerText.includes('Vessa Water will ban')",
                timeout=REACT_MS,
            )
            assert page.url == server.url + PAGE  # the same tab, never navigated elsewhere
        finally:
            page.close()


def test_a_css_edit_restyles_the_tab_without_reloading_it(browser, example_site: Path) -> None:
    css = example_site / "templates" / "static" / "style.css"
    css.parent.mkdir(parents=True)
    shutil.copy(REPO / "templates" / "static" / "style.css", css)
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        page = _open(browser, server, PAGE)
        try:
            page.evaluate("() => { window.keptAcrossReload = true; }")
            with css.open("a", encoding="utf-8") as f:
                f.write("\nbody { --probe: probe-value; }\n")
            page.wait_for_function(
                "() => getComputedStyle(document.body).getPropertyValue('--probe').trim() === 'probe-value'",
                timeout=REACT_MS,
            )
            assert page.evaluate("() => window.keptAcrossReload === true")  # restyled in place, not reloaded
        finally:
            page.close()


def test_a_rebinding_page_cannot_read_the_preview_but_localhost_can(browser, example_site: Path) -> None:
    """DNS rebinding as a browser lives it: a name the attacker controls resolves to 127.0.0.1."""

    with Server(example_site) as server:
        server.wait_page(DRAFT_PAGE, DRAFT_TEXT)
        rebound = browser.browser_type.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebind.test 127.0.0.1"],
        )
        try:
            page = rebound.new_page()
            response = page.goto(f"http://rebind.test:{server.port}/{DRAFT_PAGE}")
            assert response is not None and response.status == 403
            assert DRAFT_TEXT not in page.content()
            # The page the attacker serves under that name cannot read the preview with fetch either.
            status = page.evaluate(f"() => fetch('/{PAGE}').then(r => r.status)")
            assert status == 403
            # The same browser at localhost gets the preview, with its live-reload socket connected.
            response = page.goto(f"http://localhost:{server.port}/{DRAFT_PAGE}")
            assert response is not None and response.status == 200 and DRAFT_TEXT in page.content()
            page.wait_for_function(CONNECTED, timeout=60_000)
        finally:
            rebound.close()


def test_another_site_cannot_open_the_reload_socket(browser, example_site: Path, tmp_path: Path) -> None:

    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "index.html").write_text("<!DOCTYPE html><title>other site</title><p>other</p>")
    with Server(example_site) as server, static_server(tmp_path / "other") as other_url:
        server.wait_page(PAGE, BODY)
        page = browser.new_page()
        try:
            page.goto(other_url)
            outcome = page.evaluate(
                """port => new Promise(resolve => {
                    const ws = new WebSocket(`ws://127.0.0.1:${port}/livereload`);
                    ws.onopen = () => resolve("open");
                    ws.onerror = () => resolve("refused");
                    setTimeout(() => resolve("timeout"), 20000);
                })""",
                server.port,
            )
            assert outcome == "refused"
            page.goto(server.url + PAGE)  # while the preview's own page connects as always
            page.wait_for_function(CONNECTED, timeout=60_000)
        finally:
            page.close()
