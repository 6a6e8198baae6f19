"""Hostile payloads and the checks that none of them became executable (issue 10).

The grammar: payload FAMILIES (each a hypothesis strategy, plus a fixed list of representatives
for the browser run), composed with every FIELD of a content file and site.yaml that becomes HTML.
The checks parse output the way a browser does (html5lib implements the WHATWG parsing
algorithm) instead of matching text, so an entity-encoded or split scheme counts as what the
browser would see.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import html5lib
import markdown
from hypothesis import strategies as st

# -- the grammar ------------------------------------------------------------------------------

SCRIPT = "alert(1)"
BAD_SCHEMES = ("javascript", "vbscript", "data")
_COLONS = (":", "&#58;", "&#058;", "&#x3A;", "&#x3a", "&colon;", "&#0000058")
_SPLITTERS = ("\t", "\n", "&#9;", "&#x09;", "&#10;", "&#xA;", "&#13;", "&NewLine;", "&Tab;")
_LEADERS = ("", " ", "&#1;", "&#x20;", "\x01", "&#0;")


@st.composite
def spelt_scheme(draw: st.DrawFn) -> str:
    """A dangerous scheme as an attacker spells it: mixed case, characters as entities, split by
    tabs, newlines or their references, a leading control character, an encoded colon."""
    scheme = draw(st.sampled_from(BAD_SCHEMES))
    out = [draw(st.sampled_from(_LEADERS))]
    for char in scheme:
        form = draw(st.sampled_from(("plain", "upper", "dec", "hex", "split")))
        if form == "upper":
            out.append(char.upper())
        elif form == "dec":
            out.append(f"&#{ord(char)};")
        elif form == "hex":
            out.append(f"&#x{ord(char):x};")
        elif form == "split":
            out.append(draw(st.sampled_from(_SPLITTERS)) + char)
        else:
            out.append(char)
    out.append(draw(st.sampled_from(_COLONS)))
    tail = "text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==" if scheme == "data" else SCRIPT
    return "".join(out) + tail


# Where a URL can carry a scheme: raw HTML, Markdown links of every kind, attr_list overrides.
URL_CONTEXTS = (
    '<a href="{u}">link</a>', "<a href='{u}'>link</a>", "<a href={u}>link</a>", '<img src="{u}" alt="i">',
    "[link]({u})", "[link](<{u}>)", "![img]({u})", "<{u}>", "[link][ref]\n\n[ref]: {u}\n",
    '[link](https://ok.example/){{: href="{u}" }}', '<iframe src="{u}"></iframe>', '<form action="{u}"><button>go</button></form>',
    '<button formaction="{u}">go</button>', '<svg><a xlink:href="{u}"><text>t</text></a></svg>',
    '<math><a xlink:href="{u}">m</a></math>', '<object data="{u}"></object>', '<embed src="{u}">',
    '<meta http-equiv="refresh" content="0;url={u}">', '<base href="{u}">', '<img srcset="{u} 1x" alt="i">',
    '<video poster="{u}"></video>', '<a href="{u}" ping="{u}">p</a>', '<area href="{u}">',
)
HANDLER_TAGS = ("img src=x", "svg", "body", "details open", "input autofocus", "video src=x", "audio src=x",
                "marquee", "div", "a href=#", "p", "select autofocus", "iframe", "style", "b")
HANDLERS = ("onerror", "onload", "onclick", "onmouseover", "onfocus", "ontoggle", "onbegin", "OnErRoR",
            "onanimationstart", "onpointerenter")
_HANDLER_SEPARATORS = (" ", "/", "\t", "\n", " /", '"')
SCRIPTS = (
    "<script>alert(1)</script>", "<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "<scr<script>ipt>alert(1)</script>",
    "<script/x>alert(1)</script>", "<script>alert(1)", "</script><script>alert(1)</script>",
    '"><script>alert(1)</script>', "'><img src=x onerror=alert(1)>", "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[><img src=x onerror=alert(1)>]]>", '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<svg><style><img src=x onerror=alert(1)></style></svg>", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<textarea></textarea><img src=x onerror=alert(1)>", "<template><img src=x onerror=alert(1)></template>",
    "<style>@import 'javascript:alert(1)';</style>", '<p style="background:url(javascript:alert(1))">s</p>',
    "<link rel=stylesheet href=javascript:alert(1)>", "<xmp><img src=x onerror=alert(1)></xmp>",
    "]]></content><script>alert(1)</script>", "</title><script>alert(1)</script>",
)
ATTR_LISTS = (
    'Para.\n{{: onclick="{s}" }}', '![i](x.png){{: onerror="{s}" }}', "# Head {{: onmouseover={s} }}",
    '[l](https://ok.example/){{: onclick="{s}" }}', 'Para.\n{{: style="background:url(javascript:{s})" }}',
    '*em*{{: onfocus="{s}" autofocus="" tabindex="1" }}',
)
MARKER_FORGERIES = (
    "<!--digest-annotation 1-->", "<!-- digest-annotation 1 -->", '<a href="digest-xref:other">forged</a>',
    '<a href="digest&#45;xref:other">forged</a>', "[forged](digest-xref:other)", '<a href="#digest-xref-0:other">f</a>',
)
CONTROL = ("\x1b[2Jcleared", "\x9b31mred", "bell\x07\x00nul", "\u202eevil.exe", "del\x7fete", "line\x85next")
# Front-matter text reaching a template: attribute and element contexts, JSON-LD, Jinja syntax.
TEMPLATE_BREAKERS = ('"><script>alert(1)</script>', "'><svg onload=alert(1)>", "</script><script>alert(1)</script>",
                     "{{ config }}{% raw %}", "\\u003c/script\\u003e", "</title><script>alert(1)</script>")


@st.composite
def url_payload(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(URL_CONTEXTS)).format(u=draw(spelt_scheme()))


@st.composite
def handler_payload(draw: st.DrawFn) -> str:
    tag = draw(st.sampled_from(HANDLER_TAGS))
    separator = draw(st.sampled_from(_HANDLER_SEPARATORS))
    return f"<{tag}{separator}{draw(st.sampled_from(HANDLERS))}={SCRIPT}>x"


FAMILIES: dict[str, st.SearchStrategy[str]] = {
    "url": url_payload(),
    "handler": handler_payload(),
    "script": st.sampled_from(SCRIPTS),
    "attr_list": st.sampled_from(ATTR_LISTS).map(lambda t: t.format(s=SCRIPT)),
    "marker": st.sampled_from(MARKER_FORGERIES),
    "control": st.sampled_from(CONTROL),
    "template": st.sampled_from(TEMPLATE_BREAKERS),
}

payloads = st.one_of(*FAMILIES.values())


def representatives() -> dict[str, list[str]]:
    """Every family as fixed examples (for the browser run, where hypothesis is too slow)."""
    spellings = ["javascript:", "JaVaScRiPt:", "javascript&#58;", "javascript&colon;", "javascript&#x3A;",
                 "java\tscript:", "java&#x09;script:", "java&#10;script:", "&#1;javascript:", "&#x6A;avascript:",
                 "vbscript:", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#"]
    urls = [context.format(u=spelling + SCRIPT) for spelling in spellings for context in URL_CONTEXTS[:10]]
    urls += [context.format(u="javascript:" + SCRIPT) for context in URL_CONTEXTS[10:]]
    return {
        "url": urls,
        "handler": [f"<{tag} {handler}={SCRIPT}>x" for tag in HANDLER_TAGS for handler in HANDLERS[:4]],
        "script": list(SCRIPTS),
        "attr_list": [t.format(s=SCRIPT) for t in ATTR_LISTS],
        "marker": list(MARKER_FORGERIES),
        "control": list(CONTROL),
        "template": list(TEMPLATE_BREAKERS),
    }


# -- a hostile site -----------------------------------------------------------------------------

def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (JSON is valid YAML): control characters become escapes."""
    return json.dumps(value)


