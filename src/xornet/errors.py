"""The exceptions xornet raises, so that callers (and the CLI) can tell them apart, and the
one rule for showing an exception in one line (:func:`one_line`), a warning in one
(:data:`WARNING_LINE`), and a value that came from outside in one (:func:`quoted`)."""

from __future__ import annotations

import reprlib

__all__ = [
    "WARNING_LINE",
    "DataError",
    "ModelFileError",
    "TrainingDiverged",
    "XornetError",
    "one_line",
    "quoted",
]

#: How what the ``xornet`` logger warns of (a ``cc`` that fails) is printed, one line, by the
#: command line and by a Dask worker of a sweep (:mod:`logging`'s format).
WARNING_LINE = "xornet: warning: %(message)s"


class XornetError(ValueError):
    """Base class: a problem with what xornet was given, explained in one line."""


class DataError(XornetError):
    """A dataset or CSV file that xornet cannot train on (the message names file, row, column).

    Attributes
    ----------
    argument : str or None
        The argument at fault when it is one (``make_dataset``'s ``name``, ``n_samples`` or
        ``noise``; ``load_csv``'s ``label``), so that the CLI can name its flag.
    """

    def __init__(self, message: str, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


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


def one_line(
    error: BaseException | str, *, limit: int | None = None, with_type: bool = False
) -> str:
    """An error's message as one line, for a message that quotes it (never a traceback).

    Parameters
    ----------
    error : BaseException or str
        The error, or a message already in words.
    limit : int or None, default None
        The longest result, in characters: a longer one is cut, and ends in ``...``. None
        leaves it whole.
    with_type : bool, default False
        Put the exception's type name first, ``"TypeError: ..."``: for errors of a learner's
        code, where the type says as much as the message.

    Returns
    -------
    str
        The message's first line that holds text; for an ``OSError`` that names a file,
        ``"file: reason"`` (Python's own form puts ``[Errno 2]`` first and the file last); for
        an empty message, the exception's type name.
    """
    if isinstance(error, OSError) and error.filename is not None:
        text = f"{_file_name(error.filename)}: {error.strerror or type(error).__name__}"
    else:
        text = str(error)
    lines = text.strip().splitlines()
    text = lines[0].rstrip() if lines else ""
    if isinstance(error, BaseException):
        name = type(error).__name__
        text = f"{name}: {text}" if with_type and text else text or name
    if limit is not None and len(text) > limit:
        text = f"{text[: max(limit - 3, 0)]}..."[: max(limit, 0)]
    return text


_quoted_repr = reprlib.Repr()
_quoted_repr.maxstring = _quoted_repr.maxother = _quoted_repr.maxlong = 40
_quoted_repr.maxlist = _quoted_repr.maxdict = 4
_quoted_repr.maxlevel = 2


def quoted(value: object) -> str:
    """A short repr, at most 60 characters: a message quotes a value it was given (from a
    file, a page, a flag), never all of it, however long."""
    try:
        text = _quoted_repr.repr(value)
    except ValueError:  # an int of more than 4,300 digits, which Python will not write out
        if isinstance(value, int):
            return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
        return f"a {type(value).__name__} holding an integer too long to write out"
    return text if len(text) <= 60 else f"{text[:57]}..."


def _file_name(name: object) -> str:
    """A file's name as an error shows it: quoted if it holds a line break or a control code."""
    shown = str(name)
    return shown if shown.isprintable() else repr(shown)
