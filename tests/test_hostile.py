"""A hostile page, file or submission, and a careless user: each test here failed before the
fix it guards (issue 16's second pass)."""

import json
import logging

import numpy as np
import pytest

from xornet.errors import DataError

FAR_APART = "a,b,label\n" + "".join(f"{1e308 if i % 2 else -1e308},{i},{i % 2}\n" for i in range(8))


def test_an_upload_too_wide_to_draw_is_refused_whole():
    from xornet.playground.session import Session, Settings, parse_csv

    with pytest.raises(DataError, match="column 'a' are too far apart to draw"):
        parse_csv(FAR_APART, "far.csv")
    session = Session()  # and the Python side (the widget's Dataset) is held to the same bound
    from xornet.data import Dataset

    X = np.array([[1e308, 0.0], [-1e308, 1.0], [0.0, 2.0], [1.0, 3.0]])
    with pytest.raises(DataError, match="too far apart"):
        session.configure(Settings(dataset="csv"), Dataset("far", X, np.array([0.0, 1, 0, 1])))
    assert session.data.name == "xor"  # unchanged


def test_the_server_answers_such_an_upload_with_an_error_not_a_dropped_connection(caplog):
    from starlette.testclient import TestClient

    from xornet.playground.server import create_app

    origin = {"origin": "http://testserver"}
    with (caplog.at_level(logging.ERROR, logger="xornet.playground"),
          TestClient(create_app(hosts=("testserver",))) as client,
          client.websocket_connect("/ws", headers=origin) as ws):  # fmt: skip
        for _ in range(4):  # hello, state, data, frame
            ws.receive_text()
        ws.send_json({"type": "csv", "name": "far.csv", "text": FAR_APART})
        reply = json.loads(ws.receive_text())
        assert reply["type"] == "error"
        assert "too far apart to draw" in reply["message"]
        ws.send_json({"type": "frame"})  # the connection goes on
        assert json.loads(ws.receive_text())["type"] == "frame"
    assert not caplog.records


def test_an_empty_dataset_name_is_refused_not_taken_for_xor(capsys):
    from xornet.cli import main

    assert main(["train", "--dataset", "", "--steps", "1", "--seed", "0"]) == 2
    assert "unknown dataset ''" in capsys.readouterr().err


# ----------------------------------------------------------------------------- xornet review

POST = (__import__("pathlib").Path(__file__).parent / "submissions" / "post.py").read_text()

MISBEHAVING = """
import numpy as np


class Raises:
    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array here")


class Interrupts:
    def __array__(self, *args, **kwargs):
        raise KeyboardInterrupt


def init_parameters(num_hidden_units=2):
    return Raises(), Raises(), Raises(), Raises()


def affine(W, X, B):
    return Interrupts()


def sigmoid(z):
    raise KeyboardInterrupt
"""


def test_a_folder_review_survives_hostile_files_and_names(tmp_path):
    """A notebook nested too deeply, a file name that is not UTF-8 or holds a line break, and
    returned objects that raise when read: each is a row of the grades, none a traceback, and
    the grades' CSV is written whole."""
    import csv
    import os

    from xornet.review import review_folder, write_csv

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "misbehaves.py").write_text(MISBEHAVING)
    (folder / "line\nbreak.py").write_text(POST)
    with open(os.path.join(os.fsencode(folder), b"\xff\xfename.py"), "w") as f:
        f.write(POST)
    reviews = {r.source: r for r in review_folder(folder, timeout=60)}
    assert set(reviews) == {"deep.ipynb", "misbehaves.py", "line\\nbreak.py", "\\xff\\xfename.py"}
    assert "nested too deeply" in reviews["deep.ipynb"].findings[0].text["en"]
    assert reviews["\\xff\\xfename.py"].passed
    assert reviews["line\\nbreak.py"].passed
    misbehaves = reviews["misbehaves.py"]
    texts = {f.check: f.text["en"] for f in misbehaves.findings if f.level == "fail"}
    assert "RuntimeError: no array here" in texts["init_parameters"]
    assert "KeyboardInterrupt" in texts["affine"]
    assert "KeyboardInterrupt" in texts["sigmoid"]
    assert not any(f.code == "review_error" for f in misbehaves.findings)
    grades = tmp_path / "grades.csv"
    write_csv(list(reviews.values()), grades)
    with grades.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 5
    assert {row[0] for row in rows[1:]} == set(reviews)


@pytest.mark.parametrize(
    "written",
    [
        "[1, 2]\n",
        '{"event": "review", "review": {"source": 1}}\n',
        "[" * 100_000 + "\n",
        json.dumps(
            {
                "event": "review",
                "review": {
                    "source": "x",
                    "status": "ok",
                    "checks": {"load": "pass"},
                    "seconds": 0,
                    "findings": [
                        {"check": "load", "level": "fail", "code": "x", "text": {"en": 1}}
                    ],
                },
            }
        )
        + "\n",
    ],
)
def test_code_that_writes_into_the_reviews_record_fails_its_own_review_only(tmp_path, written):
    from xornet.review import review_file

    path = tmp_path / "writes.py"
    path.write_text(
        "def init_parameters(num_hidden_units=2):\n"
        f"    open('events.jsonl', 'a').write({written!r})\n"
        "    import os\n"
        "    os._exit(0)\n"
    )
    review = review_file(path, timeout=60)  # no traceback
    assert not review.passed
    assert review.status in ("crashes", "exits")


@pytest.mark.parametrize("eps", ["0", "-1e-5"])
def test_gradcheck_refuses_a_step_of_nothing_in_one_line(capsys, eps):
    from xornet.cli import main

    assert main(["gradcheck", f"--eps={eps}"]) == 2
    err = capsys.readouterr().err
    assert "eps must be a positive finite number" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--steps", "5", "--plots", ""],
        ["train", "--steps", "5", "--save", " "],
        ["review", ""],
    ],
)
def test_an_empty_path_is_an_error_not_the_working_directory(argv, capsys, tmp_path, monkeypatch):
    from xornet.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "empty path" in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # nothing written where the user stands
