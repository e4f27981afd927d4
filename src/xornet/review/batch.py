"""Reviewing a folder of submissions: each in its own process, several at once, with grades
as CSV and the reviews as HTML pages.

A submission that hangs, eats memory, crashes or exits is recorded as such in its row; the
others are reviewed all the same.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import BinaryIO, Final

from xornet.errors import XornetError
from xornet.review._model import CHECKS, source_name
from xornet.review._record import Review
from xornet.review.isolate import DEFAULT_MEMORY_MB, check_limits, kill, run_review
from xornet.review.render import review_html, summary_line

__all__ = ["find_submissions", "review_folder", "write_csv", "write_html"]

# Folders that hold no submissions (editor and notebook state, caches).
_SKIPPED_DIRS: Final = {"__pycache__", ".ipynb_checkpoints", "node_modules"}

Progress = Callable[[int, int, Review], None]


def find_submissions(folder: str | Path) -> list[Path]:
    """The ``.py`` and ``.ipynb`` files in a folder and its subfolders, in name order (hidden
    folders, ``__pycache__`` and ``.ipynb_checkpoints`` left out).

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    list of Path

    Raises
    ------
    XornetError
        When the folder does not exist or holds no submission.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise XornetError(f"{folder}: no such folder")
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS)
        found += [Path(root) / f for f in files if Path(f).suffix.lower() in (".py", ".ipynb")]
    if not found:
        raise XornetError(f"{folder}: no .py or .ipynb files")
    return sorted(found)


def review_folder(
    folder: str | Path,
    *,
    jobs: int = 1,
    full: bool = False,
    timeout: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    progress: Progress | None = None,
) -> list[Review]:
    """Review every submission in a folder, ``jobs`` at a time.

    Parameters
    ----------
    folder : str or Path
    jobs : int
        Reviews running at once (each in its own process).
    full, timeout, memory_mb
        As :func:`xornet.review.review_file`, for each submission.
    progress : callable, optional
        ``progress(done, total, review)`` after each review, in the order they finish.

    Returns
    -------
    list of Review
        In name order; each review's ``source`` is the path relative to ``folder``.
    """
    paths = find_submissions(folder)
    # Before the reference's run and any review; no more at once than there are submissions.
    check_limits(timeout, memory_mb, jobs, submissions=len(paths))
    reference = None
    if full:  # the reference's whole run, once for all
        from xornet.review._check_optimize import full_reference

        reference = full_reference()
    reviews: dict[Path, Review] = {}
    live: set[subprocess.Popen[bytes]] = set()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(run_review, p, full=full, timeout=timeout, memory_mb=memory_mb,
                               full_reference=reference, live=live): p for p in paths}  # fmt: skip
        for future in as_completed(futures):
            path = futures[future]
            review = future.result()
            review.source = source_name(path.relative_to(folder).as_posix())
            reviews[path] = review
            if progress is not None:
                progress(len(reviews), len(paths), review)
    except BaseException:  # Ctrl-C, or a fault: stop every review still running
        pool.shutdown(wait=False, cancel_futures=True)
        for process in list(live):
            kill(process)
        raise
    pool.shutdown()
    return [reviews[p] for p in paths]


def _columns(reviews: Sequence[Review]) -> list[str]:
    return [c for c in CHECKS if any(r.checks.get(c, "skip") != "skip" for r in reviews)]


def _cell(text: str) -> str:
    """A learner's words (a file name, a message their code raised) as a CSV cell that a
    spreadsheet shows as text: one that starts as a formula would (``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return) gets a leading ``'``, as OWASP advises against CSV injection."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(reviews: Sequence[Review], path: str | Path, *, lang: str = "en") -> None:
    """Grades as CSV: one row per submission, one column per check, and a summary.

    Columns: ``file``, ``status`` (ok, hangs, memory, exits, crashes, unreadable), ``passed``
    (yes/no), ``score`` (checks passed / checks run), each check that ran (pass/fail),
    ``warnings``, ``seconds``, ``summary`` (the review in one line).

    Parameters
    ----------
    reviews : sequence of Review
    path : str or Path
        The CSV file to write (UTF-8).
    lang : {"en", "ko"}
        The language of the summaries.
    """
    from xornet._atomic import atomic_write

    checks = _columns(reviews)

    def write(binary: BinaryIO) -> None:  # whole or not at all: atomic_write renames at the end
        f = io.TextIOWrapper(binary, encoding="utf-8", newline="")
        writer = csv.writer(f)
        writer.writerow(["file", "status", "passed", "score", *checks, "warnings", "seconds",
                         "summary"])  # fmt: skip
        for r in reviews:
            ran = [v for v in r.checks.values() if v != "skip"]
            score = f"{sum(v == 'pass' for v in ran)}/{len(ran)}"
            writer.writerow([_cell(r.source), r.status, "yes" if r.passed else "no", score,
                             *(r.checks.get(c, "") for c in checks), r.count("warn"),
                             f"{r.seconds:.2f}", _cell(summary_line(r, lang=lang))])  # fmt: skip
        f.flush()
        f.detach()  # the file stays open for atomic_write to sync and close

    atomic_write(path, write)


def write_html(reviews: Sequence[Review], path: str | Path, *, lang: str = "en") -> Path:
    """A summary page at ``path`` linking one page per review in the folder ``<stem>_reviews``.

    Parameters
    ----------
    reviews : sequence of Review
    path : str or Path
        The summary page to write, e.g. ``grades.html``.
    lang : {"en", "ko"}

    Returns
    -------
    Path
        The folder of the reviews' pages.
    """
    from xornet.review._html import page, summary_html

    path = Path(path)
    pages = path.with_name(path.stem + "_reviews")
    pages.mkdir(parents=True, exist_ok=True)
    links = {}
    for i, r in enumerate(reviews):
        name = f"{i + 1:03d}_" + "".join(c if c.isalnum() or c in "-_." else "_" for c in r.source)
        (pages / f"{name}.html").write_text(page(r.source, review_html(r, lang)), encoding="utf-8")
        links[r.source] = f"{pages.name}/{name}.html"
    path.write_text(summary_html(reviews, links, lang), encoding="utf-8")
    return pages
