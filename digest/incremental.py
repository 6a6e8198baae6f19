"""Which pages a build may skip: the one module that decides it.

Nothing is declared by hand. While a page renders, the template engine (digest/render.py) reports
every attribute it reads from a graph object (`story.title`, `term.name`, `config.language`, the
target of a cross-link ...) and every template it loads. After the build each read is fingerprinted
by the value it returned. The next build fingerprints the same reads in its new graph: a page is
skipped only when every read, every template it used and its own context fingerprint as before,
and its file is still in the output folder with the bytes this build wrote. A template that starts
showing a field nobody read before changes its own fingerprint, so every page using it renders
again and records the new read; from then on an edit to that field re-renders exactly the pages
that show it.

A value that cannot be fingerprinted (a method of a graph object, an unknown type) makes its page
"untracked": such a page is rendered on every build, which is slow but never stale.

Graph objects are named by stable keys (`s:<slug>`, `t:<taxonomy>/<slug>`, `e:<day>`, `p:<path>`,
`site`, `config`, `xrefs`) so a read can be looked up again in the next build's graph.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .atomic import cache_folder, load_pickle, save_pickle
from .config import SiteConfig
from .site import CrossLinkTargets, Edition, Page, Site, Story, Taxonomy, Term
from .storylines import Storyline

STATE_FORMAT = 3
_MISSING = object()


class Untrackable(Exception):
    """A value the fingerprint cannot see into (a function, a method, an unknown object)."""


# Graph objects: each has a `dep_key`, its name in every build (`s:<slug>`, `t:<taxonomy>/<slug>`...).
ENTITY_TYPES = frozenset({Story, Term, Taxonomy, Edition, Page, Site, SiteConfig, CrossLinkTargets, Storyline})


def entity_key(obj: Any) -> str | None:
    """The stable name of a graph object, or None for anything else (strings, lists, values)."""
    return obj.dep_key if type(obj) in ENTITY_TYPES else None


class Reads:
    """What one render read: (entity key, attribute) pairs and template names."""

    __slots__ = ("attrs", "templates")

    def __init__(self) -> None:
        self.attrs: set[tuple[str, str]] = set()
        self.templates: set[str] = set()

    def merge(self, other: Reads) -> None:
        self.attrs |= other.attrs
        self.templates |= other.templates


def entities(site: Site) -> dict[str, Any]:
    """Every graph object of `site` by its key."""
    index: dict[str, Any] = {"site": site, "config": site.config, "xrefs": CrossLinkTargets(site)}
    index.update((story.dep_key, story) for story in site.stories)
    for taxonomy in site.taxonomies.values():
        index[taxonomy.dep_key] = taxonomy
        index.update((term.dep_key, term) for term in taxonomy.terms)
    index.update((edition.dep_key, edition) for edition in site.editions)
    index.update((page.dep_key, page) for page in site.pages)
    index.update((line.dep_key, line) for line in site.storylines)
    return index


def read_value(obj: Any, attribute: str) -> Any:
    """What a template gets for `obj.attribute` (Jinja tries the attribute, then the item)."""
    try:
        return getattr(obj, attribute)
    except AttributeError:
        pass
    try:
        return obj[attribute]
    except (TypeError, LookupError, AttributeError):
        return _MISSING


def fingerprint(value: Any) -> bytes:
    """A digest of everything a template could print or branch on from `value`. Graph objects
    count by key only: what is read from them is recorded as reads of their own."""
    parts: list[str] = []
    _describe(parts.append, value)
    return hashlib.blake2b("".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()


@lru_cache(maxsize=256)
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(spec.name for spec in dataclasses.fields(kind))


def _describe(add: Callable[[str], None], value: Any) -> None:
    """Append an unambiguous text form of `value` (types and lengths included) piece by piece."""
    kind = type(value)
    if kind is str:
        add(f"s{len(value)}:")
        add(value)
    elif kind is Markup:
        add(f"m{len(value)}:")
        add(value)
    elif value is None or kind is bool or kind is int or kind is float:
        add(f"{kind.__name__}:{value!r};")
    elif kind in ENTITY_TYPES:
        add(f"@{value.dep_key};")
    elif kind is list or kind is tuple:
        add("[" if kind is list else "(")
        try:
            # Lists of stories, terms and editions are most of what is fingerprinted: one piece.
            # (Only graph objects have a dep_key.)
            keys = [item.dep_key for item in value]
        except AttributeError:
            for item in value:
                _describe(add, item)
        else:
            add(f"{len(keys)}@" + ";@".join(keys) + ";")
        add("]")
    elif kind is dict or isinstance(value, dict):
        add(f"{{{len(value)}:")
        for key, item in value.items():
            _describe(add, key)
            _describe(add, item)
        add("}")
    elif kind is dt.datetime or kind is dt.date:
        add(f"{kind.__name__}:{value.isoformat()}|{getattr(value, 'tzinfo', None)};")
    elif kind is set or kind is frozenset:
        add(f"<{len(value)}:")
        for item_digest in sorted(fingerprint(item) for item in value):
            add(item_digest.hex())
        add(">")
    elif value is _MISSING or isinstance(value, jinja2.Undefined):
        add("?;")
    elif isinstance(value, Path):
        add(f"p{len(str(value))}:{value};")
    elif hasattr(kind, "__dataclass_fields__"):
        add(f"D{kind.__qualname__}(")
        for name in _field_names(kind):
            add(f"{name}=")
            _describe(add, getattr(value, name))
        add(")")
    elif isinstance(value, str):  # other str subclasses
        _describe(add, str(value))
    else:
        raise Untrackable(kind.__qualname__)


def _from_file(obj: Any, attribute: str) -> str:
    """The content key a story attribute is a pure function of, or "" for graph attributes.
    Article and rendered fields (reached through Story.__getattr__) and the properties Story lists
    in FROM_FILE only change when the file (or the article settings, also in the key) changes."""
    if type(obj) is Story and (attribute in Story.FROM_FILE
                               or not (hasattr(Story, attribute) or attribute in Story.__dataclass_fields__)):
        return obj.content_key
    return ""


@dataclass
class PageRecord:
    reads: array | None  # ids into BuildState.pairs, sorted; None: untracked, always rendered
    templates: tuple[str, ...]
    context: bytes
    sha: str  # of the bytes written


@dataclass
class BuildState:
    """What the last successful build into one output folder rendered, and from what."""

    base: str  # code and library versions: any change renders everything
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (entity key, attribute) by id
    values: list[bytes] = field(default_factory=list)  # fingerprint per pair, as of the last build
    origins: list[str] = field(default_factory=list)  # content key a pure value was computed for, else ""
    templates: dict[str, bytes] = field(default_factory=dict)  # template name -> fingerprint of its source
    pages: dict[str, PageRecord] = field(default_factory=dict)  # output file -> record
    compacted: int = 0  # len(pairs) after the last compaction

    def pair_id(self, pair: tuple[str, str], ids: dict[tuple[str, str], int]) -> int:
        found = ids.get(pair)
        if found is None:
            found = ids[pair] = len(self.pairs)
            self.pairs.append(pair)
            self.values.append(b"")
            self.origins.append("\0")  # not evaluated yet: finish() fingerprints it
        return found

    def __getstate__(self) -> dict[str, Any]:
        # Hundreds of thousands of small tuples and sets pickle slowly: store them as a few big
        # strings and arrays instead (a 5,000-article state loads in a tenth of the time).
        return {
            "base": self.base, "compacted": self.compacted, "templates": self.templates,
            "keys": [key for key, _ in self.pairs], "attributes": [attribute for _, attribute in self.pairs],
            "values": b"".join(value.ljust(16, b"\0")[:16] for value in self.values),
            "empty": [number for number, value in enumerate(self.values) if not value],
            "origins": self.origins,
            "pages": [(rel, r.reads, r.templates, r.context, r.sha) for rel, r in self.pages.items()],
        }

    def __setstate__(self, data: dict[str, Any]) -> None:
        self.base, self.compacted, self.templates = data["base"], data["compacted"], data["templates"]
        self.pairs = list(zip(data["keys"], data["attributes"]))
        blob = data["values"]
        self.values = [blob[i:i + 16] for i in range(0, len(blob), 16)]
        for number in data["empty"]:
            self.values[number] = b""
        self.origins = data["origins"]
        self.pages = {}
        for rel, reads, templates, context, sha in data["pages"]:
            self.pages[rel] = PageRecord(reads, templates, context, sha)


def template_fingerprints(env: jinja2.Environment, names: Iterable[str]) -> dict[str, bytes]:
    """Name -> digest of the file a template name resolves to (path and source), b"missing" if none."""
    found: dict[str, bytes] = {}
    for name in names:
        try:
            source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            found[name] = b"missing"
            continue
        found[name] = hashlib.blake2b(f"{filename}\0{source}".encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return found


def page_context(page: Page) -> bytes:
    """The page itself: its fields, the variables its template gets, and its properties. Reads of
    the page being rendered are not recorded (digest/render.py): this covers them all."""
    try:
        return fingerprint((page.path, page.template, page.kind, page.title, page.context, page.pagination,
                            page.feed, page.stories, page.lastmod))
    except Untrackable:
        return b"untracked"


class Skipper:
    """Decides, for one build, which pages are unchanged since `state` was recorded."""

    def __init__(self, state: BuildState | None, base: str, site: Site, env: jinja2.Environment):
        if state is not None and state.base != base:
            state = None
        # A copy: the last build's state must survive unchanged if this build fails.
        self.state = BuildState(base=base) if state is None else dataclasses.replace(
            state, pairs=list(state.pairs), values=list(state.values), origins=list(state.origins),
            templates=dict(state.templates), pages=dict(state.pages))
        self.site = site
        self.env = env
        self.index = entities(site)
        self.changed: set[int] = set()
        self.template_now: dict[str, bytes] = {}
        self._ids: dict[tuple[str, str], int] | None = None
        if state is not None:
            self._check_pairs()
            self.template_now = template_fingerprints(env, state.templates)

    def _check_pairs(self) -> None:
        state, index, changed = self.state, self.index, self.changed
        content_of = {story.dep_key: story.content_key for story in self.site.stories}
        values, origins = state.values, state.origins
        for number, (key, attribute) in enumerate(state.pairs):
            origin = origins[number]
            if origin and content_of.get(key) == origin:
                continue  # an attribute of a story's file, and the same file: the same value
            obj = index.get(key)
            if obj is None:
                changed.add(number)
                continue
            try:
                value = fingerprint(read_value(obj, attribute))
            except Untrackable:
                value = b""
            if not value or value != values[number]:
                changed.add(number)
            values[number], origins[number] = value, _from_file(obj, attribute)

    def fresh(self, page: Page, rel: str, context: bytes, current_sha: str | None) -> bool:
        """Can the file `rel` of the output folder (with bytes `current_sha`) stay as it is?"""
        record = self.state.pages.get(rel)
        if record is None or record.reads is None or current_sha is None or record.sha != current_sha:
            return False
        if record.context != context or context == b"untracked":
            return False
        templates_before, templates_now = self.state.templates, self.template_now
        if any(templates_before.get(name) != templates_now.get(name) for name in record.templates):
            return False
        return self.changed.isdisjoint(record.reads)

    def record(self, rel: str, reads: Reads, context: bytes, sha: str) -> None:
        """Remember what the page written to `rel` read (called for every page rendered)."""
        state = self.state
        if self._ids is None:
            self._ids = {pair: number for number, pair in enumerate(state.pairs)}
        ids = [state.pair_id(pair, self._ids) for pair in reads.attrs]
        state.pages[rel] = PageRecord(array("I", sorted(ids)), tuple(sorted(reads.templates)), context, sha)

    def finish(self, kept: set[str]) -> BuildState:
        """The state after this build: records of the files the output now holds, every read
        fingerprinted in this build's graph."""
        state = self.state
        state.pages = {rel: record for rel, record in state.pages.items() if rel in kept}
        index = self.index
        untracked: set[int] = set()
        for number, origin in enumerate(state.origins):
            if origin != "\0":
                continue
            key, attribute = state.pairs[number]
            obj = index.get(key)
            try:
                state.values[number] = fingerprint(read_value(obj, attribute)) if obj is not None else b""
            except Untrackable:
                state.values[number] = b""
                untracked.add(number)
            state.origins[number] = _from_file(obj, attribute) if obj is not None else ""
        if untracked:
            for rel, record in state.pages.items():
                if record.reads is not None and not untracked.isdisjoint(record.reads):
                    state.pages[rel] = dataclasses.replace(record, reads=None)
        names = {name for record in state.pages.values() for name in record.templates}
        fresh_names = names - set(self.template_now)
        self.template_now.update(template_fingerprints(self.env, fresh_names))
        state.templates = {name: self.template_now[name] for name in names}
        if len(state.pairs) > 2 * max(state.compacted, 1000):
            _compact(state)
        return state

    @property
    def untracked_pages(self) -> list[str]:
        return sorted(rel for rel, record in self.state.pages.items() if record.reads is None)


