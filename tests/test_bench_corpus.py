"""The benchmark's corpus generator: deterministic, the size asked, valid, realistic.

Fast (about a second): the benchmark itself is never run by the test suite.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import markdown
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # bench/ is a tool, not an installed package

from bench import corpus

N = 1500
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _split(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    corpus.write_digest(root, corpus.generate(N, seed=7))
    return root


@pytest.fixture(scope="module")
def parsed(site: Path) -> list[tuple[str, dict, str]]:
    out = []
    for p in sorted((site / "content").glob("*.md")):
        meta, body = _split(p.read_text())
        out.append((p.stem, meta, body))
    return out


def test_same_seed_same_bytes(site: Path, tmp_path: Path) -> None:
    corpus.write_digest(tmp_path / "again", corpus.generate(N, seed=7))
    assert _tree_digest(tmp_path / "again") == _tree_digest(site)
    corpus.write_digest(tmp_path / "other", corpus.generate(N, seed=8))
    assert _tree_digest(tmp_path / "other") != _tree_digest(site)


def test_requested_number_of_articles_and_site_yaml(site: Path, parsed: list) -> None:
    assert len(parsed) == N
    assert all(SLUG.match(slug) for slug, _, _ in parsed)
    assert yaml.safe_load((site / "site.yaml").read_text()) == {
        "title": "Bench digest",
        "base_url": "https://bench.example.org/",
        "timezone": "UTC",
    }


def test_front_matter_is_valid(parsed: list) -> None:
    # related may name an article by exact title or by slug
    by_ref = {ref: meta["date"] for slug, meta, _ in parsed for ref in (slug, meta["title"])}
    titles = [m["title"] for _, m, _ in parsed]
    assert len(set(titles)) == N
    for _, meta, _ in parsed:
        assert isinstance(meta["title"], str) and meta["title"]
        assert isinstance(meta["date"], datetime) and meta["date"].tzinfo is not None
        for key in ("source", "source_url", "author", "section"):
            assert isinstance(meta[key], str) and meta[key], key
        assert meta["source_url"].startswith("https://")
        assert isinstance(meta["tags"], list) and 1 <= len(meta["tags"]) <= 6
        assert len(set(meta["tags"])) == len(meta["tags"])
        related = meta.get("related", [])
        assert len(related) <= 3
        for ref in related:
            assert by_ref[ref] < meta["date"], "related must point to an earlier article"
        for ann in meta.get("annotations", []):
            assert set(ann) == {"quote", "note", "kind"}
            assert ann["kind"] in {"context", "fact-check", "correction", "analysis"}
        assert "summary" not in meta or isinstance(meta["summary"], str)


def test_shares_match_the_brief(parsed: list) -> None:
    annotated = sum(1 for _, m, _ in parsed if m.get("annotations")) / N
    summarised = sum(1 for _, m, _ in parsed if "summary" in m) / N
    assert 0.25 <= annotated <= 0.35
    assert 0.45 <= summarised <= 0.55
    dates = sorted(m["date"] for _, m, _ in parsed)
    assert N / 20 * 0.9 <= (dates[-1] - dates[0]).days <= N / 20


def test_bodies_are_realistic_markdown(parsed: list) -> None:
    words = [len(re.sub(r"\[\^\d+\]:?", " ", body).split()) for _, _, body in parsed]
    assert 550 <= sum(words) / N <= 700
    bodies = "".join(body for _, _, body in parsed)
    for feature in ("*", "**", "](https://", "\n- ", "\n## ", "[^1]", "\n[^1]: "):
        assert feature in bodies, feature


def test_annotation_quotes_are_in_one_rendered_paragraph(parsed: list) -> None:
    md = markdown.Markdown(extensions=["footnotes"])
    checked = 0
    for _, meta, body in parsed[:300]:
        if not meta.get("annotations"):
            continue
        html = md.reset().convert(body)
        paragraphs = [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", html, re.DOTALL)]
        for ann in meta["annotations"]:
            assert any(ann["quote"] in p for p in paragraphs), ann["quote"]
            checked += 1
    assert checked > 50


def test_tags_are_zipf_distributed(parsed: list) -> None:
    counts = sorted(Counter(t for _, m, _ in parsed for t in m["tags"]).values(), reverse=True)
    assert len(counts) > 300  # a long tail from a pool of ~500
    # Slope of log(frequency) against log(rank) over the head: ~-1 for Zipf's law.
    pts = [(math.log(r), math.log(c)) for r, c in enumerate(counts[:100], 1)]
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    slope = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
    assert -1.4 <= slope <= -0.6, slope


def test_peer_corpora_hold_the_same_articles(tmp_path: Path) -> None:
    articles = corpus.generate(50, seed=3)
    corpus.write_pelican(tmp_path / "pelican", articles)
    corpus.write_hugo(tmp_path / "hugo", articles)
    for a in articles:
        pel = (tmp_path / "pelican" / "content" / f"{a.slug}.md").read_text()
        header, body = pel.split("\n\n", 1)
        assert body == a.body
        assert f"Tags: {', '.join(a.tags)}" in header.splitlines()
        meta, hbody = _split((tmp_path / "hugo" / "content" / "posts" / f"{a.slug}.md").read_text())
        assert hbody.lstrip("\n") == a.body
        assert meta["tags"] == a.tags and meta["title"] == a.title
    assert (tmp_path / "pelican" / "pelicanconf.py").exists()
    assert (tmp_path / "hugo" / "layouts" / "_default" / "single.html").exists()
