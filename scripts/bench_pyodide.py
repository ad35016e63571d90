"""Benchmark of the in-browser runner (编辑并运行): time to the first result, a second run, bytes.

``rows()`` returns (measurement, value) pairs for ``make bench`` (scripts/bench.py); run alone,
``python scripts/bench_pyodide.py`` prints them as a Markdown table (progress on stderr).

In headless Chromium, on the basics page served from 127.0.0.1 (requests elsewhere aborted), with
a fresh browser profile (empty disk cache) per run:

1. first press: click 编辑并运行 on 问题 2's answer, then 运行 at once; the time until the
   result shows (Pyodide and servingmath.zip are downloaded, started and unpacked meanwhile);
2. second run: 运行 again in the same page (the worker is warm);
3. bytes: every response fetched from the press to the first result (the worker, Pyodide,
   servingmath.zip), raw as this server sends them and gzip-compressed (level 6, as a static host
   would send them); and the Pyodide bytes fetched before the press (must be zero);
4. the reader comes back (a new page in the same profile, so the same browser cache): press to
   result again, and what the server sent again (the bench's server counts every response).

Median of ``RUNS`` runs (range in brackets). Not a test: timings depend on the machine's load.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from servingmath.units import fmt  # noqa: E402

RUNS = 3
PAGE = "chapter/basics/"
ANSWER = "h3#q2-min-chips ~ details"
RUNNER_PATHS = ("/assets/pyodide/", "runner-worker.js")
TIMEOUT_MS = 180_000
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Served:
    """One response of the bench's server: what the browser really fetched (cache hits are absent,
    revalidated files are 304 without a body)."""

    path: str
    status: int
    body: int = 0


SERVED: list[Served] = []


class _Counting(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_response(self, code: int, message: str | None = None) -> None:
        self._served = Served(self.path, code)
        SERVED.append(self._served)
        super().send_response(code, message)

    def copyfile(self, source: Any, outputfile: Any) -> None:
        while chunk := source.read(1 << 16):
            outputfile.write(chunk)
            self._served.body += len(chunk)


@contextmanager
def serve(site: Path) -> Iterator[str]:
    handler = functools.partial(_Counting, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def built_site(site_dir: Path | None) -> Iterator[Path]:
    if site_dir is not None:
        yield site_dir
        return
    with tempfile.TemporaryDirectory(prefix="sm-bench-pyodide-") as tmp:
        log("bench_pyodide: building the site (mkdocs build --strict)")
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
        subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "--site-dir", tmp],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        yield Path(tmp)


@dataclass
class Run:
    first_s: float
    second_s: float
    fetched: list[Served] = field(default_factory=list)  # from the press to the first result
    before_press: int = 0  # runner bytes served before the press
    cached_s: float = 0.0
    refetched: list[Served] = field(default_factory=list)  # the same, after a reload
    timings: dict[str, float] = field(default_factory=dict)  # the worker's phases (ms)


def _press(page: Any) -> float:
    answer = page.locator(ANSWER).first
    answer.locator("summary").first.click()
    start = time.perf_counter()
    answer.locator(".sm-run__open:visible").first.click()
    return start


def _run(page: Any, start: float) -> float:
    answer = page.locator(ANSWER).first
    answer.locator(".sm-run__go:visible").click()
    answer.locator(".sm-run__result:visible").wait_for(timeout=TIMEOUT_MS)
    answer.locator(".sm-run__go:visible:enabled").wait_for(timeout=TIMEOUT_MS)
    elapsed = time.perf_counter() - start
    text = answer.locator(".sm-run__result:visible").inner_text()
    if "Error" in text or "出错" in text:
        raise RuntimeError(f"the run failed: {text}")
    return elapsed


def _settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def one_run(p: Any, url: str) -> Run:
    # A fresh profile on disk: an empty cache that works as a reader's does (the in-memory cache of
    # a plain Playwright context does not keep a file as big as pyodide.asm.wasm). No request
    # routing: Playwright turns the HTTP cache off when routes are set; the browser tests
    # (tests/test_browser_runner.py) block and check every request off 127.0.0.1.
    with tempfile.TemporaryDirectory(prefix="sm-bench-profile-") as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 900}
        )
        try:
            return _measure(context, url)
        finally:
            context.close()


def _measure(context: Any, url: str) -> Run:
    offsite: list[str] = []
    context.on("request", lambda r: offsite.append(r.url) if not r.url.startswith(url) else None)
    page = context.new_page()
    mark = len(SERVED)
    page.goto(url + PAGE)
    _settle(page)
    before = sum(s.body for s in SERVED[mark:] if any(p in s.path for p in RUNNER_PATHS))
    mark = len(SERVED)
    first = _run(page, _press(page))
    fetched = SERVED[mark:]
    timings = json.loads(page.locator(".sm-run[data-timings]").first.get_attribute("data-timings") or "{}")
    second = _run(page, time.perf_counter())

    # The reader comes back: a new page in the same context (the same browser cache).
    page.close()
    page = context.new_page()
    page.goto(url + PAGE)
    _settle(page)
    mark = len(SERVED)
    cached = _run(page, _press(page))
    refetched = SERVED[mark:]
    if offsite:
        raise RuntimeError(f"requests left the site: {offsite}")
    return Run(first, second, fetched, before, cached, refetched, timings)


def gzip_size(site: Path, url: str) -> int:
    path = site / unquote(urlsplit(url).path).lstrip("/")
    if path.is_dir():
        path = path / "index.html"
    return len(gzip.compress(path.read_bytes(), compresslevel=6)) if path.is_file() else 0


def _median(xs: list[float]) -> str:
    return f"{fmt(statistics.median(xs), 's')}（{fmt(min(xs), 's')}–{fmt(max(xs), 's')}）"


def rows(site_dir: Path | None = None, runs: int = RUNS) -> list[tuple[str, str]]:
    """The runner's measurements; builds the site into a temp dir unless ``site_dir`` is given."""
    from playwright.sync_api import sync_playwright

    with built_site(site_dir) as site, serve(site) as url, sync_playwright() as p:
        results = []
        for i in range(runs):
            log(f"bench_pyodide: run {i + 1}/{runs}")
            results.append(one_run(p, url))
        last = results[-1]
        raw = sum(s.body for s in last.fetched)
        gz = sum(gzip_size(site, s.path) for s in last.fetched if s.status == 200)
        again = sum(s.body for s in last.refetched)
        revalidated = sum(1 for s in last.refetched if s.status == 304)

        def phase(key: str) -> str:
            return _median([r.timings.get(key, float("nan")) / 1000 for r in results])

        load = os.getloadavg()[0] / (os.cpu_count() or 1)
        return [
            ("runner: machine load while measuring (load average per core)", f"{load:.1f}"),
            ("runner: Pyodide bytes before the first press", fmt(max(r.before_press for r in results), "B")),
            ("runner: first press → first result (empty cache)", _median([r.first_s for r in results])),
            ("runner: second run (same page)", _median([r.second_s for r in results])),
            ("runner: of which starting Pyodide (in the worker)", phase("pyodide")),
            ("runner: of which servingmath.zip fetched and unpacked", phase("archive")),
            ("runner: of which importing servingmath and Markdown", phase("imports")),
            ("runner: of which running the blocks (first run)", phase("run")),
            (
                "runner: bytes fetched by the first press",
                f"{fmt(raw, 'B')} raw, {fmt(gz, 'B')} gzip（{len(last.fetched)} requests）",
            ),
            ("runner: coming back, press → result (browser cache)", _median([r.cached_s for r in results])),
            (
                "runner: bytes fetched again when coming back",
                f"{fmt(again, 'B')}（{len(last.refetched)} requests, {revalidated} not modified）",
            ),
        ]


def main() -> None:
    table = rows()
    print("| measurement | value |\n|:---|---:|")
    for name, value in table:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
