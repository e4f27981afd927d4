"""``xornet explain`` and ``xornet gradcheck``: one training step with every number shown,
and the gradients checked against finite differences."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from xornet._names import ACTIVATION_NAMES, INIT_NAMES, LOSS_NAMES
from xornet.cli import common, output
from xornet.cli.options import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_data_options,
    add_model_options,
    count,
    finite_float,
    path_arg,
    positive_int,
)

if TYPE_CHECKING:
    from xornet.config import TrainConfig
    from xornet.data import Dataset
    from xornet.explain import Explanation
    from xornet.training import Trainer


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "gradcheck",
        help="check the gradients against finite differences",
        description="Compare the backward pass with central differences.",
    )
    add_data_options(p)
    p.add_argument("--hidden", type=positive_int, default=3)
    p.add_argument("--shortcut", action="store_true", help="with input-to-output weights W3")
    p.add_argument("--activation", choices=ACTIVATION_NAMES, default="sigmoid")
    p.add_argument("--init", choices=INIT_NAMES, default="normal")
    p.add_argument("--loss", choices=LOSS_NAMES, default="bce")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the weights checked (default 0: unlike a run's, fixed, so that a check "
        "repeats exactly)",
    )
    p.add_argument("--eps", type=finite_float, default=1e-5, help="finite-difference step")
    p.add_argument(
        "--tolerance", type=finite_float, default=1e-6, help="largest relative error that passes"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=gradcheck)


def add_explain(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="show every number of one training step",
        description="One full-batch training step, every array with its name, shape, formula "
        "and values, in the post's order: forward 1-5, backward 1-7, update.",
    )
    add_data_options(p)
    add_model_options(p, stop_rules=False)
    p.add_argument(
        "--after",
        type=count,
        default=0,
        metavar="N",
        help="explain the step after N training steps (default 0: the first; with --model, "
        "N steps after the model's own)",
    )
    p.add_argument(
        "--model",
        type=path_arg,
        metavar="FILE",
        help="explain the next step of a saved model, with its saved configuration",
    )
    p.add_argument(
        "--lang",
        choices=("en", "ko"),
        default="en",
        help="labels in English or Korean (formulas are the same)",
    )
    p.add_argument(
        "--layout",
        choices=("library", "post"),
        default="library",
        help="library: rows are samples (Z1 = X @ W1 + b1); post: the study post's layout and "
        "names, features x samples (Z1 = W1.T @ X + B1, dLdZ2 ... dLdB1), to compare with "
        "code written as the post's",
    )
    p.add_argument("--json", action="store_true", help="every array as JSON")
    p.set_defaults(run=explain)


def explain(args: argparse.Namespace) -> int:
    """Train to the step asked for with a Trainer, then show the next step in full."""
    from xornet.explain import explain_step, render, to_json

    seed: int | None = None
    if args.model is not None:
        trainer, dataset, offset = _from_model(args)
    else:
        seed = common.run_seed(args.seed)
        trainer, dataset, offset = _fresh(args, seed)
    config = trainer.config
    common.announce_compiling(trainer.X, config, trainer.params.n_outputs,
                              config.steps - trainer.steps, trainer.engine)  # fmt: skip
    trainer.run()  # to config.steps: the step to explain, with no stop rule on the way
    explanation = explain_step(trainer.params, dataset.X, dataset.y,
                               activation=config.activation, optimizer=trainer.optimizer,
                               step=offset + trainer.steps, kind=config.loss)  # fmt: skip
    if args.layout == "post":
        return _post_layout(args, explanation, seed, dataset.name)
    if args.json:
        record = json.loads(to_json(explanation))
        if seed is not None:
            record["seed"] = seed
        print(json.dumps(record, indent=2))
    else:
        if seed is not None:
            print(f"xornet explain: {dataset.name}, seed {seed}\n")
        sys.stdout.write(render(explanation, lang=args.lang, colour=output.colour(sys.stdout)))
    return EXIT_OK


def _post_layout(
    args: argparse.Namespace, explanation: Explanation, seed: int | None, name: str
) -> int:
    """The step in the post's layout and names (:mod:`xornet.review.post_layout`), after the
    seed drawn (as the library's layout prints it)."""
    from xornet.errors import XornetError
    from xornet.review.post_layout import post_json, render_post

    try:
        if args.json:
            record = json.loads(post_json(explanation))
            if seed is not None:
                record["seed"] = seed
            text = json.dumps(record, indent=2) + "\n"
        else:
            text = render_post(explanation, lang=args.lang)
            if seed is not None:
                text = f"xornet explain: {name}, seed {seed}\n\n{text}"
    except XornetError as exc:
        raise UsageError(f"--layout post: {exc}") from None
    sys.stdout.write(text)
    return EXIT_OK


def _fresh(args: argparse.Namespace, seed: int) -> tuple[Trainer, Dataset, int]:
    """A new run's trainer, to stop after ``--after`` steps."""
    from xornet.training import Trainer

    # The steps before the explained one keep no loss history worth the name (explain shows
    # one step): one record at most, so that --after is bounded by --steps' limit alone.
    config = common.config_from_args(args, steps=args.after, record_every=max(1, args.after),
                                     **common.NO_STOP)  # fmt: skip
    dataset = common.load_data(args)
    _full_batch(config, dataset, "drop --batch-size")
    return Trainer(dataset.X, dataset.y, config, rng=seed, engine=args.engine), dataset, 0


def _from_model(args: argparse.Namespace) -> tuple[Trainer, Dataset, int]:
    """The saved model's run, continued for ``--after`` steps (:func:`common.model_trainer`);
    the steps it had taken come first."""
    common.refuse_config_flags(args, "explain --model takes the model's saved configuration")
    model, dataset = common.model_and_data(args)
    saved = common.saved_config(model, args.model)
    _full_batch(saved, dataset, f"{args.model} was trained with mini-batches")
    trainer, offset = common.model_trainer(model, dataset, saved, args.after, args.engine)
    return trainer, dataset, offset


def _full_batch(config: TrainConfig, dataset: Dataset, fix: str) -> None:
    """Explain shows full-batch steps, the post's."""
    from xornet.config import batch_schedule

    if batch_schedule(dataset.n_samples, config.batch_size)[1] > 1:
        raise UsageError(f"explain shows full-batch steps (the post's); {fix}")


def gradcheck(args: argparse.Namespace) -> int:
    from xornet.gradcheck import gradient_check
    from xornet.params import init_params

    dataset = common.load_data(args)
    seed = common.check_seed(args.seed, "--seed")
    params = init_params(dataset.n_features, args.hidden, args.init, rng=seed,
                         n_classes=dataset.n_classes, shortcut=args.shortcut)  # fmt: skip
    check = gradient_check(params, dataset.X, dataset.y, args.activation, eps=args.eps,
                           tolerance=args.tolerance, kind=args.loss)  # fmt: skip
    # Arrays no entry of which was checked (relu's kink): no error to show, not a zero one.
    none_checked = {n for n in check.errors if check.unchecked.get(n, 0) == getattr(params, n).size}
    if args.json:
        errors = {n: None if n in none_checked else e for n, e in check.errors.items()}
        record = {"errors": errors, "worst": check.worst, "tolerance": check.tolerance,
                  "passed": check.passed, "unchecked": check.unchecked}  # fmt: skip
        print(json.dumps(record, indent=2))
    else:
        print(
            f"gradient check: {dataset.name}, "
            f"{dataset.n_features}-{args.hidden}-{params.n_outputs} {args.activation}, "
            f"{args.init} init, seed {args.seed}, eps {args.eps:g}"
        )
        for name, error in check.errors.items():
            size, skipped = getattr(params, name).size, check.unchecked.get(name, 0)
            if name in none_checked:
                print(f"  {name:<3} not checked: each entry's difference crosses relu's kink at 0")
                continue
            note = f"  ({skipped} of {size} not checked: across relu's kink at 0)" * (skipped > 0)
            print(f"  {name:<3} worst relative error {error:.2e}{note}")
        verdict = "passed" if check.passed else "FAILED"
        print(f"{verdict}: worst {check.worst:.2e} (tolerance {check.tolerance:.0e})")
    return EXIT_OK if check.passed else EXIT_FAILED
