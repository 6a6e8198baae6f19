"""Annotations in Chromium: side-notes in the margin on desktop, toggled inline on mobile, accessible."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import static_server

ARTICLE = "articles/fact-check-port-jobs-claim/"


@pytest.fixture(scope="module")
def served(built_example: Path):
    with static_server(built_example) as base:
        yield base


@pytest.fixture
def open_page(browser, served: str):
    """A page on the built example; fails the test if it asks any other host for anything."""
    contexts, outside = [], []

    def _open(width: int, scheme: str = "light"):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        contexts.append(context)
        host = urlsplit(served).netloc

        def guard(route) -> None:
            if urlsplit(route.request.url).netloc == host:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.goto(served + ARTICLE)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert outside == [], f"requests to outside hosts: {outside}"


def _box(page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


def _overlaps(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_desktop_notes_sit_in_the_margin_beside_their_words(open_page, scheme: str) -> None:
    page = open_page(1280, scheme)
    for number in (1, 2):
        note = page.locator(f"#ann-{number}-note")
        assert note.is_visible()
        note_box = _box(page, f"#ann-{number}-note")
        mark_box = _box(page, f"#ann-{number}")
        # In the right margin (outside the text column, not floated inside it), level with its highlight.
        column = _box(page, ".article-body")
        assert note_box["x"] >= column["x"] + column["width"]
        assert note_box["x"] >= mark_box["x"] + mark_box["width"] - 1
        assert abs(note_box["y"] - mark_box["y"]) < 120
        assert note_box["x"] + note_box["width"] <= 1280
        # It covers no text of the article: compare with every line box of every block.
        text_boxes = page.evaluate("""() => {
            const boxes = [];
            for (const block of document.querySelectorAll('.article-body > *, .article-header, .editor-note')) {
                const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
                while (walker.nextNode()) {
                    const node = walker.currentNode;
                    if (node.parentElement.closest('.annotation-note')) continue;
                    const range = document.createRange();
                    range.selectNodeContents(node);
                    for (const r of range.getClientRects()) boxes.push({x: r.x, y: r.y, width: r.width, height: r.height});
                }
            }
            return boxes;
        }""")
        assert text_boxes
        assert not [b for b in text_boxes if b["width"] > 0 and _overlaps(b, note_box)]
    # The toggle is not in the way on desktop: the note is always shown.
    assert not page.locator("#ann-1-toggle").is_visible()


def test_mobile_note_is_hidden_until_the_marker_is_clicked(open_page) -> None:
    page = open_page(390)
    note = page.locator("#ann-1-note")
    assert note.is_hidden()
    page.click("label[for=ann-1-toggle]")
    assert note.is_visible()
    note_box, body_box = _box(page, "#ann-1-note"), _box(page, ".article-body")
    # Inline, within the column, below the highlighted words.
    assert note_box["x"] >= body_box["x"] - 1 and note_box["x"] + note_box["width"] <= body_box["x"] + body_box["width"] + 1
    assert note_box["y"] >= _box(page, "#ann-1")["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#ann-2-note").is_hidden()  # only the one asked for
    page.click("label[for=ann-1-toggle]")
    assert note.is_hidden()


def test_keyboard_opens_and_closes_a_note(open_page) -> None:
    page = open_page(390)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "ann-1-toggle":
            break
    else:
        pytest.fail("the annotation marker is not reachable with Tab")
    # The focused (visually hidden) checkbox shows its focus on the visible marker.
    outline = page.evaluate("getComputedStyle(document.querySelector('label[for=ann-1-toggle]')).outlineStyle")
    assert outline != "none"
    assert page.locator("#ann-1-note").is_hidden()
    page.keyboard.press("Space")
    assert page.locator("#ann-1-note").is_visible()
    page.keyboard.press("Space")
    assert page.locator("#ann-1-note").is_hidden()


def test_screen_readers_get_the_note_tied_to_its_highlight(open_page) -> None:
    page = open_page(390)
    assert page.get_attribute("#ann-1", "aria-describedby") == "ann-1-note"
    name = page.evaluate("document.getElementById('ann-1-toggle').labels[0].textContent")
    assert name == "Annotation 1 (Fact-check)"
    assert page.locator("#ann-1-toggle").aria_snapshot() == '- checkbox "Annotation 1 (Fact-check)"'
    page.click("label[for=ann-1-toggle]")
    assert page.get_by_role("note", name="Annotation 1").is_visible()


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "dark")])
def test_axe_finds_no_serious_or_critical_violation(open_page, width: int, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = open_page(width, scheme)
    if width < 1000:
        page.click("label[for=ann-1-toggle]")  # check the opened note too
    results = Axe().run(page)  # axe.min.js ships inside the package: nothing is fetched
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in bad]
