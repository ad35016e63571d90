"""Render the playground notebook fast: executed in the build's own process, cached by content.

mkdocs-jupyter (configured in mkdocs.yml) decides which files are notebook pages and how they
look (its nbconvert template). Its own way to produce a page starts a Jupyter kernel (a new Python
process that imports IPython, numpy, plotly and servingmath again), runs nbconvert, and caches the
result under a hash of the notebook text only, which would serve numbers from an older library.
This hook replaces that step for each notebook page:

* **Cache key**: the notebook's bytes, everything its outputs depend on (servingmath's sources and
  data, the notebook's inputs under docs/beyond, the lock file, the Python version), the
  mkdocs-jupyter options, the versions of mkdocs-jupyter, nbconvert and IPython, and this file.
* **Cache hit** (memory under ``make serve``, else ``.cache/notebook/<key>.json``): the stored page
  HTML, table of contents and title are used as they are; no kernel, no IPython, no nbconvert
  call. A fresh clone has no cache: its first build executes.
* **Cache miss**: the notebook's cells run one after another in an IPython shell inside the build
  process (a kernel's semantics: same interpreter, same working directory, display() and the
  last expression's value become outputs, an error stops the build when ``allow_errors`` is
  false), then mkdocs-jupyter's own ``nb2html`` turns the executed notebook into HTML, without
  executing it again.

A notebook that mkdocs-jupyter would run in another kernel than this interpreter (``kernel_name``
other than ``python3``) goes through mkdocs-jupyter's own path, uncached by this hook.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import hashlib
import io
import json
import logging
import pathlib
import sys
import traceback
import types
from pathlib import Path
from typing import Any

import build_cache
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

log = logging.getLogger("mkdocs.hooks.notebook_cache")

PACKAGES = ("mkdocs-jupyter", "nbconvert", "ipython", "jupytext")
OPTIONS = (  # mkdocs-jupyter options that change a notebook page
    "execute", "execute_ignore", "theme", "kernel_name", "allow_errors", "show_input", "no_input",
    "no_prompt", "remove_tag_config", "highlight_extra_classes", "include_requirejs", "toc_depth",
    "custom_mathjax_url", "ignore_h1_titles",
)  # fmt: skip
IN_PROCESS_KERNELS = ("", "python3")

_state: dict[str, Any] = {"digest": "", "root": None}
stats = {"hits": 0, "executions": 0}  # for tests and the benchmark


def cache_key(notebook: Path, options: dict[str, Any], digest: str) -> str:
    """The key of a notebook page: its bytes, its inputs' ``digest``, the options, the tools."""
    h = hashlib.sha256(notebook.read_bytes())
    h.update(digest.encode())
    h.update(json.dumps({k: options.get(k) for k in OPTIONS}, sort_keys=True, default=str).encode())
    h.update(build_cache.versions(PACKAGES).encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()[:24]


# ----------------------------------------------------------------------------- in-process execution


class _Outputs:
    """Where the cell being run sends its outputs (nbformat output dicts, in order)."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def stream(self, name: str, text: str) -> None:
        from nbformat.v4 import new_output

        if self.items and self.items[-1].get("output_type") == "stream" and self.items[-1]["name"] == name:
            self.items[-1]["text"] += text
        else:
            self.items.append(new_output("stream", name=name, text=text))


class _Stream(io.TextIOBase):
    def __init__(self, sink: _Outputs, name: str) -> None:
        self.sink, self.name = sink, name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text:
            self.sink.stream(self.name, text)
        return len(text)


def _shell_class(sink: _Outputs) -> type:
    """An IPython shell whose display(), last-expression values and errors go to ``sink``."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from nbformat.v4 import new_output

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            sink.items.append(new_output("display_data", data=data, metadata=metadata or {}))

        def clear_output(self, wait=False):
            sink.items.clear()

    class Hook(DisplayHook):
        def start_displayhook(self):
            pass

        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            out = new_output(
                "execute_result", data=format_dict, metadata=md_dict or {}, execution_count=self.prompt_count
            )
            sink.items.append(out)

        def finish_displayhook(self):
            pass

    class Shell(InteractiveShell):
        displayhook_class = Hook
        display_pub_class = Publisher

        def _showtraceback(self, etype, evalue, stb):
            sink.items.append(
                new_output("error", ename=etype.__name__, evalue=str(evalue), traceback=list(stb))
            )

    return Shell


@contextlib.contextmanager
def _without_full_collection() -> Any:
    """IPython's ``reset`` ends with ``gc.collect()``: a tenth of a second in a process as big as a
    site build, at every build that runs the notebook. The cleared namespace is freed by reference
    counting; cycles go at the interpreter's next automatic collection."""
    collect = gc.collect
    gc.collect = lambda generation=2: 0
    try:
        yield
    finally:
        gc.collect = collect


def execute_in_process(nb: Any, allow_errors: bool, where: str) -> None:
    """Run every code cell of ``nb`` in order, in this process, filling in outputs and counts.

    Raises :class:`~mkdocs.exceptions.PluginError` naming ``where`` and the cell when a cell
    raises and ``allow_errors`` is false.
    """
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if InteractiveShell.initialized():
        raise RuntimeError("an IPython shell already runs in this process")
    sink = _Outputs()
    shell_cls = _shell_class(sink)
    config = Config()
    config.HistoryManager.enabled = False  # no ~/.ipython history database
    config.InteractiveShell.colors = "nocolor"
    main_module = sys.modules.get("__main__")
    shell = shell_cls.instance(config=config, user_module=types.ModuleType("__main__"))
    try:
        count = 0
        for index, cell in enumerate(nb.cells, start=1):
            if cell.cell_type != "code":
                continue
            sink.items = []
            count += 1
            source = cell.source
            with (
                contextlib.redirect_stdout(_Stream(sink, "stdout")),
                contextlib.redirect_stderr(_Stream(sink, "stderr")),
            ):
                result = shell.run_cell(source, store_history=True)
            cell.outputs = sink.items
            cell.execution_count = count
            error = result.error_before_exec or result.error_in_exec
            if error is not None and not allow_errors:
                text = "".join(traceback.format_exception(error)).strip()
                raise PluginError(f"{where}: cell {index} of the notebook raised:\n{text}")
    finally:
        atexit.unregister(shell.atexit_operations)
        with _without_full_collection():
            shell.reset(new_session=False)
        shell_cls.clear_instance()
        if main_module is not None:
            sys.modules["__main__"] = main_module


# ----------------------------------------------------------------------------- the page


def convert(path: Path, options: dict[str, Any], where: str) -> dict[str, Any]:
    """Execute (unless told not to) and convert one notebook: ``{content, toc_tokens, title}``."""
    import jupytext
    from jinja2 import FileSystemBytecodeCache
    from mkdocs_jupyter import nbconvert2
    from mkdocs_jupyter.plugin import _get_nb_toc_tokens
    from nbconvert.exporters.templateexporter import TemplateExporter

    nb = jupytext.read(path)
    execute = options["execute"] and not any(
        pathlib.PurePath(path).match(p) for p in options.get("execute_ignore") or []
    )
    if execute:
        execute_in_process(nb, options["allow_errors"], where)
        stats["executions"] += 1

    class Executed:  # stands in for jupytext inside nb2html: hands over the executed notebook
        read = staticmethod(lambda *args, **kwargs: nb)
        writes = staticmethod(jupytext.writes)

    # nbconvert compiles its templates anew for every export; the bytecode cache of
    # hooks/template_cache.py (checked against each template's source) makes that a load.
    create = TemplateExporter._create_environment

    def create_with_cache(self):  # type: ignore[no-untyped-def]
        env = create(self)
        if _state["root"] is not None:
            directory = build_cache.cache_root(Path(_state["root"])) / "jinja"
            directory.mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = FileSystemBytecodeCache(str(directory))
        return env

    real = nbconvert2.jupytext
    nbconvert2.jupytext = Executed  # type: ignore[assignment]
    TemplateExporter._create_environment = create_with_cache  # type: ignore[method-assign]
    try:
        content = nbconvert2.nb2html(
            str(path),
            execute=False,
            kernel_name=options["kernel_name"],
            theme=options["theme"],
            allow_errors=options["allow_errors"],
            show_input=options["show_input"],
            no_input=options["no_input"],
            no_prompt=options["no_prompt"],
            remove_tag_config=options["remove_tag_config"],
            highlight_extra_classes=options["highlight_extra_classes"],
            include_requirejs=options["include_requirejs"],
            custom_mathjax_url=options["custom_mathjax_url"],
        )
        toc_tokens, title = _get_nb_toc_tokens(str(path), options["toc_depth"])
    finally:
        nbconvert2.jupytext = real
        TemplateExporter._create_environment = create  # type: ignore[method-assign]
    return {"content": content, "toc_tokens": toc_tokens, "title": title}


def render_notebook(page: Page, config, files) -> None:
    """Stands in for ``Page.render`` on a notebook page (see the module docstring)."""
    options = config.plugins["mkdocs-jupyter"].config
    path = Path(page.file.abs_src_path)
    key = cache_key(path, options, _state["digest"])
    root, disk = Path(_state["root"]), options.get("cache", True)
    entry = build_cache.load(root, "notebook", key, disk=disk)
    if entry is None:
        entry = convert(path, options, f"docs/{page.file.src_uri}")
        build_cache.store(root, "notebook", key, entry, disk=disk)
    else:
        stats["hits"] += 1
        log.debug("notebook cache hit: %s", page.file.src_uri)
    page.content = entry["content"]
    page.toc = get_toc(entry["toc_tokens"])
    if entry["title"] is not None and not options["ignore_h1_titles"]:
        page.title = entry["title"]


def on_config(config):
    root = Path(config.config_file_path).parent
    _state["root"] = root
    _state["digest"] = build_cache.inputs_digest(root)
    return config


@event_priority(-50)  # after mkdocs-jupyter's own on_pre_page has put its render in place
def on_pre_page(page, config, files):
    plugin = config.plugins.get("mkdocs-jupyter")
    if plugin is None or not plugin.should_include(page.file):
        return page
    if plugin.config["kernel_name"] not in IN_PROCESS_KERNELS:
        return page  # another language's kernel: mkdocs-jupyter's own path
    page.render = types.MethodType(render_notebook, page)
    return page
