"""Shared importer pieces: front-matter round trips, Markdown escaping, titles, slugs, atomic writes."""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import UTC, date, datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.importers.common import (
    Article,
    atomic_write,
    base_slug,
    derive_title,
    numbered_slug,
    paragraph_markdown,
    render_file,
)
from digest.slugs import is_valid_article_slug
from tests.test_import_support import rendered_html, rendered_paragraphs, split_file

NASTY = [
    "key: value",
    "# not a comment",
    "- not a list",
    "'quoted'",
    '"double"',
    "yes",
    "No",
    "null",
    "~",
    "2015-01-01",
    "12:30",
    "1e3",
    "0x1F",
    "line one\nline two",
    "trailing space ",
    " leading space",
    "@handle",
    "`tick`",
    "{a: 1}",
    "[1, 2]",
    "&anchor",
    "*alias",
    "!tag",
    "%percent",
    "a: b # c",
    "tab\tinside",
    "Москва — “quotes” ‘too’",
    "---",
    "...",
    "",
]

texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)


def _round_trip(art: Article) -> dict:
    text, _ = render_file(art)
    meta, _ = split_file(text)
    return meta


@pytest.mark.parametrize("value", [v for v in NASTY if v])
def test_nasty_strings_round_trip_through_yaml(value):
    art = Article(title=value, summary=value, source=value, tags=[value, "plain"], related=[value], body="x")
    meta = _round_trip(art)
    assert meta["title"] == value
    assert meta["summary"] == value
    assert meta["source"] == value
    assert meta["tags"] == [value, "plain"]
    assert meta["related"] == [value]


@settings(max_examples=150, deadline=None)
@given(title=texts.filter(str.strip), tags=st.lists(texts.filter(str.strip), max_size=4))
def test_any_string_round_trips(title, tags):
    meta = _round_trip(Article(title=title, tags=tags, body="x"))
    assert meta["title"] == title
    assert meta.get("tags", []) == tags


def test_field_order_dates_and_empty_fields():
    art = Article(
        title="T",
        body="Body.",
        date=datetime(2015, 11, 27, 14, 28, tzinfo=UTC),
        updated=date(2015, 11, 28),
        source="Sputnik",
        source_url="https://example.com/a",
        author="A. Writer",
        section="World",
        dateline="WASHINGTON",
        summary="S",
        tags=["x"],
        related=["Other story", {"title": "External", "url": "https://example.org/"}],
    )
    text, digest = render_file(art)
    keys = re.findall(r"^([a-z_]+):", text.split("\n---\n")[0], flags=re.MULTILINE)
    assert keys == [
        "title", "date", "updated", "source", "source_url", "author", "section",
        "dateline", "summary", "tags", "related", "import_hash",
    ]  # fmt: skip
    assert "date: 2015-11-27T14:28:00+00:00\n" in text
    assert "updated: 2015-11-28\n" in text
    meta, body = split_file(text)
    assert meta["import_hash"] == digest
    assert body == "Body.\n"
    # Empty fields are left out entirely.
    bare, _ = render_file(Article(title="T", body="b"))
    assert re.findall(r"^([a-z_]+):", bare, flags=re.MULTILINE) == ["title", "import_hash"]


def test_render_is_deterministic():
    art = Article(title="Same", body="Text", tags=["b", "a"])
    assert render_file(art) == render_file(Article(title="Same", body="Text", tags=["b", "a"]))
    assert render_file(art)[1] != render_file(Article(title="Same", body="Text!", tags=["b", "a"]))[1]


HOSTILE_PARAGRAPHS = [
    "# not a heading",
    "## nor this ##",
    "* not a bullet",
    "- nor this",
    "+ nor this",
    "1. not a list",
    "2) nor this",
    "> not a quote",
    "<script>alert(1)</script>",
    "<b>not bold</b> & &amp; &copy; stay as typed",
    "_under_ *star* **strong** `code` [link](http://x) ![img](y) <http://auto.link>",
    "back\\slash \\* and \\_ escapes",
    "{: .attr} {#id}",
    "===",
    "---",
    "***",
    "term\n: definition",
    "line one\n=====",
    "[^1]: footnote",
    "*[HTML]: abbreviation",
    "    indented four",
    "\tindented tab",
    "trailing two spaces  ",
    "|a|b|\n|-|-|",
]


@pytest.mark.parametrize("paragraph", HOSTILE_PARAGRAPHS)
def test_escaped_paragraph_renders_to_exactly_its_text(paragraph):
    md = paragraph_markdown(paragraph)
    expected = "\n".join(line.strip() for line in paragraph.split("\n"))
    assert rendered_paragraphs(md) == [expected]
    html = rendered_html(md)
    assert "<script" not in html and "<b>" not in html and "<h" not in html and "<li>" not in html


printable_lines = st.text(
    # Format characters (soft hyphen, zero-width space) are removed on purpose: see below.
    st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp"), blacklist_characters="\u00a0\u2028\u2029\x85"),
    min_size=1,
    max_size=40,
).map(lambda s: " ".join(s.split())).filter(bool)


