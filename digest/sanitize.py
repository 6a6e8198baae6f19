"""The one allow-list every piece of HTML made from content passes through.

Article bodies, editor's notes and annotation notes are Markdown written (or imported) by people
we do not fully trust, so the HTML Markdown makes of them is cleaned with nh3 (the Python binding
of the Rust sanitiser ammonia, which parses the fragment with the browser's own HTML5 algorithm)
against the policy below, and only the cleaned string ever reaches a page, a card, a feed or the
JSON-LD. The policy is data, so it can be read, documented (README "Security") and tested:

- ALLOWED_ELEMENTS: text structure (paragraphs, headings, lists, quotes, code, tables, figures)
  and phrasing elements. Any other element is removed and its text kept as text; the elements in
  DROPPED_WITH_CONTENT (script, style, iframe, svg, math, template, form controls that hold
  text...) are removed together with everything inside them.
- ALLOWED_ATTRIBUTES: per element, with "*" for every element. No event handler (`on*`), no
  `style`, no `srcset`, `formaction`, `xlink:href`, `action`, `target`, `rel` or `data-*` except
  the annotation machinery's own `data-kind`/`data-annotation` on <mark>.
- URL_SCHEMES: `href` and `src` keep absolute URLs with these schemes only; relative URLs
  (`../x/`, `/x`, `?q`, `#fragment`) are kept. The check runs on the value as a browser reads it:
  after entity decoding (`javascript&#58;`) and the URL parser's removal of tabs, newlines and
  leading control characters, so split or encoded schemes are caught too.
- Comments are removed (the Markdown stage protects its own markers; see digest/markup).

After cleaning, control characters (see CONTROL_CHARS) are removed from the result, because a
character reference such as `&#27;` decodes to one, and U+00A0 is written as itself, not
`&nbsp;`, so the output reads like the Markdown stage's.

The output is canonical HTML5 serialisation: attributes double-quoted, and `<` and `>` only as
tag delimiters (escaped in text and in attribute values; tests/test_sanitize.py checks this for
the installed nh3). Later stages rely on that when they find tags with regular expressions
(side-notes, cross-link markers, the side-note sentinel).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import nh3

ALLOWED_ELEMENTS: frozenset[str] = frozenset({
    # blocks
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "div", "figure", "figcaption",
    "details", "summary",
    # lists
    "ul", "ol", "li", "dl", "dt", "dd",
    # tables
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    # phrasing
    "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "i", "img", "ins",
    "kbd", "mark", "q", "rp", "rt", "ruby", "s", "samp", "small", "span", "strong", "sub", "sup", "time",
    "u", "var", "wbr",
})

ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    # ids: footnotes (`fn:1`), headings (toc), attr_list `{: #id }`; classes: footnotes, code
    # languages, admonitions, cross-links, table alignment. Neither can run anything.
    "*": frozenset({"id", "class", "title", "lang", "dir"}),
    "a": frozenset({"href"}),
    "img": frozenset({"src", "alt", "width", "height"}),
    "ol": frozenset({"start", "reversed"}),
    "li": frozenset({"value"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "td": frozenset({"colspan", "rowspan"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "time": frozenset({"datetime"}),
    "data": frozenset({"value"}),
    "del": frozenset({"datetime"}),
    "ins": frozenset({"datetime"}),
    "details": frozenset({"open"}),
    # The highlight of an annotation (digest/markup/annotations.py).
    "mark": frozenset({"data-kind", "data-annotation", "aria-describedby"}),
}

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

DROPPED_WITH_CONTENT: frozenset[str] = frozenset({
    "script", "style", "template", "iframe", "noscript", "noembed", "noframes", "svg", "math",
    "textarea", "select", "title", "xmp",
    # The parser nests links inside these (they are scoping markers); kept, their content would
    # leave nested links that a browser re-parses differently from what was checked.
    "object", "applet", "marquee",
})

# C0 controls except tab and newline, DEL and C1 controls: meaningless in text, and a terminal
# obeys them (ESC starts escape sequences; U+009B is a one-character CSI).
CONTROL_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_ELEMENTS),
    clean_content_tags=set(DROPPED_WITH_CONTENT),
    attributes={element: set(names) for element, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES),
    strip_comments=True,
    link_rel=None,  # links inside the digest are ours; rel is the template's business
)


# A tree the HTML parser built from broken markup can serialize to markup that parses into another
# tree (`<h1><h1>` nested): what a browser builds from the output must be what was checked, so the
# cleaner runs again on its own output until nothing changes (two passes in practice).
_MAX_PASSES = 4


def sanitize_html(fragment: str) -> str:
    """`fragment` reduced to the allow-list: safe to put in any page or feed as it is, and parsed by
    a browser into exactly the tree that was checked."""
    # Markdown's output is usually a fixpoint already: then one pass proves it. Control characters go
    # in every pass, before the output is compared: removing one can join `java\x01script:`.
    cleaned = CONTROL_CHARS.sub("", fragment)
    for _ in range(_MAX_PASSES + 1):
        again = CONTROL_CHARS.sub("", _CLEANER.clean(cleaned)).replace("&nbsp;", "\u00a0")
        if again == cleaned:
            return cleaned
        cleaned = again
    return cleaned


def clean_text(text: str) -> str:
    """Text as it may enter the build: control characters removed, lone surrogates (which no
    encoder can write) replaced by U+FFFD."""
    if CONTROL_CHARS.search(text):
        text = CONTROL_CHARS.sub("", text)
    if _SURROGATES.search(text):
        text = _SURROGATES.sub("\ufffd", text)
    return text


def clean_strings(value: Any) -> tuple[Any, int]:
    """`value` (parsed YAML: mappings, lists, scalars) with every string cleaned by clean_text,
    in place for mappings and lists so line tracking survives, and how many strings changed.
    Mapping keys are left alone: they name fields and are never shown as content. Each container
    is visited once, however often YAML aliases share it, and without recursion."""
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned, int(cleaned != value)
    changed = 0
    seen: set[int] = set()
    pending = [value] if isinstance(value, (dict, list)) else []
    while pending:
        container = pending.pop()
        if id(container) in seen:
            continue
        seen.add(id(container))
        slots = list(container) if isinstance(container, dict) else range(len(container))
        for slot in slots:
            item = container[slot]
            if isinstance(item, str):
                cleaned = clean_text(item)
                if cleaned != item:
                    container[slot] = cleaned
                    changed += 1
            elif isinstance(item, (dict, list)):
                pending.append(item)
    return value, changed
