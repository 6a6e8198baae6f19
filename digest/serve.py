"""`build.py serve`: build, serve the result on localhost with live reload, rebuild on every change.

The preview is built into its own folder (SITE/.cache/preview-PORT unless `--out` is given), never
into public/: preview output includes drafts and points at the local server, and must not be
deployed by accident. A tornado application serves it: livereload's websocket and client script, and a handler
that serves the built files with the reload script injected, or the error page while the build is
broken. Rebuilds run on the watcher thread, so the server keeps answering while they run.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import html
import ipaddress
import json
import mimetypes
import multiprocessing
import os
import signal
import stat
import sys
import threading
import traceback
import webbrowser
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_from_bytes

from tornado import httpserver, netutil, web
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .build import BuildOptions, BuildResult, build
from .build.articles import ArticleStore
from .build.process import ProcessCache
from .cli import display_prefix, format_diagnostic
from .diagnostics import terminal_safe
from .fsguard import within
from .render import THEME_DIR
from .watch import Watched, Watcher

try:  # livereload's handlers import a vendored client script and the websocket protocol
    from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
except ImportError:  # pragma: no cover - livereload is a runtime requirement
    LiveReloadHandler = LiveReloadJSHandler = None  # type: ignore[assignment,misc]

GENERATION_PATH = "/__digest__/generation"


@dataclass
class PreviewState:
    """What the server shows; written by the watcher thread, read by request handlers."""

    out_dir: Path
    phase: str = "building"  # building | ok | failed
    problems: list[tuple[str, str]] = field(default_factory=list)  # (level, formatted line)
    generation: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def view(self) -> tuple[str, list[tuple[str, str]], int]:
        with self.lock:
            return self.phase, list(self.problems), self.generation


class Rebuilder:
    """The one place serve asks the pipeline for a build.

    One `ProcessCache` lives as long as the server, so its per-file memo (and the process's Jinja
    and Markdown caches) stay warm: a rebuild after one edit re-processes that file and re-renders
    only the pages whose inputs changed."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.cache = ProcessCache()

    def rebuild(self, changed: Sequence[str] | None) -> BuildResult:
        if changed:
            store = self.cache.for_site("articles", self.options.site, lambda: ArticleStore(self.options.site))
            store.forget(changed)
        return build(self.options, cache=self.cache)


def serve(args: argparse.Namespace) -> int:
    site: Path = args.site
    host: str = args.host
    if not site.is_dir():
        print(f"error: --site {site}: no such folder", file=sys.stderr)
        return 2
    try:
        sockets = netutil.bind_sockets(args.port, address=host)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            print(f"error: port {args.port} is already in use; stop the other server or choose another port "
                  f"with --port", file=sys.stderr)
        else:
            reason = exc.strerror or str(exc)
            print(f"error: cannot listen on {host} port {args.port} ({reason}); check --host and --port", file=sys.stderr)
        return 2
    port = sockets[0].getsockname()[1]  # --port 0 picks a free one
    url = f"http://{_url_host(host)}:{port}/"
    hosts = HostPolicy.for_listener(host, port, [sock.getsockname()[0] for sock in sockets], url)

    # One preview folder per port, kept between runs: the same port gives the same base_url, so a
    # restarted server re-renders only what changed since, and shows the last preview meanwhile.
    out = getattr(args, "out", None) or site / ".cache" / f"preview-{port}"
    # Search re-indexes every article page after any edit (seconds per thousand articles): the
    # preview leaves it off unless asked, so a save shows at once.
    options = BuildOptions(site=site, out=out, base_url=url, drafts=not args.no_drafts, search=getattr(args, "search", False))
    state = PreviewState(out_dir=out)
    try:
        return _run(options, state, hosts, sockets, url, open_browser=args.open)
    except KeyboardInterrupt:  # a signal that arrived before our handlers were installed
        return 0


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _run(options: BuildOptions, state: PreviewState, hosts: HostPolicy, sockets: list, url: str, *,
         open_browser: bool) -> int:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        app = _application(state, hosts)
        server = httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        drafts = "drafts shown" if options.drafts else "drafts hidden"
        print(f"Serving {options.site} at {url} ({drafts}; press Ctrl-C to stop)", flush=True)
        watcher = _watcher(options, state, lambda path: loop.call_soon_threadsafe(_notify, path),
                           url if open_browser else None)
        watcher.start()
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C stops without waiting
                loop.remove_signal_handler(sig)
            server.stop()
            for waiter in list(LiveReloadHandler.waiters):
                waiter.close()
            try:
                await asyncio.wait_for(server.close_all_connections(), 2)
            except TimeoutError:
                pass
            # A rebuild in progress gets a moment to finish; then its worker processes are ended so
            # none outlives us. Abandoning it is safe: the preview folder is only a cache, and
            # output is committed file by file against a manifest the next build re-checks.
            await loop.run_in_executor(None, watcher.stop, 2)
            children = multiprocessing.active_children() if watcher.thread.is_alive() else []
            for child in children:
                child.kill()
            if children:  # let the build notice its broken pool and unwind
                await loop.run_in_executor(None, watcher.stop, 5)

    asyncio.run(main())
    print("Stopped.", flush=True)
    return 0


