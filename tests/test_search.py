"""Search: the Pagefind index is built with the site, deterministic, kept between builds when no
article page changed, and optional (a build without Pagefind succeeds and says search is off)."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest import search
from digest.build import BuildOptions
from digest.build import build as build_site
from digest.serve import Rebuilder

from .conftest import article, build, nu_checker_jar, run_cli, tree_digest, tree_state, write_site

PREFIX = b"pagefind_dcd"


# --- reading a built bundle as a browser would ---------------------------------------------------

def _decode(path: Path):
    import cbor2

    data = gzip.decompress(path.read_bytes())
    assert data.startswith(PREFIX)
    return cbor2.loads(data[len(PREFIX):])


def _encode(path: Path, value) -> None:
    import cbor2

    path.write_bytes(gzip.compress(PREFIX + cbor2.dumps(value), mtime=0))


def read_index(public: Path) -> tuple[dict[str, dict], dict[str, dict[str, set[str]]]]:
    """({URL: record} of every page (its indexed `content` and `meta`), {filter: {value: URLs}}),
    following the files' references from pagefind-entry.json as Pagefind's search script does."""
    bundle = public / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    records: dict[str, dict] = {}
    filters: dict[str, dict[str, set[str]]] = {}
    for info in entry["languages"].values():
        meta = _decode(bundle / f"pagefind.{info['hash']}.pf_meta")
        fragments = [json.loads(gzip.decompress((bundle / "fragment" / f"{h}.pf_fragment").read_bytes())[len(PREFIX):])
                     for h, _ in meta[1]]
        pages = [fragment["url"] for fragment in fragments]
        records.update((fragment["url"], fragment) for fragment in fragments)
        for name, filter_hash in meta[3]:
            _, values = _decode(bundle / "filter" / f"{filter_hash}.pf_filter")
            for value, numbers in values:
                filters.setdefault(name, {}).setdefault(value, set()).update(pages[n] for n in numbers)
    return records, filters


def _fake_pagefind(folder: Path, script: str) -> Path:
    path = folder / "fake-pagefind"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _counting_pagefind(folder: Path) -> tuple[Path, Path]:
    """The real binary behind a wrapper that counts its runs."""
    real = search.find_indexer()
    assert real is not None, "pagefind is in requirements.txt; install it"
    log = folder / "pagefind-runs.log"
    return _fake_pagefind(folder, f'echo run >> "{log}"\nexec "{real.executable}" "$@"\n'), log


def _runs(log: Path) -> int:
    return len(log.read_text().split()) if log.exists() else 0


def _without_pagefind(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "package missing":
        monkeypatch.setitem(sys.modules, "pagefind", None)  # `import pagefind...` now fails
        monkeypatch.setitem(sys.modules, "pagefind.service", None)
    else:
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", "/nonexistent/pagefind")


# --- what a build writes ----------------------------------------------------------------------------

def test_index_holds_every_article_with_its_filters(example_site: Path) -> None:
    result = build_site(BuildOptions(site=example_site))
    assert result.ok, [d.format() for d in result.diagnostics]
    site = result.site
    records, filters = read_index(example_site / "public")
    assert sorted(records) == sorted("/" + story.url for story in site.stories)  # articles only, no listings
    for story in site.stories:  # editor's note and body; not the byline, tag list or labels
        record = records["/" + story.url]
        assert record["meta"]["title"] == story.article.title
        assert record["content"].startswith(story.article.title)  # the headline is searched as text
        assert record["meta"]["Source"] == story.source
        text = record["content"]
        first_words = " ".join(re.sub(r"<[^>]+>", " ", story.rendered.body_html).split()[:6])
        assert first_words in " ".join(text.split())
        assert "Editor’s note" not in text and "Read the original" not in text
        assert story.article.date.strftime("%H:%M") not in text
        # Annotated words read on as in the text, and their notes are found, without the markers'
        # labels ("Annotation 1 (Context)") or the notes' headings in excerpts.
        assert re.search(r"Annotation \d|\(Context\)|\(Fact-check\)|Why: note", text) is None, text
        for anchored in story.anchored:
            note_words = " ".join(re.sub(r"<[^>]+>", " ", anchored.note_html).split()[:4])
            assert note_words in " ".join(text.split()), (story.url, note_words)
    expected: dict[str, dict[str, set[str]]] = {"Tag": {}, "Source": {}, "Month": {}}
    for story in site.stories:
        url = "/" + story.url
        for term in story.tags:
            expected["Tag"].setdefault(term.name, set()).add(url)
        expected["Source"].setdefault(story.source, set()).add(url)
        expected["Month"].setdefault(f"{story.edition.day:%Y-%m}", set()).add(url)
    assert filters == expected


def test_search_page_and_its_links_are_relative(built_example: Path) -> None:
    page = (built_example / "search/index.html").read_text()
    for relative in ('href="../pagefind/pagefind-ui.css"', 'src="../pagefind/pagefind-ui.js"',
                     'data-bundle="../pagefind/"', 'data-root="../"', 'src="../static/search.js"'):
        assert relative in page
    assert 'href="/' not in page and 'src="/' not in page
    assert 'href="../../search/"' in (built_example / "articles/port-strike-begins-at-harwick/index.html").read_text()
    assert 'href="search/"' in (built_example / "index.html").read_text()


def test_two_clean_builds_are_byte_identical(example_site: Path, tmp_path: Path) -> None:
    # Pagefind itself writes filters in a different order on every run (hash maps).
    for name in ("a", "b"):
        result = build(example_site, "--out", str(tmp_path / name))
        assert result.code == 0, result.output
    first = tree_digest(tmp_path / "a")
    assert any(path.startswith("pagefind/filter/") for path in first)
    assert first == tree_digest(tmp_path / "b")


@pytest.fixture(scope="module")
def canonical_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real bundle of the example, with two sorts added (the theme defines none)."""
    site = tmp_path_factory.mktemp("bundle") / "site"
    write_site(site, {}, (Path(__file__).parents[1] / "site.yaml").read_text())
    shutil.copytree(Path(__file__).parents[1] / "content", site / "content", dirs_exist_ok=True)
    assert build(site).code == 0
    bundle = site / "public/pagefind"
    meta_path = next(bundle.glob("pagefind.*.pf_meta"))
    meta = _decode(meta_path)
    count = len(meta[1])
    meta[4] = [["newest", list(range(count))], ["oldest", list(reversed(range(count)))]]
    _encode(meta_path, meta)
    search.canonicalize_bundle(bundle)
    return bundle


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_canonical_bundle_ignores_hash_map_order(canonical_bundle: Path, data: st.DataObject) -> None:
    """Any order of filters, filter values and sorts (what differs between Pagefind runs) gives
    the same bytes once canonicalized."""
    with tempfile.TemporaryDirectory() as work:
        bundle = Path(work) / "pagefind"
        shutil.copytree(canonical_bundle, bundle)
        entry = json.loads((bundle / "pagefind-entry.json").read_text())
        info = next(iter(entry["languages"].values()))
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _decode(meta_path)
        shuffled = []
        for index, (name, filter_hash) in enumerate(meta[3]):
            path = bundle / "filter" / f"{filter_hash}.pf_filter"
            name, values = _decode(path)
            path.unlink()
            new_hash = f"en_shuffled{index}"
            _encode(bundle / "filter" / f"{new_hash}.pf_filter", [name, data.draw(st.permutations(values))])
            shuffled.append([name, new_hash])
        meta[3] = data.draw(st.permutations(shuffled))
        meta[4] = data.draw(st.permutations(meta[4]))
        meta_path.unlink()
        info["hash"] = "en_shuffled"
        _encode(bundle / "pagefind.en_shuffled.pf_meta", meta)
        (bundle / "pagefind-entry.json").write_text(json.dumps(entry, indent=1))
        search.canonicalize_bundle(bundle)
        assert tree_digest(bundle) == tree_digest(canonical_bundle)


