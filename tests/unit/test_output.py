"""digest.output on its own: staged, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.output import OutputError, StagedOutput


def test_staged_output_only_touches_public_on_commit(tmp_path: Path) -> None:
    out = tmp_path / "public"
    staged = StagedOutput(out)
    staged.add("", b"home")
    staged.add("a/", b"page a")
    assert not out.exists()
    assert staged.commit() == (2, 0)
    assert (out / "a/index.html").read_bytes() == b"page a"
    mtime = (out / "index.html").stat().st_mtime_ns
    again = StagedOutput(out)
    again.add("", b"home")
    assert again.commit() == (0, 1)  # a/ is stale and removed, home unchanged
    assert (out / "index.html").stat().st_mtime_ns == mtime and not (out / "a").exists()
    discarded = StagedOutput(out)
    discarded.add("", b"changed")
    discarded.discard()
    assert (out / "index.html").read_bytes() == b"home"
    assert not list(tmp_path.glob(".digest-staging-*"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("x")
    with pytest.raises(OutputError):
        StagedOutput(foreign)
