"""Datasets and the CSV loader, with every bad-file case."""

import numpy as np
import pytest

import xornet
from xornet.csvfile import load_csv, load_features_csv
from xornet.data import GATES, is_dataset_name, make_dataset
from xornet.errors import DataError


@pytest.mark.parametrize("name", list(GATES))
def test_gates_are_truth_tables_in_the_posts_order(name):
    d = xornet.gate(name)
    np.testing.assert_array_equal(d.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    a, b = d.X[:, 0].astype(bool), d.X[:, 1].astype(bool)
    expected = {
        "xor": a ^ b,
        "and": a & b,
        "or": a | b,
        "nand": ~(a & b),
        "nor": ~(a | b),
        "xnor": ~(a ^ b),
    }[name]
    np.testing.assert_array_equal(d.y, expected.astype(float))


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_parity(n):
    d = xornet.parity(n)
    assert d.X.shape == (2**n, n)
    np.testing.assert_array_equal(d.y, d.X.sum(axis=1) % 2)
    assert len({tuple(row) for row in d.X}) == 2**n
    np.testing.assert_array_equal(xornet.parity(2).y, xornet.xor().y)


@pytest.mark.parametrize("name", ["noisy-xor", "moons", "circles", "spiral"])
def test_random_sets_are_seeded_balanced_and_2d(name):
    a = make_dataset(name, n_samples=101, rng=3)
    b = make_dataset(name, n_samples=101, rng=3)
    c = make_dataset(name, n_samples=101, rng=4)
    assert a.X.shape == (101, 2)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    assert abs(a.y.sum() - 50.5) <= 25  # both classes well represented
    assert set(np.unique(a.y)) == {0.0, 1.0}


def test_noiseless_sets_have_their_shape():
    circles = xornet.circles(200, noise=0.0, factor=0.3, rng=0)
    radius = np.linalg.norm(circles.X, axis=1)
    np.testing.assert_allclose(radius[circles.y == 1], 0.3)
    np.testing.assert_allclose(radius[circles.y == 0], 1.0)
    nx = xornet.noisy_xor(8, noise=0.0, rng=0)
    np.testing.assert_array_equal(nx.y, (nx.X[:, 0] != nx.X[:, 1]).astype(float))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_dataset("nope"), "unknown dataset"),
        (lambda: xornet.parity(1), "2 to 16 bits"),
        (lambda: xornet.moons(1), "n_samples"),
        (lambda: xornet.spiral(10, noise=-1), "noise"),
        (lambda: xornet.circles(10, factor=1.5), "factor"),
        (lambda: xornet.gate("maybe"), "unknown gate"),
    ],
)
def test_bad_dataset_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv(tmp_path):
    path = write(tmp_path, "x1,label,x2\n0,0,0\n0,1,1\n1,1.0,0\n\n1,0,1\n")
    d = load_csv(path)
    assert d.name == "data"
    assert d.feature_names == ("x1", "x2")
    np.testing.assert_array_equal(d.X, xornet.xor().X)
    np.testing.assert_array_equal(d.y, xornet.xor().y)


def test_load_csv_other_label_column_and_bom(tmp_path):
    path = write(tmp_path, "\ufeffa,b,target\n0.5,-1e3,1\n2,3,0\n")
    d = load_csv(path, label="target")
    assert d.feature_names == ("a", "b")
    np.testing.assert_array_equal(d.X, [[0.5, -1000.0], [2.0, 3.0]])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file"),
        ("x1,x2,label\n", "no data rows"),
        ("x1,x2,y\n0,0,1\n", "no label column 'label'; the columns are x1, x2, y"),
        ("label\n0\n1\n", "no feature columns"),
        ("x1,x1,label\n0,0,1\n", "repeated column names"),
        ("x1,x2,label\n0,0,0\n0,1\n", "row 3: 2 fields, but the header has 3"),
        ("x1,x2,label\n0,0,0\n0,1,1,1\n", "row 3: 4 fields"),
        ("x1,x2,label\n0,0,0\n0,abc,1\n", "row 3, column 'x2': 'abc' is not a number"),
        ("x1,x2,label\n0,0,0\n0,,1\n", "row 3, column 'x2': missing value"),
        ("x1,x2,label\n0,nan,0\n0,1,1\n", "row 2, column 'x2': 'nan' is not a finite number"),
        ("x1,x2,label\n0,0,0\n1,1,2.5\n", "row 3, column 'label': label '2.5' is not a class"),
        ("x1,x2,label\n0,0,0\n1,1,-1\n", "row 3, column 'label': label '-1' is not a class"),
        ("x1,x2,label\n0,0,0\n1,1,2\n", "labels go up to 2 but class 1 has no sample"),
        ("x1,x2,label\n0,0,0\n1,1,yes\n", "row 3, column 'label': 'yes' is not a number"),
        ("x1,x2,label\n0,0,1\n1,1,1\n", "every label is 1; training needs two classes or more"),
    ],
)
def test_bad_csv_files_name_file_row_and_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as excinfo:
        load_csv(path)
    assert str(excinfo.value).startswith(str(path))
    assert "\n" not in str(excinfo.value)


