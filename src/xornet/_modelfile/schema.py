"""The metadata record of a model file: the format's name, version and bounds, and the keys
xornet writes, each with what it must hold (:data:`METADATA_SCHEMA`).

:func:`parse_record` reads a record from its text, bounded, and checks it against the schema:
:func:`xornet.modelfile.save_model` before it writes, :func:`xornet.modelfile.load_model` before
it reads any array. A problem is one :class:`~xornet.errors.XornetError` naming the key.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast, get_args

import numpy as np

from xornet.config import MAX_STEPS, StopReason, check_seed
from xornet.data import name_problem
from xornet.diagnosis import OutcomeKind
from xornet.errors import XornetError, one_line
from xornet.errors import quoted as quoted  # a message quotes a file's value, never all of it
from xornet.functional import ACTIVATIONS
from xornet.params import NAMES, SHORTCUT_NAMES

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "MAX_DEPTH",
    "MAX_METADATA_CHARS",
    "METADATA_SCHEMA",
    "QUOTED_ERROR",
    "STATE_SCHEMA",
    "is_int",
    "is_pcg64_state",
    "is_text",
    "parse_record",
    "quoted",
    "schema_problem",
    "whole",
]

#: Version of the file layout this xornet writes; it reads this version and older.
FORMAT_VERSION: Final = 2
FORMAT_NAME: Final = "xornet-model"

#: The longest metadata text, in characters (a ``.npy`` text takes four bytes per character).
MAX_METADATA_CHARS: Final = 8 * 2**20
#: The deepest nesting of lists and records in the metadata (xornet's own goes 4 deep).
MAX_DEPTH: Final = 16

#: The longest error message a model file's error quotes (one line: it never quotes all of it).
QUOTED_ERROR: Final = 120


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def parse_record(text: str) -> dict[str, Any]:
    """The metadata record in ``text``, bounded, parsed and checked against the schema.

    Raises
    ------
    XornetError
        Saying what is wrong: too long, not JSON, too deep, or not what the schema says.
    """
    if len(text) > MAX_METADATA_CHARS:
        raise XornetError(
            f"the metadata record is {len(text):,} characters long, more than "
            f"the {MAX_METADATA_CHARS:,} a model file holds"
        )
    try:
        record = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise XornetError(f"the metadata record nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, NaN, an integer of over 4,300 digits
        reason = one_line(exc, limit=QUOTED_ERROR)
        raise XornetError(f"the metadata record is not valid JSON ({reason})") from None
    if not isinstance(record, dict):
        raise XornetError("not a xornet model (the metadata is not a record)")
    problem = _nesting_problem(record) or schema_problem(record, METADATA_SCHEMA)
    if problem is not None:
        raise XornetError(problem)
    return record


def _nesting_problem(value: object) -> str | None:
    """Whether a JSON value nests deeper than MAX_DEPTH or holds a number beyond float64."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return "the metadata record holds a number beyond float64 (such as 1e999)"
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            return f"the metadata record nests deeper than {MAX_DEPTH} levels"
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return None


# A rule's test: the value and the record it is in (a rule may rely on the keys before it).
_Valid = Callable[[Any, Mapping[str, Any]], bool]


@dataclass(frozen=True)
class _Key:
    """What one key of a record must hold, and how a message says that it does not.

    ``problem`` starts the message, with ``{key}`` and ``{value}`` filled in; ``(expected
    ...)`` ends it. ``record``: the value is a record of exactly these keys, each checked.
    """

    expected: str
    valid: _Valid
    required: bool = False
    problem: str = "invalid {key} {value} in the metadata"
    record: Mapping[str, _Key] | None = None

    def check(self, key: str, value: Any, record: Mapping[str, Any]) -> str | None:
        """None when ``value`` is valid, else the message's text."""
        if self.record is not None:
            return schema_problem(value, self.record, closed=True)
        if self.valid(value, record):
            return None
        return f"{self.problem.format(key=key, value=quoted(value))} (expected {self.expected})"


