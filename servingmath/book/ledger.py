"""The numbers ledger: every number a page shows, recorded while the site builds.

The drift guard compares the ledger of a fresh build (``site/numbers.json``) with a
reviewed golden copy (``tests/golden/numbers.json``), so a change to a chip constant or a
formula shows up as a readable list of the numbers it moved, under both constant sets.

Two kinds of entries, both recorded by the site's hooks (the library's formatter knows
nothing about the site):

* **cited** values: a ``{{ key }}`` placeholder (or an errata note) names a registry value;
  ``hooks/placeholders.py`` records it under each constant set it is shown in. Its label is
  the key (``q2.kv_bytes``, ``q2.kv_bytes|tex`` for the TeX form), with ``@spec`` for the
  vendor-constant variant.
* **printed** numbers: the output of an answer block. ``hooks/number_ledger.py`` marks where
  each block's output begins and ends (:func:`mark_exec_blocks`); after the page is rendered,
  every number in the visible output text is an entry labelled by the anchor of the nearest
  heading above it and its ordinal within that section (``q2-min-chips#3``), so edits elsewhere
  on the page do not rename it; ``@spec`` again marks the vendor-constant copy of a block.

>>> led = Ledger()
>>> cite(led, "q2.batch", 32, "", "32", constants="both")
>>> [(r.label, r.text) for r in led.records]
[('q2.batch', '32')]
"""

from __future__ import annotations

import bisect
import html as html_lib
import json
import math
import re
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

Value = float | str
SPEC_SUFFIX = "@spec"


@dataclass(frozen=True)
class Record:
    """One cited value as a page shows it."""

    label: str
    value: Value
    unit: str
    text: str


@dataclass(frozen=True)
class Ledger:
    """The cited values of one page, in the order they were cited."""

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
    """The ledger of the page being built, if any (set by ``hooks/number_ledger.py``).

    >>> active() is None
    True
    """
    return _ACTIVE.get()


def activate() -> Ledger:
    """Start a fresh ledger for one page (until :func:`deactivate`); return it.

    >>> led = activate(); deactivate() is led
    True
    """
    led = Ledger()
    _ACTIVE.set(led)
    return led


def deactivate() -> Ledger | None:
    """Stop recording; return the ledger that was active (``None`` if none was)."""
    led = _ACTIVE.get()
    _ACTIVE.set(None)
    return led


def label_for(label: str, constants: str) -> str:
    """The ledger label of a number shown under ``constants`` (``book``, ``spec`` or ``both``).

    >>> label_for("q3.step.8", "book"), label_for("q3.step.8", "spec"), label_for("q1#2", "both")
    ('q3.step.8', 'q3.step.8@spec', 'q1#2')
    """
    return label + SPEC_SUFFIX if constants == "spec" else label


def cite(ledger: Ledger | None, key: str, value: Value, unit: str, text: str, *, constants: str) -> None:
    """Record that the page shows registry value ``key`` as ``text`` (no-op without a ledger)."""
    if ledger is None:
        return
    ledger.records.append(Record(label_for(key, constants), value, unit, text))


# ── Answer-block output in the rendered page ─────────────────────────────────────────────

EXEC_START = "<!-- servingmath:exec {} -->"
EXEC_END = "<!-- servingmath:exec-end -->"
_MARKERS = re.compile(r"<!-- servingmath:exec (book|spec|both) -->(.*?)<!-- servingmath:exec-end -->", re.S)
_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})(.*)$")
_EXEC_ON = re.compile(r"""\bexec\s*=\s*["']?(?:on|1|true|yes)\b""", re.I)
_SESSION_SET = re.compile(r"""\bsession\s*=\s*["']?[\w.-]*?-(book|spec)["'\s]""")
_HIDDEN = re.compile(r"<(pre|code|script|style|h[1-6])\b[^>]*>.*?</\1\s*>|<!--.*?-->|<[^>]+>", re.S | re.I)
_HEADING = re.compile(r"<h[1-6]\b[^>]*\bid=\"([^\"]+)\"", re.I)
# A number as servingmath.units.fmt prints it, with its unit: 17.2 ms, 1,856, 5.9e17 FLOPs/$,
# 160 KiB, 4x2, 29.6 %.
_NUMBER = re.compile(
    r"(?<![\w.,])(?:\d+x\d+(?:x\d+)?|\$?\d{1,3}(?:,\d{3})+(?:\.\d+)?|\$?\d+(?:\.\d+)?(?:e[+-]?\d+)?)"
    r"(?:\s?(?:[kKMGT]i?B/s|[kKMGT]i?B|B/s|B|[mμn]?s|%|FLOP/s|FLOPs/\$|FLOPs|OP/s|token/s/chip|tokens?/s|倍))?"
    r"(?![\w.])"
)


