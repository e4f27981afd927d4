"""Figures, animation and the HTML report, rendered with Agg and checked at the pixel level."""

import html.parser
import shutil
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

import xornet
import xornet.hidden_space
import xornet.plotting
from xornet.cli import main
from xornet.errors import XornetError
from xornet.explain import explain_next
from xornet.plotting import (
    LossCurve,
    animate,
    hidden_plane,
    plot_boundary,
    plot_hidden_space,
    plot_loss,
    plot_network,
    plot_starts,
    save_figures,
)
from xornet.report import SECTIONS, build_report


@pytest.fixture(scope="module")
def solved():
    data = xornet.xor()
    result = xornet.train(data.X, data.y, xornet.TrainConfig(hidden=2, learning_rate=1.0,
                                                             steps=20_000), rng=3)  # fmt: skip
    assert result.outcome.kind == "solved"
    return data, result


def pixels(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].astype(int), canvas


def colour_at(fig, ax, x, y):
    image, _ = pixels(fig)
    px, py = ax.transData.transform((x, y))
    row, col = image.shape[0] - round(py), round(px)
    return image[row - 2 : row + 3, col - 2 : col + 3].mean(axis=(0, 1))


def test_boundary_colours_differ_between_the_corners(solved):
    data, result = solved
    fig = plot_boundary(result.params, data.X, data.y)
    ax = fig.axes[0]
    # just inside each corner, off the markers: (0,1) is class 1 (red), (0,0) class 0 (blue)
    one = colour_at(fig, ax, 0.12, 0.88)
    zero = colour_at(fig, ax, 0.12, 0.12)
    assert one[0] > one[2] + 40, one
    assert zero[2] > zero[0] + 40, zero
    assert len(ax.collections) >= 3  # heat map, contour, points


def sides_of_line(ax):
    line = next(line for line in ax.lines if line.get_label() == "output = 0.5")
    (u0, u1), (v0, v1) = line.get_xdata(), line.get_ydata()
    sides = {}
    for collection in ax.collections:
        label = collection.get_label()
        if label.startswith("class"):
            pts = collection.get_offsets()
            cross = (u1 - u0) * (pts[:, 1] - v0) - (v1 - v0) * (pts[:, 0] - u0)
            sides[label] = np.sign(cross)
    return sides


def test_hidden_space_separates_the_classes_with_the_drawn_line(solved):
    data, result = solved
    fig = plot_hidden_space(result.params, data.X, data.y)
    ax = fig.axes[0]
    sides = sides_of_line(ax)
    assert len(set(sides["class 0"])) == 1
    assert len(set(sides["class 1"])) == 1
    assert sides["class 0"][0] == -sides["class 1"][0]
    assert ax.get_xlabel().startswith("h1")


def test_hidden_space_of_a_stuck_network_does_not_separate():
    data = xornet.xor()
    stuck = xornet.train(data.X, data.y, xornet.PRESETS["post"],
                         params=xornet.post_initial_params(0))  # fmt: skip
    assert stuck.outcome.kind == "plateau"
    sides = sides_of_line(plot_hidden_space(stuck.params, data.X, data.y).axes[0])
    assert (
        len(set(sides["class 0"])) > 1
        or len(set(sides["class 1"])) > 1
        or (sides["class 0"][0] == sides["class 1"][0])
    )


def test_hidden_plane_lines_are_the_output_units_zero_level(solved):
    # For 2 hidden units the plane is hidden space itself: a sample's coordinates are its
    # hidden activations, and a . c + c0 at them is exactly the output's logit z2.
    data, result = solved
    cache = xornet.forward(result.params, data.X)
    plane = hidden_plane(result.params, data.X)
    np.testing.assert_allclose(plane.coords, cache.H, rtol=0, atol=1e-15)
    ((a, c0, _),) = plane.lines
    np.testing.assert_allclose(plane.coords @ a + c0, cache.Z2[:, 0], rtol=0, atol=1e-12)
    # Activations the caller already has give the same plane; a wrong shape is refused.
    given = hidden_plane(result.params, data.X, hidden=cache.H)
    np.testing.assert_array_equal(given.coords, plane.coords)
    with pytest.raises(ValueError, match="hidden has shape"):
        hidden_plane(result.params, data.X, hidden=cache.H[:, :1])


