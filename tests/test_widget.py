"""The notebook widget (xornet.widget.Playground) and what its page draws.

In process: the page's messages go in, the kernel's answers come out, and they are the
server's own (the same messages give the same replies over the WebSocket); the run is the
library's (``pg.result``, ``pg.params``, start weights). In a real JupyterLab and a real
Notebook 7, each started here on loopback and driven by Playwright with Debian's Chromium: a
notebook shows the widget, which plays until XOR is solved, takes one step, explains it,
exports the model, and raises no JavaScript error.
"""

import base64
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import xornet
from xornet.errors import XornetError
from xornet.explain import explain_step, render
from xornet.playground.session import Session
from xornet.playground.settings import LIMITS, Settings

CHROMIUM = Path("/usr/bin/chromium")
HOSTS = ("testserver",)
ORIGIN = {"origin": "http://testserver"}


def need(module, extra):
    """Import ``module``, or skip with the command that installs it (fail in CI, which has it)."""
    try:
        return __import__(module)
    except ImportError:
        message = f"{module} is not installed: pip install 'xornet[{extra}]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def widget():
    """A Playground whose messages to the page are kept in ``pg.sent`` (no kernel here)."""
    need("anywidget", "notebook")
    from xornet.widget import Playground

    made = []

    def make(*args, **kwargs):
        pg = Playground(*args, **kwargs)
        pg.sent = []
        pg.send = lambda content, buffers=None: pg.sent.append((content, buffers))
        made.append(pg)
        return pg

    yield make
    for pg in made:
        pg.close()


def talk(pg, message):
    """Send the page's ``message`` to the widget; the replies it sent back."""
    before = len(pg.sent)
    pg._handle_custom_msg(message, [])
    return [content for content, _ in pg.sent[before:]]


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "still false after the timeout"
        time.sleep(0.02)


# ----------------------------------------------------------------------------- the kernel's side


def test_the_widget_answers_as_the_server_does(widget):
    # One protocol, one implementation: the same messages get the same replies from the
    # notebook widget and over the server's WebSocket (the same frames, to the last digit).
    from starlette.testclient import TestClient

    from xornet.playground.server import create_app

    settings = {"dataset": "moons", "samples": 40, "hidden": 3, "seed": 5, "optimizer": "adam",
                "learning_rate": 0.05, "activation": "tanh"}  # fmt: skip
    messages = [
        {"type": "settings", "settings": settings},
        {"type": "step"},
        {"type": "step"},
        {"type": "speed", "value": 4},
        {"type": "explain", "lang": "ko"},
        {"type": "reset"},
        {"type": "frame"},
        {"type": "settings", "settings": {**settings, "loss": "sse", "dataset": "spiral3"}},
        {"type": "csv", "name": "gate.csv", "text": "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,1\n"},
        {"type": "launch"},
        {"type": "new_start"},
    ]
    pg = widget()
    greeting = talk(pg, {"type": "connect"})
    assert [m["type"] for m in greeting] == ["hello", "state", "data", "frame"]
    assert greeting[0]["limits"] == LIMITS
    from_widget = [talk(pg, message) for message in messages]
    app = create_app(hosts=HOSTS)
    with TestClient(app) as client, client.websocket_connect("/ws", headers=ORIGIN) as ws:
        for _ in range(4):  # hello, state, data, frame
            ws.receive_json()
        from_server = []
        for message, replies in zip(messages, from_widget, strict=True):
            ws.send_json(message)
            from_server.append([ws.receive_json() for _ in replies])
    assert from_widget == from_server
    kinds = [[m["type"] for m in replies] for replies in from_widget]
    assert kinds == [["state", "data", "frame"], ["state", "frame"], ["state", "frame"], [],
                     ["state", "explain"], ["state", "data", "frame"], ["frame"], ["error"],
                     ["state", "data", "frame"], ["error"],
                     ["state", "data", "frame"]]  # fmt: skip
    assert from_widget[2][1]["step"] == 2
    assert from_widget[4][1]["text"].startswith("2-3-1 신경망")  # the explanation in Korean
    refused = from_widget[7][0]["message"]
    assert refused == "the squared error needs two classes; choose cross-entropy"
    assert from_widget[9][0]["message"] == "unknown message type 'launch'"
    assert pg.settings.seed == 6  # new start: the next seed


