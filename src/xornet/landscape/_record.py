"""The landscape along a run and at its end (private; see xornet.landscape).

* :class:`LandscapeRecorder`, a callback for :meth:`xornet.Trainer.run`: at each loss record,
  the gradient norm, the weight norm and the lowest and highest Hessian eigenvalue (and the
  parameters, for the path of a slice). Runs without it are as fast as ever.
* :func:`classify_end_state`: a run's end, classified with its trend: the run continued (a
  copy, by :meth:`xornet.Trainer.resume`) to 10 and 100 times its steps.
* :func:`run_with_path`: a run trained in stretches with either engine, its weights kept
  after each (the path for a slice).
* :func:`diagnose_with_landscape`: :func:`xornet.diagnose`'s verdict with what the landscape
  measured at the end of a run that did not solve.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from xornet._typing import Array
from xornet.config import TrainConfig
from xornet.diagnosis import UNMEASURED, Outcome, all_correct
from xornet.errors import XornetError
from xornet.landscape._classify import Classification, Thresholds, Trend, classify_point
from xornet.landscape._hessian import Shape, check_hessian_size, first_order, hessians
from xornet.params import Params

if TYPE_CHECKING:
    from xornet.training import Trainer, TrainState

#: How much longer :func:`classify_end_state` continues a run, by default.
LONGER = (10, 100)

#: The most steps a continued run may reach: 5,000 times the post's 200,000 (about 10 s of
#: the compiled loop for its network), so that a model file claiming a vast step count is
#: refused rather than trained on for hours.
MAX_TREND_STEPS = 10**9


class LandscapeRecorder:
    """Record the landscape at each loss record of a run: ``trainer.run(callback=recorder)``.

    Parameters
    ----------
    trainer : Trainer
        The run to follow. It must run with ``engine="numpy"``: the recorder reads the weights
        at each record, which the compiled loop does not hand out mid-run.
    eigenvalues : bool
        Also the lowest and highest Hessian eigenvalue (one exact Hessian per record).
    path : bool
        Also keep the parameters at each record (for :func:`path_directions` and slices).

    Attributes
    ----------
    steps, losses, gradient_norms, weight_norms : ndarray of shape (n_records,)
    lowest, highest : ndarray of shape (n_records,)
        The extreme eigenvalues (NaN when ``eigenvalues`` is False).
    path : ndarray of shape (n_records, n_params)
        Empty rows when ``path`` is False.
    """

    def __init__(self, trainer: Trainer, *, eigenvalues: bool = True, path: bool = True) -> None:
        if trainer.engine != "numpy":
            raise XornetError(
                "the landscape recorder reads the weights at each loss record, which the "
                f"compiled engine does not hand out mid-run: make the Trainer with "
                f"engine='numpy' (it has engine={trainer.engine!r})"
            )
        self.trainer = trainer
        self.with_eigenvalues = eigenvalues
        self.with_path = path
        p = trainer.params
        self._shape = Shape.of(p)
        self._rows: list[tuple[int, float, float, float, float, float]] = []
        self._path: list[Array] = []

    def __repr__(self) -> str:
        return f"LandscapeRecorder(records={len(self._rows)})"

    def __call__(self, step: int, loss: float) -> None:
        """Record the landscape at ``step`` (the trainer's current parameters)."""
        trainer = self.trainer
        if step != trainer.steps:  # the weights on hand are not the record's
            raise XornetError(
                f"the recorder was called for step {step} with the weights of "
                f"step {trainer.steps}; run the Trainer with engine='numpy'"
            )
        theta = trainer.params.ravel()
        config = trainer.config
        if self.with_eigenvalues:
            first, H = hessians(
                theta[None], self._shape, trainer.X, trainer.y, config.activation, config.loss
            )
            lam = np.linalg.eigvalsh(H[0])
            low, high = float(lam[0]), float(lam[-1])
        else:
            first = first_order(
                theta[None], self._shape, trainer.X, trainer.y, config.activation, config.loss
            )
            low = high = float("nan")
        self._rows.append(
            (
                step,
                loss,
                float(np.linalg.norm(first.gradient[0])),
                float(np.linalg.norm(theta)),
                low,
                high,
            )
        )
        if self.with_path:
            self._path.append(theta)

    def _column(self, i: int) -> Array:
        return np.array([row[i] for row in self._rows], dtype=np.float64)

    @property
    def steps(self) -> Array:
        """The step of each record."""
        return self._column(0)

    @property
    def losses(self) -> Array:
        """The loss at each record."""
        return self._column(1)

    @property
    def gradient_norms(self) -> Array:
        """The gradient's norm at each record."""
        return self._column(2)

    @property
    def weight_norms(self) -> Array:
        """The parameters' norm at each record."""
        return self._column(3)

    @property
    def lowest(self) -> Array:
        """The lowest Hessian eigenvalue at each record."""
        return self._column(4)

    @property
    def highest(self) -> Array:
        """The highest Hessian eigenvalue at each record."""
        return self._column(5)

    @property
    def path(self) -> Array:
        """The parameters at each record, one row each (``Params.ravel()`` order)."""
        if not self._path:
            return np.empty((0, self._shape.size))
        return np.stack(self._path)

    def trend(self) -> Trend:
        """The run's course over its last two tenfolds of steps: the records nearest a
        hundredth and a tenth of the last record's step, and the last.

        Raises
        ------
        XornetError
            With fewer than two records after step 0.
        """
        steps = self.steps
        positive = np.flatnonzero(steps > 0)
        if positive.size < 2:
            raise XornetError("a trend needs at least two loss records after step 0")
        last = int(positive[-1])
        chosen: list[int] = []
        for fraction in (0.01, 0.1):
            i = int(positive[np.argmin(np.abs(np.log(steps[positive] / (fraction * steps[last]))))])
            if i != last and (not chosen or i > chosen[-1]):
                chosen.append(i)
        chosen.append(last)
        return Trend(
            tuple(int(steps[i]) for i in chosen),
            tuple(float(self.losses[i]) for i in chosen),
            tuple(float(self.weight_norms[i]) for i in chosen),
        )


def run_with_path(trainer: Trainer, points: int = 64) -> Array:
    """Train a run in ``points`` equal stretches and keep the weights after each: its path.

    Unlike :class:`LandscapeRecorder` this works with either engine (the one a single call
    would choose runs every stretch) and costs only the stretches' overhead. The run is the
    one a single call trains, to rounding: the compiled engine may pick another of its loops
    for a short stretch, and its loops agree to about 1e-14.

    Parameters
    ----------
    trainer : Trainer
        The run, trained from where it stands to its step limit or a stop rule.
    points : int
        Stretches (at least 2).

    Returns
    -------
    ndarray of shape (n_points, n_params)
        The weights at the start and after each stretch (``Params.ravel()`` order); fewer
        rows when a stop rule ends the run early.
    """
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise XornetError(f"points must be an integer of 2 or more, got {points!r}")
    from xornet.engines import resolve_engine

    begin, end = trainer.steps, trainer.config.steps
    path = [trainer.params.ravel()]
    # The engine the run would get in one call ("auto" would pick NumPy for short stretches).
    engine, trainer.engine = trainer.engine, resolve_engine(trainer.engine, end - begin)
    try:
        for i in range(1, points + 1):
            until = begin + (end - begin) * i // points
            if until <= trainer.steps:
                continue
            trainer.run(until=until)
            path.append(trainer.params.ravel())
            if trainer.stop_reason is not None:
                break
    finally:
        trainer.engine = engine
    return np.stack(path)


def check_longer(longer: Sequence[int], steps: int, record_every: int) -> list[int]:
    """The trend's factors, checked: increasing, above 1, reaching at most
    :data:`MAX_TREND_STEPS` steps and recording at most
    :data:`xornet.config.MAX_RECORDS` losses when a run
    of ``steps`` steps is continued.

    Parameters
    ----------
    longer : sequence of int
        The factors, as :func:`classify_end_state` takes them.
    steps : int
        The run's steps (the command line checks the most it can take, before training).
    record_every : int
        The run's loss record spacing.

    Returns
    -------
    list of int

    Raises
    ------
    XornetError
    """
    from xornet.config import MAX_RECORDS, records_kept

    factors = [int(f) for f in longer]
    if any(f <= 1 for f in factors) or factors != sorted(set(factors)):
        raise XornetError(f"longer must be increasing factors above 1, got {list(longer)}")
    if factors and factors[-1] * steps > MAX_TREND_STEPS:
        raise XornetError(
            f"running {factors[-1]} times longer would take {factors[-1] * steps:,} steps (at "
            f"most {MAX_TREND_STEPS:,}); ask for less with longer"
        )
    records = records_kept(factors[-1] * steps, record_every) if factors else 0
    if records > MAX_RECORDS:  # a run's own bound, said here before any training
        raise XornetError(
            f"running {factors[-1]} times longer would record {records:,} losses (one every "
            f"{record_every} steps); raise record_every or ask for less with longer"
        )
    return factors


def classify_end_state(
    X: Array,
    y: Array,
    config: TrainConfig,
    params: Params,
    *,
    steps: int,
    state: TrainState | None = None,
    longer: Sequence[int] = LONGER,
    engine: str = "auto",
    thresholds: Thresholds | None = None,
) -> Classification:
    """Classify the end of a run, with its trend measured by running it longer.

    The run is continued (a copy: ``params`` are not changed) to ``f * steps`` for each factor
    ``f`` in ``longer``, without its stop rules so that every run is followed over the same
    stretch; the loss and the weight norm there, with those at the end, make the
    :class:`Trend` (see :func:`classify_point` for what it decides).

    Parameters
    ----------
    X, y : ndarray
        The run's data.
    config : TrainConfig
        The run's settings.
    params : Params
        Its end.
    steps : int
        The steps it took (the trend's first step); 0 gives no trend.
    state : TrainState, optional
        :meth:`xornet.Trainer.state` at the end: with it the continuation is the run itself
        continued (its optimizer state and batch order); without it (a model file) the run
        restarts from ``params`` with a fresh optimizer, which for plain gradient descent on
        the full batch is the same.
    longer : sequence of int
        Factors above 1, increasing (default 10 and 100). Empty: no trend.
    engine : {"auto", "numpy", "numba"}
    thresholds : Thresholds, optional

    Returns
    -------
    Classification
    """
    from xornet.network import forward, loss, output_probabilities
    from xornet.training import Trainer

    check_hessian_size(params.size)  # before the trend's run
    factors = check_longer(longer, steps, config.record_every)
    trend = None
    if steps > 0 and factors:
        free = config.replace(tol=None, stop_when_correct=False)
        if state is not None:
            copy = Trainer.resume(
                X,
                y,
                free.replace(steps=factors[-1] * steps),
                params,
                dataclasses.replace(state, stop_reason=None),
                engine=engine,
            )
            offset = 0
        else:
            copy = Trainer(
                X, y, free.replace(steps=(factors[-1] - 1) * steps), params=params, engine=engine
            )
            offset = steps
        at, losses, norms = [steps], [], []
        cache = forward(params, copy.X, config.activation)
        losses.append(loss(cache, copy.y, config.loss))
        norms.append(float(np.linalg.norm(params.ravel())))
        correct = [all_correct(output_probabilities(cache.P), copy.y, config.margin)]
        for f in factors:
            copy.run(until=f * steps - offset)
            cache = forward(copy.params, copy.X, config.activation)
            at.append(f * steps)
            losses.append(loss(cache, copy.y, config.loss))
            norms.append(float(np.linalg.norm(copy.params.ravel())))
            correct.append(all_correct(output_probabilities(cache.P), copy.y, config.margin))
        trend = Trend(tuple(at), tuple(losses), tuple(norms), tuple(correct))
    return classify_point(
        params,
        np.asarray(X, np.float64),
        np.asarray(y, np.float64),
        config.activation,
        config.loss,
        thresholds=thresholds,
        trend=trend,
    )


def diagnose_with_landscape(
    trainer: Trainer,
    *,
    longer: Sequence[int] = LONGER,
    thresholds: Thresholds | None = None,
) -> tuple[Outcome, Classification | None]:
    """:meth:`xornet.Trainer.result`'s verdict, with the landscape measured at a stall.

    For a run that ended unsolved (a plateau, or still improving), the end is classified
    (:func:`classify_end_state`, the run continued ``longer``) and the verdict's summary gains
    what was measured: the kind of point, its numbers and the run's course. Other verdicts are
    returned as they are.

    Parameters
    ----------
    trainer : Trainer
        A run that has been trained.
    longer : sequence of int
    thresholds : Thresholds, optional

    Returns
    -------
    outcome : Outcome
    classification : Classification or None
        None when the verdict needed none (solved, diverged, untrained).
    """
    outcome = trainer.result().outcome
    if outcome.kind not in ("plateau", "improving"):
        return outcome, None
    point = classify_end_state(
        trainer.X,
        trainer.y,
        trainer.config,
        trainer.params,
        steps=trainer.steps,
        state=trainer.state(),
        longer=longer,
        engine=trainer.engine,
        thresholds=thresholds,
    )
    told = outcome.summary.replace(UNMEASURED, "")
    measured = f"{told} Measured at the end: {point.summary}"
    return dataclasses.replace(outcome, summary=measured), point
