"""Sniffing a file's content: what is no article at all, and which element opens a markup file.

The format modules build their `detect` functions from these; the extension only breaks ties.
"""

from __future__ import annotations

import codecs
import json
import re

# Enough to see past any real prolog (XML declaration, comments, a DOCTYPE with an internal
# subset); a "prolog" longer than this is not a document we import.
PROLOG_LIMIT = 1 << 20
_HEAD = 8192

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_NAME = re.compile(rb"<([A-Za-z_][\w:.-]*)")
# Inside a DOCTYPE: quoted strings and comments may hold ">" or "]" that end nothing.
_DOCTYPE_TOKEN = re.compile(rb"\"[^\"]*\"|'[^']*'|<!--.*?-->|[\[\]>]", re.DOTALL)
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_MAGIC = (b"%PDF-", b"\x89PNG", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"\xff\xd8\xff", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf")


def strip_lead(data: bytes) -> bytes:
    """The data without byte-order marks and leading whitespace."""
    for bom in _BOMS:
        data = data.removeprefix(bom)
    return data.lstrip(b" \t\r\n")


def refuse_reason(data: bytes) -> str | None:
    """Why this file is no article (empty, binary, JSON), or None when an importer may try it."""
    head = data[:_HEAD]
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        return "empty file"
    if looks_binary(head):
        return "binary data"
    stripped = strip_lead(head)
    if stripped[:1] in (b"{", b"[") and _is_json(data):
        return "JSON data"
    return None


def looks_binary(head: bytes) -> bool:
    """A known binary signature, or more control bytes (or, in what is not UTF-8, more bytes
    above 127) than any text has. Random bytes are about one tenth control bytes and half
    high bytes; a scrape with a few stray control characters is text, cleaned later."""
    if head.startswith(_MAGIC):
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 text is full of NULs
    size = max(len(head), 1)
    controls = len(_CONTROL_BYTES.findall(head))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # the head may end mid-character
    except UnicodeDecodeError:
        high = sum(byte >= 0x80 for byte in head)
        return controls * 100 > 3 * size or high * 100 > 40 * size
    return controls * 100 > 10 * size


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        return False
    return True


def is_markup_document(data: bytes) -> bool:
    """Does the file open like an XML or HTML document (an XML declaration or a DOCTYPE)?"""
    start = strip_lead(data[:_HEAD])[:9].lower()
    return start.startswith(b"<?xml") or start == b"<!doctype"


def root_element(data: bytes) -> bytes | None:
    """Lower-cased name of the first element, past the XML declaration, comments and a
    DOCTYPE of any size (its internal subset included); None when there is none."""
    data = strip_lead(data[:PROLOG_LIMIT])
    pos = 0
    while True:
        while pos < len(data) and data[pos : pos + 1] in b" \t\r\n":
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos)
            if end < 0:
                return None
            pos = end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos)
            if end < 0:
                return None
            pos = end + 3
        elif data[pos : pos + 9].lower() == b"<!doctype":
            name = re.match(rb"\s*([A-Za-z_][\w:.-]*)", data[pos + 9 : pos + 200])
            if name and name.group(1).lower() == b"html":
                return b"html"
            end = _doctype_end(data, pos + 9)
            if end is None:
                return None
            pos = end
        else:
            m = _NAME.match(data, pos)
            return m.group(1).lower() if m else None


def _doctype_end(data: bytes, pos: int) -> int | None:
    depth = 0
    for token in _DOCTYPE_TOKEN.finditer(data, pos):
        mark = token.group()
        if mark == b"[":
            depth += 1
        elif mark == b"]":
            depth = max(depth - 1, 0)
        elif mark == b">" and depth == 0:
            return token.end()
    return None
