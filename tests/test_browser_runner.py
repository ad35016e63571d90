"""编辑并运行: answer blocks recomputed in the reader's browser (Pyodide in a Web Worker).

Every test runs with the requests that leave 127.0.0.1 blocked (``watched_page`` aborts them), so
they are offline tests, too; each asserts that nothing tried to leave.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from typing import Any

import pytest
from conftest import ROOT, PageWatch, serve_sitemap_for

from servingmath.book.chapter import CHIP_KEY, MODEL, Q2, chapter_chip
from servingmath.memory import memory_budget
from servingmath.units import fmt

pytestmark = pytest.mark.browser

BASICS = "chapter/basics/"
RUN_TIMEOUT_MS = 120_000  # the first run downloads and starts Pyodide (a few seconds here)
PYODIDE_PATHS = ("/assets/pyodide/", "runner-worker.js")


def cli_memory(batch: int, constants: str = "book") -> dict[str, Any]:
    """servingmath's CLI (a separate process): Q2's scenario at another batch, under a constant
    set (the chapter's pages show the book's by default)."""
    args = ["memory", "--model", MODEL.key, "--chip", CHIP_KEY, "--weights", Q2.weights.name]
    args += ["--kv", Q2.kv.name, "--batch", str(batch), "--seq", str(Q2.seq)]
    args += ["--constants", constants, "--json"]
    proc = subprocess.run(
        [sys.executable, "-m", "servingmath", *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(proc.stdout)


def library_memory(batch: int, constants: str) -> dict[str, Any]:
    """What Q2's block computes under a constant set, at another batch (CLI field names)."""
    b = memory_budget(MODEL, chapter_chip(constants), weights=Q2.weights, kv=Q2.kv, batch=batch, seq=Q2.seq)
    return {
        "kv_bytes": b.kv_bytes,
        "param_bytes": b.param_bytes,
        "total_bytes": b.total_bytes,
        "min_chips": b.min_chips,
        "slice": b.slice_name,
    }


def shown_numbers(m: dict[str, Any]) -> list[str]:
    return [
        fmt(m["kv_bytes"], "B"),
        fmt(m["kv_bytes"], "B", system="iec"),
        fmt(m["param_bytes"], "B"),
        fmt(m["total_bytes"], "B"),
        f"至少 {fmt(m['min_chips'])} 张",
        m["slice"],
    ]


def open_q2(page: Any, site_url: str) -> Any:
    """Open 问题 2's answer and its editor; return the answer's <details>."""
    page.goto(site_url + BASICS)
    answer = page.locator("h3#q2-min-chips ~ details").first
    answer.locator("summary").first.click()
    answer.locator(".sm-run__open:visible").first.click()
    answer.locator("textarea.sm-run__code:visible").wait_for()
    return answer


def run_and_wait(answer: Any) -> str:
    answer.locator(".sm-run__go:visible").click()
    result = answer.locator(".sm-run__result:visible")
    result.wait_for(timeout=RUN_TIMEOUT_MS)
    answer.locator(".sm-run__go:visible:enabled").wait_for(timeout=RUN_TIMEOUT_MS)
    return result.inner_text()


def assert_offline(watch: PageWatch) -> None:
    assert not watch.external_requests, watch.external_requests
    assert not watch.console_errors, watch.console_errors


