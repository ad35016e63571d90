"""Screenshot every page of a built site, light and dark, wide and narrow, for a person to look at.

Usage: python scripts/screenshots.py SITE_DIR OUT_DIR [--open-answers] [--widths 1280,390]
                                     [--only SUBSTRING] [--tile 2400]
Serves SITE_DIR on 127.0.0.1, blocks every request that leaves it, and writes
OUT_DIR/<page>-<width>-<scheme>.png (full page). With --tile N, a long page is cut into
OUT_DIR/<page>-<width>-<scheme>-<k>.png pieces at most N px tall, easier to look at.
The scheme is chosen the way a reader's choice is remembered (Material's palette in localStorage).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from a11y_tools import EXPAND_JS
from site_tools import site_pages

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def shoot(page, out: Path, name: str, tile: int) -> list[Path]:  # type: ignore[no-untyped-def]
    if not tile:
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        return [out / f"{name}.png"]
    height = page.evaluate("() => document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    paths = []
    for k, top in enumerate(range(0, height, tile)):
        path = out / f"{name}-{k}.png"
        clip = {"x": 0, "y": top, "width": width, "height": min(tile, height - top)}
        page.screenshot(path=str(path), full_page=True, clip=clip)
        paths.append(path)
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("site", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--open-answers", action="store_true")
    ap.add_argument("--widths", default="1280,390", help="comma-separated viewport widths")
    ap.add_argument("--only", default="", help="substring of the page path")
    ap.add_argument("--tile", type=int, default=0, help="cut pages into pieces this tall (px)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    widths = [int(w) for w in args.widths.split(",")]
    handler = functools.partial(_Quiet, directory=str(args.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    pages = [p for p in site_pages(args.site) if args.only in p]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for scheme in ("default", "slate"):
            for width in widths:
                ctx = browser.new_context(viewport={"width": width, "height": 900})
                ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
                index = 0 if scheme == "default" else 1
                palette = f"{{index: {index}, color: {{scheme: '{scheme}'}}}}"
                ctx.add_init_script(f"localStorage.setItem('/.__palette', JSON.stringify({palette}))")
                page = ctx.new_page()
                for path in pages:
                    page.goto(base + path, wait_until="load")
                    if args.open_answers:
                        page.evaluate(EXPAND_JS)
                    page.wait_for_timeout(800)
                    name = (path.strip("/").replace("/", "_") or "home") + f"-{width}-{scheme}"
                    for shot in shoot(page, args.out, name, args.tile):
                        print(shot)
                ctx.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
