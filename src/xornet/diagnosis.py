"""Outcome diagnosis: did training solve the task, stall on a plateau, or need more steps?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from xornet._typing import Array

__all__ = ["NEAR_HALF", "XOR_PLATEAU_LOSS", "Outcome", "classify", "diagnose", "earlier_index"]

OutcomeKind = Literal["solved", "plateau", "improving", "diverged"]

#: An output within this distance of 0.5 counts as "undecided".
NEAR_HALF: Final = 0.15

#: Loss of the classic stuck XOR state: two outputs at 0.5 (each costing ln 2), two outputs
#: right, so the mean loss is (2 ln 2) / 4 = ln(2) / 2, about 0.347.
XOR_PLATEAU_LOSS: Final = float(np.log(2.0) / 2.0)

# Training counts as still improving when the loss fell by more than this fraction between
# the record at 90% of the run and the end.
_IMPROVING_DROP: Final = 0.01


def earlier_index(n_entries: int) -> int:
    """Index of the entry at 90% of a loss history of ``n_entries`` entries."""
    return int(0.9 * (n_entries - 1))


@dataclass(frozen=True)
class Outcome:
    """A plain-words verdict on a training run.

    Attributes
    ----------
    kind : {"solved", "plateau", "improving", "diverged"}
        ``solved``: every sample is on the right side of 0.5. ``improving``: not solved, but the
        loss is still falling, so more steps would help. ``plateau``: not solved and the loss
        has stopped falling. ``diverged``: the loss or the weights are no longer finite.
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


def diagnose(probabilities: Array, y: Array, loss_history: Array) -> Outcome:
    """Say in plain words how a training run ended.

    Parameters
    ----------
    probabilities : ndarray of shape (n_samples,)
        Final output probabilities.
    y : ndarray of shape (n_samples,)
        Labels in {0, 1}.
    loss_history : ndarray of shape (n_records,)
        The recorded losses, oldest first; the last entry should be the final loss.

    Returns
    -------
    Outcome
    """
    history = np.asarray(loss_history, dtype=np.float64)
    if history.size == 0:
        raise ValueError("loss_history is empty: it needs at least the final loss")
    earlier = history[earlier_index(history.size)] if history.size >= 2 else np.inf
    return classify(probabilities, y, history[0], earlier, history[-1])


def classify(
    probabilities: Array, y: Array, initial_loss: float, earlier_loss: float, final_loss: float
) -> Outcome:
    """The diagnosis from a run's summary, without its whole history.

    Parameters
    ----------
    probabilities : ndarray of shape (n_samples,)
        Final output probabilities.
    y : ndarray of shape (n_samples,)
        Labels in {0, 1}.
    initial_loss : float
        Loss before training.
    earlier_loss : float
        Loss at 90% of the run (see :func:`earlier_index`); ``inf`` when unknown.
    final_loss : float
        Loss at the end.

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
    wrong = tuple(int(i) for i in np.flatnonzero((p > 0.5) != (y > 0.5)))
    near = tuple(int(i) for i in np.flatnonzero(np.abs(p - 0.5) < NEAR_HALF))
    final = float(final_loss)
    if not wrong:
        return Outcome(
            "solved",
            f"Solved: every sample is on the right side of 0.5 (loss {final:.4g}).",
            "",
            near,
            wrong,
        )
    n_wrong = f"{len(wrong)} of {p.size} samples {'is' if len(wrong) == 1 else 'are'} misclassified"
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
        summary = (
            f"Stuck on a plateau: {n_wrong}; the outputs of samples {stuck} sit near 0.5 "
            f"and the loss ({final:.4g}) has stopped falling."
        )
        if p.size == 4 and len(near) == 2 and set(wrong) <= set(near):
            summary += (
                " This is the classic XOR local minimum: the hidden layer separates only part"
                " of the truth table, and the output sits at 0.5 for the rest"
                " (with cross-entropy, a loss near ln(2)/2 = 0.347)."
            )
    else:
        summary = f"Stuck on a plateau: {n_wrong} and the loss ({final:.4g}) has stopped falling."
    return Outcome(
        "plateau",
        summary,
        "Try another seed, more hidden units (3 or more), or the Adam optimizer.",
        near,
        wrong,
    )
