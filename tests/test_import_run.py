"""run_import: output lines, never overwriting, unchanged detection, slugs, drafts, related
versus elsewhere, dry runs, failures, and the registry of formats the command line offers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest.importers import run_import
from digest.importers.common import Article
from digest.importers.registry import IMPORTERS, detect_format, formats, register
from tests.conftest import run_cli
from tests.test_import_support import FEEDS, PAGES, TEXTS, split_file

SEED_SLUG = "container-traffic-through-the-harwick-terminal-fell-by-a-third-in-february"
DRAFT_NOTE = "(1 marked draft: derived title to rewrite)"


def _run(sources, site, **kw):
    lines: list[str] = []
    status = run_import([*sources], site, out=lines.append, **kw)
    return status, lines


@pytest.fixture
def seed():
    """Our scrape in the Sputnik seed's layout: derived title, three related headlines."""
    return TEXTS / "agency-seed-layout.txt"


def test_new_then_unchanged_and_bytes_identical(tmp_path, seed):
    status, lines = _run([seed], tmp_path)
    assert status == 0
    assert f"new content/{SEED_SLUG}.md" in lines
    assert (f"{seed}:6: warning: title derived from the lead; marked `draft: true` until an editor rewrites the title "
            "(then remove `draft`)") in lines
    assert lines[-1] == f"imported 1 new {DRAFT_NOTE}, 0 unchanged, 0 skipped, 0 errors"
    path = tmp_path / "content" / f"{SEED_SLUG}.md"
    first = path.read_bytes()
    assert b"\ndraft: true\n" in first

    status, lines = _run([seed], tmp_path)
    assert status == 0
    assert f"unchanged content/{SEED_SLUG}.md" in lines
    assert lines[-1] == "imported 0 new, 1 unchanged, 0 skipped, 0 errors"
    assert path.read_bytes() == first

    # Same bytes from a fresh site: output does not depend on history.
    other = tmp_path / "other"
    _run([seed], other)
    assert (other / "content" / f"{SEED_SLUG}.md").read_bytes() == first


def test_summary_counts_the_drafts_among_new_articles(tmp_path):
    sources = [TEXTS / "agency-seed-layout.txt", TEXTS / "agency-updated-no-trailer.txt", TEXTS / "headline-first.txt"]
    status, lines = _run(sources, tmp_path)
    assert status == 0
    assert lines[-1] == "imported 3 new (2 marked draft: derived titles to rewrite), 0 unchanged, 0 skipped, 0 errors"
    drafts = {p.name for p in (tmp_path / "content").glob("*.md") if "\ndraft: true\n" in p.read_text(encoding="utf-8")}
    assert drafts == {f"{SEED_SLUG}.md", "ministers-agreed-on-thursday-to-extend-the-grain-corridor-by-another-four-months.md"}


def test_editor_changes_survive_a_reimport(tmp_path, seed):
    _run([seed], tmp_path)
    path = tmp_path / "content" / f"{SEED_SLUG}.md"
    edited = (path.read_text(encoding="utf-8").replace("title: Container traffic", "title: Rewritten by the editor. Container traffic")
              .replace("draft: true\n", ""))
    path.write_text(edited, encoding="utf-8")
    _status, lines = _run([seed], tmp_path)
    assert "unchanged content/" + path.name in lines  # recognised by the hash it stored
    assert path.read_text(encoding="utf-8") == edited


def test_changed_source_is_skipped_without_force_and_replaced_with_it(tmp_path, seed):
    _run([seed], tmp_path)
    path = tmp_path / "content" / f"{SEED_SLUG}.md"
    before = path.read_bytes()
    changed = tmp_path / "seed-changed.txt"
    changed.write_text(seed.read_text(encoding="utf-8").replace("a\u00a0spokesperson for", "a spokeswoman for"), encoding="utf-8")

    status, lines = _run([changed], tmp_path)
    assert status == 0
    assert f"skipped content/{SEED_SLUG}.md (exists; use --force)" in lines
    assert lines[-1] == "imported 0 new, 0 unchanged, 1 skipped, 0 errors"
    assert path.read_bytes() == before

    status, lines = _run([changed], tmp_path, force=True)
    assert f"replaced content/{SEED_SLUG}.md" in lines
    assert lines[-1] == f"imported 0 new, 1 replaced {DRAFT_NOTE}, 0 unchanged, 0 skipped, 0 errors"
    assert b"a spokeswoman for" in path.read_bytes()
    assert len(list((tmp_path / "content").glob("*.md"))) == 1


