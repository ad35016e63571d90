"""Authoring mistakes fail the build with the file and line at fault; `make serve` shows them.

Each test makes one deliberate mistake in a throw-away copy of the project.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import mkdocs_build
from project_copy import copy_project, edit
from site_tools import fetch_text, free_port, stop_process_group

pytestmark = pytest.mark.build

PARAMS_LINE = "    params = param_bytes(MODEL, INT8)\n"  # in the answer block of question 1


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def _build(project: Path, tmp_path: Path) -> str:
    proc = mkdocs_build(project, tmp_path / "site", extra_env={"PYTHONPATH": str(project)})
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log
    return log


def test_a_misindented_line_in_an_answer_block_fails_naming_page_and_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "chapter" / "basics.md"
    edit(page, PARAMS_LINE, PARAMS_LINE.replace("    params", "  params"))
    line = _line_of(page, "  params = param_bytes(MODEL, INT8)")
    log = _build(project, tmp_path)
    assert f"docs/chapter/basics.md:{line}: this line is indented 2 spaces" in log, log


def test_a_failing_answer_block_names_its_markdown_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "chapter" / "basics.md"
    edit(page, PARAMS_LINE, PARAMS_LINE + "    ratio = 1 / 0\n")
    line = _line_of(page, "ratio = 1 / 0")
    log = _build(project, tmp_path)
    assert f"docs/chapter/basics.md:{line}: answer block failed: ZeroDivisionError" in log, log
    assert f'File "docs/chapter/basics.md", line {line}' in log, log
    assert "<code block:" not in log, log


def test_a_library_error_names_the_library_file_and_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    module = project / "servingmath" / "memory.py"
    text = module.read_text(encoding="utf-8")
    start = text.index("def param_bytes(")
    ret = text.index("    return ", start)
    module.write_text(text[:ret] + "    1 / 0\n" + text[ret:], encoding="utf-8")
    line = text[:ret].count("\n") + 1
    log = _build(project, tmp_path)
    assert f"servingmath/memory.py:{line}: ZeroDivisionError: division by zero" in log, log


def test_an_unknown_placeholder_names_page_and_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "chapter" / "basics.md"
    edit(page, "{{ q2.batch }}", "{{ q2.nope }}")
    line = _line_of(page, "{{ q2.nope }}")
    log = _build(project, tmp_path)
    assert f"docs/chapter/basics.md:{line}: unknown placeholder '{{{{ q2.nope }}}}'" in log, log


# ----------------------------------------------------------------------------- make serve


class _Output:
    """The server's combined output, read by a thread as it comes."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.text += line


def _get(url: str) -> str:
    return fetch_text(url, timeout=30)


def _wait(condition, seconds: float, server: subprocess.Popen[str], out: _Output) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        if server.poll() is not None:
            pytest.fail(f"mkdocs serve exited with {server.returncode}:\n{out.text}", pytrace=False)
        time.sleep(0.1)
    return False


def test_served_page_shows_a_failed_rebuild_every_time_until_fixed(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    index = project / "docs" / "index.md"
    original = index.read_text(encoding="utf-8")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--strict", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project), "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    out = _Output(server)
    url = f"http://127.0.0.1:{port}/"
    message = "docs/index.md:{}: unknown placeholder '{{{{ q2.nope }}}}'"
    try:
        assert _wait(lambda: "servingmath" in _get(url), 240, server, out), out.text
        assert "sm-build-failed" not in _get(url)

        # 1. An unknown placeholder: the terminal names page and line, the page shows a banner.
        index.write_text(original + "\n\n探针：{{ q2.nope }}\n", encoding="utf-8")
        line = _line_of(index, "{{ q2.nope }}")
        expected = message.format(line)
        assert _wait(lambda: "sm-build-failed" in _get(url), 120, server, out), out.text
        page = _get(url)
        assert "构建失败" in page and expected.replace("'", "&#x27;") in page, page[:3000]
        assert "servingmath" in page  # the last good page, under the banner
        own = "-  index.md: unknown placeholder '{{ q2.nope }}'"  # MkDocs' own line
        seen, seen_own = out.text.count(expected), out.text.count(own)
        assert seen >= 1 and seen_own >= 1, out.text

        # 2. The same mistake again (another edit): explained again, not just "Aborted", and
        # MkDocs' own message too (its duplicate filter is emptied at every build).
        index.write_text(original + "\n\n探针：{{ q2.nope }}。\n", encoding="utf-8")
        again = lambda: out.text.count(expected) > seen and out.text.count(own) > seen_own  # noqa: E731
        assert _wait(again, 120, server, out), out.text

        # 3. Fixed: the banner goes away and the new text is served.
        index.write_text(original + "\n\n探针：{{ q2.batch }}\n", encoding="utf-8")
        assert _wait(lambda: "探针：" in (p := _get(url)) and "sm-build-failed" not in p, 120, server, out)
    finally:
        stop_process_group(server)
