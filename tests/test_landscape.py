"""The loss landscape: the Hessian against autograd and central differences, the
classification on hand-built points whose answer is known, slices, the recorder, figures."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import hessian as autograd_hessian
from matplotlib.backends.backend_agg import FigureCanvasAgg

import xornet
from xornet.errors import XornetError
from xornet.landscape import (
    LandscapeRecorder,
    Thresholds,
    Trend,
    classify_end_state,
    classify_many,
    classify_point,
    diagnose_with_landscape,
    filter_normalised_direction,
    hessian,
    hessian_vector_product,
    path_directions,
    project,
    run_with_path,
    slice_1d,
    slice_2d,
    slice_between,
    spectrum,
)
from xornet.landscape._slices import unit_blocks
from xornet.landscape_plots import (
    KIND_COLOURS,
    plot_end_states,
    plot_run,
    plot_slice,
    plot_spectrum,
    save_landscape_figures,
)
from xornet.network import backward, forward
from xornet.params import Params

ACTS = ("sigmoid", "tanh", "relu")
# (loss, classes, shortcut): one sigmoid output with either loss, a softmax, the shortcut.
MODES = [
    ("bce", 2, False),
    ("sse", 2, False),
    ("bce", 3, False),
    ("bce", 2, True),
    ("sse", 2, True),
    ("bce", 3, True),
]


def problem(seed, activation, kind, n_classes, shortcut, n=7, d=3, h=4):
    rng = np.random.default_rng(seed)
    p = xornet.init_params(d, h, rng=rng, n_classes=n_classes, shortcut=shortcut)
    params = Params(p.W1, rng.normal(size=h), p.W2, rng.normal(size=p.n_outputs), p.W3)
    X = rng.normal(size=(n, d)) * 1.5
    y = rng.integers(0, n_classes, n).astype(float)
    y[:n_classes] = np.arange(n_classes)  # every class present
    if activation == "relu":  # keep every pre-activation off the kink, where H'' is undefined
        Z1 = X @ params.W1 + params.b1
        params = Params(
            params.W1,
            params.b1 + np.where(np.abs(Z1).min(0) < 0.05, 0.3, 0.0),
            params.W2,
            params.b2,
            params.W3,
        )
    return params, X, y


def autograd_loss(template, activation, kind):
    """The loss as a function of the packed parameters, written once more in autograd."""
    acts = {
        "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
        "tanh": anp.tanh,
        "relu": lambda z: anp.maximum(z, 0.0),
    }
    d, h, k = template.n_inputs, template.n_hidden, template.n_outputs

    def f(theta, X, y):
        W1 = anp.reshape(theta[: d * h], (d, h))
        b1 = theta[d * h : d * h + h]
        W2 = anp.reshape(theta[d * h + h : d * h + h + h * k], (h, k))
        b2 = theta[d * h + h + h * k : d * h + h + h * k + k]
        Z2 = anp.dot(acts[activation](anp.dot(X, W1) + b1), W2) + b2
        if template.shortcut:
            Z2 = Z2 + anp.dot(X, anp.reshape(theta[d * h + h + h * k + k :], (d, k)))
        if k > 1:  # softmax cross-entropy
            m = anp.max(Z2, axis=1, keepdims=True)
            log_p = Z2 - m - anp.log(anp.sum(anp.exp(Z2 - m), axis=1, keepdims=True))
            onehot = np.eye(k)[y.astype(int)]
            return -anp.sum(log_p * onehot) / y.size
        p = 1 / (1 + anp.exp(-Z2[:, 0]))
        if kind == "sse":
            return 0.5 * anp.sum((p - y) ** 2)
        return -anp.mean(y * anp.log(p) + (1 - y) * anp.log(1 - p))

    return f


# ---------------------------------------------------------------------- the Hessian


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize(("kind", "n_classes", "shortcut"), MODES)
@pytest.mark.parametrize("seed", range(2))
def test_hessian_matches_autograd(activation, kind, n_classes, shortcut, seed):
    params, X, y = problem(seed, activation, kind, n_classes, shortcut)
    ours = hessian(params, X, y, activation, kind)
    theirs = autograd_hessian(autograd_loss(params, activation, kind))(params.ravel(), X, y)
    assert ours.shape == (params.size, params.size)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12 * np.abs(theirs).max())


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize(("kind", "n_classes", "shortcut"), MODES)
def test_hessian_matches_central_differences_of_backward(activation, kind, n_classes, shortcut):
    # Column j of the Hessian is the derivative of the gradient along e_j. Central differences
    # with eps = 1e-5 are accurate to about eps^2 |third derivative| + 1e-16 |g| / eps, about
    # 1e-10 here; the analytic Hessian has no step at all.
    params, X, y = problem(7, activation, kind, n_classes, shortcut)
    theta, eps = params.ravel(), 1e-5
    numeric = np.empty((theta.size, theta.size))
    for j in range(theta.size):
        step = np.zeros(theta.size)
        step[j] = eps
        up, down = params.unravel(theta + step), params.unravel(theta - step)
        g_up = backward(up, forward(up, X, activation), y, kind).ravel()
        g_down = backward(down, forward(down, X, activation), y, kind).ravel()
        numeric[:, j] = (g_up - g_down) / (2 * eps)
    ours = hessian(params, X, y, activation, kind)
    np.testing.assert_allclose(ours, numeric, rtol=0, atol=1e-8 * max(1.0, np.abs(ours).max()))


@pytest.mark.parametrize(("kind", "n_classes", "shortcut"), MODES)
def test_hessian_vector_products_are_symmetric_and_agree_with_the_matrix(kind, n_classes, shortcut):
    params, X, y = problem(3, "tanh", kind, n_classes, shortcut)
    P = params.size
    # e_i . H e_j and e_j . H e_i come from different products: the raw triangles agree
    columns = np.stack([hessian_vector_product(params, X, y, e, "tanh", kind) for e in np.eye(P)])
    np.testing.assert_allclose(columns, columns.T, rtol=0, atol=1e-14 * np.abs(columns).max())
    H = hessian(params, X, y, "tanh", kind)
    np.testing.assert_array_equal(H, H.T)
    v = np.random.default_rng(0).normal(size=P)
    np.testing.assert_allclose(
        hessian_vector_product(params, X, y, v, "tanh", kind), H @ v, rtol=1e-12, atol=1e-14
    )


def test_spectrum_is_numpys_eigendecomposition():
    params, X, y = problem(1, "sigmoid", "bce", 2, False)
    s = spectrum(params, X, y)
    H = hessian(params, X, y)
    np.testing.assert_allclose(s.eigenvalues, np.linalg.eigvalsh(H), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(H @ s.eigenvectors, s.eigenvectors * s.eigenvalues, atol=1e-13)
    np.testing.assert_allclose(s.eigenvectors.T @ s.eigenvectors, np.eye(params.size), atol=1e-13)
    assert s.loss == xornet.loss(forward(params, X), y)
    np.testing.assert_allclose(
        s.gradient, backward(params, forward(params, X), y).ravel(), rtol=0, atol=1e-16
    )


def test_relu_hessian_has_no_activation_curvature():
    # relu'' = 0 away from the kink: the hidden-weights block is then the Gauss-Newton part
    # alone, and a network whose output layer is linear in W1 shows it: with k = 1 and the
    # output weights zero, no second derivative reaches W1 at all.
    params, X, y = problem(2, "relu", "bce", 2, False)
    params = Params(params.W1, params.b1, np.zeros_like(params.W2), params.b2)
    H = hessian(params, X, y, "relu")
    hidden = params.W1.size + params.b1.size
    np.testing.assert_array_equal(H[:hidden, :hidden], 0.0)


def test_bad_input_is_one_clear_error():
    params, X, y = problem(0, "sigmoid", "bce", 3, False)
    with pytest.raises(XornetError, match="squared-error loss needs one sigmoid output"):
        hessian(params, X, y, kind="sse")
    with pytest.raises(XornetError, match="unknown activation 'gelu'"):
        hessian(params, X, y, "gelu")
    with pytest.raises(XornetError, match="unknown loss 'hinge'"):
        spectrum(params, X, y, kind="hinge")
    with pytest.raises(XornetError, match=r"v has shape \(3,\)"):
        hessian_vector_product(params, X, y, np.ones(3))
    with pytest.raises(XornetError, match="takes 3 features"):
        hessian(params, X[:, :2], y)


# ---------------------------------------------------------------------- hand-built points

XOR = xornet.xor()


def bump():
    """Smooth data a 1-1-1 network fits at finite weights: 9 inputs from -2 to 2, 10 samples
    each, of which 1, 2, 4, 7, 9, 7, 4, 2, 1 are of class 1 (a bump one unit cannot follow)."""
    X = np.repeat(np.linspace(-2, 2, 9), 10)[:, None]
    y = np.concatenate([np.r_[np.ones(o), np.zeros(10 - o)] for o in (1, 2, 4, 7, 9, 7, 4, 2, 1)])
    return X, y


def one_unit_minimum(activation, kind, start):
    """The 1-1-1 network's minimum on the bump data, from a point near it, by Newton steps."""
    X, y = bump()
    p = Params(*(np.array(v, dtype=float) for v in start))
    for _ in range(8):
        s = spectrum(p, X, y, activation, kind)
        p = p.unravel(p.ravel() - s.eigenvectors @ (s.eigenvectors.T @ s.gradient / s.eigenvalues))
    return p, X, y


