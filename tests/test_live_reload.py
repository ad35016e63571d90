"""`make serve`: an edit to a servingmath module shows on the pages at the next reload."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from project_copy import copy_project, edit
from site_tools import free_port, stop_process_group

from servingmath import decode_step, fmt
from servingmath.book.chapter import MODEL, Q2, Q3, chapter_chip

pytestmark = pytest.mark.build


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.read().decode("utf-8")
    except OSError:
        return ""


BOOK = '<span class="sm-c" data-constants="book">'  # the copy shown under the chapter's constants


def _wait_for(url: str, text: str, seconds: float, server: subprocess.Popen[str]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in _get(url):
            return True
        if server.poll() is not None:
            output = server.stdout.read() if server.stdout else ""
            pytest.fail(f"mkdocs serve exited with {server.returncode}:\n{output}", pytrace=False)
        time.sleep(0.5)
    return False


def _step_text(hbm_bw: float) -> str:
    chip = dataclasses.replace(chapter_chip("book"), hbm_bw=hbm_bw)
    step = decode_step(
        MODEL, chip, chips=Q3.chips[0], batch=Q2.batch, seq=Q2.seq, weights=Q2.weights, kv=Q2.kv
    )
    return fmt(step.step_time_s, "s")


def test_library_edit_shows_at_next_reload(tmp_path: Path) -> None:
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
    try:
        before, after = _step_text(chapter_chip("book").hbm_bw), _step_text(700e9)
        assert before != after
        assert _wait_for(url, f"重载探针：{BOOK}{before}", 180, server), "original value never served"
        edit(project / "servingmath" / "chips.py", "hbm_bw=8.1e11,", "hbm_bw=7e11,")  # the book's v5e
        started = time.monotonic()
        assert _wait_for(url, f"重载探针：{BOOK}{after}", 180, server), "library edit never served"
        print(f"library edit visible after {time.monotonic() - started:.1f} s")
    finally:
        stop_process_group(server)
