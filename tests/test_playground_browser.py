"""The playground end to end in a real browser: Playwright driving Debian's Chromium.

The server runs in this process (uvicorn in a thread, loopback, a free port), so a test can
compare what the page shows with what the library computes for the same session. Screenshots
go to pytest's temporary folder (printed with ``-s``). Chromium comes from Debian's package
(``apt-get install chromium``; ``.ci/run`` installs it); Playwright never downloads a browser.
"""

import base64
import json
import os
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from xornet.cli import main
from xornet.explain import explain_next, explain_step, render
from xornet.playground import HEADLESS_CHROMIUM
from xornet.playground.server import create_app
from xornet.review.post_layout import format_array, post_json, render_post

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
    assert page.locator("#network-view [data-unit]").count() == 2 + 7 + 1
    # A shared address brings the same setting back.
    page.goto(page.url)
    wait_for(page, "window.xornet.lastFrame && window.xornet.lastFrame.network.b1.length === 7")
    assert page.input_value("#optimizer") == "adam"


# Records every message the page's WebSocket receives, before the page reads it.
RECORD_MESSAGES = """
window.received = [];
window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
        super(...args);
        this.addEventListener("message", (event) => window.received.push(JSON.parse(event.data)));
    }
};
"""


def test_the_first_frame_drawn_is_of_the_addresss_settings(page, server):
    # The page drew a new session's default run (XOR, 2-4-1) first, and a few milliseconds
    # later the address's: a flash of the wrong picture.
    app, url = server
    page.add_init_script(RECORD_MESSAGES)
    page.goto(f"{url}/?dataset=circles&samples=80&hidden=3&seed=5&speed=4")
    wait_for(page, "window.xornet.frames > 0")
    time.sleep(0.5)  # time for anything that would replace the first frame to come
    received = page.evaluate("window.received")
    assert [message["type"] for message in received] == ["hello", "state", "data", "frame"]
    asked = {"dataset": "circles", "samples": 80, "hidden": 3, "seed": 5}
    assert {name: received[2]["settings"][name] for name in asked} == asked
    assert len(received[3]["network"]["b1"]) == 3
    assert page.evaluate("window.xornet.frames") == 1
    assert page.input_value("#hidden") == "3"
    assert page.input_value("#speed") == "4"
    assert app.state.sessions[received[0]["session"]].speed == 4  # the address's speed too
    assert "dataset=circles" in page.url


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("dataset=bogus", "unknown dataset 'bogus'"),  # was: unknown dataset ''
        ("learning_rate=abc", "learning rate must be a number, got 'abc'"),  # was: in (0, 100]
        ("batch_size=0", "batch size must be from 1 to 5000 (or none: full batch), got 0"),
    ],
)
def test_an_addresss_value_no_control_can_hold_is_named_by_the_error(page, server, query, message):
    # A menu set to a value it does not offer reads "" (or its first choice), and a number box
    # set to text reads "": the page sent that instead, and the error named the wrong value or
    # none (batch_size=0 became the full batch without a word).
    _, url = server
    page.goto(f"{url}/?{query}")
    page.wait_for_selector("#error:not([hidden])")
    assert page.text_content("#error") == message


def test_an_addresss_batch_size_not_in_the_menu_is_used_and_shown(page, server):
    _, url = server
    page.goto(f"{url}/?batch_size=8")
    wait_for(page, "window.xornet.frames > 0")
    assert page.input_value("#batch_size") == "8"  # not a blank menu
    assert "batch_size=8" in page.url
    assert page.is_hidden("#error")


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


