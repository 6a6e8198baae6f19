"""The fast anchoring code behaves exactly like the original per-character implementation.

`tests/anchor_reference.py` is that original, kept as an oracle. Every example article and a few
hundred generated ones (inline markup, raw HTML, entities, smart quotes, dashes, ellipses, odd
whitespace and invisible characters; quotes that match, match across markup, repeat, need a
prefix/suffix/occurrence, cross a block boundary or are misspelt) are rendered with both, and
the whole RenderedArticle (body HTML, anchored notes, diagnostics) plus every Anchor must agree.
"""

from __future__ import annotations

import dataclasses
import html
import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

import digest.markup.annotations as fast
from digest.config import DEFAULT_KINDS, MarkdownOptions, SiteConfig, load_config
from digest.content import Article, load_article
from digest.diagnostics import Diagnostics
from digest.markup import RenderedArticle, render_article

from . import anchor_reference as reference
from .conftest import REPO, article

# Default Markdown, and with smarty, whose placeholders are the hardest text to see through.
CONFIG = SiteConfig(root=Path("."))  # the default annotation kinds
SMARTY = SiteConfig(root=Path("."), markdown=MarkdownOptions(extensions=("extra", "sane_lists", "smarty")))
KINDS = sorted(DEFAULT_KINDS)


FAST_ANCHOR, REFERENCE_ANCHOR = fast.anchor, reference.anchor


def render_with(anchor, parsed: Article, config: SiteConfig, monkeypatch: pytest.MonkeyPatch):
    """Render through the real Markdown pipeline with `anchor` doing the anchoring."""
    results: list[object] = []

    def recording(*args, **kwargs):
        results.append(anchor(*args, **kwargs))
        return results[-1]

    with monkeypatch.context() as patch:
        patch.setattr(fast, "anchor", recording)
        rendered = render_article(parsed, config)
    summary = [([(a.index, a.text, a.first_unit) for a in r.anchors], r.numbers, r.errors) for r in results]
    return rendered, summary


def assert_same(parsed: Article, config: SiteConfig, monkeypatch: pytest.MonkeyPatch) -> RenderedArticle:
    new, new_results = render_with(FAST_ANCHOR, parsed, config, monkeypatch)
    old, old_results = render_with(REFERENCE_ANCHOR, parsed, config, monkeypatch)
    assert new.body_html == old.body_html, parsed.path
    assert new == old, parsed.path
    assert new_results == old_results, parsed.path
    return new


def test_reference_is_the_original_code() -> None:
    """Guard against comparing the new code with itself."""
    assert REFERENCE_ANCHOR is not FAST_ANCHOR
    assert reference._Document is not fast._Document
    assert hasattr(reference._Document, "_add_unit")


@pytest.mark.parametrize("smarty", [False, True])
def test_every_example_article(smarty: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(REPO, Diagnostics(), None)
    if smarty:
        config = dataclasses.replace(config, markdown=SMARTY.markdown)
    annotated = 0
    for path in sorted((REPO / "content").glob("*.md")):
        parsed, _ = load_article(f"content/{path.name}", path.read_bytes(), config)
        assert parsed is not None, path
        rendered = assert_same(parsed, config, monkeypatch)
        annotated += len(rendered.anchored)
    assert annotated >= 10  # the example digest is annotated: the comparison saw real highlights


@pytest.mark.parametrize("text", [
    "", "  ", "a  b", " \u00a0 x\u200b\u00ady \u2003\n", "“Quoted” — and ‘this’ … too", "a\u200b \u200bb",
    "…\u2026...", "-‐‑‒–—―−", "\t\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\u3000x", "`´′″„‟",
])
def test_normalize_matches_reference(text: str) -> None:
    assert fast.normalize(text) == reference.normalize(text)


def test_normalize_matches_reference_on_every_special_character() -> None:
    specials = [chr(c) for c in range(0x3100) if chr(c).isspace()] + list("\u00ad\u200b\u200c\u200d\u2060\ufeff")
    specials += list(reference._CHAR_MAP) + ["a", "b", " "]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(specials) for _ in range(rng.randint(0, 12)))
        assert fast.normalize(text) == reference.normalize(text), ascii(text)


# -- generated articles ------------------------------------------------------------------------

