"""No built page shows an unprocessed directive (snippet marker, answer fence, placeholder, …)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import mkdocs_build
from leftovers import find_leftovers, site_leftovers
from project_copy import copy_project, edit

pytestmark = pytest.mark.build

MARKER = '--8<-- "servingmath/book/reference.py:reference"'


def test_no_page_shows_an_unprocessed_directive(built_site: Path) -> None:
    pages = list(built_site.rglob("*.html"))
    assert len(pages) > 10
    found = site_leftovers(built_site)
    assert not found, "unprocessed directives on built pages:\n" + "\n".join(map(str, found))


@pytest.mark.parametrize(
    ("html", "what"),
    [
        ('<pre><code>--8 &lt; --"servingmath/book/reference.py:reference"</code></pre>', "snippet marker"),
        ('<pre><code>--8&lt;-- "a.py"</code></pre>', "snippet marker"),
        ('<p>```python exec="on" session="basics"</p>', "answer-block fence"),
        ("<p>批次 {{ q2.batch }}</p>", "placeholder"),
        ("<td>{% if x %}</td>", "Jinja tag"),
        ("<p>::: servingmath.memory</p>", "mkdocstrings directive"),
        ("<p>\x02wzxhzdk:3\x03</p>", "Python-Markdown stash placeholder"),
        (
            '<div class="0f8fad5b-d9cb-469f-a165-70867728950e"></div>',
            "markdown-exec output placeholder",
        ),
    ],
)
def test_each_kind_of_leftover_is_found(html: str, what: str) -> None:
    assert what in [x.what for x in find_leftovers(html, "chapter/basics/")]


def test_syntax_shown_on_purpose_is_allowed_in_code_only() -> None:
    assert find_leftovers("<p>用 <code>{{ q2.batch }}</code> 引用</p>", "contributing/") == []
    assert find_leftovers("<p>用 {{ q2.batch }} 引用</p>", "contributing/")
    assert find_leftovers("<pre><code>{{ q2.batch }}</code></pre>", "chapter/basics/")
    assert find_leftovers("<pre><code>url: ${{ github.sha }}</code></pre>", "publishing/") == []


def test_a_broken_snippet_marker_is_caught(tmp_path: Path) -> None:
    """The guard fails on a real build whose snippet marker was mangled (as ruff format once did)."""
    project = copy_project(tmp_path / "project")
    edit(project / "docs" / "chapter" / "visualize.md", MARKER, MARKER.replace("--8<--", "--8 < --"))
    proc = mkdocs_build(project, tmp_path / "site", extra_env={"PYTHONPATH": str(project)})
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the build itself does not notice
    # ... and says nothing but its INFO lines: no jieba debug lines, no kernel transport warning.
    noise = [
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if line.strip() and not line.startswith(("INFO ", "DEBUG "))
    ]
    assert not noise, "\n".join(noise)
    found = site_leftovers(tmp_path / "site")
    assert [(x.page, x.what) for x in found] == [("chapter/visualize/", "snippet marker")], found
