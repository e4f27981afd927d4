"""``xornet predict``: apply a saved model to feature values or a CSV file."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xornet.cli import output
from xornet.cli.options import EXIT_OK, finite_float, path_arg
from xornet.errors import XornetError


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "predict",
        help="apply a saved model",
        description="Print the probability and class a saved model gives.",
    )
    p.add_argument("model", type=path_arg, help="model file written by train --save")
    p.add_argument(
        "values", nargs="*", type=finite_float, help="feature values, one sample after another"
    )
    p.add_argument(
        "--csv",
        type=path_arg,
        metavar="FILE",
        help="CSV with a header holding the model's feature columns",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from xornet.csvfile import load_features_csv
    from xornet.diagnosis import predicted_class
    from xornet.modelfile import load_model

    model = load_model(args.model)
    d = model.params.n_inputs
    names = tuple(model.metadata.get("feature_names") or [f"x{i + 1}" for i in range(d)])
    if args.csv is not None and args.values:
        raise XornetError("give feature values or --csv, not both")
    if args.csv is not None:
        X = load_features_csv(args.csv, names)
    elif not args.values:
        raise XornetError(f"no input: give {d} feature values per sample, or --csv FILE")
    elif len(args.values) % d:
        raise XornetError(
            f"the model takes {d} features per sample, but {len(args.values)} values were given"
        )
    else:
        X = np.array(args.values, dtype=np.float64).reshape(-1, d)
    try:  # inputs near the largest float: sums beyond it, not a RuntimeWarning and a guess
        with np.errstate(over="raise", invalid="raise"):
            p = model.predict_proba(X)
    except FloatingPointError:
        raise XornetError("the network's sums overflow on these inputs (beyond the largest "
                          "float, 1.8e308): give smaller values") from None  # fmt: skip
    if args.json:
        record = {"inputs": X.tolist(), "probabilities": p.tolist(),
                  "classes": predicted_class(p).tolist()}  # fmt: skip
        print(json.dumps(record, indent=2))
    else:
        print("\n".join(output.table(X, names, p, None)))
    return EXIT_OK
