"""Shared fixtures: one strict build of the site per test session, a local server, Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def mkdocs_build(
    project: Path, out: Path, *, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build --strict`` for ``project`` into ``out``; return the finished process."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``--strict`` from this checkout."""
    out = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(ROOT, out)
    if proc.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> Iterator[str]:
    """``built_site`` served over HTTP on 127.0.0.1 (a free port)."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def find_chromium() -> str | None:
    for path in CHROMIUM_CANDIDATES:
        if Path(path).exists():
            return path
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = "no Chromium found (install Debian's 'chromium' package: apt-get install -y chromium)"
        if os.environ.get("SERVINGMATH_REQUIRE_BROWSER") or os.environ.get("CI"):
            pytest.fail(f"{message}; browser tests are required here", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def serve_sitemap_for(page: Any, site_url: str) -> None:
    """Point the sitemap at the test server's port.

    Material's instant navigation only intercepts links listed in sitemap.xml, which names
    pages under ``site_url``; its URL matching fixes protocol and host but not the port, so
    on the test server's random port every click would reload the page.
    Deployed (or under ``mkdocs serve``), the two agree.
    """

    def route(r: Any) -> None:
        body = r.fetch().text()
        home = min(re.findall(r"<loc>([^<]+)</loc>", body), key=len)  # the site_url it was built for
        r.fulfill(status=200, content_type="application/xml", body=body.replace(home, site_url))

    page.route("**/sitemap.xml", route)


@dataclass
class PageWatch:
    """A Playwright page plus what it did: console errors and requests that left 127.0.0.1."""

    page: Any
    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


def _is_local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))


@pytest.fixture
def watched_page(browser: Any) -> Iterator[PageWatch]:
    """A fresh page whose requests outside 127.0.0.1 are blocked and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = PageWatch(page)

    def route(r: Any) -> None:
        if _is_local(r.request.url):
            r.continue_()
        else:
            watch.external_requests.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.console_errors.append(str(e)))
    yield watch
    context.close()
