"""Turn the TeX that pymdownx.arithmatex leaves in pages into MathML while building.

Browsers render MathML natively, so math needs no JavaScript and no network. A formula
that does not convert fails the build and names the page.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

UNCONVERTED = re.compile(r">(\\[A-Za-z]+)<")  # latex2mathml passes unknown commands through as text
INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def to_mathml(tex: str, display: str, where: str) -> str:
    """MathML for one formula (``display`` is ``inline`` or ``block``)."""
    source = html.unescape(tex).strip()
    if source.replace("\\{", "").count("{") != source.replace("\\}", "").count("}"):
        raise PluginError(f"{where}: unbalanced braces in formula {source!r}")
    try:
        mathml = convert(source, display=display)
    except Exception as e:  # latex2mathml raises many exception types
        raise PluginError(f"{where}: cannot convert formula to MathML: {source!r}: {e!r}") from e
    unknown = UNCONVERTED.search(mathml)
    if unknown:
        raise PluginError(f"{where}: unsupported TeX command {unknown.group(1)} in formula {source!r}")
    tag = "div" if display == "block" else "span"
    return f'<{tag} class="arithmatex sm-math">{mathml}</{tag}>'


def convert_page(content: str, where: str) -> str:
    content = BLOCK.sub(lambda m: to_mathml(m.group(1), "block", where), content)
    return INLINE.sub(lambda m: to_mathml(m.group(1), "inline", where), content)


def on_page_content(html_text, page, config, files):
    return convert_page(html_text, page.file.src_uri)
