"""Errata of the printed chapter: every number it prints, checked against servingmath.

The registry is data (``servingmath/book/data/errata.json``): one entry per number printed in
the Chinese seed chapter's answers, tables and relevant statements, with the printed text,
its value in base units (bytes, seconds, FLOP/s, $) and precision, the registry key of our
computed value, and a reviewed ``status``:

* ``agrees``: the printed number is right under the chapter's own constants (``book``).
* ``inconsistency``: wrong under ``book`` but right under the chapter's *other* figure for
  the same constant (it uses 8.1e11 and 8.2e11 B/s for the v5e HBM bandwidth): not a mistake
  of arithmetic, recorded apart from the errata.
* ``erratum``: wrong under the chapter's own constants, with a ``category`` (arithmetic slip,
  reuse of a rounded intermediate, unit or notation slip, formula error, contradiction with
  its own premises) and a one-line reason.

A different, more exact vendor constant (``spec``) never makes an erratum: those differences
are listed apart (:func:`constant_differences`). ``printed_en`` records where the English
original prints a different number; ``note`` adds a remark to any entry.

**Agreement rule**, the same for every entry (:func:`agrees`): a printed number agrees when
our value, rounded *or truncated* to the printed precision, gives the printed digits (the
chapter writes back-of-the-envelope figures and often truncates, e.g. 19.5 ms as "19ms");
a number printed as approximate ("约", "~", "将近") agrees within 10 %. Slice names agree
when they name the same slice.

A stored status is a reviewed judgement: :func:`status_of` recomputes it, and the tests fail
when the two disagree (a constant or formula changed the verdict), until a person edits the
entry. Reasons are templates: ``{{ key }}`` in a reason is filled in with the registry's
formatted text (``book``), so no computed number in an explanation is typed by hand.

>>> e = entry("q2.kv_bytes")
>>> e.printed, computed(e).text, e.status, e.category
('41.9GB', '42.9 GB', 'erratum', '单位混用')
>>> status_of(e)
'erratum'
>>> status_of(entry("q6.hbm_bw")), status_of(entry("q5.bf16.max_batch"))
('inconsistency', 'agrees')
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from dataclasses import dataclass
from importlib import resources

from servingmath.book.chapter import (
    APPROX_TOLERANCE,
    BOOK_ALTERNATIVE_HBM_BW,
    CHIP_KEY,
    DTYPES,
    HARDWARE,
    MODEL,
    Q5,
    Q9,
    Q10,
    alternative_chip,
    chapter_chip,
    hardware_row,
    values_for,
)
from servingmath.book.shown import Shown, shown
from servingmath.chips import CONSTANT_LABELS, Chip, get_chip
from servingmath.dtypes import BF16, INT8
from servingmath.errors import InvalidInputError, unknown
from servingmath.memory import kv_bytes_per_token
from servingmath.units import fmt

# The classes of a real mistake (wrong under the chapter's own constants).
CATEGORIES: tuple[str, ...] = (
    "算术错误",  # arithmetic slip
    "中间结果取整",  # reuse of a rounded intermediate
    "单位混用",  # unit or notation slip that changes a later number
    "公式错误",  # formula error
    "与前提矛盾",  # contradicts the chapter's own premises
)
STATUSES: tuple[str, ...] = ("agrees", "inconsistency", "erratum")
STATUS_LABELS = {"agrees": "一致", "inconsistency": "章内常数不一致", "erratum": "勘误"}

PAGE = "errata.md"
# An erratum is a printed number that is wrong under the chapter's own constants.
JUDGED_UNDER = "book"
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
    approx: bool = False  # printed as "约/~/将近": agreement within APPROX_TOLERANCE
    printed_formula: str | None = None  # for a printed formula: the computation that evaluates it
    category: str | None = None
    reason: str | None = None
    printed_en: str | None = None
    reason_en: str | None = None
    note: str | None = None  # a remark on any entry (a premise, an approximation the book states)
    kb_is_kib: bool = False  # the printed "KB" means KiB here (printed_value is the number x 1024)

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
    if e.status != "erratum" and (e.category or e.reason):
        raise InvalidInputError("category", f"{where}: only an erratum has a category and a reason")
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


def calc_values(chip: Chip | None = None) -> dict[str, Shown]:
    """Values the errata need that no page shows by name (``errata.*`` keys), for the
    chapter's chip (``book`` unless given).

    >>> v = calc_values()
    >>> v["errata.q4_printed_formula"].text, v["errata.q9_formula_const"].text
    ('486', '4.5')
    """
    chip = chapter_chip(JUDGED_UNDER) if chip is None else chip
    c_over_w = chip.bf16_flops / chip.hbm_bw
    # the chapter's B_crit formula as printed: (C / W_hbm) / (bytes per weight / bytes per activation)
    printed_formula = c_over_w / (INT8.bytes / BF16.bytes)
    # T_ici < T_hbm  <=>  Y < F w n W_ici / (a B W_hbm) = F / (k B) with k = a W_hbm / (w n W_ici)
    const = BF16.bytes * chip.hbm_bw / (BF16.bytes * Q9.n_axes * chip.ici_bw)
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
    """The registry under ``book`` (``servingmath.book.registry.all_values``) plus :func:`calc_values`."""
    from servingmath.book.registry import all_values

    return {**all_values(JUDGED_UNDER), **calc_values()}


@functools.cache
def alternative_values() -> dict[str, Shown]:
    """The chapter's values with its other HBM bandwidth
    (:data:`~servingmath.book.chapter.BOOK_ALTERNATIVE_HBM_BW`).

    >>> alternative_values()["q4.bcrit.bf16.bf16"].text
    '240'
    """
    chip = alternative_chip()
    return {**values_for(chip), **calc_values(chip)}


def computed(e: Erratum, vals: dict[str, Shown] | None = None) -> Shown:
    """Our value for entry ``e``.

    >>> computed(entry("q3.tps.8")).text
    '1,836 token/s'
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
    """The agreement rule: ``value`` rounded or truncated to ``sig`` significant digits gives
    ``printed``; for a number printed as approximate, within :data:`APPROX_TOLERANCE`.

    >>> agrees(19, 19.51, sig=2), agrees(17, 17.43, sig=2), agrees(240, 243.2, sig=3)
    (True, True, False)
    >>> agrees(0.55, 0.533, sig=2), agrees(86, 85, sig=2, approx=True), agrees(90, 138, sig=1, approx=True)
    (False, True, False)
    """
    if printed == 0:
        return value == 0
    if approx:
        return abs(value - printed) <= APPROX_TOLERANCE * abs(printed) * (1 + 1e-9)
    ulp = 10.0 ** (math.floor(math.log10(abs(printed))) - sig + 1)
    eps = 1e-9 * ulp
    a, v = abs(printed), abs(value)
    return a - ulp / 2 - eps <= v < a + ulp - eps