def one_line(value: str) -> str:
    return " ".join(value.split())


def code_span(text: str) -> str:
    """`text` as a Markdown code span, so a quote of it can be anchored as visible text."""
    return f"`` {one_line(text)} ``"


def shown_in_code_span(text: str) -> str:
    """What a reader sees of `code_span(text)`: the quote that anchors to it. Python-Markdown does
    not always show a code span's text as written (`&#x3atext` becomes `&#x3a;text`)."""
    rendered = markdown.markdown(code_span(text))
    found = re.search(r"<code>(.*)</code>", rendered, re.DOTALL)
    return html.unescape(found.group(1)) if found else one_line(text)


HOSTILE_TEMPLATE = """{% extends "base.html" %}
{% block main %}
<h1>Not found</h1>
{% for story in site.stories %}<p class="extra">{{ story.extra.get("kicker", "") }}</p>{% endfor %}
{% endblock %}
"""


def hostile_article(fields: dict[str, str]) -> str:
    """An article with a payload in every field that becomes HTML (FIELDS)."""
    quote = shown_in_code_span(fields["quote"])
    lines = [
        "---",
        f"title: {yaml_text(fields['title'])}",
        "date: 2026-03-02T09:00:00+00:00",
        f"summary: {yaml_text(fields['summary'])}",
        f"editor_note: {yaml_text(fields['editor_note'])}",
        f"source: {yaml_text(fields['source'])}",
        "source_url: https://example.org/original",
        f"author: {yaml_text(fields['author'])}",
        f"section: {yaml_text(fields['section'])}",
        f"dateline: {yaml_text(fields['dateline'])}",
        f"tags: [{yaml_text(fields['tag'])}, Plain]",
        "related:",
        f"  - {yaml_text(fields['related_headline'])}",
        f"  - {{title: {yaml_text(fields['related_title'])}, url: {yaml_text(_url_safe(fields['related_url']))}}}",
        f"kicker: {yaml_text(fields['extra'])}",
        "annotations:",
        f"  - quote: {yaml_text(quote)}",
        f"    note: {yaml_text(fields['note'])}",
        "    kind: fact-check",
        f"    rating: {yaml_text(fields['rating'])}",
        f"    sources: [{{title: {yaml_text(fields['source_title'])}, url: {yaml_text(_url_safe(fields['source_url']))}}}]",
        "---",
        "",
        "Opening paragraph with plain words.",
        "",
        f"Quoted: {code_span(fields['quote'])} and more.",
        "",
        fields["body"],
        "",
        "Closing words[^1].",
        "",
        "[^1]: A footnote.",
        "",
    ]
    return "\n".join(lines)


