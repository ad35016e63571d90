"""Shared fixtures: one strict build of the site per test session, a local server, Chromium.

Speed: the session's builds of this checkout start in the background as soon as the tests are
collected (``pytest_collection_modifyitems``), so they run on the second core while the pure
Python tests run on the first: the one behind ``built_site`` whenever a selected test needs it,
and a second, independent build when ``test_two_builds_are_byte_identical`` is selected (that
test's ``mkdocs_build(ROOT, out)`` call then collects it). Each is a complete, separate
``mkdocs build --strict`` process; only its start moves earlier. The second build gets an empty
build cache (``SERVINGMATH_CACHE_DIR``), so the byte-identical test also checks that a cold
build (notebook executed, API reference rendered, templates compiled) equals a cached one.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import tempfile
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


def _build_command(out: Path) -> list[str]:
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]


def _build_env(extra_env: dict[str, str] | None) -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(extra_env or {})}


class BackgroundBuild:
    """``mkdocs build --strict`` of this checkout, started now, collected later."""

    def __init__(self, out: Path, extra_env: dict[str, str] | None = None) -> None:
        self.out = out
        self.log = out.with_suffix(".log")
        with self.log.open("w") as log:
            command, env = _build_command(out), _build_env(extra_env)
            out_err = {"stdout": log, "stderr": subprocess.STDOUT}
            self.proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **out_err)

    def result(self, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        try:
            returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        output = self.log.read_text(encoding="utf-8", errors="replace")
        return subprocess.CompletedProcess(self.proc.args, returncode, output, "")

    def stop(self) -> None:
        if self.proc.poll() is None:
            from site_tools import stop_process_group

            stop_process_group(self.proc)


_background: dict[str, BackgroundBuild] = {}
_background_dir: list[Path] = []
SECOND_BUILD_TEST = "test_reproducible.py::test_two_builds_are_byte_identical"


def _start_background(name: str, *, cold: bool = False) -> None:
    if not _background_dir:
        _background_dir.append(Path(tempfile.mkdtemp(prefix="servingmath-tests-")))
    work = _background_dir[0]
    env = {"SERVINGMATH_CACHE_DIR": str(work / f"{name}-cache")} if cold else None
    _background[name] = BackgroundBuild(work / name, env)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if config.option.collectonly:
        return
    if any("built_site" in getattr(item, "fixturenames", ()) for item in items):
        _start_background("site")
    if any(item.nodeid.endswith(SECOND_BUILD_TEST) for item in items):
        _start_background("second", cold=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for build in _background.values():
        build.stop()
    for directory in _background_dir:
        shutil.rmtree(directory, ignore_errors=True)


def mkdocs_build(
    project: Path, out: Path, *, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build --strict`` for ``project`` into ``out``; return the finished process.

    A plain build of this checkout collects the second background build, if one was started.
    """
    second = _background.pop("second", None)
    if second is not None and Path(project).resolve() == ROOT and not extra_env and not out.exists():
        proc = second.result()
        if second.out.exists():
            shutil.move(str(second.out), str(out))
        return proc
    if second is not None:
        _background["second"] = second
    command, env = _build_command(out), _build_env(extra_env)
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``--strict`` from this checkout (started at collection time)."""
    build = _background.get("site")
    if build is None:
        out = tmp_path_factory.mktemp("site")
        proc = mkdocs_build(ROOT, out)
    else:
        proc, out = build.result(), build.out
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
