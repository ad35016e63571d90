"""Serve the playground notebook's CSS as one cached file with only the rules the page uses.

mkdocs-jupyter inlines about 590 kB of JupyterLab CSS (``<style>`` blocks) into the notebook
page's HTML, so every view of the page downloads it again. This hook, on the notebook pages:

1. takes the ``<style>`` blocks out of the page content and puts one
   ``<link rel="stylesheet">`` where the first one was (in the content, so instant navigation
   loads it like it loaded the inline styles);
2. prunes the CSS to the rules that can match the finished page: a selector is kept unless it
   needs a class or an id that appears nowhere in the page's HTML (``:not(...)``, ``:is(...)``,
   ``:where(...)`` and ``:has(...)`` arguments are never used to drop a selector); custom
   properties (``--x: ...``) that no kept rule, no other custom property kept, and none of the
   theme's or the site's stylesheets read are dropped; ``@keyframes`` that no kept rule names are
   dropped;
3. writes the result once to ``assets/stylesheets/notebook.css`` in the site.

It also drops two dead inline scripts nbconvert adds: a MathJax loader whose ``src`` is empty (the
site renders math as MathML at build time) and, when the notebook has no Mermaid diagram, the
Mermaid loader (it would import from a CDN if it ever ran). Pruning is cached on disk by the hash
of its inputs, so a warm build does no CSS work.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from functools import lru_cache
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

log = logging.getLogger("mkdocs.hooks.notebook_css")

DEST = "assets/stylesheets/notebook.css"
MARKER = "jupyter-wrapper"  # mkdocs-jupyter's wrapper class: a notebook page
STYLE = re.compile(r"<style\b[^>]*>(.*?)</style>\s*", re.S | re.I)
MATHJAX = re.compile(
    r'<!-- Load mathjax -->\s*<script src="">\s*</script>\s*<!-- MathJax configuration -->\s*'
    r'<script type="text/x-mathjax-config">.*?</script>\s*<!-- End of mathjax configuration -->',
    re.S,
)
MERMAID = re.compile(
    r'<script type="module">\s*document\.addEventListener\("DOMContentLoaded".*?</script>', re.S
)
MERMAID_DIAGRAM = re.compile(r'<[a-z]+\b[^>]*\bclass="[^"]*\bjp-Mermaid\b')  # a diagram element
# Tokens that matter when splitting CSS: strings, comments, braces, semicolons.
TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|/\*.*?\*/|[{};]', re.S)
CLASS_ATTR = re.compile(r'\bclass="([^"]*)"')
ID_ATTR = re.compile(r'\bid="([^"]*)"')
CSS_TOKEN = re.compile(r"[\w-]+")  # a class or id name as a CSS selector can spell it unescaped
SEL_CLASS = re.compile(r"\.((?:\\.|[\w-])+)")
SEL_ID = re.compile(r"#((?:\\.|[\w-])+)")
VAR_REF = re.compile(r"var\(\s*(--[\w-]+)")
CUSTOM_DECL = re.compile(r"^\s*(--[\w-]+)\s*:")
JS_ADDED = "md-"  # class prefix of Material's JavaScript-added classes
GROUPING = ("@media", "@supports", "@layer", "@container", "@document", "@-moz-document")
KEYFRAMES = re.compile(r"@(?:-[a-z]+-)?keyframes\s+([\w-]+)")

_notebook_css: dict[str, str] = {}  # page src_uri -> the CSS taken out of its content
_written: dict[str, str] = {}  # DEST -> the CSS written there during this build


# ----------------------------------------------------------------------------- parsing


def cache_root(project: Path) -> Path:
    """The build cache: ``.cache/`` in the project, or ``$SERVINGMATH_CACHE_DIR`` when set (tests
    build with an empty one to check that a cold build equals a warm one)."""
    return Path(os.environ.get("SERVINGMATH_CACHE_DIR") or project / ".cache")


def parse(css: str) -> list[tuple[str, object]]:
    """Split a stylesheet into ``(prelude, body)`` items, comments dropped.

    ``body`` is a list of items for grouping at-rules (``@media`` ...), the declaration text for
    every other block, and ``None`` for a statement (``@charset ...;``).

    >>> parse("a{color:red} @media print{.b{x:1}} @charset 'x';")
    [('a', 'color:red'), ('@media print', [('.b', 'x:1')]), ("@charset 'x'", None)]
    """
    items, _ = _parse(css, 0)
    return items


def _parse(css: str, pos: int) -> tuple[list[tuple[str, object]], int]:
    items: list[tuple[str, object]] = []
    prelude: list[str] = []
    start = pos
    for m in TOKEN.finditer(css, pos):
        if m.start() < start:
            continue
        tok = m.group(0)
        if tok[0] in "\"'":
            continue
        if tok.startswith("/*"):
            prelude.append(css[start : m.start()])
            start = m.end()
            continue
        prelude.append(css[start : m.start()])
        head = "".join(prelude).strip()
        prelude, start = [], m.end()
        if tok == "}":
            return items, m.end()
        if tok == ";":
            if head:
                items.append((head, None))
            continue
        if head.lower().startswith(GROUPING):
            children, start = _parse(css, m.end())
            items.append((head, children))
        else:
            end = _block_end(css, m.end())
            items.append((head, _strip_comments(css[m.end() : end]).strip()))
            start = end + 1
    return items, len(css)


def _block_end(css: str, pos: int) -> int:
    """Index of the ``}`` closing the block that starts at ``pos`` (nested blocks skipped)."""
    depth = 1
    for m in TOKEN.finditer(css, pos):
        tok = m.group(0)
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
            if depth == 0:
                return m.start()
    return len(css)


def _strip_comments(text: str) -> str:
    return TOKEN.sub(lambda m: "" if m.group(0).startswith("/*") else m.group(0), text)


def serialize(items: list[tuple[str, object]]) -> str:
    """CSS text for parsed items (inverse of :func:`parse`, minus comments and whitespace).

    >>> serialize(parse("a { color: red }  @media print { .b { x: 1 } }"))
    'a{color: red}\\n@media print{.b{x: 1}}'
    """
    out = []
    for prelude, body in items:
        if body is None:
            out.append(f"{prelude};")
        elif isinstance(body, list):
            out.append(f"{prelude}{{{serialize(body)}}}")
        else:
            out.append(f"{prelude}{{{body}}}")
    return "\n".join(out)


def split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses, brackets and strings.

    >>> split_top("a, :is(b, c), [x='1,2']", ",")
    ['a', ' :is(b, c)', " [x='1,2']"]
    """
    parts, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