def _slice_dims(text: str) -> list[int]:
    return sorted(int(x) for x in re.split(r"[×x]", text))


def agrees_under(e: Erratum, vals: dict[str, Shown]) -> bool:
    """Whether ``e``'s printed number agrees with the values ``vals`` (one constant set).

    Slice names agree when they name the same slice (``2×4`` is ``4x2``).
    """
    ours = computed(e, vals).value
    p = printed_number(e, vals)
    if p is None:
        return _slice_dims(e.printed) == _slice_dims(str(ours))
    return agrees(p, float(ours), e.sig, e.approx)  # type: ignore[arg-type]


def status_of(e: Erratum, vals: dict[str, Shown] | None = None) -> str:
    """The status recomputed from today's numbers (compare with the stored ``e.status``):
    ``agrees`` under ``book``; else ``inconsistency`` if it agrees with the chapter's other
    HBM bandwidth; else ``erratum``.

    >>> status_of(entry("q8.int4.slice")), status_of(entry("q4.formula"))
    ('agrees', 'erratum')
    """
    vals = values() if vals is None else vals
    if agrees_under(e, vals):
        return "agrees"
    return "inconsistency" if agrees_under(e, alternative_values()) else "erratum"


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
    """Fill ``{{ key }}`` in a reason with registry text (``book``).

    >>> render("每步 {{ q3.step.8 }}")
    '每步 17.4 ms'
    """
    vals = values() if vals is None else vals

    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in vals:
            raise InvalidInputError("key", f"errata reason cites {key!r}, which is not a registry value")
        return vals[key].text

    return _TEMPLATE.sub(one, template)


def _printed_md(e: Erratum) -> str:
    return f"\\({e.printed}\\)" if e.is_tex else e.printed


def _ours_md(e: Erratum, vals: dict[str, Shown]) -> str:
    """Our value, with at least the digits the chapter printed (1.07 beside a printed 1.11)."""
    s = computed(e, vals)
    if s.unit == "" and isinstance(s.value, float) and not s.value.is_integer() and e.sig > 2:
        return fmt(s.value, sig=e.sig)
    return s.text