def _watcher(options: BuildOptions, state: PreviewState, notify, open_url: str | None) -> Watcher:
    site = options.site
    watched = Watched(
        # The site's templates/ and static/ are watched even if they do not exist yet: creating
        # one (to override a theme template) must trigger a rebuild too.
        folders=[site / "content", site / "static", site / "templates", THEME_DIR],
        files=[site / "site.yaml"],
        exclude=[site / "public", site / ".cache", options.out_dir],
        base=site,
    )
    rebuilder = Rebuilder(options)
    prefix = display_prefix(site)

    def on_change(changed: list[str] | None) -> None:
        if changed is not None:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            print(f"changed: {terminal_safe(shown)}", flush=True)  # file names are untrusted too
        try:
            result = rebuilder.rebuild(changed)
        except Exception as exc:  # noqa: BLE001 - a bug in the build must not take the preview down
            if watcher.stop_event.is_set():
                return  # we ended its worker processes on the way out
            traceback.print_exc()
            result = None
            problems = [("error", f"internal error while building: {type(exc).__name__}: {exc} (traceback in the terminal)")]
        else:
            problems = [(d.level, format_diagnostic(d, prefix)) for d in result.diagnostics]
            for _, line in problems:
                # Messages quote content (a title, a date as written): a file must not be able to
                # clear or rewrite the terminal. status_page() does the same for the browser.
                print(terminal_safe(line), file=sys.stderr, flush=True)
        ok = result is not None and result.ok
        if ok:
            print(result.summary(), flush=True)
        else:
            errors = sum(1 for level, _ in problems if level == "error")
            print(f"build failed: {errors} error{'s' * (errors != 1)}; the browser shows "
                  f"{'them' if errors != 1 else 'it'} until fixed", file=sys.stderr, flush=True)
        with state.lock:
            before = (state.phase, state.problems)
            state.phase = "ok" if ok else "failed"
            state.problems = problems
            changed_output = bool(result and (result.written or result.removed))
            visible = changed_output or before != (state.phase, state.problems)
            if visible:
                state.generation += 1
        if not visible:
            return
        css = [p for p in changed or () if p.lower().endswith(".css")]
        if ok and before[0] == "ok" and changed and len(css) == len(changed):
            for path in css:
                notify(Path(path).name)  # livereload.js swaps just the matching stylesheet
        else:
            notify("*")
        if open_url and changed is None:
            webbrowser.open(open_url)

    watcher = Watcher(watched, on_change)
    return watcher


def _notify(path: str) -> None:
    """Tell every connected tab to reload (runs on the event loop thread)."""
    message = {"command": "reload", "path": path, "liveCSS": True, "liveImg": True}
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message(message)
        except WebSocketClosedError:
            LiveReloadHandler.waiters.discard(waiter)


