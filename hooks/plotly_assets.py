"""Ship the figures' assets with the site (never a CDN): plotly.js's basic bundle and each figure's CSV.

* plotly.js: the npm partial bundle ``plotly.js-basic-dist-min`` (scatter, bar, pie: the only
  trace types ``servingmath.book.figures.embed`` accepts), pinned with its integrity hash in
  package-lock.json and installed into node_modules/ by ``make install``. It is added to
  MkDocs' files as a generated file, so ``mkdocs build`` and ``mkdocs serve`` both copy it to
  ``assets/javascripts/plotly-basic.min.js``, where figures.js fetches it when a figure comes
  near the viewport. The build fails unless its version is the one the lock pins and the one
  the plotly Python package (which builds the figures' JSON) was made for.
* Figure files: ``embed`` puts each figure's JSON (fetched by figures.js when the figure comes
  near the viewport) and its CSV (the download link) in HTML comments ``<!-- sm-figure-file
  fig-x.json BASE64 -->`` (zlib, base64: ``servingmath.book.figures.file_comment``); after a
  page is rendered, each comment is removed and its file written next to the page.
* Figure tables: ``<!-- sm-figure-html BASE64 -->`` (``html_comment``) is unpacked in place at
  the same time, after the search index and the number ledger have read the page.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "plotly.js-basic-dist-min"
BUNDLE = "plotly-basic.min.js"
DEST = f"assets/javascripts/{BUNDLE}"
_HEADER = re.compile(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)")
_FILE = re.compile(r"<!-- sm-figure-file (\S+) ([A-Za-z0-9+/=]*) -->")
_HTML = re.compile(r"<!-- sm-figure-html ([A-Za-z0-9+/=]*) -->")
_FILE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.(?:csv|json)$")


def pinned_version(root: Path = ROOT) -> str:
    """The bundle's version as package-lock.json pins it."""
    lock = json.loads((root / "package-lock.json").read_text(encoding="utf-8"))
    try:
        return lock["packages"][f"node_modules/{PACKAGE}"]["version"]
    except KeyError as e:
        raise PluginError(f"{PACKAGE} is not pinned in package-lock.json") from e


def plotly_py_version() -> str:
    """The plotly.js version the installed plotly Python package writes figures for."""
    try:
        from plotly.offline import get_plotlyjs_version
    except ImportError as e:
        raise PluginError(
            "plotly is not installed: install servingmath[figures] (or requirements.lock)"
        ) from e
    return get_plotlyjs_version()


def plotly_js_path(root: Path = ROOT) -> Path:
    """The installed basic bundle, checked against the lock and the plotly Python package."""
    path = root / "node_modules" / PACKAGE / BUNDLE
    if not path.is_file():
        raise PluginError(f"{path} not found: run `make install` (npm ci from package-lock.json)")
    with path.open(encoding="utf-8") as f:
        m = _HEADER.search(f.read(400))
    found = m.group(1) if m else "unknown"
    want = pinned_version(root)
    if found != want:
        raise PluginError(f"{path} is plotly.js {found}, package-lock.json pins {want}: run `make install`")
    py = plotly_py_version()
    if found != py:
        raise PluginError(f"{path} is plotly.js {found}, but the plotly Python package is made for {py}")
    return path


def on_files(files, config):
    if files.get_file_from_path(DEST) is None:
        files.append(File.generated(config, DEST, abs_src_path=str(plotly_js_path())))
    return files


def extract_files(output: str) -> tuple[str, dict[str, str]]:
    """Remove the figure file comments from a page; return the page and {file name: text}.

    >>> extract_files('<a href="fig-a.csv">x</a><!-- sm-figure-file fig-a.csv eNpL1EniAgAC2gD6 -->')
    ('<a href="fig-a.csv">x</a>', {'fig-a.csv': 'a,b\\n'})
    """
    found: dict[str, str] = {}

    def take(m: re.Match[str]) -> str:
        name = m.group(1)
        if not _FILE_NAME.match(name):
            raise PluginError(
                f"figure file name must be lowercase letters, digits, dashes, .csv/.json: {name!r}"
            )
        if name in found:
            raise PluginError(f"two figures on one page write {name}: give them different ids")
        found[name] = zlib.decompress(base64.b64decode(m.group(2))).decode("utf-8")
        return ""

    return _FILE.sub(take, output), found


def unpack_html(output: str) -> str:
    """Put the packed HTML of each ``sm-figure-html`` comment in its place.

    >>> unpack_html("<p><!-- sm-figure-html eNqzSbIztNFPsgMACX4CGQ== --></p>")
    '<p><b>1</b></p>'
    """
    return _HTML.sub(lambda m: zlib.decompress(base64.b64decode(m.group(1))).decode("utf-8"), output)


def on_post_page(output, page, config):
    output, found = extract_files(unpack_html(output))
    if found:
        folder = Path(config.site_dir, page.file.dest_uri).parent
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in found.items():
            # The BOM lets spreadsheets read a UTF-8 CSV; JSON goes as it is.
            (folder / name).write_text(text, encoding="utf-8-sig" if name.endswith(".csv") else "utf-8")
    return output
