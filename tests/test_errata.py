"""The errata registry: every number the seed chapter prints is registered, and each entry's
reviewed status still matches what today's numbers say."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from servingmath.book import errata
from servingmath.book.registry import all_values

ROOT = Path(__file__).resolve().parents[1]
# CI checks out ../shared beside the project; the seed is the Chinese chapter the site translates.
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "applied-inference.zh.md"
DATA = errata.load()

# Level-2 headings of the seed, and level-3 headings that are not questions.
_PARTS = {
    "练习题": "exercises",
    "可视化": "visualize",
    "吞吐量怎么算": "throughput",
    "预填充怎么算": "prefill",
}
_SUBPARTS = {"模型配置": "model", "硬件": "hardware"}


def seed_numbers(markdown: str) -> dict[str, list[tuple[str, str]]]:
    """Numbers printed in the seed's answers (``{% details %}`` blocks, code excluded) and in its
    Markdown tables, by section: ``{"q2": [("41.9", "**KV 缓存**：160KB × ..."), ...]}``."""
    out: dict[str, list[tuple[str, str]]] = {}
    part = sec = "intro"
    in_details = in_code = False
    for line in markdown.splitlines():
        s = line.strip()
        if s.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code:
            continue
        h = re.match(r"^(#{2,3})\s+(.*)$", line)
        if h:
            title = h.group(2)
            if len(h.group(1)) == 2:
                part = sec = next((v for k, v in _PARTS.items() if k in title), "other")
            else:
                q = re.match(r"问题\s*(\d+)", title)
                sub = next((v for k, v in _SUBPARTS.items() if k in title), part)
                sec = f"q{q.group(1)}" if q and part != "exercises" else sub
            continue
        if s.startswith("{% details"):
            in_details = True
        elif s.startswith("{% enddetails"):
            in_details = False
        elif (s.startswith("|") and not re.fullmatch(r"[|:\-\s]+", s)) or (in_details and s):
            out.setdefault(sec, []).extend((t, s) for t in errata.number_tokens(s))
    return out


def test_seed_parser_finds_answers_and_tables() -> None:
    md = (
        "## 吞吐量怎么算\n\n### 问题 4：x\n\n| a | 240 |\n|:--|--:|\n\n正文 99 不算。\n\n"
        "{% details 答案 %}\n\n第7章说 LLaMA 3-70B 在 v5e 上要 4×2、8.1 \\times 10^{11}\n\n"
        "```python\nx = 7\n```\n\n{% enddetails %}\n\n## 练习题\n\n### 问题 1：y\n\n| 405 |\n"
    )
    got = {k: [t for t, _ in v] for k, v in seed_numbers(md).items()}
    assert got == {"q4": ["240", "4x2", "810000000000"], "exercises": ["405"]}


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the seed chapter is missing: {SEED}", pytrace=False)
        pytest.skip(f"the seed chapter is not beside this checkout ({SEED})")
    return SEED.read_text(encoding="utf-8")


def test_every_seed_number_is_in_the_errata_registry(seed_text: str) -> None:
    registered: dict[str, set[str]] = {}
    for e in DATA.entries:
        registered.setdefault(e.question, set()).update(errata.number_tokens(e.printed))
    numbers = seed_numbers(seed_text)
    assert sum(len(found) for found in numbers.values()) > 150  # the parser did find the answers
    missing = [
        f"{sec}: {tok!r} in: {line}"
        for sec, found in numbers.items()
        for tok, line in found
        if tok not in registered.get(sec, set())
    ]
    assert not missing, "numbers printed in the seed but not in the errata registry:\n" + "\n".join(
        dict.fromkeys(missing)
    )


def test_every_section_of_the_seed_is_known(seed_text: str) -> None:
    known = {s.id for s in DATA.sections} | {"intro", "exercises", "other"}
    assert set(seed_numbers(seed_text)) <= known


def test_printed_text_and_value_agree(seed_text: str) -> None:
    """``printed_value`` carries exactly the digits printed, and the text is the seed's text."""
    flat = re.sub(r"\*\*", "", seed_text)
    bad = []
    for e in DATA.entries:
        if e.printed not in flat:
            bad.append(f"{e.id}: {e.printed!r} does not occur in the seed")
        if e.printed_value is None:
            continue
        tokens = errata.number_tokens(e.printed)
        if len(tokens) != 1:
            bad.append(f"{e.id}: printed text {e.printed!r} must hold exactly one number, found {tokens}")
            continue
        want = errata.significant_digits(tokens[0])
        value = e.printed_value / 1.024 if e.kb_is_kib else e.printed_value  # "160KB" read as 160 KiB
        got = errata.value_digits(value, e.sig).strip("0")
        if want != got or len(want) > e.sig:
            bad.append(f"{e.id}: printed {e.printed!r} but printed_value {e.printed_value!r} at sig={e.sig}")
    assert not bad, "\n".join(bad)


