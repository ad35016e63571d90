"""What a maintainer expects on every page: an edit link, a footer stamp of the commit, date and
servingmath version behind the numbers, and links from chapter sections to the English original."""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pytest
from conftest import mkdocs_build
from project_copy import ROOT, copy_project, edit
from site_tools import site_pages

from servingmath.book.original import ORIGINAL_HEADINGS, ORIGINAL_URL, SECTIONS

pytestmark = pytest.mark.build

EDIT = re.compile(r'<a href="([^"]+)" title="[^"]*" class="md-content__button md-icon" rel="edit">')
ORIGINAL = re.compile(r'<a class="sm-original" href="([^"]+)"')
HEADING = re.compile(r'<h([1-6]) id="([^"]+)">(.*?)</h\1>', re.S)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def _page_html(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


def test_every_page_has_an_edit_link_to_its_source(built_site: Path) -> None:
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")}
    sources.add("docs/beyond/playground.py")
    seen = set()
    for page in site_pages(built_site):
        links = EDIT.findall(_page_html(built_site, page))
        assert len(links) == 1, (page, links)
        m = re.fullmatch(r"https?://[^ ]+/edit/main/(docs/.+)", links[0])
        assert m, links[0]
        seen.add(m.group(1))
    assert seen == sources


def test_every_page_carries_the_build_stamp(built_site: Path) -> None:
    commit, epoch = _git("log", "-1", "--format=%H %ct").split()
    date = datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no").strip())
    version = metadata.version("servingmath")
    for page in site_pages(built_site):
        html = _page_html(built_site, page)
        stamp = re.search(r'<div class="sm-build-stamp">(.*?)</div>', html, re.S)
        assert stamp, page
        text = " ".join(re.sub(r"<[^>]+>", "", stamp.group(1)).split())
        assert f"servingmath {version}" in text and commit[:12] in text and date in text, text
        assert ("未提交的修改" in text) == dirty, text
        assert f"/commit/{commit}" in stamp.group(1)
        # Material would ask the GitHub API for stars and forks when the page is viewed.
        assert 'data-md-component="source"' not in html


def test_chapter_sections_link_to_the_english_original(built_site: Path) -> None:
    anchors = {f"{ORIGINAL_URL}#{a}" for a in ORIGINAL_HEADINGS.values()} | {ORIGINAL_URL}
    questions = []
    for (src, heading_id), _ in SECTIONS.items():
        page = src.removesuffix(".md") + "/"
        headings = {h[1]: h[2] for h in HEADING.findall(_page_html(built_site, page))}
        links = ORIGINAL.findall(headings[heading_id])
        assert len(links) == 1 and links[0] in anchors, (src, heading_id, links)
    for page in ("chapter/basics/", "chapter/throughput/", "chapter/prefill/", "chapter/exercises/"):
        for _, heading_id, inner in HEADING.findall(_page_html(built_site, page)):
            if re.sub(r"<[^>]+>", "", inner).startswith("问题"):
                questions.append(heading_id)
                assert ORIGINAL.search(inner), (page, heading_id)
    assert len(questions) == 12 + 3  # the chapter's questions 1-12 and the three worked problems


def test_a_mapped_heading_that_disappears_fails_the_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project / "docs" / "chapter" / "prefill.md", "{ #q11-eviction-rate }", "{ #q11-renamed }")
    proc = mkdocs_build(project, tmp_path / "site", extra_env={"PYTHONPATH": str(project)})
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "docs/chapter/prefill.md: no heading with id 'q11-eviction-rate'" in log, log


def test_home_page_lists_every_page(built_site: Path) -> None:
    home = _page_html(built_site, "")
    start = home.index('id="pages"')
    end = min(i for i in (home.find("<h2", start + 1), home.index("</article>", start)) if i > 0)
    section = home[start:end]  # the list under 页面, up to the next section or the article's end
    linked = {href.removeprefix("./").split("#")[0] for href in re.findall(r'<a href="([^"]+)"', section)}
    pages = set(site_pages(built_site)) - {""}
    assert pages <= linked, f"pages missing from the home page's list: {sorted(pages - linked)}"


def _nav_labels() -> dict[str, str]:
    """Page source -> its label in mkdocs.yml's nav."""
    from mkdocs.config import load_config

    labels: dict[str, str] = {}

    def walk(items: list) -> None:
        for item in items:
            for label, value in item.items():
                if isinstance(value, list):
                    walk(value)
                else:
                    labels[value] = label

    walk(load_config(str(ROOT / "mkdocs.yml"))["nav"])
    return labels


def test_page_titles_match_their_nav_labels(built_site: Path) -> None:
    """A page's heading starts with its label in the navigation (the home page is 首页 there)."""
    for src, label in _nav_labels().items():
        if src == "index.md":
            continue
        page = src.rsplit(".", 1)[0].removesuffix("index") + "/"
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", _page_html(built_site, page), re.S)
        assert h1, page
        text = re.sub(r"<[^>]+>", "", re.sub(r'<a class="(headerlink|sm-original)".*?</a>', "", h1.group(1)))
        assert text.strip().startswith(label), (src, label, text)
