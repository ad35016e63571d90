"""Build-time accessibility fixes that need the page's HTML.

* Tables inside ``<div class="sm-reflow">`` get each column's header text as a ``data-label``
  attribute on their body cells, so ``a11y.css`` can show each row as a card of label/value
  pairs on a narrow screen (the errata tables, the throughput answers).
* Material's search overlay is a ``role="dialog"`` without a name; it gets ``aria-label="搜索"``.
* Material names each nested table-of-contents ``<nav>`` after its heading; two headings whose
  texts differ only in case (the API page's module ``breakdown`` and class ``Breakdown``) make
  two navigation landmarks with one name. Those are named after their anchors instead.

Both fail the build, naming the page, when the markup they expect is not there.
"""

from __future__ import annotations

import html
import re

from mkdocs.exceptions import PluginError

DIV = re.compile(r'<div class="([^"]*)"[^>]*>')  # then: is sm-reflow one of its classes (linear time)
TABLE = re.compile(r"<table>(.*?)</table>", re.S)
HEAD = re.compile(r"<thead>(.*?)</thead>", re.S)
BODY = re.compile(r"<tbody>(.*?)</tbody>", re.S)
TH = re.compile(r"<th\b[^>]*>(.*?)</th>", re.S)
ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
TD = re.compile(r"<td\b")
TAG = re.compile(r"<[^>]+>")
SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
SEARCH_LABEL = "搜索"


def _label_row(row: str, labels: list[str]) -> str:
    cells = iter(labels)
    return TD.sub(lambda m: f'<td data-label="{html.escape(next(cells, ""), quote=True)}"', row)


def label_table(table: str) -> str:
    """Copy header texts into the body cells of one ``<table>…</table>``.

    >>> t = ("<table><thead><tr><th>问题</th><th><b>原文</b></th></tr></thead>"
    ...      "<tbody><tr><td>a</td><td>b</td></tr></tbody></table>")
    >>> label_table(t).split("<tbody>")[1]
    '<tr><td data-label="问题">a</td><td data-label="原文">b</td></tr></tbody></table>'
    """
    head = HEAD.search(table)
    body = BODY.search(table)
    if head is None or body is None:
        raise ValueError("a reflowing table needs a header row and a body")
    labels = [" ".join(html.unescape(TAG.sub("", th)).split()) for th in TH.findall(head.group(1))]
    rows = ROW.sub(lambda m: f"<tr>{_label_row(m.group(1), labels)}</tr>", body.group(1))
    return table[: body.start(1)] + rows + table[body.end(1) :]


def label_reflow_tables(content: str, where: str) -> str:
    """Label the first table after each ``div.sm-reflow`` opening tag."""
    out, pos = [], 0
    reflow = (m for m in DIV.finditer(content) if "sm-reflow" in m.group(1).split())
    for m in reflow:
        t = TABLE.search(content, m.end())
        if t is None:
            raise PluginError(f'{where}: <div class="sm-reflow"> holds no table')
        if t.start() < pos:
            continue  # already labelled (two reflow divs around one table)
        try:
            labelled = label_table(t.group(0))
        except ValueError as e:
            raise PluginError(f"{where}: {e}") from e
        out += [content[pos : t.start()], labelled]
        pos = t.end()
    out.append(content[pos:])
    return "".join(out)


def name_search_dialog(output: str, where: str) -> str:
    """Give Material's search dialog an accessible name (axe: aria-dialog-name).

    >>> name_search_dialog(SEARCH_DIALOG, "x")
    '<div class="md-search" data-md-component="search" role="dialog" aria-label="搜索">'
    """
    if 'role="dialog"' in output and SEARCH_DIALOG not in output:
        raise PluginError(f"{where}: Material's search dialog markup changed; update hooks/a11y.py")
    return output.replace(SEARCH_DIALOG, SEARCH_DIALOG[:-1] + f' aria-label="{SEARCH_LABEL}">')


TOC_NAV = re.compile(
    r'(<a href="#(?P<id>[^"]+)" class="md-nav__link">(?:(?!</a>).)*</a>\s*)'
    r'<nav class="md-nav" aria-label="(?P<label>[^"]*)">',
    re.S,
)


def unique_toc_names(output: str) -> str:
    """Name nested TOC navs after their anchor where two headings share a name up to case.

    >>> toc = ('<a href="#m.breakdown" class="md-nav__link">x</a><nav class="md-nav" aria-label="breakdown">'
    ...        '<a href="#m.Breakdown" class="md-nav__link">y</a><nav class="md-nav" aria-label="Breakdown">'
    ...        '<a href="#m.units" class="md-nav__link">z</a><nav class="md-nav" aria-label="units">')
    >>> re.findall(r'aria-label="([^"]*)"', unique_toc_names(toc))
    ['m.breakdown', 'm.Breakdown', 'units']
    """
    ids: dict[str, set[str]] = {}
    for m in TOC_NAV.finditer(output):
        ids.setdefault(m["label"].casefold(), set()).add(m["id"])
    clash = {label for label, anchors in ids.items() if len(anchors) > 1}
    if not clash:
        return output

    def rename(m: re.Match[str]) -> str:
        if m["label"].casefold() not in clash:
            return m.group(0)
        return f'{m.group(1)}<nav class="md-nav" aria-label="{m["id"]}">'

    return TOC_NAV.sub(rename, output)


def on_page_content(html_text, page, config, files):
    return label_reflow_tables(html_text, page.file.src_uri)


def on_post_page(output, page, config):
    return unique_toc_names(name_search_dialog(output, page.file.src_uri))
