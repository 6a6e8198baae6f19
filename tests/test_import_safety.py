"""Import safety: what a SOURCE folder holds (links out of it, loops, FIFOs, devices, unreadable
files, names that are not UTF-8) and what a source says (binary garbage, control characters,
dates no calendar conversion survives, XML behind a huge DOCTYPE, script) each ends in a
written article or a message naming the source, never a traceback, a hang, or a file the
build cannot read. The property test at the end generates such sources and builds the result.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from digest.importers import run_import
from digest.importers.common import Article
from digest.importers.registry import IMPORTERS, register
from tests.conftest import REPO, build, run_cli, write_site
from tests.test_import_support import TEXTS

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
HANG_GUARD = 120  # seconds; an import of one small file takes well under one


def _run(sources, site, **kw):
    lines: list[str] = []
    status = run_import([*sources], site, out=lines.append, **kw)
    return status, lines


def _import_in_a_new_process(*args: str) -> subprocess.CompletedProcess:
    """`build.py import` in its own process, so that a hang fails the test instead of stalling the run."""
    return subprocess.run([sys.executable, str(REPO / "build.py"), "import", *args], capture_output=True, text=True,
                          timeout=HANG_GUARD, check=False)


def _story(folder: Path, name: str, title: str) -> Path:
    path = folder / name
    path.write_text(f"{title}\n\nThe story of {title.lower()} goes on for a sentence or two here.\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- what a SOURCE folder holds


def test_links_out_of_a_source_folder_are_refused_and_named(tmp_path):
    outside = _story(tmp_path, "secret.txt", "Private Notes Not Meant For The Digest")
    folder = tmp_path / "scraped"
    folder.mkdir()
    _story(folder, "a.txt", "Harbour Opens New Berth")
    (folder / "leak.txt").symlink_to(outside)
    (folder / "up").symlink_to(tmp_path, target_is_directory=True)
    (folder / "inside.txt").symlink_to(folder / "a.txt")  # stays inside: same file, imported once
    status, lines = _run([folder], tmp_path / "site")
    assert status == 0
    assert f"{folder / 'leak.txt'}: warning: symbolic link to {outside}, outside {folder}; not followed" in lines
    assert f"{folder / 'up'}: warning: symbolic link to {tmp_path}, outside {folder}; not followed" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 0 errors"
    assert [p.name for p in (tmp_path / "site" / "content").iterdir()] == ["harbour-opens-new-berth.md"]


def test_a_source_named_on_the_command_line_is_followed_even_through_a_link(tmp_path):
    story = _story(tmp_path, "story.txt", "Harbour Opens New Berth")
    link = tmp_path / "link.txt"
    link.symlink_to(story)
    status, lines = _run([link], tmp_path / "site")
    assert status == 0 and lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 0 errors"


def test_broken_and_looping_links(tmp_path):
    folder = tmp_path / "scraped"
    folder.mkdir()
    _story(folder, "a.txt", "Harbour Opens New Berth")
    (folder / "gone.txt").symlink_to(folder / "deleted.txt")
    (folder / "loop1").symlink_to(folder / "loop2")
    (folder / "loop2").symlink_to(folder / "loop1")
    (folder / "sub").mkdir()
    (folder / "sub" / "again").symlink_to(folder / "sub", target_is_directory=True)  # a folder loop inside
    status, lines = _run([folder, folder / "gone.txt", folder / "loop1"], tmp_path / "site")
    assert status == 1
    assert f"{folder / 'gone.txt'}: warning: broken symbolic link (to {folder / 'deleted.txt'}); skipped" in lines
    assert f"{folder / 'loop1'}: warning: symbolic link loop; skipped" in lines
    assert f"{folder / 'gone.txt'}: error: broken symbolic link (to {folder / 'deleted.txt'})" in lines
    assert f"{folder / 'loop1'}: error: symbolic link loop" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 2 errors"


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    folder = tmp_path / "scraped"
    folder.mkdir()
    _story(folder, "a.txt", "Harbour Opens New Berth")
    os.mkfifo(folder / "pipe.txt")
    site = write_site(tmp_path / "site", {})
    # A FIFO named like a content file must not hang the scan of content/ either.
    os.mkfifo(site / "content" / "pipe.md")
    done = _import_in_a_new_process(str(folder), str(folder / "pipe.txt"), "--site", str(site))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert f"{folder / 'pipe.txt'}: warning: not a regular file: a named pipe (FIFO); skipped" in lines
    assert f"{folder / 'pipe.txt'}: error: not a regular file: a named pipe (FIFO)" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 1 error"
    assert "Traceback" not in done.stderr


def test_a_device_is_refused(tmp_path):
    status, lines = _run([Path("/dev/null"), Path("/dev/zero")], tmp_path / "site")
    assert status == 1
    assert lines[:2] == ["/dev/null: error: not a regular file: a character device",
                         "/dev/zero: error: not a regular file: a character device"]


def test_unreadable_files_and_folders_are_named(tmp_path, monkeypatch):
    # chmod cannot stop root (which CI may be), so the refusals come from the system calls.
    folder = tmp_path / "scraped"
    (folder / "locked").mkdir(parents=True)
    _story(folder, "a.txt", "Harbour Opens New Berth")
    secret = _story(folder, "b.txt", "Locked Story About The Harbour")
    real_open, real_scandir = os.open, os.scandir

    def refusing_open(path, *args, **kwargs):
        if Path(path) == secret:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    def refusing_scandir(path="."):
        if Path(path) == folder / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "open", refusing_open)
    monkeypatch.setattr(os, "scandir", refusing_scandir)
    status, lines = _run([folder], tmp_path / "site")
    assert status == 1
    assert f"{secret}: error: cannot read: Permission denied" in lines
    assert f"{folder / 'locked'}: warning: cannot read folder: Permission denied" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 1 error"


def test_file_names_that_are_not_utf8_or_hold_control_characters_are_shown_escaped(tmp_path):
    folder = tmp_path / "scraped"
    folder.mkdir()
    latin = os.fsdecode(b"caf\xe9.txt")
    _story(folder, latin, "Cafe Owners Protest New Rules")
    _story(folder, "evil\x1b[2J\n.txt", "Terminal Tricks In File Names")
    status, lines = _run([folder], tmp_path / "site")
    assert status == 0
    assert f"{folder}/caf\\xe9.txt: warning: file name is not valid UTF-8 (shown with \\x escapes)" in lines
    assert lines[-1] == "imported 2 new, 0 unchanged, 0 skipped, 0 errors"
    for line in lines:
        line.encode("utf-8")  # printable on a UTF-8 terminal: no lone surrogates
        assert not CONTROL.search(line.replace("\n", "")), repr(line)


# ---------------------------------------------------------------- what a source says


def test_binary_garbage_is_reported_and_skipped(tmp_path):
    folder = tmp_path / "scraped"
    folder.mkdir()
    noise = bytes(range(256)) * 8
    (folder / "noise.txt").write_bytes(noise)
    (folder / "doc").write_bytes(b"%PDF-1.7\n" + b"text that looks harmless\n" * 40)
    _story(folder, "a.txt", "Harbour Opens New Berth")
    status, lines = _run([folder, folder / "noise.txt"], tmp_path / "site")
    assert status == 1
    assert f"{folder / 'doc'}: warning: not an article (binary data); skipped" in lines
    assert f"{folder / 'noise.txt'}: warning: not an article (binary data); skipped" in lines
    assert f"{folder / 'noise.txt'}: error: not an article (binary data)" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 1 error"


def test_a_feed_behind_a_huge_doctype_is_still_a_feed(tmp_path):
    subset = "".join(f'<!ENTITY e{i} "value {i} with > and ] inside">\n<!-- comment ] > {i} -->\n' for i in range(600))
    assert len(subset) > 40_000
    feed = tmp_path / "feed.txt"
    feed.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{subset}]>\n<rss version="2.0"><channel><title>Doc</title>'
                    "<item><title>Harbour Opens New Berth</title><link>https://e.example/1</link>"
                    "<description>The berth opened.</description></item></channel></rss>\n", encoding="utf-8")
    status, lines = _run([feed], tmp_path / "site")
    assert status == 0, lines
    assert lines[-2:] == ["new content/harbour-opens-new-berth.md", "imported 1 new, 0 unchanged, 0 skipped, 0 errors"]


def test_xml_that_is_neither_a_feed_nor_a_page_is_not_imported_as_text(tmp_path):
    svg = tmp_path / "drawing.xml"
    svg.write_text('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "b">]>\n<svg><text>Hello there</text></svg>\n', encoding="utf-8")
    status, lines = _run([svg], tmp_path / "site")
    assert status == 1
    assert lines[0] == f"{svg}: error: not an article (markup that is neither a feed nor a web page)"


@pytest.mark.parametrize(
    ("stamp", "ok"),
    [
        ("00:30 GMT 01.01.0001", False),
        ("12:00 GMT 02.01.0001", False),
        ("12:00 GMT 03.01.0001", True),
        ("12:00 GMT 29.12.9999", True),
        ("12:00 GMT 31.12.9999", False),
        ("2020-01-01T00:00:00+03:00", True),
    ],
)
def test_dates_at_the_ends_of_the_calendar(tmp_path, stamp, ok):
    source = tmp_path / "edge.txt"
    source.write_text(f"{stamp}\n    World\n\n    The harbour opened a new berth on the first day of the year.\n", encoding="utf-8")
    site = write_site(tmp_path / "site", {}, site_yaml="title: T\ntimezone: Pacific/Kiritimati\n")
    status, lines = _run([source], site)
    if ok:
        assert status == 0, lines
        result = build(site, "--drafts")
        assert result.code == 0, result.output
    else:
        assert status == 1
        assert re.fullmatch(rf"{re.escape(str(source))}: error: `date` .* is too close to year 1 or 9999 for the site to show; not imported",
                            lines[-2]), lines
        assert not list((site / "content").glob("*.md"))


def test_feed_entries_with_impossible_dates_are_reported_and_the_rest_imported(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>'
        "<item><title>Far Future Story</title><link>https://e.example/1</link><pubDate>Fri, 31 Dec 9999 23:00:00 -0500</pubDate></item>"
        "<item><title>Year Ten Thousand</title><link>https://e.example/2</link><pubDate>Sat, 01 Jan 10000 00:00:00 +0000</pubDate></item>"
        "<item><title>Normal Story</title><link>https://e.example/3</link><pubDate>Mon, 04 Mar 2024 10:00:00 +0000</pubDate></item>"
        "</channel></rss>", encoding="utf-8")
    site = write_site(tmp_path / "site", {})
    status, lines = _run([feed], site)
    assert status == 1
    assert f"{feed} entry 1: error: `date` 9999-12-31T23:00:00-05:00 is too close to year 1 or 9999 for the site to show; not imported" in lines
    assert "new content/normal-story.md" in lines
    assert build(site, "--drafts").code == 0


def test_the_last_check_is_the_build_reading_the_file(tmp_path, monkeypatch):
    """Whatever a parser hands over, what the build cannot read is reported, not written."""
    def parse(data: bytes, origin: str):
        return [
            Article(title="\x07\x1b", body="Only control characters in the title.", origin=f"{origin} #1"),
            Article(title="Fine", body="A \x00body\x1b[2J with\x85 controls.", source_url="javascript:alert(1)", origin=f"{origin} #2"),
            Article(title="Bad tags", body="Text.", tags=["x" * 300, "Ports"], origin=f"{origin} #3"),
        ], []

    monkeypatch.setitem(IMPORTERS, "hostile", IMPORTERS["text"])
    register("hostile", lambda path, data: False, parse)
    source = _story(tmp_path, "x.txt", "Anything")
    site = write_site(tmp_path / "site", {})
    status, lines = _run([source], site, fmt="hostile")
    assert status == 1
    assert f"{source} #1: error: the build could not read the result (missing required field `title`); not imported" in lines
    assert f"{source} #2: error: the build could not read the result (`source_url` must be an http(s) URL, not `javascript:alert(1)`); not imported" in lines
    assert f"{source} #3: warning: 1 tag(s) too long to be a tag left out" in lines
    assert lines[-1] == "imported 1 new, 0 unchanged, 0 skipped, 2 errors"
    assert build(site, "--drafts").code == 0


def test_control_characters_never_reach_a_file_or_the_terminal(tmp_path):
    feed = tmp_path / "feed.xml"
    feed.write_bytes(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Ctl\x1b[2J Feed</title>'
        b"<item><title>Clear\x1b[2J the \x07screen \xc2\x9b now</title><link>https://e.example/1</link>"
        b"<author>x@e.example (Mal\x08lory)</author><category>Ta\x0bg</category>"
        b"<description>Body \x1b]0;title\x07 text \xc2\x85 here.</description></item></channel></rss>")
    text = tmp_path / "scrape.txt"
    text.write_bytes("Harbour\x1b[31m Opens\x00 Berth\n\nThe\x7f berth\u0085 opened\x1b[0m today.\n".encode())
    site = write_site(tmp_path / "site", {})
    status, lines = _run([feed, text], site)
    assert status == 0, lines
    for line in lines:
        assert not CONTROL.search(line.replace("\n", "")), repr(line)
    files = list((site / "content").glob("*.md"))
    assert len(files) == 2
    for path in files:
        written = path.read_text(encoding="utf-8")
        assert not CONTROL.search(written.replace("\n", "")), repr(written)
    assert build(site).code == 0


def test_an_alias_bomb_in_content_does_not_stall_the_scan(tmp_path):
    bomb = "---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" \
           "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" \
           "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\ni: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n---\n\nx\n"
    site = write_site(tmp_path / "site", {"content/bomb.md": bomb})
    done = _import_in_a_new_process(str(TEXTS / "headline-first.txt"), "--site", str(site))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "imported 1 new, 0 unchanged, 0 skipped, 0 errors"


# ---------------------------------------------------------------- the property test

HOSTILE_MARKUP = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">link</a>',
    '<a href="  JaVaScRiPt:alert(1)">link</a>',
    '<a href="java&#x09;script:alert(1)">link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">link</a>',
    "<svg onload=alert(1)><circle/></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<p onclick="alert(1)">click</p>',
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">b</button></form>',
    "<<script>script>alert(1)<</script>/script>",
    "<style>*{background:url(javascript:alert(1))}</style>",
    '<object data="javascript:alert(1)"></object>',
    "<b>" * 40 + "deep" + "</b>" * 40,
    "<blockquote>" * 300 + "quoted" + "</blockquote>" * 300,
    "<div>" * 400 + "nested" + "</div>" * 400,
    "{: onclick=alert(1) } [x](javascript:alert(1)) ![i](javascript:alert(1))",
    "</script><script>alert(1)</script>",
]
EDGE_DATES = [
    ("Mon, 01 Jan 0001 00:00:00 +1400", "0001-01-01T00:00:00+14:00", "00:00 GMT 01.01.0001"),
    ("Tue, 02 Jan 0001 00:00:00 -1200", "0001-01-02T00:00:00-12:00", "00:00 GMT 02.01.0001"),
    ("Fri, 31 Dec 9999 23:59:59 -1200", "9999-12-31T23:59:59-12:00", "23:59 GMT 31.12.9999"),
    ("Sat, 01 Jan 10000 00:00:00 +0000", "10000-01-01T00:00:00+00:00", "00:00 GMT 01.01.10000"),
    ("Sun, 00 Jan 0000 00:00:00 +0000", "0000-01-01", "00:00 GMT 00.00.0000"),
    ("Thu, 01 Jan 1970 00:00:00 +0000", "1970-01-01T00:00:00Z", "00:00 GMT 01.01.1970"),
    ("Mon, 04 Mar 2024 10:00:00 +2500", "2024-03-04T10:00:00+25:00", "10:00+2500 04.03.2024"),
    ("Mon, 04 Mar 2024 10:00:00 EEST", "2024-03-04T10:00:00+03:00", "10:00 EEST 04.03.2024"),
    ("garbage", "2024-13-45", "99:99 GMT 45.13.2024"),
]

# Any character a UTF-8 file can hold: controls, C1, format characters, private use, emoji.
hostile_text = st.text(st.characters(codec="utf-8"), max_size=80)
plain_words = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd")), min_size=1, max_size=12)
hostile_phrase = st.one_of(hostile_text, st.sampled_from(HOSTILE_MARKUP), plain_words)
edge_date = st.sampled_from(EDGE_DATES)


def _xml_text(value: str) -> str:
    return html.escape(value, quote=True)


@st.composite
def hostile_feed(draw) -> bytes:
    entities = draw(st.integers(0, 3000))
    doctype = ""
    if entities:
        doctype = "<!DOCTYPE rss [\n" + "".join(f'<!ENTITY e{i} "v{i} > ] &#60;">\n' for i in range(entities)) + \
                  '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
    items = []
    for _ in range(draw(st.integers(0, 3))):
        rfc, iso, _ = draw(edge_date)
        link = draw(st.sampled_from(["javascript:alert(1)", " jav\tascript:alert(2)", "data:text/html,x", "https://ok.example/a", "", "//x"]))
        body = "".join(draw(st.lists(hostile_phrase, max_size=4)))
        title = draw(hostile_phrase)
        use_entity = "&lol2;" if entities and draw(st.booleans()) else ""
        items.append(f"<item><title>{_xml_text(title)}{use_entity}</title><link>{_xml_text(link)}</link>"
                     f"<pubDate>{rfc}</pubDate><dc:date>{iso}</dc:date><category>{_xml_text(draw(hostile_phrase))}</category>"
                     f"<description><![CDATA[{body.replace(']]>', '')}]]></description></item>")
    atom = draw(st.booleans())
    if atom:
        entries = "".join(
            item.replace("<item>", "<entry>").replace("</item>", "</entry>").replace("<link>", '<link href="').replace("</link>", '"/>')
            for item in items)
        text = f'<?xml version="1.0"?>\n{doctype.replace("rss", "feed", 1)}<feed xmlns="http://www.w3.org/2005/Atom" ' \
               f'xmlns:dc="http://purl.org/dc/elements/1.1/"><title>A</title>{entries}</feed>'
    else:
        text = f'<?xml version="1.0"?>\n{doctype}<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>' \
               f"<title>{_xml_text(draw(hostile_phrase))}</title>{''.join(items)}</channel></rss>"
    return text.encode("utf-8", "surrogatepass")


@st.composite
def hostile_page(draw) -> bytes:
    _, iso, _ = draw(edge_date)
    title = draw(hostile_phrase)
    paragraphs = "".join(f"<p>{draw(plain_words)} {''.join(draw(st.lists(hostile_phrase, max_size=3)))} "
                         "and enough ordinary words to look like the text of an article to an extractor.</p>"
                         for _ in range(draw(st.integers(1, 4))))
    return (f"<!DOCTYPE html><html><head><title>{title}</title><meta property='article:published_time' content='{iso}'>"
            f"<meta name='author' content='{_xml_text(draw(hostile_phrase))}'>"
            f"<link rel='canonical' href='{draw(st.sampled_from(['javascript:alert(1)', 'https://ok.example/p', '']))}'>"
            f"<script>alert('head')</script></head><body onload='alert(1)'><article><h1>{title}</h1>{paragraphs}</article>"
            "</body></html>").encode("utf-8", "surrogatepass")


@st.composite
def hostile_scrape(draw) -> bytes:
    _, _, stamp = draw(edge_date)
    lead = draw(hostile_text) + " " + " ".join(draw(st.lists(plain_words, min_size=5, max_size=12)))
    body = "\n\n".join("    " + draw(hostile_phrase) for _ in range(draw(st.integers(0, 3))))
    trailer = "\n".join("    " + draw(hostile_phrase) for _ in range(draw(st.integers(0, 3))))
    text = f"{stamp}\nListen Live\n    {draw(hostile_phrase)}\n    Get short URL\n\n    {lead}\n\n    PARIS (AFP) — {lead}\n\n{body}\n\n\n{trailer}\n"
    return text.encode("utf-8", "surrogatepass")


hostile_source = st.one_of(
    st.tuples(st.just(".bin"), st.binary(max_size=3000)),
    st.tuples(st.just(".txt"), hostile_text.map(lambda s: s.encode("utf-8", "surrogatepass"))),
    st.tuples(st.just(".txt"), hostile_scrape()),
    st.tuples(st.sampled_from([".xml", ".txt"]), hostile_feed()),
    st.tuples(st.sampled_from([".html", ".txt"]), hostile_page()),
)


def _example_count() -> int:
    # A few seconds in CI; a profile the project loads (e.g. --hypothesis-profile=long) decides instead.
    return 6 if settings.default is settings.get_profile("default") else settings.default.max_examples


def _assert_nothing_executable(public: Path) -> None:
    for page in public.rglob("*.html"):
        doc = lxml_html.fromstring(page.read_bytes())
        for el in doc.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag == "script":
                assert el.get("type") == "application/ld+json", (page, lxml_html.tostring(el)[:200])
            for name, value in el.attrib.items():
                assert not name.lower().startswith("on"), (page, name, value)
                if name.lower() in ("href", "src", "action", "formaction", "data", "xlink:href"):
                    scheme = re.sub(r"[\x00-\x20]", "", value).lower()
                    assert not scheme.startswith(("javascript:", "data:", "vbscript:")), (page, name, value)


@settings(max_examples=_example_count(), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(hostile_source, min_size=1, max_size=4))
def test_hostile_sources_are_imported_or_reported_and_the_site_always_builds(sources):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        # Imports go into a digest that has a story already (and one whose headline a scrape may name).
        site = write_site(root / "site", {"content/harbour.md": "---\ntitle: Harbour news\ndate: 2024-03-01\n---\n\nText.\n"},
                          site_yaml="title: Fuzz\ntimezone: America/Adak\nbase_url: https://digest.example/\n")
        paths = []
        for n, (suffix, data) in enumerate(sources):
            path = root / f"source-{n}{suffix}"
            path.write_bytes(data)
            paths.append(path)
        for path in paths:
            result = run_cli("import", str(path), "--site", str(site))  # an exception here is a traceback
            assert result.code in (0, 1), result.output
            lines = result.out.splitlines()
            for line in lines:
                assert not CONTROL.search(line), repr(line)
            named = [ln for ln in lines if ln.startswith(f"{path}")]
            if result.code == 1:
                assert any(": error: " in ln for ln in named), lines
            else:
                # Written (or recognised), or a warning naming the source says why not.
                assert any(ln.startswith(("new ", "unchanged ", "skipped ")) for ln in lines) or named, lines
        for written in (site / "content").glob("*.md"):
            text = written.read_text(encoding="utf-8")
            assert not CONTROL.search(text.replace("\n", "")), repr(text)
        result = build(site, "--drafts")
        assert result.code == 0, result.output[-3000:]
        assert ": error: " not in result.output
        _assert_nothing_executable(site / "public")
