"""The playground's targets, measured in a real browser: first view and frames per second.

Run from the repository root, after ``pip install -e ".[test]"`` and with Debian's Chromium
installed (``apt-get install chromium``)::

    python bench/playground.py

Starts the server on loopback in this process, opens pages in headless Chromium with
Playwright, and prints: the time from navigation to the first drawn frame (median of 5 page
loads), and how many times a second the decision boundary is redrawn while training at full
speed, for 1 tab and for several tabs at once (each tab's own rate).
"""

from __future__ import annotations

import statistics
import threading
import time

import uvicorn
from playwright.sync_api import sync_playwright

from xornet.playground.server import create_app

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECONDS = 4.0


def start_server() -> tuple[uvicorn.Server, str]:
    config = uvicorn.Config(create_app(max_sessions=64), host="127.0.0.1", port=0,
                            log_level="warning", ws="websockets-sansio")  # fmt: skip
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def main() -> None:
    server, url = start_server()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        context = browser.new_context(bypass_csp=True)
        first = []
        for _ in range(5):
            page = context.new_page()
            page.goto(url)
            page.wait_for_function("window.xornet.firstFrameAt !== null")
            first.append(page.evaluate("window.xornet.firstFrameAt"))
            page.close()
        print(f"first view drawn {statistics.median(first):.0f} ms after navigation "
              f"(median of 5; target under 1000 ms)")  # fmt: skip
        for tabs in (1, 5, 20):
            pages = []
            for _ in range(tabs):
                page = context.new_page()
                page.goto(f"{url}/?dataset=moons&hidden=8&samples=200&speed=10")
                page.wait_for_function("window.xornet.frames > 1")
                pages.append(page)
            for page in pages:
                page.click("#play")
            time.sleep(1.0)  # settle
            before = [page.evaluate("window.xornet.boundaryDraws") for page in pages]
            steps0 = [page.evaluate("window.xornet.lastFrame.step") for page in pages]
            time.sleep(SECONDS)
            after = [page.evaluate("window.xornet.boundaryDraws") for page in pages]
            steps1 = [page.evaluate("window.xornet.lastFrame.step") for page in pages]
            rates = [(b - a) / SECONDS for a, b in zip(before, after, strict=True)]
            speed = [(b - a) / SECONDS for a, b in zip(steps0, steps1, strict=True)]
            print(f"{tabs:>2} tab(s) training moons (200 points, 8 hidden) at full speed: "
                  f"boundary redrawn {min(rates):.1f}-{max(rates):.1f} times/s per tab "
                  f"(target 20), {statistics.median(speed):,.0f} steps/s per tab")  # fmt: skip
            for page in pages:
                page.close()
        browser.close()
    server.should_exit = True


if __name__ == "__main__":
    main()
