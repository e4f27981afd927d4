"""Where a training run stands, as a model file holds it: a ``state`` record in the metadata
and its arrays as members named ``state.*``.

:func:`split_state` turns a :class:`~xornet.training.TrainState` into the two;
:func:`check_state_layout` checks the members as their headers declare them against the record,
before they are read; :func:`join_state` checks every value and makes the state again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np

from xornet._modelfile.schema import (
    STATE_SCHEMA,
    is_int,
    is_pcg64_state,
    is_text,
    quoted,
    schema_problem,
    whole,
)
from xornet._typing import Array
from xornet.errors import XornetError
from xornet.params import Params

if TYPE_CHECKING:
    from xornet.training import TrainState

__all__ = ["STATE_PREFIX", "check_state_layout", "join_state", "split_state"]

STATE_PREFIX: Final = "state."  # the prefix of the state's members
_ARRAYS: Final = "arrays"  # an optimizer entry whose arrays are members of their own


def split_state(state: TrainState, params: Params) -> tuple[dict[str, Any], dict[str, Array]]:
    """A run's state as its JSON record and its arrays (``state.*`` members)."""
    if not is_pcg64_state(state.rng):
        raise XornetError("only the state of NumPy's default generator (PCG64) can be saved")
    arrays: dict[str, Array] = {
        f"{STATE_PREFIX}loss_history": np.ascontiguousarray(state.loss_history, dtype=np.float64),
        f"{STATE_PREFIX}order": np.ascontiguousarray(state.order, dtype=np.int64),
    }
    optimizer: dict[str, Any] = {}
    for key, value in state.optimizer.items():
        if value is None or is_int(value):
            optimizer[key] = value if value is None else int(value)
            continue
        if not isinstance(value, list | tuple):
            raise XornetError(f"cannot save the optimizer's {key!r} ({type(value).__name__})")
        if [np.shape(a) for a in value] != [w.shape for w in params]:
            raise XornetError(f"the optimizer's {key!r} does not fit the parameters")
        optimizer[key] = _ARRAYS
        for name, a in zip(params.names, value, strict=True):
            arrays[f"{STATE_PREFIX}optimizer.{key}.{name}"] = np.ascontiguousarray(
                a, dtype=np.float64
            )
    record: dict[str, Any] = {
        "step": int(state.step),
        "stop_reason": state.stop_reason,
        "order_epoch": int(state.order_epoch),
        "rng": state.rng,
        "optimizer": optimizer,
    }
    return record, arrays


def _state_members(
    record: object, shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, tuple[tuple[int, ...] | None, type]]:
    """The members a state record calls for: name -> (shape, or None for any 1-D, dtype)."""
    problem = schema_problem(record, STATE_SCHEMA, closed=True)
    if problem is not None:
        raise XornetError(problem)
    record = cast(dict[str, Any], record)  # checked by the schema just above
    expected: dict[str, tuple[tuple[int, ...] | None, type]] = {
        f"{STATE_PREFIX}loss_history": (None, np.float64),
        f"{STATE_PREFIX}order": (None, np.int64),
    }
    for key, value in record["optimizer"].items():
        if not is_text(key, 64):
            raise XornetError(f"has an optimizer entry named {quoted(key)}")
        if value == _ARRAYS:
            for name, shape in shapes.items():
                expected[f"{STATE_PREFIX}optimizer.{key}.{name}"] = (shape, np.float64)
        elif not (value is None or whole(0)(value, record)):
            raise XornetError(f"has an optimizer entry {quoted(key)} = {quoted(value)}")
    return expected


def _floats_problem(name: str, shape: object) -> str:
    return f"has no finite float64 array {name} of shape {shape}"


def check_state_layout(
    record: object,
    declared: Mapping[str, tuple[tuple[int, ...], np.dtype[Any]]],
    shapes: Mapping[str, tuple[int, ...]],
) -> None:
    """The state's members, as their headers declare them, against its record (XornetError)."""
    expected = _state_members(record, shapes)
    for name, (shape, dtype) in expected.items():
        if shape is not None and declared.get(name) != (shape, np.dtype(dtype)):
            raise XornetError(_floats_problem(name, shape))
    if set(declared) != set(expected):
        odd = sorted(set(declared) ^ set(expected))
        raise XornetError(f"has missing or unexpected arrays ({', '.join(odd)})")
    history_shape, history_dtype = declared[f"{STATE_PREFIX}loss_history"]
    if len(history_shape) != 1 or history_dtype != np.float64:
        raise XornetError(_floats_problem("loss_history", "(n,)"))
    order_shape, order_dtype = declared[f"{STATE_PREFIX}order"]
    if len(order_shape) != 1 or order_dtype != np.int64:
        raise XornetError("has a batch order that is not an order of the samples")


def join_state(record: object, members: dict[str, Any], params: Params) -> TrainState:
    """The state from its record and members, every type, shape and value checked (XornetError)."""
    from xornet.training import TrainState

    declared = {n: (a.shape, a.dtype) for n, a in members.items()}
    check_state_layout(
        record, declared, {n: w.shape for n, w in zip(params.names, params, strict=True)}
    )
    record = cast(dict[str, Any], record)  # checked by the layout just above
    for name, a in members.items():
        if a.dtype == np.float64 and not np.isfinite(a).all():
            raise XornetError(
                _floats_problem(
                    name.removeprefix(STATE_PREFIX) if name.endswith("loss_history") else name,
                    a.shape,
                )
            )
    optimizer: dict[str, Any] = {}
    for key, value in record["optimizer"].items():
        if value == _ARRAYS:
            optimizer[key] = [
                members[f"{STATE_PREFIX}optimizer.{key}.{name}"] for name in params.names
            ]
        else:
            optimizer[key] = value
    history = members[f"{STATE_PREFIX}loss_history"]
    if (history < 0).any():  # a loss (cross-entropy, squared error) is never negative
        raise XornetError(f"has a negative loss record ({history[history < 0][0]:g})")
    order = members[f"{STATE_PREFIX}order"]
    if not np.array_equal(np.sort(order), np.arange(order.size)):
        raise XornetError("has a batch order that is not an order of the samples")
    return TrainState(step=record["step"], loss_history=members[f"{STATE_PREFIX}loss_history"],
                      stop_reason=record["stop_reason"], optimizer=optimizer, rng=record["rng"],
                      order=order, order_epoch=record["order_epoch"])  # fmt: skip
