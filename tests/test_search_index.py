"""The built search index: a site-sized jieba dictionary, whole domain terms, readable entries."""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any

import jieba
import pytest
from latex2mathml.converter import convert
from load_hook import load_hook

from servingmath import critical_batch, fmt
from servingmath.book.chapter import chapter_chip
from servingmath.dtypes import BF16

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import search_dict  # noqa: E402

hook = load_hook("search_index")
ZWSP = "\u200b"


@pytest.fixture(scope="module")
def index(built_site: Path) -> dict[str, Any]:
    return search_dict.read_search_index(built_site)


def _entry(index: dict[str, Any], location: str) -> dict[str, Any]:
    for doc in index["docs"]:
        if doc["location"] == location:
            return doc
    raise AssertionError(f"no index entry {location!r}")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\u200b]+", re.sub(r"<[^>]+>", " ", text)) if w]


# ── the dictionary ─────────────────────────────────────────────────────────


def test_site_dictionary_is_up_to_date(index: dict[str, Any]) -> None:
    expected = search_dict.expected_text(index)
    committed = search_dict.SITE_DICT.read_text(encoding="utf-8")
    assert committed == expected, "search/site.dict is out of date: run `make search-dict`"


def test_site_dictionary_is_much_smaller_than_jiebas() -> None:
    full = search_dict.jieba_dict_path().stat().st_size
    small = search_dict.SITE_DICT.stat().st_size
    assert small * 20 < full, (small, full)


def test_site_dictionary_cuts_the_site_exactly_like_the_full_one(index: dict[str, Any]) -> None:
    jieba.setLogLevel(logging.WARNING)
    full = jieba.Tokenizer(str(search_dict.jieba_dict_path()))
    small = jieba.Tokenizer(str(search_dict.SITE_DICT))
    for tok in (full, small):
        tok.load_userdict(str(search_dict.USER_DICT))
    runs = sorted(search_dict.han_runs(index))
    assert len(runs) > 500
    differ = [r for r in runs if list(full.cut(r)) != list(small.cut(r))]
    assert not differ, differ[:10]


def test_the_dictionary_generator_keeps_the_total(tmp_path: Path) -> None:
    full = ["批次 100 n", "临界 50 a", "预 30 v", "填充 40 v", "无关 7 a"]
    text = search_dict.site_dictionary(full, {"临界批次", "填充"})
    lines = text.splitlines()
    assert lines[:3] == ["批次 100 n", "临界 50 a", "填充 40 v"]
    assert lines[-1] == f"{search_dict.FILLER} {30 + 7}"


def test_site_terms_are_whole_words_in_the_index(index: dict[str, Any]) -> None:
    words = {w for doc in index["docs"] for f in ("title", "text") for w in _words(doc[f])}
    cut = {
        "临界批次": "临界" + ZWSP + "批次",
        "预填充": "预" + ZWSP + "填充",
        "连续批处理": "连续" + ZWSP + "批处理",
    }
    for term, pieces in cut.items():
        assert term in words, term
        assert not any(pieces in doc["title"] + doc["text"] for doc in index["docs"]), pieces


# ── the entries ────────────────────────────────────────────────────────────


def test_index_is_utf8_not_escaped(built_site: Path) -> None:
    raw = (built_site / "search" / "search_index.json").read_bytes()
    assert not re.search(rb"\\u[4-9][0-9a-f]{3}", raw), "Chinese written as \\uXXXX escapes"
    assert "临界批次".encode() in raw


def test_formulas_are_indexed_as_ascii(index: dict[str, Any]) -> None:
    entry = _entry(index, "glossary/#b-crit")
    assert entry["title"].startswith("B_crit"), entry["title"]
    assert "B_crit = C / W_hbm" in entry["text"]


def test_table_rows_are_sentences_not_a_cell_dump(index: dict[str, Any]) -> None:
    for doc in index["docs"]:
        if doc["location"].startswith("errata/#errata-q"):
            teaser = doc["text"].replace(ZWSP, "")
            assert teaser.startswith("<p>"), (doc["location"], teaser[:80])
            first = teaser[3 : teaser.index("</p>")]
            # "<first cell>：<header> <cell>；<header> <cell>…"
            assert "：原文 " in first and first.count("；") >= 2, (doc["location"], first)
            assert not first.startswith("内容"), "the header row is not a row of the teaser"


