"""A saved news page (HTML) → Article, using trafilatura for the main text and metadata.

trafilatura is the field's standard extractor (best scores on the public news-extraction
benchmarks, maintained, Apache-2.0); we add only what the corpus showed it gets wrong:
the headline choice (it prefers og:title, which editors often shorten) and author noise.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from urllib.parse import urlsplit

import trafilatura
from lxml import etree
from lxml import html as lxml_html

from .common import Article, ImportFailure, dedupe_tags, one_line
from .markdown_out import WEB_SCHEMES, html_to_markdown, safe_url

_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", " · ", " « ", " » ")
_TRAILING_MONTH = re.compile(
    r"\s+(?:January|February|March|April|May|June|July|August|September|October|November|December)$"
)
_NOT_AUTHORS = re.compile(r"^(?:username|no author|admin|staff|editor|unknown|anonymous|null|none)$", re.IGNORECASE)


def parse_html(data: bytes | str, origin: str) -> Article:
    """Extract one article from a page. Raises ImportFailure when no article text is found."""
    if isinstance(data, bytes):
        data = decode_page(data)
    # lxml refuses str input that still declares an encoding in an XML prolog.
    data = re.sub(r"^\s*<\?xml[^>]*>", "", data)
    try:
        doc = trafilatura.bare_extraction(
            data,
            with_metadata=True,
            include_links=True,
            include_formatting=True,
            include_images=False,
            include_tables=True,
            include_comments=False,
        )
    except Exception as exc:  # trafilatura raises assorted parser errors on broken input
        raise ImportFailure(f"cannot parse page: {exc}") from exc
    if doc is None or getattr(doc, "body", None) is None:
        raise ImportFailure("no article text found in the page")
    try:
        tree = lxml_html.fromstring(data)
    except (etree.ParserError, ValueError) as exc:
        raise ImportFailure(f"cannot parse page: {exc}") from exc

    meta = _PageMeta(tree)
    art = Article(origin=origin)
    site = one_line(doc.sitename or meta.first("og:site_name") or "")
    # The first candidate that is a usable web address (a relative canonical is not).
    url = next((u for u in (safe_url(c, schemes=WEB_SCHEMES) for c in (meta.canonical, meta.first("og:url"), doc.url)) if u), "")
    art.source_url = url
    art.source = site or _host(url)
    art.title = choose_title(doc.title or "", meta, site, _host(url))
    if not art.title:
        raise ImportFailure("page has no title")
    # trafilatura rejects some bylines it cannot verify; the page's own author fields are
    # the next best witness.
    art.author = clean_author(doc.author or "") or clean_author("; ".join(meta.ld_authors + meta.meta.get("author", [])))
    art.date = _precise_date(doc.date, meta)
    # trafilatura hands back keyword meta tags as one comma-joined string.
    art.tags = dedupe_tags([t for raw in list(doc.categories or []) + list(doc.tags or []) for t in raw.split(",")])
    art.summary = one_line(doc.description or meta.first("og:description") or meta.first("twitter:description") or "")
    art.body = html_to_markdown(doc.body, base_url=url)
    if not art.body.strip():
        raise ImportFailure("no article text found in the page")
    return art


class _PageMeta:
    """The few <head> facts trafilatura does not hand back: candidate headlines, canonical URL, times."""

    def __init__(self, tree: etree._Element):
        self.meta: dict[str, list[str]] = {}
        for m in tree.iter("meta"):
            key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
            if key and m.get("content"):
                self.meta.setdefault(key, []).append(m.get("content", ""))
        canon = tree.xpath('//link[translate(@rel, "CANONIAL", "canonial")="canonical"]/@href')
        self.canonical = str(canon[0]).strip() if canon else ""
        self.page_title = one_line(" ".join(str(t) for t in tree.xpath("//head/title//text()")) or
                                   " ".join(str(t) for t in tree.xpath("//title[1]//text()")))
        self.h1s = [one_line(h.text_content()) for h in tree.iter("h1")][:5]
        self.ld_headlines: list[str] = []
        self.ld_dates: list[str] = []
        self.ld_authors: list[str] = []
        for script in tree.xpath('//script[@type="application/ld+json"]'):
            text = script.text or ""
            try:
                pairs = list(_walk(json.loads(text)))
            except (ValueError, TypeError, RecursionError):
                # Broken JSON-LD is common (trailing commas, raw newlines); the fields we
                # want are simple strings, so read them one by one.
                pairs = [(k, _json_string(v)) for k, v in re.findall(r'"(headline|datePublished)"\s*:\s*"((?:[^"\\]|\\.)*)"', text)]
            for key, value in pairs:
                if key == "headline" and isinstance(value, str):
                    self.ld_headlines.append(one_line(value))
                elif key == "datePublished" and isinstance(value, str):
                    self.ld_dates.append(value)
                elif key == "author":
                    self.ld_authors += _names(value)

    def first(self, key: str) -> str:
        values = self.meta.get(key.lower())
        return values[0] if values else ""


def _names(value: object) -> list[str]:
    """JSON-LD author: a string, a Person/Organization object, or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and value.get("@type", "Person") == "Person" and isinstance(value.get("name"), str):
        return [value["name"]]
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    return []


