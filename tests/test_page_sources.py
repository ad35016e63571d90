"""Static checks over docs/*.md: no hand-typed numbers, every placeholder defined, pycon examples run."""

from __future__ import annotations

import doctest
import re

import pytest
from digit_allowlist import ALLOWED_RE
from page_sources import DOCS, fenced_blocks, markdown_pages, placeholders, prose

from servingmath.book.registry import all_values

PAGES = markdown_pages()
NAMESPACES = {"errata", "errata-table"}


def hand_typed_digits(text: str) -> list[str]:
    """Lines of prose that still contain a digit after allowed names are removed."""
    bad = []
    for line in prose(text).splitlines():
        rest = ALLOWED_RE.sub(" ", line)
        if re.search(r"\d", rest):
            bad.append(line.strip())
    return bad


def test_the_scanner_can_fail() -> None:
    page = "批次 32 的延迟是 {{ q3.step.8 }}，见问题 3 与 LLaMA 3-70B。\n```python\nx = 17\n```\n"
    assert hand_typed_digits(page) == ["批次 32 的延迟是  ，见问题 3 与 LLaMA 3-70B。"]
    assert hand_typed_digits("价格 {{ hw.v5e.price }}，问题 12，TPU v5e，第 7 章，int8。") == []
    assert hand_typed_digits("$$\nT = \\frac{112}{16}\n$$") != []
    assert hand_typed_digits("\\(2 N P\\) 与 \\(1 + P/G\\)") == []
    assert hand_typed_digits("\\(3 N P\\)") != []
    assert hand_typed_digits("批次 2") != []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_no_hand_typed_numbers_in_prose(page) -> None:
    bad = hand_typed_digits(page.read_text(encoding="utf-8"))
    assert not bad, (
        "digits typed by hand (use a {{ key }} placeholder or extend tests/digit_allowlist.py):\n"
        + "\n".join(bad)
    )


def test_every_placeholder_is_defined() -> None:
    values = all_values("book")
    missing = []
    for page in PAGES:
        for expr in placeholders(page.read_text(encoding="utf-8")):
            if ":" in expr:
                if expr.split(":", 1)[0].strip() not in NAMESPACES:
                    missing.append(f"{page.relative_to(DOCS)}: {expr}")
                continue
            key = expr.split("|", 1)[0].strip()
            if key not in values:
                missing.append(f"{page.relative_to(DOCS)}: {key}")
    assert not missing, "undefined placeholders:\n" + "\n".join(missing)


def pycon_examples() -> list[tuple[str, str]]:
    out = []
    for page in PAGES:
        for i, (info, body) in enumerate(fenced_blocks(page.read_text(encoding="utf-8"))):
            if info.split()[:1] == ["pycon"]:
                out.append((f"{page.relative_to(DOCS)}#{i}", body))
    return out


def test_pages_have_pycon_examples() -> None:
    assert pycon_examples(), "no pycon examples found in docs/: the page doctests would test nothing"


@pytest.mark.parametrize(("where", "body"), pycon_examples(), ids=lambda x: x if "#" in str(x) else "")
def test_pycon_examples_in_pages_pass(where: str, body: str) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(body, {}, where, where, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0, (
        f"{where}: {result.failed} of {result.attempted} examples failed"
    )
