"""xornet: a two-layer neural network that learns XOR, written to be read end to end.

The public API is exactly ``__all__``. Inside, rows are samples: ``X`` is ``(n, d)``,
``W1`` is ``(d, h)``, ``Z1 = X @ W1 + b1``. The study post's own functions, with its
(features, samples) layout, are in :mod:`xornet.tutorial`.

Names are loaded on first use (Scientific Python SPEC 1), so ``import xornet`` itself imports
nothing heavy, not even NumPy; ``xornet.train`` imports what training needs when it is first
touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Each public name and the module that defines it.
_EXPORTS: dict[str, str] = {
    "as_generator": "xornet._rng",
    "Dataset": "xornet.data",
    "circles": "xornet.data",
    "gate": "xornet.data",
    "load_csv": "xornet.csvfile",
    "make_dataset": "xornet.data",
    "moons": "xornet.data",
    "noisy_xor": "xornet.data",
    "parity": "xornet.data",
    "spiral": "xornet.data",
    "xor": "xornet.data",
    "Outcome": "xornet.diagnosis",
    "diagnose": "xornet.diagnosis",
    "numba_available": "xornet.engines",
    "ManyResult": "xornet.engines.many",
    "train_many": "xornet.engines.many",
    "DataError": "xornet.errors",
    "ModelFileError": "xornet.errors",
    "TrainingDiverged": "xornet.errors",
    "XornetError": "xornet.errors",
    "GradCheck": "xornet.gradcheck",
    "gradient_check": "xornet.gradcheck",
    "numerical_gradient": "xornet.gradcheck",
    "Model": "xornet.modelfile",
    "load_model": "xornet.modelfile",
    "save_model": "xornet.modelfile",
    "Cache": "xornet.network",
    "backward": "xornet.network",
    "forward": "xornet.network",
    "loss": "xornet.network",
    "predict_proba": "xornet.network",
    "Adam": "xornet.optim",
    "GD": "xornet.optim",
    "Momentum": "xornet.optim",
    "make_optimizer": "xornet.optim",
    "Params": "xornet.params",
    "init_params": "xornet.params",
    "post_initial_params": "xornet.params",
    "post_initial_params_many": "xornet.params",
    "PRESETS": "xornet.config",
    "TrainConfig": "xornet.config",
    "TrainResult": "xornet.training",
    "TrainState": "xornet.training",
    "Trainer": "xornet.training",
    "train": "xornet.training",
}

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from xornet._rng import as_generator
    from xornet.config import PRESETS, TrainConfig
    from xornet.csvfile import load_csv
    from xornet.data import (
        Dataset,
        circles,
        gate,
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
    from xornet.params import Params, init_params, post_initial_params, post_initial_params_many
    from xornet.training import Trainer, TrainResult, TrainState, train

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
    "TrainState",
    "Trainer",
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
    "post_initial_params_many",
    "predict_proba",
    "save_model",
    "spiral",
    "train",
    "train_many",
    "xor",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'xornet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
