"""Regenerate ``search/site.dict``, the jieba dictionary sized for this site (``make search-dict``).

Material's search plugin segments the Chinese text of every page with jieba at build time.
jieba's own dictionary (``dict.txt``, about 350,000 words and 5 MB) costs a noticeable part
of every build to load; the site's text uses a few thousand of those words.

``site.dict`` keeps exactly the words of jieba's dictionary that occur somewhere in the
site's Chinese text (as a substring of a run of Han characters, which is all jieba ever
looks up), with their original frequencies and tags, plus one filler line that restores
jieba's total frequency. jieba picks the most probable path through the words it finds in a
run, scoring each word by log(freq / total), so with the same words, frequencies and total
it cuts every run of this site exactly as the full dictionary would
(``tests/test_search_index.py`` checks that, and that this file is up to date).

The site's own vocabulary (临界批次, 预填充, ...) is in ``search/user.dict``, loaded on top
(``jieba_dict_user`` in mkdocs.yml). Add a term there, then run this script.

Usage: ``python scripts/search_dict.py [--site DIR] [--check]``. Without ``--site`` the site
is built into a temporary directory first. ``--check`` only reports whether the committed
file is current (exit 1 if not).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from backrefs import bre
from site_build import build_and_read

ROOT = Path(__file__).resolve().parents[1]
SITE_DICT = ROOT / "search" / "site.dict"
USER_DICT = ROOT / "search" / "user.dict"

# Material's search plugin hands jieba runs of \p{script=Han} and inserts U+200B between
# the words; the same runs, with the U+200B removed, are what jieba saw.
HAN_RUN = bre.compile(r"\p{script: Han}+", bre.UNICODE)  # the expression Material's plugin uses
ZWSP = "\u200b"
# A word that no run of Han characters can contain: it only carries the frequency mass of
# the words left out, so that jieba's total, and with it every score, stays the same.
FILLER = "~site-dict-remainder~"


def jieba_dict_path() -> Path:
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


def han_runs(search_index: dict) -> set[str]:
    """Every run of Han characters in the titles and texts of a Material search index."""
    runs: set[str] = set()
    for doc in search_index["docs"]:
        for field in ("title", "text"):
            runs.update(HAN_RUN.findall(str(doc.get(field, "")).replace(ZWSP, "")))
    return runs


def substrings(runs: Iterable[str], longest: int) -> set[str]:
    found: set[str] = set()
    for run in runs:
        for i in range(len(run)):
            for j in range(i + 1, min(len(run), i + longest) + 1):
                found.add(run[i:j])
    return found


def parse_dict(lines: Iterable[str]) -> Iterator[tuple[str, int, str]]:
    """(word, frequency, the line as written) for each entry of a jieba dictionary."""
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        word, freq = line.split(" ")[:2]
        yield word, int(freq), line


def site_dictionary(full_dict: list[str], runs: set[str]) -> str:
    """The lines of ``site.dict`` for these runs, from the lines of jieba's ``dict.txt``."""
    entries = list(parse_dict(full_dict))
    total = sum(freq for _, freq, _ in entries)
    longest = max(len(word) for word, _, _ in entries)
    present = substrings(runs, longest)
    kept = [(word, freq, line) for word, freq, line in entries if word in present]
    rest = total - sum(freq for _, freq, _ in kept)
    if rest <= 0:
        raise ValueError("every word of the dictionary occurs in the site: nothing to leave out")
    return "".join(line + "\n" for _, _, line in kept) + f"{FILLER} {rest}\n"


def build_search_index(project: Path) -> dict:
    return build_and_read(project, read_search_index, strict=False, unchanged=SITE_DICT.name)


def read_search_index(site: Path) -> dict:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))


def expected_text(search_index: dict) -> str:
    full = jieba_dict_path().read_text(encoding="utf-8").splitlines()
    return site_dictionary(full, han_runs(search_index))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--check", action="store_true", help="only check; do not write")
    args = parser.parse_args(argv)

    index = read_search_index(args.site) if args.site else build_search_index(ROOT)
    text = expected_text(index)
    current = SITE_DICT.read_text(encoding="utf-8") if SITE_DICT.exists() else ""
    name = SITE_DICT.relative_to(ROOT)
    if args.check:
        print(f"{name}: {'up to date' if text == current else 'out of date; run make search-dict'}")
        return 0 if text == current else 1
    SITE_DICT.write_text(text, encoding="utf-8")
    print(f"wrote {name}: {text.count(chr(10)) - 1} words, {len(text.encode())} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
