"""HTML (or trafilatura's XML) → Markdown, sanitising by construction.

Nothing is copied through as markup: every text node is escaped, only a whitelist of
elements becomes Markdown syntax, and links/images keep only http(s)/mailto URLs. So no
<script>, event handler or javascript: URL can reach a content file, whatever the input.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

from .common import clean_text, escape_inline

if TYPE_CHECKING:
    from lxml import etree

# Elements whose content is never article text.
_DROP = frozenset(
    ["script", "style", "noscript", "template", "iframe", "object", "embed", "applet", "form", "input", "button", "select", "textarea", "svg", "math", "canvas", "video", "audio", "source", "track", "nav", "aside", "footer", "header", "head", "title", "meta", "link", "base"]
)
_BLOCK = frozenset(
    ["p", "div", "section", "article", "main", "body", "html", "blockquote", "quote", "ul", "ol", "list", "li", "item", "h1", "h2", "h3", "h4", "h5", "h6", "head", "pre", "table", "tr", "row", "td", "th", "cell", "thead", "tbody", "tfoot", "figure", "figcaption", "dl", "dt", "dd", "hr", "address", "center"]
)
# Deeper quotes are written at this depth: nobody quotes five levels deep on purpose, and a
# page nesting thousands of <blockquote>s must not become Markdown too deep to render.
MAX_QUOTE_DEPTH = 4
_SAFE_SCHEMES = ("http", "https", "mailto")
WEB_SCHEMES = ("http", "https")  # what the engine accepts for `source_url`


def safe_url(url: str | None, base: str = "", schemes: tuple[str, ...] = _SAFE_SCHEMES) -> str:
    """An absolute URL in one of `schemes` (default http, https, mailto) with
    Markdown-significant characters percent-encoded, or ''."""
    if not url:
        return ""
    url = "".join(ch for ch in url.strip() if ch >= " " and ch != "\x7f")
    if base:
        url = urljoin(base, url)
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    if scheme not in schemes:
        return ""
    return quote(url, safe="/:?&=#%@+,;~!$'*-._")


class _Converter:
    def __init__(self, base_url: str):
        self.base = base_url
        self.blocks: list[str] = []

    # -- inline ---------------------------------------------------------
    def inline(self, el: etree._Element) -> str:
        parts: list[str] = []
        if el.text:
            parts.append(escape_inline(_ws(el.text)))
        for child in el:
            parts.append(self.inline_child(child))
            if child.tail:
                parts.append(escape_inline(_ws(child.tail)))
        return "".join(parts)

    def inline_child(self, el: etree._Element) -> str:
        tag = _tag(el)
        if tag in _DROP:
            return ""
        if tag in ("br", "lb"):
            return "\n"
        inner = self.inline(el)
        rend = (el.get("rend") or "").lower()
        if tag in ("em", "i", "cite", "dfn") or (tag == "hi" and "#i" in rend):
            return _wrap(inner, "*")
        if tag in ("strong", "b") or (tag == "hi" and "#b" in rend):
            return _wrap(inner, "**")
        if tag in ("code", "kbd", "samp", "tt") or (tag == "hi" and "#t" in rend):
            return _code_span(_ws(_text(el)))
        if tag in ("a", "ref"):
            url = safe_url(el.get("href") or el.get("target"), self.base)
            label = inner.strip()
            if url and label:
                return f"[{label}]({url})"
            return inner
        if tag in ("img", "graphic"):
            url = safe_url(el.get("src"), self.base)
            alt = escape_inline(_ws(el.get("alt") or "")).strip()
            return f"![{alt}]({url})" if url else alt
        return inner

    # -- blocks ---------------------------------------------------------
    def block(self, el: etree._Element, quote_depth: int = 0) -> None:
        tag = _tag(el)
        if tag in _DROP:
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6") or tag == "head":
            rend = el.get("rend") or "h2"  # trafilatura marks <head> levels as rend="h3"
            level = int(tag[1]) if tag != "head" else int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            text = _one(self.inline(el))
            if text.endswith("#"):
                text = text[:-1] + "\\#"  # a trailing "#" would be read as a closing marker
            if text:
                # Below the page title, which the theme renders as h1.
                self.emit("#" * max(2, min(level, 6)) + " " + text, quote_depth)
            return
        if tag in ("ul", "ol", "list"):
            self.list_block(el, quote_depth, ordered=tag == "ol" or (el.get("rend") or "") == "ol")
            return
        if tag in ("blockquote", "quote"):
            self.mixed(el, min(quote_depth + 1, MAX_QUOTE_DEPTH))
            return
        if tag == "pre":
            self.emit(_fence(_text(el)), quote_depth)
            return
        if tag == "hr":
            return
        if tag in ("table",):
            for row in el.iter("tr", "row"):
                cells = [_one(self.inline(c)) for c in row if _tag(c) in ("td", "th", "cell")]
                cells = [c for c in cells if c]
                if cells:
                    self.emit(" — ".join(cells), quote_depth)
            return
        self.mixed(el, quote_depth)

    def mixed(self, el: etree._Element, quote_depth: int) -> None:
        """A container that may hold both loose text and block children."""
        pending: list[str] = []

        def flush() -> None:
            text = "".join(pending)
            pending.clear()
            para = _paragraph(text)
            if para:
                self.emit(para, quote_depth)

        if el.text:
            pending.append(escape_inline(_ws(el.text)))
        for child in el:
            if _tag(child) in _BLOCK and _tag(child) not in ("li", "item"):
                flush()
                self.block(child, quote_depth)
            else:
                pending.append(self.inline_child(child))
            if child.tail:
                pending.append(escape_inline(_ws(child.tail)))
        flush()

    def list_block(self, el: etree._Element, quote_depth: int, ordered: bool) -> None:
        lines = []
        n = 0
        for item in el:
            if _tag(item) not in ("li", "item"):
                continue
            text = _one(self.inline(item))
            if not text:
                continue
            n += 1
            lines.append(f"{n}. {text}" if ordered else f"- {text}")
        if lines:
            self.emit("\n".join(lines), quote_depth)

    def emit(self, text: str, quote_depth: int) -> None:
        if quote_depth:
            prefix = "> " * quote_depth
            text = "\n".join(prefix + line if line else prefix.rstrip() for line in text.split("\n"))
        self.blocks.append(text)


_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")


def _tag(el: etree._Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):  # comments, processing instructions
        return "script"
    local = tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]  # "{namespace}name", "prefix:name"
    if not _NAME.fullmatch(local):
        return "script"  # a name no real element has ("scr<script"): treat as hostile, drop it
    return local.lower()


def _text(el: etree._Element) -> str:
    return "".join(el.itertext())


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", clean_text(text))


def _one(text: str) -> str:
    return " ".join(text.split())


def _wrap(inner: str, mark: str) -> str:
    stripped = inner.strip()
    if not stripped:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()) :]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _code_span(text: str) -> str:
    # Python-Markdown has no entity decoding inside code spans, so the text goes in raw,
    # fenced by more backticks than it contains.
    text = text.strip()
    if not text:
        return ""
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str) -> str:
    # An indented block is core Markdown (fenced code needs an extension) and, like a code
    # span, shows its content literally: "<script>" in a code sample stays text.
    lines = clean_text(text).strip("\n").split("\n")
    return "\n".join("    " + line.rstrip() for line in lines).rstrip()


def _paragraph(text: str) -> str:
    """Inline Markdown (already escaped) → a paragraph; hard breaks kept, line starts made safe."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    # The text was escaped inline already; only line-start syntax still needs guarding.
    safe = [escape_line_start(line) for line in lines]
    return "  \n".join(safe)  # two trailing spaces: Markdown's hard line break