# --- rebuilds ---------------------------------------------------------------------------------------

def _clean_build(site: Path, tmp_path: Path, name: str) -> dict[str, str]:
    copy = tmp_path / name
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
    result = build(copy)
    assert result.code == 0, result.output
    return tree_digest(copy / "public")


def test_index_is_rebuilt_only_when_an_article_page_changes(example_site: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    wrapper, log = _counting_pagefind(tmp_path)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(wrapper))
    serve = Rebuilder(BuildOptions(site=example_site))  # one for every step, as `serve` keeps it
    assert serve.rebuild(None).ok and _runs(log) == 1
    public = example_site / "public"
    url = "/articles/desalination-plan-revived/"

    assert serve.rebuild(None).ok and _runs(log) == 1  # nothing changed
    yaml = example_site / "site.yaml"
    yaml.write_text(yaml.read_text().replace("per_page: 20", "per_page: 3"))  # listings change, articles don't
    assert serve.rebuild(["site.yaml"]).ok and _runs(log) == 1
    assert (public / "page/2/index.html").is_file()

    story = example_site / "content/desalination-plan-revived.md"
    story.write_text(story.read_text().rstrip("\n") + "\n\nA zeppelin was seen over the plant.\n")
    assert serve.rebuild(["content/desalination-plan-revived.md"]).ok and _runs(log) == 2
    assert "A zeppelin was seen over the plant." in read_index(public)[0][url]["content"]
    assert tree_digest(public) == _clean_build(example_site, tmp_path, "clean-body")

    story.write_text(story.read_text().replace("tags:\n", "tags:\n  - Airships\n", 1))
    assert serve.rebuild(["content/desalination-plan-revived.md"]).ok
    assert _runs(log) == 4  # (the clean build above ran it once)
    assert read_index(public)[1]["Tag"]["Airships"] == {url}
    assert tree_digest(public) == _clean_build(example_site, tmp_path, "clean-tags")