def test_first_view_fetches_no_pyodide(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(site_url + BASICS, wait_until="networkidle")
    assert page.locator(".sm-run__open").count() >= 3  # every answer block has the control
    page.locator("details").first.locator("summary").click()
    page.wait_for_timeout(500)
    assert not [u for u in requested if any(p in u for p in PYODIDE_PATHS)], requested
    # The first press starts the download: from this site, nowhere else.
    page.locator(".sm-run__open:visible").first.click()
    page.wait_for_function("() => performance.getEntriesByType('resource').length > 0")
    deadline = time.monotonic() + 60
    while not any("pyodide.asm.wasm" in u for u in requested) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    fetched = [u for u in requested if any(p in u for p in PYODIDE_PATHS)]
    assert any(u.endswith("pyodide.asm.wasm") for u in fetched), fetched
    assert all(u.startswith(site_url) for u in fetched), fetched
    assert_offline(watched_page)


def test_q2_at_batch_64_matches_the_cli_and_restores(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    answer = open_q2(page, site_url)
    area = answer.locator("textarea.sm-run__code:visible")
    original = area.input_value()
    source = answer.locator(".tabbed-block").first.locator("code").text_content()
    assert original == source.rstrip("\n")  # the editor holds the code of the 计算过程 tab

    # Unchanged code reproduces the build-time result.
    built = answer.locator(".tabbed-block").nth(1).text_content()
    mine = run_and_wait(answer)
    assert mine.startswith("你的运行结果"), mine
    assert re.sub(r"\s+", "", mine.removeprefix("你的运行结果")) == re.sub(r"\s+", "", built)

    # Batch 64, as a reader would type it: the numbers are the CLI's.
    assert "batch=Q2.batch" in original
    area.fill(original.replace("batch=Q2.batch", "batch=64"))
    mine = run_and_wait(answer)
    at_64, at_chapter = cli_memory(64), cli_memory(Q2.batch)
    for text in shown_numbers(at_64):
        assert text in mine, (text, mine)
    changed = set(shown_numbers(at_chapter)) - set(shown_numbers(at_64))
    assert changed and not any(t in mine for t in changed), (changed, mine)

    answer.locator(".sm-run__reset:visible").click()
    assert area.input_value() == original
    assert not answer.locator(".sm-run__result").first.is_visible()
    assert_offline(watched_page)


def test_syntax_error_shows_the_python_error(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    answer = open_q2(page, site_url)
    answer.locator("textarea.sm-run__code:visible").fill("print('半个括号'\n")
    shown = run_and_wait(answer)
    assert "SyntaxError" in shown, shown
    assert "代码块" in shown and "line 1" in shown, shown
    assert_offline(watched_page)


def test_missing_numpy_is_explained(site_url: str, watched_page: PageWatch) -> None:
    answer = open_q2(watched_page.page, site_url)
    answer.locator("textarea.sm-run__code:visible").fill("import numpy as np\nprint(np.pi)")
    shown = run_and_wait(answer)
    assert "ModuleNotFoundError" in shown and "没有 numpy" in shown, shown
    assert_offline(watched_page)


def test_runaway_loop_is_stopped_and_page_stays_responsive(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    answer = open_q2(page, site_url)
    area = answer.locator("textarea.sm-run__code:visible")
    original = area.input_value()
    area.fill("while True:\n    pass")
    answer.locator(".sm-run__go:visible").click()
    status = answer.locator(".sm-run__status:visible")
    status.filter(has_text="正在运行").wait_for(timeout=RUN_TIMEOUT_MS)
    page.wait_for_timeout(500)
    # The loop runs in the worker: the page still answers clicks.
    other = page.locator("h3#q3-latency-throughput ~ details").first
    started = time.monotonic()
    other.locator("summary").first.click(timeout=2000)
    assert other.get_attribute("open") is not None
    assert time.monotonic() - started < 2
    answer.locator(".sm-run__stop:visible").click()
    status.filter(has_text="已停止").wait_for(timeout=5000)
    assert "已停止" in answer.locator(".sm-run__result:visible").inner_text()
    # A new run starts a new worker.
    area.fill(original)
    shown = run_and_wait(answer)
    assert fmt(cli_memory(Q2.batch)["total_bytes"], "B") in shown, shown
    assert_offline(watched_page)


def test_session_runs_the_earlier_blocks_as_edited(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    page.goto(site_url + BASICS)
    q1 = page.locator("h3#q1-kv-cache-size ~ details").first
    q1.locator("summary").first.click()
    q1.locator(".sm-run__open:visible").first.click()
    area1 = q1.locator("textarea.sm-run__code:visible")
    area1.fill(area1.input_value() + "\nMARK = 'from block 1'")
    run_and_wait(q1)
    answer = open_q2(page, site_url)  # a fresh page view: block 1 is back to its original code
    answer.locator("textarea.sm-run__code:visible").fill("print(MARK)")
    assert "NameError" in run_and_wait(answer)
    q1 = page.locator("h3#q1-kv-cache-size ~ details").first
    q1.locator("summary").first.click()
    q1.locator(".sm-run__open:visible").first.click()
    area1 = q1.locator("textarea.sm-run__code:visible")
    area1.fill(area1.input_value() + "\nMARK = 'from block 1'")
    run_and_wait(q1)
    assert "from block 1" in run_and_wait(answer)
    assert_offline(watched_page)


def test_playground_cells_run_in_one_session(site_url: str, watched_page: PageWatch) -> None:
    from servingmath.models import from_hf_config

    page = watched_page.page
    page.goto(site_url + "beyond/playground/")
    cells = page.locator(".jp-CodeCell:not(:has(.jp-CodeCell))")
    assert page.locator(".sm-run__open").count() == cells.count() - 1  # the plotting cell opts out
    box = page.locator(".sm-run").nth(1)  # the scenario cell: it uses `model` from the first cell
    box.locator(".sm-run__open").click()
    area = box.locator("textarea")
    original = area.input_value()
    assert '"batch": Q2.batch' in original
    area.fill(original.replace('"batch": Q2.batch', '"batch": 64'))
    shown = run_and_wait(box)
    model = from_hf_config(ROOT / "docs" / "beyond" / "tiny-config.json")
    b = memory_budget(model, chapter_chip("book"), weights=Q2.weights, kv=Q2.kv, batch=64, seq=Q2.seq)
    assert fmt(b.kv_bytes, "B") in shown and fmt(b.param_bytes, "B") in shown, shown
    assert box.locator(".sm-run__output table").count() == 1  # display(Markdown(table)) rendered
    assert_offline(watched_page)


def test_runs_use_the_blocks_of_the_current_constant_set(site_url: str, watched_page: PageWatch) -> None:
    page = watched_page.page
    page.goto(site_url + BASICS)
    page.locator(".sm-constants-switch").click()
    assert page.locator("html").get_attribute("data-sm-constants") == "spec"
    q1 = page.locator("h3#q1-kv-cache-size ~ details").first
    q1.locator("summary").first.click()
    q1.locator(".sm-run__open:visible").click()
    area1 = q1.locator("textarea.sm-run__code:visible")
    assert area1.input_value().startswith('CONSTANTS = "spec"')
    area1.fill(area1.input_value() + "\nMARK = CONSTANTS")
    run_and_wait(q1)

    answer = page.locator("h3#q2-min-chips ~ details").first
    answer.locator("summary").first.click()
    answer.locator(".sm-run__open:visible").click()
    area = answer.locator("textarea.sm-run__code:visible")
    original = area.input_value()
    assert original.startswith('CONSTANTS = "spec"')
    area.fill(original + "\nprint(MARK)")
    shown = run_and_wait(answer)
    # The library, with the page's own inputs (the CLI's spec set also swaps the model's nominal
    # parameter count for the exact one, the page's blocks do not).
    spec, book = library_memory(Q2.batch, "spec"), library_memory(Q2.batch, "book")
    for text in shown_numbers(spec):
        assert text in shown, (text, shown)
    assert set(shown_numbers(book)) - set(shown_numbers(spec))  # the sets differ here
    assert "spec" in shown.split()[-1]  # block 1 of the spec set ran before, as edited

    # Back to the book's constants: the book copy of block 1 was never edited.
    page.locator(".sm-constants-switch").click()
    answer.locator(".sm-run__open:visible").click()
    answer.locator("textarea.sm-run__code:visible").fill("print(MARK)")
    assert "NameError" in run_and_wait(answer)
    assert_offline(watched_page)


def test_every_answer_block_reproduces_its_build_output(site_url: str, watched_page: PageWatch) -> None:
    """Unchanged code run in the browser prints what it printed at build time, on every page.

    Pages are reached by instant navigation (Material's), so one worker serves them all."""
    page = watched_page.page
    serve_sitemap_for(page, site_url)  # else each click would reload the page (conftest explains)
    page.goto(site_url)
    pages = page.evaluate(
        "() => [...new Set([...document.querySelectorAll('.md-nav--primary a.md-nav__link[href]')]"
        ".map(a => a.href.split('#')[0]))]"
    )
    # Material's document$ emits once a page's content is in place; runner.js subscribed first, so
    # its controls exist when this count goes up. A full reload would lose the counter.
    page.evaluate("() => { window.__sm_shown = 0; document$.subscribe(() => { window.__sm_shown += 1; }); }")
    checked = 0
    for url in pages:
        if url != page.url.split("#")[0]:
            shown_before = page.evaluate("window.__sm_shown")
            clicked = page.evaluate(  # a click on the nav link: Material's instant navigation
                "u => { const a = [...document.querySelectorAll('.md-nav--primary a.md-nav__link[href]')]"
                ".find(a => a.href.split('#')[0] === u); if (a) a.click(); return !!a; }",
                url,
            )
            assert clicked, url
            page.wait_for_function(
                "([u, n]) => location.href.split('#')[0] === u"
                " && (window.__sm_shown === undefined || window.__sm_shown > n)",
                arg=[url, shown_before],
            )
            assert page.evaluate("window.__sm_shown") is not None, f"{url}: the click reloaded the page"
        for i in range(page.locator(".sm-run__open").count()):
            opener = page.locator(".sm-run__open").nth(i)
            box = page.locator(".sm-run").nth(i)
            if not opener.evaluate("b => !b.closest('.sm-c') || !!b.closest(`.sm-c[data-constants='book']`)"):
                continue  # the spec copies: another test switches sets
            opener.evaluate("b => { const d = b.closest('details'); if (d) d.open = true; }")
            if opener.get_attribute("aria-expanded") != "true":
                opener.click()
            run_and_wait(box)
            shown = box.locator(".sm-run__output").text_content() or ""  # as `built`: MathML's raw text
            block = opener.evaluate_handle("b => b.closest('.sm-run').previousElementSibling")
            built = block.evaluate(
                "s => s.querySelector(':scope > .tabbed-content > .tabbed-block:nth-child(2)')?.textContent"
                " ?? s.querySelector('.jp-OutputArea')?.textContent ?? ''"
            )
            assert re.sub(r"\s+", "", shown) == re.sub(r"\s+", "", built), (url, i, shown, built)
            checked += 1
    assert checked >= 15, checked
    assert_offline(watched_page)
