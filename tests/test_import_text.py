"""Scraped-text importer: the Sputnik seed field by field, our layout variants, the other corpus layouts."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from digest.importers.common import render_file
from digest.importers.text import parse_text
from tests.test_import_support import FIXTURES, corpus, rendered_paragraphs, split_file


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


@pytest.fixture(scope="module")
def seed():
    return _import(corpus("text", "seed-sputnik-s400.txt"))


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


def test_seed_body_is_the_article_paragraphs_exactly(seed):
    raw, _, _, body = seed
    original = _original_paragraphs(raw)
    # Block 0 is the header, block 1 the lead (repeated by the first body paragraph);
    # the last block is the related headlines + tag line + boilerplate.
    expected = original[2:-1]
    assert expected[0].startswith("WASHINGTON (Sputnik) — The absence of US-led")
    assert rendered_paragraphs(body) == expected


def test_seed_title_is_derived_from_the_lead_with_a_warning(seed):
    _, art, meta, _ = seed
    assert len(meta["title"]) <= 90
    assert meta["title"].startswith("The absence of US-led coalition airstrikes")
    assert not meta["title"].endswith((" of", " the", " in"))
    messages = [w.format() for w in art.warnings]
    assert any(m.endswith(":6: warning: title derived from the lead; rewrite it") for m in messages), messages


def test_updated_time_other_agency_no_trailer_unknown_boilerplate():
    _, art, meta, body = _import(FIXTURES / "agency-updated-no-trailer.txt")
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
    raw, _art, meta, body = _import(FIXTURES / "agency-hostile-body.txt")
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
    _, art, meta, body = _import(FIXTURES / "headline-first.txt")
    assert meta["title"] == "Harbour Reopens After Week-Long Strike"
    assert meta["author"] == "Jane Doe"
    assert meta["dateline"] == "LISBON" and "source" not in meta
    assert rendered_paragraphs(body) == [
        "LISBON — The harbour reopened on Monday after a week-long strike by dock workers.",
        "Unions said talks would continue.",
    ]
    assert not any("title derived" in w.message for w in art.warnings)


def _corpus_texts():
    base = corpus("text")
    return sorted(p for sub in ("fakenewscorpus", "ptc") for p in (base / sub).glob("*.txt"))


def test_every_other_corpus_text_imports_with_a_title_and_a_faithful_body():
    files = _corpus_texts()
    assert len(files) == 25
    for path in files:
        raw, _art, meta, body = _import(path)
        assert meta["title"].strip(), path
        assert "\n" not in meta["title"]
        rendered = "\n".join(rendered_paragraphs(body))
        flat = " ".join(rendered.split())
        # Every sentence line after the header is in the rendered body, word for word
        # (boilerplate lines excepted).
        lines = [ln.strip().replace("\u00a0", " ") for ln in raw.splitlines()[6:] if len(ln.strip()) > 60]
        missing = [ln for ln in lines if " ".join(ln.split()) not in flat]
        assert not missing, (path.name, missing[:2])


def test_text_titles_found_where_the_text_has_them():
    # PTC files put the title on line 1 by construction: all eight must be exact.
    for path in sorted(corpus("text", "ptc").glob("*.txt")):
        truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))["title"]
        _, _, meta, _ = _import(path)
        assert meta["title"] == truth, path.name


def test_boilerplate_and_teasers_are_dropped():
    _, _, meta, body = _import(corpus("text", "fakenewscorpus", "fnc-13842-beforeitsnews-com.txt"))
    assert meta["title"] == "Russia Responds to US Provocation: Open Skies Treaty Faces Hard Times"
    assert meta["author"] == "Peter Korzun"
    assert "Headline:" not in body and "Bitcoin & Blockchain" not in body


def test_empty_file_is_an_import_failure():
    from digest.importers.common import ImportFailure

    with pytest.raises(ImportFailure, match="empty"):
        parse_text(" \n\u00a0\n", "empty.txt")