def test_the_geometry_and_the_figures_import_without_matplotlib():
    # The playground draws hidden space in the browser from xornet.hidden_space alone.
    code = ("import sys, xornet.hidden_space, xornet.plotting, xornet.explain, xornet.report; "
            "print('matplotlib' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    assert xornet.plotting.hidden_plane is xornet.hidden_space.hidden_plane


@pytest.mark.parametrize(("hidden", "label"), [(1, "h1 (the only"), (3, "h1"),
                                               (5, "principal component 1")])  # fmt: skip
def test_hidden_space_for_other_widths(hidden, label):
    data = xornet.xor()
    result = xornet.train(data.X, data.y, xornet.TrainConfig(hidden=hidden), rng=0)
    fig = plot_hidden_space(result.params, data.X, data.y)
    assert fig.axes[0].get_xlabel().startswith(label)
    pixels(fig)  # renders without error


def test_loss_curve_marks_the_stop(solved):
    _, result = solved
    fig = plot_loss(result.loss_history, result.history_steps, final_step=result.steps,
                    final_loss=result.final_loss, stop_reason=result.stop_reason)  # fmt: skip
    linear, log = fig.axes
    assert (linear.get_yscale(), log.get_yscale()) == ("linear", "log")
    assert any("stop: tolerance" in t.get_text() for t in linear.texts)
    line = linear.lines[0]
    assert line.get_xdata()[-1] == result.steps


def test_network_diagram_draws_every_connection(solved):
    _, result = solved
    fig = plot_network(result.params, ["a", "b"])
    edges = list(fig.axes[0].lines)
    assert len(edges) == 2 * 2 + 2
    widths = sorted(edge.get_linewidth() for edge in edges)
    assert widths[-1] > widths[0]  # width follows the weight's size
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "a" in texts
    assert any(t.startswith("b=") for t in texts)


def test_grid_of_starts_titles_each_outcome():
    data = xornet.xor()
    config = xornet.PRESETS["post"]
    seeds = [0, 1, 2, 3]
    starts = [xornet.post_initial_params(s) for s in seeds]
    fig = plot_starts(data.X, data.y, config, seeds, columns=2, params=starts)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[0].startswith("seed 0: ")
    assert any("plateau" in t for t in titles)
    assert any("solved" in t for t in titles)


def test_animation_writes_a_gif_atomically(tmp_path, solved):
    data, _ = solved
    path = tmp_path / "train.gif"
    config = xornet.TrainConfig(hidden=2, steps=300)
    animate(data.X, data.y, config, path, rng=3, frames=6)
    with Image.open(path) as gif:
        assert gif.n_frames >= 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.gif"]
    with pytest.raises(XornetError, match=r"gif or an \.mp4"):
        animate(data.X, data.y, config, tmp_path / "x.avi")
    if shutil.which("ffmpeg") is None:
        with pytest.raises(XornetError, match="needs ffmpeg"):
            animate(data.X, data.y, config, tmp_path / "x.mp4")


def animation_frames(monkeypatch, X, y, config, path, **kwargs):
    """Run ``animate`` and return each frame's title and the weights it drew."""
    from matplotlib.animation import PillowWriter

    titles, weights = [], []
    draw_boundary = animate.__globals__["plot_boundary"]
    grab_frame = PillowWriter.grab_frame

    def record_weights(params, *args, **kw):
        weights.append(params.copy())
        return draw_boundary(params, *args, **kw)

    def record_title(writer, **kw):
        titles.append(writer.fig.get_suptitle())
        return grab_frame(writer, **kw)

    monkeypatch.setitem(animate.__globals__, "plot_boundary", record_weights)
    monkeypatch.setattr(PillowWriter, "grab_frame", record_title)
    animate(X, y, config, path, **kwargs)
    return titles, weights


@pytest.mark.parametrize(
    "changes",
    [
        {"loss": "sse", "learning_rate": 0.5},
        {"batch_size": 2},
        {"optimizer": "adam", "learning_rate": 0.05},
    ],
    ids=["sse", "mini-batch", "adam"],
)
def test_animation_frames_are_the_trainers_steps(monkeypatch, tmp_path, changes):
    # The frames are a Trainer's run: its loss, batches and optimizer (the animation once
    # trained every configuration on full-batch cross-entropy).
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=2, steps=300, tol=None, **changes)
    titles, weights = animation_frames(monkeypatch, data.X, data.y, config,
                                       tmp_path / "a.gif", rng=3, frames=6)  # fmt: skip
    steps = [0, 1, 4, 17, 72, 300]  # spaced geometrically
    assert titles == [f"step {s:,}" for s in steps]
    trainer = xornet.Trainer(data.X, data.y, config, rng=3)
    for step, drawn in zip(steps, weights, strict=True):
        trainer.run(until=step)
        for key, value in trainer.params.as_dict().items():
            np.testing.assert_array_equal(getattr(drawn, key), value, err_msg=f"{key} at {step}")