def test_a_widget_says_how_its_views_first_show_themselves(widget):
    assert talk(widget(), {"type": "connect"})[0]["view"] == {"lang": "en", "layout": "library"}
    pg = widget(lang="ko", layout="post")
    assert talk(pg, {"type": "connect"})[0]["view"] == {"lang": "ko", "layout": "post"}
    with pytest.raises(XornetError, match="language must be en or ko"):
        widget(lang="fr")
    with pytest.raises(XornetError, match="layout must be library or post"):
        widget(layout="xornet")


def test_play_in_the_kernel_until_xor_is_solved(widget):
    pg = widget(dataset="xor", hidden=2, seed=3)
    talk(pg, {"type": "connect"})
    assert talk(pg, {"type": "play"}) == [{"type": "state", "playing": True, "speed": 10}]
    wait_until(lambda: any(m["type"] == "frame" and m["outcome"] == "solved" for m, _ in pg.sent))
    talk(pg, {"type": "pause"})
    wait_until(lambda: pg._thread is None)  # the player's thread ends with the play
    frames = [m for m, _ in pg.sent if m["type"] == "frame"]
    assert len(frames) >= 2  # the greeting's, then the player's
    assert frames[-1]["step"] == pg.step > 0
    result = pg.result
    assert (result.outcome.kind, result.accuracy, result.steps) == ("solved", 1.0, pg.step)
    assert frames[-1]["summary"] == result.outcome.summary
    params = pg.params
    np.testing.assert_array_equal(params.ravel(), result.params.ravel())
    params.W1[:] = 0  # a copy: the run is not touched
    assert np.any(pg.session.params.W1 != 0)
    sent = len(pg.sent)
    time.sleep(0.2)
    assert len(pg.sent) == sent  # paused: no more frames
    assert repr(pg) == f"Playground(dataset='xor', hidden=2, step={pg.step}, outcome='solved')"


def test_one_step_is_the_explained_step_and_the_trainers(widget):
    pg = widget(dataset="xor", hidden=2, seed=0)
    talk(pg, {"type": "connect"})
    talk(pg, {"type": "step"})
    session = pg.session
    rows = session.next_rows()
    expected = explain_step(session.params, session.data.X[rows], session.data.y[rows],
                            optimizer=session.optimizer, step=session.step)  # fmt: skip
    assert talk(pg, {"type": "explain"})[1]["text"] == render(expected)
    frame = talk(pg, {"type": "step"})[1]
    assert frame["step"] == pg.step == 2
    np.testing.assert_array_equal(pg.params.W1, expected["W1_new"])
    data = xornet.xor()
    reference = xornet.train(data.X, data.y, xornet.TrainConfig(hidden=2, steps=2, tol=None),
                             rng=0, engine="numpy")  # fmt: skip
    np.testing.assert_allclose(pg.params.ravel(), reference.params.ravel(), rtol=0, atol=1e-12)


