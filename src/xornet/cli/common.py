"""What several commands do with their arguments: load the data, build the configuration,
read a model and its data, check a seed, show progress, catch Ctrl-C.

No rule of a run lives here: the configuration validates itself (its errors are translated
to flags), the data module knows the datasets, the Trainer trains.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Final

from xornet.cli.options import FLAGS, UsageError, flag_error
from xornet.errors import XornetError

if TYPE_CHECKING:
    from xornet._typing import Array
    from xornet.config import TrainConfig
    from xornet.data import Dataset
    from xornet.diagnosis import Outcome
    from xornet.modelfile import Model
    from xornet.training import Trainer, TrainResult

# What a random set is drawn from when neither the flags nor a model say otherwise.
_DATA_DEFAULTS = {"samples": 200, "noise": None, "data_seed": 0}

#: make_dataset's arguments and the flags that give them: its errors name the flag.
_DATA_FLAGS: Final = {"name": "--dataset", "n_samples": "--samples", "noise": "--noise"}


def load_data(
    args: argparse.Namespace, saved: Mapping[str, Any] | None = None, *, named_in: str = ""
) -> Dataset:
    """The dataset the flags name; given a model's metadata ``saved``, by default the data
    the model was trained on (its dataset and the settings of a random set). ``named_in``:
    where ``args.dataset`` came from when no flag gave it (a study file), for its errors.

    Raises
    ------
    XornetError
        For a bad dataset or file, or a model trained on a CSV file that was not given.
    """
    from xornet.csvfile import load_csv
    from xornet.data import is_dataset_name, make_dataset
    from xornet.errors import DataError

    if args.csv is not None:
        try:  # a file's own faults read "FILE: reason"; a label it lacks is --label's
            return load_csv(args.csv, label=args.label)
        except DataError as exc:
            if exc.argument != "label":
                raise
            raise UsageError(f"--label: {exc}") from None
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
    rng = check_seed(options["data_seed"], "--data-seed")
    try:
        # Only a flag not given means the default: an empty --dataset '' is a mistake, told.
        return make_dataset("xor" if name is None else name, n_samples=options["samples"],
                            noise=options["noise"], rng=rng)  # fmt: skip
    except DataError as exc:
        if exc.argument == "name" and named_in:
            raise XornetError(f"{named_in}: {exc}") from None
        flag = _DATA_FLAGS.get(exc.argument or "")
        if flag is None or getattr(args, flag[2:], None) is None:  # a model's, not a flag's
            raise
        text = str(exc).removeprefix(f"{exc.argument} ")  # "--noise: must be ...", once
        raise UsageError(f"{flag}: {text}") from None


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
    """The configuration of ``--preset`` and the flags, with ``fixed`` fields on top: one
    run's (checked as :class:`xornet.Trainer` checks it, so that its error names the flag)."""
    return run_config(make_config(args.preset, {**config_changes(args), **fixed}))


def run_config(config: TrainConfig) -> TrainConfig:
    """``config``, if one run may take it (:func:`xornet.config.check_records`); else the
    error in the words of the command line, before any work."""
    from xornet.config import check_records

    try:
        check_records(config)
    except XornetError as exc:
        raise flag_error(exc) from None
    return config


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


def run_seed(seed: int | None) -> int:
    """The seed of a run: ``--seed`` when given (checked), else one drawn from fresh entropy.
    The one rule of every command that trains a run (train, explain, report, landscape); each
    prints the seed it used."""
    if seed is not None:
        return check_seed(seed, "--seed")
    import numpy as np

    return int(np.random.default_rng().integers(2**32))


def check_file_target(path: Path, flag: str) -> None:
    """Refuse, before any work, a file that cannot be written: its directory missing or not
    writable, or a directory in its place."""
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"{flag}: directory {parent} does not exist")
    if path.is_dir():
        raise UsageError(f"{flag}: {path} is a directory")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{flag}: directory {parent} is not writable")


def check_directory_target(path: Path, flag: str) -> None:
    """Refuse, before any work, a directory that cannot be made or written into."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag}: {path} is a file, not a directory")
    existing = path
    while not existing.exists():  # the nearest ancestor there is: where it will be made
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{flag}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK):
        raise UsageError(f"{flag}: directory {existing} is not writable")


def need_matplotlib() -> None:
    """Refuse figures without matplotlib before any work (the message says what to install)."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise XornetError("figures need matplotlib: pip install 'xornet[plot]'")


def cache_is_used() -> bool:
    """Whether the kernels' cache directory is used; when others can write in it, it is not
    (:func:`xornet.engines._cache.is_private`), and a note says so."""
    from xornet.engines._cache import cache_dir, is_private

    where = cache_dir()
    if not where.is_dir() or is_private(where):
        return True
    note(f"{where} can be written by other users, so it is not used as the kernels' cache: "
         "the kernels are compiled again in each process "
         "(XORNET_CACHE_DIR names another)")  # fmt: skip
    return False


def announce_compiling(
    X: Array, config: TrainConfig, n_outputs: int, steps: int, engine: str
) -> str | None:
    """Say on stderr, before it happens, that a run of ``steps`` steps will first compile the
    numba engine (seconds, once per machine and network shape; with ``cc``, under a second),
    rather than leave the terminal silent.

    Returns
    -------
    str or None
        What is to compile the engine, ``"cc"`` or ``"numba"``; None when nothing is (it is
        compiled already, not used, or numba's cache cannot tell).
    """
    from xornet.engines import resolve_engine

    if steps <= 0 or resolve_engine(engine, steps) != "numba":
        return None
    from xornet.engines import fused

    cache_is_used()
    if fused.compiled(X, config, n_outputs, steps) is not False:
        return None
    compiler = fused.compiler(X, config, n_outputs, steps)
    how = "with cc (once; under a second)" if compiler == "cc" else "(once; it takes seconds)"
    print(f"xornet: compiling the numba engine for this machine and network {how}...",
          file=sys.stderr, flush=True)  # fmt: skip
    return compiler