def _url_safe(payload: str) -> str:
    """An http(s) URL carrying the payload (outside URLs must be http(s) and have no spaces)."""
    return "https://example.org/?q=" + "".join(payload.split())


FIELDS = ("title", "summary", "editor_note", "source", "author", "section", "dateline", "tag", "related_headline",
          "related_title", "related_url", "extra", "quote", "note", "rating", "source_title", "source_url", "body")
SITE_FIELDS = ("site_title", "site_description", "site_author", "kind_label")


def hostile_site_yaml(fields: dict[str, str]) -> str:
    return "\n".join([
        f"title: {yaml_text(fields['site_title'])}",
        f"description: {yaml_text(fields['site_description'])}",
        f"author: {yaml_text(fields['site_author'])}",
        "timezone: UTC",
        "base_url: https://digest.example.org/news/",
        "taxonomies: [tags, source, section]",
        "annotations:",
        "  kinds:",
        f"    fact-check: {{label: {yaml_text(fields['kind_label'])}}}",
        "    context: {}",
        "",
    ])


def companion_article(hostile_slug: str) -> str:
    """A plain article linking to the hostile one by slug, so its title is pasted into a link."""
    return "\n".join(["---", "title: Plain companion", "date: 2026-03-01T09:00:00+00:00", "tags: [Plain]",
                      f"related: [{hostile_slug}]", "---", "", f"See [[{hostile_slug}]] and [[{hostile_slug}|this]].", ""])


def write_hostile_site(root: Path, articles: list[dict[str, str]], site_fields: dict[str, str]) -> Path:
    (root / "content").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "site.yaml").write_text(hostile_site_yaml(site_fields), encoding="utf-8")
    (root / "templates" / "404.html").write_text(HOSTILE_TEMPLATE, encoding="utf-8")
    for number, fields in enumerate(articles, 1):
        (root / "content" / f"hostile-{number}.md").write_text(hostile_article(fields), encoding="utf-8")
    (root / "content" / "companion.md").write_text(companion_article("hostile-1"), encoding="utf-8")
    return root


# -- the checks ---------------------------------------------------------------------------------

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "poster", "background", "cite",
                            "ping", "longdesc", "usemap", "codebase", "manifest", "lowsrc", "dynsrc"})
# Never produced by the theme nor allowed from content, anywhere.
FORBIDDEN_ELEMENTS = frozenset({"iframe", "frame", "frameset", "object", "embed", "applet", "base", "form",
                                "svg", "math", "template", "noscript", "textarea", "portal", "isindex"})
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
HTML_NS = "{http://www.w3.org/1999/xhtml}"