def test_a_playground_starts_from_given_weights(widget, tmp_path):
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=3, activation="tanh", steps=300, tol=None)
    trained = xornet.train(data.X, data.y, config, rng=1)
    pg = widget(params=trained)  # hidden units and activation from the result
    assert (pg.settings.hidden, pg.settings.activation) == (3, "tanh")
    greeting = talk(pg, {"type": "connect"})
    assert greeting[2]["start"] == "given"
    np.testing.assert_allclose(greeting[3]["network"]["W1"], trained.params.W1, atol=1e-4)
    assert pg.step == 0
    np.testing.assert_array_equal(pg.params.ravel(), trained.params.ravel())
    settings = pg.settings.to_dict()
    # Another shape: the seed's weights; back to theirs: the given weights again.
    other = {**settings, "hidden": 4}
    assert talk(pg, {"type": "settings", "settings": other})[1]["start"] == "seed"
    assert talk(pg, {"type": "settings", "settings": settings})[1]["start"] == "given"
    np.testing.assert_array_equal(pg.params.ravel(), trained.params.ravel())
    talk(pg, {"type": "step"})
    assert talk(pg, {"type": "reset"})[1]["start"] == "given"
    np.testing.assert_array_equal(pg.params.ravel(), trained.params.ravel())
    assert talk(pg, {"type": "new_start"})[1]["start"] == "seed"  # new random weights...
    assert talk(pg, {"type": "reset"})[1]["start"] == "seed"  # ... for good
    assert not np.allclose(pg.params.W1, trained.params.W1)

    # A model file brings its activation too; a Params object takes the settings given.
    path = tmp_path / "m.npz"
    xornet.save_model(path, trained.params, "tanh")
    assert widget(params=xornet.load_model(path)).settings.activation == "tanh"
    assert widget(params=trained.params).settings.activation == "sigmoid"
    with pytest.raises(XornetError, match=r"params have 3 hidden units but config\.hidden is 2"):
        widget(hidden=2, params=trained)
    with pytest.raises(XornetError, match="params are for 2 classes but n_classes is 3"):
        widget(dataset="spiral3", params=trained)
    with pytest.raises(XornetError, match="params must be Params, a training result or a model"):
        widget(params=[[1.0]])
    with pytest.raises(XornetError, match="hidden units must be from 1 to 64"):
        widget(hidden=0)


def test_a_dataset_of_ones_own(widget):
    moons = xornet.moons(60, rng=2)
    pg = widget(dataset=moons, hidden=5)
    data = talk(pg, {"type": "connect"})[2]
    assert (data["name"], data["samples"], data["settings"]["dataset"]) == ("moons", 60, "csv")
    too_many = xornet.Dataset("many", np.zeros((20, 2)), np.arange(20.0) % 11)
    with pytest.raises(XornetError, match="many: 11 classes; the playground takes at most 10"):
        widget(dataset=too_many)


