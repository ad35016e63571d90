"""`make serve`: a page edit and a servingmath edit both show at the next reload, with the right numbers.

The served site is rebuilt from caches where its inputs did not change (hooks/notebook_cache.py:
the notebook page; hooks/template_cache.py: compiled templates), so these tests also guard
against a stale cache: after a library edit, the chapter pages and the notebook must show the
numbers computed by the edited library.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from project_copy import copy_project, edit
from site_tools import fetch_text, free_port, stop_process_group

from servingmath import decode_step, fmt
from servingmath.book.chapter import MODEL, Q2, Q3, chapter_chip

pytestmark = pytest.mark.build


def _get(url: str) -> str:
    return fetch_text(url, timeout=5)


BOOK = '<span class="sm-c" data-constants="book">'  # the copy shown under the chapter's constants


def _wait_for(url: str, text: str, seconds: float, server: subprocess.Popen[str]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in _get(url):
            return True
        if server.poll() is not None:
            output = server.stdout.read() if server.stdout else ""
            pytest.fail(f"mkdocs serve exited with {server.returncode}:\n{output}", pytrace=False)
        time.sleep(0.1)
    return False


def _step_text(hbm_bw: float) -> str:
    chip = dataclasses.replace(chapter_chip("book"), hbm_bw=hbm_bw)
    step = decode_step(
        MODEL, chip, chips=Q3.chips[0], batch=Q2.batch, seq=Q2.seq, weights=Q2.weights, kv=Q2.kv
    )
    return fmt(step.step_time_s, "s")


PLAYGROUND_V5E = """
from servingmath import fmt, from_hf_config
from servingmath.book.chip_compare import chips_under, serving_row
v5e = chips_under("book")[0]  # the notebook's CONSTANTS
assert v5e.key == "tpu-v5e", v5e
r = serving_row(v5e, "int8", model=from_hf_config("docs/beyond/tiny-config.json"))
print(fmt(r.step_time_s, "s"))
"""


def _playground_v5e_step(project: Path) -> str:
    """The playground's TPU v5e step time, computed by the project's (possibly edited) library."""
    proc = subprocess.run(
        [sys.executable, "-c", PLAYGROUND_V5E],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project)},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


def test_page_and_library_edits_show_at_next_reload(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "docs" / "index.md").write_text(
        (project / "docs" / "index.md").read_text(encoding="utf-8") + "\n\n重载探针：{{ q3.step.8 }}。\n",
        encoding="utf-8",
    )
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(project)}
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    basics = f"{url}chapter/basics/"
    playground = f"{url}beyond/playground/"
    try:
        before, after = _step_text(chapter_chip("book").hbm_bw), _step_text(700e9)
        assert before != after
        assert _wait_for(url, f"重载探针：{BOOK}{before}", 180, server), "original value never served"
        nb_before = _playground_v5e_step(project)
        assert nb_before in _get(playground)

        # A page edit: the page shows it; the numbers elsewhere stay the library's.
        page = project / "docs" / "chapter" / "basics.md"
        page.write_text(page.read_text(encoding="utf-8") + "\n\n页面编辑探针。\n", encoding="utf-8")
        started = time.monotonic()
        assert _wait_for(basics, "页面编辑探针。", 180, server), "page edit never served"
        print(f"page edit visible after {time.monotonic() - started:.1f} s")
        assert f"重载探针：{BOOK}{before}" in _get(url)
        assert nb_before in _get(playground)

        # A library edit: every page computed from the library follows, the notebook included.
        edit(project / "servingmath" / "chips.py", "hbm_bw=8.1e11,", "hbm_bw=7e11,")  # the book's v5e
        started = time.monotonic()
        assert _wait_for(url, f"重载探针：{BOOK}{after}", 180, server), "library edit never served"
        print(f"library edit visible after {time.monotonic() - started:.1f} s")
        nb_after = _playground_v5e_step(project)
        assert nb_after != nb_before
        html = _get(playground)
        assert nb_after in html and nb_before not in html, "the notebook page kept the old library's numbers"
        assert "页面编辑探针。" in _get(basics)
    finally:
        stop_process_group(server)