def is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    """A finite JSON number (not a boolean); a whole one within 64 bits (JSON has larger ones,
    which no field holds and which NumPy cannot take as a number)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def is_text(value: object, limit: int = 255) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def _is_name(value: object) -> bool:
    return isinstance(value, str) and name_problem(value) is None


_INT64_MAX: Final = 2**63 - 1  # no whole number of a model file is larger


def whole(low: int, high: int = _INT64_MAX) -> _Valid:
    return lambda v, r: is_int(v) and low <= v <= high


def _are_shapes(value: object, record: Mapping[str, Any]) -> bool:
    """A record of W1, b1, W2, b2 (and W3): lists of one or two positive whole numbers."""
    return (
        isinstance(value, dict)
        and set(value) in (set(NAMES), set(SHORTCUT_NAMES))
        and all(
            isinstance(s, list)
            and 1 <= len(s) <= 2
            and all(is_int(n) and 1 <= n <= 2**31 for n in s)
            for s in value.values()
        )
    )


def _are_feature_names(value: object, record: Mapping[str, Any]) -> bool:
    """One distinct name per input of W1 (the shapes are checked before)."""
    return (
        isinstance(value, list)
        and len(value) == record["shapes"]["W1"][0]
        and all(_is_name(name) for name in value)
        and len(set(value)) == len(value)
    )


def _is_seed(value: object) -> bool:
    try:
        check_seed(value)
    except XornetError:
        return False
    return True


_DATA_OPTIONS: Final = {
    "samples": lambda v: is_int(v) and _is_number(v),
    "noise": lambda v: v is None or _is_number(v),
    "data_seed": _is_seed,
}


def _are_data_options(value: object, record: Mapping[str, Any]) -> bool:
    """None (a CSV file) or the settings a random set was drawn with (their ranges are the
    data module's to check when it draws the set again)."""
    return value is None or (
        isinstance(value, dict)
        and set(value) <= set(_DATA_OPTIONS)
        and all(_DATA_OPTIONS[k](v) for k, v in value.items())
    )


def _is_scalar(value: object) -> bool:
    """A configuration value: null, true/false, a short text or a number."""
    return value is None or isinstance(value, bool) or _is_number(value) or is_text(value)


def _is_config(value: object, record: Mapping[str, Any]) -> bool:
    """A record of the configuration's fields and their values (TrainConfig.from_dict checks
    the fields and ranges where a configuration is rebuilt: a newer xornet may add fields)."""
    return isinstance(value, dict) and all(
        is_text(k, 64) and _is_scalar(v) for k, v in value.items()
    )


def _are_losses(value: object, record: Mapping[str, Any]) -> bool:
    return isinstance(value, list) and all(_is_loss(v, record) for v in value)


def _are_history_steps(value: object, record: Mapping[str, Any]) -> bool:
    """The step of each loss record: as many as there are losses (checked before)."""
    losses = record.get("loss_history")
    return (
        isinstance(value, list)
        and isinstance(losses, list)
        and len(value) == len(losses)
        and all(is_int(v) and 0 <= v <= MAX_STEPS for v in value)
    )


def _one_of(choices: tuple[str, ...] | Mapping[str, Any], none: bool = False) -> _Valid:
    return lambda v, r: (none and v is None) or (isinstance(v, str) and v in choices)


def _is_sha256(value: object, record: Mapping[str, Any]) -> bool:
    return isinstance(value, str) and re.fullmatch("[0-9a-f]{64}", value) is not None


def _is_loss(value: object, record: Mapping[str, Any]) -> bool:
    return _is_number(value) and cast(float, value) >= 0


def _is_fraction(value: object, record: Mapping[str, Any]) -> bool:
    return _is_number(value) and 0 <= cast(float, value) <= 1


_REASONS: Final = get_args(StopReason)
_HAS: Final = "has {key} {value}"

#: The ``state`` record's keys (a closed record: exactly these). Its arrays are members, checked
#: against it before they are read (:func:`check_state_layout`) and once read.
STATE_SCHEMA: Final[Mapping[str, _Key]] = {
    "step": _Key(f"a whole number from 0 to {MAX_STEPS:.0e}", whole(0, MAX_STEPS), True, _HAS),
    "stop_reason": _Key(f"null or one of {', '.join(_REASONS)}", _one_of(_REASONS, none=True),
                        True, "has an unknown stop reason {value}"),
    "order_epoch": _Key("a whole number from -1", whole(-1), True, _HAS),
    "rng": _Key("the state of NumPy's PCG64 generator", lambda v, r: is_pcg64_state(v), True,
                "has no valid generator state (PCG64): {value}"),
    "optimizer": _Key("a record of the optimizer's state", lambda v, r: isinstance(v, dict), True,
                      "has no optimizer record: {value}"),
}  # fmt: skip

#: The metadata record's keys: what each must hold, checked in this order (a rule may rely on
#: the keys before it). The first five are in every model file; the others are written by
#: ``xornet train --save`` (and the playground) and may be missing. Other keys are a caller's
#: own and may hold any JSON within :data:`MAX_DEPTH` levels.
METADATA_SCHEMA: Final[Mapping[str, _Key]] = {
    "format": _Key(repr(FORMAT_NAME), lambda v, r: v == FORMAT_NAME, True,
                   "not a xornet model: wrong format name {value}"),
    "format_version": _Key("a whole number from 1", whole(1), True),
    "xornet_version": _Key("a version text", lambda v, r: is_text(v, 64), True),
    "activation": _Key(f"one of {', '.join(ACTIVATIONS)}", _one_of(ACTIVATIONS), True,
                       "unknown activation {value} in the metadata"),
    "shapes": _Key("the shapes of W1, b1, W2, b2 (and W3): lists of whole numbers", _are_shapes,
                   True),
    "state": _Key("the run's state", lambda v, r: True, record=STATE_SCHEMA),
    "config": _Key("a record of the configuration's fields and their values", _is_config),
    "dataset": _Key("a dataset's name", lambda v, r: _is_name(v)),
    "feature_names": _Key("one distinct name per input of W1", _are_feature_names),
    "data_options": _Key("null or a record of samples, noise, data_seed", _are_data_options),
    "data_sha256": _Key("64 hexadecimal digits", _is_sha256),
    "seed": _Key("a seed, from 0 to 2**32 - 1", lambda v, r: _is_seed(v)),
    "steps": _Key(f"a whole number from 0 to {MAX_STEPS:.0e}", whole(0, MAX_STEPS)),
    "stop_reason": _Key(f"null or one of {', '.join(_REASONS)}", _one_of(_REASONS, none=True)),
    "final_loss": _Key("a finite number >= 0", _is_loss),
    "accuracy": _Key("a number from 0 to 1", _is_fraction),
    "outcome": _Key(f"one of {', '.join(get_args(OutcomeKind))}",
                    _one_of(get_args(OutcomeKind))),
    "loss_history": _Key("a list of finite numbers >= 0", _are_losses),
    "history_steps": _Key("the step of each loss_history record", _are_history_steps),
    "source": _Key("a short text", lambda v, r: is_text(v)),
}  # fmt: skip


def schema_problem(
    record: object, schema: Mapping[str, _Key], *, closed: bool = False
) -> str | None:
    """What is wrong with ``record`` under ``schema`` (the first problem), or None.

    ``closed``: the record has exactly the schema's keys.
    """
    keys = ", ".join(sorted(schema))
    if not isinstance(record, dict) or (closed and set(record) != set(schema)):
        return f"is not a record of {keys}"
    for key, rule in schema.items():
        if key not in record:
            if rule.required:
                return f"not a xornet model: its metadata has no {key!r}"
            continue
        problem = rule.check(key, record[key], record)
        if problem is not None:
            return problem if rule.record is None else f"the saved training {key} {problem}"
        if key == "format_version" and record[key] > FORMAT_VERSION:
            return (
                f"written in model format {record[key]}, newer than this xornet reads "
                f"({FORMAT_VERSION}); upgrade xornet"
            )
    return None


def is_pcg64_state(rng: object) -> bool:
    """Whether ``rng`` is a ``bit_generator.state`` of NumPy's PCG64, with values in range."""
    if not (isinstance(rng, dict) and set(rng) == {"bit_generator", "state", "has_uint32",
                                                   "uinteger"}):  # fmt: skip
        return False
    inner = rng["state"]
    return (
        rng["bit_generator"] == "PCG64"
        and isinstance(inner, dict)
        and set(inner) == {"state", "inc"}
        and all(is_int(v) and 0 <= v < 2**128 for v in inner.values())
        and rng["has_uint32"] in (0, 1)
        and is_int(rng["has_uint32"])
        and is_int(rng["uinteger"])
        and 0 <= rng["uinteger"] < 2**32
    )
