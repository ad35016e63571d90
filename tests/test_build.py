"""The strict build: it succeeds, and it fails loudly on a raising block or an unknown placeholder."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mkdocs_build
from load_hook import load_hook
from project_copy import copy_project

pytestmark = pytest.mark.build


def test_strict_build_succeeds(built_site: Path) -> None:
    assert (built_site / "index.html").is_file()
    assert (built_site / "chapter" / "basics" / "index.html").is_file()


def test_a_raising_answer_block_fails_the_build_and_names_the_page(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "chapter" / "prefill.md"
    page.write_text(
        page.read_text(encoding="utf-8")
        + '\n\n```python exec="on" session="broken"\nraise RuntimeError("deliberately broken answer")\n```\n',
        encoding="utf-8",
    )
    proc = mkdocs_build(project, tmp_path / "site", extra_env={"PYTHONPATH": str(project)})
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log
    assert "deliberately broken answer" in log
    assert "chapter/prefill.md" in log


def test_unknown_placeholder_fails_and_names_page() -> None:
    from mkdocs.exceptions import PluginError

    hook = load_hook("placeholders")
    for bad in ("{{ q2.nope }}", "{{ q2.batch|bold }}", "{{ nowhere:q2 }}", "{{ Q2 batch }}"):
        with pytest.raises(PluginError, match=r"chapter/x\.md"):
            hook.substitute(f"文字 {bad} 文字", "chapter/x.md")


def test_placeholders_inside_code_are_left_alone() -> None:
    hook = load_hook("placeholders")
    text = "`{{ q2.nope }}`\n\n```python\nprint('{{ q2.nope }}')\n```\n"
    assert hook.substitute(text, "x.md") == text


def test_placeholder_text_comes_from_the_library() -> None:
    from servingmath.book.registry import all_values

    hook = load_hook("placeholders")
    same = all_values("book")["q2.batch"]
    assert hook.substitute("{{ q2.batch }} / {{ q2.batch|tex }}", "x.md") == f"{same.text} / {same.tex}"
    book, spec = (all_values(k)["q3.step.8"] for k in ("book", "spec"))
    assert book.text != spec.text  # differs between the sets: one span per set
    assert hook.substitute("{{ q3.step.8 }}", "x.md") == (
        f'<span class="sm-c" data-constants="book">{book.text}</span>'
        f'<span class="sm-c" data-constants="spec">{spec.text}</span>'
    )
    inline = hook.substitute("\\( t = {{ q3.step.8|tex }} \\)", "x.md")  # a formula is written twice
    assert inline.count("\\(") == 2 and book.tex in inline and spec.tex in inline


def test_failed_formula_conversion_names_the_page() -> None:
    from mkdocs.exceptions import PluginError

    hook = load_hook("mathml")
    ok = hook.convert_page('<div class="arithmatex">\\[x = \\frac{a}{b}\\]</div>', "p.md")
    assert "<math" in ok and "\\frac" not in ok
    for bad in ("x^", "\\frac{a}{b", "\\foo x", "\\left( x"):
        with pytest.raises(PluginError, match=r"p\.md"):
            hook.convert_page(f'<span class="arithmatex">\\({bad}\\)</span>', "p.md")
