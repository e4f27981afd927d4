"""``xornet review``: a learner's implementation of the post's seven functions, reviewed step
by step; or every submission in a folder, with grades as CSV and the reviews as HTML pages.

The learner's code runs in a separate process with time and memory limits
(:mod:`xornet.review`): that is not a sandbox, and the command's help says so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

from xornet.cli import common
from xornet.cli.options import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    finite_float,
    path_arg,
    positive_int,
)
from xornet.errors import XornetError

if TYPE_CHECKING:
    from xornet.review import Review


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "review",
        help="review a learner's implementation of the post, step by step",
        description="Run a learner's init_parameters, affine, sigmoid, binary_cross_entropy, "
        "forward_loss, get_gradients and optimize (a .py file or a .ipynb notebook) on the "
        "post's data and on other sizes, compare every array with xornet's, and name the step "
        "and the likely mistake of each wrong one. Given a folder, review every .py and .ipynb "
        "in it. The code runs in a separate process with time and memory limits; that is not "
        "a sandbox: review only code you would run yourself. Exit 0 when every check passes, "
        "1 when some fail, 2 when the submission cannot be read.",
    )
    p.add_argument("path", type=path_arg, metavar="FILE_OR_FOLDER", help="a .py, .ipynb or folder")
    p.add_argument("--lang", choices=("en", "ko"), default="en", help="English or Korean")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--full",
        action="store_true",
        help="also run the post's whole training (np.random.seed(3), 200,000 steps) with the "
        "learner's optimize and compare it (seconds per submission)",
    )
    p.add_argument(
        "--out",
        type=path_arg,
        metavar="CSV",
        help="for a folder: write the grades to CSV, a summary page beside it (same name, "
        ".html) and one page per review in NAME_reviews/",
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="reviews at once, for a folder (as many as the memory holds: see --memory)",
    )
    p.add_argument(
        "--timeout",
        type=finite_float,
        metavar="SECONDS",
        help="wall-clock limit of each review (default 60; 300 with --full; at most 86400)",
    )
    p.add_argument(
        "--memory",
        type=positive_int,
        default=1024,
        metavar="MB",
        help="memory a submission may take beyond the review's own (default 1024, at most "
        "1048576; Linux)",
    )
    p.set_defaults(run=review)


def review(args: argparse.Namespace) -> int:
    """Review a file (exit 0, 1 or 2) or a folder (0 when every submission passes)."""
    from xornet.review import find_submissions
    from xornet.review.isolate import check_limits

    # A file is one review, whatever --jobs; a folder runs at most one per submission at once.
    count = len(find_submissions(args.path)) if args.path.is_dir() else 1
    try:
        check_limits(args.timeout, args.memory, args.jobs,
                     names=("--timeout", "--memory", "--jobs"), submissions=count)  # fmt: skip
    except XornetError as exc:
        raise UsageError(str(exc)) from None
    if args.path.is_dir():
        return _folder(args)
    if args.out is not None:
        raise UsageError("--out writes a folder's grades; give a folder")
    return _file(args)


def _file(args: argparse.Namespace) -> int:
    from xornet.review import review_file
    from xornet.review.render import to_json

    result = review_file(args.path, full=args.full, timeout=args.timeout, memory_mb=args.memory)
    if result.status == "unreadable":
        raise XornetError(result.findings[0].text["en"])
    if args.json:
        print(to_json(result, lang=args.lang))
    else:
        sys.stdout.write(result.render(args.lang))
    return result.exit_code


def _folder(args: argparse.Namespace) -> int:
    from xornet.review import find_submissions, review_folder, write_csv, write_html
    from xornet.review.render import summary_line

    if args.out is not None:  # before the reviews, so that a bad place fails at once
        args.out.parent.mkdir(parents=True, exist_ok=True)
    bar = common.progress_bar(len(find_submissions(args.path)), enabled=not args.json,
                              unit="submission")  # fmt: skip

    def progress(done: int, total: int, r: Review) -> None:
        if bar is not None:
            bar.update(1)

    try:
        reviews = review_folder(args.path, jobs=args.jobs, full=args.full, timeout=args.timeout,
                                memory_mb=args.memory, progress=progress)  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    pages = None
    if args.out is not None:
        write_csv(reviews, args.out, lang=args.lang)
        pages = write_html(reviews, args.out.with_suffix(".html"), lang=args.lang)
    passed = sum(r.passed for r in reviews)
    if args.json:
        records = [{**r.to_dict(), "summary": summary_line(r, lang=args.lang)} for r in reviews]
        print(json.dumps({"submissions": len(reviews), "passed": passed, "reviews": records},
                         indent=2, ensure_ascii=False))  # fmt: skip
    else:
        width = max(len(r.source) for r in reviews)
        for r in reviews:
            print(f"{r.source:<{width}}  {r.status:<7}  {summary_line(r, lang=args.lang)}")
        print(_totals(reviews, args.lang))
        if pages is not None:
            print(f"{args.out}, {args.out.with_suffix('.html')}, {pages}{os.sep}")
    return EXIT_OK if passed == len(reviews) else EXIT_FAILED


def _totals(reviews: list[Review], lang: str) -> str:
    """One line: how many pass, and how many did something other than run."""
    passed = sum(r.passed for r in reviews)
    odd = Counter(r.status for r in reviews if r.status != "ok")
    extra = f" ({', '.join(f'{status} {n}' for status, n in sorted(odd.items()))})" if odd else ""
    if lang == "ko":
        return f"제출물 {len(reviews)}개 중 {passed}개 통과{extra}"
    return f"{passed} of {len(reviews)} submissions pass{extra}"
