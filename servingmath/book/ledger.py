"""The numbers ledger: every number a page shows, recorded while the site builds.

The drift guard compares the ledger of a fresh build (``site/numbers.json``) with a
reviewed golden copy (``tests/golden/numbers.json``), so a change to a chip constant or a
formula shows up as a readable list of the numbers it moved.

Two kinds of records feed a page's ledger while it is active (``hooks/number_ledger.py``
activates one per page):

* **cited** values: a ``{{ key }}`` placeholder (or an errata note) names a registry
  value; its label is the key (``q2.kv_bytes``, or ``q2.kv_bytes|tex`` for the TeX form).
* **formatted** values: a call to :func:`servingmath.units.fmt` (or ``num``/``sci``)
  made by an answer block. After the page is rendered, each text is looked up in the
  page's visible HTML (code, scripts and headings excluded); its label is the anchor of
  the nearest heading above it plus its ordinal within that section
  (``q2-min-chips#3``), so edits elsewhere on the page do not rename it. Texts that do
  not appear on the page (intermediate values) are not recorded.

``fmt`` stays a pure function whenever no ledger is active.

>>> from servingmath.units import fmt
>>> with recording() as led:
...     cite("q2.batch", 32, "", "32")
...     exec(compile("fmt(0.0172, 's')", "<code block: session demo; n1>", "eval"), {"fmt": fmt})
...     _ = fmt(5.0)  # not called by an answer block: not recorded
>>> [(r.key, r.text) for r in led.records]
[('q2.batch', '32'), (None, '17.2 ms')]
>>> active() is None
True
"""

from __future__ import annotations

import html as html_lib
import json
import math
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

Value = float | str

# fmt calls made directly by these modules are not recorded (the formatter calling itself).
_QUIET_CALLERS = frozenset({"servingmath.units", __name__})
_REGISTRY_MODULES = frozenset({"servingmath.book.registry", "servingmath.book.shown"})
_CODE_BLOCK = "<code block: "  # the file name markdown-exec compiles an answer block under
_MAX_DEPTH = 12


@dataclass(frozen=True)
class Record:
    """One number as it was produced: ``key`` for cited values, ``None`` for formatted ones."""

    value: Value
    unit: str
    text: str
    key: str | None = None
    block: str = ""


@dataclass(frozen=True)
class Ledger:
    """The records of one page, in the order they were made."""

    records: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """One number a built page shows: the unit of ``numbers.json``."""

    page: str
    label: str
    value: Value
    unit: str
    text: str


@dataclass(frozen=True)
class Drift:
    """A difference between two ledgers; ``old`` or ``new`` is ``None`` when added or removed."""

    page: str
    label: str
    old: Entry | None
    new: Entry | None

    @property
    def kind(self) -> str:
        """``added``, ``removed`` or ``changed``."""
        if self.old is None:
            return "added"
        return "removed" if self.new is None else "changed"

    @property
    def relative_change(self) -> float | None:
        """``new / old - 1`` for numbers; ``None`` when either side is missing, text or zero."""
        if self.old is None or self.new is None:
            return None
        a, b = self.old.value, self.new.value
        if isinstance(a, str) or isinstance(b, str) or a == 0:
            return None
        return b / a - 1


_ACTIVE: ContextVar[Ledger | None] = ContextVar("servingmath_ledger", default=None)


def active() -> Ledger | None:
    """The ledger being recorded into, if any.

    >>> active() is None
    True
    """
    return _ACTIVE.get()


def activate() -> Ledger:
    """Start recording into a fresh ledger (until :func:`deactivate`); return it.

    >>> led = activate(); deactivate() is led
    True
    """
    led = Ledger()
    _ACTIVE.set(led)
    return led


def deactivate() -> Ledger | None:
    """Stop recording; return the ledger that was active (``None`` if none was).

    >>> deactivate() is None
    True
    """
    led = _ACTIVE.get()
    _ACTIVE.set(None)
    return led


@contextmanager
def recording() -> Iterator[Ledger]:
    """Record into a fresh ledger inside a ``with`` block (tests, scripts).

    >>> with recording() as led:
    ...     active() is led
    True
    """
    token = _ACTIVE.set(Ledger())
    try:
        yield _ACTIVE.get()  # type: ignore[misc]
    finally:
        _ACTIVE.reset(token)


