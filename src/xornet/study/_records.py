"""A study's records: one per network (:class:`Records`), and the names of its outcomes,
stop reasons and swept settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Final

import numpy as np

from xornet._typing import Array, IntArray
from xornet.diagnosis import NEAR_HALF
from xornet.errors import XornetError

if TYPE_CHECKING:
    pass


#: Settings a sweep can vary (``TrainConfig`` fields).
SWEEP_AXES: Final = ("hidden", "activation", "init", "init_scale", "loss", "optimizer",
                     "learning_rate", "momentum", "batch_size", "steps", "margin")  # fmt: skip

#: The outcome of a network: solved; a plateau with two outputs near 0.5 (the classic XOR
#: state), with every output near 0.5, or another plateau; still improving; diverged.
OUTCOME_COLUMNS: Final = ("solved", "plateau_two_half", "plateau_all_half", "plateau_other",
                          "improving", "diverged")  # fmt: skip

#: The version of the study file's layout (2: with ``criterion_epoch``; 1 is still read).
FILE_FORMAT: Final = 2

#: Why a network stopped (:attr:`Records.stop_reason`).
STOP_REASONS: Final = ("max_steps", "tolerance", "all_correct", "diverged")


def outcome_labels(outcome: np.ndarray, probabilities: Array) -> np.ndarray:
    """Each network's outcome, one of :data:`OUTCOME_COLUMNS`.

    A plateau is told apart by how many outputs are "near half", undecided: an output within
    ``NEAR_HALF`` of 0.5, or for K classes the top two probabilities within ``2 NEAR_HALF``.

    Parameters
    ----------
    outcome : ndarray of shape (N,), str
        ``solved``, ``plateau``, ``improving`` or ``diverged`` (:attr:`ManyResult.outcome`).
    probabilities : ndarray of shape (N, n) or (N, n, K)

    Returns
    -------
    ndarray of shape (N,), str
    """
    if probabilities.ndim == 3:  # (N, n, K) softmax outputs
        top2 = np.sort(probabilities, axis=2)[:, :, -2:]
        near = np.sum(top2[:, :, 1] - top2[:, :, 0] < 2.0 * NEAR_HALF, axis=1)
    else:
        near = np.sum(np.abs(probabilities - 0.5) < NEAR_HALF, axis=1)
    n = probabilities.shape[1]
    plateau = np.where(
        (near == 2) & (n > 2), "plateau_two_half",
        np.where(near == n, "plateau_all_half", "plateau_other"),
    )  # fmt: skip
    labels = np.where(outcome == "plateau", plateau, outcome)
    return labels.astype(f"<U{max(map(len, OUTCOME_COLUMNS))}")


@dataclass(frozen=True, eq=False)
class Records:
    """One record per network of a study, sorted by setting and seed.

    Attributes
    ----------
    setting : ndarray of shape (N,), int
        The index of the network's setting (the order of the study's settings).
    seed : ndarray of shape (N,), int
    outcome : ndarray of shape (N,), str
        One of :data:`OUTCOME_COLUMNS`.
    solve_step : ndarray of shape (N,), int
        First step at which every sample was right; -1 if never.
    criterion_epoch : ndarray of shape (N,), int
        The epochs (:func:`xornet.config.epochs_of`) after which the loss was first at most
        the criterion, the setting's ``tol`` (:attr:`xornet.ManyResult.target_step`, the 1986
        "epochs to criterion"); -1 if never or without ``tol``.
    stopped_at : ndarray of shape (N,), int
        Updates applied.
    stop_reason : ndarray of shape (N,), str
        ``max_steps``, ``tolerance``, ``all_correct`` or ``diverged``.
    final_loss, accuracy : ndarray of shape (N,), float
        NaN loss for a network that diverged.
    """

    setting: IntArray
    seed: IntArray
    outcome: np.ndarray
    solve_step: IntArray
    criterion_epoch: IntArray
    stopped_at: IntArray
    stop_reason: np.ndarray
    final_loss: Array
    accuracy: Array

    def __len__(self) -> int:
        return int(self.seed.size)

    def __repr__(self) -> str:
        return f"Records(n_networks={len(self)}, settings={np.unique(self.setting).size})"

    @classmethod
    def concat(cls, parts: Sequence[Records]) -> Records:
        """The records of ``parts`` together, sorted by setting and seed.

        Raises
        ------
        XornetError
            When a network (setting and seed) appears twice.
        """
        if not parts:
            return _empty_records()
        columns = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        order = np.lexsort((columns["seed"], columns["setting"]))
        joined = cls(**{name: values[order] for name, values in columns.items()})
        twice = (np.diff(joined.setting) == 0) & (np.diff(joined.seed) == 0)
        if twice.any():
            i = int(np.flatnonzero(twice)[0])
            raise XornetError(f"setting {joined.setting[i]}, seed {joined.seed[i]}: counted twice")
        return joined

    def of(self, setting: int) -> Records:
        """The records of one setting."""
        mask = self.setting == setting
        return Records(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    def same_as(self, other: Records) -> bool:
        """Whether both hold the same records, to the bit."""
        return all(
            getattr(self, f.name).dtype == getattr(other, f.name).dtype
            and getattr(self, f.name).tobytes() == getattr(other, f.name).tobytes()
            for f in fields(self)
        )


def _empty_records() -> Records:
    """No records."""
    ints = np.zeros(0, dtype=np.int64)
    return Records(ints, ints, np.zeros(0, dtype="<U16"), ints, ints, ints,
                   np.zeros(0, dtype="<U11"), np.zeros(0), np.zeros(0))  # fmt: skip
