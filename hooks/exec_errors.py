"""Every build failure names its file and line, and explains itself at every rebuild.

* **Answer blocks.** markdown-exec logs a failing block as a warning (``--strict`` turns it into a
  failed build) that points at ``<code block: session basics; n45>, line 3``. This hook finds that
  block among the page's exec fences and rewrites the warning to start with the Markdown file and
  line (``docs/chapter/basics.md:57: …``); the traceback's frames in the block get that file and
  line too, and a frame in the library is named as ``servingmath/….py:LINE``.
* **Mis-indented answer blocks.** Inside an admonition (``??? success "答案"``) an exec fence is
  indented; a code line indented less than its fence ends the admonition, and the block silently
  becomes prose plus plain code that never runs. Every exec fence of every page must be closed at
  its own indentation with every line inside indented at least as much; if not, the build fails
  naming the page and line.
* **Other errors** (a library error while computing a placeholder, an unknown ``{{ key }}``): the
  build error is logged once more, beginning with ``FILE:LINE`` of the innermost frame in the
  project (the library file, not the page), or of the placeholder in the page.
* **Every rebuild.** ``mkdocs serve`` logs build errors through a duplicate filter that hides a
  message it has shown before, so the second identical mistake only printed "Aborted with a
  BuildError!". The filter is emptied at the start of every build.
"""

from __future__ import annotations

import logging
import re
import traceback
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.exec_errors")

_PREFIX = "mkdocs.plugins.markdown_exec"
ROOT = Path(__file__).resolve().parents[1]

# An exec fence opener: indentation, backticks or tildes, an info string with exec="…".
FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*\bexec=[^\n]*)$")
BLOCK_FRAME = re.compile(r'File "(?P<block><code block: [^>]*>)", line (?P<line>\d+)')
FILE_FRAME = re.compile(r'File "(?P<file>[^"<>]+)", line (?P<line>\d+)')
PLACEHOLDER_IN_ERROR = re.compile(r"'(\{\{.*?\}\})'")


@dataclass(frozen=True)
class Fence:
    """One exec fence of a page: its opener's line (1-based) and its code, dedented."""

    line: int
    code: tuple[str, ...]


class FenceError(ValueError):
    """A badly indented or unclosed exec fence; the message names the line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def exec_fences(markdown: str) -> list[Fence]:
    """The exec fences of a page, checked: raises FenceError on a mis-indented or unclosed one.

    >>> md = 'x\\n\\n??? success\\n\\n    ```python exec="on"\\n    a = 1\\n\\n    b = 2\\n    ```\\n'
    >>> exec_fences(md)
    [Fence(line=5, code=('a = 1', '', 'b = 2'))]
    >>> exec_fences(md.replace("    b = 2", "  b = 2"))
    Traceback (most recent call last):
    ...
    exec_errors.FenceError: this line is indented 2 spaces, less than its answer block's fence on line 5 ...
    >>> exec_fences('```python exec="on"\\nprint(1)\\n')
    Traceback (most recent call last):
    ...
    exec_errors.FenceError: the answer block opened on line 1 is never closed ...
    """
    lines = markdown.split("\n")
    fences: list[Fence] = []
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = m["indent"], m["fence"]
        closer = re.compile(rf"^{re.escape(indent)}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        j = i + 1
        while True:
            if j >= len(lines):
                raise FenceError(
                    i + 1,
                    f"the answer block opened on line {i + 1} is never closed "
                    f"(expected a closing {fence} indented {len(indent)} spaces)",
                )
            text = lines[j]
            if closer.match(text):
                break
            if text.strip() and not text.startswith(indent):
                width = len(text) - len(text.lstrip())
                raise FenceError(
                    j + 1,
                    f"this line is indented {width} spaces, less than its answer block's fence on "
                    f"line {i + 1} ({len(indent)} spaces): the admonition would end here and the "
                    "block would not run",
                )
            body.append(text[len(indent) :] if text.strip() else "")
            j += 1
        fences.append(Fence(i + 1, tuple(body)))
        i = j + 1
    return fences


def source_line(fences: list[Fence], code: list[str], lineno: int) -> int | None:
    """The page line of line ``lineno`` (1-based) of the executed ``code``, or None.

    The executed code may carry lines a hook added around the fence's own code; the fence whose
    code occurs in it (as consecutive lines) holding that line wins.

    >>> fences = [Fence(10, ("a = 1",)), Fence(20, ("b = 2", "c = 1 / 0"))]
    >>> source_line(fences, ["b = 2", "c = 1 / 0"], 2)
    22
    >>> source_line(fences, ['CONSTANTS = "book"', "b = 2", "c = 1 / 0"], 3)
    22
    >>> source_line(fences, ["zzz"], 1) is None
    True
    """
    for fence in fences:
        n = len(fence.code)
        for start in range(len(code) - n + 1):
            if tuple(code[start : start + n]) == fence.code:
                offset = lineno - 1 - start
                return fence.line + 1 + offset if 0 <= offset < n else fence.line
    return None


def _executed_code(message: str) -> list[str]:
    """The code markdown-exec ran, from its warning (indented two spaces under "Code block is:")."""
    m = re.search(r"Code block is:\n\n(.*?)\n\nOutput is:", message, re.S)
    if not m:
        return []
    return [line[2:] if line.startswith("  ") else line.strip() for line in m.group(1).split("\n")]


def _project_path(path: str) -> str | None:
    """``path`` relative to the project if it lies in it (and not in a virtualenv), else None."""
    try:
        rel = Path(path).resolve().relative_to(ROOT)
    except (ValueError, OSError):
        return None
    return None if rel.parts and rel.parts[0].startswith(".") else rel.as_posix()


def _library_frame(text: str) -> str | None:
    """``servingmath/x.py:LINE`` of the innermost project frame in a traceback text, or None."""
    frames = [(m["file"], m["line"]) for m in FILE_FRAME.finditer(text)]
    for file, line in reversed(frames):
        rel = _project_path(file)
        if rel and not rel.startswith(("hooks/", "docs/")):
            return f"{rel}:{line}"
    return None


def name_block(message: str, page: str, markdown: str) -> str:
    """markdown-exec's warning, starting with ``page:LINE`` and with block frames renamed."""
    try:
        fences = exec_fences(markdown)
    except FenceError:
        fences = []
    code = _executed_code(message)
    frames = list(BLOCK_FRAME.finditer(message))
    where = page
    if frames:
        last = frames[-1]
        line = source_line(fences, code, int(last["line"])) if code else None
        where = f"{page}:{line}" if line else page

        def rename(m: re.Match[str]) -> str:
            n = source_line(fences, code, int(m["line"])) if code else None
            return f'File "{page}", line {n}' if n else m.group(0)

        message = BLOCK_FRAME.sub(rename, message)
    error = next((ln.strip() for ln in reversed(message.rstrip().split("\n")) if ln.strip()), "")
    library = _library_frame(message)
    headline = f"{where}: answer block failed: {error}"
    if library:
        headline += f" (raised in {library})"
    return f"{headline}\n{message}"