def cite(key: str, value: Value, unit: str, text: str) -> None:
    """Record that the page shows registry value ``key`` as ``text`` (no-op when inactive).

    >>> cite("q2.batch", 32, "", "32")  # nothing is active: nothing happens
    """
    led = _ACTIVE.get()
    if led is not None:
        led.records.append(Record(value, unit, text, key=key))


def _answer_block(frame) -> str | None:  # type: ignore[no-untyped-def]
    """The markdown-exec block (``<code block: session s; n3>``) that made this call, or ``None``
    when the call did not come from one, or came through the registry (``values()``)."""
    for _ in range(_MAX_DEPTH):
        if frame is None:
            return None
        name = frame.f_globals.get("__name__", "")
        if name in _REGISTRY_MODULES or (
            name.startswith("servingmath.") and frame.f_code.co_name == "values"
        ):
            return None
        if frame.f_code.co_filename.startswith(_CODE_BLOCK):
            return frame.f_code.co_filename
        frame = frame.f_back
    return None


def note_format(value: Value, unit: str, text: str) -> None:
    """Record a formatted number; called by ``fmt``, ``num`` and ``sci`` (no-op when inactive).

    Only calls made (directly or through helpers) by an answer block are recorded: not the
    formatter calling itself, and not the registry formatting its named values (those are
    recorded by key when a page cites them).

    >>> note_format(1.0, "", "1")  # nothing is active: nothing happens
    """
    led = _ACTIVE.get()
    if led is None:
        return
    caller = sys._getframe(2)
    if caller.f_globals.get("__name__") in _QUIET_CALLERS:
        return
    block = _answer_block(caller)
    if block is not None:
        v = value if isinstance(value, str) else float(value)
        led.records.append(Record(v, unit, text, block=block))


# ── Locating formatted numbers in the rendered page ──────────────────────────────────────

EXEC_MARKER = "<!-- servingmath:exec -->"
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_EXEC_ON = re.compile(r"""\bexec\s*=\s*["']?(?:on|1|true|yes)\b""", re.I)
_HIDDEN = re.compile(r"<(pre|code|script|style|h[1-6])\b[^>]*>.*?</\1\s*>|<!--.*?-->|<[^>]+>", re.S | re.I)
_HEADING = re.compile(r"<h[1-6]\b[^>]*\bid=\"([^\"]+)\"", re.I)


def mark_exec_blocks(markdown: str) -> str:
    r"""Put an HTML comment before every executed code fence (``exec="on"``), at the fence's
    indentation, so the rendered page shows where each answer block's output begins.
    Fences inside other fences (examples of answer blocks) are left alone.

    >>> md = 'text\n\n    ```python exec="on"\n    print(1)\n    ```\n'
    >>> md += '````md\n```python exec="on"\n```\n````'
    >>> print(mark_exec_blocks(md))
    text
    <BLANKLINE>
        <!-- servingmath:exec -->
    <BLANKLINE>
        ```python exec="on"
        print(1)
        ```
    ````md
    ```python exec="on"
    ```
    ````
    """
    out: list[str] = []
    fence: tuple[str, int] | None = None
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if fence is None and m:
            indent, marks, info = m.groups()
            if _EXEC_ON.search(info):
                if out and out[-1].strip():
                    out.append("")
                out += [indent + EXEC_MARKER, ""]
            fence = (marks[0], len(marks))
        elif fence is not None and m and m.group(2)[0] == fence[0] and len(m.group(2)) >= fence[1]:
            fence = None if not m.group(3).strip() else fence
        out.append(line)
    return "\n".join(out)


def visible_text(page_html: str) -> str:
    """``page_html`` with tags, comments, code, scripts and headings blanked out (same length,
    so offsets still point into the HTML).

    >>> visible_text('<p>a <code>32</code> 17.2 ms</p>')
    '   a           17.2 ms    '
    """
    return _HIDDEN.sub(lambda m: " " * len(m.group(0)), page_html)


def _pattern(text: str) -> re.Pattern[str]:
    escaped = re.escape(html_lib.escape(text, quote=False))
    return re.compile(rf"(?<![0-9A-Za-z.,]){escaped}(?![0-9]|[.,][0-9])")


