"""Every input ends in bounded time with a message (issue 10): each family generated, not one example.

Builds that could hang if a bound were missing run in a subprocess with a generous timeout (a
hang guard, not a speed test: bench/ measures speed).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config import SiteConfig
from digest.limits import check_size, format_size, parse_size
from digest.markup import guards
from digest.markup.nearest import PassageIndex
from digest.yamlsource import MAX_ALIAS_EXPANSION, MAX_NESTING, YamlError, load_yaml

from .conftest import REPO, add_files, article, build, tree_state, write_site

FIXTURE_SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _site(tmp_path: Path, files: dict[str, str | bytes], site_yaml: str = "title: T\ntimezone: UTC\nbase_url: https://example.org/\n") -> Path:
    site = write_site(tmp_path / "site", {"content/good.md": article("A good story", body="Good body.")}, site_yaml)
    first = build(site)
    assert first.code == 0, first.output
    add_files(site, files)
    return site


def _build_guarded(site: Path, timeout: float) -> subprocess.CompletedProcess:
    """`build.py build` in its own process, killed if it outlives `timeout` (a hang guard)."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), "build", "--site", str(site), "--quiet"],
                          check=False, capture_output=True, text=True, timeout=timeout, cwd=site)


# -- dates at the calendar's edges ----------------------------------------------------------------

ZONES = ["UTC", "Pacific/Kiritimati", "America/Adak", "Asia/Kathmandu", "Europe/Copenhagen"]


def _representable(moment: dt.datetime, zone: str) -> bool:
    try:
        moment.astimezone(ZoneInfo(zone))
        moment.astimezone(dt.UTC)
        return True
    except OverflowError:
        return False


@FIXTURE_SETTINGS
@given(year=st.sampled_from([1, 2, 9998, 9999]), month=st.sampled_from([1, 12]), day=st.sampled_from([1, 31]),
       hour=st.sampled_from([0, 12, 23]), offset=st.integers(-14 * 60, 14 * 60), zone=st.sampled_from(ZONES),
       quoted=st.booleans(), naive=st.booleans())
def test_dates_at_the_calendar_edges_build_or_fail_at_their_line(tmp_path_factory, year, month, day, hour, offset,
                                                                 zone, quoted, naive) -> None:
    written = dt.datetime(year, month, day, hour, 0)
    text = written.isoformat()
    if not naive:
        sign = "+" if offset >= 0 else "-"
        text += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    moment = written.replace(tzinfo=ZoneInfo(zone)) if naive else dt.datetime.fromisoformat(text)
    root = tmp_path_factory.mktemp("dates")
    site = _site(root, {"content/edge.md": article("Edge", date=f"'{text}'" if quoted else text, updated=text)},
                 f"title: T\ntimezone: {zone}\nbase_url: https://example.org/\n")
    before = tree_state(site / "public")
    result = build(site)
    assert "Traceback" not in result.output
    if _representable(moment, zone):
        assert result.code == 0, result.output
        assert (site / "public" / "feed.xml").is_file()
    else:
        assert result.code == 1, result.output
        assert f"content/edge.md:3: error: `date` `{text}` is outside the calendar" in result.err
        assert f"content/edge.md:4: error: `updated` `{text}` is outside the calendar" in result.err
        assert tree_state(site / "public") == before


@given(first=st.datetimes(), second=st.datetimes(timezones=st.sampled_from([None, dt.UTC, ZoneInfo("Asia/Kathmandu")])))
def test_related_stories_take_any_dates(first: dt.datetime, second: dt.datetime) -> None:
    from digest.related import related_by_tags

    tags = {"a": ["x"], "b": ["x"], "c": ["y"], "d": ["z"], "e": ["w"], "f": ["v"]}
    dates = {"a": first, "b": second, "c": first, "d": second, "e": first, "f": second}
    assert related_by_tags(tags, dates, max_share=0.5)["a"] == ["b"]


# -- huge numbers and odd YAML values --------------------------------------------------------------