@pytest.mark.parametrize("how", ["package missing", "binary missing"])
def test_build_without_pagefind_succeeds_with_search_off(example_site: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    for path in example_site.rglob("*"):  # old enough inputs let a build answer "nothing changed"
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert build(example_site).code == 0  # with search: then switch it off on the same output
    public = example_site / "public"
    assert (public / "pagefind/pagefind-entry.json").is_file()
    with monkeypatch.context() as patched:
        _without_pagefind(patched, how)
        assert search.find_indexer() is None
        result = run_cli("build", "--site", str(example_site))
        assert result.code == 0, result.output
        lines = result.out.splitlines()
        assert lines[-2] == "search: off (pip install 'pagefind[bin]' to enable)"
        assert lines[-1].startswith("built ")
        assert not (public / "pagefind").exists()
        page = (public / "search/index.html").read_text()
        assert "Search is not available" in page and "pagefind-ui.js" not in page
        off = tree_digest(public)
        # a clean build without Pagefind writes the same
        copy = tmp_path / "clean-off"
        shutil.copytree(example_site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
        assert build(copy).code == 0 and tree_digest(copy / "public") == off
    result = run_cli("build", "--site", str(example_site))
    assert result.code == 0 and "search: off" not in result.output
    assert tree_digest(public) == _clean_build(example_site, tmp_path, "clean-on")


def test_a_site_without_articles_has_nothing_to_search(tmp_path: Path) -> None:
    site = write_site(tmp_path / "empty", {})
    result = build(site)
    assert result.code == 0, result.output
    assert "There are no articles to search yet." in (site / "public/search/index.html").read_text()
    assert not (site / "public/pagefind").exists()


def test_a_site_file_where_the_index_goes_is_an_error(example_site: Path) -> None:
    (example_site / "static/pagefind").mkdir(parents=True)
    (example_site / "static/pagefind/pagefind-ui.js").write_text("// my own")
    result = build(example_site)
    assert result.code == 1
    assert "static/pagefind/pagefind-ui.js: error: search: the search index is written to pagefind/" in result.err
    assert not (example_site / "public").exists()


def test_articles_without_a_word_build_with_a_warning(tmp_path: Path) -> None:
    site = write_site(tmp_path / "wordless", {"content/a.md": article("…", body=""), "content/b.md": article("?!", body="")})
    result = build(site)
    assert result.code == 0, result.output
    assert "error" not in result.err
    assert "warning: search: no article has any words to index; the search page will say so" in result.err
    assert not (site / "public/pagefind").exists()


FAILURES = {
    "exits with an error": ('echo "Error: the site folder is on fire" >&2\nexit 3\n',
                            "search: Pagefind failed to index the site: Error: the site folder is on fire"),
    "hangs": ("exec sleep 60\n", "search: Pagefind did not finish indexing"),
    "writes an unknown format": ('mkdir -p "$4"\necho \'{"languages": {"en": {"hash": "en_0"}}}\' > "$4/pagefind-entry.json"\n',
                                 "search: Pagefind wrote an index digest cannot make deterministic"),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_failing_indexer_fails_the_build_and_leaves_public_untouched(example_site: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    assert build(example_site).code == 0
    public = example_site / "public"
    story = example_site / "content/desalination-plan-revived.md"
    story.write_text(story.read_text().rstrip("\n") + "\n\nOne more line.\n")  # the index must be redone
    before = tree_state(public)
    script, message = FAILURES[failure]
    fake = _fake_pagefind(tmp_path, script)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(fake))
    monkeypatch.setattr(search, "TIMEOUT_BASE_SECONDS", 1.0)
    monkeypatch.setattr(search, "TIMEOUT_PER_PAGE_SECONDS", 0.0)
    result = build(example_site)
    assert result.code == 1
    assert f"{fake}: error: {message}" in result.err, result.err
    assert "uninstall pagefind" in result.err
    assert result.err.rstrip().splitlines()[-1].startswith("build failed: 1 error")
    assert tree_state(public) == before
    assert not list(example_site.glob(".digest-s*")), "staging or indexing folders left behind"


def test_failing_indexer_during_serve_keeps_the_last_good_site(example_site: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    serve = Rebuilder(BuildOptions(site=example_site))
    assert serve.rebuild(None).ok
    public = example_site / "public"
    before = tree_state(public)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(_fake_pagefind(tmp_path, "exit 7\n")))
    story = example_site / "content/desalination-plan-revived.md"
    story.write_text(story.read_text().rstrip("\n") + "\n\nOne more line.\n")
    result = serve.rebuild(["content/desalination-plan-revived.md"])
    assert not result.ok
    expected = f"search: Pagefind failed to index the site: exit status 7; {search.INSTALL_HINT}"
    assert [d.message for d in result.diagnostics] == [expected]
    assert tree_state(public) == before
    monkeypatch.delenv("PAGEFIND_BINARY_PATH")  # fixed: the next rebuild catches up
    assert serve.rebuild(None).ok
    assert tree_digest(public) == _clean_build(example_site, tmp_path, "clean")


# --- the page as HTML -----------------------------------------------------------------------------

def test_every_search_page_variant_is_valid_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built example's search page is checked with every page (test_html_valid.py); these are
    the other two: search off, and nothing to search."""
    jar = nu_checker_jar()
    empty = write_site(tmp_path / "empty", {})
    assert build(empty).code == 0
    off = write_site(tmp_path / "off", {"content/a.md": article("A story", tags="[Ports]")})
    _without_pagefind(monkeypatch, "package missing")
    assert build(off).code == 0
    pages = [str(empty / "public/search/index.html"), str(off / "public/search/index.html")]
    result = subprocess.run(["java", "-Xss4m", "-jar", str(jar), "--errors-only", "--format", "gnu", *pages],
                            check=False, capture_output=True, text=True, timeout=300)
    report = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and report == "", report