@settings(max_examples=300, deadline=None)
@given(st.lists(printable_lines, min_size=1, max_size=3))
def test_any_paragraph_renders_to_its_text(lines):
    paragraph = "\n".join(lines)
    # Text is stored in NFC on purpose (equal text, equal bytes), so compare in NFC.
    assert rendered_paragraphs(paragraph_markdown(paragraph)) == [unicodedata.normalize("NFC", paragraph)]


def test_non_breaking_spaces_become_spaces_and_invisible_characters_go():
    assert rendered_paragraphs(paragraph_markdown("on\u00a0Friday\u202fnight")) == ["on Friday night"]
    assert rendered_paragraphs(paragraph_markdown("co\u00adop\u200bera\ufefftion")) == ["cooperation"]


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ("A first sentence long enough to stand alone. Second sentence.", "A first sentence long enough to stand alone"),
        (
            ("The absence of US-led coalition airstrikes against the Islamic State in Syria is not related "
            "to Russia’s deployment of an advanced S-400 Triumf air defense system."),
            "The absence of US-led coalition airstrikes against the Islamic State in Syria…",
        ),
        (
            "Something is wrong at Newsweek, and whoever is in charge over there needs to get a handle on the situation.",
            "Something is wrong at Newsweek",
        ),
        ("Former U.S. President Bill Clinton on Monday called.", "Former U.S. President Bill Clinton on Monday called"),
        ("Feeling tired? Even if we aren’t tired, why do we yawn?", "Feeling tired? Even if we aren’t tired, why do we yawn?"),
    ],
)
def test_derive_title(lead, expected):
    title = derive_title(lead)
    assert title == expected
    assert len(title) <= 90


def test_slugs_fit_the_engine_rules():
    long_title = "Word " * 40
    slug = base_slug(long_title)
    assert len(slug) <= 80 and is_valid_article_slug(slug) and not slug.endswith("-")
    assert base_slug("!!!") == "article"
    assert base_slug("Москва: «новости»") == "moskva-novosti"
    numbered = numbered_slug(slug, 3)
    assert numbered.endswith("-3") and len(numbered) <= 80 and is_valid_article_slug(numbered)


def test_atomic_write_replaces_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "content" / "a.md"
    atomic_write(target, "first\n")
    atomic_write(target, "second\n")
    assert target.read_bytes() == b"second\n"
    assert os.listdir(target.parent) == ["a.md"]


def test_front_matter_is_valid_yaml_document():
    text, _ = render_file(Article(title="x: y", body="b"))
    head = text.split("\n---\n")[0].removeprefix("---\n")
    assert yaml.safe_load(head)["title"] == "x: y"


def test_draft_and_elsewhere_are_written_after_related_and_read_by_the_build():
    from digest.config import SiteConfig
    from digest.content import load_article

    art = Article(title="T", date=date(2024, 3, 1), body="b", related=["Known story"],
                  elsewhere=["Outside story", {"title": "Linked", "url": "https://example.org/x"}], draft=True)
    text, _ = render_file(art)
    keys = re.findall(r"^([a-z_]+):", text.split("\n---\n")[0], flags=re.MULTILINE)
    assert keys == ["title", "date", "related", "elsewhere", "draft", "import_hash"]
    parsed, problems = load_article("content/t.md", text.encode(), SiteConfig())
    assert parsed is not None and not [p for p in problems if p.level == "error"], problems
    assert parsed.draft is True
    assert [(e.title, e.url) for e in parsed.elsewhere] == [("Outside story", ""), ("Linked", "https://example.org/x")]
    assert "draft" not in render_file(Article(title="T", body="b"))[0]  # false is left out, like every empty field


@settings(deadline=None)
@given(st.text(st.characters(codec="utf-8"), max_size=60))
def test_no_control_character_survives_cleaning(value):
    from digest.importers.common import clean_text, strip_controls

    for cleaned in (clean_text(value), strip_controls(value), strip_controls([{"t": value}])[0]["t"]):
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", cleaned)
        cleaned.encode("utf-8")


@settings(deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["a.txt", "a.xml", "a.html", "a", "a.rss"]))
def test_detection_answers_for_any_bytes(data, name):
    from pathlib import Path

    from digest.importers.registry import detect_format, formats

    assert detect_format(Path(name), data) in (*formats(), None)


@settings(deadline=None)
@given(st.binary(min_size=1, max_size=40).filter(lambda b: b"/" not in b and b"\x00" not in b))
def test_any_file_name_is_shown_printable(raw):
    from digest.importers.sources import display

    shown = display(os.fsdecode(raw))
    shown.encode("utf-8")
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", shown)


@pytest.mark.parametrize(
    ("head", "root"),
    [
        (b'<?xml version="1.0"?><!-- c --><rss version="2.0">', b"rss"),
        (b'\xef\xbb\xbf\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN"><html>', b"html"),
        (b'<!DOCTYPE feed [<!ENTITY a "x>y]z"><!-- ] > -->]><feed xmlns="http://www.w3.org/2005/Atom">', b"feed"),
        (b"<?xml version='1.0'?><!DOCTYPE rss [" + b'<!ENTITY e "v">' * 5000 + b"]><rss>", b"rss"),
        (b"<!-- never closed", None),
        (b"plain text", None),
    ],
)
def test_root_element_sees_past_any_prolog(head, root):
    from digest.importers.detect import root_element

    assert root_element(head) == root
