"""A saved news page (HTML) → Article, using trafilatura for the main text and metadata.

trafilatura is the field's standard extractor (best scores on the public news-extraction
benchmarks, maintained, Apache-2.0); we add only what the corpus showed it gets wrong:
the headline choice (it prefers og:title, which editors often shorten) and author noise.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from digest.diagnostics import Diagnostic

from .bylines import split_byline, squash
from .common import Article, ImportFailure, dedupe_tags, one_line, quote_folded
from .detect import root_element
from .markdown_out import WEB_SCHEMES, html_to_markdown, safe_url
from .registry import register

if TYPE_CHECKING:
    from lxml import etree

_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", " · ", " « ", " » ")


_HTML_HINT = re.compile(rb"<(?:!doctype\s+html|html|head|body|article|div|p)[\s>]", re.IGNORECASE)
_HTML_EXTENSIONS = (".html", ".htm", ".xhtml")


def looks_like_html(path: Path, data: bytes) -> bool:
    """An <html> root (or HTML DOCTYPE), page elements at the top, or an HTML extension."""
    root = root_element(data)
    if root == b"html":
        return True
    if root is not None and _HTML_HINT.search(data[:8192]):
        return True
    return path.suffix.lower() in _HTML_EXTENSIONS


def parse_page(data: bytes, origin: str) -> tuple[list[Article], list[Diagnostic]]:
    return [parse_html(data, origin)], []


def parse_html(data: bytes | str, origin: str) -> Article:
    """Extract one article from a page. Raises ImportFailure when no article text is found."""
    # Loaded on first use: reading the format names must stay cheap.
    import trafilatura
    from lxml import etree
    from lxml import html as lxml_html

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
    host = _host(url)
    author, credit = split_byline(doc.author or "", site, host)
    if not author:
        author, other_credit = split_byline("; ".join(meta.ld_authors + meta.meta.get("author", [])), site, host)
        credit = credit or other_credit
    art.author = author
    if credit and not art.source:
        art.source = credit  # an agency credit names who supplied the story, not who wrote it
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
        self.headlines = [_Headline.of(h) for h in list(tree.iter("h1"))[:8]]
        self.h1s = [h.text for h in self.headlines]
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


def choose_title(extracted: str, meta: _PageMeta, site: str, host: str) -> str:
    """The headline a reader sees: the <h1> heading the article, when there is one and its
    words differ from the metadata's; otherwise the page <title> without its site suffix when
    a second witness (h1, structured data, og:title) confirms it, else trafilatura's title.

    og:title and <title> are often rewritten for social media and search ("How to watch…"
    over a visible "The 21 best movies of 2017"); editors cite the headline on the page.
    """
    witnesses = {quote_folded(t) for t in meta.h1s + meta.ld_headlines + meta.meta.get("og:title", []) if t}
    chosen = ""
    # Shortest first: a witness that matches "A" in "A - B | Site" says "A" is the headline.
    for candidate in reversed(_prefixes(meta.page_title)):
        if quote_folded(candidate) in witnesses:
            chosen = candidate
            break
    else:
        title = one_line(extracted) or meta.page_title or (meta.h1s[0] if meta.h1s else "")
        chosen = strip_site_suffix(title, site, host)
    visible = visible_headline(meta, site, host, also=chosen)
    # Equal words (curly versus straight quotes, spacing) are no reason to switch.
    if visible and quote_folded(visible) != quote_folded(chosen):
        return visible
    return chosen


# Page furniture whose <h1> is not the article's: site logos, sign-up boxes, pop-ups.
_NOT_ARTICLE_TAGS = frozenset(["nav", "aside", "footer", "form", "dialog", "button", "a"])
_NOT_ARTICLE_NAMES = re.compile(r"modal|overlay|newsletter|sign-?up|subscribe|promo|related|comment|logo|masthead|menu|sailthru", re.IGNORECASE)
_HEADER_NAMES = re.compile(r"header|headline|hero|topper|article-?head|story-?head|entry-?title|post-?title", re.IGNORECASE)


class _Headline:
    """An <h1> and where it sits: heading the article, or in page furniture."""

    def __init__(self, text: str, in_article_header: bool, furniture: bool):
        self.text, self.in_article_header, self.furniture = text, in_article_header, furniture

    @classmethod
    def of(cls, h1: etree._Element) -> _Headline:
        in_header = in_article = furniture = False
        for el in h1.iterancestors():
            tag = el.tag if isinstance(el.tag, str) else ""
            names = f"{el.get('class', '')} {el.get('id', '')} {el.get('role', '')}"
            if tag in _NOT_ARTICLE_TAGS or _NOT_ARTICLE_NAMES.search(names):
                furniture = True
            if tag == "header" or _HEADER_NAMES.search(names):
                in_header = True
            if tag in ("article", "main") or "article" in names.lower():
                in_article = True
        return cls(one_line(h1.text_content()), in_header and in_article, furniture)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", quote_folded(text)))


def _agreement(a: str, b: str) -> float:
    """Share of words two titles have in common (Jaccard)."""
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa and wb else 0.0


def visible_headline(meta: _PageMeta, site: str, host: str, also: str = "") -> str:
    """The <h1> that heads the article: not in page furniture, not the site's name, and either
    inside the article's header or agreeing (half its words or more) with a metadata title."""
    others = [t for t in [also, meta.page_title, *meta.meta.get("og:title", []), *meta.meta.get("twitter:title", []),
                          *meta.ld_headlines] if t]
    site_names = {squash(n) for n in (site, host, host.split(".")[0] if host else "") if n}
    best, best_score = "", 0.0
    for h in meta.headlines:
        if not h.text or h.furniture or squash(h.text) in site_names or len(h.text.split()) < 2:
            continue
        score = max((_agreement(h.text, other) for other in others), default=0.0)
        if score < 0.5 and not h.in_article_header:
            continue
        if score > best_score or not best:
            best, best_score = h.text, score
    return best


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
    names = {quote_folded(site)} if site else set()
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
            t = quote_folded(tail).removeprefix("the ")
            squashed = t.replace(" ", "")
            if any(n and (t == n or squashed == n.replace(" ", "") or n.startswith(squashed) or squashed.startswith(n.split(".")[0]))
                   for n in names):
                title, changed = head.rstrip(), True
                break
    return title


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


register("html", looks_like_html, parse_page, priority=20)
