"""A training run: the :class:`Trainer`, which owns it, and :func:`train`, which runs one.

A :class:`Trainer` holds everything a run is: the parameters, the optimizer's state, the step
counter, the batch order, the loss record and the stop rules. :meth:`Trainer.step` is the
post's loop body; :meth:`Trainer.run` repeats it (or hands a stretch to the compiled engine);
:meth:`Trainer.state` and :meth:`Trainer.resume` save and continue a run. Every front end
(``train``, explain, the animation, the playground, the estimator, the CLI) drives a Trainer
and keeps no loop of its own. The rules the run follows live in :mod:`xornet.config`.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from xornet._rng import RngLike, as_generator
from xornet._typing import Array, IntArray
from xornet.config import (
    PRESETS,
    StopReason,
    TrainConfig,
    batch_schedule,
    check_records,
    check_seed,
    start_params,
)
from xornet.data import check_Xy, infer_n_classes
from xornet.diagnosis import Outcome, all_correct, diagnose, predicted_class
from xornet.errors import TrainingDiverged, XornetError
from xornet.network import Cache, backward, forward, loss, output_probabilities
from xornet.optim import Optimizer
from xornet.params import Params

__all__ = [
    "PRESETS",
    "TrainConfig",
    "TrainResult",
    "TrainState",
    "Trainer",
    "train",
]

#: ``callback(step, loss)``, called with each new loss record; True stops the run there.
Callback = Callable[[int, float], bool | None]


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
    loops : tuple of str
        The numba engine's loops that ran, first-run first (:data:`.engines.fused.LOOPS`).
    compile_seconds : float
        Wall time of loading the numba engine before the loop: compiling it, the first time
        on a machine, or reading it from the disk cache (0 with the NumPy engine).
    X : ndarray of shape (n_samples, n_features) or None
    y : ndarray of shape (n_samples,) or None
        The data trained on, for the truth table a notebook shows (None when not given).
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
    compile_seconds: float = 0.0
    loops: tuple[str, ...] = ()
    X: Array | None = None
    y: Array | None = None

    def _repr_html_(self) -> str:
        from xornet._html import result_html

        return result_html(self)

    def __repr__(self) -> str:
        return (
            f"TrainResult(steps={self.steps}, stop_reason={self.stop_reason!r}, "
            f"final_loss={self.final_loss:.6g}, accuracy={self.accuracy:.3f}, "
            f"outcome={self.outcome.kind!r})"
        )


@dataclass(frozen=True, eq=False)
class TrainState:
    """Where a run stands, everything :meth:`Trainer.resume` needs besides its parameters.

    Attributes
    ----------
    step : int
        Updates applied.
    loss_history : ndarray of shape (n_records,)
        The loss records so far.
    stop_reason : str or None
        Why the run ended, or None while it can go on.
    optimizer : dict
        The optimizer's state (:meth:`xornet.optim.GD.get_state` and its kin).
    rng : dict
        The shuffling generator's ``bit_generator.state``.
    order : ndarray of shape (n_samples,), int
        The current epoch's batch order.
    order_epoch : int
        The epoch ``order`` was drawn for (-1: none drawn).
    """

    step: int
    loss_history: Array
    stop_reason: str | None
    optimizer: dict[str, Any]
    rng: dict[str, Any]
    order: IntArray
    order_epoch: int


class Trainer:
    """One training run of a two-layer network on ``(X, y)``, resumable.

    One *step* is one parameter update. With ``batch_size=None`` every step uses all samples
    (the post); otherwise the samples are split into batches, reshuffled at the start of each
    epoch when ``config.shuffle``. Before each epoch's first update (every step in full batch)
    the stop rules (``tol``, ``stop_when_correct``) are checked on the full data, and every
    ``record_every`` steps the full-data loss is recorded, before that step's update.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices: 0 or 1 for the post's network (one sigmoid output); ``0 .. K-1`` for
        ``K >= 3`` classes (one softmax output per class).
    config : TrainConfig, optional
        Defaults to ``TrainConfig()``.
    rng : None, int or numpy.random.Generator
        Randomness for the start weights (when ``params`` is None; see
        :func:`xornet.config.start_params`) and for shuffling.
    params : Params, optional
        Start weights (copied, never modified).
    engine : {"auto", "numpy", "numba"}
        Who runs :meth:`run`'s stretches: ``numpy``, the reference loop; ``numba``, the whole
        loop compiled (the same results to 1e-10, tested); ``auto``, numba when installed and
        the stretch is at least ``AUTO_MIN_STEPS`` long. :meth:`step` is always the reference.
    n_classes : int, optional
        By default from ``params``, else from ``y`` (``max(y) + 1``, every class present).

    Attributes
    ----------
    params : Params
        The current parameters (updated in place).
    optimizer : Optimizer
        With its state (momentum's velocities, Adam's moments).
    steps : int
        Updates applied so far.
    stop_reason : str or None
        None while the run can go on; ``tolerance`` or ``all_correct`` when a stop rule ended
        it, ``max_steps`` at ``config.steps``, ``interrupted`` when a callback stopped it (a
        later :meth:`run` continues).
    train_seconds : float
        Time spent in :meth:`run` and :meth:`step`, not in loading the compiled engine.
    compile_seconds : float
        Time spent loading the compiled engine (compiling it, the first time on a machine).

    Raises
    ------
    DataError
        If ``X`` or ``y`` cannot be trained on.
    XornetError
        If ``params`` do not fit the data or the configuration, or the run would keep more
        than :data:`~xornet.config.MAX_RECORDS` loss records (:func:`~xornet.config.check_records`).
    """

    def __init__(
        self,
        X: Array,
        y: Array,
        config: TrainConfig | None = None,
        *,
        rng: RngLike = None,
        params: Params | None = None,
        engine: str = "auto",
        n_classes: int | None = None,
    ) -> None:
        from xornet.engines import resolve_engine

        config = TrainConfig() if config is None else config
        check_records(config)
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if n_classes is None and params is not None:
            n_classes = params.n_classes
        check_Xy(X, y, n_classes)
        K = infer_n_classes(y) if n_classes is None else n_classes
        if K > 2 and config.loss == "sse":
            raise XornetError("loss 'sse' needs two classes (one sigmoid output); use 'bce'")
        resolve_engine(engine)  # an unknown name, or numba missing, fails here, not mid-run
        if (config.start == "post" and params is None) or isinstance(rng, int | np.integer):
            check_seed(rng, "rng")  # the one rule for seeds, whatever the start
        self.X, self.y, self.config, self.n_classes, self.engine = X, y, config, K, engine
        self._gen = as_generator(rng)
        d = X.shape[1]
        if params is None:
            params = start_params(config, d, K, rng if config.start == "post" else self._gen)
        else:
            _check_params(params, config, d, K)
            params = params.copy()
        self.params = params
        self.optimizer: Optimizer = config.new_optimizer()
        self.steps = 0
        self.stop_reason: StopReason | None = None
        self.train_seconds = 0.0
        self.compile_seconds = 0.0
        self.engines_run: set[str] = set()
        self.loops_run: dict[str, None] = {}  # the compiled loops, in the order they first ran
        self._history: list[float] = []
        self._batch, self._per_epoch = batch_schedule(X.shape[0], config.batch_size)
        self._order: IntArray = np.arange(X.shape[0], dtype=np.int64)
        self._order_epoch = -1

    def __repr__(self) -> str:
        return (
            f"Trainer(steps={self.steps}/{self.config.steps}, stop_reason={self.stop_reason!r}, "
            f"records={len(self._history)})"
        )

    @property
    def loss_history(self) -> Array:
        """The loss records so far, of shape (n_records,): record ``i`` is at step ``i k``."""
        return np.array(self._history, dtype=np.float64)

    @property
    def finished(self) -> bool:
        """Whether the run has ended (a stop rule, or ``config.steps``); an interrupted run
        has not."""
        return self.stop_reason not in (None, "interrupted")

    # ------------------------------------------------------------------ the loop

    def step(self) -> bool:
        """Take one step with the reference code, as the post's loop body does.

        Returns
        -------
        bool
            False, taking no step, when the run has ended (a stop rule or ``config.steps``).

        Raises
        ------
        TrainingDiverged
            If the loss or the weights stop being finite.
        """
        if self.finished or self.steps >= self.config.steps:
            self._finish()
            return False
        start = time.perf_counter()
        taken = self._numpy_steps(self.steps + 1, None)
        self.train_seconds += time.perf_counter() - start
        self.engines_run.add("numpy")
        return taken

    def run(self, until: int | None = None, callback: Callback | None = None) -> Trainer:
        """Train until step ``until`` (default ``config.steps``) or a stop rule.

        A stretch goes to the compiled engine when :attr:`engine` chooses it; either way the
        records, stop rules and batch order are the same, and the run can be continued.

        Parameters
        ----------
        until : int, optional
            The step to stop at (at most ``config.steps``).
        callback : callable, optional
            ``callback(step, loss)`` with each new loss record: at every record with the
            NumPy engine, after each compiled chunk of a few milliseconds with numba. True
            stops the run there with stop reason ``interrupted`` (the CLI's Ctrl-C).

        Returns
        -------
        Trainer
            This trainer, so that ``Trainer(...).run().result()`` reads as one line.

        Raises
        ------
        TrainingDiverged
            If the loss or the weights stop being finite; the message names the step.
        """
        from xornet.engines import resolve_engine

        until = self.config.steps if until is None else min(int(until), self.config.steps)
        if self.finished:
            return self
        self.stop_reason = None
        chosen = resolve_engine(self.engine, until - self.steps)
        compiling = 0.0
        if chosen == "numba" and self.steps < until:
            from xornet.engines import fused

            start = time.perf_counter()  # compiling, the first time on a machine, or reading
            fused.load(self.X, self.y, self.config, self.params, until - self.steps)
            self.compile_seconds += time.perf_counter() - start
        start = time.perf_counter()
        if chosen == "numba" and self.steps < until:
            compiling = self._numba_steps(until, callback)
        else:
            self._numpy_steps(until, callback)
        self.train_seconds += time.perf_counter() - start - compiling
        self.compile_seconds += compiling
        self.engines_run.add(chosen)
        self._finish()
        return self

    def _finish(self) -> None:
        if self.stop_reason is None and self.steps >= self.config.steps:
            self.stop_reason = "max_steps"

    def _numpy_steps(self, until: int, callback: Callback | None) -> bool:
        """The reference loop, up to step ``until``; False when a rule or callback stopped it."""
        config, params = self.config, self.params
        # Any overflow or invalid operation raises at once, so divergence is reported at its
        # step instead of surfacing later as a NaN (or as a RuntimeWarning).
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            try:
                while self.steps < until:
                    Xb, yb = self._batch_now()
                    cache = forward(params, Xb, config.activation)  # Z1, H, Z2, P
                    if self._evaluate(cache, callback):
                        return False
                    grads = backward(params, cache, yb, config.loss)  # the seven steps
                    self.optimizer.step(params, grads)  # param -= lr * grad
                    self.steps += 1
            except FloatingPointError:
                raise TrainingDiverged.at(self.steps, config.learning_rate) from None
        return True

    def next_rows(self) -> IntArray | None:
        """The rows of :attr:`X` that the next step trains on; None for the full batch.

        Nothing changes: when the next step starts a shuffled epoch, its order is drawn from
        a copy of the run's generator, which gives the numbers the step itself will draw
        (:func:`xornet.explain.explain_next` shows that step).

        Returns
        -------
        ndarray of int64, shape (batch,), or None
        """
        if self._per_epoch == 1:
            return None
        return self._rows(copy.deepcopy(self._gen), keep=False)

    def _batch_now(self) -> tuple[Array, Array]:
        """The batch of the current step (drawing the epoch's order when it starts one)."""
        if self._per_epoch == 1:
            return self.X, self.y
        rows = self._rows(self._gen, keep=True)
        return self.X[rows], self.y[rows]

    def _rows(self, gen: np.random.Generator, keep: bool) -> IntArray:
        """The current step's rows, drawing a new epoch's order from ``gen`` (kept if ``keep``)."""
        epoch, position = divmod(self.steps, self._per_epoch)
        order = self._order
        if self.config.shuffle and epoch != self._order_epoch:
            order = gen.permutation(self.X.shape[0])
            if keep:
                self._order, self._order_epoch = order, epoch
        return order[position * self._batch : (position + 1) * self._batch]

    def _evaluate(self, cache: Cache, callback: Callback | None) -> bool:
        """Record the loss and check the stop rules where this step calls for it (on the full
        data; ``cache`` is the batch's forward pass, reused in full batch). True: stop here.

        Safe to repeat at the same step (a resumed run): a record is taken once."""
        config, s = self.config, self.steps
        epoch_start = s % self._per_epoch == 0
        record = s % config.record_every == 0 and len(self._history) == s // config.record_every
        if not (epoch_start or record):
            return False
        full = cache if self._per_epoch == 1 else forward(self.params, self.X, config.activation)
        current = loss(full, self.y, config.loss)
        if not math.isfinite(current):
            raise FloatingPointError
        if epoch_start:
            if config.tol is not None and current <= config.tol:
                self.stop_reason = "tolerance"
            elif config.stop_when_correct and all_correct(
                output_probabilities(full.P), self.y, config.margin
            ):
                self.stop_reason = "all_correct"
        if record:
            self._history.append(current)
            if self.stop_reason is None and callback is not None and callback(s, current):
                self.stop_reason = "interrupted"
        return self.stop_reason is not None

    def _numba_steps(self, until: int, callback: Callback | None) -> float:
        """A stretch of the run compiled (:func:`xornet.engines.fused.advance`); returns the
        seconds it spent compiling the loop written out for the run's shape."""
        from xornet.engines import fused

        stretch = fused.advance(self.X, self.y, self.config, self.params, self.optimizer,
                                self.steps, until, len(self._history), self._order,
                                self._order_epoch, self._gen, callback)  # fmt: skip
        self.steps = stretch.steps
        self._history.extend(stretch.records)
        self._order_epoch = stretch.order_epoch
        if stretch.stop == "diverged":
            raise TrainingDiverged.at(self.steps, self.config.learning_rate)
        self.stop_reason = stretch.stop  # type: ignore[assignment]
        self.loops_run[stretch.loop] = None
        return stretch.compile_seconds

    # ------------------------------------------------------------------ results and state

    def result(self) -> TrainResult:
        """The run as it stands: final loss, probabilities, accuracy and the diagnosis.

        Raises
        ------
        TrainingDiverged
            If the parameters are no longer finite.
        """
        config = self.config
        with np.errstate(over="ignore", invalid="ignore"):
            final = forward(self.params, self.X, config.activation)
            final_loss = loss(final, self.y, config.loss)
        if not (math.isfinite(final_loss) and self.params.all_finite()):
            raise TrainingDiverged.at(self.steps, config.learning_rate)
        losses = self.loss_history
        probabilities = output_probabilities(final.P).copy()
        self._finish()
        return TrainResult(
            params=self.params.copy(),
            config=config,
            loss_history=losses,
            history_steps=np.arange(losses.size, dtype=np.int64) * config.record_every,
            steps=self.steps,
            stop_reason=self.stop_reason or "interrupted",
            final_loss=final_loss,
            probabilities=probabilities,
            accuracy=float(np.mean(predicted_class(probabilities) == self.y)),
            outcome=diagnose(
                probabilities,
                self.y,
                np.append(losses, final_loss),
                kind=config.loss,
                config=config,
            ),
            train_seconds=self.train_seconds,
            engine="numba" if "numba" in self.engines_run else "numpy",
            compile_seconds=self.compile_seconds,
            loops=tuple(self.loops_run),
            X=self.X,
            y=self.y,
        )

    def state(self) -> TrainState:
        """Where the run stands (with :attr:`params`, all that :meth:`resume` needs)."""
        return TrainState(
            step=self.steps,
            loss_history=self.loss_history,
            stop_reason=self.stop_reason,
            optimizer=self.optimizer.get_state(),
            rng=dict(self._gen.bit_generator.state),
            order=self._order.copy(),
            order_epoch=self._order_epoch,
        )

    @classmethod
    def resume(
        cls,
        X: Array,
        y: Array,
        config: TrainConfig,
        params: Params,
        state: TrainState,
        *,
        engine: str = "auto",
    ) -> Trainer:
        """A trainer that continues a run from its parameters and :meth:`state`.

        ``config`` may differ from the saved run's in ``steps`` (to train longer) and in the
        stop rules; the rest should be the run's own. A run continued this way takes the same
        steps as one that was never stopped (tested). The saved stop reason is not restored:
        the stop rules are checked again at the saved step, so a run that stopped at a
        tolerance stops there again under the same rule and goes on under a looser one.

        Raises
        ------
        XornetError
            If the state does not fit the data, the parameters or the optimizer.
        """
        trainer = cls(X, y, config, params=params, engine=engine)
        n = trainer.X.shape[0]
        order = np.asarray(state.order, dtype=np.int64)
        if order.shape != (n,) or not np.array_equal(np.sort(order), np.arange(n)):
            raise XornetError(f"the saved batch order is not an order of {n} samples")
        k, records = config.record_every, len(state.loss_history)
        if state.step < 0 or not -(-state.step // k) <= records <= state.step // k + 1:
            raise XornetError(
                f"the saved state's step ({state.step}) and its {records} loss records do not "
                f"agree with recording every {k} steps"
            )
        trainer.steps = int(state.step)
        trainer._history = [float(v) for v in state.loss_history]
        try:
            trainer.optimizer.set_state(state.optimizer, params)
        except ValueError as error:
            raise XornetError(str(error)) from None
        trainer._gen.bit_generator.state = state.rng
        trainer._order, trainer._order_epoch = order, int(state.order_epoch)
        return trainer


def _check_params(params: Params, config: TrainConfig, n_features: int, n_classes: int) -> None:
    """That given start weights fit the data and the configuration."""
    if params.n_classes != n_classes:
        raise XornetError(f"params are for {params.n_classes} classes but n_classes is {n_classes}")
    if params.n_inputs != n_features:
        raise XornetError(f"params expect {params.n_inputs} features but X has {n_features}")
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
    """Train a two-layer network on ``(X, y)``: ``Trainer(...).run(callback=...).result()``.

    Parameters
    ----------
    X, y, config, rng, params, engine, n_classes
        As :class:`Trainer`.
    callback : callable, optional
        As :meth:`Trainer.run`.

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
    trainer = Trainer(X, y, config, rng=rng, params=params, engine=engine, n_classes=n_classes)
    return trainer.run(callback=callback).result()