@dataclass(frozen=True)
class HostPolicy:
    """The `Host` headers the preview answers to: its defence against DNS rebinding.

    A page on any web site can point its own name at 127.0.0.1 and then read this server as if it
    were its own origin, drafts included; the one thing it cannot change is the `Host` header,
    which carries its name. So only these are accepted, and only with the server's port:
    `localhost` and loopback addresses; the name given to --host; and, when --host makes the
    server reachable from other machines (0.0.0.0, ::, a LAN address), any IP address, because an
    address typed in the browser cannot be rebound by anyone."""

    port: int
    url: str
    names: frozenset[str] = frozenset({"localhost"})
    any_address: bool = False

    @classmethod
    def for_listener(cls, host: str, port: int, addresses: Iterable[str], url: str) -> HostPolicy:
        """`host` as given to --host; `addresses` the ones the sockets were bound to."""
        names = {"localhost"}
        if host and _ip_literal(host) is None:
            names.add(host.lower())
        beyond_loopback = any(not ip.is_loopback for ip in map(_ip_literal, addresses) if ip is not None)
        return cls(port=port, url=url, names=frozenset(names), any_address=beyond_loopback)

    def allows(self, header: str | None) -> bool:
        split = _split_host_header(header or "")
        if split is None:
            return False
        name, port = split
        if port != self.port:
            return False
        ip = _ip_literal(name)
        if ip is None:
            return name in self.names
        return self.any_address or ip.is_loopback

    def refusal(self) -> str:
        return (f"Forbidden: this preview server answers only at {self.url} (or localhost); the request named "
                "another host. See \"Preview with live reload\" in README.md to serve under another name.\n")


def _split_host_header(header: str) -> tuple[str, int] | None:
    """`name:port` (the port defaults to 80, as a browser omits it) with the name lower-cased;
    None if the header is not a well-formed host."""
    if header.startswith("["):
        end = header.find("]")
        name, rest = header[1:end], header[end + 1:]
        if end == -1 or ":" not in name or _ip_literal(name) is None:
            return None  # brackets hold an IPv6 address and nothing else
    else:
        name, colon, port_text = header.partition(":")
        rest = colon + port_text
        if not name or not all(c.isascii() and (c.isalnum() or c in "-._") for c in name):
            return None
    if not rest:
        return name.lower(), 80
    digits = rest[1:]
    if not rest.startswith(":") or not digits.isascii() or not digits.isdigit() or len(digits) > 5:
        return None
    return name.lower(), int(digits)


def _ip_literal(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class _Guarded:
    """Mixed into every handler: refuse a foreign `Host` before doing anything else."""

    hosts: HostPolicy

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")  # type: ignore[attr-defined]

    def prepare(self) -> None:
        handler: web.RequestHandler = self  # type: ignore[assignment]
        if not self.hosts.allows(handler.request.headers.get("Host")):
            handler.set_status(403)
            handler.set_header("Content-Type", "text/plain; charset=utf-8")
            handler.set_header("Cache-Control", "no-store")
            handler.finish(self.hosts.refusal())


class ReloadSocket(_Guarded, LiveReloadHandler):
    """livereload's websocket, minus what it leaves open: any origin may connect (it accepts all),
    and a malformed message raised an exception that printed a traceback in the terminal."""

    def initialize(self, hosts: HostPolicy) -> None:
        self.hosts = hosts

    def check_origin(self, origin: str) -> bool:
        return WebSocketHandler.check_origin(self, origin)  # tornado's same-origin rule

    def on_message(self, message: str | bytes) -> None:
        try:
            decoded = json.loads(message)
        except (ValueError, TypeError):
            return
        if not isinstance(decoded, dict):
            return
        if decoded.get("command") == "hello":
            try:
                self.write_message({"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"],
                                    "serverName": "digest"})
            except WebSocketClosedError:
                pass
        elif decoded.get("command") == "info":
            LiveReloadHandler.waiters.add(self)