def _difference_md(e: Erratum, vals: dict[str, Shown]) -> str:
    rel = relative_difference(e, vals)
    if rel is None:
        return "—"
    if abs(rel) < 5e-4:
        return "0"
    return ("+" if rel > 0 else "−") + fmt(abs(rel) * 100, "%", sig=2)


def _note_md(e: Erratum, vals: dict[str, Shown]) -> str:
    return f"<br>{render(e.note, vals)}" if e.note else ""


def _inconsistency_md(e: Erratum, vals: dict[str, Shown]) -> str:
    alt = alternative_values()[e.key]
    return (
        f"**{STATUS_LABELS['inconsistency']}**：原文此处按 W_hbm = {_alt_bw_text()} 算"
        f"（问题 6 与参考代码用的值），得 {alt.text}；"
        f"本站的原书常数取原书硬件表的 {render('{{ hw.v5e.hbm_bw }}', vals)}"
    )


def _alt_bw_text() -> str:
    return fmt(BOOK_ALTERNATIVE_HBM_BW, "B/s")


def _reason_md(e: Erratum, vals: dict[str, Shown]) -> str:
    if e.status == "agrees":
        text = "一致"
    elif e.status == "inconsistency":
        text = _inconsistency_md(e, vals)
    else:
        text = f"**{e.category}**：{render(e.reason or '', vals)}"
    text += _note_md(e, vals)
    if e.printed_en:
        text += f"<br>英文原版印作 {e.printed_en}" + (f"：{render(e.reason_en, vals)}" if e.reason_en else "")
    return text


def _en_md(e: Erratum) -> str:
    return e.printed_en or ""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def row_anchor(e: Erratum) -> str:
    """The HTML id of ``e``'s row in the errata list (``erratum-q2-min-chips``).

    >>> row_anchor(entry("q2.min_chips"))
    'erratum-q2-min-chips'
    """
    return "erratum-" + re.sub(r"[^a-z0-9]+", "-", e.id.lower()).strip("-")


def note_markdown(question: str) -> str:
    """An admonition listing the errata of ``question``'s answer, each linked to its row on
    the errata page, or ``""`` if it has none.

    Used as ``{{ errata:q2 }}`` at the end of an answer on a page in ``docs/chapter/``. The
    errata are judged under the chapter's own constants, so the note reads under ``book``;
    under ``spec`` a line says where to find it.

    >>> note = note_markdown("q2").splitlines()
    >>> note[0], note[2]
    ('<div class="sm-c" data-constants="book" markdown>', '!!! warning "勘误"')
    >>> print(note[5].replace("../errata.md", "…"))
        - **最少卡数**：原文印作 7，按原书常数应为 8（单位混用：...）。[对照](…#erratum-q2-min-chips)
    >>> note_markdown("q10")
    ''
    """
    section(question)
    vals = values()
    errata: list[str] = []
    inconsistent: list[str] = []
    seen: set[tuple[str, str]] = set()
    for e in load().entries:
        if e.question != question or e.status == "agrees" or (e.printed, e.key) in seen:
            continue
        seen.add((e.printed, e.key))
        link = f"[对照]({NOTE_LINK}#{row_anchor(e)})"
        if e.status == "erratum":
            errata.append(
                f"    - **{e.what}**：原文印作 {_printed_md(e)}，按原书常数应为 {_ours_md(e, vals)}"
                f"（{e.category}：{render(e.reason or '', vals)}）。{link}"
            )
        else:
            alt = alternative_values()[e.key].text
            inconsistent.append(
                f"    - **{e.what}**：原文印作 {_printed_md(e)}，是按 W_hbm = {_alt_bw_text()} 算的 {alt}；"
                f"按原书硬件表的带宽是 {_ours_md(e, vals)}。{link}"
            )
    if not errata and not inconsistent:
        return ""
    body: list[str] = []
    if errata:
        body += ['!!! warning "勘误"', "", *errata, ""]
    if inconsistent:
        body += ['!!! info "章内常数不一致（不算勘误）"', "", *inconsistent, ""]
    return "\n".join(
        [
            '<div class="sm-c" data-constants="book" markdown>',
            "",
            *body,
            "</div>",
            "",
            '<div class="sm-c" data-constants="spec" markdown>',
            "",
            f"勘误按原书常数判断：切换到“{CONSTANT_LABELS['book']}”可看本题的勘误，"
            f"或见[勘误页]({NOTE_LINK}#{section(question).anchor})。",
            "",
            "</div>",
        ]
    )


