"""Scraped-text importer: our variants of each corpus layout field by field, then the corpus itself.

tests/fixtures/import/text/ imitates the layouts of the shared corpus with our own text:
agency-seed-layout.txt the Sputnik seed (timestamp, boilerplate, section, a lead repeated by
a dateline paragraph, related headlines and a tag line), title-then-sentences.txt and
title-section-dateline.txt the Propaganda Techniques Corpus (a title line, one sentence per
line, a category line, inline poll boilerplate), site-teaser-byline.txt the FakeNewsCorpus
pages (site boilerplate, an injected teaser, an upper-case byline with an outlet).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from digest.importers.common import ImportFailure, render_file
from digest.importers.text import parse_text
from tests.test_import_support import TEXTS, corpus, rendered_paragraphs, split_file


def _original_paragraphs(raw: str) -> list[str]:
    """Blank-line separated blocks of the source, de-indented, non-breaking spaces made ordinary."""
    blocks = [b for b in re.split(r"\n\s*\n", raw.replace("\u00a0", " ")) if b.strip()]
    return ["\n".join(line.strip() for line in b.strip("\n").split("\n")) for b in blocks]


def _import(path):
    raw = path.read_text(encoding="utf-8")
    art = parse_text(raw, str(path))
    text, _ = render_file(art)
    meta, body = split_file(text)
    return raw, art, meta, body


def _import_text(raw: str):
    art = parse_text(raw, "x.txt")
    meta, body = split_file(render_file(art)[0])
    return art, meta, body


# ---------------------------------------------------------------- the seed's layout, our text


@pytest.fixture(scope="module")
def seed_layout():
    return _import(TEXTS / "agency-seed-layout.txt")


def test_seed_layout_metadata(seed_layout):
    raw, _art, meta, _ = seed_layout
    assert meta["date"] == datetime(2024, 3, 7, 9, 41, tzinfo=UTC)
    assert "updated" not in meta
    assert meta["section"] == "Economy & Trade"
    assert meta["source"] == "Baltic Wire"
    assert meta["dateline"] == "HARWICK"
    assert meta["tags"] == ["Harwick", "Ports", "Labour"]
    assert meta["related"] == [
        "Dockworkers Walk Out Over Shift Pattern Changes",
        "Port Authority Offers Mediation in Harwick Dispute",
        "Baltic Freight Rates Climb for a Third Week",
    ]
    assert meta["summary"] == _original_paragraphs(raw)[1]
    assert "\u00a0" not in json.dumps(meta, default=str, ensure_ascii=False)


def test_seed_layout_body_is_the_article_paragraphs_exactly(seed_layout):
    raw, _, _, body = seed_layout
    # Block 0 is the header, block 1 the lead (repeated by the first body paragraph); the
    # last block is the related headlines + tag line + boilerplate.
    expected = _original_paragraphs(raw)[2:-1]
    assert expected[0].startswith("HARWICK (Baltic Wire) — Container traffic")
    assert rendered_paragraphs(body) == expected


def test_derived_title_marks_the_article_draft_with_a_warning(seed_layout):
    _, art, meta, _ = seed_layout
    assert len(meta["title"]) <= 90
    assert meta["title"].startswith("Container traffic through the Harwick terminal")
    assert meta["title"].endswith("…") and not meta["title"].endswith((" of…", " the…", " in…"))
    assert meta["draft"] is True
    messages = [w.format() for w in art.warnings]
    assert any(m.endswith(":6: warning: title derived from the lead; marked `draft: true` until an editor rewrites the title "
                          "(then remove `draft`)") for m in messages), messages


def test_a_found_title_is_not_a_draft():
    _, art, meta, _ = _import(TEXTS / "headline-first.txt")
    assert "draft" not in meta and art.draft is False


def test_updated_time_other_agency_no_trailer_unknown_boilerplate():
    _, art, meta, body = _import(TEXTS / "agency-updated-no-trailer.txt")
    assert meta["date"] == datetime(2022, 2, 3, 9, 5, tzinfo=UTC)
    assert meta["updated"] == datetime(2022, 2, 3, 11, 40, tzinfo=UTC)
    assert meta["source"] == "RIA Novosti"
    assert meta["dateline"] == "MOSCOW"
    assert meta["section"] == "World"
    assert "tags" not in meta and "related" not in meta
    assert rendered_paragraphs(body) == [
        "MOSCOW (RIA Novosti) — Ministers agreed on Thursday to extend the grain corridor by another four months, officials said.",
        "“The corridor stays open,” a spokesperson said.",
    ]
    messages = [w.format() for w in art.warnings]
    assert any("unrecognised line before the article dropped: 'Sign up for our morning briefing today'" in m for m in messages)
    assert any("no related stories or tag line" in m for m in messages)


def test_markdown_significant_text_stays_text_and_unrepeated_lead_is_kept():
    raw, _art, meta, body = _import(TEXTS / "agency-hostile-body.txt")
    # An "(updated 00:10)" after a 23:50 story belongs to the next day.
    assert meta["updated"] - meta["date"] == timedelta(minutes=20)
    assert meta["source"] == "Reuters" and meta["dateline"] == "BERLIN"
    assert meta["tags"] == ["Science", "Space"]
    assert meta["related"] == ["First Related Story About Ports", "Second Related Story About Grain"]
    expected = _original_paragraphs(raw)[1:-1]
    assert expected[0].startswith("A lead sentence that the body does not repeat")
    assert rendered_paragraphs(body) == expected
    assert "<script" not in body and "<pre>" not in body


def test_headline_first_layout_with_byline():
    _, art, meta, body = _import(TEXTS / "headline-first.txt")
    assert meta["title"] == "Harbour Reopens After Week-Long Strike"
    assert meta["author"] == "Jane Doe"
    assert meta["dateline"] == "LISBON" and "source" not in meta
    assert rendered_paragraphs(body) == [
        "LISBON — The harbour reopened on Monday after a week-long strike by dock workers.",
        "Unions said talks would continue.",
    ]
    assert not any("title derived" in w.message for w in art.warnings)


# ---------------------------------------------------------------- the other corpus layouts, our text


def _faithful(raw: str, body: str, skip_lines: int) -> list[str]:
    """Lines of the source (after the header) that are missing from the rendered body."""
    flat = " ".join("\n".join(rendered_paragraphs(body)).split())
    lines = [ln.strip().replace("\u00a0", " ") for ln in raw.splitlines()[skip_lines:] if len(ln.strip()) > 60]
    return [ln for ln in lines if " ".join(ln.split()) not in flat and not ln.startswith("take our poll")]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("title-then-sentences.txt", "Harbour pilots could strike again next month: union"),
        ("title-section-dateline.txt", "Island ferry operator cancels winter timetable"),
        ("site-teaser-byline.txt", "Grain Corridor Talks Stall Over Insurance Guarantees"),
        ("headline-first.txt", "Harbour Reopens After Week-Long Strike"),
    ],
)
def test_title_line_layouts_keep_their_title_and_every_body_line(name, title):
    raw, art, meta, body = _import(TEXTS / name)
    assert meta["title"] == title
    sidecar = (TEXTS / name).with_suffix(".json")
    if sidecar.exists():
        assert json.loads(sidecar.read_text(encoding="utf-8"))["title"] == meta["title"]
    assert not _faithful(raw, body, skip_lines=2)
    assert art.draft is False


def test_one_sentence_per_line_with_a_short_dateline():
    _, _, meta, body = _import(TEXTS / "title-then-sentences.txt")
    assert meta["dateline"] == "Valletta" and "source" not in meta
    paragraphs = rendered_paragraphs(body)
    assert paragraphs[0].split("\n")[0].startswith("Valletta - The pilots’ union said on Tuesday")
    assert len(paragraphs[0].split("\n")) == 5  # the sentence lines are kept as lines


def test_category_line_dateline_with_date_and_agency_and_inline_poll():
    _, _, meta, body = _import(TEXTS / "title-section-dateline.txt")
    assert meta["section"] == "News, Transport - Islands"
    assert meta["dateline"] == "GOZO, Malta" and meta["source"] == "Harbour Wire"
    assert "take our poll" not in body and "Completing this poll" not in body
    assert "The regulator said it would review" in body


def test_site_boilerplate_teaser_and_outlet_byline():
    _, _, meta, body = _import(TEXTS / "site-teaser-byline.txt")
    assert meta["author"] == "Marta Volkova" and meta["source"] == "Eastern Monitor"
    assert "Headline:" not in body and "Seven Tricks" not in body and "% of readers" not in body
    assert rendered_paragraphs(body)[0].startswith("Talks on extending the grain corridor stalled")


# ---------------------------------------------------------------- dates and zones


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2017-09-12T13:05:00+03:00", datetime(2017, 9, 12, 13, 5, tzinfo=timezone(timedelta(hours=3)))),
        ("13:05 MSK 12.09.2017", datetime(2017, 9, 12, 13, 5, tzinfo=timezone(timedelta(hours=3)))),
        ("13:05 EEST12 September 2017", datetime(2017, 9, 12, 13, 5, tzinfo=timezone(timedelta(hours=3)))),
        ("13:05+0530 12.09.2017", datetime(2017, 9, 12, 13, 5, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
        ("12 September 2017, 13:05", datetime(2017, 9, 12, 13, 5)),  # no zone: the site's applies
        ("2017-09-12 13:05", datetime(2017, 9, 12, 13, 5)),
    ],
)
def test_a_date_keeps_the_zone_it_was_written_in(stamp, expected):
    _, meta, _ = _import_text(f"{stamp}\n    World\n\n    A lead that is long enough to be a lead of the story here.\n\n"
                              "    PARIS (AFP) — A lead that is long enough to be a lead of the story here.\n")
    assert meta["date"] == expected
    assert meta["date"].utcoffset() == expected.utcoffset()
    text = render_file(parse_text(f"{stamp}\n\nSome story text that goes on for a while.\n", "x.txt"))[0]
    written = expected.isoformat(timespec="seconds")
    assert f"\ndate: {written}\n" in text


def test_updated_without_a_zone_is_in_the_story_zone():
    _, meta, _ = _import_text("23:50 EEST 31.12.2020 (updated 00:10)\n    World\n\n    A lead long enough to be a lead here.\n")
    assert meta["updated"] == datetime(2021, 1, 1, 0, 10, tzinfo=timezone(timedelta(hours=3)))


def test_empty_file_is_an_import_failure():
    with pytest.raises(ImportFailure, match="empty"):
        parse_text(" \n\u00a0\n", "empty.txt")


def test_control_characters_are_removed_from_every_field():
    raw = "Harbour\x1b[2J Reopens\x07 After Strike\n\nBy JANE\x00 DOE\n\nLISBON \x85— The harbour\x0b reopened\x9b on Monday.\n"
    art, meta, body = _import_text(raw)
    text = render_file(art)[0]
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text), repr(text)
    assert meta["title"] == "Harbour[2J Reopens After Strike"
    assert "The harbour reopened on Monday." in body


# ---------------------------------------------------------------- the shared corpus


@pytest.fixture(scope="module")
def seed():
    return _import(corpus("text", "seed-sputnik-s400.txt"))


@pytest.mark.corpus
def test_seed_metadata(seed):
    raw, _art, meta, _ = seed
    assert meta["date"] == datetime(2021, 4, 16, 14, 28, tzinfo=UTC)
    assert "updated" not in meta
    assert meta["section"] == "Military & Intelligence"
    assert meta["source"] == "Sputnik"
    assert meta["dateline"] == "WASHINGTON"
    assert meta["tags"] == ["S-400", "Combined Joint Task Force Operation Inherent Resolve", "Syria"]
    assert meta["related"] == [
        "Broad Counter-Terrorism Coalition 'Best Way Forward' Against ISIL",
        "Italian PM Renzi Calls for Broader Anti-ISIL Coalition",
        "US-Led Coalition Against ISIL Conducts 23 Airstrikes in Iraq, Syria",
    ]
    lead = _original_paragraphs(raw)[1]
    assert meta["summary"] == lead
    assert "\u00a0" not in json.dumps(meta, default=str, ensure_ascii=False)


@pytest.mark.corpus
def test_seed_body_is_the_article_paragraphs_exactly(seed):
    raw, _, _, body = seed
    original = _original_paragraphs(raw)
    expected = original[2:-1]
    assert expected[0].startswith("WASHINGTON (Sputnik) — The absence of US-led")
    assert rendered_paragraphs(body) == expected


@pytest.mark.corpus
def test_seed_title_is_derived_from_the_lead_and_marked_draft(seed):
    _, art, meta, _ = seed
    assert len(meta["title"]) <= 90
    assert meta["title"].startswith("The absence of US-led coalition airstrikes")
    assert not meta["title"].endswith((" of", " the", " in"))
    assert meta["draft"] is True
    messages = [w.format() for w in art.warnings]
    assert any(":6: warning: title derived from the lead; marked `draft: true`" in m for m in messages), messages


def _corpus_texts():
    base = corpus("text")
    return sorted(p for sub in ("fakenewscorpus", "ptc") for p in (base / sub).glob("*.txt"))


@pytest.mark.corpus
def test_every_other_corpus_text_imports_with_a_title_and_a_faithful_body():
    files = _corpus_texts()
    assert len(files) == 25
    for path in files:
        raw, _art, meta, body = _import(path)
        assert meta["title"].strip(), path
        assert "\n" not in meta["title"]
        missing = _faithful(raw, body, skip_lines=6)
        assert not missing, (path.name, missing[:2])


@pytest.mark.corpus
def test_text_titles_found_where_the_text_has_them():
    # PTC files put the title on line 1 by construction: all eight must be exact.
    for path in sorted(corpus("text", "ptc").glob("*.txt")):
        truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["title"]
        _, _, meta, _ = _import(path)
        assert meta["title"] == truth, path.name


@pytest.mark.corpus
def test_boilerplate_and_teasers_are_dropped():
    _, _, meta, body = _import(corpus("text", "fakenewscorpus", "fnc-13842-beforeitsnews-com.txt"))
    assert meta["title"] == "Russia Responds to US Provocation: Open Skies Treaty Faces Hard Times"
    assert meta["author"] == "Peter Korzun"
    assert "Headline:" not in body and "Bitcoin & Blockchain" not in body