def _json_string(raw: str) -> str:
    try:
        return json.loads(f'"{raw}"')
    except ValueError:
        return raw


def _walk(data: object, depth: int = 0):
    if depth > 8:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            yield k, v
            yield from _walk(v, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item, depth + 1)


def _norm(text: str) -> str:
    return " ".join(text.translate(str.maketrans("‘’“”", "''\"\"")).split()).casefold()


def choose_title(extracted: str, meta: _PageMeta, site: str, host: str) -> str:
    """The page <title> without its site suffix when the page's visible headline (h1) or its
    structured data confirms it; otherwise trafilatura's title, without a site suffix.

    <title> is what the publisher calls the article; og:title (trafilatura's first choice)
    is often a shortened social-media variant, which is why we want a second witness.
    """
    witnesses = {_norm(t) for t in meta.h1s + meta.ld_headlines + meta.meta.get("og:title", []) if t}
    # Shortest first: a witness that matches "A" in "A - B | Site" says "A" is the headline.
    for candidate in reversed(_prefixes(meta.page_title)):
        if _norm(candidate) in witnesses:
            return candidate
    title = one_line(extracted) or meta.page_title or (meta.h1s[0] if meta.h1s else "")
    return strip_site_suffix(title, site, host)


def decode_page(data: bytes) -> str:
    """Bytes → text: a BOM or a declared charset wins, then UTF-8, then Windows-1252
    (what browsers assume for undeclared Western pages)."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, errors="replace")
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", data[:4096], re.IGNORECASE)
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _prefixes(title: str) -> list[str]:
    """'A - B | C' → ['A - B | C', 'A - B', 'A']: the title with trailing segments removed."""
    out = [title] if title else []
    while True:
        cut = max((title.rfind(sep) for sep in _SEPARATORS), default=-1)
        if cut <= 0:
            return out
        title = title[:cut].rstrip()
        out.append(title)


def strip_site_suffix(title: str, site: str, host: str) -> str:
    """Drop ' | The Japan Times'-style tails that name the site."""
    names = {_norm(site)} if site else set()
    if host:
        bare = host.removeprefix("www.")
        names |= {bare.casefold(), bare.split(".")[0].casefold()}
    changed = True
    while changed:
        changed = False
        for sep in _SEPARATORS:
            head, found, tail = title.rpartition(sep)
            if not found or not head:
                continue
            t = _norm(tail).removeprefix("the ")
            squashed = t.replace(" ", "")
            if any(n and (t == n or squashed == n.replace(" ", "") or n.startswith(squashed) or squashed.startswith(n.split(".")[0]))
                   for n in names):
                title, changed = head.rstrip(), True
                break
    return title


def clean_author(raw: str) -> str:
    """trafilatura joins authors with '; '; drop placeholders and case-insensitive repeats."""
    names = []
    seen = set()
    for part in re.split(r";", raw):
        name = one_line(re.sub(r"^by\s+", "", part.strip(), flags=re.IGNORECASE))
        # A byline glued to its date line ("Joshua Sokol May 20, 2019") leaves a month behind.
        name = _TRAILING_MONTH.sub("", name)
        if not name or _NOT_AUTHORS.match(name) or re.search(r"\d", name):
            continue
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return ", ".join(names)


def _precise_date(day: str | None, meta: _PageMeta) -> date | datetime | None:
    """trafilatura's date (day precision, its heuristics pick the right one among several),
    refined to a full timestamp when a published-time field states the same day."""
    if not day:
        return None
    try:
        base = date.fromisoformat(day[:10])
    except ValueError:
        return None
    stamps = meta.meta.get("article:published_time", []) + meta.meta.get("datepublished", []) + meta.ld_dates
    for stamp in stamps:
        try:
            value = datetime.fromisoformat(stamp.strip())
        except ValueError:
            continue
        if value.date() == base and value.tzinfo is not None:
            return value
    return base


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").removeprefix("www.")
    except ValueError:
        return ""
