"""Errata of the printed chapter: every number it prints, checked against servingmath.

The registry is data (``servingmath/book/data/errata.json``): one entry per number printed in
the Chinese seed chapter's answers, tables and relevant statements, with the printed text,
its value in base units (bytes, seconds, FLOP/s, $) and precision, the registry key of our
computed value, a reviewed ``status`` (``agrees`` / ``erratum``) and, for errata, a
category and a one-line reason. ``printed_en`` records where the English original prints a
different number.

A stored status is a reviewed judgement: :func:`status_of` recomputes it, and the tests fail
when the two disagree (a constant or formula changed the verdict), until a person edits the
entry. Reasons are templates: ``{{ key }}`` in a reason is filled in with the registry's
formatted text, so no computed number in an explanation is typed by hand.

>>> e = entry("q2.kv_bytes")
>>> e.printed, computed(e).text, e.status, e.category
('41.9GB', '42.9 GB', 'erratum', '单位混用')
>>> status_of(e)
'erratum'
>>> agrees(1.3e12, 1.2885e12, sig=2)
True
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass
from importlib import resources

from servingmath.book import ledger
from servingmath.book.chapter import CHIP, DTYPES, MODEL, Q5, Q9, Q10
from servingmath.book.shown import Shown, shown
from servingmath.dtypes import BF16, INT8
from servingmath.errors import InvalidInputError, unknown
from servingmath.memory import kv_bytes_per_token
from servingmath.units import fmt

CATEGORIES: tuple[str, ...] = (
    "中间结果取整",
    "常数不一致",
    "算术错误",
    "单位混用",
    "公式错误",
    "模型假设不同",
)
STATUSES: tuple[str, ...] = ("agrees", "erratum")
PAGE = "errata.md"
# errata notes are injected into docs/chapter/*.md, one directory below docs/
NOTE_LINK = f"../{PAGE}"
_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")


@dataclass(frozen=True)
class Section:
    """A question (``q1``..``q12``) or a part of the chapter (``model``, ``hardware``)."""

    id: str
    title: str

    @property
    def anchor(self) -> str:
        """The heading anchor on the errata page, e.g. ``errata-q2``."""
        return f"errata-{self.id}"


@dataclass(frozen=True)
class Erratum:
    """One printed number and its check against our computed value."""

    id: str
    question: str
    what: str
    printed: str  # exactly as in the seed (TeX where the seed prints a formula)
    printed_value: float | None  # base units; None for slice names and formulas
    sig: int  # significant digits as printed
    key: str  # registry key (or an ``errata.*`` computation) of our value
    status: str
    approx: bool = False  # printed as "约/~/将近": agreement within one unit of the last digit
    printed_formula: str | None = None  # for a printed formula: the computation that evaluates it
    category: str | None = None
    reason: str | None = None
    printed_en: str | None = None
    reason_en: str | None = None

    @property
    def is_tex(self) -> bool:
        """Whether ``printed`` is TeX (the seed printed it inside a formula)."""
        return "\\" in self.printed


@dataclass(frozen=True)
class Errata:
    sections: tuple[Section, ...]
    entries: tuple[Erratum, ...]


def _check_entry(e: Erratum, sections: set[str]) -> None:
    where = f"errata entry {e.id!r}"
    if e.question not in sections:
        raise InvalidInputError("question", f"{where}: question {e.question!r} is not a section")
    if e.status not in STATUSES:
        raise InvalidInputError("status", f"{where}: status must be one of {STATUSES}, got {e.status!r}")
    if e.status == "erratum" and (e.category not in CATEGORIES or not e.reason):
        raise InvalidInputError(
            "category", f"{where}: an erratum needs a category in {CATEGORIES} and a reason"
        )
    if e.status == "agrees" and (e.category or e.reason):
        raise InvalidInputError("category", f"{where}: an agreeing entry has no category or reason")
    if e.sig < 0 or (e.printed_value is not None and e.sig < 1):
        raise InvalidInputError("sig", f"{where}: sig must be >= 1 for a number, got {e.sig}")


def parse(text: str) -> Errata:
    """Read and validate errata data (the JSON format of ``servingmath/book/data/errata.json``).

    >>> parse('{"sections": [{"id": "q1", "title": "问题"}], "entries": []}').sections[0].anchor
    'errata-q1'
    >>> parse('{"sections": [], "entries": [{"id": "x", "question": "q9", "what": "", "printed": "1",'
    ...       ' "printed_value": 1, "sig": 1, "key": "k", "status": "agrees"}]}')
    Traceback (most recent call last):
    ...
    servingmath.errors.InvalidInputError: errata entry 'x': question 'q9' is not a section
    """
    data = json.loads(text)
    sections = tuple(Section(**s) for s in data["sections"])
    entries = tuple(Erratum(**e) for e in data["entries"])
    ids = [e.id for e in entries]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InvalidInputError("id", f"errata ids must be unique, repeated: {', '.join(dupes)}")
    names = {s.id for s in sections}
    for e in entries:
        _check_entry(e, names)
    return Errata(sections, entries)


@functools.cache
def load() -> Errata:
    """The errata registry shipped with servingmath (read once per import).

    >>> len(load().entries) > 100
    True
    """
    text = resources.files("servingmath.book").joinpath("data/errata.json").read_text(encoding="utf-8")
    return parse(text)


def entry(entry_id: str) -> Erratum:
    """One entry by id.

    >>> entry("q11.steps_per_completion").printed
    '125'
    """
    for e in load().entries:
        if e.id == entry_id:
            return e
    raise unknown("errata entry", entry_id, [*(e.id for e in load().entries[:5]), "..."])


def section(question: str) -> Section:
    """The section ``question`` (``q2``, ``hardware``...); unknown ids raise, naming the known ones.

    >>> section("q2").title
    '问题 2：最小需要多少卡？'
    """
    for s in load().sections:
        if s.id == question:
            return s
    raise unknown("question", question, [s.id for s in load().sections])


def calc_values() -> dict[str, Shown]:
    """Values the errata need that no page shows by name (``errata.*`` keys).

    >>> v = calc_values()
    >>> v["errata.q4_printed_formula"].text, v["errata.q9_formula_const"].text
    ('481', '4.55')
    """
    c_over_w = CHIP.bf16_flops / CHIP.hbm_bw
    # the chapter's B_crit formula as printed: (C / W_hbm) / (bytes per weight / bytes per activation)
    printed_formula = c_over_w / (INT8.bytes / BF16.bytes)
    # T_ici < T_hbm  <=>  Y < F w n W_ici / (a B W_hbm) = F / (k B) with k = a W_hbm / (w n W_ici)
    const = BF16.bytes * CHIP.hbm_bw / (BF16.bytes * Q9.n_axes * CHIP.ici_bw)
    out = [
        shown("errata.q4_printed_formula", printed_formula),
        shown("errata.q9_formula_const", const),
        shown("errata.q5_seq_k", Q5.seq / 1024, "k"),
        shown("errata.q12_seq_k", Q10.tokens / 1024, "k"),
    ]
    for d in DTYPES:
        per_token = kv_bytes_per_token(MODEL, d)
        out += [
            shown(f"errata.q5.{d.name}.kv_bytes", per_token, sig=6),
            shown(f"errata.q5.{d.name}.kv_si", per_token, "B", sig=5),
        ]
    return {s.key: s for s in out}


def values() -> dict[str, Shown]:
    """The registry (``servingmath.book.registry.all_values``) plus :func:`calc_values`."""
    from servingmath.book.registry import all_values

    return {**all_values(), **calc_values()}


def computed(e: Erratum, vals: dict[str, Shown] | None = None) -> Shown:
    """Our value for entry ``e``.

    >>> computed(entry("q3.tps.8")).text
    '1,856 token/s'
    """
    vals = values() if vals is None else vals
    if e.key not in vals:
        raise InvalidInputError("key", f"errata entry {e.id!r}: {e.key!r} is not a registry value")
    return vals[e.key]


def printed_number(e: Erratum, vals: dict[str, Shown] | None = None) -> float | None:
    """What the chapter prints, in base units; for a printed formula, what the formula gives.

    >>> printed_number(entry("q2.kv_bytes"))
    41900000000.0
    >>> printed_number(entry("q4.formula")) > 480
    True
    """
    if e.printed_formula is not None:
        vals = values() if vals is None else vals
        return float(vals[e.printed_formula].value)  # type: ignore[arg-type]
    return None if e.printed_value is None else float(e.printed_value)


def agrees(printed: float, value: float, sig: int, approx: bool = False) -> bool:
    """Whether ``value`` rounds to ``printed`` at ``sig`` significant digits (``approx``:
    within one unit of the last printed digit, for numbers printed as "约 ...").

    >>> agrees(240, 240.54, sig=3), agrees(120, 120.27, sig=3), agrees(1, 0.91, sig=1, approx=True)
    (False, True, True)
    >>> agrees(2200, 2188.9, sig=2), agrees(5.3e9, 5.37e9, sig=2)
    (True, False)
    """
    if printed == 0:
        return value == 0
    ulp = 10.0 ** (math.floor(math.log10(abs(printed))) - sig + 1)
    tol = ulp if approx else ulp / 2
    return abs(value - printed) <= tol * (1 + 1e-9)


def _slice_dims(text: str) -> list[int]:
    return sorted(int(x) for x in re.split(r"[×x]", text))


def status_of(e: Erratum, vals: dict[str, Shown] | None = None) -> str:
    """The status recomputed from today's numbers (compare with the stored ``e.status``).

    Slice names agree when they name the same slice (``2×4`` is ``4x2``).

    >>> status_of(entry("q8.int4.slice")), status_of(entry("q4.formula"))
    ('agrees', 'erratum')
    """
    vals = values() if vals is None else vals
    ours = computed(e, vals).value
    p = printed_number(e, vals)
    if p is None:
        ok = _slice_dims(e.printed) == _slice_dims(str(ours))
    else:
        ok = agrees(p, float(ours), e.sig, e.approx)  # type: ignore[arg-type]
    return "agrees" if ok else "erratum"


def relative_difference(e: Erratum, vals: dict[str, Shown] | None = None) -> float | None:
    """``ours / printed - 1``, or ``None`` for slice names.

    >>> round(relative_difference(entry("q2.kv_bytes")), 4)
    0.0251
    """
    vals = values() if vals is None else vals
    p = printed_number(e, vals)
    ours = computed(e, vals).value
    if p is None or isinstance(ours, str) or p == 0:
        return None
    return float(ours) / p - 1


def render(template: str, vals: dict[str, Shown] | None = None) -> str:
    """Fill ``{{ key }}`` in a reason with registry text (and record it in an active ledger).

    >>> render("每步 {{ q3.step.8 }}")
    '每步 17.2 ms'
    """
    vals = values() if vals is None else vals

    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in vals:
            raise InvalidInputError("key", f"errata reason cites {key!r}, which is not a registry value")
        s = vals[key]
        ledger.cite(key, s.value, s.unit, s.text)
        return s.text

    return _TEMPLATE.sub(one, template)


def _printed_md(e: Erratum) -> str:
    return f"\\({e.printed}\\)" if e.is_tex else e.printed


def _ours_md(e: Erratum, vals: dict[str, Shown]) -> str:
    s = computed(e, vals)
    ledger.cite(e.key, s.value, s.unit, s.text)
    return s.text


def _difference_md(e: Erratum, vals: dict[str, Shown]) -> str:
    rel = relative_difference(e, vals)
    if rel is None:
        return "—"
    if abs(rel) < 5e-4:
        return "0"
    return ("+" if rel > 0 else "−") + fmt(abs(rel) * 100, "%", sig=2)


def _reason_md(e: Erratum, vals: dict[str, Shown]) -> str:
    text = "一致" if e.status == "agrees" else f"**{e.category}**：{render(e.reason or '', vals)}"
    if e.printed_en:
        text += f"<br>英文原版印作 {e.printed_en}" + (f"：{render(e.reason_en, vals)}" if e.reason_en else "")
    return text


def _en_md(e: Erratum) -> str:
    return e.printed_en or ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def note_markdown(question: str) -> str:
    """An admonition listing the errata of ``question``'s answer, or ``""`` if it has none.

    Used as ``{{ errata:q2 }}`` at the end of an answer on a page in ``docs/chapter/``.

    >>> note = note_markdown("q11").splitlines()
    >>> note[0], note[-1]
    ('!!! warning "勘误"', '    [全部勘误与对照](../errata.md#errata-q11)')
    >>> print(note[2])
        - **多少步完成一个请求**：原文印作 125，按本站计算为 128（中间结果取整：...）。
    >>> note_markdown("q10")
    ''
    """
    sec = section(question)
    vals = values()
    lines = []
    seen: set[tuple[str, str]] = set()
    for e in load().entries:
        if e.question != question or e.status != "erratum" or (e.printed, e.key) in seen:
            continue
        seen.add((e.printed, e.key))
        reason = render(e.reason or "", vals)
        lines.append(
            f"    - **{e.what}**：原文印作 {_printed_md(e)}，按本站计算为 {_ours_md(e, vals)}"
            f"（{e.category}：{reason}）。"
        )
    if not lines:
        return ""
    link = f"    [全部勘误与对照]({NOTE_LINK}#{sec.anchor})"
    return "\n".join(['!!! warning "勘误"', "", *lines, "", link])


def summary_markdown() -> str:
    """How many printed numbers were checked, how many agree, and the errata by category.

    >>> summary_markdown().splitlines()[2]
    '| 原因类别 | 处数 |'
    """
    data = load()
    errata = [e for e in data.entries if e.status == "erratum"]
    by_cat = {c: sum(e.category == c for e in errata) for c in CATEGORIES}
    return "\n".join(
        [
            f"中文稿的答案、表格和题干里一共核对了 **{fmt(len(data.entries))}** 个数字："
            f"**{fmt(len(data.entries) - len(errata))}** 个与本站计算一致，"
            f"**{fmt(len(errata))}** 个是勘误。",
            "",
            "| 原因类别 | 处数 |",
            "|:--|--:|",
            *(f"| {c} | {fmt(n)} |" for c, n in by_cat.items() if n),
        ]
    )


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _reflow(lines: list[str]) -> str:
    """A Markdown table wrapped so that, on a narrow screen, each row shows as a card: the
    site's ``hooks/a11y.py`` labels the cells with their column headers, ``a11y.css`` lays
    them out.

    >>> print(_reflow(["| a |", "|:--|", "| 1 |"]))
    <div class="sm-reflow" markdown>
    <BLANKLINE>
    | a |
    |:--|
    | 1 |
    <BLANKLINE>
    </div>
    """
    return "\n".join(['<div class="sm-reflow" markdown>', "", *lines, "", "</div>"])


def list_markdown() -> str:
    """One table of every erratum: question (linked to its section), printed, ours, difference,
    and the reason (with what the English original prints, where it differs).

    >>> row = next(r for r in list_markdown().splitlines() if "41.9GB" in r)
    >>> row.split(" | ")[:4]
    ['| [问题 2](#errata-q2)', '41.9GB', '42.9 GB', '+2.5 %']
    """
    data = load()
    vals = values()
    titles = {s.id: s for s in data.sections}
    out = ["| 问题 | 原文 | 本站计算 | 差异 | 原因（含英文原版） |", "|:--|--:|--:|--:|:--|"]
    for e in data.entries:
        if e.status != "erratum":
            continue
        sec = titles[e.question]
        label = sec.title.split("：")[0]
        out.append(
            _row(
                [
                    f"[{label}](#{sec.anchor})",
                    _printed_md(e),
                    _ours_md(e, vals),
                    _difference_md(e, vals),
                    _reason_md(e, vals),
                ]
            )
        )
    return _reflow(out)


def section_markdown(question: str) -> str:
    """The table of every checked number in one section (errata and agreements).

    The section's heading, with its ``{ #errata-qN }`` anchor, is written in docs/errata.md:
    MkDocs validates links to anchors only when the heading is in the page's own Markdown.

    >>> print(section_markdown("q11").splitlines()[6])
    | 每步完成的请求 | 0.008 | 0.0078 | −2.3 % | 一致 |
    """
    section(question)
    vals = values()
    rows = [e for e in load().entries if e.question == question]
    has_en = any(e.printed_en for e in rows)
    out = [
        "| 内容 | 原文 | 本站计算 | 差异 | 结论 |" + (" 英文原版 |" if has_en else ""),
        "|:--|--:|--:|--:|:--|" + (":--|" if has_en else ""),
    ]
    for e in rows:
        cells = [e.what, _printed_md(e), _ours_md(e, vals), _difference_md(e, vals), _reason_md(e, vals)]
        out.append(_row(cells + ([_en_md(e)] if has_en else [])))
    return _reflow(out)


# ── Numbers in printed text (for checking the seed against the registry) ────────────────

_NOT_QUANTITIES = re.compile(r"LLaMA\s*\d+(?:-\d+)?B|\d+-\d+B|第\s*\d+\s*(?:章|部分|节)|问题\s*\d+")
_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_.,^])(?:"
    r"(?P<slice>\d+[×x]\d+)(?![0-9.])"
    r"|(?P<tex>\d+(?:\.\d+)?)\s*(?:\\times|×)\s*10\^\{?(?P<texexp>\d+)\}?"
    r"|(?P<sci>\d+(?:\.\d+)?e\d+)"
    r"|(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<k>k(?![A-Za-z]))?"
    r")"
)


def number_tokens(text: str) -> list[str]:
    """The numbers in ``text``, normalised (``8,192`` -> ``8192``, ``8.1 \\times 10^{11}`` ->
    ``810000000000``, ``4×2`` -> ``4x2``, ``32k`` kept); names such as int8, v5e, LLaMA 3-70B,
    第7章 and 问题 3 are not numbers.

    >>> number_tokens(r"LLaMA 3-70B 在 4×2 上：160KB × 8,192 = 41.9GB，\\(8.1 \\times 10^{11}\\)，int8，32k")
    ['4x2', '160', '8192', '41.9', '810000000000', '32k']
    """
    text = _NOT_QUANTITIES.sub(" ", text)
    out = []
    for m in _TOKEN.finditer(text):
        if m["slice"]:
            out.append(m["slice"].replace("×", "x"))
        elif m["tex"]:
            out.append(format(float(f"{m['tex']}e{m['texexp']}"), ".12g"))
        elif m["sci"]:
            out.append(format(float(m["sci"]), ".12g"))
        else:
            out.append(format(float(m["num"].replace(",", "")), ".12g") + (m["k"] or ""))
    return out


def significant_digits(token: str) -> str:
    """The significant digits of a number token, without leading or trailing zeros.

    >>> significant_digits("0.008"), significant_digits("1.97e+14"), significant_digits("160")
    ('8', '197', '16')
    """
    mantissa = token.split("e")[0]
    return re.sub(r"\D", "", mantissa).strip("0")


def value_digits(value: float, sig: int) -> str:
    """The first ``sig`` significant digits of ``value``, without trailing zeros.

    >>> value_digits(41.9e9, 3), value_digits(0.008, 1)
    ('419', '8')
    """
    return f"{abs(value):.{sig - 1}e}".split("e")[0].replace(".", "").rstrip("0")