def test_one_copy_of_each_answer(built_site: Path, index: dict[str, Any]) -> None:
    """What only the other constant set's copy says (data-constants="spec") is not indexed."""
    spec = re.compile(r'<span class="sm-c" data-constants="spec"[^>]*>([^<]+)</span>')
    checked = 0
    for page in ("chapter/basics", "chapter/throughput"):
        html = (built_site / page / "index.html").read_text(encoding="utf-8")
        rest = spec.sub("", html)
        text = " ".join(d["text"] for d in index["docs"] if d["location"].startswith(page + "/"))
        text = text.replace(ZWSP, "")
        for value in {v.strip() for v in spec.findall(html)}:
            if value and value not in rest:  # shown only by the spec copy
                assert value not in text, (page, value)
                checked += 1
    assert checked >= 3, "no spec-only values found: the test would not notice a duplicate"


def test_code_blocks_are_not_indexed(index: dict[str, Any]) -> None:
    for doc in index["docs"]:
        if doc["location"].startswith(("chapter/", "reference/", "glossary/", "errata/")):
            assert "<pre>" not in doc["text"], doc["location"]
    chapter = _entry(index, "chapter/throughput/#q4-critical-batch")["text"].replace(ZWSP, "")
    assert "critical_batch(" not in chapter  # the answer's code stays out, its result stays in
    book, spec = (fmt(critical_batch(chapter_chip(k), weights=BF16, compute=BF16)) for k in ("book", "spec"))
    assert book != spec and book in chapter
    assert spec not in chapter  # only the other constant set's copy of the answer shows it
    playground = " ".join(d["text"] for d in index["docs"] if d["location"].startswith("beyond/playground/"))
    assert "In [" not in playground and "Copied!" not in playground
    assert "import servingmath" not in playground  # nor the copy of each cell's code for the clipboard


def test_api_reference_without_code_examples_and_labels(index: dict[str, Any]) -> None:
    api = [d for d in index["docs"] if d["location"].startswith("reference/api/")]
    assert len(api) > 50
    assert all("<pre>" not in d["text"] for d in api)
    assert all(not d["title"].endswith(("dataclass</code>", "property</code>")) for d in api)
    assert all(d.get("boost") == 0.5 for d in api)


def test_glossary_entries_are_boosted(index: dict[str, Any]) -> None:
    entries = [d for d in index["docs"] if d["location"].startswith("glossary/#")]
    boosted = [d["location"] for d in entries if d.get("boost")]
    for anchor in ("b-crit", "kv-cache", "prefill", "continuous-batching", "v5e", "w-hbm", "mfu", "ttft"):
        assert f"glossary/#{anchor}" in boosted
    assert "glossary/#model-shape" not in boosted  # group headings are not entries


def test_boost_attribute_is_not_left_in_the_page(built_site: Path) -> None:
    page = (built_site / "glossary" / "index.html").read_text(encoding="utf-8")
    assert 'id="b-crit"' in page
    assert "data-search-boost" not in page


def test_worker_shim_is_appended_to_the_chinese_language_file(built_site: Path) -> None:
    lunr_zh = (built_site / "assets/javascripts/lunr/min/lunr.zh.min.js").read_text(encoding="utf-8")
    shim = (ROOT / "search" / "worker.js").read_text(encoding="utf-8")
    assert lunr_zh.startswith("!function") and lunr_zh.rstrip().endswith(shim.rstrip())


# ── the hook's pieces ──────────────────────────────────────────────────────


def test_math_to_text() -> None:
    mathml = convert(r"B_{\text{crit}} = \frac{C}{W_{\text{hbm}}} \times 2")
    assert hook.math_to_text(mathml).strip() == "B_crit = C / W_hbm × 2"


def test_table_to_sentences() -> None:
    table = (
        "<table><thead><tr><th>参数</th><th>符号</th><th>值</th></tr></thead>"
        "<tbody><tr><td>层数</td><td>L</td><td>80</td></tr>"
        "<tr><td>词表</td><td></td><td><code>V</code></td></tr></tbody></table>"
    )
    assert hook.table_to_sentences(table) == "<p>层数：符号 L；值 80</p>\n<p>词表：值 <code>V</code></p>"


def test_spec_variants_and_code_are_excluded() -> None:
    html = '<div class="sm-c" data-constants="spec"><p>x</p></div><div class="highlight"><pre>y</pre></div>'
    out = hook.searchable_html(html, {})
    assert 'data-constants="spec" data-search-exclude' in out
    assert '<div class="highlight" data-search-exclude' in out
    kept = hook.searchable_html('<div class="highlight">', {"search": {"code": True}})
    assert "data-search-exclude" not in kept