MINIMA = {  # near the 1-1-1 minimum for each setting: (W1, b1, W2, b2)
    ("tanh", "bce"): ([[-2.77]], [-3.86], [[-1.11]], [-1.13]),
    ("sigmoid", "sse"): ([[5.77]], [-7.82], [[-2.11]], [-0.02]),
}


@pytest.mark.parametrize(("activation", "kind"), list(MINIMA))
def test_a_minimum_at_finite_weights(activation, kind):
    p, X, y = one_unit_minimum(activation, kind, MINIMA[activation, kind])
    point = classify_point(p, X, y, activation, kind)
    assert point.gradient_norm < 1e-12
    assert point.kind == "minimum"
    assert point.n_negative == point.n_flat == 0
    assert point.newton_distance < 1e-10
    assert "A minimum" in point.summary


@pytest.mark.parametrize(("activation", "kind"), list(MINIMA))
def test_two_identical_hidden_units_make_a_saddle(activation, kind):
    # The 1-unit minimum with its unit split in two identical halves (each with half the output
    # weight) is a stationary point of the 2-unit network that is not a minimum: the
    # direction that makes the two units differ curves down.
    p1, X, y = one_unit_minimum(activation, kind, MINIMA[activation, kind])
    twin = Params(
        np.repeat(p1.W1, 2, axis=1),
        np.repeat(p1.b1, 2),
        np.repeat(p1.W2, 2, axis=0) / 2,
        p1.b2.copy(),
    )
    point = classify_point(twin, X, y, activation, kind)
    assert point.gradient_norm < 1e-12
    assert point.kind == "saddle"
    assert point.n_negative == 1
    e = point.escape
    assert e is not None
    assert e.curvature == point.eigenvalues[0] < 0
    # the escape direction breaks the symmetry: the two units move oppositely, b2 not at all
    v = twin.unravel(e.direction)
    np.testing.assert_allclose(v.W1[:, 0], -v.W1[:, 1], atol=1e-9)
    np.testing.assert_allclose(v.b1[0], -v.b1[1], atol=1e-9)
    np.testing.assert_allclose(v.W2[0], -v.W2[1], atol=1e-9)
    assert abs(v.b2[0]) < 1e-9
    # and the loss, measured along it, falls
    assert e.fall > 0
    assert np.min(e.losses) < point.loss
    assert xornet.loss(
        forward(twin.unravel(twin.ravel() + e.at * e.direction), X, activation), y, kind
    ) == pytest.approx(point.loss - e.fall, rel=1e-12)


