"""A site folder's `.cache/` is input like any other: whatever it holds, building runs none of it, and
cache writes never leave the site."""

from __future__ import annotations

import marshal
import os
import pickle
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.atomic import read_sealed, seal, unseal, write_sealed

from .conftest import REPO, build, tree_digest

MARKER = "digest-cache-was-executed"


class _Exploit:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    return site


def _plant(site: Path, marker: Path) -> None:
    """What a hostile repository could commit: every cache file, as pickles and code that run a command."""
    cache = site / ".cache"
    (cache / "builds").mkdir(parents=True)
    (cache / "templates").mkdir()
    evil = pickle.dumps(_Exploit(marker))
    (cache / "related.pickle").write_bytes(evil)
    (cache / "articles.pack").write_bytes(len(evil).to_bytes(4, "big") + evil)
    for name in ("0" * 16 + ".pickle", "0" * 16 + ".last"):
        (cache / "builds" / name).write_bytes(evil)
    # Jinja bytecode: its magic header, a checksum, then marshalled code that runs the command.
    code = compile(f"import os; os.system('touch {marker}')", "<evil>", "exec")
    for name in ("a" * 40, "b" * 40):
        (cache / "templates" / name).write_bytes(b"j2" + marshal.dumps(code))


def test_a_planted_cache_is_never_loaded(tmp_path: Path) -> None:
    site = _site(tmp_path)
    marker = tmp_path / MARKER
    _plant(site, marker)
    # The planted files also sit where this site's real ones go, whatever their names.
    from digest.incremental import state_file

    real_state = state_file(site, site / "public")
    evil = pickle.dumps(_Exploit(marker))
    real_state.write_bytes(evil)
    real_state.with_suffix(".last").write_bytes(evil)
    first = build(site)
    assert first.code == 0, first.output
    second = build(site)
    assert second.code == 0 and not marker.exists()
    clean = _site(tmp_path / "clean")
    assert build(clean).code == 0
    assert tree_digest(site / "public") == tree_digest(clean / "public")


def test_a_cache_link_out_of_the_site_gets_no_writes(tmp_path: Path) -> None:
    site = _site(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (site / ".cache").symlink_to(elsewhere, target_is_directory=True)
    result = build(site)
    assert result.code == 0, result.output
    assert list(elsewhere.iterdir()) == []
    assert build(site).code == 0  # and builds on, without a cache


def test_a_cache_file_replaced_by_a_link_is_not_followed(tmp_path: Path) -> None:
    site = _site(tmp_path)
    assert build(site).code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    pack = site / ".cache" / "articles.pack"
    pack.unlink()
    pack.symlink_to(victim)
    (site / "content" / "port-strike-begins-at-harwick.md").touch()
    assert build(site).code == 0
    assert victim.read_text() == "keep me"


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_only_what_this_user_sealed_is_unsealed(data: bytes) -> None:
    assert unseal(seal(data)) == data
    assert unseal(data) is None  # unsealed bytes, however they look
    sealed = bytearray(seal(data))
    sealed[len(sealed) // 2] ^= 1
    assert unseal(bytes(sealed)) is None


def test_sealed_files_round_trip_and_refuse_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x"
    write_sealed(path, b"payload")
    assert read_sealed(path) == b"payload"
    path.write_bytes(b"payload")
    assert read_sealed(path) is None
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_sealed(fifo) is None  # and does not block
