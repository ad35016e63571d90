"""The playground: a clear message when its config is missing; its files download, not open."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project_copy import ROOT

NOTEBOOK = ROOT / "docs" / "beyond" / "playground.py"


def test_missing_config_says_what_to_do(tmp_path: Path) -> None:
    """Downloaded alone (no tiny-config.json beside it, no repository copy): a clear message."""
    lib = tmp_path / "lib"
    shutil.copytree(ROOT / "servingmath", lib / "servingmath", ignore=shutil.ignore_patterns("__pycache__"))
    work = tmp_path / "downloads"
    work.mkdir()
    shutil.copy2(NOTEBOOK, work / "playground.py")
    proc = subprocess.run(
        [sys.executable, "playground.py"],
        cwd=work,
        env={**os.environ, "PYTHONPATH": str(lib), "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode != 0
    assert "StopIteration" not in proc.stderr, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("FileNotFoundError: 找不到模型配置 tiny-config.json"), proc.stderr
    assert str(work) in last and "同一个文件夹" in last


@pytest.mark.build
def test_file_links_download(built_site: Path) -> None:
    html = (built_site / "beyond" / "playground" / "index.html").read_text(encoding="utf-8")
    for href, name in [
        ("playground.py", "playground.py"),
        ("playground.ipynb", "playground.ipynb"),
        ("../tiny-config.json", "tiny-config.json"),
    ]:
        links = re.findall(rf'<a [^>]*href="{re.escape(href)}"[^>]*>', html)
        assert links, f"no link to {href}"
        assert all(f'download="{name}"' in a for a in links), links
