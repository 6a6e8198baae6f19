"""Inline cross-links: [[slug]], [[Headline]], [[target|text]], [text](other.md), and broken ones."""

from __future__ import annotations

from pathlib import Path

import feedparser

from tests.conftest import article, build, tree_state, write_site

SITE_YAML = "title: Links test\ntimezone: UTC\nbase_url: https://news.example.org/\n"

TARGETS = {
    "content/renzi.md": article("Italian PM Renzi calls for a broader coalition", "2026-03-01T09:00:00"),
    "content/sub/coalition.md": article("Coalition ‘best way forward’", "2026-03-02T09:00:00", slug="coalition"),
}


def _site(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_site(tmp_path / "site", {**TARGETS, **files}, SITE_YAML)


def _page(site: Path, slug: str) -> str:
    return (site / "public" / "articles" / slug / "index.html").read_text()


def test_every_inline_form_in_the_body(tmp_path: Path) -> None:
    body = ("By slug: [[renzi]].\n\nBy headline: [[coalition 'best way forward']].\n\n"
            "With text: [[renzi|what *Renzi* said]].\n\nBy file: [the coalition story](sub/coalition.md#top).\n\n"
            "In code: `[[renzi]]`.")
    site = _site(tmp_path, {"content/a.md": article("A", "2026-03-03T09:00:00", body=body)})
    result = build(site)
    assert result.code == 0, result.output
    page = _page(site, "a")
    assert 'By slug: <a href="../../articles/renzi/" class="xref">Italian PM Renzi calls for a broader coalition</a>.' in page
    assert 'By headline: <a href="../../articles/coalition/" class="xref">Coalition ‘best way forward’</a>.' in page
    assert 'With text: <a href="../../articles/renzi/">what <em>Renzi</em> said</a>.' in page
    assert 'By file: <a href="../../articles/coalition/#top">the coalition story</a>.' in page
    assert "In code: <code>[[renzi]]</code>." in page
    assert "digest-xref" not in page


def test_links_in_editor_note_and_annotation_note_and_on_cards(tmp_path: Path) -> None:
    text = article("A", "2026-03-03T09:00:00", body="The coalition grew.",
                   editor_note='"See [[renzi]] for background."',
                   annotations='\n  - quote: "coalition grew"\n    note: "Compare [[coalition|the earlier report]]."')
    site = _site(tmp_path, {"content/a.md": text})
    assert build(site).code == 0
    page = _page(site, "a")
    assert '<a href="../../articles/renzi/" class="xref">Italian PM Renzi calls for a broader coalition</a>' in page
    assert '<a href="../../articles/coalition/">the earlier report</a>' in page
    # The same editor's note on the home page links from there.
    home = (site / "public" / "index.html").read_text()
    assert '<a href="articles/renzi/" class="xref">Italian PM Renzi calls for a broader coalition</a>' in home
    # In the feed every cross-link is absolute.
    feed = feedparser.parse((site / "public" / "feed.xml").read_bytes())
    entry = next(e for e in feed.entries if e.title == "A")
    assert 'href="https://news.example.org/articles/renzi/"' in entry.content[0].value
    assert 'href="https://news.example.org/articles/coalition/"' in entry.content[0].value


def test_broken_links_are_errors_with_file_and_line(tmp_path: Path) -> None:
    text = article("A", "2026-03-03T09:00:00",
                   editor_note='"See [[nowhere]]."',
                   annotations='\n  - quote: "Fine"\n    kind: context\n    note: "See [[Also Nowhere|this]]."',
                   body="Fine line.\n\nA [missing file](gone.md) here.\n\nAnd [[renzi]] is fine.")
    site = _site(tmp_path, {"content/a.md": text})
    build(site)  # a good build first: a failed one must leave it alone
    before = tree_state(site / "public")
    (site / "content" / "b.md").write_text(text.replace("title: 'A'", "title: 'B'"))
    result = build(site)
    assert result.code == 1
    lines = text.split("\n")
    note_line = next(i for i, line in enumerate(lines, 1) if "[[nowhere]]" in line)
    ann_line = next(i for i, line in enumerate(lines, 1) if "Also Nowhere" in line)
    body_line = next(i for i, line in enumerate(lines, 1) if "gone.md" in line)
    for name in ("a", "b"):
        assert f"content/{name}.md:{note_line}: error: cross-link target not found: `[[nowhere]]`" in result.err
        assert f"content/{name}.md:{ann_line}: error: cross-link target not found: `[[Also Nowhere|this]]`" in result.err
        assert f"content/{name}.md:{body_line}: error: cross-link to `gone.md`: there is no article content/gone.md" in result.err
    assert tree_state(site / "public") == before


def test_ambiguous_headline_link_is_an_error(tmp_path: Path) -> None:
    site = _site(tmp_path, {
        "content/x1.md": article("Same headline", "2026-03-01T10:00:00"),
        "content/x2.md": article("Same Headline!", "2026-03-01T11:00:00"),
        "content/a.md": article("A", "2026-03-03T09:00:00", body="See [[same headline]]."),
    })
    result = build(site)
    assert result.code == 1
    assert ("content/a.md:6: error: cross-link `[[same headline]]` matches more than one article: "
            "content/x1.md and content/x2.md; use a slug") in result.err


def test_link_to_a_draft_is_broken_unless_drafts_are_built(tmp_path: Path) -> None:
    site = _site(tmp_path, {
        "content/draft.md": article("Draft", "2026-03-01T10:00:00", draft="true"),
        "content/a.md": article("A", "2026-03-03T09:00:00", body="See [[draft]]."),
    })
    assert build(site).code == 1
    assert build(site, "--drafts").code == 0


def test_typed_markers_and_script_links_are_not_links(tmp_path: Path) -> None:
    body = "[x](digest-xref:renzi) and [y](javascript:alert(1)) and [[<script>alert(1)</script>|z]]"
    site = _site(tmp_path, {"content/a.md": article("A", "2026-03-03T09:00:00", body=body)})
    result = build(site)
    page = _page(site, "a") if result.code == 0 else ""
    assert "digest-xref" not in page and "javascript:" not in page and "<script>alert" not in page


def test_incremental_build_follows_a_renamed_target(tmp_path: Path) -> None:
    text = article("A", "2026-03-03T09:00:00", body="See [[renzi]].", editor_note='"Also [[renzi]]."')
    site = _site(tmp_path, {"content/a.md": text})
    assert build(site).code == 0
    renzi = site / "content" / "renzi.md"
    renzi.write_text(renzi.read_text().replace("Italian PM Renzi calls for a broader coalition", "Renzi renamed"))
    assert build(site).code == 0
    assert _page(site, "a").count('class="xref">Renzi renamed</a>') == 2
    assert 'class="xref">Renzi renamed</a>' in (site / "public" / "index.html").read_text()
