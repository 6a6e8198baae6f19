"""run_import: output lines, never overwriting, unchanged detection, slugs, dry runs, failures."""

from __future__ import annotations

import shutil

import pytest

from digest.importers import run_import
from tests.test_import_support import FIXTURES, corpus, split_file

SEED_SLUG = "the-absence-of-us-led-coalition-airstrikes-against-the-islamic-state-in-syria"


def _run(sources, site, **kw):
    lines: list[str] = []
    status = run_import([*sources], site, out=lines.append, **kw)
    return status, lines


@pytest.fixture
def seed():
    return corpus("text", "seed-sputnik-s400.txt")


def test_new_then_unchanged_and_bytes_identical(tmp_path, seed):
    status, lines = _run([seed], tmp_path)
    assert status == 0
    assert f"new content/{SEED_SLUG}.md" in lines
    assert f"{seed}:6: warning: title derived from the lead; rewrite it" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 0 errors"
    path = tmp_path / "content" / f"{SEED_SLUG}.md"
    first = path.read_bytes()

    status, lines = _run([seed], tmp_path)
    assert status == 0
    assert f"unchanged content/{SEED_SLUG}.md" in lines
    assert lines[-1] == "imported 0 new, 1 unchanged, 0 skipped, 0 errors"
    assert path.read_bytes() == first

    # Same bytes from a fresh site: output does not depend on history.
    other = tmp_path / "other"
    _run([seed], other)
    assert (other / "content" / f"{SEED_SLUG}.md").read_bytes() == first


def test_editor_changes_survive_a_reimport(tmp_path, seed):
    _run([seed], tmp_path)
    path = tmp_path / "content" / f"{SEED_SLUG}.md"
    edited = path.read_text(encoding="utf-8").replace("title: The absence", "title: Rewritten by the editor. The absence")
    path.write_text(edited, encoding="utf-8")
    _status, lines = _run([seed], tmp_path)
    assert "unchanged content/" + path.name in lines  # recognised by the hash it stored
    assert path.read_text(encoding="utf-8") == edited


def test_changed_source_is_skipped_without_force_and_replaced_with_it(tmp_path, seed):
    _run([seed], tmp_path)
    path = tmp_path / "content" / f"{SEED_SLUG}.md"
    before = path.read_bytes()
    changed = tmp_path / "seed-changed.txt"
    changed.write_text(seed.read_text(encoding="utf-8").replace("spokesperson added", "spokesperson insisted"), encoding="utf-8")

    status, lines = _run([changed], tmp_path)
    assert status == 0
    assert f"skipped content/{SEED_SLUG}.md (exists; use --force)" in lines
    assert lines[-1] == "imported 0 new, 0 unchanged, 1 skipped, 0 errors"
    assert path.read_bytes() == before

    status, lines = _run([changed], tmp_path, force=True)
    assert f"replaced content/{SEED_SLUG}.md" in lines
    assert b"spokesperson insisted" in path.read_bytes()
    assert len(list((tmp_path / "content").glob("*.md"))) == 1


