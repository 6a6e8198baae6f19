"""An incremental build equals a clean build, byte for byte, after any sequence of edits.

Hypothesis generates a small digest and a sequence of edits — add, delete, rename, retitle,
re-date, re-tag, summary, editor's note, related, annotations, body, site.yaml values, a template
that starts (or stops) showing a field, a static file — and after each edit builds three ways:
incrementally in the same process (as serve does), in a fresh process cache (as a new `build.py`
does, from the disk cache and the last build's recorded reads), and from a clean copy. All three
output folders must be identical.

`--hypothesis-profile=long` runs thousands of sequences (see tests/conftest.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.build import BuildOptions, build
from digest.build.process import ProcessCache
from digest.render import TemplateCodeCache

from .conftest import REPO, tree_digest

WORDS = ["port", "strike", "water", "grid", "council", "budget", "ferry", "harbour", "union", "drought",
         "vote", "tariff", "wind", "salt", "crane", "shift", "deal", "talks", "ration", "outage"]
TAGS = ["Ports", "Labour", "Water", "Energy", "Council", "Strike", "Budget", "Weather", "Shipping"]
DAYS = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
# Snippets a theme author might add to the story card: each reads something no page read before.
CARD_SNIPPETS = ["{{ story.word_count }} words", "{{ story.source_url }}", "{% if story.updated %}updated{% endif %}",
                 "{{ story.anchored | length }} notes", "{{ story.body_html | length }}", "{{ story.extra }}",
                 "{{ story.incoming | length }} backlinks", "{{ story.edition.url }}", "{{ config.extra }}"]
ARTICLE_SNIPPETS = ["{{ story.article.body | length }}", "{{ site.stories | length }} in all",
                    "{% for t in site.tags.terms %}{{ t.name }}{% endfor %}", "{{ story.auto_related | map(attribute='title') | join(', ') }}"]


@dataclass
class Piece:
    title: str
    day: str
    hour: int
    tags: list[str]
    paragraphs: list[str]
    summary: str = ""
    note: str = ""
    related: list[str] = field(default_factory=list)
    notes_on: list[int] = field(default_factory=list)  # paragraph indexes annotated (first 3 words quoted)
    draft: bool = False

    def text(self) -> str:
        lines = ["---", f"title: {self.title!r}", f"date: {self.day}T{self.hour:02d}:00:00"]
        if self.tags:
            lines.append(f"tags: [{', '.join(self.tags)}]")
        if self.summary:
            lines.append(f"summary: {self.summary!r}")
        if self.note:
            lines.append(f"editor_note: {self.note!r}")
        if self.related:
            lines.append("related:")
            lines += [f"  - {target!r}" for target in self.related]
        if self.draft:
            lines.append("draft: true")
        notes = [i for i in self.notes_on if i < len(self.paragraphs)]
        if notes:
            lines.append("annotations:")
            for i in notes:
                quote = " ".join(self.paragraphs[i].split()[:3])
                lines += [f"  - quote: {quote!r}", f"    note: 'Context for paragraph {i}.'"]
        return "\n".join([*lines, "---", "", "\n\n".join(self.paragraphs), ""])


@dataclass
class Model:
    pieces: dict[str, Piece]
    title: str = "Test digest"
    per_page: int = 20
    auto: int = 5
    entries: int = 20
    extra: str = "{}"
    card_snippet: str | None = None
    article_snippet: str | None = None
    static_css: str | None = None

    def site_yaml(self) -> str:
        return (f"title: {self.title!r}\ntimezone: UTC\nbase_url: https://digest.example.org/news/\n"
                f"digest:\n  per_page: {self.per_page}\nrelated:\n  auto: {self.auto}\n"
                f"feeds:\n  entries: {self.entries}\nextra: {self.extra}\n")


def write(model: Model, site: Path) -> None:
    """Write the model, touching only the files whose text changed (as an editor saves)."""
    wanted: dict[Path, str] = {site / "site.yaml": model.site_yaml()}
    for slug, piece in model.pieces.items():
        wanted[site / "content" / f"{slug}.md"] = piece.text()
    theme = REPO / "templates"
    if model.card_snippet is not None:
        macros = (theme / "_macros.html").read_text()
        wanted[site / "templates/_macros.html"] = macros.replace("  {{ byline(story) }}\n", "  {{ byline(story) }}\n  <p class=\"x\">"
                                                                 + model.card_snippet + "</p>\n", 1)
    if model.article_snippet is not None:
        page = (theme / "article.html").read_text()
        wanted[site / "templates/article.html"] = page.replace("  <div class=\"article-body\">",
                                                               f"  <p class=\"y\">{model.article_snippet}</p>\n  <div class=\"article-body\">", 1)
    if model.static_css is not None:
        wanted[site / "static/extra.css"] = model.static_css
    for folder in ("content", "templates", "static"):
        for existing in sorted((site / folder).rglob("*")) if (site / folder).exists() else []:
            if existing.is_file() and existing not in wanted:
                existing.unlink()
    for path, text in wanted.items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


words = st.lists(st.sampled_from(WORDS), min_size=3, max_size=9).map(lambda ws: " ".join(ws).capitalize() + ".")
pieces = st.builds(
    Piece, title=st.lists(st.sampled_from(WORDS), min_size=2, max_size=5).map(lambda ws: " ".join(ws).title()),
    day=st.sampled_from(DAYS), hour=st.integers(6, 20), tags=st.lists(st.sampled_from(TAGS), max_size=3, unique=True),
    paragraphs=st.lists(words, min_size=1, max_size=4), summary=st.sampled_from(["", "A summary.", "Another summary."]),
    note=st.sampled_from(["", "The *take*.", "See [[a0]]."]), notes_on=st.lists(st.integers(0, 3), max_size=2, unique=True),
    draft=st.integers(0, 5).map(lambda n: n == 0),
)


def _apply(model: Model, edit: tuple, data: st.DataObject) -> str:
    """Change the model in place; returns a name for the report."""
    kind, slugs = edit[0], sorted(model.pieces)
    pick = lambda: data.draw(st.sampled_from(slugs))
    if kind == "add" or not slugs:
        slug = f"n{len(model.pieces)}-{data.draw(st.integers(0, 999))}"
        model.pieces[slug] = data.draw(pieces)
        return f"add {slug}"
    slug = pick()
    piece = model.pieces[slug]
    if kind == "delete" and len(slugs) > 1:
        # Other stories' [[a0]] links would become errors (tested elsewhere): keep a0.
        if slug != "a0":
            del model.pieces[slug]
        return f"delete {slug}"
    if kind == "rename" and slug != "a0":
        model.pieces[f"{slug}-r"] = model.pieces.pop(slug)
        return f"rename {slug}"
    if kind == "title":
        piece.title = data.draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=5).map(lambda ws: " ".join(ws).title()))
    elif kind == "date":
        piece.day, piece.hour = data.draw(st.sampled_from(DAYS)), data.draw(st.integers(6, 20))
    elif kind == "tags":
        piece.tags = data.draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))
    elif kind == "summary":
        piece.summary = data.draw(st.sampled_from(["", "A summary.", "Changed summary."]))
    elif kind == "note":
        piece.note = data.draw(st.sampled_from(["", "A new take.", "See [[a0]] again."]))
    elif kind == "related":
        piece.related = data.draw(st.lists(st.sampled_from([*slugs, "Missing Story Headline"]), max_size=2, unique=True))
    elif kind == "annotations":
        piece.notes_on = data.draw(st.lists(st.integers(0, 3), max_size=3, unique=True))
    elif kind == "draft" and slug != "a0":
        piece.draft = not piece.draft
    elif kind == "first paragraph":
        piece.paragraphs[0] = data.draw(words)
    elif kind == "later paragraph":
        piece.paragraphs.append(data.draw(words))
    elif kind == "site":
        setting = data.draw(st.sampled_from(["title", "per_page", "auto", "entries", "extra"]))
        if setting == "title":
            model.title = data.draw(st.sampled_from(["Test digest", "Renamed digest"]))
        elif setting == "per_page":
            model.per_page = data.draw(st.sampled_from([2, 3, 20]))
        elif setting == "auto":
            model.auto = data.draw(st.sampled_from([0, 2, 5]))
        elif setting == "entries":
            model.entries = data.draw(st.sampled_from([1, 3, 20]))
        else:
            model.extra = data.draw(st.sampled_from(["{}", "{motto: Read slowly}"]))
        return f"site.yaml {setting}"
    elif kind == "card template":
        model.card_snippet = data.draw(st.sampled_from([None, *CARD_SNIPPETS]))
        return f"card template {model.card_snippet!r}"
    elif kind == "article template":
        model.article_snippet = data.draw(st.sampled_from([None, *ARTICLE_SNIPPETS]))
        return f"article template {model.article_snippet!r}"
    elif kind == "static":
        model.static_css = data.draw(st.sampled_from([None, "a { color: red }", "b { color: blue }"]))
        return "static file"
    return f"{kind} {slug}"


EDIT_KINDS = ["add", "delete", "rename", "title", "date", "tags", "summary", "note", "related", "annotations",
              "draft", "first paragraph", "later paragraph", "site", "card template", "article template", "static"]


_COMPILED = TemplateCodeCache()


def fresh_cache() -> ProcessCache:
    """A new process's cache, but with compiled templates (which cannot change output) shared, so
    that hundreds of sequences fit in a test run."""
    cache = ProcessCache()
    cache.shared("templates", lambda: _COMPILED)
    return cache


def _clean(site: Path, into: Path) -> dict[str, str]:
    if into.exists():
        shutil.rmtree(into)
    shutil.copytree(site, into, ignore=shutil.ignore_patterns(".cache", "public"))
    result = build(BuildOptions(site=into), jobs=1, cache=fresh_cache())
    assert result.ok, [d.format() for d in result.diagnostics]
    return tree_digest(into / "public")


# Twice the active profile's count: a few hundred sequences in CI, thousands with --hypothesis-profile=long.
@settings(max_examples=2 * settings().max_examples, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(start=st.lists(pieces, min_size=2, max_size=6), edits=st.lists(st.sampled_from(EDIT_KINDS), min_size=1, max_size=5),
       data=st.data())
def test_incremental_builds_equal_clean_builds(tmp_path_factory, start: list[Piece], edits: list[str], data) -> None:
    root = tmp_path_factory.mktemp("equivalence")
    site = root / "site"
    model = Model({"a0" if i == 0 else f"p{i}": piece for i, piece in enumerate(start)})
    model.pieces["a0"].draft = False  # other stories link [[a0]]: it must stay in the build
    write(model, site)
    serve_like = fresh_cache()  # one cache for the whole sequence, as a running server keeps
    first = build(BuildOptions(site=site), jobs=1, cache=serve_like)
    assert first.ok, [d.format() for d in first.diagnostics]
    done = []
    for kind in edits:
        done.append(_apply(model, (kind,), data))
        write(model, site)
        in_process = build(BuildOptions(site=site), jobs=1, cache=serve_like)
        assert in_process.ok, (done, [d.format() for d in in_process.diagnostics])
        incremental = tree_digest(site / "public")
        clean = _clean(site, root / "clean")
        assert incremental == clean, f"same-process build differs after {done}: {_diff(incremental, clean)}"
        fresh = build(BuildOptions(site=site, out=root / "second"), jobs=1, cache=fresh_cache())
        assert fresh.ok
        # A second output folder kept up to date by fresh processes only.
        assert tree_digest(root / "second") == clean, f"new-process build differs after {done}: {_diff(tree_digest(root / 'second'), clean)}"


def _diff(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


def test_a_theme_authors_new_field_rerenders_exactly_the_pages_that_show_it(tmp_path: Path) -> None:
    """Issue 12's scenario: `{{ story.word_count }}` added to the card, then one body edited."""
    model = Model({f"p{i}": Piece(f"Story {i}", DAYS[i % 2], 9, ["Ports", f"Tag {i}"], ["One two three.", "Four five six."])
                   for i in range(6)})
    site = tmp_path / "site"
    write(model, site)
    cache = fresh_cache()
    assert build(BuildOptions(site=site), cache=cache).ok
    model.card_snippet = "{{ story.word_count }} words"
    write(model, site)
    assert build(BuildOptions(site=site), cache=cache).ok
    model.pieces["p2"].paragraphs.append("Seven eight nine ten.")
    write(model, site)
    for run, process_cache in (("serve", cache), ("new process", None)):
        if run == "new process":  # undo and redo the edit, this time seen by a fresh process
            model.pieces["p2"].paragraphs.pop()
            write(model, site)
            assert build(BuildOptions(site=site), cache=cache).ok
            model.pieces["p2"].paragraphs.append("Seven eight nine ten.")
            write(model, site)
        result = build(BuildOptions(site=site), cache=process_cache or fresh_cache())
        # Its own page, the digest, its edition, its two tag pages and the feeds that carry it; no other
        # story's page (they show no card of p2).
        assert result.rendered == sorted([
            "articles/p2/index.html", "index.html", f"digest/{DAYS[0]}/index.html",
            "tags/ports/index.html", "tags/tag-2/index.html", "feed.xml", "tags/ports/feed.xml", "tags/tag-2/feed.xml"]), run
        assert b"10 words" in (site / "public/index.html").read_bytes()
    assert tree_digest(site / "public") == _clean(site, tmp_path / "clean")