def test_a_saturated_plateau():
    # Both hidden units saturated at 1 whatever the input, the output at 0.5 for every sample:
    # nothing moves the hidden weights, and the output sees a constant.
    p = Params(np.zeros((2, 2)), np.array([20.0, 20.0]), np.zeros((2, 1)), np.zeros(1))
    point = classify_point(p, XOR.X, XOR.y)
    assert point.kind == "plateau"
    assert point.loss == pytest.approx(np.log(2))
    assert point.gradient_norm < 1e-8
    assert point.n_negative == 0
    assert point.n_flat == 8
    assert point.n_positive == 1


def test_a_solution_sits_at_the_loss_floor():
    # AND and OR units, the output "OR and not AND": every output within 1e-4 of its target.
    p = Params(
        np.array([[20.0, -20], [20, -20]]),
        np.array([-10.0, 30]),
        np.array([[20.0], [20]]),
        np.array([-30.0]),
    )
    point = classify_point(p, XOR.X, XOR.y)
    assert point.kind == "minimum"
    assert point.at_floor
    assert point.n_negative == 0
    assert "within 0.0001 of its lower bound 0" in point.evidence


def test_relu_rescaling_symmetries_are_not_flat_directions():
    # relu(c z) = c relu(z): a unit's weights in times c and out over c leave the loss as it
    # is, so a minimum of a ReLU network always has a flat direction per live hidden unit.
    X, y = bump()
    p = Params(np.array([[1.2298]]), np.array([-0.9442]), np.array([[-1.4816]]), np.array([0.0]))
    for _ in range(8):
        s = spectrum(p, X, y, "relu")
        curved = np.abs(s.eigenvalues) > 1e-9
        inv = np.where(curved, 1 / np.where(curved, s.eigenvalues, 1), 0)
        p = p.unravel(p.ravel() - s.eigenvectors @ (inv * (s.eigenvectors.T @ s.gradient)))
    point = classify_point(p, X, y, "relu")
    assert abs(point.eigenvalues).min() < 1e-9  # the rescaling direction
    assert point.n_symmetries == 1
    assert point.kind == "minimum"


