"""The one place where text becomes a URL slug."""

from __future__ import annotations

import re
from functools import lru_cache

from slugify import slugify as _transliterating_slugify

# Article slugs are written by people and must already be safe; anything else is an error,
# never silently rewritten (a silent rewrite would break links other articles make to it).
ARTICLE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@lru_cache(maxsize=65536)
def slugify(text: str) -> str:
    """Transliterate to lowercase ASCII words joined by hyphens ('Москва' -> 'moskva').

    May return '' (for '!!!'); callers decide whether that is an error.
    """
    return _transliterating_slugify(text, lowercase=True, separator="-")


def is_valid_article_slug(slug: str) -> bool:
    return bool(ARTICLE_SLUG.match(slug))


@lru_cache(maxsize=65536)
def tag_key(name: str) -> str:
    """Tags that differ only in case or spacing are one tag."""
    return " ".join(name.split()).casefold()