def mark_exec_blocks(markdown: str) -> str:
    r"""Put HTML comments around every executed code fence (``exec="on"``), at the fence's
    indentation, so the rendered page shows where each answer block's output begins and ends
    and under which constant set it ran (a session named ``…-book`` or ``…-spec``; else both).
    Fences inside other fences (examples of answer blocks) are left alone.

    >>> md = 'text\n\n    ```python exec="on" session="p-spec"\n    print(1)\n    ```\n'
    >>> md += '````md\n```python exec="on"\n```\n````'
    >>> print(mark_exec_blocks(md))
    text
    <BLANKLINE>
        <!-- servingmath:exec spec -->
    <BLANKLINE>
        ```python exec="on" session="p-spec"
        print(1)
        ```
    <BLANKLINE>
        <!-- servingmath:exec-end -->
    <BLANKLINE>
    ````md
    ```python exec="on"
    ```
    ````
    """
    out: list[str] = []
    fence: tuple[str, int, str] | None = None  # (mark, length, indent) of an exec fence; "" indent if not
    inside: tuple[str, int] | None = None
    for line in markdown.split("\n"):
        m = _FENCE.match(line)
        if inside is None and m:
            indent, marks, info = m.groups()
            inside = (marks[0], len(marks))
            if _EXEC_ON.search(info):
                s = _SESSION_SET.search(info + " ")
                if out and out[-1].strip():
                    out.append("")
                out += [indent + EXEC_START.format(s.group(1) if s else "both"), ""]
                fence = (marks[0], len(marks), indent)
            out.append(line)
            continue
        out.append(line)
        closes = inside is not None and m and m.group(2)[0] == inside[0] and len(m.group(2)) >= inside[1]
        if closes and not m.group(3).strip():  # type: ignore[union-attr]
            inside = None
            if fence is not None:
                out += ["", fence[2] + EXEC_END, ""]
                fence = None
    return "\n".join(out)


def visible_text(page_html: str) -> str:
    """``page_html`` with tags, comments, code, scripts and headings blanked out (same length,
    so offsets still point into the HTML).

    >>> visible_text('<p>a <code>32</code> 17.2 ms</p>')
    '   a           17.2 ms    '
    """
    return _HIDDEN.sub(lambda m: " " * len(m.group(0)), page_html)


def _value(token: str) -> tuple[Value, str]:
    m = re.match(r"\$?([\d,]+(?:\.\d+)?(?:e[+-]?\d+)?)(?:\s?(.*))?$", token)
    if m is None or "x" in token.split(" ")[0]:
        return token, ""
    number = float(m.group(1).replace(",", ""))
    unit = (m.group(2) or "") + ("$" if token.startswith("$") else "")
    return number, unit


def printed_numbers(page: str, page_html: str) -> list[Entry]:
    """Every number in the visible output of the page's answer blocks, labelled by the nearest
    heading above it, its ordinal there, and the constant set of its block.

    >>> html = ('<h2 id="q2">问题 2</h2>' + EXEC_START.format("book") + '<pre><code>b = 32</code></pre>'
    ...         '<p>批次 32，<strong>17.4 ms</strong>，拓扑 4x2</p>' + EXEC_END + '<p>正文 99</p>'
    ...         + EXEC_START.format("spec") + '<p>批次 32，17.2 ms</p>' + EXEC_END)
    >>> [(e.label, e.text, e.value, e.unit) for e in printed_numbers("p.md", html)]
    [('q2#1', '32', 32.0, ''), ('q2#1@spec', '32', 32.0, ''), ('q2#2', '17.4 ms', 17.4, 'ms'),
     ('q2#2@spec', '17.2 ms', 17.2, 'ms'), ('q2#3', '4x2', '4x2', '')]
    """
    text = visible_text(page_html)
    headings = [(m.start(), m.group(1)) for m in _HEADING.finditer(page_html)]
    starts = [p for p, _ in headings]
    counts: dict[tuple[str, str], int] = {}
    entries: list[Entry] = []
    for block in _MARKERS.finditer(page_html):
        constants = block.group(1)
        for m in _NUMBER.finditer(text, block.start(2), block.end(2)):
            above = bisect.bisect_left(starts, m.start())  # headings that start before the number
            anchor = headings[above - 1][1] if above else "top"
            n = counts[anchor, constants] = counts.get((anchor, constants), 0) + 1
            token = html_lib.unescape(m.group(0))
            value, unit = _value(token)
            entries.append(Entry(page, label_for(f"{anchor}#{n}", constants), value, unit, token))
    return sorted(entries, key=lambda e: e.label)


def cite_text(ledger: Ledger | None, label: str, text: str, *, constants: str) -> None:
    """Record every number in a generated Markdown snippet (an errata note) as ``label#n``.

    >>> led = Ledger()
    >>> cite_text(led, "errata:q2", "原文印作 7，应为 **8**（112 GB）", constants="book")
    >>> [(r.label, r.text) for r in led.records]
    [('errata:q2#1', '7'), ('errata:q2#2', '8'), ('errata:q2#3', '112 GB')]
    """
    if ledger is None:
        return
    plain = re.sub(r"<[^>]+>|\\\(.*?\\\)|\(\.\./[^)]*\)|\]\([^)]*\)", " ", text)
    for n, m in enumerate(_NUMBER.finditer(plain), start=1):
        value, unit = _value(m.group(0))
        ledger.records.append(Record(label_for(f"{label}#{n}", constants), value, unit, m.group(0)))


def page_entries(page: str, led: Ledger, page_html: str) -> list[Entry]:
    """The page's cited values (first citation of each label) and printed numbers.

    >>> led = Ledger([Record("q2.batch", 32, "", "32"), Record("q2.batch", 32, "", "32")])
    >>> [e.label for e in page_entries("p.md", led, "<p>no blocks</p>")]
    ['q2.batch']
    """
    entries: dict[str, Entry] = {}
    for r in led.records:
        entries.setdefault(r.label, Entry(page, r.label, r.value, r.unit, r.text))
    for e in printed_numbers(page, page_html):
        entries[e.label] = e
    return sorted(entries.values(), key=lambda e: e.label)


def strip_markers(page_html: str) -> str:
    r"""Remove the exec markers from a rendered page.

    >>> strip_markers("<p>a</p>" + EXEC_START.format("both") + "\n<p>b</p>" + EXEC_END)
    '<p>a</p>\n<p>b</p>'
    """
    return re.sub(r"<!-- servingmath:exec(?: (?:book|spec|both)|-end) -->", "", page_html)


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
