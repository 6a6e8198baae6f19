"""site.yaml -> SiteConfig: every option declared once (name, type, default, check), read by one loop.

The dataclasses below are the schema. Each field is an `option(default, check, doc)`; a field whose
type is another options dataclass is a section (`digest:`, `tags:` ...). `load_config` walks the
schema, so a key that is not declared is reported as unknown, and a value that fails its check is
an error naming the key and its line, as MkDocs' config_options do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import markdown

from .diagnostics import Diagnostics
from .limits import NAME_MAX, parse_size
from .sanitize import clean_strings
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
DEFAULT_MARKDOWN_EXTENSIONS = ("extra", "sane_lists")


class OptionError(ValueError):
    """A value that fails its option's check; the message names the key (`{key}` is filled in)."""


class Reported(ValueError):
    """A check that reported its own, more precise diagnostics: use the default, add no message."""


Check = Callable[[Any, "Where"], Any]


@dataclass(frozen=True)
class Where:
    """What a check needs to word its message and point at a line: the dotted key and the mapping
    holding it (nested values have lines of their own)."""

    key: str
    data: LineMap
    path: str
    diags: Diagnostics

    def line(self) -> int:
        return self.data.line_of(self.key.rsplit(".", 1)[-1])


def option(default: Any, check: Check, doc: str) -> Any:
    """Declare one option: its default, the check that validates and converts a value, and what it does."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"check": check, "doc": doc})
    return field(default=default, metadata={"check": check, "doc": doc})


def section(cls: type) -> Any:
    return field(default_factory=cls, metadata={"section": cls})


# -- checks: each returns the converted value or raises OptionError ----------------------------

def describe(value: Any) -> str:
    """How a wrong value is named in error messages."""
    for kind, name in ((bool, "a boolean"), ((int, float), "a number"), (str, "a string"),
                       (list, "a list"), (dict, "a mapping"), (type(None), "empty")):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _typed(expected: str, test: Callable[[Any], bool]) -> Check:
    def check(value: Any, where: Where) -> Any:
        if not test(value):
            raise OptionError(f"`{{key}}` must be {expected}, not {describe(value)}")
        return value
    return check


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


text = _typed("a string", lambda v: isinstance(v, str))
boolean = _typed("true or false", lambda v: isinstance(v, bool))
mapping = _typed("a mapping", lambda v: isinstance(v, dict))


def whole(minimum: int, expected: str = "a whole number") -> Check:
    def check(value: Any, where: Where) -> int:
        if not _is_int(value):
            raise OptionError(f"`{{key}}` must be {expected}, not {describe(value)}")
        if value < minimum:
            raise OptionError(f"`{{key}}` must be {'at least 1' if minimum == 1 else f'{minimum} or more'}")
        return value
    return check


def fraction(value: Any, where: Where) -> float:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1):
        raise OptionError(f"`{{key}}` must be a fraction between 0 and 1, not {describe(value)}")
    return float(value)


def timezone(value: Any, where: Where) -> str:
    if not isinstance(value, str):
        raise OptionError(f"`{{key}}` must be a time zone name such as `Europe/Paris`, not {describe(value)}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError(f"unknown time zone `{value}` (use an IANA name such as `Europe/Paris`)") from None
    return value


def base_url(value: Any, where: Where) -> str:
    if not isinstance(value, str):
        raise OptionError(f"`{{key}}` must be a URL such as `https://example.org/news/`, not {describe(value)}")
    if not re.match(r"^https?://[^/\s]+", value) or any(c.isspace() for c in value):
        raise OptionError(f"`{{key}}` must start with http:// or https://, not `{value}`")
    return value if value.endswith("/") else value + "/"


def text_list(expected: str) -> Check:
    def check(value: Any, where: Where) -> tuple[str, ...]:
        if not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
            raise OptionError(f"`{{key}}` must be {expected}, not {describe(value)}")
        return tuple(value)
    return check


def taxonomies(value: Any, where: Where) -> tuple[str, ...]:
    names = text_list("a list of front-matter field names")(value, where)
    return tuple(dict.fromkeys(("tags", *names)))


def permalink(name: str) -> Check:
    def check(value: Any, where: Where) -> str:
        if not isinstance(value, str):
            raise OptionError(f"`{{key}}` must be a URL pattern, not {describe(value)}")
        unknown = set(re.findall(r"{(\w+)}", value)) - PERMALINK_FIELDS[name]
        if unknown:
            allowed = ", ".join("{" + f + "}" for f in sorted(PERMALINK_FIELDS[name])) or "none"
            raise OptionError(f"`{{key}}` uses unknown field {{{min(unknown)}}}; allowed: {allowed}")
        if ".." in value.split("/") or value.startswith("/") or not value.endswith("/") or "\\" in value:
            raise OptionError(f"`{{key}}` must be a relative folder path ending in `/`, such as `{DEFAULT_PERMALINKS[name]}`")
        # Output-folder boundary (issue 10): a literal folder name longer than a file name may be.
        longest = max(len(part.encode()) for part in re.sub(r"{\w+}", "", value).split("/"))
        if longest > NAME_MAX:
            raise OptionError(f"`{{key}}` has a folder name of {longest} bytes; the file system allows {NAME_MAX}")
        return value
    return check


def tag_aliases(value: Any, where: Where) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise OptionError(f"`{{key}}` must be a mapping of canonical tag to a list of variants, not {describe(value)}")
    aliases: dict[str, tuple[str, ...]] = {}
    for canonical, variants in value.items():
        if isinstance(variants, str):
            variants = [variants]
        if not isinstance(canonical, str) or not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            line = value.line_of(canonical) if isinstance(value, LineMap) else where.line()
            where.diags.error(where.path, line, f"`{where.key}.{canonical}` must be a list of tag names")
            continue
        aliases[canonical] = tuple(variants)
    return aliases


@dataclass(frozen=True)
class AnnotationKind:
    name: str
    label: str
    color: str
    dark_color: str


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


_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?")


def annotation_kinds(value: Any, where: Where) -> tuple[AnnotationKind, ...]:
    if not isinstance(value, dict):
        raise OptionError(f"`{{key}}` must be a mapping of kind name to {{label, color}}, not {describe(value)}")
    line, ok = where.line(), True
    kinds: list[AnnotationKind] = []
    for name, spec in value.items():
        spec = spec or {}
        if not isinstance(spec, dict) or not isinstance(name, str):
            where.diags.error(where.path, line, f"`{where.key}.{name}` must be a mapping with `label` and `color`")
            ok = False
            continue
        base = DEFAULT_KINDS.get(name, {"label": name.replace("-", " ").capitalize(), "color": "#555555", "dark_color": "#bbbbbb"})
        color = spec.get("color", base["color"])
        dark = spec.get("dark_color", base.get("dark_color", color))
        for key, colour, background in (("color", color, LIGHT_BACKGROUND), ("dark_color", dark, DARK_BACKGROUND)):
            if not (isinstance(colour, str) and _HEX_COLOUR.fullmatch(colour)):
                where.diags.error(where.path, line, f"`{where.key}.{name}.{key}` must be a hex colour such as `#1d5fa8`")
                ok = False
                continue
            ratio = contrast_ratio(colour, background)
            if ratio < 4.5:
                where.diags.warning(where.path, line,
                                    f"`{where.key}.{name}.{key}` {colour} has contrast {ratio:.1f}:1 on the theme's "
                                    f"{'light' if key == 'color' else 'dark'} background {background}; WCAG AA needs 4.5:1")
        unknown = set(spec) - {"label", "color", "dark_color"}
        if unknown:
            where.diags.error(where.path, line, f"unknown setting `{where.key}.{name}.{min(map(str, unknown))}`")
            ok = False
        kinds.append(AnnotationKind(name, str(spec.get("label", base["label"])), str(color), str(dark)))
    if not ok:
        raise Reported()
    return tuple(kinds)


def _default_kinds() -> tuple[AnnotationKind, ...]:
    return tuple(AnnotationKind(name, spec["label"], spec["color"], spec["dark_color"]) for name, spec in DEFAULT_KINDS.items())


def extension_configs(value: Any, where: Where) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise OptionError(f"`{{key}}` must be a mapping of extension name to settings, not {describe(value)}")
    return {str(k): dict(v or {}) for k, v in value.items()}


def file_size(value: Any, where: Where) -> int:
    size = parse_size(value)
    if size is None:
        raise OptionError(f'`{{key}}` must be a size such as 1000000, "500 KB" or "2 MB", not {describe(value)}')
    return size


# -- the schema --------------------------------------------------------------------------------

@dataclass(frozen=True)
class DigestOptions:
    per_page: int = option(20, whole(1), "stories per digest page")
    summary_length: int = option(240, whole(1), "characters of a derived summary")


@dataclass(frozen=True)
class TagOptions:
    per_page: int = option(30, whole(1), "stories per tag page")
    aliases: dict[str, tuple[str, ...]] = option({}, tag_aliases, "variants shown under one canonical tag")


@dataclass(frozen=True)
class RelatedOptions:
    auto: int = option(5, whole(0, "a whole number (0 turns automatic relations off)"),
                       "automatically related stories per article (0: off)")
    max_share: float = option(0.25, fraction, "a tag on more than this share of articles counts for nothing")


@dataclass(frozen=True)
class FeedOptions:
    entries: int = option(20, whole(1), "newest articles in each feed")


@dataclass(frozen=True)
class AnnotationOptions:
    kinds: tuple[AnnotationKind, ...] = field(default_factory=_default_kinds, metadata={
        "check": annotation_kinds, "doc": "label and colours (light, dark) per annotation kind"})


@dataclass(frozen=True)
class MarkdownOptions:
    extensions: tuple[str, ...] = option(DEFAULT_MARKDOWN_EXTENSIONS, text_list("a list of Python-Markdown extension names"),
                                         "Python-Markdown extensions")
    extension_configs: dict[str, dict[str, Any]] = option({}, extension_configs, "settings per extension")
    # Issue 10 (sanitize branch): either way the HTML passes the sanitiser (digest/sanitize.py).
    raw_html: bool = option(True, boolean, "false: raw HTML in bodies is shown as text")

    @staticmethod
    def check_section(values: dict[str, Any]) -> tuple[str, str] | None:
        """(key, message) when the extensions cannot be loaded together."""
        try:
            markdown.Markdown(extensions=list(values["extensions"]), extension_configs=values["extension_configs"])
        except Exception as exc:  # noqa: BLE001 - any extension failure is a config error to report
            return "extensions", f"`markdown.extensions` could not be loaded: {exc}"
        return None


# `limits` (issue 10). 1 MB is four times the longest real article (a 35,000-word long read is
# ~0.25 MB) and keeps the worst case of Markdown on hostile text to seconds.
DEFAULT_MAX_FILE_SIZE = 1_000_000


@dataclass(frozen=True)
class LimitOptions:
    max_file_size: int = option(DEFAULT_MAX_FILE_SIZE, file_size,
                                'a larger content file is an error, found from its size before it is read; bytes or "2 MB"')


@dataclass(frozen=True)
class PermalinkOptions:
    article: str = option(DEFAULT_PERMALINKS["article"], permalink("article"), "also {year} {month} {day}")
    tag: str = option(DEFAULT_PERMALINKS["tag"], permalink("tag"), "a term's page")
    taxonomy: str = option(DEFAULT_PERMALINKS["taxonomy"], permalink("taxonomy"), "a taxonomy's index")
    edition: str = option(DEFAULT_PERMALINKS["edition"], permalink("edition"), "also {year} {month} {day}")
    archive: str = option(DEFAULT_PERMALINKS["archive"], permalink("archive"), "all editions by month")
    page: str = option(DEFAULT_PERMALINKS["page"], permalink("page"), "appended to a listing's path for page 2, 3, …")

    def __getitem__(self, name: str) -> str:
        return getattr(self, name)


@dataclass(frozen=True)
class SiteConfig:
    root: Path = field(default=Path("."), metadata={"internal": True})
    title: str = option("News digest", text, "site name")
    description: str = option("", text, "under the title and in <meta name=description>")
    author: str = option("", text, "who curates the digest")
    language: str = option("en", _typed("a language code such as `en`", lambda v: isinstance(v, str)), "<html lang>")
    timezone: str = option("UTC", timezone, "IANA zone for naive dates and edition days")
    base_url: str | None = option(None, base_url, "absolute address; needed for feeds, sitemap, canonical links")
    relative_urls: bool = option(True, boolean, "false: links are root-relative, from base_url's path")
    permalinks: PermalinkOptions = section(PermalinkOptions)
    taxonomies: tuple[str, ...] = option(("tags",), taxonomies, "front-matter fields that get index pages")
    digest: DigestOptions = section(DigestOptions)
    tags: TagOptions = section(TagOptions)
    related: RelatedOptions = section(RelatedOptions)
    feeds: FeedOptions = section(FeedOptions)
    annotations: AnnotationOptions = section(AnnotationOptions)
    markdown: MarkdownOptions = section(MarkdownOptions)
    extra: dict[str, Any] = option({}, _typed("a mapping (free-form values for templates)", lambda v: isinstance(v, dict)),
                                   "free-form values for templates")
    limits: LimitOptions = section(LimitOptions)
    dep_key: ClassVar[str] = "config"  # its name for digest.incremental's recorded reads
    # Output-folder boundary (issue 10, digest/fsguard.py): links in content/, static/ and templates/
    # that leave the site are refused with a warning unless this is set.
    follow_symlinks: bool = option(False, boolean, "follow symbolic links that lead out of the site")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def annotation_kinds(self) -> tuple[AnnotationKind, ...]:
        return self.annotations.kinds

    @property
    def kinds(self) -> dict[str, AnnotationKind]:
        return {k.name: k for k in self.annotations.kinds}

    def fingerprint(self, *sections: str) -> str:
        """A stable hash of the named settings (all of them by default), for cache keys."""
        data = dataclasses.asdict(self)
        data.pop("root")
        picked = {name: data[name] for name in sections} if sections else data
        blob = json.dumps(picked, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def options_of(schema: type) -> list[dataclasses.Field]:
    """The declared options and sections of a schema class, in declaration order."""
    return [f for f in dataclasses.fields(schema) if not f.metadata.get("internal")]


def _read_section(schema: type, data: LineMap, prefix: str, path: str, diags: Diagnostics) -> tuple[Any, bool]:
    """Build one schema dataclass from `data`; returns (value, ok)."""
    values: dict[str, Any] = {}
    ok = True
    for spec in options_of(schema):
        key = spec.name
        raw = data.get(key)
        if "section" in spec.metadata:
            sub = raw
            if raw is not None and not isinstance(raw, dict):
                diags.error(path, data.line_of(key), f"`{prefix}{key}` must be a mapping, not {describe(raw)}")
                ok, sub = False, None
            if sub is None:
                sub = LineMap()
                sub.line, sub.key_lines = data.line_of(key), {}
            values[key], sub_ok = _read_section(spec.metadata["section"], sub, f"{prefix}{key}.", path, diags)
            ok = ok and sub_ok
            continue
        if raw is None:  # absent or left empty: the default
            continue
        try:
            values[key] = spec.metadata["check"](raw, Where(f"{prefix}{key}", data, path, diags))
        except Reported:
            ok = False
        except OptionError as exc:
            diags.error(path, data.line_of(key), str(exc).replace("{key}", f"{prefix}{key}"))
            ok = False
    declared = {spec.name for spec in options_of(schema)}
    for key in data:
        if key not in declared:
            from difflib import get_close_matches

            hint = get_close_matches(str(key), sorted(declared), n=1, cutoff=0.7)
            suggestion = f" (did you mean `{prefix}{hint[0]}`?)" if hint else ""
            diags.error(path, data.line_of(key), f"unknown setting `{prefix}{key}`{suggestion}")
            ok = False
    check_section = getattr(schema, "check_section", None)
    if ok and check_section is not None:
        merged = {spec.name: values.get(spec.name, getattr(schema(), spec.name)) for spec in options_of(schema)}
        problem = check_section(merged)
        if problem is not None:
            diags.error(path, data.line_of(problem[0]), problem[1])
            ok = False
    return schema(**values), ok


def load_config(root: Path, diags: Diagnostics, base_url_override: str | None = None) -> SiteConfig | None:
    """Read `root/site.yaml`. Problems go to `diags`; returns None when the config is unusable."""
    path = root / "site.yaml"
    shown = "site.yaml"
    if not path.is_file():
        diags.error(shown, 0, f"site.yaml not found in {root.resolve()} (use --site DIR)")
        return None
    try:
        text_value = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        diags.error(shown, 1, f"site.yaml is not valid UTF-8 ({exc.reason} at byte {exc.start})")
        return None
    except OSError as exc:
        diags.error(shown, 0, f"cannot read site.yaml: {exc.strerror or exc}")
        return None
    yaml_warnings: list[tuple[int, str]] = []
    try:
        data = load_yaml(text_value, warnings=yaml_warnings) if text_value.strip() else LineMap()
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
    clean_strings(data)  # issue 10: no control character from site.yaml reaches a page or the terminal
    config, ok = _read_section(SiteConfig, data, "", shown, diags)
    if base_url_override is not None:
        try:
            config = dataclasses.replace(config, base_url=base_url(base_url_override, Where("base_url", data, shown, diags)))
        except OptionError as exc:
            diags.error("--base-url", 0, str(exc).replace("{key}", "--base-url"))
            ok = False
    if not ok:
        return None
    return dataclasses.replace(config, root=root)
