"""site.yaml -> SiteConfig: typed, defaulted, validated once; every error names its key."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .diagnostics import Diagnostics
from .limits import parse_size
from .yamlsource import LineMap, YamlError, load_yaml

DEFAULT_KINDS: dict[str, dict[str, str]] = {
    # Colours chosen for WCAG AA contrast as text on the page background in light and dark.
    "context": {"label": "Context", "color": "#1d5fa8", "dark_color": "#8cbcf0"},
    "fact-check": {"label": "Fact-check", "color": "#a3380c", "dark_color": "#f5a57f"},
    "correction": {"label": "Correction", "color": "#8a1f52", "dark_color": "#f08dbd"},
    "analysis": {"label": "Analysis", "color": "#2d6a2e", "dark_color": "#8fd48f"},
}

# The default theme's page backgrounds (templates/static/style.css), for the contrast check of kind colours.
LIGHT_BACKGROUND, DARK_BACKGROUND = "#fdfcf9", "#141416"


def contrast_ratio(color: str, background: str) -> float:
    """WCAG 2 contrast ratio of two hex colours."""
    def luminance(hex_color: str) -> float:
        digits = hex_color.lstrip("#")
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(color), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


DEFAULT_PERMALINKS = {
    "article": "articles/{slug}/",
    "tag": "{taxonomy}/{slug}/",
    "taxonomy": "{taxonomy}/",
    "edition": "digest/{date}/",
    "archive": "archive/",
    "page": "page/{page}/",
}
PERMALINK_FIELDS = {
    "article": {"slug", "year", "month", "day"},
    "tag": {"taxonomy", "slug"},
    "taxonomy": {"taxonomy"},
    "edition": {"date", "year", "month", "day"},
    "archive": set(),
    "page": {"page"},
}

# smarty (typographic quotes) doubles Markdown time and scraped news already has curly quotes;
# a site can add it back in site.yaml.
DEFAULT_MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]


@dataclass(frozen=True)
class DigestOptions:
    per_page: int = 20
    summary_length: int = 240


@dataclass(frozen=True)
class TagOptions:
    per_page: int = 30
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RelatedOptions:
    auto: int = 5
    max_share: float = 0.25


@dataclass(frozen=True)
class FeedOptions:
    entries: int = 20


@dataclass(frozen=True)
class AnnotationKind:
    name: str
    label: str
    color: str
    dark_color: str


@dataclass(frozen=True)
class MarkdownOptions:
    extensions: tuple[str, ...] = tuple(DEFAULT_MARKDOWN_EXTENSIONS)
    extension_configs: dict[str, dict[str, Any]] = field(default_factory=dict)


# --- limits (issue 10) ------------------------------------------------------------------------
# `limits.max_file_size`: a content file larger than this is an error, found from its size before
# it is read. 1 MB is four times the longest real article (a 35,000-word long read is ~0.25 MB)
# and keeps the worst case of Markdown on hostile text to seconds. Parsing is in digest/limits.py.
DEFAULT_MAX_FILE_SIZE = 1_000_000


@dataclass(frozen=True)
class LimitOptions:
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes


# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteConfig:
    root: Path
    title: str = "News digest"
    description: str = ""
    author: str = ""
    language: str = "en"
    timezone: str = "UTC"
    base_url: str | None = None
    relative_urls: bool = True
    permalinks: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PERMALINKS))
    taxonomies: tuple[str, ...] = ("tags",)
    digest: DigestOptions = DigestOptions()
    tags: TagOptions = TagOptions()
    related: RelatedOptions = RelatedOptions()
    feeds: FeedOptions = FeedOptions()
    annotation_kinds: tuple[AnnotationKind, ...] = ()
    markdown: MarkdownOptions = MarkdownOptions()
    extra: dict[str, Any] = field(default_factory=dict)
    limits: LimitOptions = LimitOptions()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def kinds(self) -> dict[str, AnnotationKind]:
        return {k.name: k for k in self.annotation_kinds}

    def fingerprint(self, *sections: str) -> str:
        """A stable hash of the named settings, for cache keys."""
        data = asdict(self)
        data.pop("root")
        picked = {name: data[name] for name in sections} if sections else data
        blob = json.dumps(picked, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


_Check = Callable[[Any], bool]


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


class _Reader:
    """Reads one mapping of site.yaml, reporting wrong types and unknown keys by name."""

    def __init__(self, data: LineMap, where: str, path: str, diags: Diagnostics):
        self.data, self.where, self.path, self.diags = data, where, path, diags
        self.seen: set[str] = set()

    def get(self, key: str, default: Any, check: _Check, expected: str) -> Any:
        self.seen.add(key)
        if self.data.get(key) is None:  # absent or left empty: the default
            return default
        value = self.data[key]
        if not check(value):
            self.error(key, f"`{self.where}{key}` must be {expected}, not {describe(value)}")
            return default
        return value

    def section(self, key: str) -> _Reader:
        self.seen.add(key)
        value = self.data.get(key)
        if value is None:
            value = LineMap()
            value.line, value.key_lines = self.data.line_of(key), {}
        elif not isinstance(value, dict):
            self.error(key, f"`{self.where}{key}` must be a mapping, not {describe(value)}")
            value = LineMap()
            value.line, value.key_lines = self.data.line_of(key), {}
        return _Reader(value, f"{self.where}{key}.", self.path, self.diags)

    def error(self, key: str, message: str) -> None:
        self.diags.error(self.path, self.data.line_of(key), message)

    def reject_unknown(self) -> None:
        for key in self.data:
            if key not in self.seen:
                from difflib import get_close_matches

                hint = get_close_matches(str(key), sorted(self.seen), n=1, cutoff=0.7)
                suggestion = f" (did you mean `{self.where}{hint[0]}`?)" if hint else ""
                self.error(key, f"unknown setting `{self.where}{key}`{suggestion}")


def describe(value: Any) -> str:
    """How a wrong value is named in error messages."""
    for kind, name in ((bool, "a boolean"), ((int, float), "a number"), (str, "a string"),
                       (list, "a list"), (dict, "a mapping"), (type(None), "empty")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def load_config(root: Path, diags: Diagnostics, base_url: str | None = None) -> SiteConfig | None:
    """Read `root/site.yaml`. Problems go to `diags`; returns None when the config is unusable."""
    path = root / "site.yaml"
    shown = "site.yaml"
    if not path.is_file():
        diags.error(shown, 0, f"site.yaml not found in {root.resolve()} (use --site DIR)")
        return None
    try:
        text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        diags.error(shown, 1, f"site.yaml is not valid UTF-8 ({exc.reason} at byte {exc.start})")
        return None
    yaml_warnings: list[tuple[int, str]] = []
    try:
        data = load_yaml(text, warnings=yaml_warnings) if text.strip() else LineMap()
    except YamlError as exc:
        diags.error(shown, exc.line, exc.message)
        return None
    for line, message in yaml_warnings:  # keys written twice
        diags.warning(shown, line, message)
    if data is None:
        data = LineMap()
    if not isinstance(data, LineMap):
        diags.error(shown, 1, f"site.yaml must be a mapping of settings, not {describe(data)}")
        return None
    if not hasattr(data, "key_lines"):
        data.line, data.key_lines = 1, {}

    before = len(diags.errors)
    top = _Reader(data, "", shown, diags)
    cfg: dict[str, Any] = {"root": root}
    cfg["title"] = top.get("title", "News digest", _is_str, "a string")
    cfg["description"] = top.get("description", "", _is_str, "a string")
    cfg["author"] = top.get("author", "", _is_str, "a string")
    cfg["language"] = top.get("language", "en", _is_str, "a language code such as `en`")
    cfg["timezone"] = top.get("timezone", "UTC", _is_str, "a time zone name such as `Europe/Paris`")
    try:
        ZoneInfo(cfg["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        top.error("timezone", f"unknown time zone `{cfg['timezone']}` (use an IANA name such as `Europe/Paris`)")
        cfg["timezone"] = "UTC"
    # Read the key even when --base-url overrides it, so it is not reported as an unknown setting.
    configured_url = top.get("base_url", None, _is_str, "a URL such as `https://example.org/news/`")
    url = base_url or configured_url
    if url is not None:
        if not re.match(r"^https?://[^/\s]+", url):
            top.error("base_url", f"`base_url` must start with http:// or https://, not `{url}`")
            url = None
        elif not url.endswith("/"):
            url += "/"
    cfg["base_url"] = url
    cfg["relative_urls"] = top.get("relative_urls", True, _is_bool, "true or false")

    links = top.section("permalinks")
    permalinks = dict(DEFAULT_PERMALINKS)
    for name, default_pattern in DEFAULT_PERMALINKS.items():
        pattern = links.get(name, default_pattern, _is_str, "a URL pattern")
        fields = set(re.findall(r"{(\w+)}", pattern))
        unknown = fields - PERMALINK_FIELDS[name]
        if unknown:
            links.error(name, f"`permalinks.{name}` uses unknown field {{{min(unknown)}}}; "
                              f"allowed: {', '.join('{'+f+'}' for f in sorted(PERMALINK_FIELDS[name])) or 'none'}")
        elif ".." in pattern.split("/") or pattern.startswith("/") or not pattern.endswith("/"):
            links.error(name, f"`permalinks.{name}` must be a relative folder path ending in `/`, such as `{default_pattern}`")
        else:
            permalinks[name] = pattern
    links.reject_unknown()
    cfg["permalinks"] = permalinks

    taxonomies = top.get("taxonomies", ["tags"], lambda v: isinstance(v, list) and all(_is_str(x) for x in v), "a list of front-matter field names")
    if "tags" not in taxonomies:
        taxonomies = ["tags", *taxonomies]
    cfg["taxonomies"] = tuple(dict.fromkeys(taxonomies))

    d = top.section("digest")
    cfg["digest"] = DigestOptions(
        per_page=_positive(d, "per_page", 20),
        summary_length=_positive(d, "summary_length", 240),
    )
    d.reject_unknown()

    t = top.section("tags")
    aliases_raw = t.get("aliases", {}, lambda v: isinstance(v, dict), "a mapping of canonical tag to a list of variants")
    aliases: dict[str, tuple[str, ...]] = {}
    for canonical, variants in aliases_raw.items():
        if isinstance(variants, str):
            variants = [variants]
        if not _is_str(canonical) or not isinstance(variants, list) or not all(_is_str(v) for v in variants):
            t.diags.error(shown, aliases_raw.line_of(canonical) if isinstance(aliases_raw, LineMap) else t.data.line_of("aliases"),
                          f"`tags.aliases.{canonical}` must be a list of tag names")
            continue
        aliases[canonical] = tuple(variants)
    cfg["tags"] = TagOptions(per_page=_positive(t, "per_page", 30), aliases=aliases)
    t.reject_unknown()

    r = top.section("related")
    auto = r.get("auto", 5, _is_int, "a whole number (0 turns automatic relations off)")
    if auto < 0:
        r.error("auto", "`related.auto` must be 0 or more")
        auto = 5
    share = r.get("max_share", 0.25, lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1,
                  "a fraction between 0 and 1")
    cfg["related"] = RelatedOptions(auto=auto, max_share=float(share))
    r.reject_unknown()

    f = top.section("feeds")
    cfg["feeds"] = FeedOptions(entries=_positive(f, "entries", 20))
    f.reject_unknown()

    a = top.section("annotations")
    kinds_raw = a.get("kinds", None, lambda v: isinstance(v, dict), "a mapping of kind name to {label, color}")
    kinds: list[AnnotationKind] = []
    for name, spec in (kinds_raw or DEFAULT_KINDS).items():
        spec = spec or {}
        if not isinstance(spec, dict) or not _is_str(name):
            a.error("kinds", f"`annotations.kinds.{name}` must be a mapping with `label` and `color`")
            continue
        base = DEFAULT_KINDS.get(name, {"label": str(name).replace("-", " ").capitalize(), "color": "#555555", "dark_color": "#bbbbbb"})
        color = spec.get("color", base["color"])
        dark = spec.get("dark_color", base.get("dark_color", color))
        for key, value in (("color", color), ("dark_color", dark)):
            if not (isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", value)):
                a.error("kinds", f"`annotations.kinds.{name}.{key}` must be a hex colour such as `#1d5fa8`")
        for key, value, background in (("color", color, LIGHT_BACKGROUND), ("dark_color", dark, DARK_BACKGROUND)):
            ratio = contrast_ratio(value, background) if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?", value) else None
            if ratio is not None and ratio < 4.5:
                a.diags.warning(a.path, a.data.line_of("kinds"),
                                f"`annotations.kinds.{name}.{key}` {value} has contrast {ratio:.1f}:1 on the theme's "
                                f"{'light' if key == 'color' else 'dark'} background {background}; WCAG AA needs 4.5:1")
        unknown = set(spec) - {"label", "color", "dark_color"}
        if unknown:
            a.error("kinds", f"unknown setting `annotations.kinds.{name}.{min(unknown)}`")
        kinds.append(AnnotationKind(str(name), str(spec.get("label", base["label"])), str(color), str(dark)))
    cfg["annotation_kinds"] = tuple(kinds)
    a.reject_unknown()

    m = top.section("markdown")
    exts = m.get("extensions", DEFAULT_MARKDOWN_EXTENSIONS, lambda v: isinstance(v, list) and all(_is_str(x) for x in v),
                 "a list of Python-Markdown extension names")
    ext_cfg = m.get("extension_configs", {}, lambda v: isinstance(v, dict), "a mapping of extension name to settings")
    cfg["markdown"] = MarkdownOptions(extensions=tuple(exts), extension_configs={str(k): dict(v or {}) for k, v in ext_cfg.items()})
    try:
        from .markup import new_markdown

        new_markdown(cfg["markdown"])
    except Exception as exc:  # noqa: BLE001 - any extension failure is a config error to report
        m.error("extensions", f"`markdown.extensions` could not be loaded: {exc}")
    m.reject_unknown()

    cfg["extra"] = dict(top.get("extra", {}, lambda v: isinstance(v, dict), "a mapping (free-form values for templates)"))

    # --- limits (issue 10) --------------------------------------------------------------------
    lim = top.section("limits")
    raw_size = lim.get("max_file_size", DEFAULT_MAX_FILE_SIZE, lambda v: parse_size(v) is not None,
                       'a size such as 1000000, "500 KB" or "2 MB"')
    cfg["limits"] = LimitOptions(max_file_size=parse_size(raw_size) or DEFAULT_MAX_FILE_SIZE)
    lim.reject_unknown()
    # ------------------------------------------------------------------------------------------
    top.reject_unknown()

    if len(diags.errors) > before:
        return None
    return SiteConfig(**cfg)


def _positive(reader: _Reader, key: str, default: int) -> int:
    value = reader.get(key, default, _is_int, "a whole number")
    if value < 1:
        reader.error(key, f"`{reader.where}{key}` must be at least 1")
        return default
    return value