def test_the_explain_panel_shows_the_step_in_the_posts_layout(page, server):
    app, url = server
    page.goto(f"{url}/?hidden=3&seed=2&learning_rate=0.5&layout=post")
    wait_for(page, "window.xornet.frames > 0")
    assert len(last_frame(page)["network"]["b1"]) == 3  # the first frame is the address's
    assert page.input_value("#layout") == "post"
    for _ in range(3):
        page.click("#step-once")
    wait_for(page, "window.xornet.lastFrame.step === 3")
    session = app.state.sessions[page.evaluate("window.xornet.session")].session
    page.click("#explain")
    wait_for(page, "window.xornet.explain !== null")
    shown = page.text_content("#explain-text")
    step = explain_next(session.trainer)
    assert shown == render_post(step, lang="en")  # `xornet explain --layout post`'s text
    assert "1) Z1 = affine(W1, X, B1) = W1.T @ X + B1  [shape (3, 4)]" in shown
    assert "6) dLdW1 = np.dot(X, dLdZ1.T)  [shape (2, 3)]" in shown
    # The numbers are post_json's for the same step, each array under its line.
    arrays = json.loads(post_json(step))["arrays"]
    for name in ("dLdZ2", "dLdW1", "dLdB1"):
        lines = format_array(np.array(arrays[name])).splitlines()
        block = "\n".join("    " + line for line in lines)
        assert block in shown.split(f") {name} = ", 1)[1]
    assert page.is_hidden("#explain-note")
    # Another layout or language shows the same step again, in it.
    page.select_option("#layout", "library")
    wait_for(page, "window.xornet.explain.layout === 'library'")
    assert page.text_content("#explain-text") == render(step, lang="en")
    page.select_option("#lang", "ko")
    page.select_option("#layout", "post")
    wait_for(page, "window.xornet.explain.layout === 'post' && "
                   "document.querySelector('#explain-text').lang === 'ko'")  # fmt: skip
    assert page.text_content("#explain-text") == render_post(step, lang="ko")
    assert "layout=post" in page.url
    assert "lang=ko" in page.url
    assert session.step == 3  # explaining took no step

    # A network the post does not describe (the shortcut): xornet's layout, and one line why.
    page.select_option("#lang", "en")
    page.check("#shortcut")
    wait_for(page, "window.xornet.lastFrame.network.W3 && window.xornet.lastFrame.step === 0")
    page.click("#explain")
    wait_for(page, "window.xornet.explain.step === 0 && window.xornet.explain.note !== null")
    assert page.input_value("#layout") == "post"
    assert page.text_content("#explain-text") == render(explain_next(session.trainer))
    note = page.text_content("#explain-note")
    assert page.is_visible("#explain-note")
    assert "\n" not in note
    assert note.startswith("The post's layout shows the post's network only")


def test_the_page_speaks_korean_when_asked_and_no_english_label_remains(page, server):
    _, url = server
    page.goto(f"{url}/?hidden=3&seed=4")
    wait_for(page, "window.xornet.frames > 0 && window.xornet.lastFrame.network.b1.length === 3")
    assert page.text_content("label[for=learning_rate]") == "learning rate"
    page.select_option("#lang", "ko")
    wait_for(page, "document.documentElement.lang === 'ko'")
    assert "lang=ko" in page.url
    assert page.get_attribute(".xornet-playground", "lang") == "ko"
    assert page.title() == "xornet 놀이터"
    labels = {
        "label[for=learning_rate]": "학습률",
        "label[for=optimizer]": "최적화 방법",
        "#hidden-label": "은닉 유닛",
        "#play": "재생",
        "#step-once": "한 단계",
        "#explain": "이 단계 설명",
        "#explain-title": "다음 단계 설명",
        "#connection": "연결됨",
        "#outcome": "학습 전",
        "#optimizer option[value=gd]": "경사 하강법",
        "#boundary-legend li": "클래스 0",
    }
    for selector, text in labels.items():
        assert page.locator(selector).first.text_content().strip() == text, selector
    assert page.get_attribute("#fewer-hidden", "aria-label") == "은닉 유닛 하나 빼기"
    assert page.get_attribute("#speed", "aria-valuetext") == "10 중 10: 한 프레임에 들어가는 만큼"
    unit = page.get_attribute('#network-view [data-unit="h1"]', "aria-label")
    assert unit == "은닉 유닛 h1: 출력 보기에 이 유닛의 출력을 보인다"
    # No English word left among the page's own words: every text, aria-label, title and
    # value text, except Python's (the explanation, the summary, the hidden space's title and
    # lines, errors), the other language's name, and names that are names (XOR, Adam, tanh).
    texts = page.evaluate(
        """() => {
            const root = document.querySelector('.xornet-playground');
            const python = '#explain-text, #summary, #hidden-title, #hidden-legend, #error, '
                + '.xornet-playground [lang]';
            const texts = [];
            for (const el of root.querySelectorAll('*')) {
                if (el.closest(python)) continue;
                for (const name of ['aria-label', 'title', 'aria-valuetext']) {
                    if (el.getAttribute(name)) texts.push(el.getAttribute(name));
                }
                for (const node of el.childNodes) {
                    if (node.nodeType === Node.TEXT_NODE && node.textContent.trim()) {
                        texts.push(node.textContent.trim());
                    }
                }
            }
            return texts;
        }"""
    )
    names = {"xornet", "XOR", "AND", "OR", "NAND", "NOR", "XNOR", "CSV", "Adam", "Glorot", "He",
             "tanh", "relu", "label", "npz", "HTML", "PNG", "Python", "kB"}  # fmt: skip
    english = [text for text in texts if set(re.findall(r"[A-Za-z]{2,}", text)) - names]
    assert len(texts) > 80
    assert english == []
    # And back: English again, everywhere.
    page.select_option("#lang", "en")
    wait_for(page, "document.documentElement.lang === 'en'")
    assert page.text_content("label[for=learning_rate]") == "learning rate"
    assert page.get_attribute("#fewer-hidden", "aria-label") == "one hidden unit fewer"
    assert page.locator("#boundary-legend li").first.text_content().strip() == "class 0"


