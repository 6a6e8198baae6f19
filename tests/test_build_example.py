"""End-to-end: the repository's example digest, page by page, as a reader gets it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from .conftest import REPO, article, build, tree_digest, write_site


class _Page(HTMLParser):
    """Just enough structure to assert on: text, links, times, headings."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.times: list[str] = []
        self.headings: list[str] = []
        self.text_parts: list[str] = []
        self._href: str | None = None
        self._link_text: list[str] = []
        self._in_heading = False
        self._heading: list[str] = []
        self._hidden = 0  # inside <style>/<script>: not text a reader sees
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("style", "script"):
            self._hidden += 1
        if tag == "a" and "href" in a:
            self._href, self._link_text = a["href"], []
        if tag == "time":
            self.times.append(a.get("datetime", ""))
        if tag in ("h1", "h2", "h3"):
            self._in_heading, self._heading = True, []

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._hidden -= 1
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join("".join(self._link_text).split())))
            self._href = None
        if tag in ("h1", "h2", "h3") and self._in_heading:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._in_heading = False

    def handle_data(self, data):
        if self._hidden:
            return
        self.text_parts.append(data)
        if self._href is not None:
            self._link_text.append(data)
        if self._in_heading:
            self._heading.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())


def page(public: Path, path: str) -> _Page:
    return _Page((public / path).read_text(encoding="utf-8"))


def test_example_builds_without_warnings(example_site: Path) -> None:
    result = build(example_site)
    assert result.code == 0, result.output
    assert result.err == ""
    assert re.fullmatch(r"built 18 articles, \d+ tag pages, 5 editions in [\d.]+s \(0 warnings\)\n", result.out)


def test_every_expected_page_exists(built_example: Path) -> None:
    slugs = sorted(p.stem for p in (REPO / "content").glob("*.md"))
    published = [s for s in slugs if "draft: true" not in (REPO / "content" / f"{s}.md").read_text()]
    for slug in published:
        assert (built_example / "articles" / slug / "index.html").is_file(), slug
    assert not any((built_example / "articles" / s).exists() for s in set(slugs) - set(published)), "draft was published"
    for day in ("2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"):
        assert (built_example / "digest" / day / "index.html").is_file()
    for path in ("index.html", "archive/index.html", "tags/index.html", "404.html", "static/style.css",
                 "static/annotations.js", "static/fonts/newsreader-latin-wght-normal.woff2", "static/fonts/OFL.txt",
                 "tags/ports/index.html", "tags/skaerholm/index.html", "tags/hvdc-2/index.html"):
        assert (built_example / path).is_file(), path


def test_home_groups_newest_first_by_day(built_example: Path) -> None:
    home = page(built_example, "index.html")
    days = [t for t in home.times if re.fullmatch(r"\d{4}-\d\d-\d\d", t)]
    assert days == ["2026-03-06", "2026-03-05", "2026-03-04", "2026-03-03", "2026-03-02"]
    assert "Thursday, 5 March 2026" in home.headings
    # Each card: title link, source, date, editor's note or summary, tags, annotation counts.
    assert ("articles/port-strike-begins-at-harwick/", "Harwick’s dockworkers walk out over shift pattern changes") in home.links
    assert ("tags/ports/", "Ports") in home.links
    assert "Editor’s note The opening story of the dispute." in home.text
    assert "2 annotations Fact-check: 2" in home.text


def test_article_page_shows_everything(built_example: Path) -> None:
    html = (built_example / "articles/port-strike-begins-at-harwick/index.html").read_text()
    art = _Page(html)
    assert art.headings[0] == "Harwick’s dockworkers walk out over shift pattern changes"
    assert ("https://example.org/baltic-wire/2026/03/02/harwick-dockworkers-walk-out", "Baltic Wire") in art.links
    assert '<time datetime="2026-03-02T06:45:00+01:00">' in html
    assert "Maren Holt" in art.text and "HARWICK" in art.text
    assert ("../../tags/labour/", "Labour") in art.links
    assert "The opening story of the dispute." in art.text
    assert "<em>1,100</em>" in html
    assert "Dock and Harbour Workers’ Union" in art.text
    related = html[html.index('<section id="related"'):]
    assert 'href="../../articles/port-strike-enters-second-day/"' in related
    assert ('../../', "Harwick Harbour Digest") in art.links


def test_edition_and_archive(built_example: Path) -> None:
    edition = page(built_example, "digest/2026-03-03/index.html")
    assert "Digest for Tuesday, 3 March 2026" in edition.headings
    assert ("../../digest/2026-03-02/", "← 2 March 2026") in edition.links
    assert ("../../digest/2026-03-04/", "4 March 2026 →") in edition.links
    archive = page(built_example, "archive/index.html")
    assert "March 2026" in archive.headings
    # A calendar: the day number links to its edition, named in full for screen readers.
    assert ("../digest/2026-03-05/", "5") in archive.links
    assert 'href="../digest/2026-03-05/" aria-label="5 March: 3 stories"' in (built_example / "archive/index.html").read_text()


def test_tag_pages(built_example: Path) -> None:
    tags = page(built_example, "tags/index.html")
    # Each tag links with its count (inside the link, so the whole entry is the target).
    assert ("../tags/ports/", "Ports 8 stories") in tags.links and ("../tags/skaerholm/", "Skærholm 4 stories") in tags.links
    ports = page(built_example, "tags/ports/index.html")
    assert ports.headings[0] == "Ports"
    story_links = [h for h, _ in ports.links if h.startswith("../../articles/")]
    assert len(set(story_links)) == 8