def test_keys_and_reasons_resolve() -> None:
    vals = errata.values()
    for e in DATA.entries:
        errata.computed(e, vals)
        for text in (e.reason, e.reason_en, e.note):
            if text:
                assert "{{" not in errata.render(text, vals), e.id


def test_calc_keys_do_not_shadow_the_registry() -> None:
    assert not set(errata.calc_values()) & set(all_values("book"))


def _spec_values() -> dict:
    from servingmath.book.chapter import chapter_chip

    return {**all_values("spec"), **errata.calc_values(chapter_chip("spec"))}


def misclassified(entries, book: dict, spec: dict) -> list[str]:
    """Entries whose class contradicts the rule: an erratum must be wrong under the chapter's own
    constants (``book``), never only under ``spec``; an agreeing entry must agree under ``book``."""
    bad = []
    for e in entries:
        ok_book, ok_spec = errata.agrees_under(e, book), errata.agrees_under(e, spec)
        if e.status == "erratum" and ok_book:
            why = "an erratum only under spec" if not ok_spec else "agrees under book"
            bad.append(f"{e.id}: called an erratum, but {why}")
        if e.status != "erratum" and not ok_book and e.status != "inconsistency":
            bad.append(f"{e.id}: wrong under book, but called {e.status!r}")
        if e.status == "agrees" and not ok_book:
            bad.append(f"{e.id}: called 'agrees', but wrong under book")
    return bad


def test_errata_are_mistakes_under_the_books_own_constants() -> None:
    """The issue's rule: no entry is an erratum only because of a vendor constant, and no entry
    that agrees under the book's constants is called an erratum (and vice versa)."""
    bad = misclassified(DATA.entries, errata.values(), _spec_values())
    assert not bad, "\n".join(bad)
    assert any(
        errata.agrees_under(e, errata.values()) and not errata.agrees_under(e, _spec_values())
        for e in DATA.entries
    ), "some printed number should agree under book but not under spec (the point of two sets)"


def test_the_classification_check_can_fail() -> None:
    """An entry that agrees under book but not under spec, called an erratum, is reported."""
    import dataclasses

    e = errata.entry("q5.bf16.max_batch")  # 43: right under the book's 16e9 B, 50 under 16 GiB
    assert errata.agrees_under(e, errata.values()) and not errata.agrees_under(e, _spec_values())
    wrong = dataclasses.replace(e, status="erratum", category="单位混用", reason="x")
    assert misclassified([wrong], errata.values(), _spec_values()) == [
        "q5.bf16.max_batch: called an erratum, but an erratum only under spec"
    ]
    right = dataclasses.replace(errata.entry("q2.min_chips"), status="agrees", category=None, reason=None)
    assert misclassified([right], errata.values(), _spec_values())


