"""Imported content builds: every corpus source into one site, and the seed's related links resolve."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import html as lxml_html

from digest.importers import run_import
from tests.conftest import build, write_site
from tests.test_import_support import FIXTURES, corpus


def _import(site: Path, sources: list[Path]) -> list[str]:
    lines: list[str] = []
    run_import(sources, site, out=lines.append)
    return lines


def test_every_corpus_source_imports_into_a_site_that_builds(tmp_path):
    site = write_site(tmp_path / "site", {})
    sources = [
        *sorted(corpus("text").rglob("*.txt")),
        *sorted(corpus("html").glob("*/source.html")),
        *sorted(corpus("feeds").glob("*.xml")),
        FIXTURES,
    ]
    lines = _import(site, sources)
    errors = [ln for ln in lines if ln.startswith("error ")]
    # The two feeds feedparser cannot read are the only failures.
    assert [e.split(": ")[0].rsplit("/", 1)[-1] for e in errors] == [
        "MALFORMED-rss-incomplete-cdata.xml",
        "MALFORMED-undeclared-namespace.xml",
    ]
    assert len(list((site / "content").glob("*.md"))) > 300
    result = build(site)
    assert result.code == 0, result.output[-3000:]
    assert not re.search(r": error: ", result.output), result.output[-3000:]


def test_imported_seed_links_to_its_related_stories(tmp_path):
    related = {
        "broad-coalition.md": "Broad Counter-Terrorism Coalition 'Best Way Forward' Against ISIL",
        "renzi.md": "Italian PM Renzi Calls for Broader Anti-ISIL Coalition",
    }
    files = {
        f"content/{name}": f'---\ntitle: "{title}"\ndate: 2015-11-26\n---\n\nStory text.\n' for name, title in related.items()
    }
    site = write_site(tmp_path / "site", files)
    lines = _import(site, [corpus("text", "seed-sputnik-s400.txt")])
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 0 errors"
    result = build(site)
    assert result.code == 0, result.output

    public = site / "public"
    pages = {p: p.read_text(encoding="utf-8") for p in public.rglob("*.html")}
    seed_page = next(p for p, text in pages.items() if "Hmeimim airbase" in text and "<article" in text)
    targets = {}
    for name in related:
        slug = name.removesuffix(".md")
        targets[slug] = next(p for p in pages if slug in p.as_posix() and p.name == "index.html")
    doc = lxml_html.fromstring(pages[seed_page])
    hrefs = {(seed_page.parent / a.get("href")).resolve() for a in doc.iter("a") if a.get("href")}
    for slug, target in targets.items():
        assert target.resolve() in hrefs or target.parent.resolve() in hrefs, (slug, sorted(map(str, hrefs))[:40])