# ----------------------------------------------------------------------------- per-build state

# "page": the page being rendered (markdown-exec runs then); "last": the last page begun, which
# a build error is attributed to.
_current: dict[str, str] = {"page": "", "markdown": "", "last": ""}


class _NameBlock(logging.Filter):
    """Rewrites markdown-exec's warnings to name the page and line (see :func:`name_block`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        page = _current["page"]
        if record.name.startswith(_PREFIX) and page and not getattr(record, "_sm_named", False):
            message = record.getMessage()
            if "code block" in message:
                record.msg, record.args = name_block(message, page, _current["markdown"]), ()
            else:
                record.msg, record.args = f"{page}: {message}", ()
            record._sm_named = True  # type: ignore[attr-defined]
        return True


def _reset_duplicate_filters() -> None:
    """Empty MkDocs' duplicate-message filters, so this build explains itself again."""
    from mkdocs.utils import DuplicateFilter

    for name in ("mkdocs.commands.build", "mkdocs"):
        for f in logging.getLogger(name).filters:
            if isinstance(f, DuplicateFilter):
                f.msgs.clear()


def on_config(config):
    _reset_duplicate_filters()
    # mkdocs serve loads this file again at every rebuild: drop the filters of earlier loads.
    for handler in logging.getLogger("mkdocs").handlers:
        for f in list(handler.filters):
            if type(f).__name__ == _NameBlock.__name__:
                handler.removeFilter(f)
        handler.addFilter(_NameBlock())
    _current.update(page="", markdown="", last="")
    return config


def on_pre_page(page, config, files):
    _current["page"] = _current["last"] = f"docs/{page.file.src_uri}"
    _current["markdown"] = ""
    return page


def on_page_markdown(markdown, page, config, files):
    if not page.file.src_uri.endswith(".md"):
        return markdown
    source = page.file.content_string
    _current["markdown"] = source
    try:
        exec_fences(source)
    except FenceError as e:
        raise PluginError(f"docs/{page.file.src_uri}:{e.line}: {e}") from None
    return markdown


def on_page_content(html, page, config, files):
    _current.update(page="", markdown="")
    return html


def _placeholder_line(message: str, page: str) -> int | None:
    m = PLACEHOLDER_IN_ERROR.search(message)
    path = ROOT / page
    if not m or not path.is_file():
        return None
    key = m.group(1)[2:-2].strip()
    pattern = re.compile(r"\{\{\s*" + re.escape(key) + r"\s*\}\}")
    for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if pattern.search(line):
            return n
    return None


def describe(error: BaseException, page: str) -> str:
    """One line naming the file and line at fault for a build error, or "" if nothing to add."""
    if isinstance(error, SystemExit):  # "Aborted with N warnings": the warnings said it all
        return ""
    text = "".join(traceback.format_exception(error))
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, PluginError):
        line = _placeholder_line(message, page) if page else None
        if not line:
            return ""
        for prefix in (f"{page}: ", f"{page.removeprefix('docs/')}: "):
            message = message.removeprefix(prefix)
        return f"{page}:{line}: {message}"
    library = _library_frame(text)
    where = f" (while building {page})" if page else ""
    head = library or page or "build"
    return f"{head}: {type(error).__name__}: {message}{where}"


def on_build_error(error, **kwargs):
    summary = describe(error, _current["last"])
    if summary:
        log.error(summary)