# ----------------------------------------------------------------------------- pruning


def _outside_arguments(selector: str) -> str:
    """The selector with every ``(...)`` and ``[...]`` removed (they never drop a selector)."""
    out, depth = [], 0
    for ch in selector:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _unescape(name: str) -> str:
    return re.sub(r"\\(.)", r"\1", name)


def selector_can_match(selector: str, classes: set[str], ids: set[str]) -> bool:
    """False only if the selector needs a class or id the page does not have.

    Classes starting with ``md-`` count as present: Material's JavaScript adds them at view time
    (``md-typeset__scrollwrap`` around tables, for one).

    >>> selector_can_match(".a .b:not(.zzz) > p", {"a", "b"}, set())
    True
    >>> selector_can_match(".a .c", {"a", "b"}, set())
    False
    >>> selector_can_match("#x:hover, .a", set(), set())  # one selector, not a list
    False
    >>> selector_can_match(".a .md-typeset__scrollwrap", {"a"}, set())
    True
    """
    bare = _outside_arguments(selector)
    return all(c.startswith(JS_ADDED) or _unescape(c) in classes for c in SEL_CLASS.findall(bare)) and all(
        _unescape(i) in ids for i in SEL_ID.findall(bare)
    )


Items = list[tuple[str, object]]


def _prune_rules(items: Items, classes: set[str], ids: set[str]) -> Items:
    out: Items = []
    for prelude, body in items:
        if body is None:
            if not prelude.lower().startswith("@charset"):
                out.append((prelude, body))
        elif isinstance(body, list):
            kept = _prune_rules(body, classes, ids)
            if kept:
                out.append((prelude, kept))
        elif prelude.startswith("@"):
            out.append((prelude, body))  # @font-face, @keyframes, @page ...: decided later
        else:
            selectors = [s.strip() for s in split_top(prelude, ",")]
            live = [s for s in selectors if selector_can_match(s, classes, ids)]
            if live:
                out.append((",".join(live), body))
    return out


