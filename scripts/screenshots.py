"""Screenshot every page of a built site, light and dark, for a person to look at.

Usage: python scripts/screenshots.py SITE_DIR OUT_DIR [--open-answers] [--width 1280]
Serves SITE_DIR on 127.0.0.1, blocks every request that leaves it, writes OUT_DIR/<page>-<scheme>.png.
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
from site_tools import site_pages

ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("site", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--open-answers", action="store_true")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--only", default="", help="substring of the page path")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(args.site))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    pages = site_pages(args.site)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for scheme in ("default", "slate"):
            ctx = browser.new_context(viewport={"width": args.width, "height": 900})
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
            index = 0 if scheme == "default" else 1
            palette = f"{{index: {index}, color: {{scheme: '{scheme}'}}}}"
            ctx.add_init_script(f"localStorage.setItem('/.__palette', JSON.stringify({palette}))")
            page = ctx.new_page()
            for path in pages:
                if args.only and args.only not in path:
                    continue
                page.goto(base + path, wait_until="load")
                if args.open_answers:
                    page.locator("details:not([open]) > summary").evaluate_all(
                        "e => e.forEach(s => s.click())"
                    )
                page.wait_for_timeout(800)
                name = (path.strip("/").replace("/", "_") or "home") + f"-{scheme}.png"
                page.screenshot(path=str(args.out / name), full_page=True)
                print(args.out / name)
            ctx.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
