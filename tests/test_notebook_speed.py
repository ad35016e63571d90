"""The playground page's fast path: in-process execution, its cache, and its CSS in one pruned file.

hooks/notebook_cache.py runs the notebook in the build's process instead of a Jupyter kernel and
caches the page; hooks/notebook_css.py moves mkdocs-jupyter's inlined CSS into
assets/stylesheets/notebook.css, pruned to the rules the page can use.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import Any

import jupytext
import pytest
from conftest import PageWatch
from load_hook import load_hook
from project_copy import ROOT

NOTEBOOK = ROOT / "docs" / "beyond" / "playground.py"
PLAYGROUND_HTML_GZ_MAX = 40_000  # issue 14


def _options() -> dict[str, Any]:
    from mkdocs.utils.yaml import yaml_load
    from mkdocs_jupyter.plugin import Plugin

    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        config = yaml_load(f)
    plugins = [p for p in config["plugins"] if isinstance(p, dict)]
    raw = next(p["mkdocs-jupyter"] for p in plugins if "mkdocs-jupyter" in p)
    plugin = Plugin()
    errors, _ = plugin.load_config(raw)
    assert not errors
    return dict(plugin.config)


def _normalised(html: str) -> str:
    """Without what differs between two conversions of the same notebook by design: nbconvert's
    random cell ids and plotly's random ids."""
    html = re.sub(r'cell-id=[^"]*', "cell-id", html)
    return re.sub(r"\b([a-z]+)[0-9a-f]{6}(xyplot|-)", r"\1X\2", html)


@pytest.mark.build
def test_in_process_execution_renders_what_a_kernel_renders() -> None:
    from mkdocs_jupyter import convert

    options = _options()
    mine = load_hook("notebook_cache").convert(NOTEBOOK, options, "docs/beyond/playground.py")["content"]
    kernel = convert.nb2html(
        str(NOTEBOOK),
        execute=True,
        kernel_name=options["kernel_name"],
        theme=options["theme"],
        allow_errors=options["allow_errors"],
        include_requirejs=options["include_requirejs"],
        custom_mathjax_url=options["custom_mathjax_url"],
    )
    assert 'id="fig-playground-pareto"' in mine and "jp-OutputArea-output" in mine
    assert _normalised(mine) == _normalised(kernel)


def test_a_raising_cell_names_the_page_and_the_cell() -> None:
    from mkdocs.exceptions import PluginError

    hook = load_hook("notebook_cache")
    broken = '# %%\nx = 1\n\n# %%\nraise ValueError("deliberately broken cell")\n'
    nb = jupytext.reads(broken, fmt="py:percent")
    with pytest.raises(PluginError, match=r"(?s)docs/x\.py: cell 2 .*deliberately broken cell"):
        hook.execute_in_process(nb, False, "docs/x.py")
    nb = jupytext.reads('# %%\nprint("a")\nraise ValueError("shown")\n\n# %%\n1 + 1\n', fmt="py:percent")
    hook.execute_in_process(nb, True, "docs/x.py")  # allow_errors: the error becomes an output
    first, second = nb.cells
    assert [o["output_type"] for o in first.outputs] == ["stream", "error"]
    assert first.outputs[0]["text"] == "a\n" and first.outputs[1]["evalue"] == "shown"
    assert second.outputs[0]["data"]["text/plain"] == "2" and second.execution_count == 2


def test_the_cache_key_follows_the_notebook_the_library_and_the_options(tmp_path: Path) -> None:
    hook = load_hook("notebook_cache")
    nb = tmp_path / "nb.py"
    nb.write_text("# %%\nx = 1\n", encoding="utf-8")
    options = _options()
    key = hook.cache_key(nb, options, "digest-1")
    assert key == hook.cache_key(nb, options, "digest-1")
    assert key != hook.cache_key(nb, options, "digest-2")  # servingmath (or the lock file) changed
    assert key != hook.cache_key(nb, {**options, "allow_errors": True}, "digest-1")
    nb.write_text("# %%\nx = 2\n", encoding="utf-8")
    assert key != hook.cache_key(nb, options, "digest-1")


def test_pruning_keeps_what_the_page_can_use() -> None:
    hook = load_hook("notebook_css")
    css = (
        ".w{--used:1px;--unused:2px;--chain:var(--used)} .w .a{margin:var(--chain)}"
        " .w .gone{color:red} .w .a:not(.gone){top:0} @media print{.w .gone{x:1}}"
        " @keyframes spin{to{top:0}} .w .a{animation:spin 1s} .w .md-typeset__scrollwrap{margin:0}"
    )
    out = hook.prune(css, {"w", "a"}, set())
    assert ".gone{" not in out and "@media" not in out and "--unused" not in out
    assert "--used:1px" in out and "--chain:var(--used)" in out and ".w .a:not(.gone)" in out
    assert "@keyframes spin" in out and ".md-typeset__scrollwrap" in out  # Material's JS adds md-*
    assert "--unused:2px" in hook.prune(css, {"w", "a"}, set(), external_vars={"--unused"})


@pytest.mark.build
def test_built_playground_links_one_pruned_stylesheet(built_site: Path) -> None:
    html = (built_site / "beyond" / "playground" / "index.html").read_text(encoding="utf-8")
    assert "<style" not in html
    assert html.count('href="../../assets/stylesheets/notebook.css"') == 1
    assert "mathjax" not in html.lower() and "cdnjs" not in html  # the dead loaders are gone
    css = (built_site / "assets" / "stylesheets" / "notebook.css").read_text(encoding="utf-8")
    assert ".jp-OutputArea-output" in css and ".highlight-ipynb" in css
    assert len(css) < 60_000  # from about 590 kB inlined
    assert len(gzip.compress(html.encode(), 6)) <= PLAYGROUND_HTML_GZ_MAX


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_notebook_is_styled_in_light_and_dark(site_url: str, watched_page: PageWatch, scheme: str) -> None:
    page = watched_page.page
    page.goto(site_url)
    index = 0 if scheme == "default" else 1
    page.evaluate(
        "([i, s]) => localStorage.setItem('/.__palette', JSON.stringify("
        "{index: i, color: {scheme: s, primary: 'indigo', accent: 'indigo'}}))",
        [index, scheme],
    )
    page.goto(site_url + "beyond/playground/", wait_until="networkidle")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == scheme
    style = page.evaluate(
        """() => {
          const cell = getComputedStyle(document.querySelector('.jp-CodeCell .jp-InputArea-editor'));
          const prompt = getComputedStyle(document.querySelector('.jp-InputPrompt'));
          const sheets = [...document.styleSheets].filter(s => (s.href || '').endsWith('notebook.css'));
          return {border: cell.borderTopStyle, prompt: prompt.fontFamily, align: prompt.textAlign,
                  sheets: sheets.length};
        }"""
    )
    assert style == {"border": "solid", "prompt": style["prompt"], "align": "right", "sheets": 1}, style
    assert "monospace" in style["prompt"].lower() or "menlo" in style["prompt"].lower(), style
    assert not watched_page.console_errors, watched_page.console_errors
    assert not watched_page.external_requests, watched_page.external_requests
