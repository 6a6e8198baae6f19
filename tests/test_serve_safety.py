"""`build.py serve` against a hostile browser or network: open redirects, DNS rebinding, cross-site
websockets, hidden and out-of-preview files, and text that could rewrite the error page or the
terminal. Requests are sent byte for byte (tests/servehelp.raw_request), as an attacker would."""

from __future__ import annotations

import asyncio
import html.parser
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.serve import HostPolicy, status_page, terminal_safe
from tests.conftest import REPO
from tests.servehelp import TIMEOUT, RawResponse, Server, edit, raw_request, run_in_thread, wait_for

ARTICLE = "content/water-rationing-announced.md"
PAGE = "articles/water-rationing-announced/"
BODY = "Regional utility Vessa Water will ban"
DRAFT_PAGE = "articles/port-strike-tentative-deal/"
DRAFT_TEXT = "Tentative"
OUTSIDE_SENTINEL = "OUTSIDE-THE-PREVIEW-7f3a"
HIDDEN_SENTINEL = "HIDDEN-IN-THE-PREVIEW-91c2"
LIVE = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@dataclass
class Preview:
    server: Server
    out: Path
    manifest: bytes = field(repr=False)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def get(self, target: str, host: str | None = None, headers: dict[str, str] | None = None) -> RawResponse:
        return raw_request(self.port, target, self.host if host is None else host, headers)

    def assert_healthy(self) -> None:
        assert self.server.proc.poll() is None, self.server.stderr
        assert "Traceback" not in self.server.stderr and "Uncaught" not in self.server.stderr, self.server.stderr


@pytest.fixture(scope="module")
def preview(tmp_path_factory: pytest.TempPathFactory):
    """One server for the module, its preview folder seeded with what must never be served: hidden
    files, symlinks out of the folder (one as a folder's index.html), a FIFO."""
    root = tmp_path_factory.mktemp("serve-safety")
    site = root / "site"
    site.mkdir()
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    shutil.copytree(REPO / "content", site / "content")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(OUTSIDE_SENTINEL)
    (outside / "index.html").write_text(f"<!DOCTYPE html><title>x</title><p>{OUTSIDE_SENTINEL}</p>")
    out = root / "preview"
    with Server(site, "--out", str(out)) as server:
        server.wait_page(PAGE, BODY)
        for name in (".secret/page.html", ".env", "articles/.hidden.html", "articles/.git/config"):
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(f"<p>{HIDDEN_SENTINEL}</p>")
        (out / "leak.txt").symlink_to(outside / "secret.txt")
        (out / "leak-dir").symlink_to(outside, target_is_directory=True)
        (out / "articles" / "escape").mkdir()
        (out / "articles" / "escape" / "index.html").symlink_to(outside / "index.html")
        (out / "inside-link.html").symlink_to(out / PAGE / "index.html")
        os.mkfifo(out / "fifo.html")
        yield Preview(server, out, (out / ".digest-manifest.json").read_bytes())


def assert_same_origin(location: str, port: int) -> None:
    """What a browser does with `Location` stays on this server: one leading slash, then neither a
    slash nor a backslash (`//x`, `/\\x` name another host), no control characters or spaces
    (browsers strip some of them before parsing)."""
    assert re.fullmatch(r"/(?:[^/\\].*)?", location, re.DOTALL), location
    assert "\\" not in location and not re.search(r"[\x00-\x20\x7f]", location), location
    base = f"http://127.0.0.1:{port}/"
    resolved = urlsplit(urljoin(base, location))
    assert (resolved.scheme, resolved.netloc) == ("http", f"127.0.0.1:{port}"), location


# Request targets made of the pieces open redirects and traversal are built from.
SLASHES = ["/", "//", "///", "\\", "/\\", "\\/", "%2F", "%2f%2F", "%5C", "%5c%5C", "/%2F", "/%5C", "/./", "%09", "%0D%0A"]
SEGMENTS = ["articles", "tags", "static", "articles/water-rationing-announced", "evil.example", "@evil.example",
            "evil.example:80", "x", ".", "..", "%2e", "%2E%2e", "%252F", "%00", "\t", "%E2%80%AE", ":", "http:", "?q=//x", "#f"]