def test_classify_many_is_classify_point_for_each():
    config = xornet.PRESETS["post"]
    result = xornet.train_many(
        XOR.X, XOR.y, config.replace(steps=3000, learning_rate=0.5), seeds=range(12)
    )
    many = classify_many(result.thetas, XOR.X, XOR.y, config)
    for i, point in enumerate(many):
        one = classify_point(result.params(i), XOR.X, XOR.y)
        assert point.kind == one.kind
        np.testing.assert_allclose(point.eigenvalues, one.eigenvalues, rtol=1e-12, atol=1e-16)
    with pytest.raises(XornetError, match="thetas have 9 parameters; a 2-3-1 network has 13"):
        classify_many(result.thetas, XOR.X, XOR.y, config.replace(hidden=3))
    with pytest.raises(XornetError, match="non-finite"):
        classify_many(np.full((1, 9), np.nan), XOR.X, XOR.y, config)


# ---------------------------------------------------------------------- trends

STUCK = Trend((200_000, 2_000_000, 20_000_000), (0.3498, 0.34684, 0.34660), (17.6, 23.2, 28.4))


def test_a_trend_to_infinity():
    t = Thresholds()
    assert STUCK.loss_falling()
    assert STUCK.log_like(t)
    assert STUCK.to_infinity(t)
    assert STUCK.growths == pytest.approx((5.6, 5.2))
    # the loss's falls shrink by the same factor r every tenfold: the rest is a geometric tail
    r = (0.34684 - 0.34660) / (0.3498 - 0.34684)
    assert STUCK.limit() == pytest.approx(0.34660 - 0.00024 * r / (1 - r), rel=1e-12)
    # A solved run's loss, falling about tenfold per tenfold toward 0 (the post's seed 3), has
    # no limit above 0 to tell: before, it was said to head "for about 9.5e-06".
    solved = Trend((200_000, 2_000_000, 20_000_000), (0.00589203, 0.000469691, 4.55125e-05),
                   (22.12, 29.48, 36.2))  # fmt: skip
    assert solved.to_infinity(t)
    assert solved.limit() is None
    # growth per tenfold whatever the spacing: +1 over a factor 100 is +0.5 per tenfold
    assert Trend((10, 1000), (1.0, 0.9), (3.0, 4.0)).growths == (0.5,)


@pytest.mark.parametrize(
    ("losses", "norms"),
    [
        ((0.35, 0.35, 0.35), (17, 23, 29)),  # the loss no longer falls
        ((0.35, 0.34, 0.33), (17, 17.05, 17.08)),  # the weights settle: a finite point
        ((0.35, 0.34, 0.33), (1, 10, 100)),
    ],  # they grow like a power of the step, not its log
)
def test_trends_that_are_not_to_infinity(losses, norms):
    assert not Trend((10, 100, 1000), losses, norms).to_infinity(Thresholds())


def test_a_trend_makes_a_sloped_point_at_infinity():
    p = Params(
        np.array([[5.28, -3.72], [8.73, 8.52]]),
        np.array([-1.45, 2.22]),
        np.array([[8.0], [-6.92]]),
        np.array([-1.08]),
    )
    alone = classify_point(p, XOR.X, XOR.y)
    assert alone.kind == "sloped"
    assert alone.outward > 0.5
    assert classify_point(p, XOR.X, XOR.y, trend=STUCK).kind == "at infinity"
    assert "heading for about 0.3466" in classify_point(p, XOR.X, XOR.y, trend=STUCK).summary


def test_bad_thresholds_and_trends_are_refused():
    with pytest.raises(XornetError, match="flat must be a positive number"):
        Thresholds(flat=0)
    with pytest.raises(XornetError, match="log_ratio must exceed 1"):
        Thresholds(log_ratio=1)
    with pytest.raises(XornetError, match="steps must increase"):
        Trend((10, 10), (1.0, 1.0), (1.0, 1.0))
    with pytest.raises(XornetError, match="two or more steps"):
        Trend((10,), (1.0,), (1.0,))


