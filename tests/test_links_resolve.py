"""No internal link in the built example points at a missing file or a missing anchor."""

from __future__ import annotations

import posixpath
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

BASE = "https://digest.example.org/"  # the example's base_url: absolute links to it are internal too


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and (name == "id" or tag == "a"):
                self.ids.add(value)
            elif name in ("href", "src"):
                self.links.append((tag, value))
            elif name == "content" and value.startswith("0; url="):
                self.links.append(("meta", value[len("0; url="):]))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _target(public: Path, page: Path, url: str) -> tuple[Path, str] | None:
    """The file and fragment an internal link points at; None for outside links."""
    if url.startswith(BASE):
        url = "/" + url[len(BASE):]
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return page, unquote(parts.fragment)  # "#fragment" on the same page
    if parts.path.startswith("/"):
        site_path = parts.path.lstrip("/")
    else:
        page_dir = page.parent.relative_to(public).as_posix()
        site_path = posixpath.normpath(posixpath.join(page_dir, unquote(parts.path)))
        if parts.path.endswith("/"):
            site_path += "/"
    if site_path in (".", "./"):
        site_path = ""
    assert not site_path.startswith(".."), f"{page}: {url} leaves the site"
    target = public / site_path
    if site_path == "" or site_path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def test_every_internal_link_resolves(built_example: Path) -> None:
    public = built_example
    pages = sorted(public.rglob("*.html"))
    assert len(pages) > 30
    parsed = {page: _parse(page) for page in pages}
    problems, checked = [], 0
    for page, links in parsed.items():
        if page.name == "404.html":
            continue  # served at any URL: its links are from the site root, checked below
        for tag, url in links.links:
            found = _target(public, page, url)
            if found is None:
                continue
            checked += 1
            target, fragment = found
            where = f"{page.relative_to(public)}: <{tag}> {url}"
            if not target.is_file():
                problems.append(f"{where} -> missing {target.relative_to(public)}")
            elif fragment and target.suffix == ".html":
                ids = (parsed.get(target) or _parse(target)).ids
                if fragment not in ids:
                    problems.append(f"{where} -> no id `{fragment}` in {target.relative_to(public)}")
    assert not problems, "\n".join(problems)
    assert checked > 500


def test_404_page_links_from_the_site_root(built_example: Path) -> None:
    page = built_example / "404.html"
    for _, url in _parse(page).links:
        found = _target(built_example, page, url)
        if found is not None:
            assert urlsplit(url).path.startswith("/") or url.startswith(("#", BASE)), url
            assert found[0].is_file(), url


@pytest.mark.parametrize("page", ["articles/port-strike-enters-second-day/index.html", "index.html", "tags/ports/index.html"])
def test_pages_have_related_feed_and_canonical_links(built_example: Path, page: str) -> None:
    links = [url for _, url in _parse(built_example / page).links]
    assert any(url.endswith("feed.xml") for url in links)
    assert BASE + page.removesuffix("index.html") in links


def test_every_story_page_shows_related_coverage(built_example: Path) -> None:
    for page in sorted((built_example / "articles").glob("*/index.html")):
        text = page.read_text()
        assert text.count('<section id="related"') == 1, page
        assert 'data-kind="' in text.split('<section id="related"', 1)[1].split("</section>", 1)[0], page