SUFFIXES = ["", "/", "?next=//evil.example/", "?a=%0D%0ASet-Cookie:x", "?\\\\evil", "?\x01", "#/x", "%0D%0A", "%23"]


@st.composite
def hostile_targets(draw: st.DrawFn) -> str:
    lead = draw(st.sampled_from(["/", "//", "///", "/\\", "\\", "/%2F", "/%2f%2f", "/%5C", "/%5c%5c", "",
                                 "http://evil.example/", "//evil.example/"]))
    pieces = draw(st.lists(st.tuples(st.sampled_from(SEGMENTS), st.sampled_from(SLASHES)), min_size=1, max_size=4))
    target = lead + "".join(segment + slash for segment, slash in pieces)
    if draw(st.booleans()):
        target = target.rstrip("/\\")
    return target + draw(st.sampled_from(SUFFIXES))


@LIVE
@given(target=hostile_targets())
@example(target="//articles")
@example(target="///articles")
@example(target="/%2F%2Farticles")
@example(target="/%2farticles")
@example(target="/\\articles")
@example(target="//tags?x=1")
@example(target="//articles/?x=\x01")
def test_every_redirect_is_a_same_origin_path(preview: Preview, target: str) -> None:
    response = preview.get(target)
    locations = response.header("Location")
    assert len(locations) <= 1
    for location in locations:
        assert_same_origin(location, preview.port)
        assert response.status in (301, 302)
        # Following it lands on a page of this server, not another redirect.
        followed = preview.get(location)
        assert followed.status != 500 and not followed.header("Location"), (target, location)
    assert response.status != 500
    preview.assert_healthy()


def test_redirects_keep_working_for_folders(preview: Preview) -> None:
    cases = {
        "/tags": "/tags/",
        "//tags": "/tags/",
        "///tags": "/tags/",
        "/%2F%2Ftags": "/tags/",
        "/./tags/": "/tags/",
        "/tags//": "/tags/",
        "/tags?page=2&q=a%20b": "/tags/?page=2&q=a%20b",
        "/tags?q=\\x\xe9": "/tags/?q=%5Cx%C3%A9",
        "//": "/",
    }
    for target, location in cases.items():
        response = preview.get(target)
        assert (response.status, response.header("Location")) == (302, [location]), target
    assert preview.get("/tags/").status == 200
    assert preview.get("/" + PAGE).status == 200


# --- Hidden files and the preview folder's boundary ---------------------------------------------

REFUSED = [".digest-manifest.json", ".secret/page.html", ".secret/", ".secret", ".env", "articles/.hidden.html",
           "articles/.git/config", "leak.txt", "leak-dir/secret.txt", "leak-dir/", "leak-dir/index.html",
           "articles/escape/", "articles/escape/index.html", "fifo.html",
           "../outside/secret.txt", "../../../../etc/passwd", "articles/../.digest-manifest.json",
           "articles/../../outside/index.html", "./.env", ".%2e/outside/secret.txt"]


@st.composite
def refused_targets(draw: st.DrawFn) -> str:
    """A refused path with some characters percent-encoded (once or twice) and the slashes varied,
    as encoded-traversal tricks do."""
    path = draw(st.sampled_from(REFUSED))
    separator = draw(st.sampled_from(["/", "//", "/./"]))
    out = []
    for char in path.replace("/", "\0"):
        if char == "\0":
            out.append(draw(st.sampled_from([separator, "%2F", "%2f"])) if draw(st.booleans()) else separator)
        elif draw(st.integers(0, 3)) == 0:
            out.append(f"%{ord(char):02X}")
        else:
            out.append(char)
    return "/" + "".join(out)