def _walk(items: list[tuple[str, object]]):
    for prelude, body in items:
        if isinstance(body, list):
            yield from _walk(body)
        else:
            yield prelude, body


def _prune_declarations(
    items: list[tuple[str, object]], keep: set[str], keyframes: set[str]
) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for prelude, body in items:
        if isinstance(body, list):
            kept = _prune_declarations(body, keep, keyframes)
            if kept:
                out.append((prelude, kept))
        elif isinstance(body, str) and not prelude.startswith("@"):
            decls = [d for d in split_top(body, ";") if d.strip()]
            decls = [d for d in decls if (m := CUSTOM_DECL.match(d)) is None or m.group(1) in keep]
            if decls:
                out.append((prelude, ";".join(d.strip() for d in decls)))
        elif (m := KEYFRAMES.match(prelude)) is not None:
            if m.group(1) in keyframes:
                out.append((prelude, body))
        else:
            out.append((prelude, body))
    return out


def prune(css: str, classes: set[str], ids: set[str], external_vars: set[str] = frozenset()) -> str:
    """The rules of ``css`` that can apply to a page with these classes and ids.

    ``external_vars`` are custom properties read by other stylesheets of the page (kept).

    >>> prune(".a{--x:1;--y:2;color:var(--x)} .b{color:red} @keyframes k{to{top:0}}", {"a"}, set())
    '.a{--x:1;color:var(--x)}'
    """
    items = _prune_rules(parse(css), classes, ids)
    plain = [b for p, b in _walk(items) if isinstance(b, str) and not p.startswith("@")]
    defined: dict[str, set[str]] = {}  # custom property -> the ones its values read
    reads: set[str] = set(external_vars)
    for body in plain:
        for decl in split_top(body, ";"):
            m = CUSTOM_DECL.match(decl)
            if m:
                defined.setdefault(m.group(1), set()).update(VAR_REF.findall(decl))
            else:
                reads.update(VAR_REF.findall(decl))
    keep: set[str] = set()
    todo = [v for v in reads if v in defined]
    while todo:  # everything a read property needs, transitively
        name = todo.pop()
        if name not in keep:
            keep.add(name)
            todo.extend(defined.get(name, ()))
    kept_text = " ".join(plain)
    keyframes = {m.group(1) for p, _ in _walk(items) if (m := KEYFRAMES.match(p))}
    used_keyframes = {k for k in keyframes if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", kept_text)}
    return serialize(_prune_declarations(items, keep, used_keyframes))


@lru_cache(maxsize=1)
def theme_var_reads() -> frozenset[str]:
    """Custom properties the Material theme's own stylesheets read (never dropped)."""
    import material

    base = Path(material.__file__).parent / "templates" / "assets" / "stylesheets"
    found: set[str] = set()
    for f in base.glob("*.css"):
        found.update(VAR_REF.findall(f.read_text(encoding="utf-8", errors="replace")))
    return frozenset(found)


def site_var_reads(config) -> set[str]:
    found: set[str] = set()
    for name in config.get("extra_css", []):
        path = Path(config["docs_dir"]) / str(name)
        if path.is_file():
            found.update(VAR_REF.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


# ----------------------------------------------------------------------------- page


def take_styles(html: str, href: str) -> tuple[str, str]:
    """``html`` with its ``<style>`` blocks replaced by one link to ``href``, and their CSS.

    >>> take_styles("<p>a</p><style>.x{}</style><div></div><style>.y{}</style>", "n.css")
    ('<p>a</p><link rel="stylesheet" href="n.css"><div></div>', '.x{}\\n.y{}')
    """
    css = [m.group(1).strip() for m in STYLE.finditer(html)]
    if not css:
        return html, ""
    first = STYLE.search(html)
    assert first is not None
    link = f'<link rel="stylesheet" href="{href}">'
    rest = STYLE.sub("", html[first.end() :])
    return html[: first.start()] + link + rest, "\n".join(css)


def drop_dead_scripts(html: str) -> str:
    """Remove the empty-``src`` MathJax loader and, without Mermaid diagrams, the Mermaid loader.

    >>> loader = '<script type="module">\\n  document.addEventListener("DOMContentLoaded", f)</script>'
    >>> page = '<div class="x"></div>' + loader
    >>> drop_dead_scripts(page)
    '<div class="x"></div>'
    >>> drop_dead_scripts(page.replace('"x"', '"jp-Mermaid"')) == page.replace('"x"', '"jp-Mermaid"')
    True
    """
    html = MATHJAX.sub("", html)
    if not MERMAID_DIAGRAM.search(html):
        html = MERMAID.sub("", html)
    return html


def page_names(html: str) -> tuple[set[str], set[str]]:
    """Every class and id used in ``html``.

    >>> [sorted(names) for names in page_names('<a class="x y" id="i"><b class="z">')]
    [['x', 'y', 'z'], ['i']]
    """
    classes = {c for attr in CLASS_ATTR.findall(html) for c in attr.split()}
    return classes, set(ID_ATTR.findall(html))


def _cache_dir(config) -> Path:
    return cache_root(Path(config.config_file_path).parent) / "notebook-css"


def names_css_can_select(names: set[str], css: str) -> set[str]:
    r"""The class or id names of a page that a selector of ``css`` could mention: the others do not
    change what :func:`prune` keeps (a figure's id that follows its data, a notebook cell's random
    ``cell-id=…``). A name with other characters than letters, digits, ``_`` and ``-`` counts when
    the CSS spells it escaped (``.md\:flex``).

    >>> css = ".a{x:0} .md\\:flex{y:0}"
    >>> sorted(names_css_can_select({"a", "fig-3f2a", "md:flex", "cell-id=0c21"}, css))
    ['a', 'md:flex']
    """
    tokens = set(CSS_TOKEN.findall(css))

    def escaped(name: str) -> str:
        return re.sub(r"([^\w-])", r"\\\1", name)

    return {n for n in names if n in tokens or (not CSS_TOKEN.fullmatch(n) and escaped(n) in css)}


def pruned_css(css: str, html: str, config) -> str:
    """:func:`prune` for a finished page, cached on disk by the hash of everything it reads."""
    classes, ids = page_names(html)
    classes, ids = names_css_can_select(classes, css), names_css_can_select(ids, css)
    external = theme_var_reads() | site_var_reads(config)
    h = hashlib.sha256(Path(__file__).read_bytes())
    for part in (css, " ".join(sorted(classes)), " ".join(sorted(ids)), " ".join(sorted(external))):
        h.update(part.encode())
        h.update(b"\0")
    cached = _cache_dir(config) / f"{h.hexdigest()[:24]}.css"
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    out = prune(css, classes, ids, external)
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")  # concurrent builds share the cache
    tmp.write_text(out, encoding="utf-8")
    os.replace(tmp, cached)
    log.debug("notebook CSS pruned: %d -> %d bytes", len(css), len(out))
    return out


def on_pre_build(config):
    _notebook_css.clear()
    _written.clear()


def on_page_content(html, page, config, files):
    if MARKER not in html or "<style" not in html:
        return html
    html, css = take_styles(drop_dead_scripts(html), get_relative_url(DEST, page.url))
    _notebook_css[page.file.src_uri] = css
    return html


def on_post_page(output, page, config):
    css = _notebook_css.get(page.file.src_uri)
    if css is None:
        return output
    # Every notebook page of this site carries the same CSS (one file); a second notebook with other
    # classes would need its own file: fail loudly rather than style it wrongly.
    text = pruned_css(css, output, config)
    if _written.get(DEST, text) != text:
        raise PluginError(f"{page.file.src_uri}: a second notebook page needs other CSS than {DEST}")
    dest = Path(config["site_dir"]) / DEST
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(text, encoding="utf-8")
    _written[DEST] = text
    return output