def test_acceptance_numbers_under_each_set() -> None:
    """Issue 11's acceptance, computed here from the book's stated figures by plain arithmetic."""
    from servingmath.book.chapter import values

    book, spec = values("book"), values("spec")
    hbm, kv_int8 = 16e9, 2 * 8 * 128 * 80  # the book: "16GB" per v5e; K=8, H=128, L=80, int8 KV
    for d, w, chips in (("bf16", 2, 16), ("int8", 1, 8), ("int4", 0.5, 4)):
        want = int((chips * hbm - 70e9 * w) // (8192 * kv_int8 * w))
        assert book[f"q5.{d}.max_batch"].value == want == 43
        assert spec[f"q5.{d}.max_batch"].value > want  # 16 GiB holds more
    total = 70e9 + 32 * 8192 * kv_int8
    assert book["q2.min_chips"].value == -(-total // hbm) == 8
    assert errata.entry("q2.min_chips").status == "erratum" and errata.entry("q2.min_chips").printed == "7"
    assert 0.01715 <= book["q3.step.8"].value < 0.01745  # "about 17.2-17.4 ms"
    assert book["q3.step.8"].value == pytest.approx(total / (8 * 8.1e11))
    assert book["q9.t_ici"].value == pytest.approx(2 * 64 * 8192 / (2 * 4.5e10))  # 11.65 μs, one way per axis
    assert book["q9.t_ici"].text == "11.65 μs"
    assert spec["q3.step.8"].value < book["q3.step.8"].value  # 8.19e11 B/s is faster


def test_stored_status_matches_todays_numbers() -> None:
    """A changed constant or formula that flips a verdict fails here until a person edits the entry."""
    vals = errata.values()
    flipped = []
    for e in DATA.entries:
        now = errata.status_of(e, vals)
        if now != e.status:
            flipped.append(
                f"{e.id}: printed {e.printed!r}, ours {errata.computed(e, vals).text!r} "
                f"at sig={e.sig}{' (approx)' if e.approx else ''}: stored {e.status!r}, now {now!r}"
            )
    assert not flipped, (
        "errata whose verdict changed (review them and edit servingmath/book/data/errata.json):\n"
        + "\n".join(flipped)
    )


def test_a_flipped_verdict_is_detected() -> None:
    """Proof that the check above can fail: pretend the chapter printed our number exactly."""
    e = errata.entry("q2.kv_bytes")
    vals = errata.values()
    moved = {**vals, e.key: vals[e.key].__class__(e.key, 41.9e9, "B", "41.9 GB", "")}
    assert errata.status_of(e, vals) == "erratum"
    assert errata.status_of(e, moved) == "agrees"


def test_every_question_with_an_answer_has_a_section() -> None:
    for q in [f"q{i}" for i in range(1, 13)]:
        assert errata.section(q).anchor == f"errata-{q}"


def test_note_lists_each_erratum_once_and_links_to_its_row() -> None:
    note = errata.note_markdown("q2")
    book, spec = note.split('<div class="sm-c" data-constants="spec" markdown>')
    assert '!!! warning "勘误"' in book
    assert "原文印作 41.9GB，按原书常数应为 42.9 GB（单位混用" in book
    assert book.count("原文印作 7，") == 1
    assert f"(../errata.md#{errata.row_anchor(errata.entry('q2.min_chips'))})" in book
    assert "(../errata.md#errata-q2)" in spec  # under spec: where to find the errata
    # every line of the admonition body is indented, so the note can sit inside an answer block
    body = book.split('!!! warning "勘误"')[1].split("</div>")[0]
    assert all(line.startswith("    ") for line in body.splitlines() if line)


def test_every_erratum_and_inconsistency_row_has_an_anchor() -> None:
    listed = errata.list_markdown() + errata.inconsistency_markdown()
    for e in DATA.entries:
        if e.status != "agrees":
            assert f'id="{errata.row_anchor(e)}"' in listed, e.id


def test_notes_for_questions_without_errata_are_empty() -> None:
    assert errata.note_markdown("q10") == ""


def test_unknown_question_is_an_error() -> None:
    with pytest.raises(ValueError, match="q13"):
        errata.note_markdown("q13")


def test_errata_page_has_a_heading_and_a_table_for_every_section() -> None:
    page = (ROOT / "docs" / "errata.md").read_text(encoding="utf-8")
    for s in DATA.sections:
        assert f"## {s.title} {{ #{s.anchor} }}" in page, f"docs/errata.md lacks the heading of {s.id}"
        assert f"{{{{ errata-table:{s.id} }}}}" in page
        table = errata.section_markdown(s.id)
        assert table.count("\n") == sum(e.question == s.id for e in DATA.entries) + 1
    assert "{{" not in errata.list_markdown() + errata.summary_markdown()


@pytest.mark.build
def test_built_errata_page_and_notes(built_site: Path) -> None:
    page = (built_site / "errata" / "index.html").read_text(encoding="utf-8")
    for s in DATA.sections:
        assert f'id="{s.anchor}"' in page, s.anchor
    assert "41.9GB" in page and "42.9 GB" in page
    assert "\\(" not in page  # printed formulas became MathML
    for e in DATA.entries:
        if e.status != "agrees":
            assert f'id="{errata.row_anchor(e)}"' in page, e.id
    chapter_pages = sorted((built_site / "chapter").glob("*/index.html"))
    notes = [p for p in chapter_pages if "errata/#erratum-q" in p.read_text(encoding="utf-8")]
    if any("{{ errata:" in p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "chapter").glob("*.md")):
        assert notes, "chapter pages use {{ errata:qN }} but no note links to the errata page"
