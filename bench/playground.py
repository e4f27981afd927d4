"""The playground's targets, measured in a real browser: first view and frames per second.

Run from the repository root, after ``pip install -e ".[test]"`` and with Debian's Chromium
installed (``apt-get install chromium``)::

    python bench/playground.py

Starts the server on loopback in this process, opens pages in headless Chromium with
Playwright, and prints: the time from navigation to the first drawn frame (median of 5 page
loads), and how many times a second the decision boundary is redrawn while training at full
speed in one tab. Then the server alone, without a browser's drawing: 5 and 20 sessions playing
at once through plain WebSocket clients, and the frames a second each session receives (with 20
browser tabs on 2 cores, Chromium's own drawing and its throttling of background tabs would be
measured instead).
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from typing import Any

import uvicorn
from playwright.sync_api import sync_playwright
from websockets.sync.client import connect

from xornet.playground import HEADLESS_CHROMIUM
from xornet.playground.server import create_app

SECONDS = 4.0


def start_server() -> tuple[uvicorn.Server, str]:
    config = uvicorn.Config(create_app(max_sessions=64), host="127.0.0.1", port=0,
                            log_level="warning", ws="websockets-sansio")  # fmt: skip
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def wait_for(page: Any, expression: str) -> None:
    """Poll ``expression`` from Python: the page's policy forbids the ``eval`` that
    Playwright's ``wait_for_function`` uses."""
    check = f"(() => {{ try {{ return Boolean({expression}); }} catch {{ return false; }} }})()"
    while not page.evaluate(check):
        time.sleep(0.01)


def main() -> None:
    server, url = start_server()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=list(HEADLESS_CHROMIUM)
        )
        context = browser.new_context()
        first = []
        for _ in range(5):
            page = context.new_page()
            page.goto(url)
            wait_for(page, "window.xornet.firstFrameAt !== null")
            first.append(page.evaluate("window.xornet.firstFrameAt"))
            page.close()
        print(f"first view drawn {statistics.median(first):.0f} ms after navigation "
              f"(median of 5; target under 1000 ms)")  # fmt: skip
        page = context.new_page()
        page.goto(f"{url}/?dataset=moons&hidden=8&samples=200&speed=10")
        wait_for(page, "window.xornet.frames > 1")
        page.click("#play")
        time.sleep(1.0)  # settle
        before = page.evaluate("[window.xornet.boundaryDraws, window.xornet.lastFrame.step]")
        time.sleep(SECONDS)
        after = page.evaluate("[window.xornet.boundaryDraws, window.xornet.lastFrame.step]")
        print(f"1 tab training moons (200 points, 8 hidden) at full speed: boundary redrawn "
              f"{(after[0] - before[0]) / SECONDS:.1f} times/s (target 20), "
              f"{(after[1] - before[1]) / SECONDS:,.0f} steps/s")  # fmt: skip
        page.close()
        browser.close()
    for sessions in (5, 20):
        rates = sessions_at_once(url, sessions)
        print(f"{sessions} sessions playing at once (WebSocket clients, no drawing): "
              f"{min(rates):.1f}-{max(rates):.1f} frames/s per session")  # fmt: skip
    server.should_exit = True


def sessions_at_once(url: str, count: int) -> list[float]:
    """Frames a second each of ``count`` sessions receives while all of them play."""
    address = url.replace("http://", "ws://") + "/ws"
    rates: list[float] = [0.0] * count
    ready = threading.Barrier(count)

    def client(k: int) -> None:
        with connect(address, origin=url, max_size=None) as ws:  # type: ignore[arg-type]
            while json.loads(ws.recv())["type"] != "frame":
                pass
            ws.send(json.dumps({"type": "settings", "settings": {
                "dataset": "moons", "hidden": 8, "samples": 200}}))  # fmt: skip
            ready.wait()
            ws.send(json.dumps({"type": "play"}))
            start, frames = time.monotonic(), 0
            while time.monotonic() - start < SECONDS:
                if json.loads(ws.recv())["type"] == "frame":
                    frames += 1
            rates[k] = frames / (time.monotonic() - start)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return rates


if __name__ == "__main__":
    main()
