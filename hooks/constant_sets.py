"""Run a page's answer blocks once per constant set, when the page asks for it.

A page whose answer blocks mention ``CONSTANTS`` (``CHIP = chapter_chip(CONSTANTS)``) gets
every executed fence twice: a ``book`` copy and a ``spec`` copy, each wrapped in
``<div class="sm-c" data-constants="…" markdown>`` (the page's constant switch shows one),
each with a visible first line ``CONSTANTS = "book"`` (or ``"spec"``), and each in its own
markdown-exec session (``basics`` becomes ``basics-book`` / ``basics-spec``), so blocks of one
page still share state in page order. The code a reader sees is exactly the code that ran.
Blocks that print raw HTML (``html="1"``: figures) run once, in the ``book`` session; such a
block carries both sets itself (a figure holds one data template per set). Pages that never
mention ``CONSTANTS`` are left alone.

Runs before hooks/number_ledger.py (which marks each block's output) and before markdown-exec.
"""

from __future__ import annotations

import re

from mkdocs.plugins import event_priority

SETS = ("book", "spec")
LABELS = {"book": "原书常数", "spec": "厂商规格"}
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_EXEC_ON = re.compile(r"""\bexec\s*=\s*["']?(?:on|1|true|yes)\b""", re.I)
_SESSION = re.compile(r"""\bsession\s*=\s*(["']?)([\w.-]+)\1""")
_HTML_ON = re.compile(r"""\bhtml\s*=\s*["']?(?:on|1|true|yes)\b""", re.I)


def _blocks(lines: list[str]) -> list[tuple[int, int, str, str]]:
    """(first line, last line, indent, info) of each top-level executed fence."""
    out = []
    inside: tuple[int, str, int, str, str] | None = None  # start, mark, length, indent, info
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if not m:
            continue
        indent, marks, info = m.groups()
        if inside is None:
            inside = (i, marks[0], len(marks), indent, info)
        elif marks[0] == inside[1] and len(marks) >= inside[2] and not info.strip():
            start, _, _, ind, inf = inside
            if _EXEC_ON.search(inf):
                out.append((start, i, ind, inf))
            inside = None
    return out


def _uses_constants(lines: list[str], blocks: list[tuple[int, int, str, str]]) -> bool:
    return any(re.search(r"\bCONSTANTS\b", "\n".join(lines[a + 1 : b])) for a, b, _, _ in blocks)


def _fence_head(line: str, info: str, constants: str) -> str:
    """The fence's first line with its session renamed per constant set (``p`` -> ``p-book``)."""
    session = _SESSION.search(info)
    return line.replace(session.group(0), f'session="{session.group(2)}-{constants}"', 1) if session else line


def _copy(lines: list[str], start: int, end: int, indent: str, info: str, constants: str) -> list[str]:
    head = _fence_head(lines[start], info, constants)
    first = f'{indent}CONSTANTS = "{constants}"  # {LABELS[constants]}；另一套是 "{_other(constants)}"'
    return [
        f'{indent}<div class="sm-c" data-constants="{constants}" markdown>',
        "",
        head,
        first,
        *lines[start + 1 : end + 1],
        "",
        f"{indent}</div>",
        "",
    ]


def _other(constants: str) -> str:
    return SETS[1 - SETS.index(constants)]


def split_by_constants(markdown: str) -> str:
    r"""Duplicate every executed fence per constant set if any of them mentions ``CONSTANTS``.

    >>> md = 'Q\n\n    ```python exec="on" session="p"\n    print(chip(CONSTANTS))\n    ```\n'
    >>> print(split_by_constants(md))
    Q
    <BLANKLINE>
        <div class="sm-c" data-constants="book" markdown>
    <BLANKLINE>
        ```python exec="on" session="p-book"
        CONSTANTS = "book"  # 原书常数；另一套是 "spec"
        print(chip(CONSTANTS))
        ```
    <BLANKLINE>
        </div>
    <BLANKLINE>
        <div class="sm-c" data-constants="spec" markdown>
    <BLANKLINE>
        ```python exec="on" session="p-spec"
        CONSTANTS = "spec"  # 厂商规格；另一套是 "book"
        print(chip(CONSTANTS))
        ```
    <BLANKLINE>
        </div>
    <BLANKLINE>
    <BLANKLINE>
    >>> split_by_constants('```python exec="on"\nprint(1)\n```') == '```python exec="on"\nprint(1)\n```'
    True
    """
    lines = markdown.split("\n")
    blocks = _blocks(lines)
    if not _uses_constants(lines, blocks):
        return markdown
    out: list[str] = []
    pos = 0
    for start, end, indent, info in blocks:
        out += lines[pos:start]
        if _HTML_ON.search(info):  # raw HTML (a figure): once, after the book copies of earlier blocks
            out += [_fence_head(lines[start], info, "book"), *lines[start + 1 : end + 1]]
        else:
            for k in SETS:
                out += _copy(lines, start, end, indent, info, k)
        pos = end + 1
    out += lines[pos:]
    return "\n".join(out)


@event_priority(110)  # before hooks/number_ledger.py marks the blocks, and before markdown-exec runs them
def on_page_markdown(markdown, page, config, files):
    return split_by_constants(markdown)