def test_animation_ends_where_a_stop_rule_ends_the_run(monkeypatch, tmp_path):
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=4, steps=5000)  # reaches the loss tolerance at 919
    titles, weights = animation_frames(monkeypatch, data.X, data.y, config,
                                       tmp_path / "a.gif", rng=3, frames=12)  # fmt: skip
    result = xornet.train(data.X, data.y, config, rng=3)
    assert result.stop_reason == "tolerance"
    assert titles[-1] == f"step {result.steps:,} (stop: tolerance)"
    assert all("stop" not in title for title in titles[:-1])
    for key, value in result.params.as_dict().items():
        np.testing.assert_array_equal(getattr(weights[-1], key), value)


@pytest.mark.parametrize(("hidden", "shortcut", "view"),
                         [(1, True, "3d"), (3, True, "rectilinear"), (3, False, "3d")])  # fmt: skip
def test_animation_draws_hidden_space_in_3d_when_the_output_sees_3_dimensions(
    monkeypatch, tmp_path, hidden, shortcut, view
):
    # What the output sees: the hidden units, plus the 2 inputs with a shortcut.
    data = xornet.xor()
    views = []
    draw = animate.__globals__["plot_hidden_space"]

    def record(*args, ax, **kwargs):
        views.append(ax.name)
        return draw(*args, ax=ax, **kwargs)

    monkeypatch.setitem(animate.__globals__, "plot_hidden_space", record)
    config = xornet.TrainConfig(hidden=hidden, shortcut=shortcut, steps=10)
    animate(data.X, data.y, config, tmp_path / "a.gif", rng=0, frames=3)
    assert views == [view] * 3


def test_save_figures_and_inputs_that_are_not_2d(tmp_path):
    data = xornet.parity(3)
    result = xornet.train(data.X, data.y, xornet.TrainConfig(hidden=6), rng=0)
    written = save_figures(tmp_path, result.params, data.X, data.y)
    assert sorted(p.name for p in written) == ["hidden.png", "network.png"]
    with pytest.raises(XornetError, match="needs 2 input features"):
        plot_boundary(result.params, data.X, data.y)


class Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.images, self.urls, self.stack = [], 0, [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ("meta", "img", "br"):
            self.stack.append(tag)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "img":
            self.images += 1
            assert attrs["src"].startswith("data:image/png;base64,")
        for key in ("src", "href"):
            if key in attrs and not attrs[key].startswith("data:"):
                self.urls.append(attrs[key])

    def handle_endtag(self, tag):
        assert self.stack.pop() == tag, tag


def test_report_is_self_contained_and_complete(solved):
    data, result = solved
    page = build_report(result.params, data.X, data.y, config=result.config.to_dict(),
                        outcome=result.outcome, curve=LossCurve.from_result(result),
                        explain_params=xornet.init_params(2, 2, rng=3))  # fmt: skip
    parser = Collector()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert tuple(parser.ids) == SECTIONS
    assert parser.images == 4
    assert parser.urls == []
    assert "http://" not in page
    assert "https://" not in page
    assert "Every number of the first training step" in page
    assert "7) db1 = sum(dZ1)" in page


def test_report_explains_a_step_of_the_runs_own_loss():
    # The report once explained every run's step with cross-entropy.
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=2, loss="sse", steps=50, tol=None)
    trainer = xornet.Trainer(data.X, data.y, config, rng=0)
    first = explain_next(trainer)
    start = trainer.params.copy()
    result = trainer.run().result()
    from_start = build_report(result.params, data.X, data.y, config=config.to_dict(),
                              explain_params=start, optimizer=config.new_optimizer())  # fmt: skip
    from_trainer = build_report(result.params, data.X, data.y, config=config.to_dict(),
                                explanation=first)  # fmt: skip
    for page in (from_start, from_trainer):
        assert "E = 1/2 sum((P - y)^2)" in page
        assert "Every number of the first training step" in page
    assert from_start == from_trainer


