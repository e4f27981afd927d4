"""The scikit-learn estimator: scikit-learn's own checks, its tools, and xornet's numbers."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import xornet
from xornet.sklearn import XornetClassifier

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


# scikit-learn's whole estimator suite, with no expected failures. Each instance is small
# enough (500 epochs at most) to keep the suite quick; ConvergenceWarning is what a
# classifier stopped by max_iter is supposed to say, so it is not an error here.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        XornetClassifier(max_iter=500, random_state=0),
        XornetClassifier(
            max_iter=200, optimizer="adam", learning_rate=0.05, batch_size=16, activation="tanh"
        ),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def test_string_labels_and_what_fit_sets():
    y = np.array(["no", "yes", "yes", "no"])
    clf = XornetClassifier(random_state=0).fit(XOR_X, y)
    assert clf.predict(XOR_X).tolist() == y.tolist()
    assert clf.classes_.tolist() == ["no", "yes"]
    assert clf.n_features_in_ == 2
    assert not hasattr(clf, "feature_names_in_")
    assert [a.shape for a in clf.coefs_] == [(2, 8), (8, 1)]
    assert [a.shape for a in clf.intercepts_] == [(8,), (1,)]
    assert (clf.n_outputs_, clf.out_activation_) == (1, "logistic")
    assert clf.n_iter_ == len(clf.loss_curve_)
    assert clf.loss_ <= clf.tol < clf.loss_curve_[0]
    assert clf.score(XOR_X, y) == 1.0


def test_the_2_1_1_shortcut_network_as_an_estimator():
    clf = XornetClassifier(hidden=1, shortcut=True, random_state=0).fit(XOR_X, [0, 1, 1, 0])
    assert [a.shape for a in clf.coefs_] == [(2, 1), (1, 1), (2, 1)]
    assert clf.params_.size == 7
    assert clf.score(XOR_X, [0, 1, 1, 0]) == 1.0


def test_it_is_xornets_own_network():
    # The same seed stream gives exactly what xornet.train gives.
    y = np.array([0, 1, 1, 0])
    clf = XornetClassifier(random_state=3, tol=None, max_iter=300).fit(XOR_X, y)
    seed = np.random.RandomState(3).randint(2**31)
    config = xornet.TrainConfig(steps=300, tol=None, record_every=1)
    alone = xornet.train(XOR_X, y.astype(float), config, rng=np.random.default_rng(seed))
    np.testing.assert_array_equal(clf.params_.ravel(), alone.params.ravel())
    np.testing.assert_array_equal(clf.loss_curve_, alone.loss_history)
    np.testing.assert_allclose(clf.predict_proba(XOR_X)[:, 1], alone.probabilities, rtol=1e-15)


def test_probabilities_and_logits_agree():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = XornetClassifier(hidden=6, optimizer="adam", learning_rate=0.05, max_iter=300,
                           random_state=0, tol=None).fit(X, y)  # fmt: skip
    P = clf.predict_proba(X)
    assert P.shape == (150, 3)
    assert clf.out_activation_ == "softmax"
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(P), rtol=1e-10)
    Z = clf.decision_function(X)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(Z, axis=1)])
    assert clf.score(X, y) > 0.95
    # Binary: the log-probabilities stay finite where the probabilities round to 0 and 1.
    binary = XornetClassifier(random_state=0).fit(XOR_X, [0, 1, 1, 0])
    far = np.array([[0.0, 400.0], [400.0, 0.0]])
    assert np.all(np.isfinite(binary.predict_log_proba(far)))


def test_convergence_warning_only_at_the_iteration_limit():
    with pytest.warns(ConvergenceWarning, match="stopped at max_iter=5 epochs"):
        XornetClassifier(max_iter=5, random_state=0).fit(XOR_X, [0, 1, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        XornetClassifier(random_state=0).fit(XOR_X, [0, 1, 1, 0])  # reaches tol: no warning
        XornetClassifier(max_iter=5, tol=None).fit(XOR_X, [0, 1, 1, 0])  # no tol: no warning


def test_bad_settings_and_data_are_clear_value_errors():
    y = [0, 1, 1, 0]
    for params, message in [
        ({"hidden": 0}, "hidden: must be from 1"),
        ({"activation": "swish"}, "activation: must be one of"),
        ({"learning_rate": -1.0}, "learning_rate: must be a positive"),
        ({"max_iter": 0}, "max_iter must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"engine": "gpu"}, "unknown engine 'gpu'"),
    ]:
        with pytest.raises(ValueError, match=message):
            XornetClassifier(**params).fit(XOR_X, y)
    with pytest.raises(ValueError, match="at least 2 classes; y has 1 class"):
        XornetClassifier().fit(XOR_X, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="Unknown label type"):
        XornetClassifier().fit(XOR_X, [0.5, 1.5, 0.2, 0.1])
    with pytest.raises(NotFittedError):
        XornetClassifier().predict(XOR_X)


def test_warm_start_and_partial_fit_continue_from_the_current_weights():
    y = np.array([0, 1, 1, 0])
    clf = XornetClassifier(max_iter=100, tol=None, random_state=0, warm_start=True)
    clf.fit(XOR_X, y)
    before = clf.params_.ravel()
    clf.fit(XOR_X, y)
    assert not np.array_equal(before, clf.params_.ravel())
    # Plain full-batch gradient descent has no optimizer state: 100 + 100 epochs are 200.
    once = XornetClassifier(max_iter=200, tol=None, random_state=0).fit(XOR_X, y)
    np.testing.assert_allclose(clf.loss_curve_, once.loss_curve_, rtol=1e-13)
    np.testing.assert_allclose(clf.params_.ravel(), once.params_.ravel(), rtol=1e-13)
    with pytest.raises(ValueError, match="warm_start needs the classes of the previous fit"):
        clf.fit(XOR_X, [0, 1, 2, 0])

    inc = XornetClassifier(random_state=0, tol=None)
    with pytest.raises(ValueError, match="classes must be given to the first call"):
        inc.partial_fit(XOR_X, y)
    inc.partial_fit(XOR_X[:2], y[:2], classes=[0, 1])  # one class seen so far: fine
    for _ in range(300):
        inc.partial_fit(XOR_X, y)
    assert inc.n_iter_ == 301
    assert inc.loss_curve_[-1] < inc.loss_curve_[0]
    with pytest.raises(ValueError, match=r"y has labels not in classes: \[7\]"):
        inc.partial_fit(XOR_X, [0, 1, 7, 0])
    with pytest.raises(ValueError, match="X has 3 features"):
        inc.partial_fit(np.zeros((2, 3)), [0, 1])


@pytest.mark.parametrize(("optimizer", "rate"), [("momentum", 0.3), ("adam", 0.05)])
@pytest.mark.parametrize("batch_size", [None, 8])
def test_partial_fit_and_warm_start_continue_the_optimizer_and_the_shuffling(
    optimizer, rate, batch_size
):
    # fit for 30 epochs, then 10 more (one partial_fit call each, or a warm fit): the steps of
    # one fit for 40 epochs, momentum's velocities, Adam's moments and t, and the batch order
    # included. (Restarting the optimizer's state at each call would not give these numbers.)
    data = xornet.make_dataset("moons", n_samples=20, rng=0)
    X, y = data.X, data.y.astype(int)
    settings = {"optimizer": optimizer, "learning_rate": rate, "batch_size": batch_size,
                "tol": None, "random_state": 0}  # fmt: skip
    once = XornetClassifier(max_iter=40, **settings).fit(X, y)
    inc = XornetClassifier(max_iter=30, **settings).fit(X, y)
    for _ in range(10):
        inc.partial_fit(X, y)
    warm = XornetClassifier(max_iter=20, warm_start=True, **settings).fit(X, y).fit(X, y)
    for continued in (inc, warm):
        np.testing.assert_array_equal(continued.params_.ravel(), once.params_.ravel())
        np.testing.assert_array_equal(continued.loss_curve_, once.loss_curve_)
        assert continued.loss_ == once.loss_
    assert (inc.n_iter_, warm.n_iter_, once.n_iter_) == (40, 20, 40)


def test_pipeline_grid_search_cross_validation_clone_and_pickle():
    X, y = load_iris(return_X_y=True)
    net = XornetClassifier(optimizer="adam", learning_rate=0.05, max_iter=200, random_state=0)
    pipe = make_pipeline(StandardScaler(), net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(pipe, X, y, cv=3)
        search = GridSearchCV(pipe, {"xornetclassifier__hidden": [2, 8]}, cv=3).fit(X, y)
    assert scores.mean() > 0.85
    assert search.best_params_["xornetclassifier__hidden"] in (2, 8)
    fitted = search.best_estimator_
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    copy = clone(fitted[-1])
    assert copy.get_params() == fitted[-1].get_params()
    assert not hasattr(copy, "classes_")


def test_feature_names_from_a_dataframe():
    import pandas as pd

    frame = pd.DataFrame(XOR_X, columns=["a", "b"])
    clf = XornetClassifier(random_state=0).fit(frame, [0, 1, 1, 0])
    assert clf.feature_names_in_.tolist() == ["a", "b"]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(XOR_X)
