"""Regenerate the figures the README shows: ``python docs/make_figures.py``.

The default run (``xornet train --seed 0``): loss curve, decision boundary, hidden space and
network diagram; the hidden space of the post's own network (2 hidden units, seed 3, solved);
the post's setting from 16 starts (seeds 0-15, the post's initial weights); and an animation
of the default run's first 1,000 steps; and the decision regions of a softmax network on the
three-arm spiral.
"""

from __future__ import annotations

from pathlib import Path

import xornet
from xornet.plotting import (
    LossCurve,
    animate,
    plot_boundary,
    plot_hidden_space,
    plot_starts,
    save_figures,
    save_png,
)

OUT = Path(__file__).resolve().parent / "images"


def main() -> None:
    data = xornet.xor()
    config = xornet.TrainConfig()
    result = xornet.train(data.X, data.y, config, rng=0)
    curve = LossCurve.from_result(result)
    for path in save_figures(OUT, result.params, data.X, data.y, config.activation, curve=curve):
        print(path)
    post = xornet.PRESETS["post"]
    solved = xornet.train(data.X, data.y, post, params=xornet.post_initial_params(3))
    hidden = plot_hidden_space(solved.params, data.X, data.y)
    print(save_png(hidden, OUT / "hidden_post.png"))
    seeds = list(range(16))
    starts = [xornet.post_initial_params(s) for s in seeds]
    print(save_png(plot_starts(data.X, data.y, post, seeds, params=starts), OUT / "starts.png"))
    # tol=None: the default run reaches its loss tolerance at step 859 and would stop there.
    first_1000 = config.replace(steps=1000, tol=None)
    print(animate(data.X, data.y, first_1000, OUT / "training.gif", rng=0, frames=24, fps=6))
    spiral = xornet.make_dataset("spiral3", n_samples=300, noise=0.05, rng=0)
    softmax = xornet.TrainConfig(hidden=16, optimizer="adam", learning_rate=0.05, steps=3000,
                                 tol=None)  # fmt: skip
    three = xornet.train(spiral.X, spiral.y, softmax, rng=0)
    print(f"spiral3: accuracy {three.accuracy:.3f}, loss {three.final_loss:.4f}")
    print(save_png(plot_boundary(three.params, spiral.X, spiral.y), OUT / "spiral3.png"))


if __name__ == "__main__":
    main()