def _match_block(
    block: Sequence[Record], text: str, start: int, stop: int, taken: set[int]
) -> list[tuple[int, Record]]:
    """First unclaimed occurrence of each record's text in ``text[start:stop]``."""
    found: list[tuple[int, Record]] = []
    claimed: set[int] = set()
    for r in block:
        for m in _pattern(r.text).finditer(text, start, stop):
            if m.start() not in taken and m.start() not in claimed:
                claimed.add(m.start())
                found.append((m.start(), r))
                break
    return found


def locate(page: str, records: Sequence[Record], page_html: str) -> list[Entry]:
    """Turn one page's records into entries, labelling formatted numbers by where they show.

    Cited records are labelled by their key. Formatted records are grouped by answer block;
    the page's ``EXEC_MARKER`` comments split it into regions, one per block, in page order
    (the order blocks run in). Each block takes the first region at or after the previous
    block's in which all its texts occur (else the one where most occur); each text takes its
    first unclaimed occurrence there. A text that occurs nowhere is not shown: it is dropped.
    Without markers the whole page is one region.

    >>> recs = [Record(32, "", "32", key="q2.batch"),
    ...         Record(0.0172, "s", "17.2 ms", block="b1"), Record(7, "", "7", block="b1"),
    ...         Record(0.5, "", "0.5", block="b1"), Record(7, "", "7", block="b2")]
    >>> html = ('<h2 id="q2">问题 2</h2><p>批次 32，7 张</p>' + EXEC_MARKER + '<p>每步 17.2 ms，7 张</p>'
    ...         + '<h2 id="q3">问题 3</h2>' + EXEC_MARKER + '<p>又是 7 张</p>')
    >>> [(e.label, e.text) for e in locate("p.md", recs, html)]
    [('q2#1', '17.2 ms'), ('q2#2', '7'), ('q2.batch', '32'), ('q3#1', '7')]
    """
    text = visible_text(page_html)
    headings = [(m.start(), m.group(1)) for m in _HEADING.finditer(page_html)]
    marks = [m.start() for m in re.finditer(re.escape(EXEC_MARKER), page_html)]
    regions = list(zip(marks, [*marks[1:], len(text)], strict=True)) if marks else [(0, len(text))]

    entries: dict[str, Entry] = {}
    for r in records:
        if r.key is not None and r.key not in entries:
            entries[r.key] = Entry(page, r.key, r.value, r.unit, r.text)

    blocks: dict[str, list[Record]] = {}
    for r in records:
        if r.key is None:
            blocks.setdefault(r.block, []).append(r)
    found: list[tuple[int, Record]] = []
    taken: set[int] = set()
    nxt = 0
    for block in blocks.values():
        best: tuple[int, list[tuple[int, Record]]] | None = None
        for i in range(min(nxt, len(regions) - 1), len(regions)):
            got = _match_block(block, text, *regions[i], taken)
            if best is None or len(got) > len(best[1]):
                best = (i, got)
            if len(got) == len(block):
                break
        if best is None or not best[1]:
            continue
        nxt = best[0] + 1
        found += best[1]
        taken.update(pos for pos, _ in best[1])

    counts: dict[str, int] = {}
    for pos, r in sorted(found, key=lambda f: f[0]):
        anchor = next((a for p, a in reversed(headings) if p < pos), "top")
        counts[anchor] = counts.get(anchor, 0) + 1
        label = f"{anchor}#{counts[anchor]}"
        entries[label] = Entry(page, label, r.value, r.unit, r.text)
    return sorted(entries.values(), key=lambda e: e.label)


def strip_markers(page_html: str) -> str:
    r"""Remove the ``EXEC_MARKER`` comments from a rendered page.

    >>> strip_markers("<p>a</p>" + EXEC_MARKER + "\n<p>b</p>")
    '<p>a</p>\n<p>b</p>'
    """
    return page_html.replace(EXEC_MARKER, "")


# ── numbers.json ─────────────────────────────────────────────────────────────────────────


