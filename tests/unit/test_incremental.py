"""digest.incremental on its own: fingerprints, recorded reads, and the skip decision."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from digest.config import SiteConfig
from digest.content import Article
from digest.diagnostics import Diagnostics
from digest.incremental import (
    BuildState,
    Reads,
    Skipper,
    Untrackable,
    entities,
    entity_key,
    fingerprint,
    page_context,
    read_value,
)
from digest.markup import RenderedArticle
from digest.render import make_environment
from digest.site import RelatedMemo, Site, build_site

UTC = dt.UTC


def _article(slug: str, title: str, tags: tuple[str, ...] = (), day: int = 2, body: str = "Body.") -> tuple[Article, RenderedArticle, str]:
    article = Article(path=f"content/{slug}.md", slug=slug, title=title, date=dt.datetime(2026, 3, day, 9, tzinfo=UTC),
                      body=body, body_line=5, tags=tags)
    rendered = RenderedArticle(body_html=f"<p>{body}</p>", summary=body, editor_note_html="", word_count=len(body.split()))
    return article, rendered, f"key-{slug}-{title}-{body}"


def _site(*entries: tuple[Article, RenderedArticle, str], **config: object) -> Site:
    diags = Diagnostics()
    site = build_site(SiteConfig(root=Path("."), **config), list(entries), diags, RelatedMemo())
    assert not diags.errors
    return site


# -- fingerprints ------------------------------------------------------------------------------

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    | st.dates() | st.datetimes(timezones=st.just(UTC)),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(values)
def test_equal_values_have_equal_fingerprints(value: object) -> None:
    assert fingerprint(value) == fingerprint(pickle.loads(pickle.dumps(value)))


@given(values, values)
def test_different_values_have_different_fingerprints(a: object, b: object) -> None:
    if type(a) is type(b) and a == b and repr(a) == repr(b):
        return
    assert fingerprint(a) != fingerprint(b)


def test_fingerprints_tell_apart_what_a_template_would_print_differently() -> None:
    assert fingerprint("<b>") != fingerprint(Markup("<b>"))  # escaped vs not
    assert fingerprint([1]) != fingerprint((1,)) and fingerprint("1") != fingerprint(1)
    assert fingerprint(dt.datetime(2026, 3, 2, 9, tzinfo=UTC)) != fingerprint(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    assert fingerprint({"a": 1, "b": 2}) != fingerprint({"b": 2, "a": 1})  # a template iterates in order


def test_graph_objects_count_by_name_and_anything_opaque_is_untrackable() -> None:
    site = _site(_article("a", "A"), _article("b", "B"))
    first, second = site.stories
    assert fingerprint([first]) != fingerprint([second])
    renamed = _site(_article("a", "A changed"), _article("b", "B"))
    assert fingerprint(renamed.by_slug["a"]) == fingerprint(site.by_slug["a"])  # by key, not by content
    with pytest.raises(Untrackable):
        fingerprint(lambda: 1)
    with pytest.raises(Untrackable):
        fingerprint(site.urls)
    with pytest.raises(Untrackable):
        fingerprint(object())


def test_every_graph_object_is_found_by_its_key() -> None:
    site = _site(_article("a", "A", ("Ports",)), _article("b", "B", ("Ports", "Water"), day=3))
    index = entities(site)
    for obj in [*site.stories, *site.editions, *site.pages, *site.tags.terms, site.tags, site, site.config]:
        assert index[entity_key(obj)] is obj
    assert entity_key("a string") is None and entity_key([1]) is None


def test_read_value_is_what_a_template_sees() -> None:
    site = _site(_article("a", "A", ("Ports",)))
    story = site.by_slug["a"]
    assert read_value(story, "title") == "A"  # through Story.__getattr__ to the article
    assert read_value(story, "tags") == story.tags
    assert read_value(story, "no_such_field") is read_value(story, "another_missing")  # one "missing" marker
    assert fingerprint(read_value(story, "no_such_field")) == fingerprint(jinja2.Undefined())


# -- the skip decision -------------------------------------------------------------------------

def _record_all(site: Site, reads_of: dict[str, set[tuple[str, str]]], state: BuildState | None = None) -> BuildState:
    env = make_environment(Path("."))
    skipper = Skipper(state, "base", site, env)
    for page in site.pages:
        reads = Reads()
        reads.attrs |= reads_of.get(page.path, set())
        skipper.record(page.path, reads, page_context(page), "sha-" + page.path)
    return skipper.finish({page.path for page in site.pages})


def _fresh(site: Site, state: BuildState, path: str) -> bool:
    skipper = Skipper(state, "base", site, make_environment(Path(".")))
    page = next(p for p in site.pages if p.path == path)
    return skipper.fresh(page, path, page_context(page), "sha-" + path)


def test_a_page_is_fresh_until_something_it_read_changes() -> None:
    site = _site(_article("a", "A"), _article("b", "B"))
    page = "articles/a/"
    state = _record_all(site, {page: {("s:a", "title"), ("s:b", "url")}})
    assert _fresh(_site(_article("a", "A"), _article("b", "B")), state, page)
    assert _fresh(_site(_article("a", "A", body="Other body."), _article("b", "B")), state, page)  # body not read
    assert not _fresh(_site(_article("a", "A2"), _article("b", "B")), state, page)  # title read
    assert not _fresh(_site(_article("a", "A")), state, page)  # b gone: its url was read


def test_a_story_that_comes_back_is_read_again() -> None:
    page = "articles/a/"
    state = _record_all(_site(_article("a", "A"), _article("b", "B")), {page: {("s:b", "title")}})
    without_b = _site(_article("a", "A"))
    assert not _fresh(without_b, state, page)
    state = _record_all(without_b, {page: set()}, state)
    assert _fresh(_site(_article("a", "A"), _article("b", "B")), state, page)  # it no longer reads b


def test_a_page_whose_read_cannot_be_fingerprinted_is_never_skipped() -> None:
    site = _site(_article("a", "A"))
    page = "articles/a/"
    state = _record_all(site, {page: {("site", "urls")}})  # a Urls object: opaque
    assert state.pages[page].reads is None
    assert not _fresh(site, state, page)


def test_a_different_engine_version_trusts_nothing() -> None:
    site = _site(_article("a", "A"))
    state = _record_all(site, {})
    env = make_environment(Path("."))
    page = site.pages[0]
    assert Skipper(state, "base", site, env).fresh(page, page.path, page_context(page), "sha-" + page.path)
    assert not Skipper(state, "other", site, env).fresh(page, page.path, page_context(page), "sha-" + page.path)


def test_a_file_changed_in_the_output_is_rendered_again() -> None:
    site = _site(_article("a", "A"))
    state = _record_all(site, {})
    page = site.pages[0]
    skipper = Skipper(state, "base", site, make_environment(Path(".")))
    assert not skipper.fresh(page, page.path, page_context(page), "sha-someone-else-wrote")
    assert not skipper.fresh(page, page.path, page_context(page), None)  # the file is gone


def test_a_failed_build_leaves_the_last_state_as_it_was() -> None:
    site = _site(_article("a", "A"))
    state = _record_all(site, {"articles/a/": {("s:a", "title")}})
    before = pickle.dumps(state)
    skipper = Skipper(state, "base", _site(_article("a", "Changed")), make_environment(Path(".")))
    skipper.record("articles/a/", Reads(), b"x", "sha-new")  # a render, then the build fails: no finish()
    assert pickle.dumps(state) == before


def test_state_survives_pickling_exactly() -> None:
    site = _site(_article("a", "A", ("Ports",)), _article("b", "B", ("Ports",)))
    state = _record_all(site, {page.path: {("s:a", "title"), ("s:b", "tags"), ("t:tags/ports", "name")} for page in site.pages})
    again = pickle.loads(pickle.dumps(state))
    assert again.pairs == state.pairs and again.values == state.values and again.origins == state.origins
    assert again.pages == state.pages and again.templates == state.templates
