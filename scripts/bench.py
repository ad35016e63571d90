"""`make bench`: build and reload times, page weight, sweep speed of the site and its library.

Prints Markdown tables (progress goes to stderr). Every measurement runs on a throw-away copy of
the project in a temp directory, so nothing under the checkout changes:

1. cold build: ``mkdocs build --strict`` of the copy in a fresh process into an empty site dir
   (the first of three; the other two give a median);
2. the same build with every answer block (markdown-exec ``exec="on"`` block) replayed from the
   output it printed in (1): markdown-exec still renders each block (tabs, Markdown of the output),
   only the Python is not run. The ratio of the medians is what executing the answers costs;
3. live reload: ``mkdocs serve`` (as ``make serve``) and ``mkdocs serve --dirty``; append a unique
   line to docs/chapter/basics.md and poll the page until it shows (median of 3);
4. page weight: every page of (1) loaded in Chromium from 127.0.0.1; all bytes it fetched, raw and
   gzip-compressed (level 6, as a static host would send them); a repeat view is the HTML only
   (JS, CSS and the search index come from the browser cache, as with Material's instant loading);
5. the vectorised sweep behind the figures against the chapter's loop (servingmath.book.reference),
   same arguments, same process, best of several timeit runs.

Not a test: timings depend on the machine and its load. Targets are for this project's 2-core box.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from project_copy import copy_project  # noqa: E402  (tests/ holds the one copy helper)
from site_tools import free_port, site_pages, stop_process_group  # noqa: E402

from servingmath.units import fmt  # noqa: E402

TARGET_BUILD_S = 20.0
TARGET_RELOAD_S = 3.0
TARGET_FIRST_VIEW_GZ = 2_000_000
TARGET_REPEAT_VIEW_GZ = 200_000
TARGET_SWEEP_SPEEDUP = 20.0
FIGURE_PAGE = "chapter/visualize/"
TOUCHED_PAGE = ("docs/chapter/basics.md", "chapter/basics/")
RELOADS = 3
BUILD_RUNS = 3

# Written into the copy only (never into the checkout's hooks/): records or replays answer blocks,
# and times the build's phases and pages.
BENCH_HOOK = '''"""Benchmark-only hook (scripts/bench.py writes it into a temp copy of the project)."""

import hashlib
import json
import os
import time
from pathlib import Path

from mkdocs.plugins import event_priority

MODE, _, PATH = os.environ.get("SM_BENCH", "").partition(":")
STATE = {"outputs": {}, "exec_s": 0.0, "blocks": 0, "pages": {}, "marks": {}, "registry": [0, 0.0]}
_counts = {}
_page_start = {}


def _mark(name):
    STATE["marks"].setdefault(name, time.time())


@event_priority(100)
def on_config(config):
    _mark("config")
    return config


@event_priority(-100)
def on_pre_build(config):
    _mark("pre_build")
    if not MODE:
        return
    import markdown_exec._internal.formatters.python as mx

    original = getattr(mx, "_sm_bench_original", mx._run_python)
    mx._sm_bench_original = original
    cache = json.loads(Path(PATH).read_text())["outputs"] if MODE == "replay" else None

    def run(code, returncode=None, session=None, id=None, **extra):
        digest = hashlib.sha256(code.encode()).hexdigest()[:16]
        n = _counts[(session, digest)] = _counts.get((session, digest), 0) + 1
        key = f"{session}|{digest}|{n}"
        STATE["blocks"] += 1
        if cache is not None:
            return cache[key]  # a block missing from the cache fails the build
        start = time.perf_counter()
        out = original(code, returncode, session, id, **extra)
        STATE["exec_s"] += time.perf_counter() - start
        STATE["outputs"][key] = out
        return out

    mx._run_python = run
    import servingmath.book.registry as registry

    real = registry.all_values

    def timed_all_values():
        start = time.perf_counter()
        try:
            return real()
        finally:
            STATE["registry"][0] += 1
            STATE["registry"][1] += time.perf_counter() - start

    registry.all_values = timed_all_values


@event_priority(100)
def on_pre_page(page, config, files):
    _mark("pages")
    _page_start[page.file.src_uri] = time.perf_counter()
    return page


@event_priority(-100)
def on_page_content(html, page, config, files):
    start = _page_start.get(page.file.src_uri)
    if start is not None:
        STATE["pages"][page.file.src_uri] = time.perf_counter() - start
    return html


@event_priority(100)
def on_env(env, config, files):
    _mark("render")
    return env


@event_priority(-100)
def on_post_build(config):
    _mark("post_build")
    if MODE:
        Path(os.environ["SM_BENCH_STATE"]).write_text(json.dumps(STATE))
'''


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def check(ok: bool | None) -> str:
    return "–" if ok is None else ("✓" if ok else "✗")


def secs(x: float) -> str:
    return fmt(x, "s")


def size(n: float) -> str:
    return fmt(n, "B") if n >= 1000 else f"{int(n)} B"


# ----------------------------------------------------------------------------- builds


@dataclass
class Build:
    seconds: float
    ok: bool
    strict: bool
    state: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0
    error: str = ""


def prepare(work: Path) -> Path:
    project = copy_project(work / "project")
    (project / "hooks" / "bench_probe.py").write_text(BENCH_HOOK, encoding="utf-8")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    if "\nhooks:\n" not in text:
        raise SystemExit("mkdocs.yml has no top-level 'hooks:' list; cannot add the benchmark probe")
    config.write_text(text.replace("\nhooks:\n", "\nhooks:\n  - hooks/bench_probe.py\n", 1), encoding="utf-8")
    return project


def env_for(project: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(project), "NO_MKDOCS_2_WARNING": "1", **extra}


def build(project: Path, out: Path, outputs: Path, mode: str) -> Build:
    """Time one ``mkdocs build`` of ``project`` (strict; non-strict if strict fails, flagged).

    ``mode`` "record" saves every answer block's output to ``outputs``; "replay" serves them from it.
    """
    state_file = outputs.with_suffix(f".{mode}-state.json")
    for strict in (True, False):
        shutil.rmtree(out, ignore_errors=True)
        state_file.unlink(missing_ok=True)
        cmd = [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(out)] + (["--strict"] * strict)
        env = env_for(project, SM_BENCH=f"{mode}:{outputs}", SM_BENCH_STATE=str(state_file))
        started = time.time()
        proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=1800)
        seconds = time.time() - started
        if proc.returncode == 0:
            state = json.loads(state_file.read_text()) if state_file.exists() else {}
            if mode == "record":
                outputs.write_text(json.dumps({"outputs": state.get("outputs", {})}))
            return Build(seconds, True, strict, state, started)
        error = (proc.stderr or proc.stdout).strip().splitlines()
        log(f"{'strict ' if strict else ''}build failed ({mode}): {' | '.join(error[-3:])}")
    return Build(seconds, False, False, error="\n".join(error[-5:]))


# ----------------------------------------------------------------------------- live reload


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def wait_for(url: str, text: str, timeout: float, poll: float = 0.05) -> float | None:
    """Seconds until ``text`` shows in ``url`` (None on timeout)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if text in fetch(url):
            return time.perf_counter() - start
        time.sleep(poll)
    return None