WORDS = ["the", "port", "strike", "council", "water", "harbour", "union", "said", "it's", "vote", "budget", "grid", "outage", "plan", "the", "the", "of", "a", "and", "ferry", "mayor", "berg", "lind", "cuts", "bus", "drought", "“quoted”", "report", "4%", "12,000"]
# Inline decorations, each a function of some words; they cover every kind of unit the anchorer
# reads: plain characters, smarty placeholders, entities, escapes, raw tags and raw fragments.
INLINE = [
    lambda w: f"*{w}*", lambda w: f"**{w}**", lambda w: f"***{w}***", lambda w: f"`{w}`",
    lambda w: f"[{w}](https://example.org/{len(w)})", lambda w: f"<b>{w}</b>", lambda w: f'<span class="x">{w}</span>',
    lambda w: f"{w}&amp;{w}", lambda w: f"{w}&nbsp;{w}", lambda w: f"{w}&#8212;{w}", lambda w: f"{w} &bogus; {w}",
    lambda w: f'"{w}"', lambda w: f"'{w}'", lambda w: f"{w}'s", lambda w: f"{w} -- {w}", lambda w: f"{w}---{w}",
    lambda w: f"{w}...", lambda w: f"{w}…", lambda w: f"{w}\u00a0{w}", lambda w: f"{w[:1]}\u200b{w[1:]}",
    lambda w: f"{w[:2]}\u00ad{w[2:]}", lambda w: f"\\*{w}\\*", lambda w: f"{w}  \n{w}", lambda w: f"{w}<br>{w}",
    lambda w: f"{w} <!-- aside --> {w}", lambda w: f"![{w}](i.png) {w}", lambda w: f"{w}[^1]", lambda w: f"{w}.”",
    lambda w: f"({w})", lambda w: f"{w}, <em>{w}</em>.", lambda w: f"<abbr title=x>{w}</abbr>", lambda w: f"{w}<wbr>{w}",
    lambda w: f"<kbd>{w}</kbd>", lambda w: f"{w}\t {w}", lambda w: f"*{w} `{w}` {w}*", lambda w: f"[*{w}*](/x)",
    lambda w: f"{w} <img src=x alt=y> {w}", lambda w: f"{w} &lt;{w}&gt;", lambda w: f"{w}&#x2019;s",
    lambda w: f"{w} <b> {w} </b> {w}", lambda w: f'{w} <span class="x"> {w}</span>', lambda w: f"{w} <!-- <b>{w}</b> --> {w}",
    lambda w: f"{w}\u200b {w} \u200b{w}", lambda w: f"{w} \u00a0 {w}", lambda w: f"{w} &nbsp; {w}&nbsp;&#160;{w}",
]


def sentence(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(3, 18)):
        word = rng.choice(WORDS)
        if rng.random() < 0.25:
            word = rng.choice(INLINE)(word)
        words.append(word)
    text = " ".join(words)
    return text[:1].upper() + text[1:] + rng.choice([".", ".", "!", "?", ":", "…", '."', ".”"])


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))


def body(rng: random.Random) -> str:
    blocks = []
    for _ in range(rng.randint(2, 9)):
        kind = rng.random()
        if kind < 0.5:
            blocks.append(paragraph(rng))
        elif kind < 0.58:
            blocks.append("## " + sentence(rng).rstrip(".!?:…"))
        elif kind < 0.66:
            blocks.append("\n".join(f"{rng.choice(['-', '1.'])} {sentence(rng)}" for _ in range(rng.randint(1, 3))))
            if rng.random() < 0.3:  # raw HTML inside a list item's text: a block boundary mid-slot
                blocks[-1] += f"\n<div>{rng.choice(WORDS)}</div> {sentence(rng)}"
        elif kind < 0.72:
            blocks.append("> " + paragraph(rng) + rng.choice(["", f"\n<div>{rng.choice(WORDS)}</div> {sentence(rng)}"]))
        elif kind < 0.77:
            blocks.append(f"| a | b |\n|---|---|\n| {sentence(rng)} | {sentence(rng)} |")
        elif kind < 0.81:
            blocks.append(f"<div>{sentence(rng)} <b>{rng.choice(WORDS)}</b></div>")
        elif kind < 0.84:
            blocks.append(f"```\n{sentence(rng)}\n```")
        elif kind < 0.87:
            blocks.append(f"{sentence(rng)}\n{{: .lead }}")
        elif kind < 0.90:
            blocks.append(f"{rng.choice(WORDS)}\n:   {sentence(rng)}")
        elif kind < 0.93:
            blocks.append("***")
        else:
            blocks.append(f"{paragraph(rng)} <span>{sentence(rng)}</span> <q>{rng.choice(WORDS)}</q>")
    if any("[^1]" in b for b in blocks):
        blocks.append(f"[^1]: {sentence(rng)}")
    return "\n\n".join(blocks)


_BLOCK_TAG = re.compile(r"</?(?:p|li|h[1-6]|blockquote|td|th|div|pre|dd|dt|ol|ul|table|tr|hr)\b[^>]*>")