@LIVE
@given(target=refused_targets())
@example(target="/.digest-manifest.json")
@example(target="/%2Edigest-manifest.json")
@example(target="/articles/escape/")
@example(target="/articles/escape")
@example(target="/leak.txt")
@example(target="/%2e%2e/outside/secret.txt")
def test_hidden_files_and_anything_outside_the_preview_are_never_served(preview: Preview, target: str) -> None:
    response = preview.get(target)
    for _ in range(3):  # a folder without its slash redirects first; where it lands counts
        if not response.header("Location"):
            break
        assert_same_origin(response.header("Location")[0], preview.port)
        response = preview.get(response.header("Location")[0])
    assert response.status in (400, 404), (target, response.status)
    body = response.body.decode("utf-8", "replace")
    assert OUTSIDE_SENTINEL not in body and HIDDEN_SENTINEL not in body
    assert preview.manifest[:60] not in response.body
    preview.assert_healthy()


def test_symlinks_inside_the_preview_are_served(preview: Preview) -> None:
    response = preview.get("/inside-link.html")
    assert response.status == 200 and BODY in response.body.decode()


def test_not_found_is_the_sites_own_page(preview: Preview) -> None:
    response = preview.get("/.digest-manifest.json")
    assert response.status == 404
    assert response.body.startswith((preview.out / "404.html").read_bytes()[:100])


# --- Host header: DNS rebinding -----------------------------------------------------------------

ENDPOINTS = ["/", "/" + PAGE, "/" + DRAFT_PAGE, "/livereload.js", "/__digest__/generation", "/static/style.css",
             "/articles", "/no/such/page/"]
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
           "Sec-WebSocket-Version": "13"}

dns_names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?){0,3}", fullmatch=True)
lookalikes = st.sampled_from([
    "localhost.evil.example", "127.0.0.1.nip.io", "evil.example#127.0.0.1", "127.0.0.1@evil.example", "localhost.",
    "[::1].evil.example", "127.0.0.1 evil.example", "evil.example,127.0.0.1", "0x7f000001", "127.1", "2130706433",
    "xn--localhost", "local host", "LOCALHOST.", "[::ffff:203.0.113.9]", "203.0.113.9", "192.168.1.5", "[fe80::1]", "",
])


@st.composite
def foreign_hosts(draw: st.DrawFn, port: int) -> str:
    name = draw(st.one_of(dns_names.filter(lambda n: n != "localhost" and not re.fullmatch(r"[\d.]+", n)), lookalikes))
    suffix = draw(st.sampled_from([f":{port}", "", ":80", f":{port + 1}", f":{port}:{port}", f":0{port}x", f":{port} "]))
    return name + suffix


@LIVE
@given(data=st.data(), path=st.sampled_from(ENDPOINTS), websocket=st.booleans())
@example(data=None, path="/" + DRAFT_PAGE, websocket=False)
def test_a_foreign_host_gets_nothing(preview: Preview, data, path: str, websocket: bool) -> None:
    host = f"evil.example:{preview.port}" if data is None else data.draw(foreign_hosts(preview.port))
    if websocket:
        path = "/livereload"
    response = preview.get(path, host=host, headers=UPGRADE if websocket else None)
    assert response.status in (400, 403), (host, path, response.status)
    if response.status == 403:
        assert response.header("Content-Type") == ["text/plain; charset=utf-8"]
        assert f"answers only at http://127.0.0.1:{preview.port}/" in response.body.decode()
    assert BODY not in response.body.decode("utf-8", "replace") and DRAFT_TEXT not in response.body.decode("utf-8", "replace")
    preview.assert_healthy()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LocalHost:{port}", "[::1]:{port}",
                                  "127.0.0.2:{port}", "[::ffff:127.0.0.1]:{port}"])
def test_loopback_hosts_are_served(preview: Preview, host: str) -> None:
    host = host.format(port=preview.port)
    for path in ENDPOINTS[:6]:
        assert preview.get(path, host=host).status == 200, (host, path)
    assert preview.get("/livereload", host=host, headers=UPGRADE).status == 101


