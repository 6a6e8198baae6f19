"""Annotations in Chromium, as a reader meets them.

Desktop (1280 px): every note in the right margin, level with its words or directly below the
note above, none overlapping, a connector when one is pushed below its paragraph. Phone (390 px):
notes open after the paragraph, never inside a sentence, from a real button that says whether it
is expanded; every target is at least 24 x 24 px. Without JavaScript every note sits after its
paragraph and the marker links to it. The example digest's 8-note article is the test page.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import same_host_only, static_server

EIGHT_NOTES = "articles/port-strike-five-days-in-numbers/"
FACT_CHECK = "articles/fact-check-port-jobs-claim/"


@pytest.fixture(scope="module")
def served(built_example: Path):
    with static_server(built_example) as base:
        yield base


@pytest.fixture
def open_page(browser, served: str):
    """A page of the built example; fails the test if it asks any other host for anything."""
    contexts, outside, errors = [], [], []

    def _open(width: int, path: str = EIGHT_NOTES, scheme: str = "light", javascript: bool = True):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme,
                                      java_script_enabled=javascript)
        contexts.append(context)
        host = urlsplit(served).netloc

        same_host_only(context, host, outside)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(served + path)
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready.then(() => true)")
        return page

    yield _open
    for context in contexts:
        context.close()
    assert outside == [], f"requests to outside hosts: {outside}"
    assert errors == [], f"script errors: {errors}"


GEOMETRY = """() => {
    const body = document.querySelector('.article-body');
    const box = el => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y + scrollY, width: r.width, height: r.height,
                                                                     bottom: r.bottom + scrollY, right: r.right}; };
    const notes = [...body.querySelectorAll('.annotation-note')].map(note => {
        const n = note.dataset.annotation;
        const mark = body.querySelector(`mark[data-annotation="${n}"]`);
        let block = note.previousElementSibling;
        while (block && block.classList.contains('annotation-note')) block = block.previousElementSibling;
        const before = getComputedStyle(note, '::before');
        return {n: Number(n), note: box(note), mark: box(mark), block: box(block), visible: note.checkVisibility(),
                displaced: note.classList.contains('is-displaced'),
                connector: before.content !== 'none' && parseFloat(before.height) > 0 ? parseFloat(before.height) : 0};
    });
    const lineHeight = parseFloat(getComputedStyle(body.querySelector('p')).lineHeight);
    return {notes, lineHeight, column: box(body)};
}"""


def _overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_desktop_notes_stay_level_with_their_words(open_page, scheme: str) -> None:
    page = open_page(1280, scheme=scheme)
    geometry = page.evaluate(GEOMETRY)
    notes, line, column = geometry["notes"], geometry["lineHeight"], geometry["column"]
    assert len(notes) == 8
    assert len({round(n["note"]["height"]) for n in notes}) >= 4, "the notes should be of mixed lengths"
    previous = None
    for item in notes:
        note, mark = item["note"], item["mark"]
        assert item["visible"], item["n"]
        # In the right margin, inside the window.
        assert note["x"] >= column["x"] + column["width"] and note["right"] <= 1280, item["n"]
        level = abs(note["y"] - mark["y"]) <= line
        below_previous = previous is not None and 0 <= note["y"] - previous["bottom"] <= 16 and note["y"] > mark["y"]
        assert level or below_previous, (item["n"], note["y"], mark["y"], previous and previous["bottom"])
        # Never pushed below its own paragraph without a visible connector back up to its words.
        if note["y"] > item["block"]["bottom"]:
            assert item["displaced"] and item["connector"] >= note["y"] - mark["y"] - 2, item
        previous = note
    for i, a in enumerate(notes):
        for b in notes[i + 1:]:
            assert not _overlap(a["note"], b["note"]), (a["n"], b["n"])
    # The notes cover nothing that follows the article body.
    last = max(n["note"]["bottom"] for n in notes)
    after = page.evaluate("document.querySelector('.original, .storyline').getBoundingClientRect().top + scrollY")
    assert after >= last


def test_desktop_notes_cover_no_text(open_page) -> None:
    page = open_page(1280)
    text_boxes = page.evaluate("""() => {
        const boxes = [];
        for (const block of document.querySelectorAll('.article-body > :not(.annotation-note), .article-header, .editor-note, .verdicts')) {
            const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                if (walker.currentNode.parentElement.closest('.visually-hidden')) continue;  // clipped, not shown
                const range = document.createRange();
                range.selectNodeContents(walker.currentNode);
                for (const r of range.getClientRects()) if (r.width > 0) boxes.push({x: r.x, y: r.y, width: r.width, height: r.height});
            }
        }
        return boxes;
    }""")
    notes = page.evaluate("[...document.querySelectorAll('.annotation-note')].map(n => { const r = n.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; })")
    assert text_boxes and notes
    assert not [(t, n) for t in text_boxes for n in notes if _overlap(t, n)]


def test_hovering_or_focusing_ties_mark_and_note(open_page) -> None:
    page = open_page(1280)
    page.hover("mark[data-annotation='3']")
    assert page.evaluate("document.getElementById('ann-3-note').classList.contains('is-active')")
    assert page.evaluate("document.getElementById('ann-3-marker').classList.contains('is-active')")
    page.hover("#ann-5-note")
    assert page.evaluate("[...document.querySelectorAll('mark[data-annotation=\"5\"]')].every(m => m.classList.contains('is-active'))")
    assert not page.evaluate("document.getElementById('ann-3-note').classList.contains('is-active')")
    page.focus("#ann-2-marker")
    assert page.evaluate("document.getElementById('ann-2-note').classList.contains('is-active')")
    # The same badge in the text and on the note.
    styles = page.evaluate("""() => ['#ann-2-marker .annotation-badge', '#ann-2-note .annotation-badge'].map(s => {
        const c = getComputedStyle(document.querySelector(s));
        return [c.backgroundColor, c.color, c.fontSize, c.borderRadius, c.height];
    })""")
    assert styles[0] == styles[1]


def test_notes_follow_their_paragraph_without_javascript(open_page) -> None:
    for width in (1280, 390):
        page = open_page(width, javascript=False)
        geometry = page.evaluate(GEOMETRY)
        for item in geometry["notes"]:
            assert item["visible"]
            # After the paragraph holding its words, in the text column.
            assert item["note"]["y"] >= item["block"]["bottom"] - 1, item
            assert item["note"]["x"] >= geometry["column"]["x"] - 1
            assert item["note"]["right"] <= geometry["column"]["right"] + 1
        # The marker is a link to its note.
        assert page.get_attribute("#ann-1-marker", "href") == "#ann-1-note"


def test_mobile_note_opens_after_its_paragraph(open_page) -> None:
    page = open_page(390)
    note = page.locator("#ann-6-note")
    assert note.is_hidden()
    marker = page.locator("#ann-6-marker")
    assert marker.evaluate("el => el.tagName") == "BUTTON"
    assert marker.get_attribute("aria-expanded") == "false"
    assert marker.get_attribute("aria-controls") == "ann-6-note"
    paragraph_text = page.evaluate("document.querySelector('#ann-6').closest('p').textContent")
    marker.click()
    assert note.is_visible() and marker.get_attribute("aria-expanded") == "true"
    # The note is not inside the sentence: its paragraph reads exactly as before, and the note
    # starts below the paragraph's last line, within the column.
    assert page.evaluate("document.querySelector('#ann-6').closest('p').textContent") == paragraph_text
    assert page.evaluate("document.getElementById('ann-6-note').closest('p')") is None
    geometry = page.evaluate(GEOMETRY)
    item = next(n for n in geometry["notes"] if n["n"] == 6)
    assert item["note"]["y"] >= item["block"]["bottom"] - 1
    assert item["note"]["x"] >= geometry["column"]["x"] - 1 and item["note"]["right"] <= geometry["column"]["right"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#ann-7-note").is_hidden()  # only the one asked for
    marker.click()
    assert note.is_hidden() and marker.get_attribute("aria-expanded") == "false"


def test_keyboard_opens_and_closes_a_note(open_page) -> None:
    page = open_page(390)
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "ann-1-marker":
            break
    else:
        pytest.fail("the annotation marker is not reachable with Tab")
    # Focus is on the visible control itself, and it shows.
    focused = page.evaluate("""() => { const el = document.activeElement, r = el.getBoundingClientRect(), c = getComputedStyle(el);
        return {tag: el.tagName, width: r.width, height: r.height, outline: c.outlineStyle, opacity: c.opacity}; }""")
    assert focused["tag"] == "BUTTON" and focused["width"] >= 24 and focused["height"] >= 24
    assert focused["outline"] != "none" and focused["opacity"] == "1"
    assert page.locator("#ann-1-note").is_hidden()
    page.keyboard.press("Enter")
    assert page.locator("#ann-1-note").is_visible()
    assert page.get_attribute("#ann-1-marker", "aria-expanded") == "true"
    page.keyboard.press("Space")
    assert page.locator("#ann-1-note").is_hidden()
    assert page.get_attribute("#ann-1-marker", "aria-expanded") == "false"


def test_screen_readers_get_a_named_button_and_the_note_tied_to_its_words(open_page) -> None:
    page = open_page(390, FACT_CHECK)
    assert page.get_attribute("#ann-1", "aria-describedby") == "ann-1-note"
    assert page.locator("#ann-1-marker").aria_snapshot() == '- button "Annotation 1 (Fact-check)"'
    assert page.get_by_role("button", name="Annotation 1 (Fact-check)", expanded=False).count() == 1
    page.click("#ann-1-marker")
    assert page.get_by_role("button", name="Annotation 1 (Fact-check)", expanded=True).count() == 1
    assert page.get_by_role("note", name="Annotation 1").is_visible()


@pytest.mark.parametrize("path", [EIGHT_NOTES, FACT_CHECK])
def test_phone_targets_are_at_least_24px(open_page, path: str) -> None:
    page = open_page(390, path)
    sizes = page.evaluate("""() => [...document.querySelectorAll(
            '.annotation-marker, .tags a, .annotation-back a, .verdict-why, .site-header nav a, .edition-nav a')]
        .map(el => { const r = el.getBoundingClientRect(); return [el.className || el.textContent.trim(), r.width, r.height]; })""")
    assert len(sizes) > 10
    small = [s for s in sizes if s[1] < 24 or s[2] < 24]
    assert small == []
    # "Back to the text" links and the site navigation get the preferred 44 px height.
    tall = page.evaluate("[...document.querySelectorAll('.annotation-back a, .site-header nav a')].map(el => el.getBoundingClientRect().height)")
    assert min(tall) >= 44


def test_body_text_measure_is_60_to_75_characters(open_page) -> None:
    page = open_page(1280)
    per_line = page.evaluate("""() => {
        const p = [...document.querySelectorAll('.article-body > p')].sort((a, b) => b.textContent.length - a.textContent.length)[0];
        const probe = document.createElement('span');
        probe.style.whiteSpace = 'nowrap';
        probe.textContent = p.textContent;
        p.appendChild(probe);
        const perChar = probe.getBoundingClientRect().width / p.textContent.length * 2;  // text now appears twice
        probe.remove();
        return p.clientWidth / perChar;
    }""")
    assert 60 <= per_line <= 75, per_line
    assert page.evaluate("document.fonts.check('1em Newsreader')")
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith('"Newsreader"') or \
        page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Newsreader")


AXE_PAGES = ["", EIGHT_NOTES, FACT_CHECK, "tags/ports/", "archive/"]


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "dark")])
def test_axe_finds_no_serious_or_critical_violation(open_page, width: int, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    found = {}
    for path in AXE_PAGES:
        page = open_page(width, path, scheme)
        if width < 1000 and page.locator("#ann-1-marker").count():
            page.click("#ann-1-marker")  # check an opened note too
        results = Axe().run(page)  # axe.min.js ships inside the package: nothing is fetched
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            found[path] = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:5]) for v in bad]
    assert found == {}