def visible_blocks(body_html: str) -> list[list[str]]:
    """Words of each block of the rendered body, as a reader sees them."""
    blocks = []
    for chunk in _BLOCK_TAG.split(body_html):
        words = html.unescape(re.sub(r"<[^>]*>", "", chunk)).split()
        if words:
            blocks.append(words)
    return blocks


def quote_item(rng: random.Random, blocks: list[list[str]]) -> dict[str, object]:
    number = rng.randrange(len(blocks))
    words = blocks[number]
    before = [w for block in blocks[:number] for w in block]  # for a prefix/suffix that crosses blocks
    after = [w for block in blocks[number + 1:] for w in block]
    width = rng.randint(1, min(6, len(words)))
    at = rng.randrange(len(words) - width + 1)
    item: dict[str, object] = {"quote": " ".join(words[at:at + width]), "kind": rng.choice(KINDS)}
    roll = rng.random()
    if roll < 0.15:
        item["quote"] = rng.choice(["the", "port", "the port", "a", "said", "it's", "vote"])
        item["occurrence"] = rng.randint(1, 6)
    elif roll < 0.3:
        if rng.random() < 0.8:
            reach = rng.randint(1, 4)
            item["prefix"] = " ".join((before + words[:at])[-reach:])
            if not item["prefix"] or rng.random() < 0.25:  # one that does not fit
                item["prefix"] = rng.choice(WORDS)
        if rng.random() < 0.6:
            reach = rng.randint(1, 4)
            item["suffix"] = " ".join((words[at + width:] + after)[:reach]) or rng.choice(WORDS)
        if rng.random() < 0.2:
            item["occurrence"] = rng.randint(1, 3)
    elif roll < 0.38 and len(blocks) > 1:
        i = rng.randrange(len(blocks) - 1)
        item["quote"] = " ".join(blocks[i][-2:] + blocks[i + 1][:2])  # across a block boundary
    elif roll < 0.46:
        quote = str(item["quote"])
        spot = rng.randrange(len(quote))
        item["quote"] = quote[:spot] + rng.choice("xqz") + quote[spot + 1:]  # misspelt
    elif roll < 0.56:
        # Written the way an editor types it: straight quotes, plain dashes, odd spacing.
        quote = str(item["quote"]).translate(str.maketrans("“”‘’—–…\u00a0", "\"\"''--. "))
        item["quote"] = quote.replace(" ", rng.choice([" ", "  ", "\u00a0", " \n "]))
    if not str(item["quote"]).strip():
        item["quote"] = rng.choice(WORDS)
    return item


def synthetic_article(seed: int, config: SiteConfig) -> tuple[str, str]:
    """(file name, file text) of one generated article."""
    rng = random.Random(seed)
    text = body(rng)
    plain, _ = load_article("content/plain.md", article(body=text).encode(), config)
    assert plain is not None
    blocks = visible_blocks(render_article(plain, config).body_html) or [["the"]]
    items = [quote_item(rng, blocks) for _ in range(rng.randint(1, 5))]
    lines = [""]
    for item in items:
        item = {"note": f"Note {seed}.", **item}
        for i, (key, value) in enumerate(item.items()):
            lines.append(f"  {'- ' if i == 0 else '  '}{key}: {json.dumps(value)}")
    return f"content/gen-{seed}.md", article(body=text, annotations="\n".join(lines))


@pytest.mark.parametrize("smarty", [False, True])
@pytest.mark.parametrize("chunk", range(4))
def test_generated_articles(chunk: int, smarty: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    config = SMARTY if smarty else CONFIG
    outcomes: Counter[str] = Counter()
    for seed in range(chunk * 50, chunk * 50 + 50):
        name, text = synthetic_article(seed, config)
        parsed, problems = load_article(name, text.encode(), config)
        assert parsed is not None, [p.format() for p in problems]
        rendered = assert_same(parsed, config, monkeypatch)
        outcomes["anchored"] += len(rendered.anchored)
        outcomes["nested"] += len(re.findall(r"<mark [^>]*><mark ", rendered.body_html))
        outcomes["split"] += len(re.findall(r'data-annotation="(\d+)"', rendered.body_html)) - len(rendered.anchored)
        for diagnostic in rendered.diagnostics:
            message = diagnostic.message
            outcomes["closest" if "closest passage" in message else
                     "across blocks" if "two paragraphs" in message else
                     "prefix/suffix" if "never with" in message else
                     "occurrence" if "no occurrence" in message else "other error"] += 1
    # The generator must keep exercising every path, or the comparison proves little.
    assert outcomes["anchored"] >= 80, outcomes
    for kind in ("closest", "across blocks", "prefix/suffix", "occurrence", "nested", "split"):
        assert outcomes[kind] >= 1, outcomes