def reload_times(project: Path, extra_args: list[str]) -> list[float | None]:
    """Seconds from appending a marker to the touched page until the served page shows it."""
    port = free_port()
    cmd = [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}", *extra_args]
    server_log = project.parent / f"serve-{port}.log"
    with server_log.open("w") as log_file:
        server = subprocess.Popen(
            cmd,
            cwd=project,
            env=env_for(project),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    source = project / TOUCHED_PAGE[0]
    url = f"http://127.0.0.1:{port}/{TOUCHED_PAGE[1]}"
    times: list[float | None] = []
    try:
        if wait_for(url, "</html>", 900, poll=0.5) is None:
            tail = server_log.read_text(errors="replace").strip().splitlines()[-3:]
            log(f"mkdocs serve {' '.join(extra_args)} never served the page: {' | '.join(tail)}")
            return [None] * RELOADS
        time.sleep(2)  # let the first build's watcher settle
        for _ in range(RELOADS):
            marker = f"bench-reload-{uuid.uuid4().hex}"
            with source.open("a", encoding="utf-8") as f:
                f.write(f"\n\n{marker}\n")
            times.append(wait_for(url, marker, 900))
            log(f"reload ({' '.join(extra_args) or 'full'}): {times[-1]}")
            time.sleep(1)
    finally:
        stop_process_group(server)
    return times


# ----------------------------------------------------------------------------- page weight


@dataclass
class Weight:
    """Bytes one page view fetched, by kind: (raw, gzip)."""

    kinds: dict[str, list[int]] = field(default_factory=dict)

    def add(self, kind: str, body: bytes) -> None:
        raw, gz = self.kinds.setdefault(kind, [0, 0])
        self.kinds[kind] = [raw + len(body), gz + len(gzip.compress(body, 6, mtime=0))]

    def get(self, kind: str) -> tuple[int, int]:
        raw, gz = self.kinds.get(kind, [0, 0])
        return raw, gz

    @property
    def total(self) -> tuple[int, int]:
        return sum(v[0] for k, v in self.kinds.items() if k != "figure data"), sum(
            v[1] for k, v in self.kinds.items() if k != "figure data"
        )


# The JSON a figure is drawn from (servingmath.book.figures.embed: a <template> or a JSON <script>).
FIGURE_DATA = re.compile(rb'<(template|script)\b[^>]*\bclass="sm-figure-data"[^>]*>(.*?)</\1>', re.S)


def kind_of(name: str) -> str:
    """HTML, JS, CSS or other, from a file name."""
    return {".html": "HTML", ".js": "JS", ".css": "CSS"}.get(Path(name).suffix, "other")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve_dir(site: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def weigh_in_browser(site: Path) -> tuple[dict[str, Weight], str]:
    """Per page: what Chromium fetched on a first view (fresh cache), by kind."""
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import CHROMIUM_ARGS, find_chromium

    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError("no Chromium")
    weights: dict[str, Weight] = {}
    with serve_dir(site) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for path in site_pages(site):
            context = browser.new_context()
            page = context.new_page()
            urls: list[str] = []
            context.on("response", lambda r, urls=urls: urls.append(r.url) if r.status == 200 else None)
            page.goto(base + path, wait_until="networkidle")
            page.wait_for_timeout(500)
            weight = Weight()
            for url in dict.fromkeys(urls):  # each URL once, in order
                if not url.startswith(base):
                    continue  # nothing leaves 127.0.0.1 (tests/test_offline.py); not ours to count
                rel = unquote(urlsplit(url).path).lstrip("/")
                file = site / rel / "index.html" if rel == "" or rel.endswith("/") else site / rel
                body = file.read_bytes()
                weight.add(kind_of(file.name), body)
                if url == base + path:
                    for m in FIGURE_DATA.finditer(body):
                        weight.add("figure data", m.group(2))
            weights[path] = weight
            context.close()
        browser.close()
    return weights, "Chromium"


def weigh_statically(site: Path) -> tuple[dict[str, Weight], str]:
    """Fallback without a browser: the HTML plus the scripts and style sheets it names."""
    weights: dict[str, Weight] = {}
    for path in site_pages(site):
        html = (site / path / "index.html").read_bytes()
        weight = Weight()
        weight.add("HTML", html)
        for m in FIGURE_DATA.finditer(html):
            weight.add("figure data", m.group(2))
        for ref in re.findall(rb'(?:src|href)="([^"#?]+\.(?:js|css))"', html):
            file = (site / path / ref.decode()).resolve()
            if file.is_file():
                weight.add("JS" if file.suffix == ".js" else "CSS", file.read_bytes())
        weights[path] = weight
    return weights, "static (no Chromium: HTML + named scripts and style sheets; search index not counted)"


# ----------------------------------------------------------------------------- sweep


def best_time(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best per-call seconds over ``repeat`` timeit runs of an auto-ranged loop count."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def sweep_speedup() -> tuple[float | None, str]:
    import numpy as np

    from servingmath.book.chapter import CHIP, MODEL
    from servingmath.sweep import decode_sweeps

    try:
        from servingmath.book.figures import VIS

        chips, seqs, weights, kv, compute = VIS.chips, VIS.seqs, VIS.weights, VIS.kv, VIS.compute
    except ImportError:
        chips, seqs, weights, kv, compute = 16, tuple(1024 * 2**k for k in range(6)), "int8", "int8", "bf16"
    try:
        from servingmath.book.reference import reference_sweep
    except ImportError as e:
        return None, f"servingmath.book.reference not importable: {e}"

    kw: dict[str, Any] = dict(chips=chips, weights=weights, kv=kv, compute=compute)

    def vectorised() -> object:
        return decode_sweeps(MODEL, CHIP, seqs=list(seqs), **kw)

    def loop() -> object:
        return [reference_sweep(MODEL, CHIP, seq=s, **kw) for s in seqs]

    for v, r in zip(decode_sweeps(MODEL, CHIP, seqs=list(seqs), **kw), loop(), strict=True):
        if not (np.array_equal(v.batch, r.batch) and np.allclose(v.step_time_s, r.step_time_s)):
            return None, f"the sweeps disagree at seq={v.seq}"
    t_vec, t_loop = best_time(vectorised), best_time(loop)
    points = sum(len(s.batch) for s in decode_sweeps(MODEL, CHIP, seqs=list(seqs), **kw))
    detail = (
        f"{len(seqs)} seq lengths, {points:,} (batch, seq) points; "
        f"numpy {secs(t_vec)} vs loop {secs(t_loop)} per sweep set"
    )
    return t_loop / t_vec, detail


# ----------------------------------------------------------------------------- report


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def median(values: list[float | None]) -> float | None:
    done = [v for v in values if v is not None]
    return statistics.median(done) if len(done) == len(values) and done else None


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="servingmath-bench-"))
    lines: list[str] = []
    try:
        project = prepare(work)
        outputs = work / "answer-outputs.json"
        log(f"{BUILD_RUNS} builds, answers executed and recorded (the first is the cold one) ...")
        executed = [build(project, work / "site", outputs, "record")]
        executed += [build(project, work / "site", outputs, "record") for _ in range(BUILD_RUNS - 1)]
        cold = executed[0]
        replayed: list[Build] = []
        if all(b.ok for b in executed):
            log(f"{BUILD_RUNS} builds, answers replayed from the recorded outputs ...")
            replayed = [build(project, work / "site-replay", outputs, "replay") for _ in range(BUILD_RUNS)]
        log("live reload under mkdocs serve ...")
        full = reload_times(project, ["--strict"])  # as make serve
        dirty = reload_times(project, ["--dirty"])  # a dirty build warns, so it cannot be --strict
        log("page weight ...")
        try:
            weights, how = weigh_in_browser(work / "site")
        except Exception as e:  # no Chromium / Playwright: fall back, and say so
            log(f"browser weighing unavailable ({e}); static estimate")
            weights, how = weigh_statically(work / "site")
        log("sweep vs reference loop ...")
        speedup, sweep_detail = sweep_speedup()

        lines += report_summary(executed, replayed, full, dirty, weights, speedup, sweep_detail)
        lines += report_breakdown(cold)
        lines += report_pages(weights, how)
        lines += report_notes(cold, replayed)
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report_summary(
    executed: list[Build],
    replayed: list[Build],
    full: list[float | None],
    dirty: list[float | None],
    weights: dict[str, Weight],
    speedup: float | None,
    sweep_detail: str,
) -> list[str]:
    cold = executed[0]
    out = [f"## servingmath bench ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})", ""]
    out += [row("Measure", "Measured", "Target", ""), row("---", "---", "---", ":-:")]
    label = "Cold `mkdocs build --strict`" if cold.strict else "Cold `mkdocs build` (**strict build FAILED**)"
    out.append(
        row(label, secs(cold.seconds), f"≤ {secs(TARGET_BUILD_S)}", check(cold.seconds <= TARGET_BUILD_S))
    )
    if replayed and all(b.ok for b in replayed):
        t_exec = statistics.median(b.seconds for b in executed)
        t_replay = statistics.median(b.seconds for b in replayed)
        exec_s = statistics.median(b.state.get("exec_s", 0.0) for b in executed)
        measured = (
            f"{secs(t_replay)} vs {secs(t_exec)} executed (medians of {BUILD_RUNS}): executed / replayed "
            f"= {t_exec / t_replay:.2f}×. The {cold.state.get('blocks', 0)} answer blocks' Python itself: "
            f"{secs(exec_s)} ({exec_s / t_exec:.0%} of a build)"
        )
        if t_replay >= t_exec:
            measured += "; replaying was not faster: the difference is below this machine's noise"
    else:
        measured = "not measured (a build failed)"
    out.append(row("Same build, answer blocks replayed from recorded output", measured, "–", ""))
    for name, times in (
        ("`mkdocs serve --strict` (= make serve)", full),
        ("`mkdocs serve --dirty` (not strict)", dirty),
    ):
        m = median(times)
        shown = ", ".join("timeout" if t is None else f"{t:.2f}" for t in times)
        out.append(
            row(
                f"Live reload of `{TOUCHED_PAGE[0]}`, {name}",
                f"{secs(m) if m is not None else 'n/a'} (median of {shown} s)",
                f"≤ {secs(TARGET_RELOAD_S)}",
                check(None if m is None else m <= TARGET_RELOAD_S),
            )
        )
    fig = weights.get(FIGURE_PAGE)
    if fig:
        first_gz, repeat_gz = fig.total[1], fig.get("HTML")[1]
        out.append(
            row(
                f"`{FIGURE_PAGE}` first view (gzip)",
                size(first_gz),
                f"≤ {size(TARGET_FIRST_VIEW_GZ)}",
                check(first_gz <= TARGET_FIRST_VIEW_GZ),
            )
        )
        out.append(
            row(
                f"`{FIGURE_PAGE}` repeat view (gzip, HTML only)",
                size(repeat_gz),
                f"≤ {size(TARGET_REPEAT_VIEW_GZ)}",
                check(repeat_gz <= TARGET_REPEAT_VIEW_GZ),
            )
        )
    else:
        out.append(row(f"`{FIGURE_PAGE}` page weight", "page not found", "", check(None)))
    out.append(
        row(
            "Figure sweep (numpy) vs chapter's loop",
            f"{speedup:.0f}× faster ({sweep_detail})" if speedup else f"n/a ({sweep_detail})",
            f"≥ {TARGET_SWEEP_SPEEDUP:.0f}×",
            check(None if speedup is None else speedup >= TARGET_SWEEP_SPEEDUP),
        )
    )
    return [*out, ""]


def report_breakdown(cold: Build) -> list[str]:
    """Where the cold build's time goes (from the probe hook's timestamps)."""
    marks, pages = cold.state.get("marks", {}), cold.state.get("pages", {})
    if not marks or not cold.ok:
        return []
    t0 = cold.started
    end = t0 + cold.seconds

    def at(name: str, default: float) -> float:
        return marks.get(name, default)

    config, pages_t, render, post = (
        at("config", t0),
        at("pages", t0),
        at("render", end),
        at("post_build", end),
    )
    calls, reg_s = cold.state.get("registry", [0, 0.0])
    out = ["### Where the cold build's time goes", ""]
    out += [row("Phase", "Seconds"), row("---", "---:")]
    out.append(row("Python start-up, imports, plugin loading", f"{config - t0:.1f}"))
    out.append(row("Config, files, nav (incl. mkdocstrings/griffe set-up)", f"{pages_t - config:.1f}"))
    out.append(row("Markdown → HTML for every page (hooks, answers, notebook)", f"{render - pages_t:.1f}"))
    out.append(row("  of which answer blocks' Python", f"{cold.state.get('exec_s', 0.0):.1f}"))
    out.append(row(f"  of which `servingmath.book.registry.all_values()` ({calls} calls)", f"{reg_s:.1f}"))
    out.append(row("Templates, search index, sitemap, copying assets", f"{post - render:.1f}"))
    out.append(row("Exit", f"{end - post:.1f}"))
    out += ["", row("Slowest pages (Markdown → HTML)", "Seconds"), row("---", "---:")]
    for src, s in sorted(pages.items(), key=lambda kv: -kv[1])[:6]:
        out.append(row(f"`docs/{src}`", f"{s:.1f}"))
    return [*out, ""]


def report_pages(weights: dict[str, Weight], how: str) -> list[str]:
    out = [f"### Bytes per page, raw / gzip (measured: {how})", ""]
    head = (
        "Page",
        "HTML",
        "of which figure data",
        "JS",
        "CSS",
        "other (search index…)",
        "First view",
        "Repeat",
    )
    out += [row(*head), row("---", *["---:"] * 7)]

    def pair(raw_gz: tuple[int, int]) -> str:
        raw, gz = raw_gz
        return "–" if raw == 0 else f"{size(raw)} / {size(gz)}"

    for path, w in weights.items():
        name = f"**`{path or '/'}`**" if path == FIGURE_PAGE else f"`{path or '/'}`"
        cells = [pair(w.get(k)) for k in ("HTML", "figure data", "JS", "CSS", "other")]
        out.append(row(name, *cells, pair(w.total), size(w.get("HTML")[1])))
    return [*out, ""]


def report_notes(cold: Build, replayed: list[Build]) -> list[str]:
    notes = [
        "Notes:",
        "- Builds run on a temp copy (PYTHONPATH = the copy) with a probe hook that records, then",
        "  replays, each answer block's printed output; replaying skips only the Python, not",
        "  markdown-exec's rendering.",
        "- `mkdocs serve` rebuilds the whole site on every change; the notebook is re-executed only",
        "  when servingmath or its inputs changed (hooks/notebook_cache.py);",
        "  `--dirty` rebuilds only the changed page (a library edit would not reach the others) and",
        "  warns that navigation may be stale, so it cannot run with `--strict`.",
        "- First view = every response Chromium received for a fresh profile (HTML, JS incl.",
        "  plotly.js and figure JSON when a figure is near the viewport, the search worker, CSS,",
        "  search index). Repeat view = the HTML only. gzip level 6.",
    ]
    if not cold.strict:
        notes.append(f"- The strict build failed, numbers are from a non-strict build: {cold.error}")
    notes += [f"- A replay build failed: {b.error}" for b in replayed if not b.ok]
    return notes


if __name__ == "__main__":
    raise SystemExit(main())