def summary_markdown() -> str:
    """How many printed numbers were checked, how many agree, the errata by class, and how
    many numbers are only an inconsistency of the chapter's constants.

    >>> summary_markdown().splitlines()[2]
    '| 勘误类别 | 处数 |'
    """
    data = load()
    by_status = {s: [e for e in data.entries if e.status == s] for s in STATUSES}
    errata = by_status["erratum"]
    by_cat = {c: sum(e.category == c for e in errata) for c in CATEGORIES}
    return "\n".join(
        [
            f"中文稿的答案、表格和题干里一共核对了 **{fmt(len(data.entries))}** 个数字："
            f"**{fmt(len(by_status['agrees']))}** 个在原书自己的常数下正确，"
            f"**{fmt(len(errata))}** 个是勘误，"
            f"另有 **{fmt(len(by_status['inconsistency']))}** 个用的是原章另一处的常数"
            f"（[章内常数不一致](#errata-inconsistencies)，不算勘误）。"
            "原书常数与厂商规格的差别不算勘误，单独列在[常数差异](#errata-constants)。",
            "",
            "| 勘误类别 | 处数 |",
            "|:--|--:|",
            *(f"| {c} | {fmt(n)} |" for c, n in by_cat.items() if n),
        ]
    )


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _list(status: str, header: str) -> str:
    data = load()
    vals = values()
    titles = {s.id: s for s in data.sections}
    out = [header, "|:--|--:|--:|--:|:--|"]
    for e in data.entries:
        if e.status != status:
            continue
        sec = titles[e.question]
        label = sec.title.split("：")[0]
        out.append(
            _row(
                [
                    f'<span id="{row_anchor(e)}"></span>[{label}](#{sec.anchor})',
                    _printed_md(e),
                    _ours_md(e, vals),
                    _difference_md(e, vals),
                    _reason_md(e, vals),
                ]
            )
        )
    return "\n".join(out)


def list_markdown() -> str:
    """One table of every erratum: question (linked to its section), printed, ours (``book``),
    difference, and the class and reason (with what the English original prints, where it differs).

    >>> row = next(r for r in list_markdown().splitlines() if "41.9GB" in r)
    >>> row.split(" | ")[1:4]
    ['41.9GB', '42.9 GB', '+2.5 %']
    """
    return _list("erratum", "| 问题 | 原文 | 按原书常数 | 差异 | 类别与原因（含英文原版） |")


def inconsistency_markdown() -> str:
    """The printed numbers that follow the chapter's other HBM bandwidth (8.2e11 B/s).

    >>> len(inconsistency_markdown().splitlines()) > 3
    True
    """
    return _list("inconsistency", "| 问题 | 原文 | 按原书常数 | 差异 | 说明 |")


@dataclass(frozen=True)
class ConstantDifference:
    """One chip figure where ``book`` and ``spec`` differ, and the chapter's answers it moves:
    ``moved`` holds (entry, ours under book, ours with only this figure taken from spec)."""

    chip: str
    label: str
    book: Shown
    spec: Shown
    source: str
    moved: tuple[tuple[Erratum, Shown, Shown], ...]


_FIELDS = {
    "hbm_bytes": ("HBM 容量", "B"),
    "hbm_bw": ("HBM 带宽", "B/s"),
    "bf16_flops": ("bf16 算力", "FLOP/s"),
    "int8_ops": ("int8 算力", "OP/s"),
    "ici_bw": ("ICI 带宽（每条链路，双向）", "B/s"),
}


def constant_differences() -> tuple[ConstantDifference, ...]:
    """Every figure of the chapter's hardware where the two constant sets differ.

    >>> rows = constant_differences()
    >>> [(r.chip, r.label) for r in rows][:2]
    [('TPU v5e', 'HBM 容量'), ('TPU v5e', 'HBM 带宽')]
    >>> [e.id for e, _, _ in rows[0].moved][:3]
    ['hardware.v5e.hbm', 'q1.min_chips', 'q2.min_chips']
    """
    book = values()
    out = []
    for key in dict.fromkeys((CHIP_KEY, *HARDWARE)):
        b, s = get_chip(key, constants="book"), get_chip(key, constants="spec")
        for f, (label, unit) in _FIELDS.items():
            bv, sv = getattr(b, f), getattr(s, f)
            if bv == sv:
                continue
            one = dataclasses.replace(b, **{f: sv})
            if key == CHIP_KEY:
                hybrid = {**book, **values_for(one), **calc_values(one)}
            else:  # another chip of the chapter's hardware table: only its row moves
                hybrid = {**book, **{v.key: v for v in hardware_row(one)}}
            moved = [
                (e, book[e.key], hybrid[e.key]) for e in _answers() if hybrid[e.key].text != book[e.key].text
            ]
            out.append(
                ConstantDifference(
                    chip=b.name,
                    label=label,
                    book=shown(f"{key}.{f}.book", bv, unit, sig=4),
                    spec=shown(f"{key}.{f}.spec", sv, unit, sig=4, system="iec" if unit == "B" else "si"),
                    source=s.source(f),
                    moved=tuple(moved),
                )
            )
    return tuple(out)


