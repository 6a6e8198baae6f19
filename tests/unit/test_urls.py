"""digest.urls on its own: every link the site makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.urls import UnsafePath, Urls, output_file

from ..conftest import config_for


def test_urls(tmp_path: Path) -> None:
    urls = Urls(config_for(tmp_path, "base_url: https://x.org/news/\n"))
    assert urls.link("", "articles/a/") == "articles/a/"
    assert urls.link("articles/a/", "") == "../../"
    assert urls.link("tags/b/page/2/", "tags/b/") == "../../../../tags/b/"
    assert urls.link("articles/a/", "tags/b/") == "../../tags/b/"
    assert urls.link("404.html", "tags/") == "/news/tags/"
    assert urls.absolute("tags/s-400/") == "https://x.org/news/tags/s-400/"
    assert urls.page("tags/x/", 1) == "tags/x/" and urls.page("tags/x/", 3) == "tags/x/page/3/"
    assert output_file("") == "index.html" and output_file("a/b/") == "a/b/index.html"
    for bad in ("../x/", "/etc/passwd", "a/../../b", "a\\b"):
        with pytest.raises(UnsafePath):
            output_file(bad)