def test_two_builds_are_byte_identical(example_site: Path, tmp_path: Path) -> None:
    assert build(example_site).code == 0
    first = tree_digest(example_site / "public")
    other = tmp_path / "again"
    assert build(example_site, "--out", str(other)).code == 0
    assert tree_digest(other) == first
    # and a rebuild in place writes nothing new
    before = {p: p.stat().st_mtime_ns for p in (example_site / "public").rglob("*") if p.is_file() and p.name != ".digest-manifest.json"}
    assert build(example_site).code == 0
    after = {p: p.stat().st_mtime_ns for p in (example_site / "public").rglob("*") if p.is_file() and p.name != ".digest-manifest.json"}
    assert before == after


def test_deleted_article_pages_are_removed(example_site: Path) -> None:
    assert build(example_site).code == 0
    (example_site / "content/supermarkets-report-shortages.md").unlink()
    assert build(example_site).code == 0
    assert not (example_site / "public/articles/supermarkets-report-shortages").exists()
    assert (example_site / "public/articles/port-strike-begins-at-harwick/index.html").exists()


def test_drafts_only_with_flag(example_site: Path) -> None:
    assert build(example_site, "--drafts").code == 0
    draft = (example_site / "public/articles/port-strike-tentative-deal/index.html").read_text()
    assert 'class="badge-draft">Draft</span>' in draft


def test_front_matter_is_escaped_everywhere(tmp_path: Path) -> None:
    evil = "<script>alert(1)</script>"
    site = write_site(tmp_path / "site", {
        "content/evil.md": article(
            f'Title {evil} & "quotes"', body="Body.",
            tags=f'["{evil}", Safe]', source=f'"{evil}"', author='"<img src=x onerror=alert(1)>"',
            editor_note=f'"Note {evil} [x](javascript:alert(1))"', summary=f'"{evil}"', dateline=f'"{evil}"',
            source_url='"https://example.org/a?b=1&c=<2>"',
        ),
    })
    result = build(site)
    assert result.code == 0, result.output
    for html_file in (site / "public").rglob("*.html"):
        text = html_file.read_text()
        assert "<script>alert" not in text, html_file
        assert "<img src=x" not in text, html_file
        assert "javascript:" not in text, html_file
    art = (site / "public/articles/evil/index.html").read_text()
    assert "Title &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;quotes&#34;" in art
    assert 'href="https://example.org/a?b=1&amp;c=&lt;2&gt;"' in art


def test_naive_dates_use_site_timezone(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/late.md": article("Late", date="2026-03-02T23:30:00"),
        "content/utc.md": article("Utc", date="2026-03-02T23:30:00+00:00"),
    }, site_yaml="title: T\ntimezone: Europe/Berlin\n")
    assert build(site).code == 0
    late = (site / "public/articles/late/index.html").read_text()
    assert 'datetime="2026-03-02T23:30:00+01:00"' in late
    # 23:30 UTC is already 3 March in Berlin: a different edition.
    assert "articles/utc/" in (site / "public/digest/2026-03-03/index.html").read_text()
    assert "articles/late/" in (site / "public/digest/2026-03-02/index.html").read_text()


def test_tags_differing_in_case_and_spacing_are_one(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/a.md": article("A", tags='["Ports", "Islamic  State"]'),
        "content/b.md": article("B", tags='"ports, islamic state"'),
        "content/c.md": article("C", tags='["Москва", "Curaçao", "Combined Joint Task Force Operation Inherent Resolve"]'),
    })
    assert build(site).code == 0
    public = site / "public"
    assert sorted(p.name for p in (public / "tags").iterdir() if p.is_dir()) == [
        "combined-joint-task-force-operation-inherent-resolve", "curacao", "islamic-state", "moskva", "ports"]
    ports = (public / "tags/ports/index.html").read_text()
    assert "articles/a/" in ports and "articles/b/" in ports


def test_pagination(tmp_path: Path) -> None:
    files = {f"content/s{i:02d}.md": article(f"Story {i}", date=f"2026-03-{1 + i % 5:02d}T{i % 24:02d}:00:00", tags="[Common]")
             for i in range(7)}
    site = write_site(tmp_path / "site", files, site_yaml="title: T\ndigest: {per_page: 3}\ntags: {per_page: 2}\n")
    assert build(site).code == 0
    public = site / "public"
    assert (public / "page/2/index.html").is_file() and (public / "page/3/index.html").is_file()
    assert not (public / "page/4").exists()
    second = page(public, "page/2/index.html")
    assert ("../../", "← Newer") in second.links and ("../../page/3/", "Older →") in second.links
    assert (public / "tags/common/page/4/index.html").is_file()


def test_site_template_overrides_one_theme_template(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", {
        "content/a.md": article("A"),
        "templates/404.html": "{% extends 'base.html' %}{% block main %}<p>Custom lost page</p>{% endblock %}",
    })
    assert build(site).code == 0
    assert "Custom lost page" in (site / "public/404.html").read_text()
    assert "Harwick" not in (site / "public/index.html").read_text()


def test_git_status_clean_after_build(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if not shutil.which("git") or not (REPO / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    for path in ("content", "templates", "digest", "site.yaml"):  # test the working tree, not only HEAD
        src, dst = REPO / path, clone / path
        if src.is_dir():
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(src, dst)
    subprocess.run(["git", "-C", str(clone), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "wip", "--allow-empty"], check=True)
    assert build(clone).code == 0
    status = subprocess.run(["git", "-C", str(clone), "status", "--porcelain"], capture_output=True, text=True, check=True)
    assert status.stdout == ""


def test_cards_show_derived_summaries(built_example: Path) -> None:
    home = (built_example / "index.html").read_text()
    assert '<p class="summary"></p>' not in home
    # port-strike-enters-second-day has no `summary:`: its card shows its first paragraph.
    assert '<p class="summary">HARWICK — Five container ships were waiting at anchor off Harwick' in home
