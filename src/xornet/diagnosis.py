"""Outcome diagnosis: did training solve the task, stall on a plateau, or need more steps?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from xornet._typing import Array, IntArray
from xornet.functional import class_probabilities

__all__ = [
    "DIVERGED_RISE",
    "NEAR_HALF",
    "XOR_PLATEAU_LOSS",
    "Outcome",
    "all_correct",
    "chance_loss",
    "classify",
    "diagnose",
    "earlier_index",
    "predicted_class",
]

OutcomeKind = Literal["solved", "plateau", "improving", "diverged", "untrained"]

#: An output within this distance of 0.5 counts as "undecided".
NEAR_HALF: Final = 0.15

#: Loss of the classic stuck XOR state: two outputs at 0.5 (each costing ln 2), two outputs
#: right, so the mean loss is (2 ln 2) / 4 = ln(2) / 2, about 0.347.
XOR_PLATEAU_LOSS: Final = float(np.log(2.0) / 2.0)

#: A loss that ends more than this many times above where it started, and above
#: :func:`chance_loss`, has diverged, even while it is still a finite number.
DIVERGED_RISE: Final = 1e3

# Training counts as still improving when the loss fell by more than this fraction between
# the record at 90% of the run and the end.
_IMPROVING_DROP: Final = 0.01


#: What a plateau's verdict cannot tell from the outputs; where the landscape is measured
#: (:func:`xornet.landscape.diagnose_with_landscape`, ``xornet landscape``) the measurement
#: takes its place.
UNMEASURED = (
    " Whether it is a local minimum, a saddle or a slope toward infinite weights is not"
    " measured here (xornet landscape measures it)."
)


def predicted_class(probabilities: Array) -> IntArray:
    """The predicted class of each sample.

    Parameters
    ----------
    probabilities : ndarray of shape (n_samples,) or (n_samples, n_classes)
        The probability of class 1 (two classes), or of each class.

    Returns
    -------
    ndarray of shape (n_samples,), int
        1 where ``p > 0.5`` for two classes; the most probable class otherwise.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    chosen = (p > 0.5) if p.ndim == 1 else np.argmax(p, axis=1)
    out: IntArray = chosen.astype(np.int64)
    return out


