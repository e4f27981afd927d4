"""xornet's estimator next to scikit-learn's MLPClassifier, with matched settings.

Run from the repository root, after ``pip install -e ".[bench]"``::

    python bench/sklearn_side_by_side.py            # 5-fold CV on seven datasets
    python bench/sklearn_side_by_side.py --quick    # 3 folds, fewer epochs: a smoke test

Both models get the same network and the same training: one hidden layer of tanh units,
Glorot-uniform initial weights, Adam (lr 0.01, betas 0.9/0.999, eps 1e-8) on full batches for
exactly the same number of epochs, no L2 penalty and no early stop. What differs is only what
cannot be matched: MLPClassifier's own random initial draws (and its Glorot bound for tanh,
which xornet's "glorot" init shares). Features are standardised inside the CV (a Pipeline), so
no fold sees another fold's scaling. Fit times are the mean over the folds of one fit.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import xornet
from xornet.engines import numba_available
from xornet.sklearn import XornetClassifier

HIDDEN = 16
LR = 0.01


def datasets(quick: bool) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Name -> (X, y). The toy sets are drawn once, with a fixed seed."""
    out = {}
    xor = xornet.xor()
    out["xor (4 points)"] = (np.tile(xor.X, (10, 1)), np.tile(xor.y, 10))  # 5 folds need >= 5
    for name in ("noisy-xor", "moons", "circles", "spiral", "spiral3"):
        d = xornet.make_dataset(name, n_samples=300, rng=0)
        out[name] = (d.X, d.y.astype(int))
    out["iris"] = load_iris(return_X_y=True)
    out["breast cancer"] = load_breast_cancer(return_X_y=True)
    if quick:
        out = {k: out[k] for k in ("xor (4 points)", "spiral3", "iris")}
    return out


def models(epochs: int) -> dict[str, Callable[[int], Any]]:
    """Name -> a function making a fresh (unfitted) pipeline for ``n`` training samples."""

    def mlp(n: int) -> Any:
        return make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(HIDDEN,), activation="tanh", solver="adam",
            learning_rate_init=LR, batch_size=n, alpha=0.0, max_iter=epochs, tol=0.0,
            n_iter_no_change=epochs + 1, shuffle=False, random_state=0))  # fmt: skip

    def ours(engine: str) -> Callable[[int], Any]:
        def make(n: int) -> Any:
            net = XornetClassifier(hidden=HIDDEN, activation="tanh", init="glorot",
                                   optimizer="adam", learning_rate=LR, max_iter=epochs,
                                   tol=None, random_state=0, engine=engine)  # fmt: skip
            return make_pipeline(StandardScaler(), net)

        return make

    out = {"MLPClassifier": mlp, "xornet (numpy)": ours("numpy")}
    if numba_available():
        out["xornet (numba)"] = ours("numba")
    return out


def cross_validate(
    make: Callable[[int], Any], X: np.ndarray, y: np.ndarray, folds: int
) -> tuple[np.ndarray, float]:
    """Accuracy per fold and mean fit time, with the same folds for every model."""
    accuracies, seconds = [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y):
        model = make(len(train))
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[train], y[train])
        seconds.append(time.perf_counter() - start)
        accuracies.append(model.score(X[test], y[test]))
    return np.array(accuracies), float(np.mean(seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 folds, 300 epochs, 3 datasets")
    args = parser.parse_args()
    folds, epochs = (3, 300) if args.quick else (5, 2000)
    import sklearn

    print(f"# xornet {xornet.__version__} vs scikit-learn {sklearn.__version__} MLPClassifier")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{folds}-fold stratified CV, {HIDDEN} tanh units, Adam lr {LR}, full batch, "
          f"{epochs} epochs\n")  # fmt: skip
    makers = models(epochs)
    if "xornet (numba)" in makers:  # load the compiled loop before timing anything
        XornetClassifier(max_iter=1, tol=None, engine="numba").fit(xornet.xor().X, xornet.xor().y)
    head = "| dataset | n | classes |"
    rule = "| --- | ---: | ---: |"
    for name in makers:
        head += f" {name} accuracy | fit s |"
        rule += " ---: | ---: |"
    print(head)
    print(rule)
    for name, (X, y) in datasets(args.quick).items():
        row = f"| {name} | {len(y)} | {len(np.unique(y))} |"
        for make in makers.values():
            acc, seconds = cross_validate(make, X, y, folds)
            row += f" {acc.mean():.3f} ± {acc.std():.3f} | {seconds:.3f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
