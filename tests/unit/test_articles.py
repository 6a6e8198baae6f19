"""digest.build.articles on its own: the stat index, the packed cache file, and when a file is read."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from digest.build import articles
from digest.build.articles import ArticleStore, LoadStats, load_articles, settings_key
from digest.build.sources import content_files
from digest.config import SiteConfig
from digest.diagnostics import Diagnostics

from ..conftest import article

OLD = time.time_ns() - 60 * 1_000_000_000  # a minute ago: outside the racy window


def _site(tmp_path: Path, count: int = 3) -> SiteConfig:
    (tmp_path / "content").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        path = tmp_path / "content" / f"s{i}.md"
        path.write_text(article(f"Story {i}", body=f"Body {i}."))
        os.utime(path, ns=(OLD, OLD))
    return SiteConfig(root=tmp_path)


def _load(config: SiteConfig, store: ArticleStore) -> LoadStats:
    stats = LoadStats()
    diags = Diagnostics()
    load_articles(config, content_files(config), store, diags, 1, lambda *_: None, stats)
    assert not diags.errors, diags.items
    return stats


def _titles(store: ArticleStore) -> dict[str, str]:
    return {rel: record.article.title for rel, record in store.records.items() if record.article}


def test_an_unchanged_file_is_not_even_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(tmp_path)
    store = ArticleStore(tmp_path)
    assert _load(config, store).processed == 3
    store.save()
    opened: list[str] = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: opened.append(self.name) or real(self))
    fresh = ArticleStore(tmp_path)  # a new process: from the pack file
    stats = _load(config, fresh)
    assert (stats.unopened, stats.processed, opened) == (3, 0, [])
    assert _titles(fresh) == {"content/s0.md": "Story 0", "content/s1.md": "Story 1", "content/s2.md": "Story 2"}


def test_a_save_within_the_same_clock_tick_is_still_seen(tmp_path: Path) -> None:
    """A file read less than RACY_NS after its last change proves nothing: same size, same time,
    new bytes must still be noticed."""
    config = _site(tmp_path, 1)
    path = tmp_path / "content/s0.md"
    now = time.time_ns()
    os.utime(path, ns=(now, now))
    store = ArticleStore(tmp_path)
    _load(config, store)
    path.write_text(path.read_text().replace("Story 0", "Story X"))  # same size
    os.utime(path, ns=(now, now))  # and the same modification time
    stats = _load(config, store)
    assert stats.processed == 1 and _titles(store)["content/s0.md"] == "Story X"


def test_a_touched_but_unchanged_file_is_hashed_not_parsed(tmp_path: Path) -> None:
    config = _site(tmp_path, 2)
    store = ArticleStore(tmp_path)
    _load(config, store)
    later = OLD + 5_000_000_000
    os.utime(tmp_path / "content/s1.md", ns=(later, later))
    stats = _load(config, store)
    assert (stats.unopened, stats.unchanged, stats.processed) == (1, 1, 0)


def test_the_pack_is_appended_to_then_rewritten_when_mostly_stale(tmp_path: Path) -> None:
    config = _site(tmp_path, 4)
    store = ArticleStore(tmp_path)
    _load(config, store)
    store.save()
    size = store.pack.stat().st_size
    for round_ in range(12):
        path = tmp_path / "content/s0.md"
        path.write_text(article("Story 0", body=f"Edit {round_}."))
        stamp = OLD + (round_ + 1) * 10_000_000_000
        os.utime(path, ns=(stamp, stamp))
        _load(config, store)
        store.save()
        reread = ArticleStore(tmp_path)  # the next process
        assert _load(config, reread).processed == 0
        assert reread.records["content/s0.md"].article.body.strip() == f"Edit {round_}."
    assert store.pack.stat().st_size < 20 * size  # rewritten, not grown without bound


def test_a_damaged_pack_keeps_what_precedes_the_damage(tmp_path: Path) -> None:
    config = _site(tmp_path, 3)
    store = ArticleStore(tmp_path)
    _load(config, store)
    store.save()
    with open(store.pack, "ab") as handle:
        handle.write(b"\x80\x05garbage that is not a pickle")  # a crash in the middle of an append
    fresh = ArticleStore(tmp_path)
    assert _load(config, fresh).processed == 0
    store.pack.write_bytes(b"not a pack at all")
    assert _load(config, ArticleStore(tmp_path)).processed == 3


def test_other_article_settings_never_reuse_an_entry(tmp_path: Path) -> None:
    config = _site(tmp_path, 2)
    store = ArticleStore(tmp_path)
    _load(config, store)
    store.save()
    other = SiteConfig(root=tmp_path, timezone="Asia/Tokyo")
    assert settings_key(other) != settings_key(config)
    assert _load(other, ArticleStore(tmp_path)).processed == 2
    assert _load(other, store).processed == 2


def test_deleted_files_leave_the_store_and_the_pack(tmp_path: Path) -> None:
    config = _site(tmp_path, 3)
    store = ArticleStore(tmp_path)
    _load(config, store)
    store.save()
    (tmp_path / "content/s1.md").unlink()
    _load(config, store)
    store.save()
    fresh = ArticleStore(tmp_path)
    _load(config, fresh)
    assert sorted(fresh.records) == ["content/s0.md", "content/s2.md"]


def test_forget_reads_a_file_again(tmp_path: Path) -> None:
    config = _site(tmp_path, 2)
    store = ArticleStore(tmp_path)
    _load(config, store)
    store.forget(["content/s0.md"])
    stats = _load(config, store)
    assert stats.unopened == 1 and stats.unchanged + stats.processed == 1


def test_the_pool_and_one_process_give_the_same_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _site(tmp_path, 12)
    serial = ArticleStore(tmp_path)
    load_articles(config, content_files(config), serial, Diagnostics(), 1, lambda *_: None)
    monkeypatch.setattr(articles, "PARALLEL_THRESHOLD", 2)
    pooled = ArticleStore(tmp_path / "elsewhere")
    load_articles(config, content_files(config), pooled, Diagnostics(), 2, lambda *_: None)
    assert {rel: (r.key, r.article, r.rendered) for rel, r in serial.records.items()} == \
           {rel: (r.key, r.article, r.rendered) for rel, r in pooled.records.items()}


def test_a_pack_for_other_settings_is_replaced_not_appended_to(tmp_path: Path) -> None:
    config = _site(tmp_path, 2)
    store = ArticleStore(tmp_path)
    _load(config, store)
    store.save()
    other = SiteConfig(root=tmp_path, timezone="Asia/Tokyo")
    first = ArticleStore(tmp_path)  # a new process with other settings: nothing reusable
    assert _load(other, first).processed == 2
    first.save()
    second = ArticleStore(tmp_path)  # the next one reads what the first wrote
    assert _load(other, second).processed == 0
