"""The playground notebook (docs/beyond/playground.py): it runs, it is stored without outputs, and the
mkdocs-jupyter configuration executes it at every build and fails the build on an error. Also the
API reference page (mkdocstrings), the other generated page of this family."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import pytest
import yaml
from conftest import mkdocs_build
from load_hook import load_hook
from mkdocs.utils.yaml import yaml_load
from nbclient import NotebookClient
from project_copy import ROOT

from servingmath import fmt, from_hf_config
from servingmath.book.chip_compare import chips_under, serving_row

CHIPS = chips_under("book")  # the notebook's CONSTANTS

NOTEBOOK = ROOT / "docs" / "beyond" / "playground.py"
CONFIG = ROOT / "docs" / "beyond" / "tiny-config.json"


def jupyter_plugin_config() -> dict[str, Any]:
    """The mkdocs-jupyter options in mkdocs.yml."""
    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        config = yaml_load(f)  # MkDocs' loader: understands !ENV
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocs-jupyter" in plugin:
            return plugin["mkdocs-jupyter"]
    raise AssertionError("mkdocs-jupyter is not configured in mkdocs.yml")


def execute(path: Path, cwd: Path) -> Any:
    nb = jupytext.read(path)
    NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


def outputs_text(nb: Any) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            for mime in ("text/markdown", "text/html", "text/plain"):
                if mime in out.get("data", {}):
                    parts.append(out["data"][mime])
    return "\n".join(parts)


def test_stored_without_outputs() -> None:
    nb = jupytext.read(NOTEBOOK)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert not list((ROOT / "docs").rglob("*.ipynb")), "committed .ipynb files (outputs) under docs/"


def test_runs_as_a_plain_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no tiny-config.json here: the script falls back to the repository copy
    runpy.run_path(str(NOTEBOOK), run_name="__main__")


def test_executes_as_a_notebook_with_current_numbers(tmp_path: Path) -> None:
    (tmp_path / "tiny-config.json").write_bytes(CONFIG.read_bytes())  # as a reader who downloaded both
    text = outputs_text(execute(NOTEBOOK, tmp_path))
    model = from_hf_config(CONFIG)
    for chip in CHIPS:
        r = serving_row(chip, "int8", model=model)
        name = chip.name.removeprefix("NVIDIA ")
        assert f"| {name}（{r.slice_name}） | {fmt(r.max_batch)} | {fmt(r.step_time_s, 's')} |" in text
    assert 'class="sm-figure" id="fig-playground-pareto"' in text  # the site's figure embedding


def test_jupyter_plugin_options_are_safe() -> None:
    cfg = jupyter_plugin_config()
    assert cfg["include"] == ["beyond/playground.py"]  # no other .py under docs/ becomes a page
    assert cfg["execute"] is True
    assert cfg["allow_errors"] is False
    # Its own cache key ignores servingmath; hooks/notebook_cache.py keys the cache folder on it.
    assert cfg["cache"] is False or "hooks/notebook_cache.py" in (ROOT / "mkdocs.yml").read_text(
        encoding="utf-8"
    )
    assert cfg["include_source"] is True
    assert cfg.get("include_requirejs", False) is False  # requirejs would load from a CDN


@pytest.mark.build
def test_a_failing_cell_fails_the_build(tmp_path: Path) -> None:
    """A minimal site with the real mkdocs-jupyter options and a raising cell must not build."""
    project = tmp_path / "project"
    (project / "docs" / "beyond").mkdir(parents=True)
    (project / "docs" / "index.md").write_text("# home\n", encoding="utf-8")
    (project / "docs" / "beyond" / "tiny-config.json").write_bytes(CONFIG.read_bytes())
    (project / "docs" / "beyond" / "playground.py").write_text(
        NOTEBOOK.read_text(encoding="utf-8") + '\n# %%\nraise RuntimeError("deliberately broken cell")\n',
        encoding="utf-8",
    )
    config = {
        "site_name": "notebook check",
        "nav": [{"home": "index.md"}, {"nb": "beyond/playground.py"}],
        "plugins": [{"mkdocs-jupyter": jupyter_plugin_config()}],
    }
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    proc = mkdocs_build(project, tmp_path / "site", extra_env={"PYTHONPATH": str(ROOT)})
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0, log
    assert "deliberately broken cell" in log


@pytest.mark.build
def test_built_page_is_executed_and_downloadable(built_site: Path) -> None:
    page = built_site / "beyond" / "playground" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert 'id="fig-playground-pareto"' in html  # outputs were computed during this build
    model = from_hf_config(CONFIG)
    r = serving_row(CHIPS[0], "int8", model=model)
    assert fmt(r.step_time_s, "s") in html
    download = built_site / "beyond" / "playground" / "playground.py"
    assert download.read_bytes() == NOTEBOOK.read_bytes()
    assert 'href="playground.py"' in html
    assert (built_site / "beyond" / "tiny-config.json").read_bytes() == CONFIG.read_bytes()
    ipynb = built_site / "beyond" / "playground" / "playground.ipynb"
    assert 'href="playground.ipynb"' in html
    nb = nbformat.reads(ipynb.read_text(encoding="utf-8"), as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs for c in code), "the download must carry no outputs"
    assert [c.source for c in nb.cells] == [c.source for c in jupytext.read(NOTEBOOK).cells]
    assert "cdnjs.cloudflare.com/ajax/libs/require" not in html


def test_griffe_extension_fences_doctests_and_drops_roles() -> None:
    ext = load_hook("griffe_doctests")
    text = "Raises :class:`~servingmath.errors.DoesNotFitError`.\n>>> f(1)\n2\n\nEnd, see :func:`a.b`."
    assert ext.render_text(text) == (
        "Raises `DoesNotFitError`.\n\n```pycon\n>>> f(1)\n2\n```\n\nEnd, see `a.b`."
    )


@pytest.mark.build
def test_api_reference_renders_doctests_as_code(built_site: Path) -> None:
    html = (built_site / "reference" / "api" / "index.html").read_text(encoding="utf-8")
    for module in ("servingmath.units", "servingmath.book.exercises", "servingmath.book.chip_compare"):
        assert f'id="{module}"' in html, module
    assert 'id="servingmath.book.exercises.best_batch"' in html
    assert "<blockquote>" not in html  # doctests would render as nested quotes without the extension
    assert "&gt;&gt;&gt;" in html and ":class:`" not in html
