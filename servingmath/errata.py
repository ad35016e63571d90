"""Errata of the printed chapter (placeholder: filled in by the errata work).

>>> note_markdown("q2")
''
"""

from __future__ import annotations


def note_markdown(question: str) -> str:
    """Markdown notes for the answer of ``question`` (e.g. ``q2``)."""
    return ""
