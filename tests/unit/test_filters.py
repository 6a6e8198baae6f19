"""digest.filters on its own: the theme's annotation blocks, quotation marks, datelines and
reading time, including generated bodies."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.filters import annotation_blocks, opens_with_dateline, quoted, reading_minutes, run_in_dateline
from digest.markup.annotations import SENTINEL


def _sentinel(n: int) -> str:
    return f"<!--{SENTINEL} {n}-->"


@st.composite
def bodies(draw):
    """Bodies as the Markdown stage makes them: paragraphs, lists, quotes, tables, headings,
    with note placeholders inside inline text at any depth."""
    number = [0]

    def words():
        parts = []
        for _ in range(draw(st.integers(1, 4))):
            text = draw(st.sampled_from(["Ships wait.", "The union said", "“quoted,” she said", "a <em>b</em> c", "x &amp; y"]))
            parts.append(text)
            if draw(st.booleans()):
                number[0] += 1
                wrap = draw(st.sampled_from(["{}", "<strong>{}</strong>", "<a href='#'>x</a>{}"]))
                parts.append(wrap.format(_sentinel(number[0])))
        return " ".join(parts)

    blocks = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["p", "ul", "blockquote", "table", "h2", "hr", "pre"]))
        if kind == "p":
            blocks.append(f"<p>{words()}</p>")
        elif kind == "ul":
            blocks.append("<ul>\n" + "\n".join(f"<li>{words()}</li>" for _ in range(draw(st.integers(1, 3)))) + "\n</ul>")
        elif kind == "blockquote":
            blocks.append(f"<blockquote>\n<p>{words()}</p>\n<p>{words()}</p>\n</blockquote>")
        elif kind == "table":
            blocks.append(f"<table><tr><td>{words()}</td><td><br>{words()}</td></tr></table>")
        elif kind == "h2":
            blocks.append(f"<h2>{words()}</h2>")
        elif kind == "hr":
            blocks.append("<hr />")
        else:
            blocks.append("<pre><code>x &lt; y</code></pre>")
    return "\n".join(blocks)


@settings(max_examples=300, deadline=None)
@given(bodies())
def test_notes_always_follow_a_whole_top_level_block(body: str) -> None:
    """Generated bodies: the text is kept byte for byte, each marker sits exactly where its
    placeholder was, and each note comes after the top-level block holding its words: never
    inside a paragraph, list or table."""
    blocks = annotation_blocks(body)
    rebuilt, notes, markers = "", [], []
    for block in blocks:
        for chunk, number in block.parts:
            rebuilt += chunk
            if number is not None:
                markers.append(number)
                rebuilt += _sentinel(number)
        for number in block.notes:
            notes.append(number)
            # Where the note goes, every element opened so far is closed again.
            stripped = re.sub(r"<!--.*?-->", "", rebuilt)
            opened = len(re.findall(r"<(?!/|br|hr|!)[a-z0-9]+\b[^>]*?(?<!/)>", stripped))
            closed = len(re.findall(r"</[a-z0-9]+>", stripped))
            assert opened == closed, (number, rebuilt)
    assert rebuilt == body
    expected = [int(n) for n in re.findall(SENTINEL + r" (\d+)", body)]
    assert markers == expected and notes == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab ,.’'\"“”„«»‘-")), min_size=1, max_size=30))
def test_quoted_never_doubles_quotation_marks(text: str) -> None:
    html = str(quoted(text))
    has_marks = re.search("[\"“”„«»]", text) is not None
    assert html.startswith('<span class="quote-text">') == has_marks
    assert html.startswith("<q>") == (not has_marks)
    assert "<" not in html.replace('<span class="quote-text">', "").replace("</span>", "").replace("<q>", "").replace("</q>", "")


def test_quoted_escapes() -> None:
    assert str(quoted("<b>“x”</b>")) == '<span class="quote-text">&lt;b&gt;“x”&lt;/b&gt;</span>'


@pytest.mark.parametrize(("body", "dateline", "expected"), [
    ("<p>HARWICK — Ships.</p>", "HARWICK", '<p><span class="dateline">HARWICK</span> — Ships.</p>'),
    ("<p>Harwick – Ships.</p>", "HARWICK", '<p><span class="dateline">Harwick</span> – Ships.</p>'),
    ("<p>WASHINGTON (Sputnik) - Ships.</p>", "Washington", '<p><span class="dateline">WASHINGTON (Sputnik)</span> - Ships.</p>'),
    ("<p>SKÆRHOLM — x</p>", "SKÆRHOLM", '<p><span class="dateline">SKÆRHOLM</span> — x</p>'),
    ("<p>Ships left HARWICK — today.</p>", "HARWICK", None),
    ("<p>HARWICKSHIRE is big.</p>", "HARWICK", None),
    ("<p>HARWICK — x</p>", "", None),
    ("<p>A &amp; B — x</p>", "A & B", '<p><span class="dateline">A &amp; B</span> — x</p>'),
])
def test_dateline_run_in(body: str, dateline: str, expected: str | None) -> None:
    assert opens_with_dateline(body, dateline) == (expected is not None)
    assert str(run_in_dateline(body, dateline)) == (expected or body)


def test_reading_minutes() -> None:
    assert [reading_minutes(n) for n in (0, 1, 230, 231, 2300)] == [1, 1, 1, 2, 10]
