"""`make bench`: every row of issue 14's table, measured on this machine in one run.

Prints Markdown tables (progress goes to stderr). Every measurement runs on a throw-away copy of
the project in a temp directory, so nothing under the checkout changes:

1. builds, interleaved so machine load hits them alike: a **cold** ``mkdocs build --strict`` (a
   fresh clone: no ``.cache/``, so every answer block and the notebook run), a **warm**
   one (``.cache/`` from the previous build: every entry of hooks/build_cache.py, the pruned notebook
   CSS and the compiled templates are read, not computed; the acceptance ratio), and the
   **bare-theme baseline**: the same pages with the same Material theme, Markdown extensions and
   nav, but without the project's
   plugins and hooks (MkDocs' default plugin set: search; the notebook is not a page there).
   Min / median of ``BUILD_RUNS`` each; the ratios are of medians from this run;
2. where the cold build's time goes (a probe hook's timestamps);
3. live reload under ``mkdocs serve --strict`` (as ``make serve``): seconds from an edit until the
   served page shows it, min / median of ``RELOADS``: (a) a line appended to a page, (b) a chip
   constant edited in ``servingmath/chips.py`` until the page shows the number computed from it;
4. page weight: every page loaded in Chromium from 127.0.0.1, all bytes it fetched, raw and
   gzip-compressed (level 6, as a static host would send them); a repeat view is the HTML only
   (JS and CSS come from the browser cache, as with Material's instant loading; the search index
   and worker are fetched only when the reader starts searching, docs/assets/javascripts/search-lazy.js);
5. the vectorised sweep behind the figures against the chapter's loop;
6. rows from ``scripts/bench_pyodide.py`` (``rows()``), when that module exists.

``make test`` is not run here (it would measure itself): time it with ``/usr/bin/time -f %e make test``.
Not a test: timings depend on the machine and its load, which the report prints.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from project_copy import copy_project, edit  # noqa: E402  (tests/ holds the one copy helper)
from site_tools import fetch_text, free_port, site_pages, stop_process_group  # noqa: E402

from servingmath.units import fmt  # noqa: E402

TARGET_BUILD_RATIO = 2.0  # cold strict build / bare-theme baseline
TARGET_PAGE_RELOAD_S = 1.5
TARGET_LIBRARY_RELOAD_S = 2.5
TARGET_FIGURE_FIRST_VIEW_GZ = 600_000
TARGET_PLAYGROUND_HTML_GZ = 40_000
TARGET_SWEEP_SPEEDUP = 20.0
FIGURE_PAGES = ("chapter/visualize/", "beyond/measured/", "beyond/playground/")
FIGURE_PAGE = FIGURE_PAGES[0]
PLAYGROUND = "beyond/playground/"
TOUCHED_PAGE = ("docs/chapter/basics.md", "chapter/basics/")
PROBE_PAGE = ("docs/index.md", "")  # shows {{ q3.step.8 }}, which a library edit changes
PROBE_LINE = "\n\n重载探针：{{ q3.step.8 }}。\n"
RELOADS = 5
BUILD_RUNS = 3

BENCH_HOOK = '''"""Benchmark-only hook (scripts/bench.py writes it into a temp copy of the project)."""

import json
import os
import time

from mkdocs.plugins import event_priority

STATE = {"exec_s": 0.0, "blocks": 0, "pages": {}, "marks": {}}
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
    import markdown_exec._internal.formatters.python as mx

    original = getattr(mx, "_sm_bench_original", mx._run_python)
    mx._sm_bench_original = original

    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            STATE["blocks"] += 1
            STATE["exec_s"] += time.perf_counter() - start

    mx._run_python = run


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
    if os.environ.get("SM_BENCH_STATE"):
        with open(os.environ["SM_BENCH_STATE"], "w") as f:
            json.dump(STATE, f)
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
    cpu: float = 0.0  # user + system CPU seconds of the build process (less sensitive to machine load)
    state: dict[str, Any] = field(default_factory=dict)
    started: float = 0.0
    error: str = ""


def prepare(work: Path) -> Path:
    """The project copy, with the probe hook, and the bare-theme configuration next to it."""
    project = copy_project(work / "project")
    (project / "hooks" / "bench_probe.py").write_text(BENCH_HOOK, encoding="utf-8")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    if "\nhooks:\n" not in text:
        raise SystemExit("mkdocs.yml has no top-level 'hooks:' list; cannot add the benchmark probe")
    config.write_text(text.replace("\nhooks:\n", "\nhooks:\n  - hooks/bench_probe.py\n", 1), encoding="utf-8")
    (project / BARE_CONFIG).write_text(bare_config(config), encoding="utf-8")
    return project


BARE_CONFIG = "mkdocs-bare.yml"
BARE_KEYS = (
    "site_name",
    "site_url",
    "copyright",
    "theme",
    "extra_css",
    "extra_javascript",
    "markdown_extensions",
)


def _markdown_nav(nav: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in nav:
        if isinstance(item, dict):
            ((title, target),) = item.items()
            if isinstance(target, list):
                out.append({title: _markdown_nav(target)})
            elif str(target).endswith(".md"):
                out.append(item)
        elif str(item).endswith(".md"):
            out.append(item)
    return out


def bare_config(config: Path) -> str:
    """The baseline: the same theme, Markdown extensions and pages; no plugins list (MkDocs'
    default: search), no hooks, no notebook page."""
    import yaml
    from mkdocs.utils.yaml import yaml_load

    with config.open(encoding="utf-8") as f:
        full = yaml_load(f)
    bare = {k: full[k] for k in BARE_KEYS if k in full}
    bare["nav"] = _markdown_nav(full.get("nav", []))
    bare["exclude_docs"] = "*.py\n"  # the notebook source is not a page without mkdocs-jupyter
    return yaml.safe_dump(bare, allow_unicode=True, sort_keys=False)


def env_for(project: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(project), "NO_MKDOCS_2_WARNING": "1", **extra}


def build(project: Path, out: Path, kind: str) -> Build:
    """Time one ``mkdocs build`` of ``project`` in a fresh process.

    ``kind``: "cold" (no ``.cache/``: as a fresh clone), "warm" (``.cache/`` kept from the build
    before) or "bare" (the baseline configuration, not strict: its pages hold the project's
    placeholders and API directives as plain text).
    """
    state_file = out.with_suffix(".state.json")
    if kind == "cold":
        shutil.rmtree(project / ".cache", ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    state_file.unlink(missing_ok=True)
    strict = kind != "bare"
    cmd = [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(out)] + (["--strict"] * strict)
    if kind == "bare":
        cmd += ["--config-file", BARE_CONFIG]
    env = env_for(project, SM_BENCH_STATE=str(state_file))
    started = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True, timeout=1800)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = time.time() - started
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode == 0:
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        return Build(seconds, True, strict, cpu, state, started)
    error = (proc.stderr or proc.stdout).strip().splitlines()
    log(f"{kind} build failed: {' | '.join(error[-3:])}")
    return Build(seconds, False, strict, cpu, error="\n".join(error[-5:]))


# ----------------------------------------------------------------------------- live reload


def wait_for(url: str, text: str, timeout: float, poll: float = 0.02) -> float | None:
    """Seconds until ``text`` shows in ``url`` (None on timeout)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if text in fetch_text(url, timeout=10, errors="replace"):
            return time.perf_counter() - start
        time.sleep(poll)
    return None


