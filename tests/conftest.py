"""Shared fixtures: one strict build of the site per test session, a local server, Chromium.

Speed: the session's builds of this checkout run in the background while tests run. The one
behind ``built_site`` starts as soon as the tests are collected (``pytest_collection_modifyitems``)
whenever a selected test needs it; a second, independent build, when
``test_two_builds_are_byte_identical`` is selected, starts once the first is done (so the first,
which most browser tests wait for, has the core to itself), and that test's
``mkdocs_build(ROOT, out)`` call collects it. Each is a complete, separate
``mkdocs build --strict`` process; only its start moves. The second build gets an empty build
cache (``SERVINGMATH_CACHE_DIR``) and renders every page itself (``SERVINGMATH_RENDER_AHEAD=0``),
so the byte-identical test also checks that a cold build (notebook executed, API reference
rendered, templates compiled) equals a cached one whose pages a child may have rendered ahead.

``make test`` runs the tests on two pytest-xdist workers; each build still runs once per run
(see ``BackgroundBuild``), and every worker has its own Chromium.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
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
    """``mkdocs build --strict`` of this checkout, started now, collected later.

    Under pytest-xdist every worker collects the same tests; the first to ask starts the build
    (an ``os.mkdir`` claim in the run's shared directory), and any worker can collect it: the
    build writes its exit status to ``<name>.rc`` when it ends, whoever started it.
    """

    def __init__(self, shared: Path, name: str, extra_env: dict[str, str] | None = None) -> None:
        self.out = shared / name
        self.log = shared / f"{name}.log"
        self.rc = shared / f"{name}.rc"
        self.pid = shared / f"{name}.pid"
        self._extra_env = extra_env

    def start(self) -> None:
        status = f"{self.rc}.tmp"
        # sh runs the build, then records its status (atomically: written, then renamed).
        script = 'rc=0; "$@" || rc=$?; echo "$rc" > "$0" && mv "$0" "${0%.tmp}"'
        command = ["sh", "-c", script, status, *_build_command(self.out)]
        with self.log.open("w") as log:
            env, out_err = _build_env(self._extra_env), {"stdout": log, "stderr": subprocess.STDOUT}
            proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, **out_err)
        self.pid.write_text(str(proc.pid))
        _children.append(proc)

    def result(self, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        deadline = time.monotonic() + timeout
        while not self.rc.exists():
            if time.monotonic() > deadline:
                self.stop()
                raise subprocess.TimeoutExpired(_build_command(self.out), timeout)
            time.sleep(0.05)
        returncode = int(self.rc.read_text())
        output = self.log.read_text(encoding="utf-8", errors="replace")
        return subprocess.CompletedProcess(_build_command(self.out), returncode, output, "")

    def stop(self) -> None:
        """Stop the build's process group if it still runs."""
        if self.pid.exists() and not self.rc.exists():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(int(self.pid.read_text()), signal.SIGKILL)


_children: list[subprocess.Popen[bytes]] = []  # the builds this process started
SHARED_ENV = "SERVINGMATH_TESTS_SHARED"  # the run's shared directory (the controller makes it)
SECOND_BUILD_TEST = "test_reproducible.py::test_two_builds_are_byte_identical"
BUILDS = {"site": False, "second": True}  # name -> cold (an empty build cache of its own)
_wanted: set[str] = set()  # the builds the selected tests need (the same on every worker)


def _shared() -> Path:
    return Path(os.environ[SHARED_ENV])


def _background(name: str) -> BackgroundBuild:
    cold = BUILDS[name]
    # The cold build also renders every page in this process only (hooks/render_ahead.py off):
    # the byte-identical test then checks that pages rendered ahead by a child equal them too.
    env = (
        {"SERVINGMATH_CACHE_DIR": str(_shared() / f"{name}-cache"), "SERVINGMATH_RENDER_AHEAD": "0"}
        if cold
        else None
    )
    return BackgroundBuild(_shared(), name, env)


def _claim(name: str) -> bool:
    """True for the first process of this run to claim ``name`` (atomic across workers)."""
    try:
        (_shared() / f"{name}.claim").mkdir()
    except FileExistsError:
        return False
    return True


def _started(name: str) -> BackgroundBuild | None:
    return _background(name) if (_shared() / f"{name}.claim").exists() else None


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="servingmath-tests-")


# Under pytest-xdist (``make test``: ``-n 2 --dist loadscope``, each module on one worker) the
# slowest modules go first, so that no long one starts last while the other worker idles; the
# second starts with its own builds while the first waits for the site. Measured, slowest first.
SLOW_FIRST = (
    "tests/test_browser_a11y.py",
    "tests/test_authoring_errors.py",
    "tests/test_browser_runner.py",
    "tests/test_browser_figure_access.py",
    "tests/test_browser_site.py",
    "tests/test_offline.py",
    "tests/test_browser_lazy_loading.py",
    "tests/test_browser_search.py",
    "tests/test_live_reload.py",
)


def _slow_rank(item: pytest.Item) -> int:
    module = item.nodeid.split("::")[0]
    return SLOW_FIRST.index(module) if module in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    if hasattr(config, "workerinput"):  # the same order on every worker: xdist requires it
        items.sort(key=_slow_rank)
    if config.option.collectonly:
        return
    if any("built_site" in getattr(item, "fixturenames", ()) for item in items):
        _wanted.add("site")
        if _claim("site"):
            _background("site").start()
    if any(item.nodeid.endswith(SECOND_BUILD_TEST) for item in items):
        _wanted.add("second")
        if "site" not in _wanted and _claim("second"):  # else it starts when the site is built
            _background("second").start()


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or SHARED_ENV not in os.environ:
        return
    for name in BUILDS:
        _background(name).stop()
    for proc in _children:
        proc.wait(timeout=60)
    shutil.rmtree(os.environ.pop(SHARED_ENV), ignore_errors=True)


def mkdocs_build(
    project: Path, out: Path, *, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``mkdocs build --strict`` for ``project`` into ``out``; return the finished process.

    A plain build of this checkout collects the second background build, if one was started.
    """
    plain = Path(project).resolve() == ROOT and not extra_env and not out.exists()
    second = _started("second")
    if plain and second is not None and _claim("second-collected"):
        proc = second.result()
        if second.out.exists():
            shutil.move(str(second.out), str(out))
        return proc
    command, env = _build_command(out), _build_env(extra_env)
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``--strict`` from this checkout (started at collection time)."""
    build = _started("site")
    if build is None:
        out = tmp_path_factory.mktemp("site")
        proc = mkdocs_build(ROOT, out)
    else:
        proc, out = build.result(), build.out
        if "second" in _wanted and _claim("second"):
            _background("second").start()
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
