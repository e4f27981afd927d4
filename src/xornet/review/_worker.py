"""The review's own process: runs one learner's code under limits, reporting as it goes.

Started by :func:`xornet.review.isolate.review_file` as
``python -m xornet.review._worker REQUEST EVENTS``. It reads the request (the submission and
the limits), imports what the checks need, then limits its own address space, CPU time and file
sizes, and runs the learner's definitions and the checks. Each check gets an alarm; one that
rings records the check as hanging and the review goes on. Every step is appended to the
EVENTS file as a line of JSON, so that when the process is killed or dies, the findings so far
survive; the last line is the whole review.

This is a separate process with limits, not a sandbox: see :mod:`xornet.review`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, TextIO

#: The largest file the learner's code may write (bytes).
FILE_LIMIT: Final = 64 * 2**20


def _address_space() -> int:
    """This process's address space now (bytes), or 0 when the system does not say."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap what the learner's code may take on top of what the review itself uses."""
    try:
        import resource
    except ImportError:  # not on this system (Windows): the wall-clock limit remains
        return
    for name, value in (("RLIMIT_AS", _address_space() + memory_bytes),
                        ("RLIMIT_CPU", cpu_seconds), ("RLIMIT_FSIZE", FILE_LIMIT),
                        ("RLIMIT_CORE", 0)):  # fmt: skip
        limit = getattr(resource, name, None)
        if limit is None or (name == "RLIMIT_AS" and value == memory_bytes):
            continue  # no such limit here, or no way to know what the review uses
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(limit, (value, value))


def _alarm(seconds: float) -> Callable[[str], contextlib.AbstractContextManager[None]]:
    """A guard that interrupts a check after ``seconds`` of wall time."""
    from xornet.review._call import CheckTimeout

    def ring(signum: int, frame: Any) -> None:
        raise CheckTimeout

    @contextlib.contextmanager
    def guard(check: str) -> Iterator[None]:
        if not hasattr(signal, "setitimer"):
            with _interrupts_are_the_learners():
                yield
            return
        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            with _interrupts_are_the_learners():
                yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    return guard


@contextlib.contextmanager
def _interrupts_are_the_learners() -> Iterator[None]:
    """Turn a ``KeyboardInterrupt`` into :class:`~xornet.review._call.Interrupted`, which the
    checks report: in this process only the learner's code can raise one."""
    from xornet.review._call import Interrupted

    try:
        yield
    except KeyboardInterrupt as exc:
        raise Interrupted("KeyboardInterrupt, raised by the code").with_traceback(
            exc.__traceback__
        ) from None


def _review(request: dict[str, Any], emit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    from xornet.review._cases import network_cases
    from xornet.review._check_optimize import full_reference
    from xornet.review._load import Submission
    from xornet.review.checks import review_submission

    network_cases()  # the reference numbers, before the limits
    reference = request["full_reference"]
    if request["full"] and reference is None:
        reference = full_reference()
    _limit(int(request["memory_bytes"]), int(request["cpu_seconds"]))
    review = review_submission(Submission.from_dict(request["submission"]), full=request["full"],
                               full_reference=reference, on_event=emit,
                               guard=_alarm(float(request["check_seconds"])))  # fmt: skip
    return review.to_dict()


def main(argv: list[str]) -> None:
    """Review the submission of the request file ``argv[0]``, appending events to ``argv[1]``."""
    request = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    events: TextIO = open(argv[1], "a", encoding="utf-8")  # noqa: SIM115  (kept open to the end)

    def emit(event: dict[str, Any]) -> None:
        events.write(json.dumps(event, ensure_ascii=False) + "\n")
        events.flush()

    try:
        emit({"event": "review", "review": _review(request, emit)})
        code = 0
    except BaseException:  # a fault of the review itself: say so, do not pass for the learner's
        emit({"event": "error", "error": traceback.format_exc()[-3000:]})
        code = 3
    events.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # not waiting for threads or exit handlers the learner's code may have left


if __name__ == "__main__":
    main(sys.argv[1:])
