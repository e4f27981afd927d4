"""The network's parameters ``(W1, b1, W2, b2)``: initialisation, packing, copying.

Shapes, for ``d`` inputs, ``h`` hidden units and ``k`` outputs (rows of ``X`` are samples)::

    W1 (d, h)   b1 (h,)   W2 (h, k)   b2 (k,)

so that ``Z1 = X @ W1 + b1`` is ``(n, h)`` and ``Z2 = H @ W2 + b2`` is ``(n, k)``. Two classes
have one output (``k = 1``, a sigmoid: the post's network); ``K >= 3`` classes have ``k = K``
outputs (a softmax). ``k = 2`` is refused, so that each number of classes has one network.

A *shortcut* network (the 1986 paper's 2-1-1 XOR network) also has direct input-to-output
weights ``W3 (d, k)``, so that ``Z2 = H @ W2 + X @ W3 + b2``; ``W3`` is None otherwise. It
comes last in every packing (``ravel``, the compiled engine's vector), so networks without it
are laid out as they always were.
The post stores ``W1`` and ``W2`` the same way (it computes ``W.T @ X`` with samples in
columns); only its biases are columns, ``(h, 1)`` and ``(1, 1)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np

from xornet._names import INIT_NAMES
from xornet._rng import RngLike, as_generator
from xornet._typing import Array

__all__ = [
    "INITS",
    "Params",
    "init_params",
    "n_outputs_for",
    "post_initial_params",
    "post_initial_params_many",
]

#: Initialisation schemes accepted by :func:`init_params`.
INITS: Final = INIT_NAMES

NAMES: Final = ("W1", "b1", "W2", "b2")
#: The names with the shortcut weights.
SHORTCUT_NAMES: Final = (*NAMES, "W3")

#: Largest number of classes (softmax outputs) accepted.
MAX_CLASSES: Final = 1_000


def n_outputs_for(n_classes: int) -> int:
    """Output units for ``n_classes`` classes: 1 (a sigmoid) for two, ``K`` (a softmax) for more.

    Parameters
    ----------
    n_classes : int
        From 2 to ``MAX_CLASSES``.

    Returns
    -------
    int
    """
    if not 2 <= n_classes <= MAX_CLASSES:
        raise ValueError(f"need 2 to {MAX_CLASSES} classes, got {n_classes}")
    return 1 if n_classes == 2 else n_classes


@dataclass(frozen=True, eq=False)
class Params:
    """The four parameter arrays of a two-layer network (the arrays themselves are mutable).

    Attributes
    ----------
    W1 : ndarray of shape (n_inputs, n_hidden)
    b1 : ndarray of shape (n_hidden,)
    W2 : ndarray of shape (n_hidden, n_outputs)
        ``n_outputs`` is 1 for two classes (a sigmoid output), ``K >= 3`` for a softmax.
    b2 : ndarray of shape (n_outputs,)
    W3 : ndarray of shape (n_inputs, n_outputs) or None
        Direct input-to-output ("shortcut") weights, or None for the plain network.
    """

    W1: Array
    b1: Array
    W2: Array
    b2: Array
    W3: Array | None = None

    def __post_init__(self) -> None:
        d, h = self.W1.shape
        k = self.W2.shape[1] if self.W2.ndim == 2 else 1
        if self.b1.shape != (h,) or self.W2.shape != (h, k) or self.b2.shape != (k,) or k == 2:
            raise ValueError(
                f"parameter shapes W1 {self.W1.shape}, b1 {self.b1.shape}, W2 {self.W2.shape}, "
                f"b2 {self.b2.shape} do not fit a {d}-{h}-k network: expected "
                f"W1 ({d}, {h}), b1 ({h},), W2 ({h}, k), b2 (k,) with k = 1 (two classes) "
                "or k >= 3 (one output per class)"
            )
        if self.W3 is not None and self.W3.shape != (d, k):
            raise ValueError(f"shortcut weights W3 {self.W3.shape} should be ({d}, {k})")

    def __iter__(self) -> Iterator[Array]:
        """Iterate over ``W1, b1, W2, b2`` (and ``W3`` for a shortcut network) in that order."""
        arrays = (self.W1, self.b1, self.W2, self.b2)
        return iter(arrays if self.W3 is None else (*arrays, self.W3))

    def __repr__(self) -> str:
        extra = "" if self.n_outputs == 1 else f", n_classes={self.n_classes}"
        extra += ", shortcut=True" if self.shortcut else ""
        return f"Params(n_inputs={self.n_inputs}, n_hidden={self.n_hidden}{extra})"

    @property
    def shortcut(self) -> bool:
        """Whether the inputs also reach the output directly (``W3`` is not None)."""
        return self.W3 is not None

    @property
    def names(self) -> tuple[str, ...]:
        """The arrays' names, in iteration order."""
        return SHORTCUT_NAMES if self.shortcut else NAMES

    @property
    def n_inputs(self) -> int:
        """Number of input features ``d``."""
        return int(self.W1.shape[0])

    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``h``."""
        return int(self.W1.shape[1])

    @property
    def n_outputs(self) -> int:
        """Number of output units ``k``: 1 (sigmoid, two classes) or the number of classes."""
        return int(self.W2.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes the network tells apart (2 for one sigmoid output)."""
        return 2 if self.n_outputs == 1 else self.n_outputs

    @property
    def size(self) -> int:
        """Total number of scalar parameters, ``d h + h + h k + k`` (``+ d k`` with a shortcut)."""
        return sum(a.size for a in self)

    def as_dict(self) -> dict[str, Array]:
        """The arrays by name: ``{"W1": ..., "b1": ..., "W2": ..., "b2": ...}`` (and ``"W3"``)."""
        return dict(zip(self.names, self, strict=True))

    def copy(self) -> Params:
        """A deep copy (new arrays)."""
        return Params(*(a.copy() for a in self))

    def ravel(self) -> Array:
        """All parameters packed into one vector of shape ``(size,)``: W1, b1, W2, b2 in turn."""
        return np.concatenate([a.ravel() for a in self])

    def unravel(self, vector: Array) -> Params:
        """New parameters of this one's shapes, unpacked from ``vector`` (inverse of ravel)."""
        vector = np.asarray(vector, dtype=np.float64)
        if vector.shape != (self.size,):
            raise ValueError(f"vector has shape {vector.shape}, expected ({self.size},)")
        arrays, start = [], 0
        for a in self:
            arrays.append(vector[start : start + a.size].reshape(a.shape).copy())
            start += a.size
        return Params(*arrays)

    def all_finite(self) -> bool:
        """Whether every parameter is finite (no NaN, no infinity)."""
        return all(bool(np.isfinite(a).all()) for a in self)


