"""The pure maths: values, derivatives, and stability at the extremes (warnings are errors)."""

import numpy as np
import pytest

from xornet import functional as F

Z = np.array([-1000.0, -745.0, -40.0, -1.0, 0.0, 1.0, 40.0, 745.0, 1000.0])


def test_sigmoid_matches_the_formula_where_it_is_safe():
    z = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(F.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)


def test_sigmoid_is_finite_silent_and_bounded_at_extremes():
    p = F.sigmoid(Z)  # an overflow warning would fail this test (filterwarnings = error)
    assert np.all(np.isfinite(p))
    assert p[0] == 0.0
    assert p[-1] == 1.0
    assert p[4] == 0.5
    assert np.all(np.diff(p) >= 0)


def test_sigmoid_keeps_relative_precision_in_the_left_tail():
    # e^z / (1 + e^z) for z = -40 is about 4.25e-18; 1 - sigmoid(40) would round to 0.
    assert F.sigmoid(np.array([-40.0]))[0] == pytest.approx(np.exp(-40.0), rel=1e-15)


@pytest.mark.parametrize(
    ("name", "fn", "grad"),
    [
        ("sigmoid", F.sigmoid, F.sigmoid_grad),
        ("tanh", F.tanh, F.tanh_grad),
        ("relu", F.relu, F.relu_grad),
    ],
)
def test_derivative_from_output_matches_finite_difference(name, fn, grad):
    z = np.linspace(-4, 4, 81) + 0.0123  # avoid relu's kink at exactly 0
    eps = 1e-6
    numeric = (fn(z + eps) - fn(z - eps)) / (2 * eps)
    np.testing.assert_allclose(grad(fn(z)), numeric, rtol=1e-6, atol=1e-9)
    assert F.ACTIVATIONS[name] == (fn, grad)


def test_bce_with_logits_equals_probability_form_in_the_safe_range():
    rng = np.random.default_rng(0)
    z = rng.normal(size=50) * 5
    y = rng.integers(0, 2, 50).astype(float)
    p = 1 / (1 + np.exp(-z))
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert F.binary_cross_entropy_with_logits(z, y) == pytest.approx(expected, rel=1e-13)
    assert F.binary_cross_entropy(y, p) == pytest.approx(expected, rel=1e-13)


def test_bce_with_logits_keeps_its_digits_when_the_loss_is_tiny():
    # A confident right answer: the loss is log(1 + e^-18) = 1.523e-08, to full precision.
    z, y = np.array([18.0, -18.0]), np.array([1.0, 0.0])
    expected = np.log1p(np.exp(-18.0))
    assert F.binary_cross_entropy_with_logits(z, y) == pytest.approx(expected, rel=1e-15)


def test_bce_with_logits_is_exact_far_in_the_tails():
    # log(1 + e^z) - y z: a confidently wrong logit of 1000 costs exactly 1000.
    assert F.binary_cross_entropy_with_logits(np.array([1000.0]), np.array([0.0])) == 1000.0
    assert F.binary_cross_entropy_with_logits(np.array([-1000.0]), np.array([1.0])) == 1000.0
    assert F.binary_cross_entropy_with_logits(np.array([1000.0]), np.array([1.0])) == 0.0


def test_bce_from_probabilities_is_finite_at_exactly_zero_and_one():
    y = np.array([1.0, 0.0, 1.0, 0.0])
    right = F.binary_cross_entropy(y, np.array([1.0, 0.0, 1.0, 0.0]))
    wrong = F.binary_cross_entropy(y, np.array([0.0, 1.0, 0.0, 1.0]))
    assert right == 0.0
    assert np.isfinite(wrong)
    assert wrong == pytest.approx(-np.log(np.finfo(float).tiny), rel=1e-12)


def test_affine_shapes():
    X = np.ones((5, 3))
    W = np.arange(6.0).reshape(3, 2)
    b = np.array([1.0, -1.0])
    Z = F.affine(X, W, b)
    assert Z.shape == (5, 2)
    np.testing.assert_array_equal(Z[0], [0 + 2 + 4 + 1, 1 + 3 + 5 - 1])
