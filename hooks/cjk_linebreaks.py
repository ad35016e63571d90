"""Join lines that break between two Chinese characters.

Markdown turns a line break inside a paragraph into a space, which is right for English and
wrong for Chinese ("效果。 配置"). Authors wrap long Chinese lines in the source; this hook
removes the break when both neighbours are CJK characters or full-width punctuation, outside
``pre``, ``code``, ``script``, ``style`` and ``template`` elements.
"""

from __future__ import annotations

import re

CJK = "\u2e80-\u9fff\u3000-\u303f\uff00-\uffef"
BREAK = re.compile(rf"(?<=[{CJK}])[ \t]*\n[ \t]*(?=[{CJK}])")
RAW = re.compile(r"(<(pre|code|script|style|template|math)\b.*?</\2>)", re.S | re.I)


def join_cjk_lines(html: str) -> str:
    """Remove line breaks between CJK characters outside raw elements.

    >>> join_cjk_lines("<p>效果。\\n配置</p><pre>甲\\n乙</pre>")
    '<p>效果。配置</p><pre>甲\\n乙</pre>'
    """
    parts = RAW.split(html)
    out = []
    i = 0
    while i < len(parts):
        out.append(BREAK.sub("", parts[i]))
        if i + 1 < len(parts):
            out.append(parts[i + 1])  # the raw element, untouched
        i += 3
    return "".join(out)


def on_page_content(html, page, config, files):
    return join_cjk_lines(html)
