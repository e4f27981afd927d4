"""The playground end to end in a real browser: Playwright driving Debian's Chromium.

The server runs in this process (uvicorn in a thread, loopback, a free port), so a test can
compare what the page shows with what the library computes for the same session. Screenshots
go to pytest's temporary folder (printed with ``-s``). Chromium comes from Debian's package
(``apt-get install chromium``; ``.ci/run`` installs it); Playwright never downloads a browser.
"""

import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from xornet.cli import main
from xornet.explain import explain_step, render
from xornet.playground import HEADLESS_CHROMIUM
from xornet.playground.server import create_app

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def server():
    import uvicorn

    app = create_app()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: never let a missing browser pass quietly
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=list(HEADLESS_CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server, tmp_path):
    # The page runs under the server's own Content-Security-Policy (not bypassed): every test
    # is also a test that the policy lets the page work, and nothing it does is refused.
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    yield page
    page.screenshot(path=tmp_path / "last.png", full_page=True)
    context.close()
    assert errors == []  # no JavaScript errors, nothing refused by the policy


def wait_for(page, expression, timeout=10_000):
    """Wait until ``expression`` is true in the page, polling from Python.

    Playwright's own ``wait_for_function`` evaluates a string with ``eval``, which the page's
    policy (no 'unsafe-eval') refuses; ``page.evaluate`` goes through the browser's debugging
    protocol, which the policy does not govern.
    """
    check = f"(() => {{ try {{ return Boolean({expression}); }} catch {{ return false; }} }})()"
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(check):
        assert time.monotonic() < deadline, f"still false after {timeout} ms: {expression}"
        time.sleep(0.02)


def last_frame(page):
    return page.evaluate("window.xornet.lastFrame")


def test_play_learns_xor_and_one_step_is_one_explained_step(page, server, tmp_path):
    app, url = server
    page.goto(f"{url}/?hidden=4&seed=0&learning_rate=1")
    wait_for(page, "window.xornet.frames > 0 && window.xornet.lastFrame.step === 0")
    start = last_frame(page)
    page.click("#play")
    wait_for(page, "window.xornet.lastFrame.accuracy === 1", timeout=30_000)
    page.click("#play")  # pause
    wait_for(page, "document.querySelector('#play').textContent === 'play'")
    frame = last_frame(page)
    losses = frame["history"][1]
    assert losses[-1] < start["history"][1][0] / 2  # the loss fell
    assert page.text_content("#accuracy") == "100.0%"
    assert page.evaluate("window.xornet.boundaryDraws") > 1
    page.screenshot(path=tmp_path / "solved.png", full_page=True)
    print(f"screenshots in {tmp_path}")

    # Explain this step: the panel shows the library's own numbers for this session.
    session = app.state.sessions[page.evaluate("window.xornet.session")].session
    page.click("#explain")
    wait_for(page, "window.xornet.explain !== null")
    shown = page.text_content("#explain-text")
    rows = session.next_rows()
    expected = explain_step(session.params, session.data.X[rows], session.data.y[rows],
                            optimizer=session.optimizer, step=session.step)  # fmt: skip
    assert shown == render(expected, lang="en")
    step = session.step

    # One step: exactly one, and it is the step just explained.
    page.click("#step-once")
    wait_for(page, f"window.xornet.lastFrame.step === {step + 1}")
    time.sleep(0.3)
    assert session.step == step + 1
    np.testing.assert_array_equal(session.params.W1, expected["W1_new"])
    assert page.text_content("#step") == str(step + 1)

    # Hover: each edge carries its weight's value.
    title = page.locator("#network-view line title").first.text_content()
    w = last_frame(page)["network"]["W1"][0][0]
    assert title == f"W1[0,0] = {w:.4f}"


def test_settings_live_in_the_url_and_change_the_network(page, server):
    _, url = server
    page.goto(f"{url}/?dataset=moons&hidden=3&samples=60&optimizer=adam&learning_rate=0.05")
    wait_for(page, "window.xornet.lastFrame && window.xornet.lastFrame.network.b1.length === 3")
    assert page.input_value("#dataset") == "moons"
    page.fill("#hidden", "7")
    page.dispatch_event("#hidden", "change")
    wait_for(page, "window.xornet.lastFrame.network.b1.length === 7")
    assert "hidden=7" in page.url
    assert page.locator("#network-view circle").count() == 2 + 7 + 1
    # A shared address brings the same setting back.
    page.goto(page.url)
    wait_for(page, "window.xornet.lastFrame && window.xornet.lastFrame.network.b1.length === 7")
    assert page.input_value("#optimizer") == "adam"


