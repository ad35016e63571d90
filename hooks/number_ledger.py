"""Record every number each page shows and write ``site/numbers.json`` (the drift guard's input).

For each page a fresh ledger (``servingmath.book.ledger``) is active from before the
placeholders are substituted until the page's HTML exists: hooks/placeholders.py cites the
registry values it writes (under each constant set it shows), and HTML comments put around
each executed fence mark where an answer block's output begins and ends, so the numbers it
printed are read from the rendered page (the comments are removed again). The library's
formatter records nothing. After the build, all entries go to ``numbers.json`` at the site
root, sorted, so two builds of the same sources write the same bytes. ``tests/test_drift.py``
compares it with ``tests/golden/numbers.json``; ``make update-golden`` accepts a change on purpose.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import build_cache
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.number_ledger")
OUTPUT = "numbers.json"
_entries: dict[str, list] = {}
_state = {"reader": ""}


def _ledger():
    # Imported per call: hooks/reload_library.py re-imports servingmath on every build, and the
    # ledger must be the module object that hooks/placeholders.py cites into.
    from servingmath.book import ledger

    return ledger


def on_pre_build(config):
    _entries.clear()
    # What a page's entries depend on besides the page: the ledger module and this file (the
    # ledger is re-imported when the library changes, so read at each build, not per page).
    _state["reader"] = build_cache.key(Path(_ledger().__file__).read_bytes(), Path(__file__).read_bytes())


@event_priority(100)  # before hooks/placeholders.py substitutes {{ key }}
def on_page_markdown(markdown, page, config, files):
    ledger = _ledger()
    ledger.activate()
    return ledger.mark_exec_blocks(markdown)  # comments around each answer block's output


@event_priority(100)  # before hooks/mathml.py rewrites the TeX
def on_page_content(html, page, config, files):
    ledger = _ledger()
    led = ledger.deactivate()
    if led is not None:
        entries = _page_entries(ledger, page.file.src_uri, led, html, config)
        _entries[page.file.src_uri] = entries
        log.debug("%s: %d numbers", page.file.src_uri, len(entries))
    return ledger.strip_markers(html)


def _page_entries(ledger, page: str, led, html: str, config) -> list:
    """``ledger.page_entries``, from the build cache when the page's HTML and citations are the same
    as at an earlier build (memory under `make serve`, ``.cache/ledger/``)."""
    root = Path(config.config_file_path).parent
    cited = json.dumps([[r.label, r.value, r.unit, r.text] for r in led.records], ensure_ascii=False)
    key = build_cache.key(page, html, cited, _state["reader"])
    rows = build_cache.load(root, "ledger", key)
    if rows is None:
        entries = ledger.page_entries(page, led, html)
        build_cache.store(root, "ledger", key, [[e.page, e.label, e.value, e.unit, e.text] for e in entries])
        return entries
    return [ledger.Entry(*row) for row in rows]


def on_post_build(config):
    ledger = _ledger()
    rows = [e for page in sorted(_entries) for e in _entries[page]]
    Path(config.site_dir, OUTPUT).write_text(ledger.to_json(rows) + "\n", encoding="utf-8")
