"""A scikit-learn classifier around xornet's network, for Pipelines, grid searches and CV.

``XornetClassifier`` is the library's two-layer network behind scikit-learn's conventions:
``__init__`` only stores its parameters, ``fit`` validates the data with scikit-learn's public
helpers, encodes the labels (strings, integers, anything sortable) as ``0 .. K-1`` and runs a
:class:`xornet.Trainer`; ``partial_fit`` and ``warm_start`` continue that run (weights,
optimizer state, shuffling) rather than start another. Two classes get the post's single
sigmoid output; more get a softmax.

scikit-learn is an optional dependency (``pip install 'xornet[sklearn]'``); importing this
module without it raises an ImportError that says so.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import warnings
from typing import Any

import numpy as np

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.functional import log_softmax, sigmoid, softmax
from xornet.network import forward
from xornet.params import Params
from xornet.training import TrainConfig, Trainer, TrainState

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("xornet.sklearn needs scikit-learn: pip install 'xornet[sklearn]'") from error

__all__ = ["XornetClassifier"]


class XornetClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """xornet's two-layer network as a scikit-learn classifier.

    Parameters
    ----------
    hidden : int, default=8
        Hidden units.
    shortcut : bool, default=False
        Also connect the inputs straight to the output (see :class:`xornet.TrainConfig`).
    activation : {"sigmoid", "tanh", "relu"}, default="sigmoid"
        Hidden activation.
    init : {"normal", "glorot", "he", "uniform"}, default="normal"
        Weight initialisation (see :func:`xornet.init_params`).
    init_scale : float, default=1.0
        The range of the ``"uniform"`` initialisation.
    optimizer : {"gd", "momentum", "adam"}, default="gd"
    learning_rate : float, default=1.0
    momentum : float, default=0.9
        Momentum optimizer only.
    nesterov : bool, default=False
        Momentum optimizer only.
    beta1, beta2, eps : float, default=0.9, 0.999, 1e-8
        Adam only.
    max_iter : int, default=10000
        Maximum number of epochs (passes over the training data), as in ``MLPClassifier``.
        With the full batch an epoch is one update.
    batch_size : int or None, default=None
        Samples per update; None for the full batch.
    shuffle : bool, default=True
        With mini-batches, reshuffle the samples at each epoch.
    tol : float or None, default=0.01
        Stop once the mean cross-entropy on the training data is at most ``tol`` (checked at
        the start of each epoch). Unlike ``MLPClassifier``'s ``tol`` this is a level, not an
        improvement; None trains for ``max_iter`` epochs.
    random_state : None, int or numpy.random.RandomState, default=None
        Randomness of the initial weights and of the shuffling. An int makes ``fit``
        reproducible.
    engine : {"auto", "numpy", "numba"}, default="auto"
        See :func:`xornet.train`.
    warm_start : bool, default=False
        When True, ``fit`` continues the previous fit's run for ``max_iter`` more epochs (the
        classes must be the same) instead of starting a new one: see Notes.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Only when ``X`` had string column names (a pandas DataFrame).
    coefs_ : list of two ndarrays
        ``[W1 (n_features, hidden), W2 (hidden, n_outputs)]``, as ``MLPClassifier``'s (and
        ``W3 (n_features, n_outputs)``, a third, with ``shortcut=True``).
    intercepts_ : list of two ndarrays
        ``[b1 (hidden,), b2 (n_outputs,)]``.
    n_outputs_ : int
        1 for two classes (one sigmoid output), else ``n_classes``.
    out_activation_ : {"logistic", "softmax"}
    loss_ : float
        Mean cross-entropy on the training data after the last fit.
    loss_curve_ : list of float
        The training loss at the start of each epoch run (one entry per epoch), across
        ``warm_start`` fits and ``partial_fit`` calls.
    n_iter_ : int
        Epochs run by the last ``fit`` (summed over ``partial_fit`` calls).
    params_ : xornet.Params
        The fitted network, for xornet's own functions (figures, explain, model files).

    Notes
    -----
    ``partial_fit`` (one epoch over the data it is given, as ``MLPClassifier``'s) and ``fit``
    with ``warm_start=True`` (``max_iter`` more epochs) continue the run where the last call
    left it: the weights, the optimizer's state (momentum's velocities; Adam's moments and its
    step count ``t``) and the shuffling stream. Each call trains whole epochs of its own data,
    so ``fit`` for ``N`` epochs followed by ``k`` calls to ``partial_fit`` on the same data
    takes exactly the steps of one ``fit`` for ``N + k`` epochs, whatever the optimizer.

    Examples
    --------
    >>> import numpy as np
    >>> from xornet.sklearn import XornetClassifier
    >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> clf = XornetClassifier(random_state=0).fit(X, ["no", "yes", "yes", "no"])
    >>> clf.predict(X).tolist()
    ['no', 'yes', 'yes', 'no']
    """

    # Fitted attributes (declared for type checkers; set by fit and partial_fit only).
    classes_: Array
    params_: Params
    coefs_: list[Array]
    intercepts_: list[Array]
    n_outputs_: int
    out_activation_: str
    loss_: float
    loss_curve_: list[float]
    n_iter_: int
    _run: TrainState | None  # where the run stands, for partial_fit and warm_start

    def __init__(
        self,
        hidden: int = 8,
        shortcut: bool = False,
        activation: str = "sigmoid",
        init: str = "normal",
        init_scale: float = 1.0,
        optimizer: str = "gd",
        learning_rate: float = 1.0,
        momentum: float = 0.9,
        nesterov: bool = False,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        max_iter: int = 10_000,
        batch_size: int | None = None,
        shuffle: bool = True,
        tol: float | None = 0.01,
        random_state: Any = None,
        engine: str = "auto",
        warm_start: bool = False,
    ) -> None:
        self.hidden = hidden
        self.shortcut = shortcut
        self.activation = activation
        self.init = init
        self.init_scale = init_scale
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.tol = tol
        self.random_state = random_state
        self.engine = engine
        self.warm_start = warm_start

    # ------------------------------------------------------------------------- fitting

    def fit(self, X: Any, y: Any) -> XornetClassifier:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least two distinct values).

        Returns
        -------
        self
        """
        continuing = self.warm_start and hasattr(self, "params_")
        X, y = validate_data(self, X, y, reset=not continuing, dtype=np.float64)
        check_classification_targets(y)
        classes = np.unique(y)
        if continuing and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start needs the classes of the previous fit, {self.classes_.tolist()}; "
                f"y has {classes.tolist()}"
            )
        _check_two_classes(classes)
        self.classes_ = classes
        epochs = self._check_max_iter()
        if not continuing:
            self.loss_curve_ = []
            self._run = None
        result = self._train(X, y, epochs)
        self.n_iter_ = result
        if self.tol is not None and self.loss_ > self.tol and result == epochs:
            warnings.warn(
                f"XornetClassifier stopped at max_iter={epochs} epochs with training loss "
                f"{self.loss_:.4g} above tol={self.tol:g}; raise max_iter or the learning rate",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> XornetClassifier:
        """Train for one epoch on ``(X, y)``, continuing the run (see Notes).

        One epoch is one pass over ``(X, y)``: ``ceil(n_samples / batch_size)`` updates, one
        with the full batch. ``max_iter`` is not used.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            Every class that will ever appear: required on the first call, and must not change
            afterwards (``y`` of one call may hold only some of them).

        Returns
        -------
        self
        """
        first = not hasattr(self, "params_")
        if first and classes is None:
            raise ValueError("classes must be given to the first call to partial_fit")
        X, y = validate_data(self, X, y, reset=first, dtype=np.float64)
        check_classification_targets(y)
        if first:
            all_classes = np.unique(np.asarray(classes))
            _check_two_classes(all_classes)
            self.classes_ = all_classes
            self.loss_curve_ = []
            self.n_iter_ = 0
            self._run = None
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes {np.unique(classes).tolist()} differ from those of the first call "
                f"to partial_fit, {self.classes_.tolist()}"
            )
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y has labels not in classes: {unknown.tolist()}")
        self.n_iter_ += self._train(X, y, 1)
        return self

    def _check_max_iter(self) -> int:
        value = self.max_iter
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"max_iter must be a positive integer, got {value!r}")
        return int(value)

    def _train(self, X: Array, y: Any, epochs: int) -> int:
        """Run ``epochs`` epochs on ``(X, y)``: the run's next ones, or a new run's first;
        return the epochs run."""
        n = int(X.shape[0])
        batch = n if self.batch_size is None else self.batch_size
        if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 1:
            raise ValueError(f"batch_size must be a positive integer or None, got {batch!r}")
        per_epoch = -(-n // min(int(batch), n))
        try:
            config = TrainConfig(
                hidden=self.hidden,
                shortcut=self.shortcut,
                activation=self.activation,
                init=self.init,
                init_scale=self.init_scale,
                optimizer=self.optimizer,
                learning_rate=self.learning_rate,
                momentum=self.momentum,
                nesterov=self.nesterov,
                beta1=self.beta1,
                beta2=self.beta2,
                eps=self.eps,
                steps=epochs * per_epoch,
                batch_size=self.batch_size,
                shuffle=self.shuffle,
                record_every=per_epoch,
                tol=self.tol,
            )
        except XornetError as error:
            raise ValueError(str(error)) from None
        labels = np.searchsorted(self.classes_, y).astype(np.float64)  # 0 .. K-1
        if self._run is None:  # a new run: start weights and shuffling from random_state
            seed = check_random_state(self.random_state).randint(2**31)
            trainer = Trainer(X, labels, config, rng=np.random.default_rng(seed),
                              engine=self.engine, n_classes=len(self.classes_))  # fmt: skip
        else:  # the same run, at the start of an epoch over this call's data
            state = dataclasses.replace(self._run, step=0, loss_history=np.empty(0),
                                        stop_reason=None, order=np.arange(X.shape[0]),
                                        order_epoch=-1)  # fmt: skip
            trainer = Trainer.resume(X, labels, config, self.params_, state, engine=self.engine)
        result = trainer.run().result()
        self._run = trainer.state()
        p = result.params
        self.params_ = p
        self.coefs_ = [p.W1, p.W2] if p.W3 is None else [p.W1, p.W2, p.W3]
        self.intercepts_ = [p.b1, p.b2]
        self.n_outputs_ = p.n_outputs
        self.out_activation_ = "logistic" if p.n_outputs == 1 else "softmax"
        self.loss_ = result.final_loss
        epochs_run = math.ceil(result.steps / per_epoch)
        # The loss at the start of each epoch run (a stop on tol also records the loss it
        # stopped at, which is loss_).
        self.loss_curve_.extend(float(v) for v in result.loss_history[:epochs_run])
        return epochs_run

    # ------------------------------------------------------------------------- predicting

    def decision_function(self, X: Any) -> Array:
        """The output logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes the logit of ``classes_[1]`` (positive means that class); for
            more, one logit per class.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        Z2 = forward(self.params_, X, self.activation).Z2
        out: Array = Z2[:, 0] if Z2.shape[1] == 1 else Z2
        return out

    def predict_proba(self, X: Any) -> Array:
        """Probability of each class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``; rows sum to 1.
        """
        z = self.decision_function(X)
        if z.ndim == 1:
            p = sigmoid(z)
            return np.column_stack([1.0 - p, p])
        return softmax(z)

    def predict_log_proba(self, X: Any) -> Array:
        """Logarithm of :meth:`predict_proba`, computed from the logits (finite where the
        probability rounds to 0).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        z = self.decision_function(X)
        if z.ndim == 1:  # log(1 - p) = -log(1 + e^z), log p = -log(1 + e^-z)
            return -np.column_stack([np.logaddexp(0.0, z), np.logaddexp(0.0, -z)])
        return log_softmax(z)

    def predict(self, X: Any) -> Array:
        """The most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else np.argmax(z, axis=1)
        out: Array = self.classes_[index]
        return out


def _check_two_classes(classes: Array) -> None:
    if len(classes) < 2:
        raise ValueError(
            f"XornetClassifier needs samples of at least 2 classes; y has 1 class: {classes[0]!r}"
        )