def test_the_default_theme_has_no_untracked_pages(tmp_path: Path) -> None:
    """A page whose template calls a method on a graph object cannot be fingerprinted and is rendered
    every build; the default theme must have none (a second build renders nothing)."""
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    cache = fresh_cache()
    assert build(BuildOptions(site=site), cache=cache).ok
    (site / "content/port-strike-begins-at-harwick.md").touch()  # not the no-change shortcut: a real pass
    again = build(BuildOptions(site=site), cache=cache)
    assert again.ok and again.rendered == []


def test_a_new_process_build_uses_the_recorded_reads(tmp_path: Path) -> None:
    """`python build.py` twice with one body edit between: the second renders only what shows it."""
    site = tmp_path / "site"
    model = Model({f"p{i}": Piece(f"Story {i}", DAYS[0], 9 + i, ["Ports"], ["One two three."], summary="Fixed.") for i in range(4)})
    write(model, site)
    command = [sys.executable, str(REPO / "build.py"), "--site", str(site), "--quiet"]
    assert subprocess.run(command, capture_output=True, cwd=REPO, check=False).returncode == 0
    before = tree_digest(site / "public")
    model.pieces["p1"].paragraphs.append("An added paragraph.")
    write(model, site)
    assert subprocess.run(command, capture_output=True, cwd=REPO, check=False).returncode == 0
    after = tree_digest(site / "public")
    changed = sorted(name for name in after if before.get(name) != after[name])
    assert changed == [".digest-manifest.json", "articles/p1/index.html", "feed.xml", "tags/ports/feed.xml"]
    assert after == _clean(site, tmp_path / "clean")
