"""Training: a frozen configuration, the fit loop, and its result.

``train(X, y, config)`` reads top to bottom: draw (or take) initial parameters, build the
optimizer, then for each step run forward, record, check the stop rules, run backward and update.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np

from xornet._names import LOSS_NAMES
from xornet._rng import RngLike, as_generator
from xornet._typing import Array, IntArray
from xornet.data import check_Xy, infer_n_classes
from xornet.diagnosis import Outcome, all_correct, diagnose, predicted_class
from xornet.errors import TrainingDiverged, XornetError
from xornet.functional import ACTIVATIONS
from xornet.network import backward, forward, loss
from xornet.optim import OPTIMIZERS, Optimizer, make_optimizer
from xornet.params import INITS, Params, init_params

__all__ = ["PRESETS", "StopReason", "TrainConfig", "TrainResult", "train"]

StopReason = Literal["max_steps", "tolerance", "all_correct", "interrupted"]

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
}

#: Largest accepted values, to turn absurd settings into a clear error instead of a hang.
MAX_HIDDEN: Final = 100_000
MAX_STEPS: Final = 10**10


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
        The range ``r`` of the uniform initialisation.
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

    def __post_init__(self) -> None:
        def bad(field: str, why: str) -> XornetError:
            return XornetError(f"{field}: {why}, got {getattr(self, field)!r}")

        for name, kinds in _FIELD_TYPES.items():
            value = getattr(self, name)
            wrong_bool = isinstance(value, bool) and bool not in kinds
            if wrong_bool or not isinstance(value, kinds):
                names: dict[type, str] = {numbers.Integral: "an integer", numbers.Real: "a number"}
                expected = " or ".join(names.get(k, "None" if k is type(None) else k.__name__)
                                       for k in kinds)  # fmt: skip
                raise bad(name, f"must be {expected}")
            if isinstance(value, numbers.Integral) and not isinstance(value, bool):
                object.__setattr__(self, name, int(value))
            elif isinstance(value, numbers.Real) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))

        if not 1 <= self.hidden <= MAX_HIDDEN:
            raise bad("hidden", f"must be from 1 to {MAX_HIDDEN}")
        if self.activation not in ACTIVATIONS:
            raise bad("activation", f"must be one of {', '.join(ACTIVATIONS)}")
        if self.init not in INITS:
            raise bad("init", f"must be one of {', '.join(INITS)}")
        if not (math.isfinite(self.init_scale) and self.init_scale > 0):
            raise bad("init_scale", "must be a positive number")
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
        if self.batch_size is not None and self.batch_size < 1:
            raise bad("batch_size", "must be at least 1 (or None for full batch)")
        if self.record_every < 1:
            raise bad("record_every", "must be at least 1")
        if self.tol is not None and not (math.isfinite(self.tol) and self.tol >= 0):
            raise bad("tol", "must be a finite number >= 0 (or None)")

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
#: descent at learning rate 0.01 for 200,000 steps, no early stop).
PRESETS: Final[dict[str, TrainConfig]] = {
    "default": TrainConfig(),
    "post": TrainConfig(hidden=2, learning_rate=0.01, steps=200_000, tol=None),
}


@dataclass(frozen=True, eq=False)
class TrainResult:
    """What a training run produced.

    Attributes
    ----------
    params : Params
        Final parameters.
    config : TrainConfig
    loss_history : ndarray of shape (n_records,)
        Full-data loss before the update of each recorded step (the post's ``loss_trace``).
    history_steps : ndarray of shape (n_records,)
        The step of each record: ``0, k, 2k, ...`` for ``record_every = k``.
    steps : int
        Number of parameter updates applied.
    stop_reason : {"max_steps", "tolerance", "all_correct", "interrupted"}
    final_loss : float
        Loss of the final parameters.
    probabilities : ndarray of shape (n_samples,) or (n_samples, n_classes)
        Output of the final parameters for each training sample: the probability of class 1
        (two classes) or of each class.
    accuracy : float
        Fraction of samples whose predicted class is their label.
    outcome : Outcome
        The plain-words diagnosis.
    train_seconds : float
        Wall time of the training loop (not of loading the numba engine).
    engine : {"numpy", "numba"}
        The engine that ran.
    """

    params: Params
    config: TrainConfig
    loss_history: Array
    history_steps: IntArray
    steps: int
    stop_reason: StopReason
    final_loss: float
    probabilities: Array
    accuracy: float
    outcome: Outcome
    train_seconds: float
    engine: str = "numpy"

    def __repr__(self) -> str:
        return (
            f"TrainResult(steps={self.steps}, stop_reason={self.stop_reason!r}, "
            f"final_loss={self.final_loss:.6g}, accuracy={self.accuracy:.3f}, "
            f"outcome={self.outcome.kind!r})"
        )


Callback = Callable[[int, float], bool | None]


def train(
    X: Array,
    y: Array,
    config: TrainConfig | None = None,
    *,
    rng: RngLike = None,
    params: Params | None = None,
    callback: Callback | None = None,
    engine: str = "auto",
    n_classes: int | None = None,
) -> TrainResult:
    """Train a two-layer network on ``(X, y)``.

    One *step* is one parameter update. With ``batch_size=None`` every step uses all samples
    (the post); otherwise the samples are split into batches, reshuffled at the start of each
    epoch when ``config.shuffle``. The stop rules (``tol``, ``stop_when_correct``) are checked on
    the full data before each epoch's first update, which in full-batch mode is every step.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices: 0 or 1 for the post's network (one sigmoid output); ``0 .. K-1`` for
        ``K >= 3`` classes (one softmax output per class).
    config : TrainConfig, optional
        Defaults to ``TrainConfig()``.
    rng : None, int or numpy.random.Generator
        Randomness for the initial parameters (when ``params`` is None) and for shuffling.
    params : Params, optional
        Initial parameters (copied, never modified). Drawn with ``config.init`` when None.
    callback : callable, optional
        ``callback(step, loss)`` is called with the latest record (its step and loss):
        at every record with the NumPy engine, after each compiled chunk of a few milliseconds
        with numba. Returning True stops training cleanly there, with stop reason
        ``"interrupted"`` (the CLI uses this for Ctrl-C).
    engine : {"numpy", "numba", "auto"}
        ``"numpy"``: the reference loop. ``"numba"``: the whole loop compiled (same results to
        1e-10, tested). ``"auto"``: numba when installed and ``config.steps`` is at least
        20,000 (below that, loading numba costs more than it saves).
    n_classes : int, optional
        The number of classes. By default it is taken from ``params`` when given, else from
        ``y`` (``max(y) + 1``, at least 2, every class present); pass it to train on data that
        lacks some classes.

    Returns
    -------
    TrainResult

    Raises
    ------
    DataError
        If ``X`` or ``y`` cannot be trained on (shapes, non-finite values, labels that are not
        class indices, a class with no sample when the number of classes is inferred).
    TrainingDiverged
        If the loss or the weights stop being finite; the message names the step.
    """
    from xornet.engines import resolve_engine

    config = TrainConfig() if config is None else config
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if n_classes is None and params is not None:
        n_classes = params.n_classes
    check_Xy(X, y, n_classes)
    K = infer_n_classes(y) if n_classes is None else n_classes
    if K > 2 and config.loss == "sse":
        raise XornetError("loss 'sse' needs two classes (one sigmoid output); use 'bce'")
    chosen = resolve_engine(engine, config.steps)
    d = X.shape[1]
    gen = as_generator(rng)
    if params is None:
        params = init_params(d, config.hidden, config.init, gen, config.init_scale, n_classes=K,
                             shortcut=config.shortcut)  # fmt: skip
    else:
        if params.n_classes != K:
            raise XornetError(f"params are for {params.n_classes} classes but n_classes is {K}")
        if params.n_inputs != d:
            raise XornetError(f"params expect {params.n_inputs} features but X has {d}")
        if params.shortcut != config.shortcut:
            raise XornetError(
                f"params {'have' if params.shortcut else 'lack'} shortcut weights but "
                f"config.shortcut is {config.shortcut}"
            )
        if params.n_hidden != config.hidden:
            raise XornetError(
                f"params have {params.n_hidden} hidden units but config.hidden is {config.hidden}"
            )
        if not params.all_finite():
            raise XornetError("initial params contain non-finite values")
        params = params.copy()

    if chosen == "numba":
        from xornet.engines import fused

        fused.load()  # the first time in a process this takes about a second: not training
    start = time.perf_counter()
    if chosen == "numba":
        steps, stop_reason, losses = fused.run_loop(X, y, config, params, gen, callback)
    else:
        steps, stop_reason, losses = _numpy_loop(X, y, config, params, gen, callback)
    final = forward(params, X, config.activation)
    final_loss = loss(final, y, config.loss)
    seconds = time.perf_counter() - start
    if not (math.isfinite(final_loss) and params.all_finite()):
        raise TrainingDiverged.at(steps, config.learning_rate)

    probabilities = final.P[:, 0].copy() if K == 2 else final.P.copy()
    return TrainResult(
        params=params,
        config=config,
        loss_history=losses,
        history_steps=np.arange(losses.size, dtype=np.int64) * config.record_every,
        steps=steps,
        stop_reason=stop_reason,
        final_loss=final_loss,
        probabilities=probabilities,
        accuracy=float(np.mean(predicted_class(probabilities) == y)),
        outcome=diagnose(probabilities, y, np.append(losses, final_loss)),
        train_seconds=seconds,
        engine=chosen,
    )


def _numpy_loop(
    X: Array,
    y: Array,
    config: TrainConfig,
    params: Params,
    gen: np.random.Generator,
    callback: Callback | None,
) -> tuple[int, StopReason, Array]:
    """The reference training loop; updates ``params`` in place.

    Returns the number of updates applied, the stop reason and the recorded losses.
    """
    optimizer = config.new_optimizer()
    act = config.activation
    n = X.shape[0]
    batch = n if config.batch_size is None else min(config.batch_size, n)
    per_epoch = -(-n // batch)  # ceil(n / batch)
    full_batch = per_epoch == 1
    order = np.arange(n)
    history: list[float] = []
    stop_reason: StopReason = "max_steps"
    step = 0
    # Any overflow or invalid operation raises at once, so divergence is reported at its step
    # instead of surfacing later as a NaN (or as a RuntimeWarning).
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            while step < config.steps:
                position = step % per_epoch  # which batch of the epoch
                if position == 0 and not full_batch and config.shuffle:
                    order = gen.permutation(n)
                if full_batch:
                    Xb, yb = X, y
                else:
                    rows = order[position * batch : (position + 1) * batch]
                    Xb, yb = X[rows], y[rows]
                cache = forward(params, Xb, act)
                record = step % config.record_every == 0
                if position == 0 or record:
                    full = cache if full_batch else forward(params, X, act)
                    current = loss(full, y, config.loss)
                    if not math.isfinite(current):
                        raise FloatingPointError
                    if record:
                        history.append(current)
                        if callback is not None and callback(step, current):
                            stop_reason = "interrupted"
                            break
                    if position == 0:
                        if config.tol is not None and current <= config.tol:
                            stop_reason = "tolerance"
                            break
                        P = full.P[:, 0] if full.P.shape[1] == 1 else full.P
                        if config.stop_when_correct and all_correct(P, y, config.margin):
                            stop_reason = "all_correct"
                            break
                grads = backward(params, cache, yb, config.loss)
                optimizer.step(params, grads)
                step += 1
        except FloatingPointError:
            raise TrainingDiverged.at(step, config.learning_rate) from None
    return step, stop_reason, np.array(history, dtype=np.float64)