def test_a_request_without_host_is_refused(preview: Preview) -> None:
    assert preview.get("/" + PAGE, host="").status == 403
    response = raw_request(preview.port, "/" + PAGE, None)
    assert response.status in (400, 403) and BODY not in response.body.decode("utf-8", "replace")


def test_every_answer_says_nosniff(preview: Preview) -> None:
    for path in ["/", "/static/style.css", "/.env", "/livereload.js"]:
        assert preview.get(path).header("X-Content-Type-Options") == ["nosniff"], path
    assert preview.get("/", host="evil.example").header("X-Content-Type-Options") == ["nosniff"]


# --- The livereload websocket -------------------------------------------------------------------

@pytest.mark.parametrize("origin", ["http://evil.example", "http://evil.example:{port}", "null", "http://127.0.0.1:1",
                                    "http://localhost:{port}"])
def test_the_websocket_refuses_other_origins(preview: Preview, origin: str) -> None:
    headers = {**UPGRADE, "Origin": origin.format(port=preview.port)}
    assert preview.get("/livereload", headers=headers).status == 403
    same = {**UPGRADE, "Origin": f"http://127.0.0.1:{preview.port}"}
    assert preview.get("/livereload", headers=same).status == 101


def test_malformed_websocket_messages_are_ignored(preview: Preview) -> None:
    async def session() -> dict:
        from tornado.websocket import websocket_connect

        ws = await websocket_connect(f"ws://127.0.0.1:{preview.port}/livereload")
        for junk in ["not json", "[]", '"hello"', "{", '{"command": 5}', '{"command": ["hello"]}', "null", "1e999999",
                     b"\xff\xfe\x00", '{"command": "info"}']:
            await ws.write_message(junk, binary=isinstance(junk, bytes))
        await ws.write_message('{"command": "hello", "protocols": []}')
        answer = await asyncio.wait_for(ws.read_message(), TIMEOUT)
        ws.close()
        import json

        return json.loads(answer)

    answer = run_in_thread(session)
    assert answer["command"] == "hello"  # the connection survived every bad message
    preview.assert_healthy()


# --- Host policy on its own ---------------------------------------------------------------------

def policy(host: str, addresses: list[str], port: int = 5500) -> HostPolicy:
    return HostPolicy.for_listener(host, port, addresses, f"http://{host}:{port}/")


@given(name=dns_names.filter(lambda n: not re.fullmatch(r"[\d.]+", n)), port=st.integers(1, 65535), bound=st.sampled_from([
    ("127.0.0.1", ["127.0.0.1"]), ("localhost", ["127.0.0.1", "::1"]), ("0.0.0.0", ["0.0.0.0"]),
    ("", ["0.0.0.0", "::"]), ("::", ["::"]), ("192.168.1.5", ["192.168.1.5"]), ("laptop.lan", ["192.168.1.5"]),
]))
@example(name="laptop.lan", port=5500, bound=("laptop.lan", ["192.168.1.5"]))
@example(name="localhost", port=80, bound=("0.0.0.0", ["0.0.0.0"]))
def test_names_accepted_are_localhost_and_the_bound_name_only(name: str, port: int, bound) -> None:
    host, addresses = bound
    rules = policy(host, addresses, port)
    expected = name in ("localhost", host)
    assert rules.allows(f"{name}:{port}") == expected
    assert rules.allows(f"{name.upper()}:{port}") == expected  # names are case-insensitive
    assert rules.allows(name) == (expected and port == 80)  # no port: a browser's way of saying 80
    assert not rules.allows(f"{name}:{port % 65535 + 1}")  # any other port
    for variant in (f"{name}.:{port}", f"{name}:{port}/", f"{name}:{port}:{port}", f" {name}:{port}", f"{name}:+{port}"):
        assert not rules.allows(variant), variant