def test_a_stalled_run_continued_heads_for_infinity():
    # The post's seed 0 at ten times its learning rate (the same gradient flow in a tenth of
    # the steps) stalls with samples 1 and 3 at 0.5; run 10 and 100 times longer its loss
    # keeps falling toward ln(2)/2 while its weights grow by about the same each tenfold.
    config = xornet.PRESETS["post"].replace(steps=20_000, learning_rate=0.1)
    trainer = xornet.Trainer(XOR.X, XOR.y, config, rng=0).run()
    before = trainer.params.ravel().copy()
    point = classify_end_state(
        XOR.X, XOR.y, config, trainer.params, steps=trainer.steps, state=trainer.state()
    )
    np.testing.assert_array_equal(trainer.params.ravel(), before)  # the run itself untouched
    assert point.kind == "at infinity"
    assert point.trend is not None
    assert point.trend.steps == (20_000, 200_000, 2_000_000)
    assert point.trend.correct == (False, False, False)
    assert point.trend.limit() == pytest.approx(np.log(2) / 2, abs=1e-4)
    outcome, measured = diagnose_with_landscape(trainer)
    assert measured is not None
    assert measured.kind == "at infinity"
    assert outcome.kind == "plateau"
    assert "Measured at the end: Heading for a minimum at infinity" in outcome.summary
    assert "not measured here" in trainer.result().outcome.summary  # what it replaces
    assert "not measured here" not in outcome.summary
    solved = xornet.Trainer(XOR.X, XOR.y, config, rng=3).run()
    assert diagnose_with_landscape(solved) == (solved.result().outcome, None)


def test_classify_end_state_without_a_state_restarts_gradient_descent_exactly():
    config = xornet.PRESETS["post"].replace(steps=2_000, learning_rate=0.1)
    trainer = xornet.Trainer(XOR.X, XOR.y, config, rng=0, engine="numpy").run()
    a = classify_end_state(
        XOR.X,
        XOR.y,
        config,
        trainer.params,
        steps=2_000,
        longer=(3,),
        state=trainer.state(),
        engine="numpy",
    )
    b = classify_end_state(
        XOR.X, XOR.y, config, trainer.params, steps=2_000, longer=(3,), engine="numpy"
    )
    assert a.trend == b.trend
    with pytest.raises(XornetError, match="increasing factors above 1"):
        classify_end_state(XOR.X, XOR.y, config, trainer.params, steps=2_000, longer=(1,))
    assert classify_end_state(XOR.X, XOR.y, config, trainer.params, steps=0).trend is None
    with pytest.raises(XornetError, match="would record 20,000,000 losses"):
        classify_end_state(
            XOR.X, XOR.y, config.replace(record_every=1), trainer.params, steps=200_000
        )
    # A run that claims a vast step count (a model file's) is not continued for hours.
    with pytest.raises(XornetError, match="would take 10,000,000,000 steps"):
        classify_end_state(XOR.X, XOR.y, config, trainer.params, steps=10**8)


# ---------------------------------------------------------------------- slices


@pytest.fixture(scope="module")
def stuck():
    config = xornet.PRESETS["post"].replace(steps=4_000, learning_rate=0.5, record_every=40)
    trainer = xornet.Trainer(XOR.X, XOR.y, config, rng=0, engine="numpy")
    recorder = LandscapeRecorder(trainer)
    trainer.run(callback=recorder)
    return trainer, recorder


def test_slices_pass_through_the_centre_at_its_loss(stuck):
    trainer, _ = stuck
    p = trainer.params
    centre_loss = xornet.loss(forward(p, XOR.X), XOR.y)
    d1, d2 = (filter_normalised_direction(p, seed) for seed in (1, 2))
    line = slice_1d(p, XOR.X, XOR.y, d1, np.linspace(-1, 1, 11))
    assert line.losses[5] == pytest.approx(centre_loss, rel=1e-14) == line.centre_loss
    plane = slice_2d(
        p, XOR.X, XOR.y, np.stack([d1, d2]), np.linspace(-1, 1, 5), np.linspace(-2, 2, 9)
    )
    assert plane.losses.shape == (9, 5)
    assert plane.losses[4, 2] == pytest.approx(centre_loss, rel=1e-14)
    # a point off the centre is the loss there
    there = p.unravel(p.ravel() + 0.5 * d1 - 1.0 * d2)
    assert plane.losses[2, 3] == pytest.approx(xornet.loss(forward(there, XOR.X), XOR.y))


