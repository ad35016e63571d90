"""The package's layers: the reusable calculator (``servingmath``) never depends on the book's
page providers (``servingmath.book``); the book depends on the calculator."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "servingmath"


def imported_modules(source: str) -> set[str]:
    """Every absolute module name a Python source imports (``from a import b`` gives ``a`` and ``a.b``).

    >>> sorted(imported_modules("import json\\nfrom servingmath.book import ledger"))
    ['json', 'servingmath.book', 'servingmath.book.ledger']
    """
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def book_imports(source: str) -> list[str]:
    return sorted(m for m in imported_modules(source) if m.split(".")[:2] == ["servingmath", "book"])


def test_core_never_imports_the_book() -> None:
    core = sorted(PACKAGE.glob("*.py"))
    assert len(core) >= 10
    bad = {p.name: book_imports(p.read_text(encoding="utf-8")) for p in core}
    assert not {k: v for k, v in bad.items() if v}, f"the calculator imports the book: {bad}"


def test_the_check_sees_a_core_to_book_import() -> None:
    src = (PACKAGE / "units.py").read_text(encoding="utf-8")
    assert book_imports(src) == []
    assert book_imports(src + "\nfrom servingmath.book import ledger\n") == [
        "servingmath.book",
        "servingmath.book.ledger",
    ]
    assert book_imports("def f():\n    import servingmath.book.chapter\n") == ["servingmath.book.chapter"]