def correct_by_margin(probabilities: Array, y: Array, margin: float = 0.0) -> np.ndarray:
    """Which samples are right with room to spare.

    Parameters
    ----------
    probabilities : ndarray of shape (n_samples,) or (n_samples, n_classes)
    y : ndarray of shape (n_samples,)
        Class indices.
    margin : float
        In [0, 0.5). Two classes: the output must be beyond ``0.5 +- margin`` (0.1 is the
        "40-20-40" rule). More classes: the true class's probability must exceed every other
        class's by more than ``2 margin`` (the same rule, since with two classes the gap is
        ``p - (1 - p) = 2p - 1``).

    Returns
    -------
    ndarray of shape (n_samples,), bool
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim == 1:
        right: np.ndarray = np.where(y > 0.5, p > 0.5 + margin, p < 0.5 - margin)
        return right
    rows, labels = np.arange(p.shape[0]), y.astype(np.intp)
    others = p.copy()
    others[rows, labels] = -np.inf
    gap: np.ndarray = p[rows, labels] - others.max(axis=1) > 2.0 * margin
    return gap


def all_correct(probabilities: Array, y: Array, margin: float = 0.0) -> bool:
    """Whether every sample is right by the margin (see :func:`correct_by_margin`)."""
    return bool(np.all(correct_by_margin(probabilities, y, margin)))


def chance_loss(n_samples: int, n_classes: int, kind: str | None = None) -> float:
    """The loss of an undecided network, which gives every class the same probability (0.5
    for two classes): the most any network that classifies every sample right can have.

    Parameters
    ----------
    n_samples, n_classes : int
    kind : {"bce", "sse"} or None
        The loss: mean cross-entropy, ``ln K``; the total squared error ``1/2 sum (p - y)^2``,
        ``n / 8``. None when unknown: the larger of the two.

    Returns
    -------
    float
    """
    bce, sse = float(np.log(max(n_classes, 2))), n_samples / 8.0
    return {"bce": bce, "sse": sse}.get(kind or "", max(bce, sse))


def earlier_index(n_entries: int) -> int:
    """Index of the entry at 90% of a loss history of ``n_entries`` entries."""
    return int(0.9 * (n_entries - 1))


@dataclass(frozen=True)
class Outcome:
    """A plain-words verdict on a training run.

    Attributes
    ----------
    kind : {"solved", "plateau", "improving", "diverged", "untrained"}
        ``solved``: every sample is on the right side of 0.5. ``diverged``: the loss or the
        weights are no longer finite, or the loss ended orders of magnitude above where it
        started (see :func:`classify`). ``improving``: not solved, but the loss is still
        falling, so more steps would help. ``plateau``: not solved and the loss has stopped
        falling. ``untrained``: not solved and no step taken yet, so nothing is known of the
        loss's course.
    summary : str
        One sentence saying what happened.
    suggestion : str
        What to try next (empty when solved).
    near_half : tuple of int
        Indices of samples whose output is within ``NEAR_HALF`` of 0.5.
    misclassified : tuple of int
        Indices of samples on the wrong side of 0.5.
    """

    kind: OutcomeKind
    summary: str
    suggestion: str
    near_half: tuple[int, ...] = ()
    misclassified: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.summary} {self.suggestion}".strip()


def diagnose(
    probabilities: Array,
    y: Array,
    loss_history: Array,
    *,
    kind: str | None = None,
    config: Any = None,
) -> Outcome:
    """Say in plain words how a training run ended.

    Parameters
    ----------
    probabilities : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Final output probabilities (of class 1, or of each class).
    y : ndarray of shape (n_samples,)
        Class indices.
    loss_history : ndarray of shape (n_records,)
        The recorded losses, oldest first; the last entry should be the final loss. A single
        entry is a network before its first step (:meth:`xornet.Trainer.result` after 0
        steps): unless it is solved already, its verdict is ``untrained``, never one about
        the loss's course.
    kind : {"bce", "sse"} or None
        The loss, for the divergence rule (see :func:`classify`).
    config : TrainConfig, optional
        The run's settings, so that advice never suggests what the run already does (more
        hidden units to a wide network, Adam to an Adam run).

    Returns
    -------
    Outcome
    """
    history = np.asarray(loss_history, dtype=np.float64)
    if history.size == 0:
        raise ValueError("loss_history is empty: it needs at least the final loss")
    if history.size == 1:
        return _untrained(classify(probabilities, y, history[0], history[0], history[0],
                                   kind=kind),
                          int(np.shape(probabilities)[0]), float(history[0]))  # fmt: skip
    earlier = history[earlier_index(history.size)]
    return classify(probabilities, y, history[0], earlier, history[-1], kind=kind, config=config)


def _untrained(outcome: Outcome, n: int, start_loss: float) -> Outcome:
    """The verdict before any step: what is right and wrong now, nothing about a trend."""
    if outcome.kind in ("solved", "diverged"):
        return outcome
    wrong = len(outcome.misclassified)
    return Outcome(
        "untrained",
        f"Not trained yet: {wrong} of {n} samples {'is' if wrong == 1 else 'are'} misclassified "
        f"by the start weights (loss {start_loss:.4g}).",
        "Train it for some steps.",
        outcome.near_half,
        outcome.misclassified,
    )


def classify(
    probabilities: Array,
    y: Array,
    initial_loss: float,
    earlier_loss: float,
    final_loss: float,
    *,
    kind: str | None = None,
    config: Any = None,
) -> Outcome:
    """The diagnosis from a run's summary, without its whole history.

    A run has diverged when its loss or outputs are no longer finite, or when its loss ended
    more than :data:`DIVERGED_RISE` times above where it started and above
    :func:`chance_loss` (the loss of an undecided network): a learning rate so large that
    each step overshoots. The second condition keeps a tiny loss that grew (1e-6 to 1e-2) from
    being called divergence, and since a network with every sample right has a loss below
    chance, a solved run is never called diverged.

    Parameters
    ----------
    probabilities : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Final output probabilities (of class 1, or of each class).
    y : ndarray of shape (n_samples,)
        Class indices.
    initial_loss : float
        Loss before training.
    earlier_loss : float
        Loss at 90% of the run (see :func:`earlier_index`); ``inf`` when unknown.
    final_loss : float
        Loss at the end.
    kind : {"bce", "sse"} or None
        The loss, for :func:`chance_loss` (None: unknown, the larger bound).

    Returns
    -------
    Outcome
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if not (np.isfinite(p).all() and np.isfinite(final_loss)):
        return Outcome(
            "diverged",
            "Diverged: the loss or the outputs stopped being finite numbers.",
            "Try a smaller learning rate.",
        )
    wrong = tuple(int(i) for i in np.flatnonzero(predicted_class(p) != y))
    # Undecided: the two most probable classes within 2 NEAR_HALF of each other (for two
    # classes, p within NEAR_HALF of 0.5).
    top2 = np.sort(class_probabilities(p), axis=1)[:, -2:]
    near = tuple(int(i) for i in np.flatnonzero(top2[:, 1] - top2[:, 0] < 2.0 * NEAR_HALF))
    final = float(final_loss)
    binary = p.ndim == 1
    chance = chance_loss(p.shape[0], 2 if binary else p.shape[1], kind)
    if final > DIVERGED_RISE * initial_loss and final > chance:
        return Outcome(
            "diverged",
            f"Diverged: the loss rose from {initial_loss:.4g} to {final:.4g}, orders of "
            f"magnitude above where it started (an undecided network's is {chance:.3g}).",
            "Try a smaller learning rate.",
            near,
            wrong,
        )
    if not wrong:
        where = "on the right side of 0.5" if binary else "given its own class"
        return Outcome(
            "solved",
            f"Solved: every sample is {where} (loss {final:.4g}).",
            "",
            near,
            wrong,
        )
    n_wrong = (
        f"{len(wrong)} of {p.shape[0]} samples {'is' if len(wrong) == 1 else 'are'} misclassified"
    )
    if earlier_loss - final > _IMPROVING_DROP * max(abs(final), 1e-12):
        return Outcome(
            "improving",
            f"Still improving: {n_wrong}, but the loss ({final:.4g}) is still falling.",
            "Train for more steps, or raise the learning rate.",
            near,
            wrong,
        )
    if final > initial_loss:
        return Outcome(
            "plateau",
            f"Not learning: {n_wrong} and the loss ({final:.4g}) ended higher than it started "
            f"({initial_loss:.4g}).",
            "The learning rate is probably too large; try one ten times smaller.",
            near,
            wrong,
        )
    if near:
        stuck = ", ".join(str(i) for i in near)
        undecided = "sit near 0.5" if binary else "are split between two classes"
        summary = (
            f"Stuck on a plateau: {n_wrong}; the outputs of samples {stuck} {undecided} "
            f"and the loss ({final:.4g}) has stopped falling."
        )
        if binary and p.size == 4 and len(near) == 2 and set(wrong) <= set(near):
            # Only what the outputs show: which kind of point this is (a local minimum, a
            # saddle, a slope to infinite weights) takes the landscape, measured by
            # xornet.landscape.diagnose_with_landscape when asked for.
            summary += (
                " The other two samples are right: the XOR plateau (with cross-entropy, a loss"
                " near ln(2)/2 = 0.347)." + UNMEASURED
            )
    else:
        summary = f"Stuck on a plateau: {n_wrong} and the loss ({final:.4g}) has stopped falling."
    return Outcome(
        "plateau",
        summary,
        _plateau_advice(config),
        near,
        wrong,
    )


def _plateau_advice(config: Any) -> str:
    """What to try on a plateau, leaving out what the run already does (``config`` may be
    None: then every option)."""
    options = ["another seed"]
    if config is None or config.hidden < 3:
        options.append("more hidden units (3 or more)")
    if config is None or config.optimizer != "adam":
        options.append("the Adam optimizer")
    if len(options) == 1:
        return "Try another seed, or another learning rate."
    return f"Try {', '.join(options[:-1])}, or {options[-1]}."
