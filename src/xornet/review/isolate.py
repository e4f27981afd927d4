"""Reviewing a file in a separate process with limits: :func:`review_file`.

The learner's code runs in a child Python process (:mod:`xornet.review._worker`) with a
wall-clock limit (the child is killed, with any process it started, when it is over), an
address-space limit, a CPU-time limit and a file-size limit; it reads nothing from standard
input and its output is captured and cut short. Whatever happens to the child, the review
says so: a hang, a memory error, a crash (with its signal) or an exit, with the findings made
before it. This is a separate process with limits, not a sandbox against malicious code.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

from xornet.errors import XornetError
from xornet.review._model import CHECKS, LEVELS, STATUSES, source_name
from xornet.review._record import Finding, Review
from xornet.review._words import say

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT",
    "MAX_MEMORY_MB",
    "MAX_TIMEOUT",
    "REVIEW_MB",
    "check_limits",
    "kill",
    "review_file",
    "run_review",
]

#: Wall-clock seconds a review may take (a normal one takes about one).
DEFAULT_TIMEOUT: Final = 60.0
#: With the post's whole run (200,000 steps of the learner's own loop).
DEFAULT_TIMEOUT_FULL: Final = 300.0
#: Memory (MiB of address space) the learner's code may take beyond the review's own.
DEFAULT_MEMORY_MB: Final = 1024
#: The largest limits a review takes: a day of wall-clock time (a --full review takes seconds)
#: and a tebibyte of memory. Beyond them the system's own timers and limits overflow (a timer
#: of 1e10 s, an address space of 2**63 bytes), which would fail the learner's review, not the
#: request.
MAX_TIMEOUT: Final = 86_400.0
MAX_MEMORY_MB: Final = 2**20
#: What a review's process takes of its own (MiB; about 160 measured: Python, NumPy, xornet),
#: beside the memory its learner's code may take: reviews at once must fit the machine.
REVIEW_MB: Final = 200
# The most of the events and of the child's own output that is read back (bytes).
_EVENTS_LIMIT: Final = 8 * 2**20
_OUTPUT_LIMIT: Final = 4000


def review_file(
    path: str | Path,
    *,
    full: bool = False,
    timeout: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
    full_reference: dict[str, Any] | None = None,
) -> Review:
    """Review a learner's ``.py`` file or ``.ipynb`` notebook in a separate process.

    Parameters
    ----------
    path : str or Path
    full : bool
        Also run the post's whole training (200,000 steps) with the learner's ``optimize``.
    timeout : float, optional
        Wall-clock seconds for the whole review (default 60, or 300 with ``full``); each check
        gets a third of it, so one that hangs leaves time for the others.
    memory_mb : int
        Memory the learner's code may take beyond the review's own (MiB of address space;
        enforced on Linux).
    full_reference : dict, optional
        The reference's whole run (:func:`xornet.review._check_optimize.full_reference`),
        computed once for many reviews.

    Returns
    -------
    Review
        Status ``unreadable`` (exit code 2) when the file cannot be read; otherwise the
        review, whatever the learner's code did.
    """
    return run_review(path, full=full, timeout=timeout, memory_mb=memory_mb,
                      full_reference=full_reference, live=None)  # fmt: skip


def run_review(
    path: str | Path,
    *,
    full: bool,
    timeout: float | None,
    memory_mb: int,
    full_reference: dict[str, Any] | None,
    live: set[subprocess.Popen[bytes]] | None,
) -> Review:
    """:func:`review_file`, keeping the running process in ``live`` (so that a folder's
    review, interrupted, can stop every review it started)."""
    from xornet.review._load import read_submission

    check_limits(timeout, memory_mb)
    start = time.perf_counter()
    try:
        submission = read_submission(path)
    except XornetError as exc:
        return unreadable(source_name(path), str(exc))
    limit = timeout or (DEFAULT_TIMEOUT_FULL if full else DEFAULT_TIMEOUT)
    request = {"submission": submission.to_dict(), "full": full, "full_reference": full_reference,
               "check_seconds": max(limit / 3, 1.0), "memory_bytes": memory_mb * 2**20,
               "cpu_seconds": int(limit) + 5}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="xornet-review-") as tmp:
        folder = Path(tmp)
        (folder / "request.json").write_text(json.dumps(request), encoding="utf-8")
        code, killed = _run(folder, limit, live if live is not None else set())
        events = _events(folder / "events.jsonl")
        output = _tail(folder / "stdout") + _tail(folder / "stderr")
    review = _assemble(submission.name, events, code, killed, full)
    review.seconds = time.perf_counter() - start
    if output.strip():
        review.output = (review.output + "\n" + output).strip()[: 2 * _OUTPUT_LIMIT]
    return review


def check_limits(
    timeout: float | None,
    memory_mb: int,
    jobs: int = 1,
    names: tuple[str, str, str] = ("the time limit", "the memory limit", "jobs"),
    submissions: int | None = None,
) -> None:
    """Refuse a review's limits that are not positive or beyond :data:`MAX_TIMEOUT` and
    :data:`MAX_MEMORY_MB`, and more reviews at once than this machine's memory holds (each
    takes its code's ``memory_mb`` and :data:`REVIEW_MB` of its own), before any review starts.
    At once run ``jobs`` reviews, or all the ``submissions`` when they are fewer.

    Parameters
    ----------
    timeout : float or None
        Wall-clock seconds of each review (None: the default).
    memory_mb : int
        MiB of memory each review's code may take.
    jobs : int
        Reviews running at once.
    names : tuple of str
        What a message calls the three (the command line: its flags).
    submissions : int, optional
        How many submissions there are to review (None: at least ``jobs``).

    Raises
    ------
    XornetError
    """
    if timeout is not None and not 0 < timeout <= MAX_TIMEOUT:
        raise XornetError(f"{names[0]}: must be a positive number of seconds, at most "
                          f"{MAX_TIMEOUT:,.0f} (a day), got {timeout:g}")  # fmt: skip
    if not 1 <= memory_mb <= MAX_MEMORY_MB:
        raise XornetError(f"{names[1]}: must be from 1 to {MAX_MEMORY_MB:,} MiB (a tebibyte), "
                          f"got {memory_mb:,}")  # fmt: skip
    if isinstance(jobs, bool) or jobs < 1:
        raise XornetError(f"{names[2]} must be at least 1, got {jobs}")
    machine = _machine_mb()
    at_once = jobs if submissions is None else min(jobs, submissions)
    if at_once > 1 and machine is not None and at_once * (memory_mb + REVIEW_MB) > machine:
        raise XornetError(
            f"{names[2]}: {at_once:,} reviews at once may take {at_once:,} x ({memory_mb:,} + "
            f"{REVIEW_MB}) MiB, more than this machine's {machine:,} MiB of memory; run fewer at "
            f"once, or give each less ({names[1]})"
        )


def _machine_mb() -> int | None:
    """This machine's memory in MiB, or None when the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (AttributeError, ValueError, OSError):
        return None


