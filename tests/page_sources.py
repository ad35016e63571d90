"""Helpers that read page sources: placeholders, code blocks and prose."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})([^\n]*)\n(.*?)^[ \t]*\2[ \t]*$", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]+`")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
ATTR_LIST = re.compile(r"\{\s*[#.:][^}\n]*\}")
LINK_TARGET = re.compile(r"\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
HTML_ATTR = re.compile(r"<[a-zA-Z/][^>\n]*>")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
MATH = re.compile(r"\$\$.*?\$\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)


def markdown_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def fenced_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(info string, body) for every fenced block, with the indent removed from the body."""
    for m in FENCE.finditer(text):
        indent = m.group(1)
        body = "\n".join(
            line[len(indent) :] if line.startswith(indent) else line for line in m.group(4).splitlines()
        )
        yield m.group(3).strip(), body


def placeholders(text: str) -> list[str]:
    """Placeholder expressions outside code, as the build hook sees them."""
    return PLACEHOLDER.findall(INLINE_CODE.sub("", FENCE.sub("", text)))


def prose(text: str) -> str:
    """The page with code, placeholders, comments, attribute lists, link targets and tags removed,
    and the structural constants 1 and 2 removed inside formulas."""
    from digit_allowlist import MATH_CONSTANT_RE

    for pattern in (
        FRONT_MATTER,
        FENCE,
        HTML_COMMENT,
        INLINE_CODE,
        PLACEHOLDER,
        ATTR_LIST,
        LINK_TARGET,
        HTML_ATTR,
    ):
        text = pattern.sub(" ", text)
    return MATH.sub(lambda m: MATH_CONSTANT_RE.sub(" ", m.group(0)), text)
