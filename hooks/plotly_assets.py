"""Ship plotly.js with the site, copied from the installed plotly package (never a CDN).

The file is added to MkDocs' file collection as a generated file, so ``mkdocs build`` and
``mkdocs serve`` both copy it to ``assets/javascripts/plotly.min.js``, where figures.js
fetches it on pages that have a figure; nothing is committed to docs/
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

DEST = "assets/javascripts/plotly.min.js"


def plotly_js_path() -> Path:
    """The minified plotly.js bundled in the plotly Python package."""
    try:
        import plotly
    except ImportError as e:
        raise PluginError(
            "plotly is not installed: install servingmath[figures] (or requirements.lock)"
        ) from e
    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise PluginError(f"plotly.min.js not found at {path}")
    return path


def on_files(files, config):
    if files.get_file_from_path(DEST) is None:
        files.append(File.generated(config, DEST, abs_src_path=str(plotly_js_path())))
    return files
