"""How long a review takes: ``python bench/review.py [--repeats R] [--folder N] [--jobs J]``.

Times :func:`xornet.review.review_file` on the post's own code (each review in its own Python
process, as ``xornet review FILE`` runs it), then :func:`xornet.review.review_folder` on a
folder of N submissions made from the tests' learners' files (right ones, each catalogue
mistake, the ones no mistake matches), J at a time.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from xornet.review import review_file, review_folder

SUBMISSIONS = Path(__file__).resolve().parents[1] / "tests" / "submissions"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="reviews of one file")
    parser.add_argument("--folder", type=int, default=100, help="submissions in the folder")
    parser.add_argument("--jobs", type=int, default=2, help="reviews at once")
    args = parser.parse_args()

    times = []
    for _ in range(args.repeats):
        begin = time.perf_counter()
        review = review_file(SUBMISSIONS / "post.py")
        times.append(time.perf_counter() - begin)
    assert review.passed
    print(f"one submission (the post's code): median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {args.repeats} reviews")  # fmt: skip

    sources = [SUBMISSIONS / "post.py", SUBMISSIONS / "correct_variant.py"]
    for folder in ("mistakes", "unmatched", "other"):
        sources += sorted((SUBMISSIONS / folder).glob("*.py"))
    with tempfile.TemporaryDirectory() as tmp:
        for i, source in zip(range(args.folder), itertools.cycle(sources), strict=False):
            shutil.copy(source, Path(tmp) / f"{i:03d}_{source.name}")
        begin = time.perf_counter()
        reviews = review_folder(tmp, jobs=args.jobs)
        seconds = time.perf_counter() - begin
    passed = sum(r.passed for r in reviews)
    print(f"a folder of {len(reviews)} submissions with {args.jobs} jobs: {seconds:.1f} s "
          f"({seconds / len(reviews):.2f} s a submission; {passed} pass)")  # fmt: skip


if __name__ == "__main__":
    main()
