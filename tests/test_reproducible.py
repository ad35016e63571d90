"""Two clean builds of the same checkout are byte-identical, and dated from the commit, not the clock."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import ROOT, mkdocs_build
from load_hook import load_hook


def digests(site: Path) -> dict[str, str]:
    """SHA-256 of every file under ``site``, by relative path."""
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def differences(a: Path, b: Path) -> list[str]:
    """Files only in one tree, or with different bytes."""
    da, db = digests(a), digests(b)
    out = [f"only in first build: {k}" for k in sorted(da.keys() - db.keys())]
    out += [f"only in second build: {k}" for k in sorted(db.keys() - da.keys())]
    out += [f"differs: {k}" for k in sorted(da.keys() & db.keys()) if da[k] != db[k]]
    return out


def first_difference(a: bytes, b: bytes, context: int = 80) -> str:
    """Where two files first differ, with a little text on each side (for the failure message).

    >>> first_difference(b"abcXdef", b"abcYdef", context=2)
    "at byte 3: b'bcXd' vs b'bcYd'"
    """
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    lo = max(0, i - context)
    return f"at byte {i}: {a[lo : i + context]!r} vs {b[lo : i + context]!r}"


def test_differences_reports_changed_added_and_removed_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        (root / "x").mkdir(parents=True)
        (root / "x" / "same.html").write_text("same")
    (a / "x" / "changed.html").write_text("1")
    (b / "x" / "changed.html").write_text("2")
    (a / "gone.txt").write_text("")
    (b / "new.txt").write_text("")
    assert differences(a, b) == [
        "only in first build: gone.txt",
        "only in second build: new.txt",
        "differs: x/changed.html",
    ]


def test_hook_renumbers_notebook_cell_ids() -> None:
    hook = load_hook("reproducible")
    page = '<div id="cell-id=9ca9a572"><p id="keep"></p></div><div class="x" id="cell-id=ab90cf68">'
    assert (
        hook.renumber_cell_ids(page)
        == '<div id="cell-id=1"><p id="keep"></p></div><div class="x" id="cell-id=2">'
    )


@pytest.mark.build
def test_two_builds_are_byte_identical(built_site: Path, tmp_path: Path) -> None:
    second = tmp_path / "site-again"
    proc = mkdocs_build(ROOT, second)
    assert proc.returncode == 0, f"second build failed:\n{proc.stdout}\n{proc.stderr}"
    diff = differences(built_site, second)
    details = [
        f"{name}: {first_difference((built_site / name).read_bytes(), (second / name).read_bytes())}"
        for name in (d.removeprefix("differs: ") for d in diff if d.startswith("differs: "))
    ]
    assert not diff, "the two builds differ:\n" + "\n".join(diff + details)


@pytest.mark.build
def test_sitemap_is_dated_from_the_commit(built_site: Path) -> None:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH") or load_hook("reproducible").source_epoch(ROOT))
    day = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    dates = set(re.findall(r"<lastmod>([^<]*)</lastmod>", sitemap))
    assert dates == {day}, (dates, day)
    raw = (built_site / "sitemap.xml.gz").read_bytes()
    (mtime,) = struct.unpack("<I", raw[4:8])  # RFC 1952: MTIME follows ID1 ID2 CM FLG
    assert mtime == int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    assert gzip.decompress(raw).decode("utf-8") == sitemap
