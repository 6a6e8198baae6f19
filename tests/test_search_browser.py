"""Search in Chromium: Pagefind's UI finds articles and filters them, from a sub-folder, offline,
accessibly; without an index the page says so instead of breaking."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import REPO, build, same_host_only, static_server

ARTICLE = "grid-operator-traces-outage-to-converter-fault"  # the one article that says "converter"


@pytest.fixture(scope="module")
def served_parent(built_example: Path):
    """The folder *holding* public/, so the site lives under /public/ as on a host's sub-path."""
    with static_server(built_example.parent) as base:
        yield base


@pytest.fixture
def open_search(browser, served_parent: str):
    """Opens /public/search/[?query]; fails the test on script errors or requests to other hosts."""
    contexts, outside, errors = [], [], []

    def _open(query: str = "", width: int = 1280, scheme: str = "light"):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        contexts.append(context)
        host = urlsplit(served_parent).netloc

        same_host_only(context, host, outside)
        page = context.new_page()
        # A hang guard, not a speed target: on a busy CI box Pagefind's worker can take seconds to start.
        page.set_default_timeout(90_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(served_parent + "public/search/" + query)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert outside == [], f"requests to outside hosts: {outside}"
    assert errors == [], f"script errors: {errors}"


def _result_count(page) -> int:
    page.wait_for_function("/^\\d+ results? for/.test(document.querySelector('.pagefind-ui__message')?.textContent || '')")
    return int(page.inner_text(".pagefind-ui__message").split()[0])


def _result_paths(page) -> list[str]:
    count = _result_count(page)
    page.wait_for_function(f"document.querySelectorAll('.pagefind-ui__result-link').length === {min(count, 5)}")
    return [urlsplit(page.evaluate("(a) => a.href", link)).path for link in page.query_selector_all(".pagefind-ui__result-link")]


def _open_filter(page, name: str) -> None:
    """Open a filter group as a reader does, once Pagefind has loaded the filters."""
    page.wait_for_selector(f"input[name='{name}']", state="attached")
    page.click(f"summary.pagefind-ui__filter-name:text-is('{name}')")
    page.wait_for_selector(f"input[name='{name}']", state="visible")


def test_typing_a_word_finds_its_article_and_the_link_works(open_search) -> None:
    page = open_search()
    page.get_by_role("search").get_by_role("textbox").fill("converter")
    paths = _result_paths(page)
    assert f"/public/articles/{ARTICLE}/" in paths
    result = page.locator(".pagefind-ui__result", has=page.locator(f"a[href$='/{ARTICLE}/']"))
    assert re.fullmatch(r"Date: \d{1,2} \w+ \d{4}", result.locator(".pagefind-ui__result-tag").first.inner_text())
    page.click(f".pagefind-ui__result-link[href$='/{ARTICLE}/']")
    page.wait_for_url(f"**/public/articles/{ARTICLE}/")
    assert "converter" in page.inner_text("h1").lower()


def test_a_tag_filter_narrows_the_results(open_search, built_example: Path) -> None:
    page = open_search("?q=harwick")
    everything = _result_count(page)
    _open_filter(page, "Tag")
    page.check("input[name='Tag'][value='Grid']")
    page.wait_for_function(f"!(document.querySelector('.pagefind-ui__message')?.textContent || '').startsWith('{everything} ')")
    filtered = _result_count(page)
    assert 0 < filtered < everything
    page.wait_for_function(f"document.querySelectorAll('.pagefind-ui__result-link').length === {min(filtered, 5)}")
    for link in page.query_selector_all(".pagefind-ui__result-link"):
        path = urlsplit(page.evaluate("(a) => a.href", link)).path
        html = (built_example / path.removeprefix("/public/") / "index.html").read_text()
        assert re.search(r'rel="tag">Grid</a>', html), f"{path} is not tagged Grid"


def test_an_address_with_a_query_runs_it(open_search) -> None:
    page = open_search("?q=converter")
    assert f"/public/articles/{ARTICLE}/" in _result_paths(page)
    assert page.get_by_role("search").get_by_role("textbox").input_value() == "converter"


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "dark")])
def test_axe_finds_no_serious_or_critical_violation(open_search, width: int, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = open_search("?q=harwick", width, scheme)
    _result_paths(page)
    _open_filter(page, "Tag")  # the open filter list too
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in bad]


def _new_page(browser):
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page, errors


def test_without_pagefind_the_page_says_search_is_off(browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    monkeypatch.setitem(sys.modules, "pagefind", None)
    monkeypatch.setitem(sys.modules, "pagefind.service", None)
    assert build(site).code == 0
    with static_server(site / "public") as base:
        context, page, errors = _new_page(browser)
        try:
            page.goto(base + "search/")
            assert "Search is not available" in page.inner_text("#search-status")
            assert page.get_by_role("search").get_by_role("textbox").count() == 0
            assert errors == []
        finally:
            context.close()


def test_a_missing_index_is_reported_on_the_page(browser, built_example: Path, tmp_path: Path) -> None:
    public = tmp_path / "public"
    shutil.copytree(built_example, public, ignore=shutil.ignore_patterns("pagefind"))
    with static_server(public) as base:
        context, page, errors = _new_page(browser)
        try:
            page.goto(base + "search/")
            assert "Search could not be loaded" in page.inner_text("#search-status")
            assert errors == []
        finally:
            context.close()


def test_without_javascript_the_page_says_what_search_needs(browser, served_parent: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(served_parent + "public/search/")
        assert "needs JavaScript" in page.inner_text("#search-status")
        assert page.locator("#search-status").get_by_role("link", name="archive").count() == 1
    finally:
        context.close()