@pytest.mark.parametrize("front, expected", [
    ("title: T\ndate: 99999999999999999999", "content/x.md:3: error: `date` must be a date such as 2026-03-02, not a number"),
    ("title: T\ndate: " + "9" * 5000, "content/x.md:3: error: unparseable `date`"),
    ("title: T\ndate: 0x" + "f" * 4000, "content/x.md:3: error: unparseable `date`"),
    ("title: " + "1" * 5000 + "\ndate: 2026-03-02\nx: !!int abc", "content/x.md:4: error: YAML error: cannot read this value as `!!int`"),
    ("title: T\ndate: 2026-03-02\nx: !!bool maybe", "content/x.md:4: error: YAML error: cannot read this value as `!!bool`"),
    ("title: T\ndate: !!timestamp soon", "content/x.md:3: error: unparseable `date` `soon`"),
    ("title: T\ndate: 2026-03-02\nx: !!map [a]", "content/x.md:4: error: YAML error: expected a mapping, but found sequence"),
    ("title: T\ndate: 2026-03-02\nx: &a [*a]", "content/x.md:4: error: YAML error: an alias refers to a value that contains it"),
    ("title: T\ndate: 2026-03-02\nannotations:\n  - {quote: Body, note: n, occurrence: " + "9" * 5000 + "}",
     "content/x.md:5: error: annotation 1: `occurrence` must be a whole number from 1"),
    ("title: T\ndate: 2026-03-02\nannotations:\n  - {quote: Body, note: n, occurrence: 99999999999999999999}",
     "content/x.md:5: error: annotation quote \"Body\" occurs only once, so there is no occurrence 99999999999999999999"),
])
def test_odd_values_are_errors_at_their_line(tmp_path: Path, front: str, expected: str) -> None:
    site = _site(tmp_path, {"content/x.md": f"---\n{front}\n---\nBody text.\n"})
    before = tree_state(site / "public")
    result = build(site)
    assert result.code == 1 and "Traceback" not in result.output, result.output
    assert expected in result.err, result.err
    assert tree_state(site / "public") == before


def test_huge_numbers_as_text_build(tmp_path: Path) -> None:
    digits = "1" * 5000
    site = _site(tmp_path, {"content/x.md": f"---\ntitle: {digits}\ndate: 2026-03-02\ntags: [{'7' * 200}, 1e999]\n"
                                           f"author: 0x{'f' * 4000}\n---\nBody.\n"})
    result = build(site)
    assert result.code == 0, result.output
    assert digits in (site / "public" / "articles" / "x" / "index.html").read_text()


# -- duplicate keys ----------------------------------------------------------------------------------

@FIXTURE_SETTINGS
@given(keys=st.lists(st.sampled_from(["source", "author", "section", "dateline", "summary", "colour"]), min_size=1,
                     max_size=6, unique=True),
       data=st.data())
def test_a_key_written_twice_is_a_warning_naming_both_lines(tmp_path_factory, keys, data) -> None:
    twice = data.draw(st.sampled_from(keys))
    lines = ["title: T", "date: 2026-03-02"] + [f"{key}: first {key}" for key in keys]
    at = data.draw(st.integers(lines.index(f"{twice}: first {twice}") + 1, len(lines)))
    lines.insert(at, f"{twice}: second {twice}")
    first_line = lines.index(f"{twice}: first {twice}") + 2
    site = _site(tmp_path_factory.mktemp("dup"), {"content/x.md": "---\n" + "\n".join(lines) + "\n---\nBody.\n"})
    result = build(site)
    assert result.code == 0, result.output
    assert (f"content/x.md:{at + 2}: warning: duplicate key `{twice}` (first on line {first_line}); "
            "the later value is used") in result.err
    assert result.err.count("duplicate key") == 1


def test_duplicates_in_site_yaml_and_merge_keys(tmp_path: Path) -> None:
    site = _site(tmp_path, {}, "title: T\nbase_url: https://example.org/\ntitle: Second\n")
    result = build(site)
    assert result.code == 0, result.output
    assert "site.yaml:3: warning: duplicate key `title` (first on line 1); the later value is used" in result.err
    # A key overriding one merged in with `<<` is what merge keys are for: no warning.
    data = load_yaml("base: &b {t: 1, u: 2}\nc:\n  <<: *b\n  t: 3\n", warnings=(warnings := []))
    assert data["c"] == {"t": 3, "u": 2} and warnings == []


