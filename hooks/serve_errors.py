"""`make serve`: a failed rebuild shows in the browser, and says why, until it is fixed.

Out of the box, when a rebuild fails, ``mkdocs serve`` prints the error, keeps the last good
pages and never reloads the browser: the reader of the page sees no sign of the failure. This
hook wraps the server's builder. A failed rebuild is reported in the terminal (every time) and
then the browsers reload as after a good build, the last good site is put back in place (a failed
build has already emptied the site directory), and every HTML page carries a banner at the top:
"构建失败", the errors and warnings of that build (each naming its file and line, see
hooks/exec_errors.py), and a note that the page is the last good build. The next good build
removes the banner and reloads the browsers again.

Only ``mkdocs serve`` runs this (the ``on_serve`` event); ``mkdocs build`` output is untouched.
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

log = logging.getLogger("mkdocs.hooks.serve_errors")

BANNER_ID = "sm-build-failed"
BANNER_STYLE = (
    "position:fixed;inset:0 0 auto 0;z-index:10000;max-height:60vh;overflow:auto;margin:0;"
    "padding:1em 1.5em;background:#fdecea;color:#611a15;border-bottom:4px solid #b71c1c;"
    "font:14px/1.5 system-ui,sans-serif;box-shadow:0 4px 12px rgba(0,0,0,.3)"
)
PRE_STYLE = "margin:.3em 0 .6em;white-space:pre-wrap;font:12px/1.45 monospace;background:none;color:inherit"


class _Collector(logging.Handler):
    """Keeps the warnings and errors logged during one build."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(f"{record.levelname}: {record.getMessage()}")
        except Exception:  # a record that cannot be formatted must not break the build
            self.handleError(record)


def banner(messages: list[str]) -> str:
    """The HTML of the failure banner: one line per error or warning, its details folded.

    >>> b = banner(["ERROR: docs/index.md:3: unknown placeholder '{{ q2.nope }}' <x>", "WARNING: a\\nb"])
    >>> 'role="alert"' in b and "docs/index.md:3" in b and "&lt;x&gt;" in b and "<details" in b
    True
    """
    items = []
    for message in messages or ["（没有记录到错误信息，请看终端输出）"]:
        head, _, rest = message.partition("\n")
        if rest.strip():
            items.append(
                f"<details><summary>{html.escape(head)}</summary>"
                f'<pre style="{PRE_STYLE}">{html.escape(rest)}</pre></details>'
            )
        else:
            items.append(f'<p style="margin:.2em 0;font-family:monospace">{html.escape(head)}</p>')
    return (
        f'<div id="{BANNER_ID}" role="alert" style="{BANNER_STYLE}">'
        '<p style="margin:0 0 .5em;font-weight:700;font-size:16px">'
        "构建失败：这里显示的是上一次成功构建的页面。改好之后会自动刷新。</p>"
        f"{''.join(items)}</div>"
    )


def add_banner(page: bytes, messages: list[str]) -> bytes:
    """``page`` with the banner as the first element of its body.

    >>> add_banner(b"<html><body class='x'><p>old</p></body></html>", ["E"]).count(b"sm-build-failed")
    1
    """
    text = banner(messages).encode()
    start = page.find(b"<body")
    end = page.find(b">", start) + 1 if start >= 0 else 0
    return page[:end] + text + page[end:]


def on_serve(server: Any, config: Any, builder: Callable[..., None]) -> Any:
    collector = _Collector()
    logging.getLogger("mkdocs").addHandler(collector)
    failure: dict[str, list[str] | None] = {"messages": None}
    build = server.builder
    site = server.root
    last_good = tempfile.mkdtemp(prefix="servingmath-last-good-")
    atexit.register(shutil.rmtree, last_good, ignore_errors=True)

    def keep_last_good() -> None:
        shutil.rmtree(last_good, ignore_errors=True)
        shutil.copytree(site, last_good)

    def restore_last_good() -> None:
        """Put the last good site back where the server reads (a failed build emptied it).

        In place: a request that came in during the build already holds a path in ``site``."""
        for entry in os.scandir(site):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        shutil.copytree(last_good, site, dirs_exist_ok=True)

    keep_last_good()  # the first build has just succeeded (else serve stopped before this)

    def build_and_report() -> None:
        collector.messages.clear()
        try:
            build()
        except (Exception, SystemExit) as e:  # mkdocs' Abort is a SystemExit
            restore_last_good()
            messages = list(collector.messages)
            if str(e) and not any(str(e) in m for m in messages):
                messages.append(f"ERROR: {e}")
            failure["messages"] = messages
            log.error(
                "Build failed (see above). The browser shows the last good pages under a banner "
                "with these errors until the next good build."
            )
            return  # the server now reloads the browsers, which get the banner
        failure["messages"] = None
        keep_last_good()

    inject = getattr(server, "_inject_js_into_html", None)  # MkDocs 1.x's livereload server
    if inject is None:
        log.warning("This MkDocs has no livereload injection point: failed builds show in the terminal only")
        server.builder = build_and_report
        return server

    def inject_with_banner(content: bytes, epoch: int) -> bytes:
        content = inject(content, epoch)
        messages = failure["messages"]
        return add_banner(content, messages) if messages is not None else content

    server.builder = build_and_report
    server._inject_js_into_html = inject_with_banner
    return server
