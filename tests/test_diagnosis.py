"""The plain-words diagnosis on hand-made outputs."""

import numpy as np
import pytest

from xornet import TrainConfig, diagnose
from xornet.diagnosis import XOR_PLATEAU_LOSS, classify

Y = np.array([0.0, 1.0, 1.0, 0.0])
FLAT = np.full(50, XOR_PLATEAU_LOSS)


def test_solved():
    outcome = diagnose(np.array([0.01, 0.98, 0.97, 0.02]), Y, np.linspace(0.7, 0.01, 50))
    assert outcome.kind == "solved"
    assert outcome.misclassified == ()
    assert outcome.suggestion == ""
    assert "Solved" in str(outcome)


def test_classic_xor_plateau_names_the_stuck_samples():
    outcome = diagnose(np.array([0.003, 0.5, 0.995, 0.502]), Y, FLAT)
    assert outcome.kind == "plateau"
    assert outcome.near_half == (1, 3)
    assert outcome.misclassified == (1, 3)
    assert "samples 1, 3 sit near 0.5" in outcome.summary
    # It names the state by what the outputs show, and claims no kind of point it has not
    # measured (issue 19: it used to call this "the classic XOR local minimum").
    assert "The other two samples are right: the XOR plateau" in outcome.summary
    assert "local minimum, a saddle or a slope toward infinite weights is not measured" in (
        outcome.summary
    )
    assert "This is the classic XOR local minimum" not in outcome.summary
    assert "hidden units" in outcome.suggestion


def test_plateau_without_undecided_outputs():
    outcome = diagnose(np.array([0.01, 0.99, 0.99, 0.9]), Y, np.full(20, 0.6))
    assert outcome.kind == "plateau"
    assert outcome.near_half == ()
    assert "classic" not in outcome.summary


def test_improving_when_the_loss_still_falls():
    outcome = diagnose(np.array([0.3, 0.6, 0.45, 0.4]), Y, np.linspace(0.69, 0.5, 100))
    assert outcome.kind == "improving"
    assert "more steps" in outcome.suggestion


def test_improvement_is_judged_from_90_percent_of_the_run_to_the_end():
    history = np.r_[np.linspace(0.7, 0.5, 90), np.full(10, 0.5)]
    assert diagnose(np.array([0.6, 0.6, 0.6, 0.6]), Y, history).kind == "plateau"
    history[-1] = 0.49
    assert diagnose(np.array([0.6, 0.6, 0.6, 0.6]), Y, history).kind == "improving"


def test_a_loss_that_rose_points_at_the_learning_rate():
    outcome = diagnose(np.array([0.9, 0.1, 0.9, 0.1]), Y, np.r_[0.7, np.full(30, 5.0)])
    assert outcome.kind == "plateau"
    assert "learning rate" in outcome.suggestion


def test_an_empty_history_is_an_error_not_a_divergence():
    with pytest.raises(ValueError, match="loss_history is empty"):
        diagnose(np.array([0.1, 0.9, 0.9, 0.1]), Y, np.array([]))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_diverged(bad):
    outcome = diagnose(np.array([0.5, bad, 0.5, 0.5]), Y, FLAT)
    assert outcome.kind == "diverged"
    assert "smaller learning rate" in outcome.suggestion


@pytest.mark.parametrize("kind", [None, "bce"])
def test_a_loss_orders_of_magnitude_above_its_start_is_divergence(kind):
    # Before, a finite loss of 2.8e299 from a start of 0.8 was "still improving" (it fell over
    # the last 10% of the run) or a plateau.
    falling = np.r_[0.8, np.linspace(5e299, 2.8e299, 50)]
    outcome = diagnose(np.array([0.0, 1.0, 0.0, 1.0]), Y, falling, kind=kind)
    assert outcome.kind == "diverged"
    assert outcome.summary.startswith("Diverged: the loss rose from 0.8 to 2.8e+299")
    assert outcome.misclassified == (2, 3)
    assert "smaller learning rate" in outcome.suggestion
    assert diagnose(np.array([0.0, 1.0, 0.0, 1.0]), Y, np.r_[0.8, np.full(9, 9e3)]).kind == (
        "diverged"
    )