# -- alias expansion and nesting ----------------------------------------------------------------------

def _alias_document(width: int, depth: int) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, depth + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    return "\n".join(lines)


@settings(max_examples=40, deadline=None)
@given(width=st.integers(1, 12), depth=st.integers(1, 12))
def test_alias_expansion_is_refused_above_the_limit(width: int, depth: int) -> None:
    text = _alias_document(width, depth)
    # Each list a(l) is written once and referenced by a(l+1) `width` times: every reference but
    # one repeats its whole expansion (the list plus everything in it).
    sizes = [1 + width]
    for _ in range(depth):
        sizes.append(1 + width * sizes[-1])
    added = sum(width * sizes[level] for level in range(depth))
    started = time.perf_counter()
    try:
        data = load_yaml(text, first_line=2)
    except YamlError as error:
        assert added > MAX_ALIAS_EXPANSION
        assert "YAML aliases expand this document by more than 100,000 values" in error.message
        assert 2 <= error.line <= depth + 2
    else:
        assert added <= MAX_ALIAS_EXPANSION
        assert data.line_of("a0") == 2 and data[f"a{depth}"].line == depth + 2
    # One pass over the distinct nodes: far below a second whatever the expansion.
    assert time.perf_counter() - started < 5, "hang guard"


def test_billion_laughs_in_front_matter_is_an_error(tmp_path: Path) -> None:
    bomb = "\n".join(['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
                     + [f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi")])
    assert len(bomb.encode()) < 361  # a billion "lol"s
    site = _site(tmp_path, {"content/bomb.md": f"---\ntitle: T\ndate: 2026-03-02\n{bomb}\n---\nBody.\n"})
    result = _build_guarded(site, timeout=60)
    assert result.returncode == 1, result.stderr
    assert re.search(r"content/bomb\.md:\d+: error: YAML aliases expand this document by more than", result.stderr)


@pytest.mark.parametrize("text", [
    "a: " + "[" * 150 + "]" * 150,
    "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 150)) + " " * 150 + "c",
    "\n".join(f"a{i}: &a{i} [*a{i - 1}]" if i else "a0: &a0 [x]" for i in range(150)),
])
def test_deep_nesting_is_an_error(text: str) -> None:
    with pytest.raises(YamlError) as error:
        load_yaml(text)
    assert f"nest more than {MAX_NESTING} levels deep" in error.value.message


# -- a tag list of thousands --------------------------------------------------------------------------

def _tag_site(root: Path, count: int) -> Path:
    tags = "[" + ", ".join(f"Tag {i}" for i in range(count)) + "]"
    return write_site(root, {"content/many.md": article("Many tags", tags=tags),
                             "content/some.md": article("Some tags", date="2026-03-03T09:00:00", tags="[Tag 1, Tag 2]")},
                      "title: T\nbase_url: https://example.org/\n")


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_thousands_of_tags_build_with_output_linear_in_their_number(tmp_path: Path) -> None:
    small, large = _tag_site(tmp_path / "small", 300), _tag_site(tmp_path / "large", 3000)
    assert _build_guarded(small, timeout=120).returncode == 0
    started = time.perf_counter()
    run = _build_guarded(large, timeout=600)  # minutes before the fix; seconds after
    assert run.returncode == 0, run.stderr
    print(f"3,000 tags: built in {time.perf_counter() - started:.1f} s")
    ratio = _size(large / "public") / _size(small / "public")
    assert ratio < 14, f"output grew {ratio:.1f}x for 10x the tags: not linear"
    term_page = (large / "public" / "tags" / "tag-2" / "index.html").read_text()
    assert term_page.count('rel="tag"') <= 2 * 10 and "+2990 more" in term_page
    assert 'href="../../tags/tag-2999/"' in (large / "public" / "articles" / "many" / "index.html").read_text()


# -- file size -----------------------------------------------------------------------------------------

def test_a_50_mb_file_is_refused_from_its_size_without_being_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = _site(tmp_path, {})
    big = site / "content" / "huge.md"
    with big.open("wb") as handle:
        handle.truncate(52_428_800)  # sparse: no disk space, 50 MiB by stat
    from digest.build import articles

    read = articles.read_regular_file

    def guarded_read(path: Path) -> bytes:
        assert path.name != "huge.md", "the oversized file was read"
        return read(path)

    monkeypatch.setattr(articles, "read_regular_file", guarded_read)
    before = tree_state(site / "public")
    result = build(site)
    assert result.code == 1, result.output
    assert "content/huge.md: error: file is 52 MB; the limit is 1 MB (limits.max_file_size in site.yaml)" in result.err
    assert tree_state(site / "public") == before


@settings(max_examples=60, deadline=None)
@given(limit=st.integers(1, 10**10), delta=st.integers(-2, 2))
def test_size_check_is_exact_at_the_limit(limit: int, delta: int) -> None:
    from dataclasses import replace

    from digest.config import LimitOptions

    config = replace(SiteConfig(root=Path(".")), limits=LimitOptions(max_file_size=limit))
    size = max(0, limit + delta)
    problem = check_size("content/x.md", size, config)
    assert (problem is None) == (size <= limit)
    if problem:
        assert problem.format().startswith("content/x.md: error: file is ")
        shown, allowed = re.match(r".*file is (.+); the limit is (.+) \(limits", problem.message).groups()
        assert shown != allowed


@pytest.mark.parametrize("value, size", [
    (2_000_000, 2_000_000), ("10 MB", 10_000_000), ("500 KB", 500_000), ("1.5mb", 1_500_000), ("2 MiB", 2_097_152),
    ("7", 7), ("0", None), (0, None), (-5, None), (True, None), ("ten MB", None), ("5 XB", None), (1.5, None),
])
def test_parse_size(value, size) -> None:
    assert parse_size(value) == size


def test_max_file_size_in_site_yaml(tmp_path: Path) -> None:
    site = _site(tmp_path, {"content/x.md": article("X", body="Body " * 300)},
                 "title: T\nlimits:\n  max_file_size: 1 KB\n")
    result = build(site)
    size = format_size((site / "content" / "x.md").stat().st_size)
    assert f"content/x.md: error: file is {size}; the limit is 1 KB (limits.max_file_size in site.yaml)" in result.err
    (site / "site.yaml").write_text("title: T\nlimits:\n  max_file_size: lots\n")
    result = build(site)
    assert "site.yaml:3: error: `limits.max_file_size` must be a size such as 1000000" in result.err
    assert format_size(52_428_800) == "52 MB"


# -- the closest-passage hint -------------------------------------------------------------------------

VOCABULARY = ["harbour", "union", "strike", "minister", "talks", "shift", "pattern", "terminal", "container", "dockworkers", "council", "vote", "agreement", "wages", "pension", "cranes", "berth", "cargo", "ferry", "pilots", "weekend", "overtime", "ballot", "walkout"]


def _prose(seed: int, words: int) -> list[str]:
    import random

    rng = random.Random(seed)
    sentences, count = [], 0
    while count < words:
        length = rng.randint(8, 20)
        sentences.append(" ".join(rng.choice(VOCABULARY) for _ in range(length)).capitalize() + ".")
        count += length
    paragraphs, current = [], []
    for sentence in sentences:
        current.append(sentence)
        if len(current) == 4:
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs + ([" ".join(current)] if current else [])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), data=st.data())
def test_the_indexed_hint_finds_the_passage_a_typo_came_from(seed: int, data) -> None:
    paragraphs = _prose(seed, 800)
    block = data.draw(st.integers(0, len(paragraphs) - 1))
    words = paragraphs[block].split()
    width = data.draw(st.integers(3, min(12, len(words))))
    start = data.draw(st.integers(0, len(words) - width))
    passage = " ".join(words[start:start + width])
    spot = data.draw(st.integers(0, len(passage) - 1))
    quote = passage[:spot] + "#" + passage[spot + 1:]  # one misspelt character
    index = PassageIndex(paragraphs)
    full = index._scan_all(quote, max(1, len(quote.split())))
    indexed = index._search(quote)
    assert full is not None and indexed is not None

    def score(found):
        import difflib

        return difflib.SequenceMatcher(None, paragraphs[found[0]][found[1]:found[2]], quote, autojunk=False).ratio()

    # The index finds a window as alike as the full scan's (its own passage, or an equal).
    assert score(indexed) == pytest.approx(score(full))


def test_an_unmatched_quote_on_a_35000_word_body_gets_its_hint_quickly(tmp_path: Path) -> None:
    paragraphs = _prose(7, 35_000)
    target = paragraphs[len(paragraphs) // 2].split()[5:13]
    typo = " ".join(target).replace(target[3], target[3][:-1] + "q", 1)
    quotes = [typo] + [f"quote never written {n}" for n in range(4)]
    annotations = "\n" + "\n".join(f"  - {{quote: \"{q}\", note: n}}" for q in quotes)
    site = _site(tmp_path, {"content/long.md": article("Long", body="\n\n".join(paragraphs), annotations=annotations)})
    started = time.perf_counter()
    result = _build_guarded(site, timeout=120)  # each quote scanned the whole body before: minutes
    print(f"35,000 words, {len(quotes)} unmatched quotes: {time.perf_counter() - started:.1f} s")
    assert result.returncode == 1, result.stderr
    assert f'annotation quote not found: "{typo}" (closest passage: "{" ".join(target)}")' in result.stderr


# -- Markdown on hostile bodies ------------------------------------------------------------------------

HOSTILE_BODIES = {
    "brackets": ("[" * 100_000, "a paragraph of 100,000 characters"),
    "link-openers": ("[a](" * 25_000, "a paragraph of 100,000 characters"),
    "start-tags": ("<a " * 30_000, "`<` that start an HTML tag"),
    "headings": ("# a\n" * 10_000, "headings or rules"),
    "setext": ("a\n=\n" * 10_000, "headings or rules"),
    "definitions": ("a\n: b\n" * 300, "definitions (`: ...` lines) without a blank line"),
    "quotes": (">" * 1000 + " x", "levels of `>` quotes"),
    "abbreviations": ("".join(f"*[A{i}]: a\n\n" for i in range(300)), "abbreviation definitions"),
    "stars": ("*" * 400_000, None),
    "bracket-paragraphs": (("[" * 5000 + "\n\n") * 20, None),
    "emphasis-paragraphs": (("*a* " * 2000 + "\n\n") * 5, None),
}


def test_hostile_markdown_bodies_end_in_bounded_time(tmp_path: Path) -> None:
    files = {f"content/{name}.md": article(name, body=body) for name, (body, _) in HOSTILE_BODIES.items()}
    site = _site(tmp_path, files, "title: T\nbase_url: https://example.org/\nlimits: {max_file_size: 2 MB}\n")
    started = time.perf_counter()
    result = _build_guarded(site, timeout=900)  # several of these took hours before the bounds
    print(f"hostile bodies: {time.perf_counter() - started:.1f} s")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for name, (_, expected) in HOSTILE_BODIES.items():
        mentioned = [line for line in result.stderr.splitlines() if line.startswith(f"content/{name}.md:")]
        if expected is None:
            assert not mentioned, mentioned
        else:
            assert len(mentioned) == 1 and ": error: " in mentioned[0] and expected in mentioned[0], (name, mentioned)


_TEXT = st.text(st.sampled_from(list("[]()'\" ab\n!<>*`\\:/.")), max_size=80)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_the_bounded_link_scans_render_exactly_like_python_markdown(text: str) -> None:
    plain = markdown.Markdown(extensions=["extra", "sane_lists"])
    bounded = markdown.Markdown(extensions=["extra", "sane_lists"])
    guards.install(bounded)
    assert bounded.convert(text) == plain.convert(text)