def unreadable(source: str, message: str) -> Review:
    """The review of a submission that could not be read."""
    finding = Finding("load", "fail", "unreadable", {"en": message, "ko": message})
    return Review(source, "unreadable", {"load": "fail"}, [finding])


def _environment() -> dict[str, str]:
    import xornet

    env = dict(os.environ)
    src = str(Path(xornet.__file__).resolve().parents[1])  # the xornet this process runs
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    # One thread for linear algebra (several reviews run at once), figures off screen.
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               MPLBACKEND="Agg", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1")  # fmt: skip
    return env


def _run(folder: Path, limit: float, live: set[subprocess.Popen[bytes]]) -> tuple[int, bool]:
    """Run the worker in ``folder``; its exit code, and whether it was killed for time."""
    command = [sys.executable, "-m", "xornet.review._worker", "request.json", "events.jsonl"]
    with (folder / "stdout").open("wb") as out, (folder / "stderr").open("wb") as err:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   cwd=folder, env=_environment(),
                                   start_new_session=True)  # fmt: skip
        live.add(process)
        try:
            return process.wait(timeout=limit), False
        except subprocess.TimeoutExpired:
            kill(process)
            return process.wait(), True
        finally:
            kill(process)  # whatever the learner's code started and left running
            live.discard(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a review's process and every process it started (its session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (AttributeError, OSError):  # no process groups here, or all gone already
        if process.poll() is None:
            process.kill()


def _events(path: Path) -> list[dict[str, Any]]:
    try:
        with path.open("rb") as f:
            lines = f.read(_EVENTS_LIMIT).decode("utf-8", errors="replace").splitlines()
    except OSError:
        return []
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            break  # a line cut by the kill (or written by the learner's code: see _assemble)
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            break
        events.append(event)
    return events


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.read(_OUTPUT_LIMIT).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _assemble(source: str, events: list[dict[str, Any]], code: int, killed: bool,
              full: bool) -> Review:  # fmt: skip
    """The review from the worker's events: its own when it finished, else the findings it
    made before it stopped, and why it stopped.

    The learner's code runs in the worker's process and can write into its events file: a
    record that is not one the worker writes makes the review fail (status ``crashes``)
    with a finding that says so, never the review of a whole folder.
    """
    try:
        review = _assemble_events(source, events, code, killed, full)
        _check_shape(review)
        return review
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
        text = {"en": "the review's record of this submission is unreadable (did its code "
                      "write into the review's files?)",
                "ko": "이 제출물의 리뷰 기록을 읽을 수 없다 (코드가 리뷰의 파일에 쓰지 "
                      "않았는가?)"}  # fmt: skip
        checks = dict.fromkeys(CHECKS, "fail")
        if not full:
            checks["full"] = "skip"
        return Review(source, "crashes", checks, [Finding("load", "fail", "review_error", text)])


def _assemble_events(source: str, events: list[dict[str, Any]], code: int, killed: bool,
                     full: bool) -> Review:  # fmt: skip
    for event in events:
        if event["event"] == "review":
            review = Review.from_dict(event["review"])
            review.source = source
            return review
    findings = [Finding.from_dict(e["finding"]) for e in events if e["event"] == "finding"]
    results = {e["check"]: e["result"] for e in events if e["event"] == "result"}
    started = [e["check"] for e in events if e["event"] == "start"]
    running = started[-1] if started and started[-1] not in results else None
    error = next((e["error"] for e in events if e["event"] == "error"), None)
    name = running or "load"
    if error is not None:  # a fault of xornet itself, not of the learner
        status = "crashes"
        text = {"en": f"xornet's review failed: {error}", "ko": f"xornet 리뷰가 실패했다: {error}"}
        findings.append(Finding(name, "fail", "review_error", text))
    elif killed:
        status = "hangs"
        findings.append(Finding(name, "fail", "timeout", say("timeout", name=name)))
    elif code < 0:
        signame = _signal_name(-code)
        status = "hangs" if signame == "SIGXCPU" else "crashes"
        findings.append(Finding(name, "fail", "crashed", say("crashed", name=name, how=signame)))
    else:
        status = "exits"
        findings.append(Finding(name, "fail", "exited", say("exited", name=name, code_=code)))
    checks = {c: results.get(c, "fail") for c in CHECKS}
    if not full and "full" not in results:
        checks["full"] = "skip"
    return Review(source, status, checks, findings)


def _check_shape(review: Review) -> None:
    """Raise ValueError unless ``review`` has the types the worker writes (see _assemble)."""
    if (
        review.status not in STATUSES
        or not isinstance(review.output, str)
        or not all(
            isinstance(c, str) and r in ("pass", "fail", "skip") for c, r in review.checks.items()
        )
    ):
        raise ValueError("not a review")
    for finding in review.findings:
        _check_finding(finding)


def _check_finding(finding: Finding) -> None:
    texts = (finding.text, finding.fix)
    if not (isinstance(finding.check, str) and finding.level in LEVELS
            and isinstance(finding.code, str) and {"en", "ko"} <= set(finding.text)
            and all(isinstance(t, str) for words in texts for t in words.values())):  # fmt: skip
        raise ValueError("not a finding")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
