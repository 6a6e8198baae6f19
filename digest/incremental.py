"""Fingerprints that decide which pages an incremental build may skip.

A page is skipped only when its fingerprint equals the one recorded for the file already in the
output folder. The fingerprint covers the engine's code, all of site.yaml, every template and
static file, and the page's declared dependencies (site.PageDeps).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .cache import code_fingerprint
from .config import SiteConfig
from .content import Article
from .feeds import FeedJob
from .markup import RenderedArticle
from .site import Page, Story


def folder_fingerprint(folders: list[Path]) -> str:
    """Hash of the templates; static/ is left out: assets are copied, not rendered into pages,
    so a CSS edit must not re-render every page."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.relative_to(folder).parts[0] != "static":
                digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()


def global_key(config: SiteConfig, template_folders: list[Path], drafts: bool) -> str:
    parts = f"{code_fingerprint()}|{config.fingerprint()}|{folder_fingerprint(template_folders)}|{drafts}"
    return hashlib.sha256(parts.encode()).hexdigest()


def graph_signature(article: Article, rendered: RenderedArticle) -> str:
    """Everything of an article that pages other than its own can show or depend on."""
    a, r = article, rendered
    return repr((
        a.slug, a.title, a.date, a.updated, a.summary, a.editor_note, a.source, a.source_url, a.author,
        a.section, a.dateline, a.tags, a.draft, sorted((str(k), repr(v)) for k, v in a.extra.items()),
        tuple((x.target, x.title, x.url) for x in a.related), tuple((x.kind, x.rating) for x in a.annotations),
        r.summary, r.editor_note_html, tuple(c.target for c in r.crossrefs),
    ))


def card_key(story: Story) -> str:
    """What a card or link shows of a story: its own fields (everything but the body) and
    where it sits in the site (its URL, edition and the resolved names of its terms)."""
    placed = (
        story.url, story.edition.url if story.edition else "",
        tuple((name, tuple((t.name, t.url) for t in terms)) for name, terms in sorted(story.terms.items())),
    )
    return hashlib.sha256((graph_signature(story.article, story.rendered) + repr(placed)).encode()).hexdigest()


def page_fingerprint(page: Page, base: str, content_keys: dict[int, str], card_keys: dict[int, str]) -> str | None:
    """None when the page declares no dependencies and must always be rendered."""
    deps = page.deps
    if deps is None:
        return None
    digest = hashlib.sha256(base.encode())
    digest.update(f"|{page.path}|{page.template}|{page.kind}|{page.title}|".encode())
    for story in deps.full:
        digest.update(content_keys[id(story)].encode())
        digest.update(card_keys[id(story)].encode())
    digest.update(b"|")
    for story in deps.cards:
        digest.update(card_keys[id(story)].encode())
    digest.update(b"|" + deps.extra.encode())
    return digest.hexdigest()


def feed_fingerprint(job: FeedJob, base: str, content_keys: dict[int, str], card_keys: dict[int, str],
                     newest_story: Story | None) -> str:
    """A feed shows its entries whole, plus the headlines and URLs of what they link to inline."""
    digest = hashlib.sha256(base.encode())
    digest.update(f"|feed|{job.path}|{job.page_path}|{job.title}|".encode())
    for story in job.stories:
        digest.update(content_keys[id(story)].encode() + card_keys[id(story)].encode())
        for target in story.inline_links:
            digest.update(card_keys[id(target)].encode())
    if not job.stories and newest_story is not None:  # an empty feed is dated by the site's newest story
        digest.update(card_keys[id(newest_story)].encode())
    return digest.hexdigest()
