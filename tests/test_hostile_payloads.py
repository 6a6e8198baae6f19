"""Executable content never reaches public/ (issue 10), checked as a browser would see it.

Payloads come from the grammar in tests/hostile.py: families (script URLs spelt every way a
browser still reads them, event handlers, script and style elements, parser-confusion
(mutation) payloads, attr_list attributes, forged markers, control characters, template
breakers) × every field that becomes HTML (every front-matter text field, tags, related
stories, annotation quote/note/rating/sources, an extra field a site template shows, the body,
and site.yaml's title/description/author/kind labels). Every built page is parsed with html5lib
and every feed with feedparser (its own sanitiser off), and the hostile site is loaded in
Chromium with every link clicked.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin
from xml.etree import ElementTree

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import build, static_server
from .hostile import (
    FIELDS,
    SITE_FIELDS,
    output_problems,
    parse_fragment,
    parse_page,
    payloads,
    representatives,
    url_scheme,
    write_hostile_site,
)

# What must never reach a terminal unescaped (diagnostics quote payloads): C0 but newline, DEL,
# C1, bidi overrides and isolates.
TERMINAL_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def scaled(examples: int) -> int:
    """`examples` in CI; proportionally more under a deeper profile (--hypothesis-profile=long)."""
    return max(examples, examples * settings().max_examples // 100)


@given(article=st.fixed_dictionaries({name: payloads for name in FIELDS}),
       site=st.fixed_dictionaries({name: payloads for name in SITE_FIELDS}))
@settings(max_examples=scaled(12), deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_payload_in_any_field_becomes_executable(tmp_path_factory: pytest.TempPathFactory,
                                                    article: dict[str, str], site: dict[str, str]) -> None:
    root = write_hostile_site(tmp_path_factory.mktemp("hostile"), [article], site)
    result = build(root)
    assert result.code == 0, result.output
    assert output_problems(root / "public") == []
    assert not TERMINAL_UNSAFE.search(result.output), result.output


def every_family_in_every_field() -> tuple[list[dict[str, str]], dict[str, str]]:
    """Fixed articles covering each (family, field) pair; each body holds a whole family."""
    families = representatives()
    names = sorted(families)
    articles = []
    for number in range(len(names)):
        fields: dict[str, str] = {}
        for position, field in enumerate(FIELDS):
            family = families[names[(number + position) % len(names)]]
            fields[field] = family[(number * len(FIELDS) + position) % len(family)]
        for field in ("tag", "source", "section"):  # distinct taxonomy terms in every article
            fields[field] += f" t{number}"
        fields["body"] = "\n\n".join(families[names[number]])
        articles.append(fields)
    site = {"site_title": families["template"][0], "site_description": families["script"][0],
            "site_author": families["control"][0], "kind_label": families["handler"][0]}
    return articles, site


@pytest.fixture(scope="module")
def hostile_public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    articles, site = every_family_in_every_field()
    root = write_hostile_site(tmp_path_factory.mktemp("hostile-all"), articles, site)
    result = build(root)
    assert result.code == 0, result.output
    assert not TERMINAL_UNSAFE.search(result.output), result.output
    return root / "public"


def test_every_family_in_every_field(hostile_public: Path) -> None:
    assert output_problems(hostile_public) == []
    pages = list(hostile_public.rglob("*.html"))
    assert len(pages) > 20  # articles, term pages of three taxonomies, editions...
    # The payloads were really there, shown as text: escaped, not dropped wholesale.
    article = (hostile_public / "articles/hostile-1/index.html").read_text()
    assert "&lt;" in article and "alert(1)" in article


def _drop(parent: ElementTree.Element, child: ElementTree.Element) -> None:
    """Remove `child` but keep the text that follows it."""
    index = list(parent).index(child)
    if child.tail:
        if index:
            parent[index - 1].tail = (parent[index - 1].tail or "") + child.tail
        else:
            parent.text = (parent.text or "") + child.tail
    parent.remove(child)


def _canonical(element: ElementTree.Element, base: str) -> str:
    """Markup as a comparable string: URLs made absolute (pages link relatively, feeds absolutely)."""
    parts = [" ".join((element.text or "").split())]
    for child in element:
        attributes = sorted((name, urljoin(base, value) if name in ("href", "src") else value)
                            for name, value in child.attrib.items())
        parts.append(f"<{child.tag} {attributes}>{_canonical(child, base)}</{child.tag}>")
        parts.append(" ".join((child.tail or "").split()))
    return "".join(parts)


def test_feed_content_is_the_pages_sanitised_html(hostile_public: Path) -> None:
    """Feeds carry the same sanitised body as the page, not a second filter's output."""
    feed = feedparser.parse((hostile_public / "feed.xml").read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    assert not feed.bozo
    entries = {entry.link.rsplit("/", 2)[-2]: entry for entry in feed.entries}
    assert len(entries) == len(list((hostile_public / "articles").iterdir()))
    for slug, entry in entries.items():
        page = parse_page((hostile_public / "articles" / slug / "index.html").read_text())
        body = next(e for e in page.iter("div") if e.get("class") == "article-body")
        for parent in list(body.iter()):  # the page's side-notes; the feed numbers them instead
            for child in list(parent):
                if child.get("class") in ("annotation-toggle", "annotation-marker", "annotation-note"):
                    _drop(parent, child)
        content = parse_fragment(entry.content[0].value)
        for parent in list(content.iter()):
            for child in list(parent):
                if child.get("class") == "editor-note" or (child.tag == "sup" and len(child) and
                                                           child[0].get("href", "").startswith("#ann-")):
                    _drop(parent, child)
        annotations = next((i for i, child in enumerate(content) if child.tag == "h2" and child.text == "Annotations"),
                           len(content))
        for child in list(content)[annotations:]:
            _drop(content, child)
        assert _canonical(body, entry.link) == _canonical(content, entry.link), slug


CONTROL_PAGE = """<!DOCTYPE html><title>control</title>
<p><a href="javascript:alert('control link')">a script link</a> <a href="other/">a page</a>
<a href="java&#x09;script:confirm('encoded')">an encoded one</a> <a href="#top" onclick="alert('handler')">top</a>
<img src="missing.png" onerror="prompt('on load')" alt=""> <a href="https://example.org/">away</a></p>
"""

# Links to pages (and mail addresses) are clicked, and their click handlers run, but they are not
# followed: every page is visited anyway, and staying on the page keeps each click cheap. Any
# other link (a script URL, if one survived) is followed as a reader's click would.
STAY_ON_PAGE = """addEventListener("click", event => {
  const link = event.target.closest && event.target.closest("a");
  if (link && /^(https?|mailto):/i.test(link.href)) event.preventDefault();
}, true);"""


# In the page: every distinct link (by its markup) is clicked in document order, yielding to the
# event loop after each click so a followed javascript: URL runs before the next one is clicked.
# element.click() runs the link's handlers and activation even for links CSS hides.
CLICK_EVERY_LINK = """async () => {
  const seen = new Set(), hrefs = [];
  for (const link of document.querySelectorAll("a")) {
    if (seen.has(link.outerHTML)) continue;
    seen.add(link.outerHTML);
    hrefs.push(link.href);
    link.click();
    await new Promise(resolve => setTimeout(resolve, 0));
  }
  return hrefs;
}"""


def _visit(tab, url: str) -> tuple[list[str], list[str]]:
    """Load `url`, click every distinct link on it; return (dialogs, links to unsafe URLs)."""
    dialogs: list[str] = []

    def record(dialog) -> None:
        dialogs.append(f"{url}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", record)
    tab.goto(url)
    hrefs = tab.evaluate(CLICK_EVERY_LINK)
    tab.wait_for_timeout(100)  # a script URL followed by the last click runs as a task of its own
    tab.remove_listener("dialog", record)
    unsafe = [f"{url}: {href}" for href in hrefs if url_scheme(href) not in (None, "http", "https", "mailto")]
    return dialogs, unsafe


def test_no_dialog_in_chromium_on_load_or_click(browser, hostile_public: Path, tmp_path: Path) -> None:
    control = tmp_path / "control"
    control.mkdir()
    (control / "index.html").write_text(CONTROL_PAGE)
    context = browser.new_context()
    context.add_init_script(STAY_ON_PAGE)
    try:
        with static_server(control) as base:
            tab = context.new_page()
            dialogs, unsafe = _visit(tab, base)
            tab.close()
        # The harness sees what it looks for: two script links, a click handler and an onerror.
        assert sorted(d.split(": ", 1)[1] for d in dialogs) == [
            "alert control link", "alert handler", "confirm encoded", "prompt on load"], dialogs
        assert len(unsafe) == 2, unsafe

        pages = sorted(p.relative_to(hostile_public).as_posix() for p in hostile_public.rglob("*.html"))
        navigations: list[str] = []
        found: list[str] = []
        with static_server(hostile_public) as base:
            tab = context.new_page()
            tab.on("framenavigated", lambda frame: navigations.append(frame.url))
            for path in pages:
                dialogs, unsafe = _visit(tab, base + path)
                found += dialogs + unsafe
            tab.close()
        assert found == []
        assert len(navigations) >= len(pages)
        assert [url for url in navigations if not url.startswith(base)] == []
    finally:
        context.close()
