"""The one URL helper: every link in every page is made here, never by concatenation in templates."""

from __future__ import annotations

import datetime as dt
import posixpath
from urllib.parse import quote, urlsplit

from .config import SiteConfig


class UnsafePath(ValueError):
    pass


class Urls:
    """Site paths are folder-style strings relative to the site root: `articles/x/`, `feed.xml`, `` (home)."""

    def __init__(self, config: SiteConfig):
        self.config = config
        self.links = config.permalinks

    def article(self, slug: str, date: dt.datetime) -> str:
        return self.links["article"].format(slug=slug, year=f"{date.year:04d}", month=f"{date.month:02d}", day=f"{date.day:02d}")

    def term(self, taxonomy: str, slug: str) -> str:
        return self.links["tag"].format(taxonomy=taxonomy, slug=slug)

    def taxonomy(self, taxonomy: str) -> str:
        return self.links["taxonomy"].format(taxonomy=taxonomy)

    def edition(self, day: dt.date) -> str:
        return self.links["edition"].format(date=day.isoformat(), year=f"{day.year:04d}", month=f"{day.month:02d}", day=f"{day.day:02d}")

    def archive(self) -> str:
        return self.links["archive"]

    def page(self, first: str, number: int) -> str:
        """Page N of a paginated listing whose first page lives at `first`."""
        return first if number == 1 else first + self.links["page"].format(page=number)

    def absolute(self, path: str) -> str | None:
        base = self.config.base_url
        return base + quote(path) if base else None

    def root_prefix(self, from_path: str) -> str:
        """What leads from the page at `from_path` back to the site root.

        Links are always root prefix + target path, so a link depends only on how deep the
        linking page is: pieces of HTML (story cards) can be rendered once per depth and reused.
        """
        if not self.config.relative_urls or from_path == "404.html":
            # 404.html is served at whatever URL was missing, so relative links would break there.
            return urlsplit(self.config.base_url).path if self.config.base_url else "/"
        return "../" * from_path.count("/")

    def link(self, from_path: str, to_path: str) -> str:
        """How the page at `from_path` refers to `to_path` (fragment and query allowed)."""
        if "://" in to_path or to_path.startswith(("mailto:", "#")):
            return to_path
        return quote(self.root_prefix(from_path) + to_path, safe="/#?=&:@%+") or "./"


def output_file(path: str) -> str:
    """The file a site path is written to, refusing anything that would leave the output folder."""
    file_path = path + "index.html" if path == "" or path.endswith("/") else path
    normal = posixpath.normpath(file_path)
    if normal.startswith(("../", "/")) or normal == ".." or "\\" in file_path or "\x00" in file_path:
        raise UnsafePath(f"refusing to write outside the output folder: {path!r}")
    return normal