#: What a command says on stderr after its output when it succeeds (:func:`note`); dropped
#: when it fails, whose one line is its error.
NOTES: list[str] = []


def note(text: str) -> None:
    """Say ``text`` as ``xornet: note: ...`` once the command has succeeded, and once only
    however often it is noted (landscape's trend compiles, and notes the cache, twice)."""
    if text not in NOTES:
        NOTES.append(text)


def saved_config(model: Model, path: object) -> TrainConfig:
    """The configuration a model was trained with (from its metadata), or, for a file saved
    without one, the defaults for its network, said in a note: the steps shown from them
    need not be the model's (``save_model(path, params)`` keeps no configuration)."""
    from xornet.cli.output import network
    from xornet.config import TrainConfig
    from xornet.errors import ModelFileError

    record = model.metadata.get("config")
    if record is None:
        p = model.params
        config = TrainConfig(hidden=p.n_hidden, shortcut=p.shortcut, activation=model.activation)
        assumed = network(config, p.n_inputs, p.n_outputs)
        note(f"{path} holds no training configuration; taking the defaults for its network: "
             f"{assumed}")  # fmt: skip
        return config
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


def model_outcome(model: Model, dataset: Dataset, config: TrainConfig) -> Outcome:
    """The verdict on a saved model, as :meth:`xornet.Trainer.result` gives it: its loss
    record (the run's state, else the metadata's, else none) and its loss on ``dataset``."""
    import numpy as np

    from xornet.diagnosis import diagnose
    from xornet.network import forward, loss, output_probabilities

    with np.errstate(over="ignore", invalid="ignore"):
        cache = forward(model.params, dataset.X, config.activation)
        final = loss(cache, dataset.y, config.loss)
    if model.state is not None:
        history = np.asarray(model.state.loss_history, dtype=np.float64)
    else:
        kept = model.metadata.get("loss_history")
        numbers = isinstance(kept, list) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in kept
        )
        history = np.array(kept if numbers else [], dtype=np.float64)
    return diagnose(output_probabilities(cache.P), dataset.y, np.append(history, final),
                    kind=config.loss)  # fmt: skip


#: The steps before an explained one run to their end: no stop rule.
NO_STOP: dict[str, Any] = {"tol": None, "stop_when_correct": False}


def model_trainer(
    model: Model, dataset: Dataset, saved: TrainConfig, after: int, engine: str
) -> tuple[Trainer, int]:
    """The saved model's run, to go on for ``after`` more steps with its configuration and no
    stop rule (with its optimizer's state when the file holds it), and the steps it had taken
    that the trainer does not count (a file without the run's state: its metadata's).

    What ``explain --model`` and ``report --model`` show as the model's next step."""
    from xornet.config import MAX_RECORDS, check_records
    from xornet.training import Trainer

    if model.state is not None:
        config = saved.replace(steps=model.state.step + after, **NO_STOP)
        offset = 0
    else:
        steps = model.metadata.get("steps", 0)
        whole = isinstance(steps, int) and not isinstance(steps, bool)
        offset = steps if whole and steps > 0 else 0
        config = saved.replace(steps=after, **NO_STOP)
    try:  # the run goes on with its own record spacing: only the steps can change
        check_records(config)
    except XornetError:
        raise UsageError(
            f"--after: {after:,} more steps would take the model's run past the "
            f"{MAX_RECORDS:,} loss records a run keeps; ask for fewer"
        ) from None
    if model.state is not None:
        return Trainer.resume(dataset.X, dataset.y, config, model.params, model.state,
                              engine=engine), 0  # fmt: skip
    return Trainer(dataset.X, dataset.y, config, params=model.params, engine=engine), offset


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
    """A tqdm bar on a terminal that appears only for work longer than a second (or None);
    ``unit`` counts steps (shown as 1.2M) or whole things such as frames or submissions."""
    in_notebook = "ipykernel" in sys.modules  # main([...]) called from a Jupyter cell
    if not (enabled and (sys.stderr.isatty() or in_notebook)):
        return None
    try:  # tqdm.auto draws a notebook widget inside Jupyter, text on a terminal
        from tqdm.auto import tqdm
    except ImportError:  # the 'cli' extra is not installed: no bar
        return None
    return tqdm(total=total, initial=initial, delay=1.0, unit=unit, unit_scale=unit == "step",
                leave=False, file=sys.stderr)  # fmt: skip


def train_run(
    trainer: Trainer, *, quiet: bool, callback: Callable[[int, float], object] | None = None
) -> TrainResult:
    """Run the trainer to its end with a progress bar; the first Ctrl-C stops it cleanly
    (stop reason ``interrupted``). ``callback(step, loss)`` also sees each loss record."""
    bar = progress_bar(trainer.config.steps, enabled=not quiet, initial=trainer.steps)
    with Interrupt() as interrupt:

        def each_record(step: int, loss: float) -> bool:
            if callback is not None:
                callback(step, loss)
            if bar is not None:
                bar.update(step - bar.n)
                bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
            return interrupt.requested

        try:
            trainer.run(callback=each_record)
        finally:
            if bar is not None:
                bar.close()
    return trainer.result()


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
