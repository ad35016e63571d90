"""Griffe extension for the API reference (mkdocstrings): make plain-reST docstrings read well.

servingmath's docstrings carry doctests (``>>>`` lines, run by pytest) and Sphinx roles
(``:class:`~servingmath.errors.DoesNotFitError```). Rendered as Markdown, ``>>>`` becomes a
nested block quote and the role stays literal. This extension, loaded by the mkdocstrings
python handler (mkdocs.yml), fences each doctest as a ``pycon`` code block and turns each role
into inline code. It changes only what the API page shows, never the code or its doctests.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):`(~?)([\w.]+)`")


def _role(m: re.Match[str]) -> str:
    tilde, target = m.group(1), m.group(2)
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


def fence_doctests(text: str) -> str:
    """Wrap every doctest block (from a ``>>>`` line to the next blank line) in a pycon fence.

    >>> fence_doctests("Intro.\\n>>> 1 + 1\\n2\\n\\nMore.").splitlines()
    ['Intro.', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'More.']
    """
    out: list[str] = []
    indent: str | None = None
    for line in text.splitlines():
        stripped = line.lstrip()
        if indent is None and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            if out and out[-1].strip():
                out.append("")
            out.append(f"{indent}```pycon")
        elif indent is not None and not line.strip():
            out.append(f"{indent}```")
            indent = None
        out.append(line)
    if indent is not None:
        out.append(f"{indent}```")
    return "\n".join(out)


def render_text(text: str) -> str:
    """Roles become inline code outside doctests; doctests become fenced blocks.

    >>> render_text("Raises :class:`~servingmath.errors.DoesNotFitError`.")
    'Raises `DoesNotFitError`.'
    """
    parts = fence_doctests(text).split("```")
    # Even parts are outside fences (fences come in pairs); only those get role rewriting.
    return "```".join(ROLE.sub(_role, p) if i % 2 == 0 else p for i, p in enumerate(parts))


class DoctestFences(griffe.Extension):
    """Rewrite each loaded object's docstring for display (see the module docstring)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = render_text(obj.docstring.value)
