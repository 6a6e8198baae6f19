"""`build.py serve`: a subprocess on a free port against a private copy of the example digest."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from digest.watch import Watched, Watcher, changed_paths
from tests.conftest import REPO, build, tree_state
from tests.servehelp import TIMEOUT, Server, edit, run_in_thread, wait_for

ARTICLE = "content/water-rationing-announced.md"
PAGE = "articles/water-rationing-announced/"
BODY = "Regional utility Vessa Water will ban"
DRAFT_PAGE = "articles/port-strike-tentative-deal/"


def test_serves_the_site_with_drafts_marked_and_the_reload_script(example_site: Path) -> None:
    with Server(example_site) as server:
        page = server.wait_page(PAGE, BODY)
        assert "/livereload.js" in page and page.index("/livereload.js") < page.index("</head>")
        assert f"Serving {example_site} at {server.url}" in server.stdout
        draft = server.wait_page(DRAFT_PAGE, "Tentative")
        assert '<span class="badge-draft">Draft</span>' in draft
        code, home = server.get("")
        assert code == 200 and '<span class="badge-draft">Draft</span>' in home
        code, css = server.get("static/style.css")
        assert code == 200 and ".badge-draft" in css and "livereload" not in css
        assert server.get("articles/water-rationing-announced")[0] == 200  # redirected to the folder
        assert server.get("no/such/page/")[0] == 404
        assert server.get("../../../etc/passwd")[0] == 404
    # The preview has its own output folder: public/ (what gets deployed) never receives drafts.
    assert not (example_site / "public").exists()
    preview = example_site / ".cache" / f"preview-{server.port}"
    assert "badge-draft" in (preview / DRAFT_PAGE / "index.html").read_text(encoding="utf-8")


def test_no_drafts_hides_drafts(example_site: Path) -> None:
    with Server(example_site, "--no-drafts") as server:
        server.wait_page(PAGE, BODY)
        assert server.get(DRAFT_PAGE)[0] == 404
        assert "badge-draft" not in server.get("")[1]


def test_editing_an_article_changes_the_served_page(example_site: Path) -> None:
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        edit(example_site / ARTICLE, "Regional utility", "Regional utility EDITED-IN-PLACE")
        page = server.wait_page(PAGE, "EDITED-IN-PLACE")
        assert "Regional utility EDITED-IN-PLACE Vessa Water" in page
        assert "changed: content/water-rationing-announced.md" in server.stdout


def test_broken_front_matter_shows_the_error_page_until_fixed(example_site: Path) -> None:
    assert build(example_site).code == 0
    public = example_site / "public"
    before = tree_state(public)
    article = example_site / ARTICLE
    original = article.read_text(encoding="utf-8")
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        edit(article, "date: 2026-03-03T10:00:00+01:00", "date: <script>alert(1)</script>")
        page = server.wait_page(PAGE, "Build failed", status=500)
        assert "water-rationing-announced.md:3: error: unparseable `date` `&lt;script&gt;alert(1)&lt;/script&gt;`" in page
        assert "<script>alert(1)" not in page
        assert "/livereload.js" in page  # so the tab comes back by itself once fixed
        # Every page is replaced by the error page; assets still come from the last good build.
        assert server.get("")[0] == 500
        assert server.get("static/style.css")[0] == 200
        # The terminal shows the same messages as `build`.
        wait_for(lambda: "water-rationing-announced.md:3: error: unparseable `date`" in server.stderr, what="the error in stderr")
        assert server.proc.poll() is None

        article.write_text(original, encoding="utf-8")
        page = server.wait_page(PAGE, BODY)
        assert "Build failed" not in page
        assert server.proc.poll() is None
    assert server.proc.returncode == 0
    assert tree_state(public) == before  # serve never writes public/


def test_a_second_server_on_the_same_port_fails_with_a_clear_message(example_site: Path) -> None:
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        second = subprocess.run(
            [sys.executable, "build.py", "serve", "--site", str(example_site), "--port", str(server.port)],
            cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=False,
        )
        assert second.returncode == 2
        message = second.stderr.strip()
        assert "\n" not in message and "Traceback" not in message
        assert f"port {server.port} is already in use" in message and "--port" in message
        assert server.get(PAGE)[0] == 200  # the first one is unaffected


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stop_is_clean(example_site: Path, sig: int) -> None:
    server = Server(example_site)
    with server:
        server.wait_page(PAGE, BODY)
        children = _children(server.proc.pid)
        assert server.stop(sig) == 0
    assert "Traceback" not in server.stderr and server.stderr.strip() == ""
    assert "Stopped." in server.stdout
    assert not [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert server.get("")[0] == 0  # nothing listens any more


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found += [int(c) for c in children.read_text().split()]
    return found


def test_a_save_during_a_rebuild_is_not_lost(example_site: Path) -> None:
    # A site template that makes every build take a while, so the second save lands mid-rebuild.
    theme_404 = (REPO / "templates" / "404.html").read_text(encoding="utf-8")
    slow = example_site / "templates" / "404.html"
    slow.parent.mkdir()
    slow.write_text("{% for i in range(15000000) %}{% endfor %}" + theme_404, encoding="utf-8")
    article = example_site / ARTICLE
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        builds = server.stdout.count("built ")
        edit(article, "Regional utility", "Regional utility FIRST-SAVE")
        wait_for(lambda: "changed: content/water-rationing-announced.md" in server.stdout, what="the rebuild to start")
        edit(article, "FIRST-SAVE", "SECOND-SAVE")
        assert server.stdout.count("built ") == builds, "the rebuild finished before the second save; test proves nothing"
        page = server.wait_page(PAGE, "SECOND-SAVE")
        assert "FIRST-SAVE" not in page


def test_a_css_change_reloads_only_the_stylesheet(example_site: Path) -> None:
    css = example_site / "templates" / "static" / "style.css"
    css.parent.mkdir(parents=True)
    shutil.copy(REPO / "templates" / "static" / "style.css", css)
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)

        async def session() -> list[dict]:
            from tornado.websocket import websocket_connect

            ws = await websocket_connect(f"ws://127.0.0.1:{server.port}/livereload")
            await ws.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
            assert json.loads(await ws.read_message())["command"] == "hello"
            await ws.write_message(json.dumps({"command": "info", "url": server.url + PAGE, "plugins": {}}))
            await ws.write_message(json.dumps({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}))
            await ws.read_message()  # the second hello's answer: `info` has been handled, we are registered
            messages = []
            with css.open("a", encoding="utf-8") as f:
                f.write("\n.probe-rule { color: red; }\n")
            messages.append(json.loads(await asyncio.wait_for(ws.read_message(), TIMEOUT)))
            edit(example_site / ARTICLE, "Regional utility", "Regional utility RELOADED")
            messages.append(json.loads(await asyncio.wait_for(ws.read_message(), TIMEOUT)))
            ws.close()
            return messages

        css_message, page_message = run_in_thread(session)
        assert css_message["command"] == "reload" and css_message["path"] == "style.css" and css_message["liveCSS"]
        assert page_message["path"] == "*"
        assert ".probe-rule" in server.get("static/style.css")[1]


# The watcher on its own, in-process.

def _watch(site: Path, calls: list, on_first_change=None, notify: bool = True) -> Watcher:
    watched = Watched(folders=[site / "content"], files=[site / "site.yaml"],
                      exclude=[site / "public", site / ".cache"], base=site)

    def on_change(changed):
        calls.append(changed)
        if changed is not None and len(calls) == 2 and on_first_change:
            on_first_change()

    return Watcher(watched, on_change, interval=0.05, settle=0.05, notify=notify)


@pytest.mark.parametrize("notify", [True, False], ids=["notified", "polling"])
def test_watcher_rebuilds_again_for_a_save_made_during_the_rebuild(tmp_path: Path, notify: bool) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "site.yaml").write_text("title: x\n")
    story = tmp_path / "content" / "a.md"
    story.write_text("version 1\n")
    calls: list = []
    # The second save has the same size and usually the same timestamp tick as the first: only the
    # content hash of recently modified files tells them apart.
    watcher = _watch(tmp_path, calls, on_first_change=lambda: story.write_text("version 3\n"), notify=notify)
    assert (watcher.notifier is not None) == notify
    watcher.start()
    try:
        wait_for(lambda: calls == [None], what="the first build")
        story.write_text("version 2\n")
        wait_for(lambda: len(calls) >= 3, what="a rebuild for the save made during the rebuild")
        assert calls[1] == calls[2] == ["content/a.md"]
    finally:
        watcher.stop(TIMEOUT)


@pytest.mark.parametrize("notify", [True, False], ids=["notified", "polling"])
def test_watcher_coalesces_a_burst_and_misses_none(tmp_path: Path, notify: bool) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "site.yaml").write_text("title: x\n")
    calls: list = []
    watcher = _watch(tmp_path, calls, notify=notify)
    watcher.start()
    try:
        wait_for(lambda: calls == [None], what="the first build")
        names = {f"content/s{i}.md" for i in range(20)}
        for name in sorted(names):
            (tmp_path / name).write_text(name)
        wait_for(lambda: set().union(*calls[1:]) == names, what="every new file to be reported")
        assert len(calls) - 1 < len(names)
    finally:
        watcher.stop(TIMEOUT)


def test_snapshot_ignores_output_cache_and_editor_files(tmp_path: Path) -> None:
    for name in ["content/a.md", "content/.a.md.swp", "content/a.md~", "content/#a.md#", "public/index.html",
                 ".cache/x", "content/.git/HEAD", "templates/base.html"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    watched = Watched(folders=[tmp_path, tmp_path / "templates"], files=[], exclude=[tmp_path / "public"], base=tmp_path)
    snapshot = watched.snapshot()
    assert set(snapshot) == {"content/a.md", "templates/base.html"}
    os.utime(tmp_path / "content" / "a.md", ns=(1, 1))
    assert changed_paths(snapshot, watched.snapshot(snapshot)) == {"content/a.md"}


def test_build_accepts_base_url_override_when_site_yaml_has_one(example_site: Path, tmp_path: Path) -> None:
    # serve overrides base_url with the local address; the site's own base_url must not become an error.
    result = build(example_site, "--out", str(tmp_path / "out"), "--base-url", "http://127.0.0.1:5500/")
    assert result.code == 0, result.output


def test_watcher_thread_survives_a_failing_callback(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "site.yaml").write_text("title: x\n")
    seen = threading.Event()
    calls: list = []

    def on_change(changed):
        calls.append(changed)
        if len(calls) == 2:
            raise RuntimeError("boom")
        if len(calls) == 3:
            seen.set()

    watched = Watched(folders=[tmp_path / "content"], files=[], exclude=[], base=tmp_path)
    watcher = Watcher(watched, on_change, interval=0.05, settle=0.05)
    watcher.start()
    try:
        wait_for(lambda: calls == [None], what="the first build")
        (tmp_path / "content" / "a.md").write_text("1")
        wait_for(lambda: len(calls) == 2, what="the failing rebuild")
        (tmp_path / "content" / "b.md").write_text("2")
        assert seen.wait(TIMEOUT)
    finally:
        watcher.stop(TIMEOUT)


def test_a_rebuild_sees_a_same_size_save_within_one_timestamp_tick(example_site: Path, tmp_path: Path) -> None:
    from digest.build import BuildOptions
    from digest.serve import Rebuilder

    out = tmp_path / "out"
    rebuilder = Rebuilder(BuildOptions(site=example_site, out=out, drafts=True))
    assert rebuilder.rebuild(None).ok
    article = example_site / ARTICLE
    before = article.stat()
    article.write_text(article.read_text(encoding="utf-8").replace("Regional utility", "Regional UTILITY"), encoding="utf-8")
    os.utime(article, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime: only the bytes differ
    assert article.stat().st_size == before.st_size
    assert rebuilder.rebuild([ARTICLE]).ok
    assert "Regional UTILITY" in (out / PAGE / "index.html").read_text(encoding="utf-8")


def test_a_template_override_created_while_serving_is_picked_up(example_site: Path) -> None:
    theme = (REPO / "templates" / "article.html").read_text(encoding="utf-8")
    assert '<article class="article' in theme
    with Server(example_site) as server:
        server.wait_page(PAGE, BODY)
        override = example_site / "templates" / "article.html"
        override.parent.mkdir()  # the site had no templates/ folder when serve started
        override.write_text(theme.replace('<article class="article', '<p>SITE-OVERRIDE</p><article class="article', 1),
                            encoding="utf-8")
        server.wait_page(PAGE, "SITE-OVERRIDE")


def test_bench_hook_rebuilds_the_edited_page(example_site: Path, tmp_path: Path) -> None:
    from bench.probes import serve_rebuilder

    out = tmp_path / "out"
    rebuild = serve_rebuilder(example_site, out)
    edit(example_site / ARTICLE, "Regional utility", "Regional utility BENCH-EDIT")
    assert rebuild([example_site / ARTICLE]).ok
    assert "BENCH-EDIT" in (out / PAGE / "index.html").read_text(encoding="utf-8")