def _answers() -> list[Erratum]:
    """One entry per computed answer (the first printed number of each key)."""
    seen: dict[str, Erratum] = {}
    for e in load().entries:
        seen.setdefault(e.key, e)
    return list(seen.values())


def constants_markdown() -> str:
    """The 常数差异 section: one table of every figure where the sets differ (book value, spec
    value, the spec's source, how many of the chapter's answers it moves), then for each figure
    that moves answers, a table of them (book -> with only this figure taken from spec).

    >>> print(constants_markdown().splitlines()[2].split(" | ")[:4])
    ['| TPU v5e', 'HBM 容量', '16 GB', '16 GiB']
    """
    diffs = constant_differences()
    out = [
        "| 芯片 | 常数 | 原书 | 厂商规格 | 厂商规格的来源 | 改变的答案 |",
        "|:--|:--|--:|--:|:--|--:|",
    ]
    for d in diffs:
        out.append(_row([d.chip, d.label, d.book.text, d.spec.text, _source_md(d.source), fmt(len(d.moved))]))
    for d in diffs:
        if not d.moved:
            continue
        out += [
            "",
            f"**{d.chip} {d.label}：{d.book.text} → {d.spec.text}**，改变了原章的这些答案：",
            "",
            "| 问题 | 内容 | 原书常数 | 只换这一个常数 | 变化 |",
            "|:--|:--|--:|--:|--:|",
        ]
        for e, x, y in d.moved:
            out.append(_row([_section_link(e), e.what, x.text, y.text, _change_md(x, y)]))
    return "\n".join(out)


def section_markdown(question: str) -> str:
    """The table of every checked number in one section (errata, inconsistencies, agreements).

    The section's heading, with its ``{ #errata-qN }`` anchor, is written in docs/errata.md:
    MkDocs validates links to anchors only when the heading is in the page's own Markdown.

    >>> print(section_markdown("q11").splitlines()[4])
    | 每步完成的请求 | 0.008 | 0.0078 | −2.3 % | 一致 |
    """
    section(question)
    vals = values()
    rows = [e for e in load().entries if e.question == question]
    has_en = any(e.printed_en for e in rows)
    out = [
        "| 内容 | 原文 | 按原书常数 | 差异 | 结论 |" + (" 英文原版 |" if has_en else ""),
        "|:--|--:|--:|--:|:--|" + (":--|" if has_en else ""),
    ]
    for e in rows:
        cells = [e.what, _printed_md(e), _ours_md(e, vals), _difference_md(e, vals), _reason_md(e, vals)]
        out.append(_row(cells + ([_en_md(e)] if has_en else [])))
    return "\n".join(out)


def table_markdown(name: str) -> str:
    """A table of the errata page by name: ``summary``, ``list``, ``inconsistencies``,
    ``constants``, or a section id (``q2``) for every checked number of that section.
    Used as ``{{ errata-table:list }}`` in docs/errata.md.

    >>> table_markdown("q11").splitlines()[0]
    '| 内容 | 原文 | 按原书常数 | 差异 | 结论 |'
    """
    tables = {
        "summary": summary_markdown,
        "list": list_markdown,
        "inconsistencies": inconsistency_markdown,
        "constants": constants_markdown,
    }
    if name in tables:
        return tables[name]()
    return section_markdown(name)


def _change_md(old: Shown, new: Shown) -> str:
    if isinstance(old.value, str) or isinstance(new.value, str) or not old.value:
        return "—"
    rel = new.value / old.value - 1
    return ("+" if rel > 0 else "−") + fmt(abs(rel) * 100, "%", sig=2)


def _section_link(e: Erratum) -> str:
    sec = section(e.question)
    return f"[{sec.title.split('：')[0]}](#{sec.anchor})"


def _source_md(src: str) -> str:
    """A source as a link named by its document (the rule notes after ";" are stated on the page)."""
    m = re.search(r"\((https?://[^)\s]+)\)", src)
    name = re.sub(r"\s*\(https?://[^)\s]+\)", "", src).split(";")[0].strip()
    return f"[{name}]({m.group(1)})" if m else name


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