def test_slice_between_two_points():
    start, end = xornet.init_params(2, 2, rng=0), xornet.init_params(2, 2, rng=1)
    s = slice_between(start, end, XOR.X, XOR.y, np.array([0.0, 0.5, 1.0]))
    assert s.losses[0] == pytest.approx(xornet.loss(forward(start, XOR.X), XOR.y))
    assert s.losses[2] == pytest.approx(xornet.loss(forward(end, XOR.X), XOR.y))
    with pytest.raises(XornetError, match="different networks"):
        slice_between(start, xornet.init_params(2, 3, rng=1), XOR.X, XOR.y)


def test_filter_normalised_directions_match_each_units_norm():
    p = xornet.init_params(2, 3, rng=0, shortcut=True)
    p = Params(p.W1, np.array([0.5, -1.0, 2.0]), p.W2, np.array([0.3]), p.W3)
    d = filter_normalised_direction(p, 5)
    blocks = unit_blocks(xornet.landscape._hessian.Shape.of(p))
    assert sorted(np.concatenate(blocks).tolist()) == list(range(p.size))  # each index once
    assert len(blocks) == 4  # three hidden units and the output (with its shortcut weights)
    for block in blocks:
        assert np.linalg.norm(d[block]) == pytest.approx(np.linalg.norm(p.ravel()[block]))
    assert not np.allclose(d, filter_normalised_direction(p, 6))


def test_a_path_in_a_plane_is_recovered_by_its_principal_directions():
    rng = np.random.default_rng(0)
    centre = rng.normal(size=9)
    basis = np.linalg.qr(rng.normal(size=(9, 2)))[0].T
    coords = np.c_[np.linspace(-3, 0, 20), np.sin(np.linspace(0, 3, 20))]
    path = centre + coords @ basis
    D, explained = path_directions(path, centre)
    assert explained.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(D @ D.T, np.eye(2), atol=1e-12)
    back = project(path, centre, D)
    np.testing.assert_allclose(back @ D + centre, path, atol=1e-12)


def test_bad_slices_are_refused():
    p = xornet.init_params(2, 2, rng=0)
    v = np.ones(p.size)
    with pytest.raises(XornetError, match="parallel"):
        slice_2d(p, XOR.X, XOR.y, np.stack([v, 2 * v]))
    with pytest.raises(XornetError, match="has 3 entries; the network has 9"):
        slice_1d(p, XOR.X, XOR.y, np.ones(3))
    with pytest.raises(XornetError, match="finite and not zero"):
        slice_1d(p, XOR.X, XOR.y, np.zeros(p.size))
    with pytest.raises(XornetError, match="more than"):
        slice_2d(p, XOR.X, XOR.y, np.eye(p.size)[:2], np.zeros(1000), np.zeros(1000))


# ---------------------------------------------------------------------- along a run


def test_the_recorder_measures_the_weights_of_each_record(stuck):
    trainer, recorder = stuck
    config = trainer.config
    # the same run without the recorder takes the same steps
    plain = xornet.Trainer(XOR.X, XOR.y, config, rng=0, engine="numpy").run()
    np.testing.assert_array_equal(plain.params.ravel(), trainer.params.ravel())
    np.testing.assert_array_equal(recorder.losses, trainer.loss_history)
    np.testing.assert_array_equal(recorder.steps, np.arange(0, 4_000, 40))
    # a record is the landscape at that step's weights
    again = xornet.Trainer(XOR.X, XOR.y, config.replace(steps=1_200), rng=0, engine="numpy").run()
    s = spectrum(again.params, XOR.X, XOR.y)
    i = 30  # step 1,200
    np.testing.assert_array_equal(recorder.path[i], again.params.ravel())
    assert recorder.lowest[i] == pytest.approx(s.eigenvalues[0], rel=1e-12)
    assert recorder.highest[i] == pytest.approx(s.eigenvalues[-1], rel=1e-12)
    assert recorder.gradient_norms[i] == pytest.approx(np.linalg.norm(s.gradient), rel=1e-12)
    assert recorder.weight_norms[i] == pytest.approx(np.linalg.norm(again.params.ravel()))
    trend = recorder.trend()
    assert trend.steps == (40, 400, 3960)