# ----------------------------------------------------------------------------- the page itself


def colour_of(level, strength=0.85):
    """The colour the page gives a level from 0 to 255 (blue, white in the middle, orange)."""
    p = level / 255
    end = (0x1F, 0x5F, 0xA8) if p < 0.5 else (0xD9, 0x48, 0x0F)
    t = min(1.0, abs(p - 0.5) * 2)
    return [int(np.floor(255 + (c - 255) * t * strength + 0.5)) for c in end]


def test_each_hidden_unit_shows_its_own_output_over_the_plane(page, server):
    _, url = server
    page.goto(f"{url}/?hidden=3&seed=3")
    wait_for(page, "window.xornet.lastFrame && window.xornet.lastFrame.units")
    page.click("#step-once")
    wait_for(page, "window.xornet.lastFrame.step === 1")
    assert page.locator("#network-view .xp-thumb").count() == 2 + 3 + 1
    units = last_frame(page)["units"]
    size = units["size"]
    levels = np.frombuffer(base64.b64decode(units["levels"]), np.uint8).reshape(3, size * size)
    pixels = page.evaluate(
        """() => [...document.querySelectorAll('#network-view .xp-hidden .xp-thumb')].map(
            (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data))"""
    )
    for unit, image in zip(levels, pixels, strict=True):
        image = np.array(image).reshape(size, size, 4)
        for k in (0, size - 1, size * (size - 1), size * size - 1, size * size // 2 + 3):
            row, col = divmod(k, size)  # grid row 0 is the lowest y: the picture's bottom row
            assert list(image[size - 1 - row, col, :3]) == colour_of(unit[k])
    # Pointing at a unit shows its output in the output view, large; leaving, the boundary.
    page.hover('#network-view [data-unit="h2"]')
    wait_for(page, "window.xornet.boundaryUnit === 1")
    assert page.text_content("#boundary-caption").startswith("hidden unit h2: its output")
    page.hover("#step")
    wait_for(page, "window.xornet.boundaryUnit === null")
    page.focus('#network-view [data-unit="h1"]')  # by keyboard too
    wait_for(page, "window.xornet.boundaryUnit === 0")


def test_axes_legends_and_a_loss_axis_a_person_can_read(page, server):
    _, url = server
    page.goto(f"{url}/?dataset=spiral3&samples=60&hidden=5")
    wait_for(page, "window.xornet.frames > 0")
    assert len(last_frame(page)["network"]["b1"]) == 5  # the first frame is the address's
    legend = page.locator("#boundary-legend li").all_text_contents()
    assert [item.strip() for item in legend] == ["class 0", "class 1", "class 2"]
    lines = [item.strip() for item in page.locator("#hidden-legend li").all_text_contents()]
    assert lines[3:] == ["class 0 = class 1", "class 0 = class 2", "class 1 = class 2"]
    page.goto(f"{url}/?dataset=xor")
    wait_for(page, "window.xornet.frames > 0 && window.xornet.lastFrame.network.b1.length === 4")
    assert "output 0" in page.text_content("#boundary-legend")
    assert page.locator("#hidden-legend li").last.text_content().strip() == "output = 0.5"
    # The loss axis's ticks are written as people write them (they read 1e-0.0 and 1e-1.3).
    ticks = page.evaluate(
        """async () => {
            const { logTicks, formatPower, niceTicks } = await import('/static/playground.js');
            const labels = (lo, hi) => logTicks(lo, hi).map((tick) => tick[1]);
            const steps = (last) => niceTicks(0, last, 5, 1).map((tick) => tick[0]);
            return [labels(-3, 0), labels(-1.2, -0.1), labels(-5.5, -3.2),
                    [1e4, 1e5, 2e-3, 0.05].map(formatPower), steps(1), steps(3), steps(1000)];
        }"""
    )
    assert ticks == [["1e-3", "0.01", "0.1", "1"], ["0.1", "0.2", "0.5"], ["1e-5", "1e-4"],
                     ["10000", "1e5", "2e-3", "0.05"],
                     [0, 1], [0, 1, 2, 3], [0, 200, 400, 600, 800, 1000]]  # fmt: skip
    # The step axis has whole steps only (after one step it read "0 0 0 1 1").


def test_controls_are_labelled_and_work_from_the_keyboard(page, server):
    _, url = server
    page.goto(f"{url}/?hidden=2&seed=3")
    wait_for(page, "window.xornet.frames > 0")
    # Every control has a name a screen reader says (a label, aria-label(ledby) or its text).
    unnamed = page.evaluate(
        """() => [...document.querySelectorAll('.xornet-playground :is(input, select, button, a)')]
            .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                || el.getAttribute('aria-labelledby') || el.textContent.trim()))
            .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    # Tab reaches the play button from the one before it; Space plays, Enter pauses, and the
    # focused button shows a focus ring.
    page.focus("#reset")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "play"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Space")
    wait_for(page, "document.querySelector('#play').getAttribute('aria-pressed') === 'true'")
    page.keyboard.press("Enter")
    wait_for(page, "document.querySelector('#play').textContent === 'play'")
    page.focus("#more-hidden")
    page.keyboard.press("Enter")
    wait_for(page, "window.xornet.lastFrame.network.b1.length === 3")
    assert page.input_value("#hidden") == "3"
    page.focus("#speed")
    page.keyboard.press("ArrowLeft")
    assert page.get_attribute("#speed", "aria-valuetext") == "9 of 10: 250 steps a frame"


def test_the_page_fits_a_phone_and_explains_in_korean(browser, server, tmp_path):
    _, url = server
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{url}/?hidden=3&seed=1&lang=ko")
        wait_for(page, "window.xornet.frames > 0")
        page.click("#play")
        wait_for(page, "window.xornet.lastFrame.accuracy === 1", timeout=30_000)
        page.click("#play")
        page.click("#explain")
        wait_for(page, "window.xornet.explain !== null")
        text = page.text_content("#explain-text")
        assert text.startswith("2-3-1 신경망")
        assert page.get_attribute("#explain-text", "lang") == "ko"
        # Korean in fonts with Korean glyphs, on every system (Debian's Nanum here).
        font = "getComputedStyle(document.querySelector('%s')).fontFamily"
        code, text_font = (
            page.evaluate(font % "#explain-text"),
            page.evaluate(font % ".xornet-playground"),
        )
        assert all(name in code for name in ("NanumGothicCoding", "Noto Sans Mono CJK KR"))
        assert all(name in text_font for name in ("Malgun Gothic", "Noto Sans KR", "NanumGothic"))
        # Nothing wider than the phone: no sideways scrolling of the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        widths = page.evaluate(
            "[...document.querySelectorAll('canvas, svg.xp-network-view')]"
            ".map((el) => el.getBoundingClientRect().right)"
        )
        assert max(widths) <= 390
        page.screenshot(path=tmp_path / "phone.png", full_page=True)
        print(f"screenshots in {tmp_path}")
    finally:
        context.close()
    assert errors == []