def test_the_divergence_rule_needs_both_a_rise_and_a_loss_above_chance():
    p = np.array([0.4, 0.6, 0.6, 0.4])  # all right: a loss below ln 2, whatever its start
    tiny_start = np.r_[1e-6, np.full(9, 0.5)]  # 500000 times the start, but under chance
    assert diagnose(p, Y, tiny_start).kind == "solved"
    wrong = np.array([0.6, 0.4, 0.4, 0.6])
    assert diagnose(wrong, Y, tiny_start).kind == "plateau"
    assert diagnose(wrong, Y, np.r_[0.7, np.full(9, 699.0)]).kind == "plateau"  # under 1e3 x
    # The chance level is the loss's: ln K for cross-entropy, n / 8 for the total squared error.
    from xornet.diagnosis import chance_loss

    assert chance_loss(4, 2, "bce") == pytest.approx(np.log(2))
    assert chance_loss(4, 3, "bce") == pytest.approx(np.log(3))
    assert chance_loss(40, 2, "sse") == 5.0
    assert chance_loss(40, 2) == 5.0
    sse_rise = np.r_[1e-3, np.full(9, 3.0)]  # 3000 times the start: above ln 2, below 40 / 8
    p40, y40 = np.full(40, 0.6), np.tile([0.0, 1.0], 20)
    assert diagnose(p40, y40, sse_rise, kind="bce").kind == "diverged"
    assert diagnose(p40, y40, sse_rise, kind="sse").kind == "plateau"


def test_plateau_advice_never_suggests_what_the_run_already_does():
    p = np.array([0.01, 0.5, 0.99, 0.5])  # two samples undecided, the loss flat
    y = np.array([0.0, 1.0, 1.0, 0.0])
    every = classify(p, y, 0.7, 0.3466, 0.3466)
    assert every.suggestion == (
        "Try another seed, more hidden units (3 or more), or the Adam optimizer."
    )
    wide_adam = classify(p, y, 0.7, 0.3466, 0.3466,
                         config=TrainConfig(hidden=8, optimizer="adam"))  # fmt: skip
    assert wide_adam.kind == "plateau"
    assert "hidden units" not in wide_adam.suggestion
    assert "Adam" not in wide_adam.suggestion
    narrow_adam = classify(p, y, 0.7, 0.3466, 0.3466,
                           config=TrainConfig(hidden=2, optimizer="adam"))  # fmt: skip
    assert narrow_adam.suggestion == "Try another seed, or more hidden units (3 or more)."


# ------------------------------------------------------------------ many networks at once

_SPECIAL = [np.nan, np.inf, -np.inf, 0.0, 1e-300, 1e300]


def _many_cases(rng, n_networks, n_samples, n_classes):
    """Outputs and losses of many networks, a few of them broken or extreme, so that every one
    of the rule's branches is taken: not finite, rose, solved, improving, higher, stopped."""
    shape = (n_networks, n_samples) if n_classes == 2 else (n_networks, n_samples, n_classes)
    P = rng.uniform(0, 1, shape)
    if n_classes > 2:
        P /= P.sum(axis=2, keepdims=True)
    P[rng.uniform(size=shape) < 0.01] = np.nan
    initial, earlier, final = (rng.choice([0.01, 0.3, 0.7, 1.0, 5.0, 2e3], n_networks)
                               * rng.uniform(0.5, 2, n_networks) for _ in range(3))  # fmt: skip
    for losses in (initial, earlier, final):
        broken = rng.uniform(size=n_networks) < 0.05
        losses[broken] = rng.choice(_SPECIAL, broken.sum())
    y = rng.integers(0, n_classes, n_samples)
    return P, y, initial, earlier, final


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("kind", [None, "bce", "sse"])
def test_outcome_kinds_is_classify_for_each_network(n_classes, kind):
    from xornet.diagnosis import outcome_kinds, predicted_class, predicted_classes

    rng = np.random.default_rng(n_classes * 7 + len(kind or ""))
    P, y, initial, earlier, final = _many_cases(rng, 3_000, 4, n_classes)
    kinds = outcome_kinds(P, y, initial, earlier, final, kind=kind)
    expected = [classify(P[i], y, initial[i], earlier[i], final[i], kind=kind).kind
                for i in range(len(P))]  # fmt: skip
    assert kinds.tolist() == expected
    assert set(expected) == {"solved", "improving", "plateau", "diverged"}  # every branch ran
    chosen = predicted_classes(P)
    assert all((chosen[i] == predicted_class(P[i])).all() for i in range(len(P)))
