"""The run's contract: what defines a training run, and the rules every engine shares.

One home for each rule that a run has to agree on, wherever it runs (the NumPy reference, the
compiled loops, many networks at once, the CLI, the playground, the estimator):

* :class:`TrainConfig`, the frozen settings, and its one validator (``__post_init__``);
* :data:`PRESETS`, the named configurations (``post`` is the study post's own);
* the stop reasons and the compiled engines' stop codes (:data:`STOP_CODES`);
* the batch schedule (:func:`batch_schedule`);
* the seeds a run accepts (:func:`check_seed`) and the start weights (:func:`start_params`,
  :func:`start_params_many`): random from an ``rng``, or the post's ``np.random.seed(s)``
  weights when ``config.start == "post"``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from xornet._names import LOSS_NAMES
from xornet._rng import RngLike, as_generator
from xornet._typing import Array, IntArray
from xornet.errors import XornetError, quoted
from xornet.functional import ACTIVATIONS
from xornet.optim import OPTIMIZERS, Optimizer, make_optimizer
from xornet.params import INITS, Params, init_params, post_initial_params_many

__all__ = [
    "MAX_RECORDS",
    "MAX_SEED",
    "PRESETS",
    "STARTS",
    "STOP_CODES",
    "StopReason",
    "TrainConfig",
    "batch_schedule",
    "check_records",
    "check_seed",
    "epochs_of",
    "records_kept",
    "settings_that_apply",
    "start_params",
    "start_params_many",
    "stop_reason_of",
]

#: Why a run ended: its step limit, the loss tolerance, every sample right, or the caller.
StopReason = Literal["max_steps", "tolerance", "all_correct", "interrupted"]

#: The compiled engines' stop codes (their ``counters[STOP]``), one table for all of them.
#: ``running`` is also "reached its step limit"; ``diverged`` only :func:`xornet.train_many`
#: reports as a reason (:func:`xornet.train` raises :class:`~xornet.TrainingDiverged`).
STOP_CODES: Final = {"running": 0, "tolerance": 1, "all_correct": 2, "diverged": 3}

#: Where a run's weights start: drawn with ``config.init`` from the run's ``rng`` (random), or
#: the weights the post's code draws after ``np.random.seed(seed)`` (post).
STARTS: Final = ("random", "post")

#: Seeds are what ``np.random.seed`` accepts: integers from 0 to 2**32 - 1.
MAX_SEED: Final = 2**32 - 1

_INT = (numbers.Integral,)
_NUMBER = (numbers.Real,)
# The accepted types of each TrainConfig field (bool is accepted only where named). Integral
# and real values, NumPy's included, are stored as Python int and float.
_FIELD_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "hidden": _INT,
    "activation": (str,),
    "init": (str,),
    "optimizer": (str,),
    "learning_rate": _NUMBER,
    "momentum": _NUMBER,
    "nesterov": (bool,),
    "beta1": _NUMBER,
    "beta2": _NUMBER,
    "eps": _NUMBER,
    "steps": _INT,
    "batch_size": (*_INT, type(None)),
    "shuffle": (bool,),
    "record_every": _INT,
    "tol": (*_NUMBER, type(None)),
    "stop_when_correct": (bool,),
    "init_scale": _NUMBER,
    "loss": (str,),
    "margin": _NUMBER,
    "shortcut": (bool,),
    "start": (str,),
}

#: Largest accepted values, to turn absurd settings into a clear error instead of a hang.
MAX_HIDDEN: Final = 100_000
MAX_STEPS: Final = 10**10
#: Largest uniform range: any unit saturates long before (a sigmoid is 1 - 4e-18 at 40), and
#: weights this size times any sensible input stay far from overflow (drawing U(-r, r) itself
#: overflows near r = 1e308).
MAX_INIT_SCALE: Final = 1e6


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run, except the data and the randomness.

    The defaults are xornet's recommended setting for XOR, chosen by measurement over 1,000
    random starts (``bench/choose_default.py``): the post's sigmoid network, standard normal
    initialisation and plain gradient descent, but with 8 hidden units and learning rate 1.0.
    It solves XOR from every one of the 1,000 starts. ``PRESETS["post"]`` is the post's own.

    Parameters
    ----------
    hidden : int
        Hidden units ``h`` (1 to 100,000).
    shortcut : bool
        Also connect the inputs straight to the output (``W3``), as the 1986 paper's 2-1-1
        XOR network does.
    activation : {"sigmoid", "tanh", "relu"}
        Hidden activation.
    init : {"normal", "glorot", "he", "uniform"}
        Weight initialisation (see :func:`xornet.init_params`).
    init_scale : float
        The range ``r`` of the uniform initialisation (up to ``MAX_INIT_SCALE``, 1e6).
    loss : {"bce", "sse"}
        Mean cross-entropy (the post's binary cross-entropy; with more than two classes, the
        softmax cross-entropy) or the total squared error of the 1986 experiments,
        ``1/2 sum((p - y)^2)`` (two classes only).
    optimizer : {"gd", "momentum", "adam"}
    learning_rate : float
        Step size (> 0).
    momentum, nesterov : float, bool
        Settings of the momentum optimizer.
    beta1, beta2, eps : float
        Settings of Adam.
    steps : int
        Maximum number of parameter updates.
    batch_size : int or None
        Samples per update; None for the full batch (the post), 1 for one pattern at a time.
    shuffle : bool
        With mini-batches, reshuffle the samples at each epoch (False: a fixed order).
    record_every : int
        Record the loss every ``record_every`` steps (100, like the post).
    tol : float or None
        Stop once the loss is at most ``tol``; None never stops early on the loss.
    stop_when_correct : bool
        Stop once every sample is on the right side of 0.5 (by at least ``margin``); with more
        than two classes, once every sample's own class is the most probable.
    start : {"random", "post"}
        The start weights: drawn with ``init`` from the run's ``rng``, or (``post``, the
        ``post`` preset's) what the post's code draws after ``np.random.seed(seed)``, for
        which the run's ``rng`` must be that integer seed (normal init, no shortcut).
    margin : float
        In [0, 0.5). A sample counts as right for the stop rule, and for the first step at
        which every sample is right, only when its output is beyond ``0.5 +- margin``: 0.1 is
        the "40-20-40" rule (0 in the lower 40% of the range, 1 in the upper 40%). With more
        classes, its own class must beat every other by ``2 margin``.
    """

    hidden: int = 8  # hidden units h
    shortcut: bool = False  # inputs also wired straight to the output (W3)
    activation: str = "sigmoid"  # hidden activation: sigmoid | tanh | relu
    init: str = "normal"  # weight initialisation: normal (the post) | glorot | he | uniform
    init_scale: float = 1.0  # uniform only: weights and biases from U(-init_scale, init_scale)
    loss: str = "bce"  # bce (the post: mean cross-entropy) | sse (1/2 sum of squared errors)
    optimizer: str = "gd"  # gd (the post) | momentum | adam
    learning_rate: float = 1.0
    momentum: float = 0.9  # momentum only
    nesterov: bool = False  # momentum only
    beta1: float = 0.9  # adam only
    beta2: float = 0.999  # adam only
    eps: float = 1e-8  # adam only
    steps: int = 10_000  # maximum number of parameter updates
    batch_size: int | None = None  # None: full batch (the post); 1: one pattern at a time
    shuffle: bool = True  # mini-batch: reshuffle the samples each epoch (False: fixed order)
    record_every: int = 100  # record the loss every k steps, like the post
    tol: float | None = 0.01  # stop once the loss is at most tol (None: never)
    stop_when_correct: bool = False  # stop once every sample is on the right side of 0.5
    margin: float = 0.0  # "right side" means beyond 0.5 +- margin (0.1: the 40-20-40 rule)
    start: str = "random"  # start weights: random (init from rng) | post (np.random.seed(s))

    def __post_init__(self) -> None:
        def bad(field: str, why: str) -> XornetError:
            return XornetError(f"{field}: {why}, got {quoted(getattr(self, field))}")

        for name, kinds in _FIELD_TYPES.items():
            value = getattr(self, name)
            wrong_bool = isinstance(value, bool) and bool not in kinds
            if wrong_bool or not isinstance(value, kinds):
                names: dict[type, str] = {numbers.Integral: "an integer", numbers.Real: "a number"}
                expected = " or ".join(names.get(k, "None" if k is type(None) else k.__name__)
                                       for k in kinds)  # fmt: skip
                raise bad(name, f"must be {expected}")
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                continue
            # A real field stores a float (10**30 given as an int included), an integer field
            # an int; a number too large for a float is refused here, not deep in training.
            try:
                stored = int(value) if numbers.Integral in kinds else float(value)  # type: ignore[call-overload]
            except OverflowError:
                raise bad(name, "is too large") from None
            object.__setattr__(self, name, stored)

        if not 1 <= self.hidden <= MAX_HIDDEN:
            raise bad("hidden", f"must be from 1 to {MAX_HIDDEN}")
        if self.activation not in ACTIVATIONS:
            raise bad("activation", f"must be one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            raise bad("init", f"must be one of {', '.join(INITS)}")
        if not (math.isfinite(self.init_scale) and self.init_scale > 0):
            raise bad("init_scale", "must be a positive number")
        if self.init_scale > MAX_INIT_SCALE:
            raise bad("init_scale", f"must be at most {MAX_INIT_SCALE:g}")
        if self.loss not in LOSS_NAMES:
            raise bad("loss", f"must be one of {', '.join(LOSS_NAMES)}")
        if not 0 <= self.margin < 0.5:
            raise bad("margin", "must be in [0, 0.5)")
        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", f"must be one of {', '.join(OPTIMIZERS)}")
        if not (math.isfinite(self.learning_rate) and self.learning_rate > 0):
            raise bad("learning_rate", "must be a positive finite number")
        if not 0 <= self.momentum < 1:
            raise bad("momentum", "must be in [0, 1)")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise bad(name, "must be in [0, 1)")
        if not (math.isfinite(self.eps) and self.eps > 0):
            raise bad("eps", "must be a positive number")
        if not 0 <= self.steps <= MAX_STEPS:
            raise bad("steps", f"must be from 0 to {MAX_STEPS:.0e}")
        if self.batch_size is not None and not 1 <= self.batch_size <= MAX_STEPS:
            raise bad("batch_size", "must be at least 1 (or None for full batch)")
        if not 1 <= self.record_every <= MAX_STEPS:
            raise bad("record_every", f"must be from 1 to {MAX_STEPS:.0e}")
        if self.tol is not None and not (math.isfinite(self.tol) and self.tol >= 0):
            raise bad("tol", "must be a finite number >= 0")
        if self.start not in STARTS:
            raise bad("start", f"must be one of {', '.join(STARTS)}")
        if self.start == "post" and (self.init != "normal" or self.shortcut):
            raise XornetError(
                "start: the post's starts are its normal weights without a shortcut; "
                f"got init {self.init!r}{' with a shortcut' if self.shortcut else ''} "
                "(use start 'random' for other starts)"
            )

    def new_optimizer(self) -> Optimizer:
        """A fresh optimizer (zero state) with this configuration's settings.

        Returns
        -------
        Optimizer
        """
        return make_optimizer(
            self.optimizer,
            self.learning_rate,
            momentum=self.momentum,
            nesterov=self.nesterov,
            beta1=self.beta1,
            beta2=self.beta2,
            eps=self.eps,
        )

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dictionary."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise XornetError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        return cls(**values)


#: Named configurations. ``post``: the study post exactly (2 hidden units, plain gradient
#: descent at learning rate 0.01 for 200,000 steps, no early stop, the post's start weights).
PRESETS: Final[dict[str, TrainConfig]] = {
    "default": TrainConfig(),
    "post": TrainConfig(hidden=2, learning_rate=0.01, steps=200_000, tol=None, start="post"),
}


def stop_reason_of(code: int) -> str:
    """The name of a compiled engine's stop code: ``max_steps`` for a run that is still
    running at its step limit, else ``tolerance``, ``all_correct`` or ``diverged``."""
    for name, value in STOP_CODES.items():
        if value == code:
            return "max_steps" if name == "running" else name
    raise ValueError(f"unknown stop code {code}")


def batch_schedule(n_samples: int, batch_size: int | None) -> tuple[int, int]:
    """The batch size and the number of batches in an epoch.

    Parameters
    ----------
    n_samples : int
    batch_size : int or None
        None (or anything at least ``n_samples``) for the full batch.

    Returns
    -------
    batch : int
        Samples per update; the last batch of an epoch may be smaller.
    per_epoch : int
        Updates per epoch, ``ceil(n_samples / batch)``; 1 is the full batch.
    """
    batch = n_samples if batch_size is None else min(batch_size, n_samples)
    return batch, -(-n_samples // batch)


#: The most loss records one run keeps (one before every ``record_every``-th step from step 0:
#: ``ceil(steps / record_every)``): 40 MB as an array, which a model file's state holds.
#: Beyond it a run's memory grows without end (a record a step of a 1e10-step run) and its
#: model file could not be written after the training.
MAX_RECORDS: Final = 5_000_000


def records_kept(steps: int, record_every: int) -> int:
    """How many loss records a run of ``steps`` steps keeps: one at steps 0, k, 2k, ... below
    the last (``k = record_every``)."""
    return -(-steps // record_every)


def check_records(config: TrainConfig) -> None:
    """Refuse a run that would keep more than :data:`MAX_RECORDS` loss records.

    Raises
    ------
    XornetError
        Starting ``record_every:`` (the command line names its flag), with the smallest
        ``record_every`` that fits.
    """
    records = records_kept(config.steps, config.record_every)
    if records > MAX_RECORDS:
        least = -(-config.steps // MAX_RECORDS)
        raise XornetError(
            f"record_every: a run of {config.steps:,} steps recording its loss every "
            f"{config.record_every:,} keeps {records:,} records, more than the {MAX_RECORDS:,} "
            f"a run keeps; record every {least:,} steps or more"
        )


def epochs_of(steps: int | IntArray, n_samples: int, batch_size: int | None) -> Array:
    """The epochs (passes over the samples) that ``steps`` updates make: the 1986 PDP's unit.

    With the full batch one update is an epoch; one pattern at a time (``batch_size=1``),
    ``n_samples`` updates are; in general an epoch is :func:`batch_schedule`'s ``per_epoch``
    updates (``steps * batch_size / n_samples`` when the batch divides the samples; the last,
    smaller batch of an epoch counts as one update).

    Parameters
    ----------
    steps : int or ndarray of int
        Updates.
    n_samples : int
    batch_size : int or None

    Returns
    -------
    ndarray of float
        Of ``steps``' shape (0-d for an int); whole for a step at an epoch's start, where
        the stop rules and the loss criterion are checked
        (:attr:`xornet.ManyResult.target_step`).
    """
    return np.asarray(steps, dtype=np.float64) / batch_schedule(n_samples, batch_size)[1]


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` as an int, if it is one that every start accepts (0 to ``MAX_SEED``).

    Raises
    ------
    XornetError
        Naming ``name``, for anything else (negative, too large, not an integer).
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise XornetError(f"{name} must be an integer from 0 to {MAX_SEED}, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise XornetError(f"{name} must be from 0 to {MAX_SEED} (2**32 - 1), got {seed}")
    return int(seed)


def start_params(config: TrainConfig, n_features: int, n_classes: int, rng: RngLike) -> Params:
    """A run's start weights.

    Parameters
    ----------
    config : TrainConfig
        Its ``start``, ``init``, ``init_scale``, ``hidden`` and ``shortcut``.
    n_features, n_classes : int
    rng : None, int or numpy.random.Generator
        With ``start == "random"``, the randomness for :func:`xornet.init_params` (a Generator
        is advanced). With ``start == "post"``, the integer the post passes to
        ``np.random.seed``.

    Returns
    -------
    Params
    """
    if config.start == "post":
        if not isinstance(rng, numbers.Integral) or isinstance(rng, bool):
            raise XornetError("the post's start weights need an integer seed as rng")
        return start_params_many(config, n_features, n_classes, [int(rng)])[0]
    return init_params(n_features, config.hidden, config.init, as_generator(rng),
                       config.init_scale, n_classes=n_classes,
                       shortcut=config.shortcut)  # fmt: skip


def start_params_many(
    config: TrainConfig, n_features: int, n_classes: int, seeds: Sequence[int] | np.ndarray
) -> list[Params]:
    """:func:`start_params` for each seed: what ``train(..., rng=seed)`` starts from."""
    for seed in seeds:
        check_seed(seed)
    if config.start == "post":
        return post_initial_params_many([int(s) for s in seeds], config.hidden, n_features,
                                        n_classes=n_classes)  # fmt: skip
    return [start_params(config, n_features, n_classes, int(seed)) for seed in seeds]


# The settings that only some runs read, and when they do: the rest of a configuration
# applies to every run. A plain gradient-descent run has no momentum and no Adam betas.
_APPLIES_WHEN: Final[dict[str, Callable[[dict[str, Any]], bool]]] = {
    "momentum": lambda c: c.get("optimizer") == "momentum",
    "nesterov": lambda c: c.get("optimizer") == "momentum",
    "beta1": lambda c: c.get("optimizer") == "adam",
    "beta2": lambda c: c.get("optimizer") == "adam",
    "eps": lambda c: c.get("optimizer") == "adam",
    "init_scale": lambda c: c.get("init") == "uniform",
    "shuffle": lambda c: c.get("batch_size") is not None,
}


def settings_that_apply(config: dict[str, Any]) -> dict[str, Any]:
    """The settings of a configuration that its run reads, in their order.

    Momentum's settings only with the momentum optimizer, Adam's only with Adam,
    ``init_scale`` only with the uniform initialisation, ``shuffle`` only with mini-batches;
    every other key is kept (the playground's own settings included).

    Parameters
    ----------
    config : dict
        As :meth:`xornet.TrainConfig.to_dict` gives it.

    Returns
    -------
    dict
    """
    return {k: v for k, v in config.items() if k not in _APPLIES_WHEN or _APPLIES_WHEN[k](config)}