def _json_value(value: Value) -> Value:
    if isinstance(value, str):
        return value
    v = float(value)
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def to_json(entries: Iterable[Entry]) -> str:
    """Deterministic JSON for a ledger: sorted by page then label, one entry per line.

    >>> print(to_json([Entry("b.md", "x", 2.0, "", "2"), Entry("a.md", "y", 0.5, "s", "500 ms")]))
    [
    {"label": "y", "page": "a.md", "text": "500 ms", "unit": "s", "value": 0.5},
    {"label": "x", "page": "b.md", "text": "2", "unit": "", "value": 2}
    ]
    """
    rows = sorted(entries, key=lambda e: (e.page, e.label))
    lines = [
        json.dumps(
            {"label": e.label, "page": e.page, "text": e.text, "unit": e.unit, "value": _json_value(e.value)},
            ensure_ascii=False,
            sort_keys=True,
        )
        for e in rows
    ]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def from_json(text: str) -> list[Entry]:
    """Parse what :func:`to_json` wrote.

    >>> from_json('[{"label": "x", "page": "a.md", "text": "2", "unit": "", "value": 2}]')
    [Entry(page='a.md', label='x', value=2, unit='', text='2')]
    """
    return [Entry(d["page"], d["label"], d["value"], d["unit"], d["text"]) for d in json.loads(text)]


# ── Comparing two ledgers ────────────────────────────────────────────────────────────────


def _same(a: Entry, b: Entry) -> bool:
    if a.text != b.text or a.unit != b.unit:
        return False
    if isinstance(a.value, str) or isinstance(b.value, str):
        return a.value == b.value
    return math.isclose(a.value, b.value, rel_tol=1e-12, abs_tol=0.0)


def compare(old: Iterable[Entry], new: Iterable[Entry]) -> list[Drift]:
    """Every added, removed or changed number between two ledgers, sorted by page and label.

    >>> old = [Entry("a.md", "k", 1.0, "s", "1 s"), Entry("a.md", "gone", 2, "", "2")]
    >>> new = [Entry("a.md", "k", 1.1, "s", "1.1 s"), Entry("b.md", "n", 3, "", "3")]
    >>> [(d.page, d.label, d.kind) for d in compare(old, new)]
    [('a.md', 'gone', 'removed'), ('a.md', 'k', 'changed'), ('b.md', 'n', 'added')]
    >>> compare(old, old)
    []
    """
    a = {(e.page, e.label): e for e in old}
    b = {(e.page, e.label): e for e in new}
    out = []
    for k in sorted(a.keys() | b.keys()):
        x, y = a.get(k), b.get(k)
        if x is None or y is None or not _same(x, y):
            out.append(Drift(k[0], k[1], x, y))
    return out


def _change_text(d: Drift) -> str:
    if d.kind != "changed":
        return d.kind
    rel = d.relative_change
    if rel is None:
        return "text"
    return f"{rel * 100:+.3g}%"


def drift_table(drifts: Sequence[Drift], *, limit: int = 200) -> str:
    """A plain-text table of drifts (page, label, old, new, relative change).

    >>> d = compare([Entry("a.md", "q3.step.8", 0.0172, "s", "17.2 ms")],
    ...             [Entry("a.md", "q3.step.8", 0.0159, "s", "15.9 ms")])
    >>> print(drift_table(d))
    page  label      old      new      change
    ----  ---------  -------  -------  ------
    a.md  q3.step.8  17.2 ms  15.9 ms  -7.56%
    """
    rows = [("page", "label", "old", "new", "change")]
    for d in drifts[:limit]:
        old = d.old.text if d.old else "—"
        new = d.new.text if d.new else "—"
        rows.append((d.page, d.label, old, new, _change_text(d)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if len(drifts) > limit:
        lines.append(f"... and {len(drifts) - limit} more")
    return "\n".join(lines)


def summary(drifts: Sequence[Drift]) -> str:
    """One line: how many numbers changed, were added or removed, on how many pages.

    >>> summary([])
    'no differences'
    """
    if not drifts:
        return "no differences"
    kinds = {k: sum(d.kind == k for d in drifts) for k in ("changed", "added", "removed")}
    pages = len({d.page for d in drifts})
    parts = ", ".join(f"{n} {k}" for k, n in kinds.items() if n)
    return f"{parts} on {pages} page{'s' if pages != 1 else ''}"
