"""Numeric drift guard: the numbers the built site shows must equal the reviewed golden copy.

``site/numbers.json`` (written by ``hooks/number_ledger.py``) lists every number each page shows,
labelled stably: placeholders by their registry key, answer-block output by section anchor and
ordinal. A difference fails with a table of page, label, old, new and relative change. When a
change is intended, ``make update-golden`` rewrites ``tests/golden/numbers.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build
from page_sources import markdown_pages, placeholders
from project_copy import copy_project, edit

from servingmath.book import ledger
from servingmath.units import fmt

GOLDEN = ROOT / "tests" / "golden" / "numbers.json"


def drift_message(drifts: list[ledger.Drift], against: str) -> str:
    return (
        f"numbers shown on the site differ from {against}: {ledger.summary(drifts)}\n\n"
        f"{ledger.drift_table(drifts)}\n\n"
        "If the change is intended, run `make update-golden` and commit tests/golden/numbers.json."
    )


def load(path: Path) -> list[ledger.Entry]:
    return ledger.from_json(path.read_text(encoding="utf-8"))


# ── fast checks of the ledger itself ─────────────────────────────────────────────────────


def test_fmt_is_pure() -> None:
    """The library's formatter knows nothing about the site: no ledger, no recording."""
    import servingmath.units as units

    assert "ledger" not in vars(units)
    assert fmt(0.017239, "s") == "17.2 ms"


def _page(extra: str = "") -> str:
    start, end = ledger.EXEC_START, ledger.EXEC_END
    return (
        f'<h2 id="q1">问题 1</h2>{extra}<p>参数 70 GB</p>'
        f"{start.format('both')}<p>每 token <strong>160 KiB</strong>，共 80 张</p>{end}"
        f'<h2 id="q2">问题 2</h2>{start.format("book")}<div><pre><code>batch = 32</code></pre></div>'
        f"<p>批次 32，8 张</p>{end}{start.format('spec')}<p>批次 32，7 张</p>{end}"
    )


def _ledger() -> ledger.Ledger:
    led = ledger.Ledger()
    ledger.cite(led, "q1.params", 70e9, "B", "70 GB", constants="book")
    return led


def test_labels_follow_sections_sets_and_skip_code() -> None:
    got = [(e.label, e.text) for e in ledger.page_entries("p.md", _ledger(), _page())]
    assert got == [
        ("q1#1", "160 KiB"), ("q1#2", "80"), ("q1.params", "70 GB"),
        ("q2#1", "32"), ("q2#1@spec", "32"), ("q2#2", "8"), ("q2#2@spec", "7"),
    ]  # fmt: skip


def test_labels_are_stable_under_edits_elsewhere_on_the_page() -> None:
    before = {e.label: e.text for e in ledger.page_entries("p.md", _ledger(), _page())}
    after = {
        e.label: e.text
        for e in ledger.page_entries("p.md", _ledger(), _page("<p>新增一段：32、7、80 张</p>"))
    }
    assert before == after


def test_numbers_json_is_deterministic() -> None:
    entries = ledger.page_entries("p.md", _ledger(), _page())
    text = ledger.to_json(entries)
    assert text == ledger.to_json(list(reversed(entries)))
    assert ledger.from_json(text) == sorted(entries, key=lambda e: (e.page, e.label))


def test_drift_table_names_added_removed_and_changed_numbers() -> None:
    old = [
        ledger.Entry("a.md", "q3.step.8", 0.01724, "s", "17.2 ms"),
        ledger.Entry("a.md", "gone", 1, "", "1"),
    ]
    new = [
        ledger.Entry("a.md", "q3.step.8", 0.01743, "s", "17.4 ms"),
        ledger.Entry("b.md", "q9#1", 2, "", "2"),
    ]
    table = ledger.drift_table(ledger.compare(old, new))
    lines = table.splitlines()
    assert lines[0].split() == ["page", "label", "old", "new", "change"]
    assert any(line.split()[:2] == ["a.md", "gone"] and line.endswith("removed") for line in lines)
    assert any(line.split()[:2] == ["b.md", "q9#1"] and line.endswith("added") for line in lines)
    assert any("17.2 ms" in line and "17.4 ms" in line and "+1.1%" in line for line in lines)


# ── the built site ───────────────────────────────────────────────────────────────────────


@pytest.mark.build
def test_numbers_json_lists_the_pages_numbers(built_site: Path) -> None:
    raw = (built_site / "numbers.json").read_text(encoding="utf-8")
    rows = json.loads(raw)
    keys = [(r["page"], r["label"]) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    pages = {r["page"] for r in rows}
    assert "errata.md" in pages
    for md in markdown_pages():
        if any(":" not in expr for expr in placeholders(md.read_text(encoding="utf-8"))):
            assert md.relative_to(ROOT / "docs").as_posix() in pages, (
                f"{md} shows numbers but has none recorded"
            )
    html = (built_site / "index.html").read_text(encoding="utf-8")
    assert "servingmath:exec" not in html
    labels = {r["label"] for r in rows if r["page"] == "chapter/basics.md"}
    assert "q3.step.8" in labels and "q3.step.8@spec" in labels  # both constant sets recorded
    assert any(label.endswith("@spec") and "#" in label for label in labels)  # answer output, spec copy


@pytest.mark.build
def test_site_numbers_match_the_golden_copy(built_site: Path) -> None:
    drifts = ledger.compare(load(GOLDEN), load(built_site / "numbers.json"))
    assert not drifts, drift_message(drifts, "tests/golden/numbers.json")


@pytest.mark.build
def test_changing_a_chip_constant_is_reported_on_several_pages(built_site: Path, tmp_path: Path) -> None:
    """Use the chapter's other figure, 8.2e11 B/s, for the book's TPU v5e HBM bandwidth in a copy."""
    project = copy_project(tmp_path / "project")
    edit(project / "servingmath" / "chips.py", "hbm_bw=8.1e11,", "hbm_bw=8.2e11,")
    env = {"PYTHONPATH": str(project)}
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import servingmath.chips as c; print(c.__file__, c.BOOK_CHIPS['tpu-v5e'].hbm_bw)",
        ],
        cwd=project,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    path, bw = probe.stdout.split()
    assert Path(path).is_relative_to(project) and float(bw) == 8.2e11, probe.stdout  # the copy is imported

    out = tmp_path / "site"
    proc = mkdocs_build(project, out, extra_env=env)
    assert proc.returncode == 0, f"build of the edited copy failed:\n{proc.stdout}\n{proc.stderr}"
    drifts = ledger.compare(load(built_site / "numbers.json"), load(out / "numbers.json"))
    message = drift_message(drifts, "the unedited build")
    changed = [d for d in drifts if d.kind == "changed"]
    assert len({d.page for d in changed}) >= 2, message
    assert any(d.label == "hw.v5e.hbm_bw" or d.label.startswith("q3.step") for d in changed), message
    full = ledger.drift_table(drifts, limit=len(drifts)).splitlines()
    for d in changed:  # every changed number is named, with its page, old and new text
        assert any(line.split()[:2] == [d.page, d.label] for line in full), d
