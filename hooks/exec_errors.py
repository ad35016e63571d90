"""Name the page in markdown-exec's error messages.

markdown-exec logs a failing answer block as a warning (which `--strict` turns into a
failed build) but does not say which page the block is on. This hook remembers the page
being rendered and prefixes those warnings with its source path.
"""

from __future__ import annotations

import logging

_current = {"page": ""}
_PREFIX = "mkdocs.plugins.markdown_exec"


class _NamePage(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        page = _current["page"]
        if record.name.startswith(_PREFIX) and page and not getattr(record, "_sm_named", False):
            record.msg = f"{page}: {record.msg}"
            record._sm_named = True  # type: ignore[attr-defined]
        return True


_FILTER = _NamePage()


def on_config(config):
    for handler in logging.getLogger("mkdocs").handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    return config


def on_page_markdown(markdown, page, config, files):
    _current["page"] = f"docs/{page.file.src_uri}"
    return markdown


def on_page_content(html, page, config, files):
    _current["page"] = ""
    return html