def _compact(state: BuildState) -> None:
    """Drop pairs no page reads any more (renumbering the rest)."""
    used = sorted({number for record in state.pages.values() if record.reads for number in record.reads})
    renumber = {old: new for new, old in enumerate(used)}
    state.pairs = [state.pairs[old] for old in used]
    state.values = [state.values[old] for old in used]
    state.origins = [state.origins[old] for old in used]
    for rel, record in state.pages.items():
        if record.reads is not None:
            state.pages[rel] = dataclasses.replace(record, reads=array("I", sorted(renumber[old] for old in record.reads)))
    state.compacted = len(state.pairs)


def state_file(site_root: Path, out_dir: Path) -> Path | None:
    """Where the state of builds into `out_dir` is kept: in the site's .cache/, never in the output
    (it would be deployed). None when the site has no usable .cache folder."""
    folder = cache_folder(site_root, "builds")
    if folder is None:
        return None
    name = hashlib.sha256(str(out_dir.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return folder / f"{name}.pickle"


def load_state(path: Path | None) -> BuildState | None:
    data = load_pickle(path)
    if not isinstance(data, tuple) or len(data) != 2 or data[0] != STATE_FORMAT or not isinstance(data[1], BuildState):
        return None
    return data[1]


def save_state(path: Path | None, state: BuildState) -> None:
    save_pickle(path, (STATE_FORMAT, state))


@dataclass
class LastBuild:
    """What the last successful build into an output folder was made from, to answer "nothing
    changed" without reading a content file: a digest of every input's name, size and modification
    time (and the engine's code and the build options), and the output's manifest as it was left."""

    inputs: str
    taken_ns: int  # when the inputs were listed
    newest_ns: int  # the newest input modification time then
    manifest: tuple[int, int] | None
    counts: dict[str, int]
    diagnostics: list[Any]

    @classmethod
    def after(cls, inputs: tuple[str, int, int], manifest: Path, counts: dict[str, int], diagnostics: list[Any]) -> LastBuild:
        return cls(inputs[0], inputs[1], inputs[2], _stamp(manifest), dict(counts), list(diagnostics))


def input_digest(code: str, options: Any, snapshot: tuple[tuple, int]) -> tuple[str, int, int]:
    """(digest of the inputs, when they were listed, the newest modification time among them)."""
    taken = time.time_ns()
    entries, newest = snapshot
    digest = hashlib.sha256(repr((code, repr(options), entries)).encode("utf-8", "surrogateescape")).hexdigest()
    return digest, taken, newest


def nothing_changed(last: LastBuild | None, inputs: tuple[str, int, int], manifest: Path) -> bool:
    """True when the inputs are those of the last build and its output is as it left it. A file
    modified within RACY_NS of the last listing may have changed without its size or time showing
    it, so then the answer is no."""
    if last is None or last.inputs != inputs[0] or last.manifest is None:
        return False
    if last.newest_ns > last.taken_ns - RACY_NS:
        return False
    return _stamp(manifest) == last.manifest


RACY_NS = 2_000_000_000


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def load_last_build(path: Path | None) -> LastBuild | None:
    data = load_pickle(path)
    return data if isinstance(data, LastBuild) else None


def save_last_build(path: Path | None, last: LastBuild) -> None:
    save_pickle(path, last)