def test_a_bad_csv_shows_its_error_and_a_good_one_trains(page, server):
    _, url = server
    page.goto(url)
    wait_for(page, "window.xornet.frames > 0")
    bad = {"name": "bad.csv", "mimeType": "text/csv", "buffer": b"a,b,label\n0,0,0\n0,x,1\n"}
    page.set_input_files("#csv", files=[bad])
    page.wait_for_selector("#error:not([hidden])")
    assert "bad.csv, row 3, column 'b': 'x' is not a number" in page.text_content("#error")
    good = {"name": "gate.csv", "mimeType": "text/csv",
            "buffer": b"a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,1\n"}  # fmt: skip
    page.set_input_files("#csv", files=[good])
    wait_for(page, "document.querySelector('#dataset').value === 'csv'")
    page.click("#play")
    wait_for(page, "window.xornet.lastFrame.accuracy === 1", timeout=30_000)


def test_export_a_model_and_load_it_with_the_cli(page, server, tmp_path, capsys):
    _, url = server
    page.goto(f"{url}/?seed=2")
    wait_for(page, "window.xornet.frames > 0")
    page.click("#play")
    wait_for(page, "window.xornet.lastFrame.accuracy === 1", timeout=30_000)
    page.click("#play")
    with page.expect_download() as download:
        page.click("#export-model")
    path = tmp_path / "playground.npz"
    download.value.save_as(path)
    capsys.readouterr()
    assert main(["predict", str(path), "0", "0", "0", "1", "1", "0", "1", "1"]) == 0
    table = capsys.readouterr().out
    assert [line.split()[-1] for line in table.splitlines()[1:]] == ["0", "1", "1", "0"]
    with page.expect_download() as figure:
        page.click("#export-boundary")
    assert Path(figure.value.path()).read_bytes()[:4] == b"\x89PNG"


def test_the_1986_shortcut_network_in_the_page(page, server):
    _, url = server
    page.goto(f"{url}/?hidden=1&shortcut=true&init=uniform&loss=sse&optimizer=momentum"
              "&learning_rate=0.5&seed=1")  # fmt: skip
    wait_for(page, "window.xornet.lastFrame && window.xornet.lastFrame.network.W3")
    assert page.is_checked("#shortcut")
    assert page.input_value("#loss") == "sse"
    assert page.locator('#network-view line[stroke-dasharray="6 4"]').count() == 2
    page.click("#play")
    wait_for(page, "window.xornet.lastFrame.accuracy === 1", timeout=30_000)
    page.uncheck("#shortcut")
    wait_for(page, "!window.xornet.lastFrame.network.W3")
    assert "shortcut=false" in page.url


def test_a_file_beyond_the_limits_is_refused_and_a_large_one_is_sampled(page, server):
    _, url = server
    page.goto(url)
    wait_for(page, "window.xornet.frames > 0")
    eleven = "a,b,label\n" + "".join(f"{k % 3},{k % 5},{k}\n" for k in range(11))
    page.set_input_files("#csv", files=[{"name": "eleven.csv", "mimeType": "text/csv",
                                         "buffer": eleven.encode()}])  # fmt: skip
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error") == (
        "eleven.csv: 11 classes; the playground takes at most 10"
    )
    rows = "".join(f"{k % 7},{k % 11},{k % 2}\n" for k in range(3000))
    page.set_input_files("#csv", files=[{"name": "데이터.csv", "mimeType": "text/csv",
                                         "buffer": f"a,b,label\n{rows}".encode()}])  # fmt: skip
    wait_for(page, "document.querySelector('#dataset').value === 'csv'")
    assert page.text_content("#shown") == "2000 of 3000 points shown"
    page.click("#step-once")
    wait_for(page, "window.xornet.lastFrame.step === 1")
    assert page.evaluate("window.xornet.lastFrame.hidden.coords.length") == 2000
