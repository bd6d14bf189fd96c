"""The built site in headless Chromium (Debian's, driven by Playwright), served over HTTP on
loopback: the home page renders without console errors, search finds `exports.data`, the
language tabs switch (and every tab set on the page follows), and screenshots of the home page
and of the Python reference are saved.

Usage: python docs/tests/browser_check.py SITE_DIR SCREENSHOT_DIR
"""

from __future__ import annotations

import functools
import http.server
import os
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

# Debian's package; CHROMIUM names another (the CI runner's Chrome).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As the machine's notes advise: no background networking on a closed network.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def serve(site: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    site, shots = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    shots.mkdir(parents=True, exist_ok=True)
    server, base = serve(site)
    problems: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            # The home page renders, with its title and tabs, and nothing fails in the console.
            page.goto(f"{base}/", wait_until="networkidle")
            if "Ticksupply SDK" not in page.title():
                problems.append(f"home page title is {page.title()!r}")
            if page.locator(".tabbed-labels > label").count() < 4:
                problems.append("home page: no language tabs")
            page.screenshot(path=str(shots / "home.png"), full_page=True)
            if errors:
                problems.append(f"home page console errors: {errors}")

            # Search finds exports.data (the index is built and loaded).
            search = page.locator("input.md-search__input")
            search.click()
            search.type("exports.data", delay=30)
            page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
            found = [a.get_attribute("href") or "" for a in page.locator(".md-search-result__link").all()]
            if not any("/reference/python/" in h for h in found):
                problems.append(f"search for exports.data did not find the Python reference: {found}")
            page.keyboard.press("Escape")

            # Tabs: choosing JavaScript in one set chooses it in every set of the page.
            page.goto(f"{base}/guides/quickstart/", wait_until="networkidle")
            sets = page.locator(".tabbed-set")
            page.locator(".tabbed-set").nth(1).locator(".tabbed-labels > label", has_text="JavaScript").click()
            chosen = page.evaluate(
                """() => [...document.querySelectorAll('.tabbed-set')].map(s => {
                    const i = [...s.querySelectorAll(':scope > input')].findIndex(x => x.checked);
                    return s.querySelectorAll('.tabbed-labels > label')[i]?.innerText;
                })"""
            )
            if sets.count() < 5 or any(c != "JavaScript" for c in chosen):
                problems.append(f"tabs did not all switch to JavaScript: {chosen}")
            visible = page.locator(".tabbed-set").nth(1).locator(".tabbed-block:visible code").first.inner_text()
            if "await client" not in visible:
                problems.append(f"the JavaScript tab does not show JavaScript: {visible[:200]!r}")

            # A reference page renders its entries.
            page.goto(f"{base}/reference/python/", wait_until="networkidle")
            if page.locator("text=ExportsResource").count() == 0:
                problems.append("the Python reference has no ExportsResource")
            page.screenshot(path=str(shots / "python-reference.png"), full_page=False)
            if errors:
                problems.append(f"console errors: {errors}")
            browser.close()
    finally:
        server.shutdown()
    for p in problems:
        print(f"browser: {p}", file=sys.stderr)
    print(f"browser: screenshots {shots / 'home.png'}, {shots / 'python-reference.png'}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