class ReloadScript(_Guarded, LiveReloadJSHandler):
    def initialize(self, hosts: HostPolicy) -> None:
        self.hosts = hosts


def _application(state: PreviewState, hosts: HostPolicy) -> web.Application:
    guarded = {"hosts": hosts}
    return web.Application(
        [
            (r"/livereload", ReloadSocket, guarded),
            (r"/livereload\.js", ReloadScript, guarded),
            (GENERATION_PATH, GenerationHandler, {"state": state, **guarded}),
            (r"/(.*)", PreviewHandler, {"state": state, **guarded}),
        ],
        log_function=lambda handler: None,  # 404s and error pages are expected while editing
        websocket_ping_interval=None,
        websocket_max_message_size=64 * 1024,  # the protocol's messages are a few hundred bytes
    )


def reload_script(generation: int) -> bytes:
    """livereload's client, plus a check on connect: a tab that loaded just before a rebuild
    finished (before its websocket was listening) still reloads."""
    return (
        '<script>(function(){var s=document.createElement("script");'
        's.src="/livereload.js?port="+(location.port||(location.protocol=="https:"?443:80));'
        'document.head.appendChild(s);'
        'document.addEventListener("LiveReloadConnect",function(){'
        f'fetch("{GENERATION_PATH}",{{cache:"no-store"}}).then(function(r){{return r.text()}})'
        f'.then(function(g){{if(g!=="{generation}")location.reload()}}).catch(function(){{}})}});'
        "})();</script>"
    ).encode()


def inject(page: bytes, script: bytes) -> bytes:
    lower = page.lower()
    for marker in (b"</head>", b"</body>"):
        at = lower.find(marker)
        if at != -1:
            return page[:at] + script + page[at:]
    return page + script


class GenerationHandler(_Guarded, web.RequestHandler):
    def initialize(self, state: PreviewState, hosts: HostPolicy) -> None:
        self.state = state
        self.hosts = hosts

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.write(str(self.state.view()[2]))