def test_same_slug_different_articles_get_numbered(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    c = tmp_path / "c.txt"
    a.write_text("Same Headline For Three Stories\n\nFirst story text, which is one thing.\n", encoding="utf-8")
    b.write_text("Same Headline For Three Stories\n\nSecond story text, which is another.\n", encoding="utf-8")
    c.write_text("Same Headline For Three Stories\n\nThird story text, again different.\n", encoding="utf-8")
    content = tmp_path / "site" / "content"
    content.mkdir(parents=True)
    hand = content / "same-headline-for-three-stories.md"
    hand.write_text("---\ntitle: Written by hand\n---\n\nMine.\n", encoding="utf-8")

    status, lines = _run([a, b, c], tmp_path / "site")
    assert status == 0
    news = [ln for ln in lines if ln.startswith("new ")]
    # Without a source URL or date, (title, date) identifies an import: the second and third
    # files look like the first one changed, so they are skipped rather than duplicated.
    assert news == ["new content/same-headline-for-three-stories-2.md"]
    assert hand.read_text(encoding="utf-8") == "---\ntitle: Written by hand\n---\n\nMine.\n"


def test_numbered_slugs_for_distinct_feed_entries(tmp_path):
    feed = tmp_path / "f.xml"
    items = "".join(
        f"<item><title>Daily briefing</title><link>https://e.example/{n}</link><description>Text {n}</description></item>"
        for n in range(3)
    )
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>')
    status, lines = _run([feed], tmp_path)
    assert status == 0
    assert [ln for ln in lines if ln.startswith("new ")] == [
        "new content/daily-briefing.md",
        "new content/daily-briefing-2.md",
        "new content/daily-briefing-3.md",
    ]
    status, lines = _run([feed], tmp_path)
    assert lines[-1] == "imported 0 new, 3 unchanged, 0 skipped, 0 errors"


def test_dry_run_writes_nothing_and_shows_the_file(tmp_path, seed):
    status, lines = _run([seed], tmp_path, dry_run=True)
    assert status == 0
    assert not (tmp_path / "content").exists()
    assert f"new content/{SEED_SLUG}.md" in lines
    shown = lines[lines.index(f"new content/{SEED_SLUG}.md") + 1]
    assert shown.startswith("    ---\n    title: The absence of US-led")
    assert lines[-1].startswith("dry run, nothing written: would import 1 new")


def test_errors_do_not_stop_other_sources(tmp_path, seed):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    missing = tmp_path / "missing.html"
    status, lines = _run([empty, missing, seed], tmp_path / "site")
    assert status == 1
    assert f"error {empty}: not an article (empty, binary or JSON data)" in lines
    assert f"error {missing}: no such file or folder" in lines
    assert f"new content/{SEED_SLUG}.md" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 2 errors"
    assert not any("Traceback" in ln for ln in lines)


def test_format_is_detected_by_content_not_extension(tmp_path):
    page = tmp_path / "looks-like-text.txt"
    shutil.copy(corpus("html", "cnn", "source.html"), page)
    feed = tmp_path / "feed.html"
    shutil.copy(corpus("feeds", "huffpost-canada-rss2.xml"), feed)
    status, lines = _run([page, feed], tmp_path / "site")
    assert status == 0
    assert "new content/the-birth-lottery-and-economic-mobility.md" in lines
    assert sum(ln.startswith("new ") for ln in lines) == 3  # one page + two feed entries


def test_explicit_format_overrides_detection(tmp_path):
    page = tmp_path / "page.html"
    page.write_text("<h1>Title</h1>\n\n<p>Hello & goodbye.</p>\n", encoding="utf-8")
    status, lines = _run([page], tmp_path / "site", fmt="text")
    assert status == 0
    meta, body = split_file(next((tmp_path / "site" / "content").glob("*.md")).read_text(encoding="utf-8"))
    assert meta["title"] == "<h1>Title</h1>"
    assert body == "&lt;p&gt;Hello &amp; goodbye.&lt;/p&gt;\n"
    status, lines = _run([page], tmp_path / "site", fmt="pdf")
    assert status == 1 and lines[0].startswith("error: unknown format 'pdf'")


def test_folders_are_walked_and_metadata_files_ignored(tmp_path):
    status, lines = _run([corpus("text", "ptc")], tmp_path)
    assert status == 0
    assert lines[-1] == "imported 8 new, 0 unchanged, 0 skipped, 0 errors"
    js = corpus("text", "ptc", "ptc-article111111111.json")
    status, lines = _run([js], tmp_path)
    assert status == 1 and lines[0].startswith(f"error {js}: not an article")


def test_extra_tags_are_added_once(tmp_path, seed):
    _run([seed], tmp_path, extra_tags=["Syria", "digest-2021-16"])
    meta, _ = split_file((tmp_path / "content" / f"{SEED_SLUG}.md").read_text(encoding="utf-8"))
    assert meta["tags"] == ["S-400", "Combined Joint Task Force Operation Inherent Resolve", "Syria", "digest-2021-16"]


def test_our_fixture_variants_all_import(tmp_path):
    status, lines = _run([FIXTURES], tmp_path)
    assert status == 0
    assert lines[-1] == "imported 3 new, 0 unchanged, 0 skipped, 0 errors"


def test_non_utf8_text_is_read_with_a_warning(tmp_path):
    src = tmp_path / "latin.txt"
    src.write_bytes("Caf\xe9 Owners Protest New Rules\n\nThe caf\xe9 owners met on Monday.\n".encode("cp1252"))
    status, lines = _run([src], tmp_path / "site")
    assert status == 0
    assert any("warning: not UTF-8" in ln for ln in lines)
    (path,) = (tmp_path / "site" / "content").glob("*.md")
    assert "Café Owners" in path.read_text(encoding="utf-8")
