"""Small helpers about a built site, shared by tests and scripts/ (bench, screenshots)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path


def site_pages(site: Path) -> list[str]:
    """URL paths of every page of a built site (directory URLs; assets and 404.html excluded)."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        rel = index.parent.relative_to(site).as_posix()
        if not rel.startswith("assets"):
            pages.append("" if rel == "." else f"{rel}/")
    return pages


def fetch_text(url: str, timeout: float, errors: str = "strict") -> str:
    """The body of ``url`` as text, or "" while the server is not answering (polling loops)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode("utf-8", errors=errors)
    except OSError:
        return ""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process_group(proc: subprocess.Popen[str], timeout: float = 30) -> None:
    """Stop a server started with ``start_new_session=True`` and all its children."""
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
