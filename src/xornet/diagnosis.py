"""Outcome diagnosis: did training solve the task, stall on a plateau, or need more steps?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import ArrayLike

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
    "outcome_kinds",
    "predicted_class",
    "predicted_classes",
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
    one: IntArray = predicted_classes(np.asarray(probabilities)[None])[0]
    return one


def predicted_classes(probabilities: Array) -> IntArray:
    """:func:`predicted_class` for many networks at once.

    Parameters
    ----------
    probabilities : ndarray of shape (n_networks, n_samples) or (n_networks, n_samples, n_classes)

    Returns
    -------
    ndarray of shape (n_networks, n_samples), int
    """
    p = np.asarray(probabilities, dtype=np.float64)
    chosen = (p > 0.5) if p.ndim == 2 else np.argmax(p, axis=2)
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


#: The verdicts of :func:`_verdicts`: a run's kind, and for ``diverged`` and ``plateau`` which
#: of the rule's conditions gave it (the summary says which).
_NOT_FINITE, _ROSE, _SOLVED, _IMPROVING, _ENDED_HIGHER, _STOPPED = range(6)
_KIND_OF = np.array(["diverged", "diverged", "solved", "improving", "plateau", "plateau"])


def _verdicts(
    probabilities: Array,
    y: Array,
    initial_loss: ArrayLike,
    earlier_loss: ArrayLike,
    final_loss: ArrayLike,
    kind: str | None,
) -> IntArray:
    """The rule of :func:`classify` for ``N`` networks at once: one of :data:`_NOT_FINITE`
    ... :data:`_STOPPED` each.

    ``probabilities`` is ``(N, n_samples)`` (the probability of class 1) or ``(N, n_samples,
    n_classes)``; the losses are ``(N,)``. The first condition that holds decides, in
    :func:`classify`'s order: not finite, rose past :data:`DIVERGED_RISE` and chance, every
    sample right, still falling by :data:`_IMPROVING_DROP`, ended above its start, stopped.
    """
    P = np.asarray(probabilities, dtype=np.float64)
    initial, earlier, final = (np.asarray(v, dtype=np.float64)
                               for v in (initial_loss, earlier_loss, final_loss))  # fmt: skip
    n_networks, n_samples = P.shape[:2]
    finite = np.isfinite(P.reshape(n_networks, -1)).all(axis=1) & np.isfinite(final)
    all_right = (predicted_classes(P) == np.asarray(y)).all(axis=1)
    chance = chance_loss(n_samples, 2 if P.ndim == 2 else P.shape[2], kind)
    with np.errstate(invalid="ignore", over="ignore"):  # nan and inf only ever compare False
        rose = (final > DIVERGED_RISE * initial) & (final > chance)
        falling = earlier - final > _IMPROVING_DROP * np.maximum(np.abs(final), 1e-12)
        higher = final > initial
    conditions = [~finite, rose, all_right, falling, higher]
    verdicts: IntArray = np.select(conditions, range(5), _STOPPED).astype(np.int64)
    return verdicts


def outcome_kinds(
    probabilities: Array,
    y: Array,
    initial_loss: ArrayLike,
    earlier_loss: ArrayLike,
    final_loss: ArrayLike,
    *,
    kind: str | None = None,
) -> np.ndarray:
    """:func:`classify`'s ``kind`` for many networks at once, by the same rule, without the
    words: what :func:`xornet.train_many` reports for each network.

    Parameters
    ----------
    probabilities : ndarray of shape (n_networks, n_samples) or (n_networks, n_samples, n_classes)
    y : ndarray of shape (n_samples,)
    initial_loss, earlier_loss, final_loss : ndarray of shape (n_networks,)
    kind : {"bce", "sse"} or None
        As :func:`classify`'s.

    Returns
    -------
    ndarray of shape (n_networks,), str
        ``"solved"``, ``"improving"``, ``"plateau"`` or ``"diverged"``.
    """
    verdicts = _verdicts(probabilities, y, initial_loss, earlier_loss, final_loss, kind)
    kinds: np.ndarray = _KIND_OF[verdicts]
    return kinds


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
    verdict = _verdicts(p[None], y, [initial_loss], [earlier_loss], [final_loss], kind)[0]
    if verdict == _NOT_FINITE:
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
    if verdict == _ROSE:
        chance = chance_loss(p.shape[0], 2 if binary else p.shape[1], kind)
        return Outcome(
            "diverged",
            f"Diverged: the loss rose from {initial_loss:.4g} to {final:.4g}, orders of "
            f"magnitude above where it started (an undecided network's is {chance:.3g}).",
            "Try a smaller learning rate.",
            near,
            wrong,
        )
    if verdict == _SOLVED:
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
    if verdict == _IMPROVING:
        return Outcome(
            "improving",
            f"Still improving: {n_wrong}, but the loss ({final:.4g}) is still falling.",
            "Train for more steps, or raise the learning rate.",
            near,
            wrong,
        )
    if verdict == _ENDED_HIGHER:
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
