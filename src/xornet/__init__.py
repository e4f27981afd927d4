"""xornet: a two-layer neural network that learns XOR, written to be read end to end.

The public API is exactly ``__all__``. Inside, rows are samples: ``X`` is ``(n, d)``,
``W1`` is ``(d, h)``, ``Z1 = X @ W1 + b1``. The study post's own functions, with its
(features, samples) layout, are in :mod:`xornet.tutorial`.
"""

from xornet._rng import as_generator
from xornet.data import (
    Dataset,
    circles,
    gate,
    load_csv,
    make_dataset,
    moons,
    noisy_xor,
    parity,
    spiral,
    xor,
)
from xornet.diagnosis import Outcome, diagnose
from xornet.engines import numba_available
from xornet.engines.many import ManyResult, train_many
from xornet.errors import DataError, ModelFileError, TrainingDiverged, XornetError
from xornet.gradcheck import GradCheck, gradient_check, numerical_gradient
from xornet.modelfile import Model, load_model, save_model
from xornet.network import Cache, backward, forward, loss, predict_proba
from xornet.optim import GD, Adam, Momentum, make_optimizer
from xornet.params import Params, init_params, post_initial_params
from xornet.training import PRESETS, TrainConfig, TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "GD",
    "PRESETS",
    "Adam",
    "Cache",
    "DataError",
    "Dataset",
    "GradCheck",
    "ManyResult",
    "Model",
    "ModelFileError",
    "Momentum",
    "Outcome",
    "Params",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "XornetError",
    "__version__",
    "as_generator",
    "backward",
    "circles",
    "diagnose",
    "forward",
    "gate",
    "gradient_check",
    "init_params",
    "load_csv",
    "load_model",
    "loss",
    "make_dataset",
    "make_optimizer",
    "moons",
    "noisy_xor",
    "numba_available",
    "numerical_gradient",
    "parity",
    "post_initial_params",
    "predict_proba",
    "save_model",
    "spiral",
    "train",
    "train_many",
    "xor",
]