def test_the_recorder_needs_the_numpy_engine():
    trainer = xornet.Trainer(XOR.X, XOR.y, xornet.PRESETS["post"], rng=0)
    with pytest.raises(XornetError, match="make the Trainer with engine='numpy'"):
        LandscapeRecorder(trainer)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_run_with_path_keeps_the_weights_after_each_stretch(engine):
    config = xornet.TrainConfig(hidden=2, steps=3_000, tol=None)
    whole = xornet.Trainer(XOR.X, XOR.y, config, rng=4, engine=engine).run()
    trainer = xornet.Trainer(XOR.X, XOR.y, config, rng=4, engine=engine)
    start = trainer.params.ravel()
    path = run_with_path(trainer, points=10)
    assert path.shape == (11, whole.params.size)
    np.testing.assert_array_equal(path[0], start)
    assert trainer.steps == 3_000
    assert trainer.stop_reason == "max_steps"
    assert trainer.engine == engine
    # the run of one call (the compiled engine's loops agree to about 1e-14)
    np.testing.assert_allclose(path[-1], whole.params.ravel(), rtol=0, atol=1e-12)
    middle = xornet.Trainer(XOR.X, XOR.y, config.replace(steps=1_500), rng=4, engine=engine).run()
    np.testing.assert_allclose(path[5], middle.params.ravel(), rtol=0, atol=1e-12)
    assert np.all(np.linalg.norm(np.diff(path, axis=0), axis=1) > 0)


def test_run_with_path_ends_where_a_stop_rule_ends_the_run():
    config = xornet.TrainConfig(hidden=2, steps=20_000, tol=0.05)
    whole = xornet.Trainer(XOR.X, XOR.y, config, rng=3, engine="numpy").run()
    assert whole.stop_reason == "tolerance"
    assert whole.steps < 19_000
    trainer = xornet.Trainer(XOR.X, XOR.y, config, rng=3, engine="numpy")
    path = run_with_path(trainer, points=20)
    assert trainer.steps == whole.steps
    assert trainer.stop_reason == "tolerance"
    assert path.shape[0] == 2 + whole.steps // 1_000  # the start, the full stretches, the last
    np.testing.assert_array_equal(path[-1], whole.params.ravel())
    with pytest.raises(XornetError, match="points must be an integer of 2 or more"):
        run_with_path(trainer, points=1)


# ---------------------------------------------------------------------- figures


def pixels(fig):
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].astype(int)


def colour_at(fig, ax, x, y):
    image = pixels(fig)
    px, py = ax.transData.transform((x, y))
    row, col = image.shape[0] - round(py), round(px)
    return image[row - 1 : row + 2, col - 1 : col + 2].mean(axis=(0, 1))


def rgb(hex_colour):
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])


def test_spectrum_figure_colours_negative_curvature():
    p1, X, y = one_unit_minimum("sigmoid", "sse", MINIMA["sigmoid", "sse"])
    twin = Params(
        np.repeat(p1.W1, 2, axis=1),
        np.repeat(p1.b1, 2),
        np.repeat(p1.W2, 2, axis=0) / 2,
        p1.b2.copy(),
    )
    point = classify_point(twin, X, y, "sigmoid", "sse")
    fig = plot_spectrum(point)
    ax = fig.axes[0]
    low, high = point.eigenvalues[0], point.eigenvalues[-1]
    assert np.abs(colour_at(fig, ax, 1, low / 2) - rgb("#d9480f")).max() < 30  # negative: red
    assert np.abs(colour_at(fig, ax, 7, high / 2) - rgb("#1f5fa8")).max() < 30  # positive: blue
    assert "saddle" in ax.get_title()


def test_slice_figure_is_dark_at_a_minimum_and_draws_the_path(stuck):
    trainer, recorder = stuck
    p = trainer.params
    D, _ = path_directions(recorder.path, p.ravel())
    span = np.linspace(-8, 8, 41)
    s = slice_2d(p, XOR.X, XOR.y, D, span, span, path=recorder.path)
    fig = plot_slice(s)
    ax = fig.axes[0]
    inside = s.losses[3:-3, 3:-3]  # away from the frame, where a patch would cross it
    for pick, expected in ((np.argmin, "dark"), (np.argmax, "bright")):
        row, col = np.array(np.unravel_index(pick(inside), inside.shape)) + 3
        colour = colour_at(fig, ax, span[col], span[row])
        # viridis: the lowest loss is dark purple (68, 1, 84), the highest bright yellow-green
        assert (colour.sum() < 260) == (expected == "dark"), (expected, colour)
    path_line = next(line for line in ax.lines if line.get_label() == "training path")
    np.testing.assert_allclose(np.c_[path_line.get_xdata(), path_line.get_ydata()], s.path)
    # the last record (step 3,960) is 40 steps from the end, the centre
    assert np.linalg.norm(s.path[-1]) < 0.05
    line = plot_slice(slice_1d(p, XOR.X, XOR.y, D[0], span))
    (_curve, centre) = line.axes[0].lines[:2]
    assert centre.get_ydata()[0] == pytest.approx(s.centre_loss)


