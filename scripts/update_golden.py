"""Accept the numbers the site shows today as the reviewed golden copy (``make update-golden``).

Builds the site (strict) into a temporary directory, prints what changed against
``tests/golden/numbers.json`` and rewrites it. ``--check`` only prints the differences and
exits 1 if there are any (what ``tests/test_drift.py`` checks).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from site_build import build_and_read

from servingmath.book import ledger

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "numbers.json"


def build_numbers(project: Path) -> str:
    """Build ``project`` with ``mkdocs build --strict``; return its ``numbers.json`` text."""
    return build_and_read(
        project,
        lambda site: (site / "numbers.json").read_text(encoding="utf-8"),
        strict=True,
        unchanged="golden copy",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report differences; do not write")
    args = parser.parse_args(argv)

    new_text = build_numbers(ROOT)
    old = ledger.from_json(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else []
    drifts = ledger.compare(old, ledger.from_json(new_text))
    print(f"{GOLDEN.relative_to(ROOT)}: {ledger.summary(drifts)}")
    if drifts:
        print(ledger.drift_table(drifts))
    if args.check:
        return 1 if drifts else 0
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(new_text, encoding="utf-8")
    print(
        f"wrote {GOLDEN.relative_to(ROOT)} ({len(ledger.from_json(new_text))} numbers); review and commit it"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
