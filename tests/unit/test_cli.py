"""digest.cli on its own."""

from __future__ import annotations


def test_progress_line_draws_a_bar_and_clears_it() -> None:
    import io

    from digest.cli import ProgressLine

    stream = io.StringIO()
    progress = ProgressLine(stream, delay=0)
    progress("articles", 5, 10)
    progress("articles", 10, 10)
    progress.clear()
    text = stream.getvalue()
    assert "articles [###############...............] 5/10" in text
    assert "articles [##############################] 10/10" in text
    assert text.endswith("\r\x1b[K")
    quiet = io.StringIO()
    ProgressLine(quiet, delay=60)("pages", 1, 2)
    assert quiet.getvalue() == ""  # builds shorter than the delay show nothing