def url_scheme(value: str) -> str | None:
    """The scheme a browser's URL parser reads from an attribute value (already entity-decoded):
    leading/trailing C0 controls and spaces stripped, tabs and newlines removed anywhere."""
    value = value.strip("".join(map(chr, range(0x21))))
    value = re.sub("[\t\n\r]", "", value)
    match = _SCHEME.match(value)
    return match.group(1).lower() if match else None


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def executable_problems(document: ElementTree.Element, where: str, *, page: bool = True) -> list[str]:
    """Everything in a parsed document that could run script or load a script URL."""
    problems: list[str] = []
    parents = {child: parent for parent in document.iter() for child in parent}
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue  # comments
        tag = _local(element.tag)
        in_head = any(_local(p.tag) == "head" for p in _ancestors(element, parents))
        if tag == "script" and _theme_script(element, in_head and page):
            pass
        elif tag == "script":
            if not (page and in_head and element.get("type") == "application/ld+json"):
                problems.append(f"{where}: <script> outside the theme's JSON-LD")
            else:
                try:
                    json.loads(element.text or "")
                except ValueError:
                    problems.append(f"{where}: JSON-LD script is not JSON (was it cut short?)")
        in_chart = tag in CHART_ELEMENTS and any(_local(p.tag) == "svg" for p in [element, *_ancestors(element, parents)])
        if tag in FORBIDDEN_ELEMENTS and not in_chart:
            problems.append(f"{where}: <{tag}> element")
        if tag in ("style", "link", "meta", "title") and not (page and in_head) and not in_chart:
            problems.append(f"{where}: <{tag}> outside <head>")
        for name, value in element.attrib.items():
            attribute = _local(name)
            if attribute.startswith("on"):
                problems.append(f"{where}: event handler {attribute}= on <{tag}>")
            if attribute == "style" and not in_head:
                problems.append(f"{where}: style= on <{tag}>")
            urls = [value] if attribute in URL_ATTRIBUTES else []
            if attribute == "srcset":
                urls = [candidate.strip().split(" ")[0] for candidate in value.split(",")]
            if tag == "meta" and attribute == "content" and "url=" in value.lower():
                urls = [value[value.lower().index("url=") + 4:]]
            for url in urls:
                scheme = url_scheme(url)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    problems.append(f"{where}: {scheme}: URL in {attribute}= on <{tag}>: {url!r}")
    return problems


# The theme draws coverage charts as inline SVG of these elements (no script can live in them:
# handlers and URLs are checked like everywhere else); content never reaches an <svg> (sanitised).
CHART_ELEMENTS = frozenset({"svg", "g", "rect", "line", "path", "text", "title", "desc"})


def _theme_script(element: ElementTree.Element, in_head: bool) -> bool:
    """A script the theme loads from the site's own static files (annotations.js, search): no
    inline code, and a relative address into static/ or pagefind/, where content cannot write."""
    src = element.get("src") or ""
    path = src.split("?")[0].lstrip("./").replace("../", "")
    return (in_head and not (element.text or "").strip() and url_scheme(src) is None
            and path.startswith(("static/", "pagefind/")) and path.endswith(".js") and ".." not in path)


def _ancestors(element: ElementTree.Element, parents: dict) -> list[ElementTree.Element]:
    found = []
    while element in parents:
        element = parents[element]
        found.append(element)
    return found


def parse_page(text: str) -> ElementTree.Element:
    return html5lib.parse(text, namespaceHTMLElements=False)


def parse_fragment(text: str) -> ElementTree.Element:
    return html5lib.parseFragment(text, namespaceHTMLElements=False)


def output_problems(public: Path) -> list[str]:
    """Every executable thing in a built site's pages and feeds, and every control character."""
    import feedparser

    problems: list[str] = []
    files = sorted(p for p in public.rglob("*") if p.is_file())
    for path in files:
        where = path.relative_to(public).as_posix()
        if path.suffix not in (".html", ".xml", ".txt", ".json"):
            continue
        text = path.read_text(encoding="utf-8")
        if CONTROL_CHARS.search(text):
            problems.append(f"{where}: control character {CONTROL_CHARS.search(text).group()!r}")
        if path.suffix == ".html":
            problems += executable_problems(parse_page(text), where)
        elif path.name.endswith("feed.xml"):
            feed = feedparser.parse(path.read_bytes(), sanitize_html=False, resolve_relative_uris=False)
            if feed.bozo:
                problems.append(f"{where}: feed does not parse: {feed.get('bozo_exception')}")
            for entry in feed.entries:
                for content in entry.get("content", []):
                    problems += executable_problems(parse_fragment(content.value), f"{where} entry {entry.id}", page=False)
    return problems