def test_bad_messages_get_an_error_and_exports_come_as_bytes(widget, tmp_path):
    pg = widget()
    talk(pg, {"type": "connect"})
    for message, reply in [
        ("not an object", "message must be an object with a 'type'"),
        ({"type": "step", "x": [1]}, "message field 'x' must be a number, text or a flag"),
        (
            {"type": "settings", "settings": {"hidden": 1000}},
            "hidden units must be from 1 to 64, got 1000",
        ),
        ({"type": "speed", "value": 11}, "speed must be a whole number from 1 to 10"),
        ({"type": "export", "name": "../secret"}, "nothing to export called '../secret'"),
        ({"type": "export"}, "nothing to export called 'None'"),
    ]:
        assert talk(pg, message) == [{"type": "error", "message": reply}]
    assert (pg.settings.hidden, pg.step) == (2, 0)  # nothing changed
    talk(pg, {"type": "step"})
    before = len(pg.sent)
    pg._handle_custom_msg({"type": "export", "name": "model.npz"}, [])
    (message, buffers), *rest = pg.sent[before:]
    assert rest == []
    assert message == {"type": "export", "name": "xornet-xor-step1-model.npz",
                       "media": "application/octet-stream"}  # fmt: skip
    (tmp_path / "m.npz").write_bytes(buffers[0])
    model = xornet.load_model(tmp_path / "m.npz")
    np.testing.assert_array_equal(model.params.ravel(), pg.params.ravel())
    pg._handle_custom_msg({"type": "export", "name": "boundary.png"}, [])
    assert pg.sent[-1][1][0][:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("where", ["answer", "frames"])
def test_a_fault_of_the_library_is_told_to_the_page_and_logged(widget, monkeypatch, caplog, where):
    def broken(*args, **kwargs):
        raise RuntimeError("simulated fault")

    pg = widget()
    talk(pg, {"type": "connect"})
    monkeypatch.setattr(Session, "explain" if where == "answer" else "advance", broken)
    if where == "answer":  # raised on, for ipywidgets to log (the kernel's log, its traceback)
        talk(pg, {"type": "explain"})
    else:
        talk(pg, {"type": "play"})
        wait_until(lambda: pg._thread is None)
        assert pg.sent[-2][0] == {"type": "state", "playing": False, "speed": 10}
    assert "simulated fault" in caplog.text
    assert pg.sent[-1][0] == {"type": "error", "message": "internal error (RuntimeError: "
                              "simulated fault): see the kernel's log"}  # fmt: skip


def test_closing_the_widget_stops_its_player(widget):
    pg = widget(dataset="spiral", samples=400, hidden=16)
    talk(pg, {"type": "connect"})
    talk(pg, {"type": "play"})
    wait_until(lambda: sum(m["type"] == "frame" for m, _ in pg.sent) >= 3)
    pg.close()
    wait_until(lambda: pg._thread is None)
    sent = len(pg.sent)
    time.sleep(0.2)
    assert len(pg.sent) == sent


def test_the_widgets_module_is_built_from_the_pages_own_files(widget):
    from xornet.widget import Playground, page_module

    static = resources.files("xornet.playground") / "static"

    def read(name):
        return (static / name).read_text(encoding="utf-8")

    module = page_module()
    assert Playground._esm == module
    assert Playground._css == read("style.css")
    assert read("playground.js") in module  # the page's logic, whole and unchanged
    assert re.search(r"^\s*import\b", module, re.MULTILINE) is None  # nothing left to fetch
    assert "export default {" in module
    markup = json.loads(re.search(r"^const MARKUP = (.*);$", module, re.MULTILINE).group(1))
    assert markup in read("index.html")
    # Every element the page's logic looks up by name is in the markup the widget carries.
    ids = set(re.findall(r'\bid="([\w-]+)"', markup))
    wanted = set(re.findall(r'\$\("([\w-]+)"\)', read("playground.js")))
    assert wanted
    assert wanted <= ids
    # One page, two transports: neither front end's file holds any of the page's logic.
    for name in ("app.js", "widget.js"):
        assert "function drawFrame" not in read(name)
        assert "mount(" in read(name)


def test_import_xornet_and_the_server_load_no_widget_library():
    code = (
        "import sys, xornet, xornet.playground, xornet.playground.server\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('anywidget', 'ipywidgets', 'traitlets', 'IPython', 'comm'))\n"
        "print(loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_anywidget_the_import_says_what_to_install():
    code = (
        "import sys\n"
        "sys.modules['anywidget'] = None  # as if it were not installed\n"
        "try:\n"
        "    import xornet.widget\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "xornet.widget needs anywidget: pip install 'xornet[notebook]'"


# ----------------------------------------------------------------------------- the page's data


def grid(X, r):
    """The input plane's r x r grid as the session lays it out, computed here independently:
    row k is the point (xs[k % r], ys[k // r]), over the data's range and a quarter more."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.25 * (high - low)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], r)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], r)
    return np.array([[xs[k % r], ys[k // r]] for k in range(r * r)])


def levels(units):
    """A frame's hidden-unit pictures as an array of shape (n_hidden, size * size), 0 to 255."""
    cells = units["size"] ** 2
    return np.frombuffer(base64.b64decode(units["levels"]), np.uint8).reshape(-1, cells)


@pytest.mark.parametrize(
    ("activation", "scale"), [("sigmoid", [0.0, 1.0]), ("tanh", [-1.0, 1.0]), ("relu", None)]
)
def test_each_hidden_units_thumbnail_is_its_output_over_the_plane(activation, scale):
    session = Session(Settings(dataset="moons", samples=50, hidden=3, activation=activation,
                               seed=4), engine="numpy")  # fmt: skip
    session.advance(50)
    units = session.frame()["units"]
    r = units["size"]
    assert r == LIMITS["unit_resolution"]
    H = xornet.forward(session.params, grid(session.data.X, r), activation).H  # (r * r, 3)
    if scale is None:  # relu: centred on 0, up to the largest value
        scale = [-H.max(), H.max()]
    np.testing.assert_allclose(units["range"], scale, atol=1e-4)
    lo, hi = units["range"]
    shown = lo + (hi - lo) * levels(units) / 255  # (3, r * r)
    assert shown.shape == (3, r * r)
    np.testing.assert_allclose(shown, H.T, rtol=0, atol=(hi - lo) / 255 / 2 + 1e-9)


def test_thumbnails_stay_within_their_bound():
    for hidden, size in ((2, 20), (16, 20), (17, 19), (64, 10)):
        session = Session(Settings(hidden=hidden), engine="numpy")
        units = session.frame()["units"]
        assert units["size"] == size
        assert levels(units).shape == (hidden, size**2)
        assert hidden * size**2 <= LIMITS["unit_cells"]
    wide = xornet.Dataset("wide", np.random.default_rng(0).normal(size=(8, 3)), np.arange(8) % 2)
    assert Session(Settings(dataset="csv"), wide).frame()["units"] is None  # no plane


# ----------------------------------------------------------------- in JupyterLab and Notebook 7


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


NOTEBOOK_CELLS = [
    'from xornet.widget import Playground\npg = Playground(dataset="xor", hidden=2, seed=3)\npg',
    "print(pg.result.outcome.kind, pg.step)",
    "pg  # a second view of the same widget",
    'Playground(dataset="xor", hidden=2, lang="ko", layout="post")',
]


#: The two Jupyter front ends the widget is tested in: the server's module, its application's
#: name for settings, and the address of a notebook under it.
FRONT_ENDS = {
    "jupyterlab": ("jupyterlab", "LabApp", "lab/tree"),
    "notebook7": ("notebook", "JupyterNotebookApp", "notebooks"),
}


@pytest.fixture(scope="module", params=sorted(FRONT_ENDS))
def jupyter(request, tmp_path_factory):
    """JupyterLab or Notebook 7 on loopback (a free port, a token), serving a notebook that
    shows the widget, with its settings, runtime files and kernel's xornet all from here."""
    module, app, notebooks_at = FRONT_ENDS[request.param]
    need(module, "test")
    need("anywidget", "notebook")
    nbformat = need("nbformat", "test")
    root = tmp_path_factory.mktemp("lab")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}  # fmt: skip
    nbformat.write(notebook, notebooks / "play.ipynb")
    news = root / "settings" / "@jupyterlab" / "apputils-extension"
    if module == "jupyterlab":  # no question about news, no call home (Notebook 7 has neither)
        news.mkdir(parents=True)
        (news / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
    port, token = free_port(), secrets.token_hex(16)
    source = str(Path(__file__).resolve().parents[1] / "src")
    path = os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / "config"),
           "JUPYTER_RUNTIME_DIR": str(root / "runtime"), "JUPYTER_DATA_DIR": str(root / "data"),
           "IPYTHONDIR": str(root / "ipython"), "PYTHONPATH": path}  # fmt: skip
    log = (root / "lab.log").open("w")
    lab = subprocess.Popen(
        [sys.executable, "-m", module, "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={notebooks}",
         "--ServerApp.terminals_enabled=False", f"--{app}.user_settings_dir={root / 'settings'}",
         f"--{app}.workspaces_dir={root / 'workspaces'}", f"--{app}.expose_app_in_browser=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert lab.poll() is None, (root / "lab.log").read_text()
            assert time.monotonic() < deadline, f"{module} did not start"
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"{url}/{notebooks_at}/play.ipynb?token={token}"
    finally:
        lab.terminate()
        try:
            lab.wait(timeout=15)
        except subprocess.TimeoutExpired:
            lab.kill()
        log.close()


def front_end_fault(error):
    """Whether a page error is Notebook 7's own: 7.6.5's shortcut settings fail to read a
    plugin's schema while the page loads, with no widget on it too (seen 2026-12-01)."""
    return "reading 'schema'" in str(error) and "/static/notebook/notebook_core." in error.stack


def until(page, expression, timeout=30):
    """Wait until ``expression`` is true in the page (evaluated through the debugging
    protocol, as test_playground_browser.py does)."""
    check = f"(() => {{ try {{ return Boolean({expression}); }} catch {{ return false; }} }})()"
    deadline = time.monotonic() + timeout
    while not page.evaluate(check):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        time.sleep(0.05)


def test_the_widget_in_jupyter_solves_xor_steps_and_explains(jupyter, tmp_path):
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    from xornet.playground import HEADLESS_CHROMIUM

    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(HEADLESS_CHROMIUM))
        context = browser.new_context(viewport={"width": 1100, "height": 2400},
                                      accept_downloads=True)  # fmt: skip
        page = context.new_page()
        page.on(
            "pageerror", lambda error: None if front_end_fault(error) else errors.append(str(error))
        )
        page.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})")
                if m.type == "error" else None)  # fmt: skip
        try:
            page.goto(jupyter)
            notebook = "window.jupyterapp.shell.currentWidget"
            until(page, f"{notebook}.sessionContext.session.kernel.status === 'idle'", 60)
            page.evaluate(f"{notebook}.content.activeCellIndex = 0")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
            until(page, "window.xornet.frames > 0 && window.xornet.lastFrame.step === 0")
            view = page.locator(".xornet-playground")
            assert view.count() == 1
            assert "connected to the kernel" in view.locator(".xp-connection").text_content()
            assert view.locator(".xp-thumb").count() == 2 + 2 + 1  # inputs, hidden, output

            view.locator(".xp-play").click()
            until(page, "window.xornet.lastFrame.outcome === 'solved'")
            view.locator(".xp-play").click()  # pause
            until(page, "document.querySelector('.xornet-playground .xp-play')"
                        ".getAttribute('aria-pressed') === 'false'")  # fmt: skip
            time.sleep(0.3)  # a frame in flight when the pause arrived
            step = page.evaluate("window.xornet.lastFrame.step")
            assert view.locator(".xp-status strong").nth(2).text_content() == "100.0%"

            view.get_by_role("button", name="explain this step").click()
            until(page, f"window.xornet.explain && window.xornet.explain.step === {step}")
            explained = view.locator("pre").text_content()
            assert explained.startswith("One training step of a 2-2-1 network")
            view.get_by_role("button", name="one step").click()
            until(page, f"window.xornet.lastFrame.step === {step + 1}")
            view.screenshot(path=tmp_path / "widget.png")

            with page.expect_download() as download:
                view.get_by_role("link", name="model (.npz)").click()
            path = tmp_path / "from-the-widget.npz"
            download.value.save_as(path)
            assert download.value.suggested_filename == f"xornet-xor-step{step + 1}-model.npz"
            model = xornet.load_model(path)
            assert model.params.n_hidden == 2

            # The kernel's own object: pg.result after training is the page's run.
            page.evaluate(f"{notebook}.content.activeCellIndex = 1")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
            output = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea-output")
            output.wait_for(timeout=30_000)
            assert output.text_content().strip() == f"solved {step + 1}"

            # A second view of the same widget: its own ids, the same run, kept in step.
            page.evaluate(f"{notebook}.content.activeCellIndex = 2")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
            until(page, "document.querySelectorAll('.xornet-playground').length === 2")
            until(page, f"window.xornet.lastFrame && window.xornet.lastFrame.step === {step + 1}")
            ids = page.evaluate(
                "[...document.querySelectorAll('.xornet-playground [id]')].map((el) => el.id)"
            )
            assert len(ids) == len(set(ids))  # no id twice in the document
            page.locator(".xornet-playground").nth(1).locator(".xp-step").click()
            shown = "[...document.querySelectorAll('.xornet-playground [id$=\"-step\"]')]"
            until(page, f"{shown}.every((el) => el.textContent === '{step + 2}')")
            assert page.evaluate(f"{shown}.length") == 2

            # A widget made with lang="ko", layout="post" first shows itself so.
            page.evaluate(f"{notebook}.content.activeCellIndex = 3")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
            until(page, "document.querySelectorAll('.xornet-playground').length === 3")
            korean = page.locator(".xornet-playground").nth(2)
            until(page, "document.querySelectorAll('.xornet-playground')[2].lang === 'ko'")
            assert korean.locator(".xp-play").text_content().strip() == "재생"
            assert korean.locator("select[id$='-layout']").input_value() == "post"
            assert korean.locator("select[id$='-lang']").input_value() == "ko"
        finally:
            page.screenshot(path=tmp_path / "lab.png")
            print(f"screenshots in {tmp_path}")
            context.close()
            browser.close()
    assert errors == []  # no JavaScript errors, in the widget or in Jupyter
