"""What several commands do with their arguments: load the data, build the configuration,
read a model and its data, check a seed, show progress, catch Ctrl-C.

No rule of a run lives here: the configuration validates itself (its errors are translated
to flags), the data module knows the datasets, the Trainer trains.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Mapping
from types import FrameType
from typing import TYPE_CHECKING, Any

from xornet.cli.options import FLAGS, UsageError, flag_error
from xornet.errors import XornetError

if TYPE_CHECKING:
    from xornet.config import TrainConfig
    from xornet.data import Dataset
    from xornet.modelfile import Model

# What a random set is drawn from when neither the flags nor a model say otherwise.
_DATA_DEFAULTS = {"samples": 200, "noise": None, "data_seed": 0}


def load_data(args: argparse.Namespace, saved: Mapping[str, Any] | None = None) -> Dataset:
    """The dataset the flags name; given a model's metadata ``saved``, by default the data
    the model was trained on (its dataset and the settings of a random set).

    Raises
    ------
    XornetError
        For a bad dataset or file, or a model trained on a CSV file that was not given.
    """
    from xornet.data import is_dataset_name, load_csv, make_dataset

    if args.csv is not None:
        return load_csv(args.csv, label=args.label)
    name = args.dataset
    if name is None and saved is not None:
        trained_on = saved.get("dataset")
        # A model trained on a CSV file saves no data options (None): its stem is no name.
        kept = saved.get("data_options", {})
        if trained_on is not None and (kept is None or not is_dataset_name(str(trained_on))):
            raise XornetError(f"the model was trained on {trained_on!r}, not a built-in "
                              "dataset; give its data with --csv FILE")  # fmt: skip
        name = trained_on
    options = _options(args, saved)
    return make_dataset(name or "xor", n_samples=options["samples"], noise=options["noise"],
                        rng=check_seed(options["data_seed"], "--data-seed"))  # fmt: skip


def _options(args: argparse.Namespace, saved: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings of a random set: the flags', else the model's (when the flags name no
    other dataset), else the defaults."""
    from xornet.errors import ModelFileError

    options = dict(_DATA_DEFAULTS)
    kept = None if saved is None or args.dataset is not None else saved.get("data_options")
    if kept is not None:
        if not isinstance(kept, dict) or not set(kept) <= set(_DATA_DEFAULTS):
            raise ModelFileError("the model's saved data options are not valid")
        for key, value in kept.items():
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not (number or (key == "noise" and value is None)):
                raise ModelFileError(f"the model's saved data option {key}={value!r} is not valid")
        options.update(kept)
    for key in options:
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    return options


def data_record(
    args: argparse.Namespace, dataset: Dataset, saved: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What a model file records of its data: the dataset's name, the settings of a random set
    (None for a CSV file) and a fingerprint of the arrays (to continue on the same data)."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for a in (dataset.X, dataset.y):
        digest.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return {
        "dataset": dataset.name,
        "feature_names": list(dataset.feature_names),
        "data_options": None if args.csv is not None else _options(args, saved),
        "data_sha256": digest.hexdigest(),
    }


def config_changes(args: argparse.Namespace) -> dict[str, Any]:
    """The TrainConfig fields that flags set (``--no-tol`` as ``tol=None``)."""
    changes = {f: getattr(args, f) for f in FLAGS if getattr(args, f, None) is not None}
    if changes.get("tol") == "off":
        changes["tol"] = None
    return changes


def make_config(preset: str | None, changes: Mapping[str, Any]) -> TrainConfig:
    """The preset (``default`` when None) with ``changes``, all validated at once; an error
    names the flag."""
    from xornet.config import PRESETS

    try:
        return PRESETS[preset or "default"].replace(**changes)
    except XornetError as exc:
        raise flag_error(exc) from None


def config_from_args(args: argparse.Namespace, **fixed: Any) -> TrainConfig:
    """The configuration of ``--preset`` and the flags, with ``fixed`` fields on top."""
    return make_config(args.preset, {**config_changes(args), **fixed})


def refuse_config_flags(
    args: argparse.Namespace, why: str, *, allowed: tuple[str, ...] = ()
) -> None:
    """Refuse the configuration flags (and --preset, --seed) that were given, except
    ``allowed`` fields: for a run whose configuration comes from a file.

    Raises
    ------
    UsageError
        Naming every such flag, with ``why``.
    """
    given = [FLAGS[f] for f in config_changes(args) if f not in allowed]
    given += [f"--{name}" for name in ("preset", "seed") if getattr(args, name, None) is not None]
    if given:
        raise UsageError(f"{', '.join(given)}: {why}; drop {'it' if len(given) == 1 else 'them'}")


def check_seed(seed: object, flag: str) -> int:
    """``seed`` if it is a valid seed; else an error naming ``flag``."""
    from xornet.config import check_seed as check

    try:
        return check(seed, flag)
    except XornetError as exc:
        raise UsageError(str(exc)) from None


def saved_config(model: Model, path: object) -> TrainConfig:
    """The configuration a model was trained with (from its metadata), or, for a file saved
    without one, the defaults for its network."""
    from xornet.config import TrainConfig
    from xornet.errors import ModelFileError

    record = model.metadata.get("config")
    if record is None:
        p = model.params
        return TrainConfig(hidden=p.n_hidden, shortcut=p.shortcut, activation=model.activation)
    try:
        if not isinstance(record, dict):
            raise XornetError("not a record")
        config = TrainConfig.from_dict(record)
    except (XornetError, TypeError) as exc:
        raise ModelFileError(f"{path}: the saved configuration is not valid ({exc})") from None
    p = model.params
    if (config.hidden, config.shortcut, config.activation) != (p.n_hidden, p.shortcut,
                                                                model.activation):  # fmt: skip
        raise ModelFileError(f"{path}: the saved configuration does not match the network")
    return config


def model_and_data(args: argparse.Namespace) -> tuple[Model, Dataset]:
    """The model of ``args.model`` and the data to show it on (by default its own)."""
    from xornet.modelfile import load_model

    model = load_model(args.model)
    dataset = load_data(args, model.metadata)
    if dataset.n_features != model.params.n_inputs:
        raise XornetError(f"the model takes {model.params.n_inputs} features but {dataset.name} "
                          f"has {dataset.n_features}")  # fmt: skip
    return model, dataset


def progress_bar(total: int, *, enabled: bool, initial: int = 0, unit: str = "step") -> Any:
    """A tqdm bar on a terminal that appears only for runs longer than a second (or None);
    ``unit`` counts steps (shown as 1.2M) or whole things such as submissions."""
    if not (enabled and sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the 'cli' extra is not installed: no bar
        return None
    return tqdm(total=total, initial=initial, delay=1.0, unit=unit, unit_scale=unit == "step",
                leave=False, file=sys.stderr)  # fmt: skip


class Interrupt:
    """Turns the first Ctrl-C into a flag the training callback reads; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = None

    def __enter__(self) -> Interrupt:
        try:
            self.previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave Ctrl-C as it is
            self.previous = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