def test_addresses_are_accepted_only_beyond_loopback() -> None:
    loopback = policy("127.0.0.1", ["127.0.0.1"])
    assert loopback.allows("127.0.0.1:5500") and loopback.allows("[::1]:5500") and loopback.allows("localhost:5500")
    assert not loopback.allows("192.168.1.5:5500") and not loopback.allows("[2001:db8::1]:5500")
    assert not loopback.allows("127.0.0.1") and not loopback.allows("127.0.0.1:80")  # the port counts
    for lan in (policy("0.0.0.0", ["0.0.0.0"]), policy("192.168.1.5", ["192.168.1.5"]), policy("laptop.lan", ["192.168.1.5"])):
        # Reachable from other machines: any address typed in a browser (it cannot be rebound).
        assert lan.allows("192.168.1.5:5500") and lan.allows("[2001:db8::1]:5500") and lan.allows("localhost:5500")
        assert not lan.allows("evil.example:5500") and not lan.allows("192.168.1.5.nip.io:5500")
    assert policy("laptop.lan", ["192.168.1.5"]).allows("LAPTOP.lan:5500")
    assert not policy("0.0.0.0", ["0.0.0.0"]).allows("laptop.lan:5500")
    on_80 = policy("127.0.0.1", ["127.0.0.1"], port=80)
    assert on_80.allows("127.0.0.1") and on_80.allows("localhost:80") and not on_80.allows("localhost:8080")


def test_a_lan_server_answers_to_addresses_but_not_names(example_site: Path) -> None:
    with Server(example_site, "--host", "0.0.0.0") as server:
        server.wait_page(PAGE, BODY)
        assert raw_request(server.port, "/" + PAGE, f"192.0.2.10:{server.port}").status == 200
        assert raw_request(server.port, "/" + PAGE, f"localhost:{server.port}").status == 200
        assert raw_request(server.port, "/" + PAGE, f"evil.example:{server.port}").status == 403


# --- The error page and the terminal ------------------------------------------------------------

_ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "p", "ol", "li", "code"}
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class _PageReader(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.codes: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs
        if tag == "code":
            self._in_code = True
            self.codes.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = self._in_code and tag != "code"

    def handle_data(self, data: str) -> None:
        if self._in_code:
            self.codes[-1] += data


hostile_text = st.lists(st.one_of(
    st.characters(codec=None),  # every code point, lone surrogates included
    st.characters(min_codepoint=0, max_codepoint=0x9F),
    st.sampled_from(["\x1b[2J", "\x1b]0;pwned\x07", "\u202e", "\u2066", "<", ">", "&", '"', "'", "</code>",
                     "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;", "\r", "\x00"]),
), max_size=40).map("".join)


@given(problems=st.lists(st.tuples(st.sampled_from(["error", "warning"]), hostile_text), max_size=5))
@example(problems=[("error", "content/a.md:3: error: unparseable `date` `\x1b[2J<script>alert(1)</script>\ud800`")])
def test_the_error_page_shows_any_message_as_text(problems: list[tuple[str, str]]) -> None:
    page = status_page("failed", problems).decode("utf-8")  # strict: always encodable
    assert not _CONTROLS.search(page)
    reader = _PageReader()
    reader.feed(page)
    reader.close()
    assert reader.tags <= _ALLOWED_TAGS
    assert {name for name, _ in reader.attributes} <= {"lang", "charset", "name", "content", "class"}
    ordered = [line for level, line in problems if level == "error"] + [line for level, line in problems if level != "error"]
    assert reader.codes == [terminal_safe(line) for line in ordered]


def test_terminal_safe_only_escapes_what_it_must() -> None:
    # serve prints through the one escaping function (digest.diagnostics): a tab or newline in a
    # file name must not fake a second message line either.
    assert terminal_safe("plain: é, 中文, tab\tand\nnewline, \\x1b as text") == "plain: é, 中文, tab\\tand\\nnewline, \\x1b as text"
    assert terminal_safe("\x1b[2J\x07\x00\x7f\x85\u202e\ud800") == "\\x1b[2J\\x07\\x00\\x7f\\x85\\u202e\\ud800"


def test_controls_in_content_reach_neither_the_page_nor_the_terminal(example_site: Path) -> None:
    article = example_site / ARTICLE
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        # YAML's double-quoted escapes put raw control characters into the value.
        edit(article, "date: 2026-03-03T10:00:00+01:00",
             'date: "\\e[2J\\e]0;pwned\\a<img src=x onerror=alert(1)>\\u202e"')
        page = server.wait_page(PAGE, "Build failed", status=500)
        assert not _CONTROLS.search(page)
        assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
        # The content stage removes control characters on the way in (issue 10) and says so.
        assert "[2J]0;pwned" in page and "removed control characters written as YAML escapes" in page
        # A file whose name carries an escape sequence: the "changed:" line shows it escaped.
        (example_site / "content" / "\x1b[2Jnamed.md").write_text("x", encoding="utf-8")
        wait_for(lambda: "named.md" in server.stdout, what="the new file to be reported")
        wait_for(lambda: "water-rationing-announced.md:3: error" in server.stderr, what="the error in the terminal")
    assert not _CONTROLS.search(server.stdout + server.stderr), (server.stdout + server.stderr)[-2000:]
    assert "\\x1b[2Jnamed.md" in server.stdout


def test_a_file_name_that_is_not_utf8_does_not_stop_rebuilds(example_site: Path) -> None:
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        # Not an article (the build reads only *.md), but the watcher sees it like any change.
        with open(os.path.join(os.fsencode(example_site / "content"), b"notes-\xe9.txt"), "wb") as f:
            f.write(b"x")
        wait_for(lambda: "changed: content/notes-\\udce9.txt" in server.stdout, what="the change to be reported")
        edit(example_site / ARTICLE, "Regional utility", "Regional utility AFTER-ODD-NAME")
        server.wait_page(PAGE, "AFTER-ODD-NAME")
        assert "Traceback" not in server.stderr, server.stderr


# --- The watcher on hostile trees ---------------------------------------------------------------

def _snapshot_within(watched, seconds: float = 20.0) -> dict:
    """The snapshot, or a failure if it does not come back (a blocked open would hang forever)."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("snapshot", watched.snapshot()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert "snapshot" in box, "the snapshot did not finish: the watcher would be stuck"
    return box["snapshot"]


def test_the_watcher_never_blocks_on_a_fifo_or_a_device(tmp_path: Path) -> None:
    from digest.watch import Watched

    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("a")
    os.mkfifo(content / "fresh.md")  # just made: inside the window where files are hashed
    os.mkfifo(tmp_path / "elsewhere-fifo")
    (content / "link-to-fifo.md").symlink_to(tmp_path / "elsewhere-fifo")
    (content / "zero.md").symlink_to("/dev/zero")
    watched = Watched(folders=[content], files=[], exclude=[], base=tmp_path)
    snapshot = _snapshot_within(watched)
    assert set(snapshot) == {"content/a.md", "content/fresh.md", "content/link-to-fifo.md", "content/zero.md"}
    assert snapshot["content/a.md"][3] is not None and snapshot["content/fresh.md"][3] is None


def test_the_watcher_survives_folders_it_cannot_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digest import watch

    content = tmp_path / "content"
    for name in ("broken/hidden-by-error.md", "ok.md", "sub/deeper/kept.md"):
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        (content / name).write_text("x")
    real_scandir = os.scandir

    def failing_scandir(path):
        if str(path).endswith("broken"):  # an I/O error, as on a failing disk or a name too long
            raise OSError(5, "Input/output error")
        return real_scandir(path)

    monkeypatch.setattr(watch.os, "scandir", failing_scandir)
    snapshot = _snapshot_within(watch.Watched(folders=[content], files=[], exclude=[], base=tmp_path))
    assert set(snapshot) == {"content/ok.md", "content/sub/deeper/kept.md"}