def test_related_headlines_the_digest_has_stay_related_the_others_go_elsewhere(tmp_path, seed):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    # Matched ignoring case, punctuation and quote styles, as the build matches headlines.
    (site / "content" / "walkout.md").write_text(
        "---\ntitle: \"Dockworkers walk out over shift-pattern changes\"\ndate: 2024-03-01\n---\n\nText.\n", encoding="utf-8")
    # A draft is not in a published digest: a headline matching it goes elsewhere.
    (site / "content" / "rates.md").write_text(
        "---\ntitle: Baltic Freight Rates Climb for a Third Week\ndate: 2024-03-01\ndraft: true\n---\n\nText.\n", encoding="utf-8")
    status, _ = _run([seed], site)
    assert status == 0
    meta, _ = split_file((site / "content" / f"{SEED_SLUG}.md").read_text(encoding="utf-8"))
    assert meta["related"] == ["Dockworkers Walk Out Over Shift Pattern Changes"]
    assert meta["elsewhere"] == ["Port Authority Offers Mediation in Harwick Dispute", "Baltic Freight Rates Climb for a Third Week"]


def test_related_headlines_imported_in_the_same_run_stay_related(tmp_path, seed):
    story = tmp_path / "mediation.txt"
    story.write_text("Port Authority Offers Mediation in Harwick Dispute\n\nThe port authority offered to mediate on Friday.\n",
                     encoding="utf-8")
    status, _ = _run([seed, story], tmp_path / "site")  # the related story comes second
    assert status == 0
    meta, _ = split_file((tmp_path / "site" / "content" / f"{SEED_SLUG}.md").read_text(encoding="utf-8"))
    assert meta["related"] == ["Port Authority Offers Mediation in Harwick Dispute"]
    assert meta["elsewhere"] == ["Dockworkers Walk Out Over Shift Pattern Changes", "Baltic Freight Rates Climb for a Third Week"]


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
    assert shown.startswith("    ---\n    title: Container traffic through the Harwick")
    assert lines[-1] == f"dry run, nothing written: would import 1 new {DRAFT_NOTE}, 0 unchanged, 0 skipped, 0 errors"


def test_errors_do_not_stop_other_sources(tmp_path, seed):
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    missing = tmp_path / "missing.html"
    status, lines = _run([empty, missing, seed], tmp_path / "site")
    assert status == 1
    assert f"{empty}: error: not an article (empty file)" in lines
    assert f"{missing}: error: no such file or folder" in lines
    assert f"new content/{SEED_SLUG}.md" in lines
    assert lines[-1] == f"imported 1 new {DRAFT_NOTE}, 0 unchanged, 0 skipped, 2 errors"
    assert not any("Traceback" in ln for ln in lines)


def test_format_is_detected_by_content_not_extension(tmp_path):
    page = tmp_path / "looks-like-text.txt"
    shutil.copy(PAGES / "glued-byline.html", page)
    feed = tmp_path / "feed.html"
    shutil.copy(FEEDS / "atom-offsets.xml", feed)
    status, lines = _run([page, feed], tmp_path / "site")
    assert status == 0
    assert "new content/lighthouse-keepers-return-to-the-northern-cape.md" in lines
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
    assert status == 1 and lines[0] == "error: unknown format 'pdf' (choose auto, feed, html, text)"


def test_folders_are_walked_and_metadata_files_ignored(tmp_path):
    status, lines = _run([TEXTS], tmp_path)
    assert status == 0
    assert lines[-1] == "imported 7 new (3 marked draft: derived titles to rewrite), 0 unchanged, 0 skipped, 0 errors"
    sidecar = TEXTS / "title-then-sentences.json"
    status, lines = _run([sidecar], tmp_path)
    assert status == 1 and lines[0] == f"{sidecar}: error: not an article (JSON data)"


