"""The exceptions xornet raises, so that callers (and the CLI) can tell them apart."""

from __future__ import annotations

__all__ = ["DataError", "ModelFileError", "TrainingDiverged", "XornetError"]


class XornetError(ValueError):
    """Base class: a problem with what xornet was given, explained in one line."""


class DataError(XornetError):
    """A dataset or CSV file that xornet cannot train on (the message names file, row, column)."""


class ModelFileError(XornetError):
    """A model file that is missing, truncated, corrupt, mismatched or of a newer format."""


class TrainingDiverged(XornetError):  # noqa: N818  (a state, read as "training diverged")
    """Training produced a non-finite loss or weights.

    Attributes
    ----------
    step : int
        The training step (0-based count of updates applied) at which it was detected.
    """

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step

    @classmethod
    def at(cls, step: int, learning_rate: float) -> TrainingDiverged:
        """The error for divergence detected at ``step``, suggesting a smaller learning rate."""
        return cls(
            f"training diverged at step {step}: the loss or the weights are no longer finite "
            f"numbers; try a smaller learning rate than {learning_rate:g}",
            step,
        )