def init_params(
    n_inputs: int,
    n_hidden: int,
    init: str = "normal",
    rng: RngLike = None,
    scale: float = 1.0,
    *,
    n_classes: int = 2,
    shortcut: bool = False,
) -> Params:
    """Draw initial parameters (biases start at zero, except with ``"uniform"``).

    Parameters
    ----------
    n_inputs : int
        Number of input features ``d`` (>= 1).
    n_hidden : int
        Number of hidden units ``h`` (>= 1).
    init : {"normal", "glorot", "he"}
        ``"normal"``: standard normal weights, as in the post.
        ``"glorot"``: Glorot/Xavier uniform, ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``.
        ``"he"``: He normal, ``N(0, 2 / fan_in)``.
        ``"uniform"``: weights *and biases* from ``U(-scale, scale)``, as in the 1986 backprop
        experiments.
    rng : None, int or numpy.random.Generator
        Source of randomness (see :func:`xornet.as_generator`).
    scale : float
        The range ``r`` of ``"uniform"`` (> 0); unused by the other schemes.
    n_classes : int
        2 (default): one sigmoid output. ``K >= 3``: ``K`` softmax outputs. The draws for two
        classes are the same whatever version of xornet: the first ``W1`` then ``W2``.
    shortcut : bool
        Also draw direct input-to-output weights ``W3 (d, k)``, by the same scheme (fan-in
        ``d``), after everything else: the other arrays are what they would be without it.

    Returns
    -------
    Params
        ``W1 (d, h)``, ``b1 (h,)``, ``W2 (h, k)``, ``b2 (k,)`` with ``k`` outputs (and ``W3``).
    """
    if n_inputs < 1 or n_hidden < 1:
        raise ValueError(f"need n_inputs >= 1 and n_hidden >= 1, got {n_inputs} and {n_hidden}")
    k = n_outputs_for(n_classes)
    gen = as_generator(rng)
    if init == "uniform":
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError(f"the uniform init needs a positive scale, got {scale}")
        return Params(
            gen.uniform(-scale, scale, (n_inputs, n_hidden)),
            gen.uniform(-scale, scale, n_hidden),
            gen.uniform(-scale, scale, (n_hidden, k)),
            gen.uniform(-scale, scale, k),
            gen.uniform(-scale, scale, (n_inputs, k)) if shortcut else None,
        )
    shapes = [(n_inputs, n_hidden), (n_hidden, k)]
    if shortcut:
        shapes.append((n_inputs, k))
    weights: list[Array] = []
    for fan_in, fan_out in shapes:
        if init == "normal":
            weights.append(gen.standard_normal((fan_in, fan_out)))
        elif init == "glorot":
            a = np.sqrt(6.0 / (fan_in + fan_out))
            weights.append(gen.uniform(-a, a, (fan_in, fan_out)))
        elif init == "he":
            weights.append(gen.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in))
        else:
            raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    W3 = weights[2] if shortcut else None
    return Params(weights[0], np.zeros(n_hidden), weights[1], np.zeros(k), W3)