def test_saved_page_assets_in_a_folder_are_not_sources(tmp_path):
    folder = tmp_path / "saved"
    (folder / "page_files").mkdir(parents=True)
    shutil.copy(PAGES / "boilerplate.html", folder / "page.html")
    (folder / "page_files" / "app.js").write_text("window.x = function () { return 1; };\n", encoding="utf-8")
    (folder / "page_files" / "style.css").write_text("body { color: red; }\n", encoding="utf-8")
    (folder / "page_files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    status, lines = _run([folder], tmp_path / "site")
    assert status == 0
    assert lines == ["new content/fish-market-moves-to-the-old-customs-house.md", "imported 1 new, 0 unchanged, 0 skipped, 0 errors"]


def test_extra_tags_are_added_once(tmp_path, seed):
    _run([seed], tmp_path, extra_tags=["Ports", "digest-2024-10"])
    meta, _ = split_file((tmp_path / "content" / f"{SEED_SLUG}.md").read_text(encoding="utf-8"))
    assert meta["tags"] == ["Harwick", "Ports", "Labour", "digest-2024-10"]


def test_every_fixture_imports(tmp_path):
    status, lines = _run([TEXTS, PAGES], tmp_path)
    assert status == 0
    assert lines[-1] == "imported 12 new (3 marked draft: derived titles to rewrite), 0 unchanged, 0 skipped, 0 errors"


def test_non_utf8_text_is_read_with_a_warning(tmp_path):
    src = tmp_path / "latin.txt"
    src.write_bytes("Caf\xe9 Owners Protest New Rules\n\nThe caf\xe9 owners met on Monday.\n".encode("cp1252"))
    status, lines = _run([src], tmp_path / "site")
    assert status == 0
    assert any("warning: not UTF-8" in ln for ln in lines)
    (path,) = (tmp_path / "site" / "content").glob("*.md")
    assert "Café Owners" in path.read_text(encoding="utf-8")


def test_utf16_text_with_a_byte_order_mark(tmp_path):
    src = tmp_path / "wide.txt"
    src.write_bytes("Harbour Reopens After Strike\n\nThe harbour reopened on Monday.\n".encode("utf-16"))
    status, lines = _run([src], tmp_path / "site")
    assert status == 0, lines
    assert "new content/harbour-reopens-after-strike.md" in lines


# ---------------------------------------------------------------- the registry


def test_builtin_formats_are_registered_in_detection_order():
    assert formats() == ("feed", "html", "text")
    assert detect_format(Path("a.txt"), (FEEDS / "rss2-news.xml").read_bytes()) == "feed"
    assert detect_format(Path("a.xml"), (PAGES / "syndicated.html").read_bytes()) == "html"
    assert detect_format(Path("a.html"), (TEXTS / "headline-first.txt").read_bytes()) == "html"  # the extension breaks the tie
    assert detect_format(Path("a"), (TEXTS / "headline-first.txt").read_bytes()) == "text"


def test_a_registered_importer_is_offered_by_the_command_line_and_used(tmp_path, monkeypatch):
    def detect(path: Path, data: bytes) -> bool:
        return data.startswith(b"NOTE:")

    def parse(data: bytes, origin: str):
        title, _, body = data.decode().removeprefix("NOTE:").partition("\n")
        return [Article(title=title.strip(), body=body.strip(), origin=origin)], []

    monkeypatch.setitem(IMPORTERS, "note", IMPORTERS["text"])  # restored after the test
    register("note", detect, parse, priority=5)
    assert formats()[0] == "note"
    usage = run_cli("import", "--help")
    assert "auto, note, feed, html, text" in usage.out
    source = tmp_path / "memo.txt"
    source.write_text("NOTE: Harbour memo\nThe quay opens at six.\n", encoding="utf-8")
    (tmp_path / "site").mkdir()
    result = run_cli("import", str(source), "--site", str(tmp_path / "site"), "--format", "note")
    assert result.code == 0, result.output
    meta, body = split_file((tmp_path / "site" / "content" / "harbour-memo.md").read_text(encoding="utf-8"))
    assert meta["title"] == "Harbour memo" and body == "The quay opens at six.\n"
    # And by detection, ahead of plain text.
    other = tmp_path / "memo2.txt"
    other.write_text("NOTE: Second memo\nThe quay closes at ten.\n", encoding="utf-8")
    assert run_cli("import", str(other), "--site", str(tmp_path / "site")).code == 0
    assert (tmp_path / "site" / "content" / "second-memo.md").exists()


def test_unknown_format_on_the_command_line_is_a_usage_error(tmp_path):
    result = run_cli("import", str(tmp_path), "--format", "pdf")
    assert result.code == 2
    assert "invalid choice: 'pdf' (choose from 'auto', 'feed', 'html', 'text')" in result.err
