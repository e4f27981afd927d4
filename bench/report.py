"""What the landscape section adds to ``xornet report --preset post``: ``python bench/report.py``.

Trains the post's seed 0 (the compiled engine, warmed up first), then times, best of three:
the run itself, the same run again in 64 stretches for its path
(:func:`xornet.landscape.run_with_path`, what the report adds to the training), the whole page
(:func:`xornet.report.build_report`) with the landscape section and with the section left out,
and prints the section's share of the page.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import xornet
import xornet.report
from xornet.landscape import run_with_path
from xornet.report import build_report

DATA = xornet.xor()
POST = xornet.PRESETS["post"]


def best(f: Callable[[], object], repeats: int = 3) -> float:
    """The shortest of ``repeats`` wall times of ``f()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    def trainer() -> xornet.Trainer:
        return xornet.Trainer(DATA.X, DATA.y, POST, rng=0)

    trainer().run()  # load (or compile) the engine
    end = trainer().run()
    start = trainer().params
    path = run_with_path(trainer())
    result = end.result()

    def page() -> str:
        return build_report(result.params, DATA.X, DATA.y, config=POST.to_dict(),
                            outcome=result.outcome, explain_params=start,
                            optimizer=POST.new_optimizer(), path=path)  # fmt: skip

    run = best(lambda: trainer().run())
    stretches = best(lambda: run_with_path(trainer()))
    whole = best(page)
    section = xornet.report._landscape_section
    xornet.report._landscape_section = lambda *args: ""  # type: ignore[assignment]
    try:
        without = best(page)
    finally:
        xornet.report._landscape_section = section
    print(f"the run               {run:.3f} s")
    print(f"again in 64 stretches {stretches:.3f} s")
    print(f"page with landscape   {whole:.3f} s")
    print(f"page without it       {without:.3f} s")
    print(f"the section adds      {whole - without + stretches:.3f} s "
          f"({(whole - without + stretches) / (without + run):.2f} x the rest)")  # fmt: skip


if __name__ == "__main__":
    main()