def test_run_and_end_state_figures(stuck, tmp_path):
    trainer, recorder = stuck
    fig = plot_run(recorder)
    assert len(fig.axes) == 3
    lowest = next(line for line in fig.axes[2].lines if line.get_label() == "lowest eigenvalue")
    np.testing.assert_array_equal(lowest.get_ydata(), recorder.lowest)
    points = classify_many(np.stack([trainer.params.ravel()] * 3), XOR.X, XOR.y, trainer.config)
    fig = plot_end_states(points, ["plateau"] * 3)
    ax = fig.axes[0]
    g, low = points[0].gradient_norm, points[0].eigenvalues[0]
    assert np.abs(colour_at(fig, ax, g, low) - rgb(KIND_COLOURS[points[0].kind])).max() < 40
    point = classify_point(trainer.params, XOR.X, XOR.y)
    written = save_landscape_figures(
        tmp_path, trainer.params, XOR.X, XOR.y, point, recorder=recorder
    )
    assert [f.name for f in written] == [
        "spectrum.png",
        "escape.png",
        "eigen.png",
        "random.png",
        "path.png",
        "run.png",
    ]
    assert all(f.stat().st_size > 5_000 for f in written)


def text_outside(fig):
    """The texts drawn beyond the figure's edges (tick labels only where drawn)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box = fig.bbox
    boxes = []
    for ax in fig.axes:
        boxes += [("axis", axis.get_tightbbox(renderer)) for axis in (ax.xaxis, ax.yaxis)]
        texts = [ax.title, *ax.texts, *(ax.get_legend().get_texts() if ax.get_legend() else [])]
        boxes += [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t.get_text()]
    return [(text, b.extents.round()) for text, b in boxes
            if b is not None and (b.x0 < box.x0 - 0.5 or b.y0 < box.y0 - 0.5
                                  or b.x1 > box.x1 + 0.5 or b.y1 > box.y1 + 0.5)]  # fmt: skip


LABELS = ("$\\lambda_{min}$ direction of the cost ($) with a long name", "cost_2^x \\frac{")


def test_landscape_figures_draw_names_as_written_inside_the_figure(stuck):
    # "$...$" in a label was parsed as mathtext ("\\frac{" fails), and an eighth marker group
    # was silently left out of the end-state figure.
    from matplotlib.text import Text

    trainer, recorder = stuck
    p = trainer.params
    D, _ = path_directions(recorder.path, p.ravel())
    span = np.linspace(-2, 2, 11)
    point = classify_point(p, XOR.X, XOR.y)
    points = classify_many(np.stack([p.ravel()] * 9), XOR.X, XOR.y, trainer.config)
    groups = [f"$group_{k}$ {LABELS[1]}"[:40] for k in range(9)]
    figures = {
        "spectrum": plot_spectrum(point),
        "slice-1d": plot_slice(slice_1d(p, XOR.X, XOR.y, D[0], span, label=LABELS[0])),
        "slice-2d": plot_slice(slice_2d(p, XOR.X, XOR.y, D, span, span, labels=LABELS)),
        "run": plot_run(recorder),
        "ends": plot_end_states(points, groups),
    }
    for name, fig in figures.items():
        assert text_outside(fig) == [], name
        for text in fig.findobj(Text):
            if any(s in text.get_text() for s in ("\\frac", "$group")):
                assert not text.get_parse_math(), (name, text.get_text())
                assert not text.get_usetex(), (name, text.get_text())
    drawn = sum(len(c.get_offsets()) for c in figures["ends"].axes[0].collections)
    assert drawn == 9  # every group's point


def test_the_landscape_imports_numpy_alone():
    import subprocess
    import sys

    heavy = ("matplotlib", "numba", "sklearn", "tqdm", "autograd", "scipy")
    probe = f"import sys, xornet.landscape; print(sorted(set(sys.modules) & set({heavy!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def public_callables():
    import inspect

    from xornet import landscape, landscape_plots

    for module in (landscape, landscape_plots):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj) and not inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj


@pytest.mark.parametrize(("name", "obj"), list(public_callables()))
def test_every_public_function_documents_its_parameters(name, obj):
    import inspect

    doc = inspect.getdoc(obj)
    assert doc, name
    for p in inspect.signature(obj).parameters:
        assert p in doc, f"{name} does not document {p}"
    assert "Returns\n-------" in doc, name
