"""Turn the TeX that pymdownx.arithmatex leaves in pages into MathML while building.

Browsers render MathML natively, so math needs no JavaScript and no network. A formula
that does not convert fails the build and names the page.

Thousands are grouped as in prose: ``servingmath.units.fmt`` writes ``163{,}840`` in TeX, which
latex2mathml turns into ``<mn>163</mn><mo>,</mo><mn>840</mn>``; :func:`join_digit_groups` makes
that one number again, ``<mn>163,840</mn>``, so it reads and spaces like the prose's 163,840.

A display formula sits in ``div.arithmatex.sm-math``, which scrolls sideways when the formula is
wider than the column (``a11y.css`` draws the scroll cue; ``a11y.js`` makes it focusable).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import build_cache
from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

UNCONVERTED = re.compile(r">(\\[A-Za-z]+)<")  # latex2mathml passes unknown commands through as text
INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
# "163{,}840" after latex2mathml: digits, a braced comma, exactly three digits (maybe decimals)
DIGIT_GROUP = re.compile(
    r"<mn>([0-9][0-9,]*)</mn><mrow><mo>&#x0002C;</mo></mrow><mn>([0-9]{3}(?:\.[0-9]+)?)</mn>"
)


def join_digit_groups(mathml: str) -> str:
    """Join ``163{,}840``'s pieces into one ``<mn>``.

    >>> join_digit_groups(convert("1{,}234{,}567.5 + 2{,}048"))  # doctest: +ELLIPSIS
    '...<mn>1,234,567.5</mn><mo>&#x0002B;</mo><mn>2,048</mn>...'
    >>> join_digit_groups(convert("f(a, b)")).count("<mo>&#x0002C;</mo>")  # a real comma stays
    1
    """
    while True:
        joined = DIGIT_GROUP.sub(r"<mn>\1,\2</mn>", mathml)
        if joined == mathml:
            return joined
        mathml = joined


def to_mathml(tex: str, display: str, where: str) -> str:
    """MathML for one formula (``display`` is ``inline`` or ``block``)."""
    source = html.unescape(tex).strip()
    if source.replace("\\{", "").count("{") != source.replace("\\}", "").count("}"):
        raise PluginError(f"{where}: unbalanced braces in formula {source!r}")
    try:
        mathml = convert(source, display=display)
    except Exception as e:  # latex2mathml raises many exception types
        raise PluginError(f"{where}: cannot convert formula to MathML: {source!r}: {e!r}") from e
    mathml = join_digit_groups(mathml)
    unknown = UNCONVERTED.search(mathml)
    if unknown:
        raise PluginError(f"{where}: unsupported TeX command {unknown.group(1)} in formula {source!r}")
    tag = "div" if display == "block" else "span"
    return f'<{tag} class="arithmatex sm-math">{mathml}</{tag}>'


def convert_page(content: str, where: str) -> str:
    content = BLOCK.sub(lambda m: to_mathml(m.group(1), "block", where), content)
    return INLINE.sub(lambda m: to_mathml(m.group(1), "inline", where), content)


# What the conversion depends on besides the page: latex2mathml's version and this file (once per
# hook load, not per page).
_CONVERTER = build_cache.key(build_cache.versions(("latex2mathml",)), Path(__file__).read_bytes())


def on_page_content(html_text, page, config, files):
    """The page with MathML for its TeX; a page whose HTML did not change since an earlier build
    (``build_cache``: memory under `make serve`, ``.cache/mathml/``) is not converted again."""
    root = Path(config.config_file_path).parent
    key = build_cache.key(html_text, _CONVERTER)
    cached = build_cache.load(root, "mathml", key)
    if cached is None:
        cached = build_cache.store(root, "mathml", key, convert_page(html_text, page.file.src_uri))
    return cached
