"""Record every number each page shows and write ``site/numbers.json`` (the drift guard's input).

For each page a fresh ledger (``servingmath.book.ledger``) is active from before the placeholders
are substituted until the page's HTML exists: placeholders and errata notes cite registry
keys, answer blocks' ``fmt`` calls are recorded and then located in the HTML (an HTML comment
put before each executed fence marks where its output starts; the comments are removed again). After the
build, all entries go to ``numbers.json`` at the site root, sorted, so two builds of the same
sources write the same bytes. ``tests/test_drift.py`` compares it with
``tests/golden/numbers.json``; ``make update-golden`` accepts a change on purpose.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.number_ledger")
OUTPUT = "numbers.json"
_entries: dict[str, list] = {}


def _ledger():
    # Imported per call: hooks/reload_library.py re-imports servingmath on every build, and the
    # ledger must be the same module object that the freshly imported fmt records into.
    from servingmath.book import ledger

    return ledger


def on_pre_build(config):
    _entries.clear()


@event_priority(100)  # before hooks/placeholders.py substitutes {{ key }}
def on_page_markdown(markdown, page, config, files):
    ledger = _ledger()
    ledger.activate()
    return ledger.mark_exec_blocks(markdown)  # comments showing where each answer block's output starts


@event_priority(100)  # before hooks/mathml.py rewrites the TeX that formatted numbers may sit in
def on_page_content(html, page, config, files):
    ledger = _ledger()
    led = ledger.deactivate()
    if led is not None:
        entries = ledger.locate(page.file.src_uri, led.records, html)
        _entries[page.file.src_uri] = entries
        dropped = sum(r.key is None for r in led.records) - sum("#" in e.label for e in entries)
        log.debug("%s: %d numbers, %d formatted values not shown", page.file.src_uri, len(entries), dropped)
    return ledger.strip_markers(html)


def on_post_build(config):
    ledger = _ledger()
    rows = [e for page in sorted(_entries) for e in _entries[page]]
    Path(config.site_dir, OUTPUT).write_text(ledger.to_json(rows) + "\n", encoding="utf-8")