def escape_line_start(line: str) -> str:
    """Guard list/heading/setext markers at the start of an already inline-escaped line."""
    m = re.match(r"^(\d+)([.)])(\s|$)", line)
    if m:
        return f"{m.group(1)}\\{m.group(2)}{line[m.end(2):]}"
    if line[:1] in "-+#":
        return "\\" + line
    if line[:1] in "=:%":
        return f"&#{ord(line[0])};" + line[1:]
    return line


def html_to_markdown(fragment: str | etree._Element, base_url: str = "") -> str:
    """Convert an HTML fragment (string) or a parsed element to safe Markdown."""
    from lxml import etree
    from lxml import html as lxml_html

    if isinstance(fragment, str):
        if not fragment.strip():
            return ""
        try:
            root = lxml_html.fragment_fromstring(fragment, create_parent="div")
        except (etree.ParserError, ValueError):
            return _paragraph(escape_inline(_ws(fragment)))
    else:
        root = fragment
    conv = _Converter(base_url)
    conv.block(root)
    return "\n\n".join(b for b in conv.blocks if b.strip())


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feed titles carry <b> and entities)."""
    if not fragment or "<" not in fragment and "&" not in fragment:
        return _one(clean_text(fragment or ""))
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return _one(clean_text(fragment))
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    return _one(clean_text(root.text_content()))
