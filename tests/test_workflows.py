"""The CI and Pages workflows in .github/workflows/ pass a workflow linter (zizmor, offline), and
the publishing page shows those very files."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project_copy import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ZIZMOR = Path(sys.executable).with_name("zizmor")


def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    """Lint workflow files offline; syntax and schema errors fail too (--strict-collection)."""
    assert ZIZMOR.exists(), "zizmor is not installed (requirements.lock)"
    return subprocess.run(
        [str(ZIZMOR), "--offline", "--strict-collection", "--no-progress", "--color=never", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_workflows_exist() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.yml")) == ["ci.yml", "pages.yml"]
    assert "bash .ci/run" in (WORKFLOWS / "ci.yml").read_text(encoding="utf-8")
    assert "make build" in (WORKFLOWS / "pages.yml").read_text(encoding="utf-8")


def test_workflows_pass_the_linter() -> None:
    proc = zizmor(WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("old", "new", "finding"),
    [
        ("    runs-on: ubuntu-latest\n", "    run-on: ubuntu-latest\n", "pages.yml"),  # schema error
        (
            "uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "uses: actions/checkout@v7",
            "unpinned-uses",
        ),
        ("run: make build\n", 'run: echo "${{ github.event.head_commit.message }}"\n', "template-injection"),
    ],
    ids=["schema", "unpinned", "injection"],
)
def test_the_linter_catches_a_broken_workflow(tmp_path: Path, old: str, new: str, finding: str) -> None:
    broken = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, broken)
    text = (broken / "pages.yml").read_text(encoding="utf-8")
    assert old in text
    (broken / "pages.yml").write_text(text.replace(old, new, 1), encoding="utf-8")
    proc = zizmor(broken)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert finding in proc.stdout + proc.stderr


@pytest.mark.build
def test_publishing_page_shows_the_workflow_files(built_site: Path) -> None:
    page = (built_site / "publishing" / "index.html").read_text(encoding="utf-8")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # code as shown, highlighting removed
    for workflow in WORKFLOWS.glob("*.yml"):
        assert workflow.read_text(encoding="utf-8").strip() in text, workflow.name