def test_csv_that_is_not_text_or_not_there(tmp_path):
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(DataError, match="not a UTF-8 text file"):
        load_csv(binary)
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path)


def test_load_features_csv_picks_the_models_columns(tmp_path):
    path = write(tmp_path, "id,x2,x1\n7,0.5,1\n8,2,3\n")
    np.testing.assert_array_equal(load_features_csv(path, ("x1", "x2")), [[1, 0.5], [3, 2]])
    with pytest.raises(DataError, match="no column 'x3'"):
        load_features_csv(path, ("x1", "x3"))


def test_dataset_validates_itself():
    with pytest.raises(DataError, match=r"labels must be class indices 0, 1, 2, ... \(below"):
        xornet.Dataset("bad", np.zeros((2, 1)), np.array([0.0, 0.5]))
    with pytest.raises(DataError, match="labels go up to 3 but class 1 has no sample"):
        xornet.Dataset("gap", np.zeros((3, 1)), np.array([0.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="feature names"):
        xornet.Dataset("bad", np.zeros((2, 1)), np.array([0.0, 1.0]), ("a", "b"))


@pytest.mark.parametrize(("name", "known"), [
    ("xor", True), ("nand", True), ("moons", True), ("noisy-xor", True), ("spiral", True),
    ("parity2", True), ("parity16", True), ("spiral3", True), ("spiral5", True),
    ("spiral10", True), ("parity1", False), ("parity17", False), ("spiral1", False),
    ("spiral11", False), ("gate", False), ("my_data", False), ("", False),
])  # fmt: skip
def test_is_dataset_name_agrees_with_make_dataset(name, known):
    assert is_dataset_name(name) is known
    if known:
        assert make_dataset(name, n_samples=20, rng=0).name == name
    else:
        with pytest.raises(DataError):
            make_dataset(name, n_samples=20, rng=0)


def test_make_dataset_reports_bad_arguments_as_data_errors():
    with pytest.raises(DataError, match="noise must be a finite number"):
        make_dataset("moons", noise=-1.0)
    # Too few samples for the arms is the samples' fault (the CLI names --samples), not the
    # name's: spiral5 is a good name.
    with pytest.raises(DataError, match="at least one sample for each of the 5 arms, got 3") as e:
        make_dataset("spiral5", n_samples=3)
    assert e.value.argument == "n_samples"
    with pytest.raises(DataError, match="need 2 to 10 arms, got 11") as e:
        make_dataset("spiral11", n_samples=30)
    assert e.value.argument == "name"


# ----------------------------------------------------------------------------- strict CSV cells


def one_cell(tmp_path, cell, column="x2"):
    """A CSV file whose row 3 has ``cell`` in ``column`` (x2 or label)."""
    row = f"1,{cell},1" if column == "x2" else f"1,1,{cell}"
    return write(tmp_path, f"x1,x2,label\n0,0,0\n{row}\n")


@pytest.mark.parametrize(("cell", "message"), [
    ("1_000", "'1_000' is not a number"),  # float() reads 1000
    ("1__0", "'1__0' is not a number"),
    ("\uff11", "is not a number"),  # full-width 1: float() reads 1
    ("\u0661", "is not a number"),  # Arabic-Indic 1: float() reads 1
    ("1\u00a0", "is not a number"),  # a no-break space: float() strips it
    ("0x10", "'0x10' is not a number"),
    ("1 000", "'1 000' is not a number"),
    ("1e", "'1e' is not a number"),
    (".", "'.' is not a number"),
    ("\u22121", "is not a number"),  # the minus sign, not a hyphen
    ("inf", "'inf' is not a finite number"),
    ("-Infinity", "'-Infinity' is not a finite number"),
    ("NaN", "'NaN' is not a finite number"),
    ("1e999", "'1e999' is not a finite number"),  # float() reads inf
])  # fmt: skip
def test_a_cell_is_a_plain_decimal_number_or_an_error(tmp_path, cell, message):
    for column in ("x2", "label"):
        path = one_cell(tmp_path, cell, column)
        with pytest.raises(DataError, match=message) as info:
            load_csv(path)
        assert str(info.value).startswith(f"{path}, row 3, column '{column}': ")


@pytest.mark.parametrize(("cell", "value"), [
    (" 1 ", 1.0), ("\t2", 2.0), ("+3", 3.0), ("1.", 1.0), (".5", 0.5), ("-0.25", -0.25),
    ("1e3", 1000.0), ("2.5E-1", 0.25), ("007", 7.0), ("1e-400", 0.0),
])  # fmt: skip
def test_plain_decimal_numbers_are_read(tmp_path, cell, value):
    assert load_csv(one_cell(tmp_path, cell)).X[1, 1] == value


def test_label_one_underscore_zero_is_not_class_ten(tmp_path):
    with pytest.raises(DataError, match="column 'label': '1_0' is not a number"):
        load_csv(one_cell(tmp_path, "1_0", "label"))


def test_a_long_cell_is_quoted_short(tmp_path):
    with pytest.raises(DataError, match=r"'zzzzz.*\.\.\.' is not a number") as info:
        load_csv(one_cell(tmp_path, "z" * 100_000))
    assert len(str(info.value)) < len(str(tmp_path)) + 100


# ----------------------------------------------------------------------------- the header row


@pytest.mark.parametrize(("text", "message"), [
    ("0,0,0\n0,1,1\n1,0,1\n", "the first row should be the column names, but it holds numbers "
                              "('0', '0', '0'); add a header row"),
    ("0.5,1.5,1\n0,1,1\n", "the first row should be the column names"),
    (",x1,x2,label\n0,0,0,0\n1,0,1,1\n", "column 1 has no name in the header row"),  # pandas
    ('x1,"a\nb",label\n0,0,0\n1,0,1\n',
     "a column name holds the character U+000A (a line break, control or invisible one) "
     "(column 2: 'a\\nb')"),
    ("x1," + "x" * 256 + ",label\n0,0,0\n1,1,1\n",
     "a column name is longer than 255 characters (column 2: 'xxx"),
    ("x1,x2,x1,label\n0,0,0,0\n", "repeated column names in the header ('x1')"),
    ("x1;x2;label\n0,5;1;0\n", "the header row has one column, 'x1;x2;label': the file seems "
                               "separated by ';'; xornet reads comma-separated values"),
    ("x1\tx2\tlabel\n0\t1\t0\n", "the file seems separated by tabs"),
])  # fmt: skip
def test_a_bad_header_row_is_named_for_what_it_is(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        load_csv(path)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{path}: ")
    assert "\n" not in str(info.value)


def test_a_file_name_that_cannot_name_a_dataset_is_refused(tmp_path):
    path = write(tmp_path, "x,label\n0,0\n1,1\n", name="two\nlines.csv")
    message = r"the file's name, which names the dataset, holds the character U\+000A"
    with pytest.raises(DataError, match=message):
        load_csv(path)


def test_many_columns_are_listed_short(tmp_path):
    header = ",".join(f"c{i}" for i in range(500))
    path = write(tmp_path, f"{header}\n" + ",".join("0" * 500) + "\n")
    with pytest.raises(DataError, match=r"the columns are c0, c1, .*, c9, \.\.\. \(500 columns\)"):
        load_csv(path)


# ----------------------------------------------------------------------------- bounds


def test_a_csv_file_is_bounded_before_it_is_parsed(tmp_path, monkeypatch):
    import xornet.csvfile as data

    path = write(tmp_path, "x1,label\n" + "0,0\n1,1\n" * 50)
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 100)
    with pytest.raises(DataError, match="larger than 0 MiB, the most a CSV file may hold"):
        load_csv(path)
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 10_000)
    monkeypatch.setattr(data, "MAX_CSV_ROWS", 99)
    with pytest.raises(DataError, match="more than 99 rows"):
        load_csv(path)
    monkeypatch.setattr(data, "MAX_CSV_ROWS", 100)
    assert load_csv(path).n_samples == 100
    wide = write(tmp_path, ",".join(f"c{i}" for i in range(1001)) + ",label\n", name="w.csv")
    with pytest.raises(DataError, match="1,002 columns; a CSV file may have at most 1,000"):
        load_csv(wide)


def test_a_csv_from_a_pipe_is_read_up_to_the_bound(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os = pytest.importorskip("os")
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    import threading

    os.mkfifo(fifo)

    def feed():
        with open(fifo, "w") as f:
            f.write("x1,label\n0,0\n1,1\n")

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert load_csv(fifo).n_samples == 2
    finally:
        writer.join()


def test_a_random_set_is_bounded_before_it_is_drawn():
    with pytest.raises(DataError, match="n_samples must be a whole number from 2 to 1,000,000"):
        make_dataset("moons", n_samples=10**12)
    with pytest.raises(DataError, match="n_samples must be a whole number"):
        make_dataset("circles", n_samples=2.5)
    for noise in ("loud", 1e308, float("nan"), float("inf")):
        with pytest.raises(DataError, match=r"noise must be a finite number >= 0 \(at most 1e\+06"):
            make_dataset("moons", noise=noise)


def test_a_path_with_a_nul_character_is_a_data_error():
    with pytest.raises(DataError, match="not a file name"):
        load_csv("data\0.csv")  # ValueError before


def test_a_bad_rng_or_a_vast_number_is_not_blamed_on_the_name():
    """A bad rng was a DataError of the dataset's name; an int too long for repr raised from
    inside the message (Python writes out at most 4,300 digits)."""
    with pytest.raises(ValueError, match="non-negative") as caught:
        make_dataset("spiral3", rng=-1)
    assert not isinstance(caught.value, DataError)
    with pytest.raises(DataError, match=r"got an integer of about 5,000 digits$") as caught:
        make_dataset("moons", n_samples=10**5000)
    assert caught.value.argument == "n_samples"
    with pytest.raises(DataError, match="2 to 16 bits") as caught:
        make_dataset("parity99")
    assert caught.value.argument == "name"