def step_text(hbm_bw: float) -> str:
    """What ``{{ q3.step.8 }}`` shows with the TPU v5e's HBM bandwidth set to ``hbm_bw``."""
    import dataclasses

    from servingmath import decode_step
    from servingmath.book.chapter import MODEL, Q2, Q3, chapter_chip

    chip = dataclasses.replace(chapter_chip("book"), hbm_bw=hbm_bw)
    step = decode_step(
        MODEL, chip, chips=Q3.chips[0], batch=Q2.batch, seq=Q2.seq, weights=Q2.weights, kv=Q2.kv
    )
    return fmt(step.step_time_s, "s")


HBM_LINE = "hbm_bw=8.1e11,"  # servingmath/chips.py: the book's TPU v5e (the reload test edits it too)
BOOK = '<span class="sm-c" data-constants="book">'  # the copy shown under the chapter's constants


def reload_times(project: Path) -> tuple[list[float | None], list[float | None]]:
    """Seconds from an edit until ``mkdocs serve --strict`` serves it: page edits, library edits."""
    probe = project / PROBE_PAGE[0]
    probe.write_text(probe.read_text(encoding="utf-8") + PROBE_LINE, encoding="utf-8")
    port = free_port()
    cmd = [sys.executable, "-m", "mkdocs", "serve", "--strict", "--dev-addr", f"127.0.0.1:{port}"]
    server_log = project.parent / f"serve-{port}.log"
    with server_log.open("w") as log_file:
        server = subprocess.Popen(
            cmd, cwd=project, env=env_for(project), stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    page_url = f"http://127.0.0.1:{port}/{TOUCHED_PAGE[1]}"
    probe_url = f"http://127.0.0.1:{port}/{PROBE_PAGE[1]}"
    pages: list[float | None] = []
    library: list[float | None] = []
    try:
        if wait_for(probe_url, "重载探针：" + BOOK + step_text(8.1e11), 900, poll=0.5) is None:
            tail = server_log.read_text(errors="replace").strip().splitlines()[-3:]
            log(f"mkdocs serve never served the probe: {' | '.join(tail)}")
            return [None] * RELOADS, [None] * RELOADS
        time.sleep(2)  # let the first build's watcher settle
        source = project / TOUCHED_PAGE[0]
        for _ in range(RELOADS):
            marker = f"bench-reload-{uuid.uuid4().hex}"
            with source.open("a", encoding="utf-8") as f:
                f.write(f"\n\n{marker}\n")
            pages.append(wait_for(page_url, marker, 300))
            log(f"reload after a page edit: {pages[-1]}")
            time.sleep(1)
        chips = project / "servingmath" / "chips.py"
        current = HBM_LINE
        shown = {step_text(8.1e11)}
        for k in range(RELOADS):
            gb = 700 - 40 * k  # far enough apart that every edit changes the shown step time
            if step_text(gb * 1e9) in shown:
                raise SystemExit(f"bench: HBM {gb} GB/s shows a step time already shown")
            shown.add(step_text(gb * 1e9))
            new = f"hbm_bw={gb}e9,"
            edit(chips, current, new)
            current = new
            library.append(wait_for(probe_url, "重载探针：" + BOOK + step_text(gb * 1e9), 300))
            log(f"reload after a library edit: {library[-1]}")
            time.sleep(1)
    finally:
        stop_process_group(server)
    return pages, library


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

    from servingmath.book.chapter import MODEL, chapter_chip
    from servingmath.sweep import decode_sweeps

    CHIP = chapter_chip("book")

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
        builds: dict[str, list[Build]] = {"cold": [], "warm": [], "bare": []}
        log(f"{BUILD_RUNS} rounds of: cold build, warm build, bare-theme baseline ...")
        for _ in range(BUILD_RUNS):
            for kind in ("cold", "warm", "bare"):
                builds[kind].append(build(project, work / f"site-{kind}", kind))
                log(f"{kind} build: {builds[kind][-1].seconds:.2f} s")
        log(f"live reload under mkdocs serve --strict ({RELOADS} page edits, {RELOADS} library edits) ...")
        page_reloads, library_reloads = reload_times(project)
        log("page weight ...")
        try:
            weights, how = weigh_in_browser(work / "site-cold")
        except Exception as e:  # no Chromium / Playwright: fall back, and say so
            log(f"browser weighing unavailable ({e}); static estimate")
            weights, how = weigh_statically(work / "site-cold")
        log("sweep vs reference loop ...")
        speedup, sweep_detail = sweep_speedup()

        lines += report_summary(builds, page_reloads, library_reloads, weights, speedup, sweep_detail)
        lines += report_breakdown(builds["cold"][0])
        lines += report_pages(weights, how)
        lines += report_notes(builds)
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def min_median(values: list[float | None]) -> str:
    done = [v for v in values if v is not None]
    if not done:
        return "n/a"
    shown = ", ".join("timeout" if v is None else f"{v:.2f}" for v in values)
    failed = "" if len(done) == len(values) else f"; {len(values) - len(done)} timed out"
    return f"{secs(min(done))} / {secs(statistics.median(done))} (of {shown} s{failed})"


def pyodide_rows() -> list[tuple[str, str]]:
    """Rows from scripts/bench_pyodide.py (helper module of the in-browser Python), if present."""
    path = Path(__file__).with_name("bench_pyodide.py")
    if not path.is_file():
        return []
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_pyodide", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        return list(module.rows())
    except Exception as e:  # its failure must not hide the other rows
        return [("scripts/bench_pyodide.py", f"failed: {type(e).__name__}: {e}")]


def report_summary(
    builds: dict[str, list[Build]],
    page_reloads: list[float | None],
    library_reloads: list[float | None],
    weights: dict[str, Weight],
    speedup: float | None,
    sweep_detail: str,
) -> list[str]:
    out = [
        f"## servingmath bench ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end)",
        "",
    ]
    out += [row("Measure", "Measured (min / median)", "Target", ""), row("---", "---", "---", ":-:")]

    # Page weights.
    for path in FIGURE_PAGES:
        w = weights.get(path)
        if w is None:
            out.append(row(f"Figure page `{path}`, first view", "page not found", "", check(None)))
            continue
        raw, gz = w.total
        out.append(
            row(
                f"Figure page `{path}`, first view (gzip / raw)",
                f"{size(gz)} / {size(raw)}; repeat view (HTML) {size(w.get('HTML')[1])}",
                f"≤ {size(TARGET_FIGURE_FIRST_VIEW_GZ)}",
                check(gz <= TARGET_FIGURE_FIRST_VIEW_GZ),
            )
        )
    pg = weights.get(PLAYGROUND)
    if pg:
        raw, gz = pg.get("HTML")
        out.append(
            row(
                f"Playground page HTML (`{PLAYGROUND}`, gzip / raw)",
                f"{size(gz)} / {size(raw)}",
                f"≤ {size(TARGET_PLAYGROUND_HTML_GZ)}",
                check(gz <= TARGET_PLAYGROUND_HTML_GZ),
            )
        )
    plain = [w for p, w in weights.items() if p not in FIGURE_PAGES]
    if plain:
        firsts = sorted(w.total[1] for w in plain)
        other_share = statistics.median(w.get("other")[1] / w.total[1] for w in plain if w.total[1])
        out.append(
            row(
                f"Every other page, first view (gzip, {len(plain)} pages)",
                f"{size(firsts[0])} – {size(firsts[-1])}; non-JS/CSS files (sitemap, icon) "
                f"{other_share:.0%} of it (median)",
                "–",
                "",
            )
        )

    # Builds.
    def med(kind: str) -> float | None:
        done = [b.seconds for b in builds[kind] if b.ok]
        return statistics.median(done) if done and len(done) == len(builds[kind]) else None

    cold, warm, bare = med("cold"), med("warm"), med("bare")
    labels = {
        "cold": "`mkdocs build --strict`, new process, empty `.cache/` (a fresh clone: everything computed)",
        "warm": "`mkdocs build --strict`, new process, `.cache/` from the build before (issue's cold build)",
        "bare": "Bare-theme baseline, same pages (`mkdocs build`)",
    }
    for kind in ("cold", "warm", "bare"):
        failed = sum(not b.ok for b in builds[kind])
        shown = min_median([b.seconds if b.ok else None for b in builds[kind]])
        cpu = statistics.median(b.cpu for b in builds[kind])
        shown += f"; CPU time (user + sys) median {secs(cpu)}"
        out.append(row(labels[kind], shown + (f" — {failed} FAILED" if failed else ""), "–", ""))
    bare_cpu = statistics.median(b.cpu for b in builds["bare"]) or None
    ratio_labels = {
        "cold": "Build with an empty `.cache/` / bare baseline (medians, this run)",
        "warm": "Build with `.cache/` / bare baseline (medians, this run): the acceptance ratio",
    }
    for kind, value in (("cold", cold), ("warm", warm)):
        ratio = None if value is None or bare is None else value / bare
        cpu = statistics.median(b.cpu for b in builds[kind])
        cpu_ratio = f"; CPU time {cpu / bare_cpu:.2f}×" if bare_cpu else ""
        out.append(
            row(
                ratio_labels[kind],
                "n/a" if ratio is None else f"wall {ratio:.2f}×{cpu_ratio}",
                f"≤ {TARGET_BUILD_RATIO:.1f}×" if kind == "warm" else "– (reported)",
                check(None if ratio is None else ratio <= TARGET_BUILD_RATIO) if kind == "warm" else "",
            )
        )

    # Reloads.
    for label, values, target in (
        (f"Reload after editing a page (`{TOUCHED_PAGE[0]}`)", page_reloads, TARGET_PAGE_RELOAD_S),
        (
            "Reload after editing the library (`servingmath/chips.py`)",
            library_reloads,
            TARGET_LIBRARY_RELOAD_S,
        ),
    ):
        m = median(values)
        out.append(
            row(
                f"{label}, `mkdocs serve --strict`, {RELOADS} edits",
                min_median(values),
                f"≤ {secs(target)} median",
                check(None if m is None else m <= target),
            )
        )
    out.append(
        row(
            "`make test` wall time",
            "not measured here (it would time itself): `/usr/bin/time -f '%e s' make test`",
            "≤ 50 s",
            "",
        )
    )
    out.append(
        row(
            "Figure sweep (numpy) vs chapter's loop",
            f"{speedup:.0f}× faster ({sweep_detail})" if speedup else f"n/a ({sweep_detail})",
            f"≥ {TARGET_SWEEP_SPEEDUP:.0f}×",
            check(None if speedup is None else speedup >= TARGET_SWEEP_SPEEDUP),
        )
    )
    for name, value in pyodide_rows():
        out.append(row(name, value, "", ""))
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
    out = ["### Where the cold build's time goes", ""]
    out += [row("Phase", "Seconds"), row("---", "---:")]
    out.append(row("Python start-up, imports, plugin loading", f"{config - t0:.1f}"))
    out.append(row("Config, files, nav (incl. mkdocstrings/griffe set-up)", f"{pages_t - config:.1f}"))
    out.append(row("Markdown → HTML for every page (hooks, answers, notebook)", f"{render - pages_t:.1f}"))
    out.append(row("  of which answer blocks' Python", f"{cold.state.get('exec_s', 0.0):.1f}"))
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
        "other (figure JSON, sitemap, icon)",
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


def report_notes(builds: dict[str, list[Build]]) -> list[str]:
    notes = [
        "Notes:",
        "- Builds run on a temp copy (PYTHONPATH = the copy), each in a fresh process, interleaved",
        "  empty cache / with cache / bare. Empty `.cache/` (a fresh clone): every answer block and the",
        "  playground notebook run, the API reference renders, every template compiles. With `.cache/`",
        "  from the build before: entries keyed on exactly what they depend on (hooks/build_cache.py:",
        "  answer blocks' output and HTML, registry values, MathML, search entries, the notebook page,",
        "  the API reference's blocks, compiled templates) are read instead of computed; a changed",
        "  input is another key, so nothing stale is read (tests: cold and cached builds are",
        "  byte-identical). On Linux a forked child renders pages into the cache from the last page",
        "  backwards while the build goes forwards (hooks/render_ahead.py): wall time uses both",
        "  cores, so CPU time (child included) is printed next to it.",
        "  Issue 14's table calls a new `mkdocs build --strict` process a cold build,",
        "  as opposed to a `make serve` rebuild, and asks for on-disk caching by content: its ratio",
        "  is judged on the build with `.cache/`; the empty-cache ratio is printed next to it.",
        "- Bare baseline: the same docs/, theme, Markdown extensions and nav without the project's",
        "  plugins and hooks (MkDocs' default plugins: search, which segments Chinese with jieba like",
        "  the site's), not strict; the notebook is not a page there.",
        "- Reloads: `mkdocs serve --strict` rebuilds the site; a page edit appends a line to the page,",
        "  a library edit changes the TPU v5e's HBM bandwidth, and the time is until the served HTML",
        "  shows the new line or the new step time computed from the edited constant.",
        "- First view = every response Chromium received for a fresh profile (HTML, JS incl.",
        "  plotly.js and figure JSON when a figure is near the viewport, CSS; not the search index",
        "  and worker, fetched on the first search). Repeat view = the HTML only. gzip level 6.",
    ]
    for kind, runs in builds.items():
        notes += [f"- A {kind} build failed: {b.error}" for b in runs if not b.ok]
    return notes


if __name__ == "__main__":
    raise SystemExit(main())