def test_cli_figures_plot_and_report(tmp_path, capsys):
    plots, model = tmp_path / "figs", tmp_path / "m.npz"
    code = main(["train", "--seed", "0", "--save", str(model), "--plots", str(plots),
                 "--starts", "4", "--quiet"])  # fmt: skip
    assert code == 0
    assert sorted(p.name for p in plots.iterdir()) == ["boundary.png", "hidden.png", "loss.png",
                                                       "network.png", "starts.png"]  # fmt: skip
    assert "figure      " in capsys.readouterr().out
    again = tmp_path / "again"
    assert main(["plot", str(model), "--out", str(again)]) == 0
    assert sorted(p.name for p in again.iterdir()) == ["boundary.png", "hidden.png", "loss.png",
                                                       "network.png"]  # fmt: skip
    with Image.open(again / "boundary.png") as image:
        assert image.size[0] > 300
    report = tmp_path / "r.html"
    assert main(["report", "--out", str(report), "--seed", "1"]) == 0
    assert report.read_text().count("<section") == len(SECTIONS)
    assert main(["report", "--model", str(model), "--out", str(tmp_path / "m.html")]) == 0
    assert "no network" not in (tmp_path / "m.html").read_text()
    capsys.readouterr()
    csv_file = tmp_path / "p3.csv"
    csv_file.write_text("a,b,c,label\n0,0,0,0\n0,1,1,0\n1,0,1,0\n1,1,1,1\n0,0,1,1\n")
    csv_model = tmp_path / "p3.npz"
    assert main(["train", "--csv", str(csv_file), "--save", str(csv_model), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["plot", str(csv_model), "--out", str(tmp_path / "p")]) == 2
    assert "give its data with --csv FILE" in capsys.readouterr().err
    assert main(["plot", str(csv_model), "--csv", str(csv_file), "--out",
                 str(tmp_path / "p")]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["train", "--starts", "3"]) == 2
    assert "--starts goes with --plots" in capsys.readouterr().err


def test_loss_curve_from_a_result_and_from_metadata(solved):
    _, result = solved
    curve = LossCurve.from_result(result)
    assert curve.final_step == result.steps
    np.testing.assert_array_equal(curve.losses, result.loss_history)
    assert LossCurve.from_metadata({}) is None
    meta = {"loss_history": curve.losses.tolist(), "history_steps": curve.steps.tolist(),
            "steps": 7, "final_loss": 0.5}  # fmt: skip
    again = LossCurve.from_metadata(meta)
    assert again is not None
    assert again.final_step == 7
    assert again.plot().axes[0].lines[0].get_xdata()[-1] == 7


@pytest.mark.parametrize(
    ("changes", "shown", "hidden"),
    [
        ({}, [], ["momentum", "nesterov", "beta1", "beta2", "eps", "init_scale", "shuffle"]),
        ({"optimizer": "momentum"}, ["momentum", "nesterov"], ["beta1", "beta2", "eps"]),
        ({"optimizer": "adam", "learning_rate": 0.05}, ["beta1", "beta2", "eps"], ["momentum"]),
        ({"init": "uniform", "batch_size": 2}, ["init_scale", "shuffle"], ["momentum", "beta1"]),
    ],
    ids=["gd", "momentum", "adam", "uniform-minibatch"],
)
def test_report_shows_only_the_settings_the_run_reads(changes, shown, hidden):
    # A plain gradient-descent run's report once listed momentum and Adam's betas.
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=2, steps=5, **changes)
    page = build_report(xornet.init_params(2, 2, rng=0), data.X, data.y, config=config.to_dict())
    table = page.split('<section id="configuration">')[1].split("</section>")[0]
    for name in ["optimizer", "learning_rate", "loss", "init", "steps", "tol", *shown]:
        assert f"<th>{name}</th>" in table, name
    for name in hidden:
        assert f"<th>{name}</th>" not in table, name


@pytest.mark.parametrize(("n", "m"), [(4, 8), (40, 5), (3, 100), (200, 16)])
def test_principal_directions_are_the_svds_with_a_fixed_sign(n, m):
    from xornet.hidden_space import principal_directions

    rng = np.random.default_rng(n * m)
    H = rng.normal(size=(n, m)) * np.geomspace(3, 0.1, m)  # spread unevenly over the axes
    C = H - H.mean(axis=0)
    basis = principal_directions(C)
    svd = np.linalg.svd(C, full_matrices=False)[2][:2].T
    signs = np.sign(np.sum(basis * svd, axis=0))
    np.testing.assert_allclose(basis, svd * signs, rtol=0, atol=1e-12)
    largest = basis[np.argmax(np.abs(basis), axis=0), [0, 1]]
    assert np.all(largest > 0)


@pytest.mark.parametrize("points", [np.ones((1, 6)), np.ones((4, 6)), np.eye(2, 6)],
                         ids=["one", "identical", "two"])  # fmt: skip
def test_principal_directions_without_spread_are_still_a_plane(points):
    from xornet.hidden_space import principal_directions

    basis = principal_directions(points - points.mean(axis=0))
    np.testing.assert_allclose(basis.T @ basis, np.eye(2), rtol=0, atol=1e-12)


def test_the_hidden_plane_does_not_mirror_when_the_samples_are_reordered():
    # The SVD's signs depend on the order of the rows: the same network could be drawn
    # mirrored. The plane's directions have a fixed sign (their largest component positive).
    data = xornet.make_dataset("moons", n_samples=40, rng=0)
    rng = np.random.default_rng(0)
    for seed in range(6):
        params = xornet.init_params(2, 5, rng=seed)
        plane = hidden_plane(params, data.X)
        for _ in range(4):
            order = rng.permutation(len(data.X))
            again = hidden_plane(params, data.X[order])
            np.testing.assert_allclose(again.basis, plane.basis, rtol=0, atol=1e-12)
            np.testing.assert_allclose(again.coords, plane.coords[order], rtol=0, atol=1e-12)