class PreviewHandler(_Guarded, web.RequestHandler):
    """Built files with the reload script injected; the error page in place of any page while broken."""

    def initialize(self, state: PreviewState, hosts: HostPolicy) -> None:
        self.state = state
        self.hosts = hosts

    def compute_etag(self) -> None:
        return None  # always send fresh bytes: the preview changes under the browser

    def head(self, path: str) -> None:
        self.get(path)

    def get(self, path: str) -> None:
        self.set_header("Cache-Control", "no-store")
        phase, problems, generation = self.state.view()
        out_dir = self.state.out_dir
        found = _resolve(out_dir, path)
        if found is None:  # hidden, outside the preview, or not a path at all: never served, whatever the phase
            self._not_found(generation)
            return
        target, parts = found
        if _kind(target) == "dir":
            canonical = "".join(f"/{quote(part, safe=_SEGMENT_SAFE)}" for part in parts) + "/"
            if self.request.path != canonical:
                # Built from the checked segments, percent-encoded: always one same-origin path,
                # never `//host/` or `/\host/`, whatever slashes or escapes the request had.
                query = quote_from_bytes(self.request.query.encode("latin-1"), safe=_QUERY_SAFE)
                self.redirect(canonical + (f"?{query}" if query else ""))
                return
            found = _resolve(out_dir, "/".join([*parts, "index.html"]))
            if found is None:
                self._not_found(generation)
                return
            target = found[0]
        exists = _kind(target) == "file"  # regular files only: never block on a FIFO or read a device
        is_page = target.suffix == ".html" or not exists
        stale_preview = phase == "building" and exists
        if phase != "ok" and is_page and not stale_preview:
            self._page(500 if phase == "failed" else 503, status_page(phase, problems), generation)
            return
        data = _read(target) if exists else None
        if data is None:
            self._not_found(generation)
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".html":
            self._page(200, data, generation)
            return
        if content_type.startswith("text/") or content_type in ("application/xml", "application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        self.set_header("Content-Type", content_type)
        self.finish(data)

    def _not_found(self, generation: int) -> None:
        missing = _resolve(self.state.out_dir, "404.html")
        body = _read(missing[0]) if missing is not None and _kind(missing[0]) == "file" else None
        if body is None:
            body = b"<!DOCTYPE html><title>Not found</title><p>Not found.</p>"
        self._page(404, body, generation)

    def _page(self, status: int, body: bytes, generation: int) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(inject(body, reload_script(generation)))


# RFC 3986 characters left as they are in a redirect's path segment and query; the rest (slashes
# inside a segment, backslashes, controls, spaces, non-ASCII) is percent-encoded.
_SEGMENT_SAFE = "!$&'()*+,;=:@~"
_QUERY_SAFE = _SEGMENT_SAFE + "/?%"


def _read(path: Path) -> bytes | None:
    """The file's bytes, or None if it cannot be read (unreadable, replaced mid-rebuild)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _kind(path: Path) -> str | None:
    """"dir", "file" (a regular one), or None: missing, unreadable, a name too long, anything else."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return None
    return "dir" if stat.S_ISDIR(mode) else "file" if stat.S_ISREG(mode) else None


def _resolve(out_dir: Path, path: str) -> tuple[Path, list[str]] | None:
    """The real path a URL path names inside the output folder (which need not exist) and its
    segments; None for anything never served: a hidden name (`.digest-manifest.json`, dot-folders,
    `..`), a backslash or control character, or a real path outside the folder (a symlink)."""
    if "\\" in path or any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in path):
        return None
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p.startswith(".") for p in parts):
        return None
    try:
        root = os.path.realpath(out_dir)
        real = os.path.realpath(os.path.join(root, *parts))
    except (OSError, ValueError):
        return None
    if not within(real, root):
        return None
    return Path(real), parts


_STYLE = """
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1b1b; --muted: #555; --err: #b3261e; --warn: #8a5a00;
  --box: #fdf1f0; }
@media (prefers-color-scheme: dark) { :root { --bg: #151515; --fg: #eee; --muted: #aaa; --err: #ff8a80;
  --warn: #f3c16b; --box: #2a1d1c; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 1rem/1.5 system-ui, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem; }
h1 { color: var(--err); font-size: 1.5rem; margin: 0 0 .5rem; }
p { color: var(--muted); margin: 0 0 1rem; }
ol { list-style: none; margin: 0; padding: 0; }
li { background: var(--box); border-left: .3rem solid var(--err); margin: 0 0 .5rem; padding: .5rem .75rem; }
li.warning { border-left-color: var(--warn); }
code { font: .9rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap;
  overflow-wrap: anywhere; }
"""


def status_page(phase: str, problems: list[tuple[str, str]]) -> bytes:
    """The page shown in place of every page while the build is broken (or still running)."""
    if phase == "building":
        title, intro, items = "Building the preview…", "This page reloads by itself when the first build is done.", ""
        refresh = '<meta http-equiv="refresh" content="2">\n'  # in case the reload message came before the socket
    else:
        errors = sum(1 for level, _ in problems if level == "error")
        title = f"Build failed: {errors} error{'s' * (errors != 1)}"
        intro = ("Fix the problems below and save; this page reloads by itself. "
                 "The last good build is left untouched.")
        ordered = sorted(problems, key=lambda p: p[0] != "error")
        items = "<ol>\n" + "".join(
            f'<li class="{html.escape(level)}"><code>{html.escape(terminal_safe(line))}</code></li>\n'
            for level, line in ordered
        ) + "</ol>\n"
        refresh = ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"color-scheme\" content=\"light dark\">\n{refresh}"
        f"<title>{html.escape(title)} · preview</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(intro)}</p>\n{items}</main>\n</body>\n</html>\n"
    ).encode()
