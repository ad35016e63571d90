"""The README's commands work as written."""

from __future__ import annotations

import re

from project_copy import ROOT


def test_readme_shows_the_serve_address_override() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    default = re.search(r"^HOST\s*\?=\s*(\S+)$", makefile, re.M)
    assert default, "the Makefile no longer lets HOST be overridden"
    assert f"http://{default.group(1)}" in readme  # the default address
    assert re.search(r"^make serve HOST=127\.0\.0\.1:\d+ ", readme, re.M), "no HOST override in README"
    assert "--dev-addr $(HOST)" in makefile
