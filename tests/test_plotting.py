"""Figures, animation and the HTML report, rendered with Agg and checked at the pixel level."""

import html.parser
import itertools
import shutil
import subprocess
import sys
import warnings

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


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("losses", [[1.7e308, 1e300, 1.0], [1.0, 1e308]])
def test_loss_curve_of_losses_near_the_largest_float_draws(losses):
    # Before, matplotlib's margins overflowed (a warning) or failed ("arange: cannot compute
    # length") for such losses, as a diverging run's or a file's can be.
    fig = plot_loss(np.array(losses), np.arange(len(losses)) * 10.0)
    FigureCanvasAgg(fig).draw()
    assert max(fig.axes[1].lines[0].get_ydata()) == 1e200


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
    assert parser.images == 6  # loss, spectrum, slice, boundary, hidden space, network
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


# ----------------------------------------------------------------------------- text and colours

# Names that matplotlib would parse as mathtext or LaTeX, and long enough to leave the canvas.
NAMES = ["$\\alpha_{weird}$ petal length (cm)^2 of the first flower", "cost ($) 100% _x_ \\frac{"]


def outside(fig):
    """The texts drawn beyond the figure's edges (empty when every text is inside)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.bbox
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in fig.texts]
    for ax in fig.axes:
        # an axis's tight box covers only the tick labels it draws, and its label
        axes = [ax.xaxis, ax.yaxis, *([ax.zaxis] if hasattr(ax, "zaxis") else [])]
        drawn = ax.axison or ax.name == "3d"  # a 3-D axes turns its 2-D frame off
        boxes += [(f"{ax.get_label() or 'axes'} axis", axis.get_tightbbox(renderer))
                  for axis in axes if drawn and axis.get_visible()]  # fmt: skip
        titles = [ax.title, *ax.texts, *(ax.get_legend().get_texts() if ax.get_legend() else [])]
        boxes += [(t.get_text(), t.get_window_extent(renderer)) for t in titles if t.get_text()]
    return [(text, [round(v) for v in b.extents]) for text, b in boxes
            if b is not None and (b.x0 < box.x0 - 0.5 or b.y0 < box.y0 - 0.5
                                  or b.x1 > box.x1 + 0.5 or b.y1 > box.y1 + 0.5)]  # fmt: skip


def many_classes(K, hidden=4, n=None):
    """Random data with K classes and an untrained softmax network for it."""
    rng = np.random.default_rng(K)
    X = rng.normal(size=(n or max(48, 2 * K), 2))
    y = (np.arange(len(X)) % K).astype(np.float64)
    return xornet.init_params(2, hidden, rng=0, n_classes=K), X, y


def trained(hidden, shortcut=False):
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=hidden, shortcut=shortcut)
    return xornet.train(data.X, data.y, config, rng=0), data


def sweep_rows(values):
    from types import SimpleNamespace

    return [SimpleNamespace(settings={"$long_setting^name": v, "hidden": h}, runs=8,
                            success_rate=0.5, ci_low=0.2, ci_high=0.8)
            for v in values for h in (2, 4)]  # fmt: skip


def figure_cases():
    """Every figure function, at its default size, with long and mathtext names."""

    def loss(steps):
        s = np.arange(0, steps + 1, max(1, steps // 400), dtype=np.float64)
        return lambda: plot_loss(np.exp(-s / steps), s, final_step=steps, final_loss=0.01,
                                 stop_reason="max_steps")  # fmt: skip

    def hidden(h, shortcut=False):
        def draw():
            result, data = trained(h, shortcut)
            return plot_hidden_space(result.params, data.X, data.y)

        return draw

    def classes(K, what, h=4):
        def draw():
            params, X, y = many_classes(K, h)
            if what == "boundary":
                return plot_boundary(params, X, y, resolution=60, feature_names=NAMES)
            if what == "hidden":
                return plot_hidden_space(params, X, y)
            return plot_network(params, NAMES)

        return draw

    def network(h, shortcut=False):
        def draw():
            result, _ = trained(h, shortcut)
            return plot_network(result.params, NAMES)

        return draw

    def boundary():
        result, data = trained(2)
        return plot_boundary(result.params, data.X, data.y, feature_names=NAMES)

    def starts():
        data = xornet.xor()
        config = xornet.TrainConfig(hidden=2, steps=200)
        return plot_starts(data.X, data.y, config, [0, 1, 2], columns=2, resolution=30)

    cases = {
        "loss-859": loss(859),
        "loss-200k": loss(200_000),
        "loss-10M": loss(10**7),
        "boundary": boundary,
        "network-2": network(2),
        "network-8": network(8),
        "network-shortcut": network(1, shortcut=True),
        "starts": starts,
        "sweep-line": lambda: xornet.plotting.plot_sweep(
            sweep_rows(["$x$", "a_b^c \\d", "a very long value indeed"])[::2],
            ["$long_setting^name"]),
        "sweep-heat": lambda: xornet.plotting.plot_sweep(
            sweep_rows(["$x$", "a_b^c \\d"]), ["$long_setting^name", "hidden"]),
    }  # fmt: skip
    for h in (1, 2, 3, 5):
        cases[f"hidden-{h}"] = hidden(h)
    for h in (1, 2):
        cases[f"hidden-{h}-shortcut"] = hidden(h, shortcut=True)
    for K in (3, 5, 12, 25):
        for h in (2, 3, 6) if K != 5 else (2,):
            cases[f"hidden-{h}-{K}-classes"] = classes(K, "hidden", h)
        cases[f"boundary-{K}-classes"] = classes(K, "boundary")
        cases[f"network-{K}-classes"] = classes(K, "network")
    return cases


FIGURES = figure_cases()


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_keeps_its_text_inside_and_plain(name):
    # A title cut off ("...separating lin"), a 3-D axis label cut off, more than 10 classes
    # (IndexError) and "$...$" in a feature name (a mathtext ValueError) once broke figures.
    fig = FIGURES[name]()
    assert outside(fig) == []
    from matplotlib.text import Text

    named = [
        t
        for t in fig.findobj(Text)
        if any(s in t.get_text() for s in ("$", "\\", "_{")) and "mathdefault" not in t.get_text()
    ]  # fmt: skip  (log-axis ticks are maths)
    for text in named:
        assert not text.get_parse_math(), text.get_text()
        assert not text.get_usetex(), text.get_text()
    png = xornet.plotting.png_bytes(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_feature_names_are_drawn_as_written():
    result, data = trained(2)
    fig = plot_network(result.params, ["$x$", "y_1^2"])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "$x$" in texts
    assert "y_1^2" in texts
    fig = plot_boundary(result.params, data.X, data.y, feature_names=["$x$", "cost ($)"])
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("$x$", "cost ($)")
    pixels(fig)


@pytest.mark.parametrize("n", [2, 3, 10, 11, 20, 21, 40, 100, 1000])
def test_every_class_has_its_own_colour(n):
    from matplotlib.colors import to_rgb

    from xornet.plotting import CLASS_COLOURS, class_colours

    colours = class_colours(n)
    assert len(colours) == len(set(colours)) == n
    rgb = 255 * np.array([to_rgb(c) for c in colours])
    assert colours[:n] == class_colours(1000)[:n]  # a class keeps its colour
    assert colours[:10] == list(CLASS_COLOURS[:n])
    gaps = np.linalg.norm(rgb[:, None] - rgb[None], axis=-1) + np.diag(np.full(n, np.inf))
    if n <= 20:
        assert gaps.min() > 25  # every pair tells apart
    else:
        assert np.diagonal(gaps, 1).min() > 40  # neighbouring classes (spiral arms) differ


def test_more_classes_than_a_legend_holds_get_a_colour_bar():
    params, X, y = many_classes(12)
    fig = plot_boundary(params, X, y, resolution=40)
    ax, bar = fig.axes
    assert ax.get_legend() is None
    assert bar.get_ylabel() == "class"
    params, X, y = many_classes(4)
    fig = plot_boundary(params, X, y, resolution=40)
    assert len(fig.axes) == 1
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        f"class {k}" for k in range(4)]  # fmt: skip


def test_hidden_space_of_many_classes_draws_where_the_winner_changes():
    # K(K-1)/2 pairwise lines would cover the plane: beyond 4 classes the figure draws the
    # borders of the most probable class, whose sides are the classes the network predicts.
    params, X, y = many_classes(6, hidden=2)
    fig = plot_hidden_space(params, X, y)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "where the most probable class changes" in labels
    assert not any("=" in label for label in labels)
    assert len(ax.collections) >= 7  # the points of 6 classes and the borders


@pytest.mark.parametrize("steps", [10, 859, 10_000, 200_000, 1_234_567, 10**7])
def test_loss_curve_step_labels_are_few_and_do_not_touch(steps):
    s = np.arange(0, steps + 1, max(1, steps // 500), dtype=np.float64)
    fig = plot_loss(np.exp(-s / steps), s, final_step=steps, final_loss=0.3)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for ax in fig.axes:
        low, high = ax.get_xlim()
        shown = [t for t in ax.get_xticklabels() if low <= t.get_position()[0] <= high]
        assert 3 <= len(shown) <= 8, [t.get_text() for t in shown]
        boxes = sorted((t.get_window_extent(renderer) for t in shown), key=lambda b: b.x0)
        for left, right in itertools.pairwise(boxes):
            assert right.x0 - left.x1 >= 8, [t.get_text() for t in shown]  # a clear gap
        assert all(len(t.get_text()) <= 5 for t in shown), [t.get_text() for t in shown]
        assert not any(t.get_text().startswith(("-", "\u2212")) for t in shown)


def test_network_labels_keep_clear_of_the_edge():
    # The output's bias label once touched the figure's right edge.
    result, _ = trained(8)
    fig = plot_network(result.params)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    margin = 0.08 * fig.dpi  # inches
    for text in fig.axes[0].texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= margin, text.get_text()
        assert box.x1 <= fig.bbox.x1 - margin, text.get_text()
        assert box.y0 >= margin, text.get_text()
        assert box.y1 <= fig.bbox.y1 - margin, text.get_text()


def test_a_network_of_huge_weights_is_drawn_without_a_warning(tmp_path):
    # A weight of 1e120 was labelled in fixed notation, 124 characters wider than the figure:
    # constrained layout collapsed the axes and warned on stderr (`xornet plot`, the report).
    huge = xornet.Params(W1=np.array([[1e120, -1e120], [-3e119, 1e120]]),
                         b1=np.array([1e120, -0.5]), W2=np.array([[1e120], [-1e120]]),
                         b2=np.array([2e120]), W3=np.array([[1e120], [-1e120]]))  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = plot_network(huge)
        path = xornet.plotting.save_png(fig, tmp_path / "network.png")
    assert [str(w.message) for w in caught] == []
    with Image.open(path) as image:
        assert image.size == (660, 462)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"+1.00e+120", "-3.00e+119", "b=+1.00e+120", "b=-0.50", "b=+2.00e+120"} <= set(texts)
    assert max(map(len, texts)) <= 12
    widths = sorted(line.get_linewidth() for line in fig.axes[0].lines)
    assert widths[0] < widths[-1] <= 5.5  # by size, relative to the largest
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for text in fig.axes[0].texts:  # every label inside the figure
        box = text.get_window_extent(renderer)
        assert fig.bbox.x0 <= box.x0, text.get_text()
        assert box.x1 <= fig.bbox.x1, text.get_text()


def test_the_animation_keeps_its_text_inside(monkeypatch, tmp_path):
    from matplotlib.animation import PillowWriter

    problems = []
    grab_frame = PillowWriter.grab_frame

    def check(writer, **kw):
        problems.extend(outside(writer.fig))
        return grab_frame(writer, **kw)

    monkeypatch.setattr(PillowWriter, "grab_frame", check)
    data = xornet.xor()
    for config in (xornet.TrainConfig(hidden=2, steps=20), xornet.TrainConfig(hidden=3, steps=20),
                   xornet.TrainConfig(hidden=1, shortcut=True, steps=20)):  # fmt: skip
        animate(data.X, data.y, config, tmp_path / "a.gif", rng=0, frames=2)
    assert problems == []


def test_report_of_many_classes_and_mathtext_names():
    # The playground's report export once failed with 500 on either.
    params, X, y = many_classes(12)
    page = build_report(params, X, y, feature_names=["$x$", "cost ($) \\frac{"])
    # spectrum, slice, boundary, hidden space, network (no loss curve given)
    assert page.count("<img") == 5
    assert "<th>$x$</th>" in page