def post_initial_params(
    seed: int, n_hidden: int = 2, n_inputs: int = 2, *, n_classes: int = 2
) -> Params:
    """The initial parameters the post's code draws right after ``np.random.seed(seed)``.

    The post calls ``np.random.randn(2, h)`` then ``np.random.randn(h, 1)`` on NumPy's global
    random state. This function replays the same stream on a private
    ``numpy.random.RandomState(seed)``, so it reproduces the post's numbers without touching
    (or depending on) the global state.

    Parameters
    ----------
    seed : int
        The value the post would pass to ``np.random.seed``.
    n_hidden : int
        Hidden units (the post's ``num_hidden_units``, default 2).
    n_inputs : int
        Input features (2 in the post).
    n_classes : int
        2 in the post. For ``K >= 3`` the same draws with ``K`` outputs, ``randn(h, K)``.

    Returns
    -------
    Params
    """
    return _post_draws(np.random.RandomState(seed), n_hidden, n_inputs, n_classes)


def post_initial_params_many(
    seeds: Iterable[int], n_hidden: int = 2, n_inputs: int = 2, *, n_classes: int = 2
) -> list[Params]:
    """:func:`post_initial_params` for each seed, faster: one private ``RandomState``,
    reseeded per seed (about 2 us a start, against 160 us to create a ``RandomState``).

    Parameters
    ----------
    seeds : iterable of int
    n_hidden, n_inputs, n_classes : int
        As :func:`post_initial_params`.

    Returns
    -------
    list of Params
        One per seed, equal to ``post_initial_params(seed, ...)``.
    """
    legacy = np.random.RandomState()
    starts = []
    for seed in seeds:
        legacy.seed(seed)  # the same state as RandomState(seed): the legacy seeding, no gauss
        starts.append(_post_draws(legacy, n_hidden, n_inputs, n_classes))
    return starts


def _post_draws(
    legacy: np.random.RandomState, n_hidden: int, n_inputs: int, n_classes: int
) -> Params:
    """The post's two ``randn`` calls on ``legacy``, as parameters (zero biases)."""
    k = n_outputs_for(n_classes)
    W1 = legacy.randn(n_inputs, n_hidden)
    W2 = legacy.randn(n_hidden, k)
    return Params(W1, np.zeros(n_hidden), W2, np.zeros(k))
