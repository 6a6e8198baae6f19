"""Run `python build.py serve` as a subprocess for the serve tests, and poll it."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Self, TypeVar

from tests.conftest import REPO, free_port

T = TypeVar("T")
TIMEOUT = 60.0  # generous: the tests share two loaded cores


def wait_for(check: Callable[[], T], timeout: float = TIMEOUT, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


@dataclass
class RawResponse:
    status: int  # 0: the server closed the connection without answering
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


def raw_request(port: int, target: str, host: str | None, headers: dict[str, str] | None = None,
                method: str = "GET") -> RawResponse:
    """Send one request with `target` and `Host` exactly as given (no client-side normalising or
    validation, unlike urllib and http.client), and read the answer. A 101 (websocket upgrade)
    answer is returned as soon as its headers are in."""
    lines = [f"{method} {target} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [f"{key}: {value}" for key, value in (headers or {}).items()]
    if not headers or "Upgrade" not in headers:
        lines.append("Connection: close")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
    data = b""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(request)
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and head.startswith(b"HTTP/1.1 101"):
                break
            length = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.IGNORECASE)
            if sep and length and len(body) >= int(length[1]):
                break  # complete, even if the server keeps the connection open
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    if not head:
        return RawResponse(0, [], b"")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = [tuple(part.strip() for part in line.split(":", 1)) for line in header_lines if ":" in line]
    return RawResponse(int(status_line.split()[1]), parsed, body)  # type: ignore[arg-type]


class Server:
    """`build.py serve --site SITE --port PORT` with its output captured in files."""

    def __init__(self, site: Path, *extra: str, port: int | None = None):
        self.site = site
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        logs = site.parent
        self.out_path, self.err_path = logs / f"serve-{self.port}.out", logs / f"serve-{self.port}.err"
        self._out, self._err = self.out_path.open("wb"), self.err_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "build.py", "serve", "--site", str(site), "--port", str(self.port), *extra],
            cwd=REPO, stdout=self._out, stderr=self._err, stdin=subprocess.DEVNULL,
        )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str = "") -> tuple[int, str]:
        return fetch(self.url + path)

    def wait_first_build(self) -> None:
        """Until then the server may show the previous run's preview, or a "Building" page."""
        def check() -> bool:
            assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}:\n{self.stderr}"
            return "\nbuilt " in self.stdout or "build failed" in self.stderr

        wait_for(check, what="the first build")

    def wait_page(self, path: str, contains: str, status: int = 200) -> str:
        self.wait_first_build()

        def check() -> str | None:
            assert self.proc.poll() is None, f"serve exited with {self.proc.returncode}:\n{self.stderr}"
            code, body = self.get(path)
            return body if code == status and contains in body else None

        return wait_for(check, what=f"/{path} to answer {status} with {contains!r}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(TIMEOUT)
        finally:
            self._out.close()
            self._err.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.stop()
        if self.proc.poll() is None:  # pragma: no cover - only if the clean stop failed
            self.proc.kill()
            self.proc.wait()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_in_thread(coroutine_function):
    """asyncio.run in a thread of its own: the session-wide Playwright fixture may own this thread's loop."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coroutine_function())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
