"""Which importer a file needs, decided by its content (the extension only breaks ties)."""

from __future__ import annotations

import re
from pathlib import Path

FORMATS = ("text", "html", "feed")

_FIRST_TAG = re.compile(rb"<([A-Za-z][\w:.-]*)")
_FEED_ROOTS = {b"rss", b"feed", b"rdf:rdf", b"rdf", b"channel"}
_HTML_HINT = re.compile(rb"<(?:!doctype\s+html|html|head|body|article|div|p)[\s>]", re.IGNORECASE)


def detect_format(path: Path, data: bytes) -> str | None:
    """'text', 'html' or 'feed'; None for what is not an article (binary, JSON, empty)."""
    head = data[:8192]
    if not head.strip():
        return None
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # binary
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return None  # JSON metadata such as the corpus's sidecar files
    if stripped.startswith(b"<"):
        root = _root_element(stripped)
        if root in _FEED_ROOTS:
            return "feed"
        if root == b"html" or _HTML_HINT.search(stripped):
            return "html"
    ext = path.suffix.lower()
    if ext in (".rss", ".atom", ".xml", ".rdf") and re.search(rb"<(?:rss|feed|rdf:RDF)[\s>]", head, re.IGNORECASE):
        return "feed"
    if ext in (".html", ".htm", ".xhtml") or (stripped.startswith(b"<") and _HTML_HINT.search(head)):
        return "html"
    return "text"


def _root_element(data: bytes) -> bytes | None:
    """Name of the first element, skipping the XML declaration, comments and doctype."""
    pos = 0
    while True:
        data = data[pos:].lstrip()
        if data.startswith(b"<?"):
            pos = data.find(b"?>") + 2
        elif data.startswith(b"<!--"):
            end = data.find(b"-->")
            if end < 0:
                return None
            pos = end + 3
        elif data[:9].lower() == b"<!doctype":
            if b"html" in data[:20].lower():
                return b"html"
            pos = data.find(b">") + 1
        else:
            m = _FIRST_TAG.match(data)
            return m.group(1).lower() if m else None
        if pos <= 0:
            return None
