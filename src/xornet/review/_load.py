"""Reading a submission (.py or .ipynb) and running its definitions.

:func:`read_submission` only reads: it bounds the file's size, decodes it, and for a notebook
joins the code cells in order, skipping shell and magic lines (``!pip``, ``%matplotlib``) and
saying so. :func:`execute` runs the learner's code, so it is called only in the review's own
process (see :mod:`xornet.review._worker`), or by :func:`xornet.review.check` on functions the
learner already ran.

Of the top-level code, :func:`execute` runs the definitions (imports, functions, classes,
assignments that do not call the learner's own functions) and skips the rest (training runs,
plots, prints): the review calls the learner's functions itself, with its own inputs.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from xornet.errors import XornetError
from xornet.review._model import source_name

__all__ = [
    "MAX_BYTES",
    "Loaded",
    "Submission",
    "comment_slips",
    "execute",
    "read_submission",
    "statements_to_run",
]

#: The largest file read: a script, or a notebook (whose saved outputs, figures included,
#: make it much larger than its code).
MAX_BYTES: Final = {".py": 1_000_000, ".ipynb": 20_000_000}

# Cell magics whose body is Python (the magic only times or captures it).
_PYTHON_CELL_MAGICS: Final = ("%%time", "%%timeit", "%%capture", "%%prun")


@dataclass(frozen=True)
class Submission:
    """A learner's code, ready to run.

    Attributes
    ----------
    name : str
        The path as given, for messages.
    filename : str
        The name the code is compiled under (tracebacks point to it).
    source : str
        Python source (a notebook's code cells joined in order).
    cells : tuple of (int, int)
        For a notebook: the first source line of each code cell and the cell's number.
    skipped : tuple of str
        Shell and magic lines that were left out (``"cell 2: !pip install numpy"``).
    """

    name: str
    filename: str
    source: str
    cells: tuple[tuple[int, int], ...] = ()
    skipped: tuple[str, ...] = field(default=())

    def where(self, lineno: int) -> dict[str, str]:
        """A line of :attr:`source` as the learner finds it: ``line 12`` or ``cell 3, line 4``."""
        for first, number in reversed(self.cells):
            if lineno >= first:
                local = lineno - first + 1
                return {"en": f"cell {number}, line {local}", "ko": f"셀 {number}, {local}번째 줄"}
        return {"en": f"line {lineno}", "ko": f"{lineno}번째 줄"}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"name": self.name, "filename": self.filename, "source": self.source,
                "cells": [list(c) for c in self.cells], "skipped": list(self.skipped)}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Submission:
        """The inverse of :meth:`to_dict`."""
        cells = tuple((int(a), int(b)) for a, b in d["cells"])
        return cls(d["name"], d["filename"], d["source"], cells, tuple(d["skipped"]))


def read_submission(path: str | Path) -> Submission:
    """Read a ``.py`` file or a Jupyter notebook, without running it.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Submission

    Raises
    ------
    XornetError
        When the file is missing, too large, of another kind, not UTF-8, or not a notebook.
    """
    path = Path(path)
    name = source_name(path)  # for messages: printable, whatever bytes the name holds
    suffix = path.suffix.lower()
    if suffix not in MAX_BYTES:
        raise XornetError(f"{name}: not a .py file or a .ipynb notebook")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise XornetError(f"{name}: not a file")
        if size > MAX_BYTES[suffix]:
            raise XornetError(f"{name}: {size:,} bytes, more than the {MAX_BYTES[suffix]:,} "
                              "a submission may have")  # fmt: skip
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES[suffix] + 1)
    except OSError as exc:
        raise XornetError(f"{name}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise XornetError(f"{name}: not UTF-8 text") from None
    filename = str(path.resolve())
    if suffix == ".py":
        return Submission(name, filename, text)
    return _from_notebook(name, filename, text)


def _from_notebook(name: str, filename: str, text: str) -> Submission:
    try:
        notebook = json.loads(text)
    except ValueError as exc:
        raise XornetError(f"{name}: not a readable notebook (invalid JSON: {exc})") from None
    except RecursionError:  # [[[[...]]]]: a small file can nest deeper than Python recurses
        raise XornetError(f"{name}: not a readable notebook (JSON nested too deeply)") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise XornetError(f"{name}: not a readable notebook (no list of cells)")
    lines: list[str] = []
    starts: list[tuple[int, int]] = []
    skipped: list[str] = []
    number = 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise XornetError(f"{name}: not a readable notebook (code cell {number} has no text)")
        body = source.splitlines()
        if body and body[0].lstrip().startswith("%%"):
            magic = body[0].split()[0]
            skipped.append(f"cell {number}: {body[0].strip()}")
            if magic not in _PYTHON_CELL_MAGICS:
                continue  # %%bash, %%writefile ...: not Python
            body = ["", *body[1:]]
        starts.append((len(lines) + 1, number))
        for line in body:
            stripped = line.lstrip()
            if stripped.startswith(("!", "%")) or re.match(r"^\s*\w+\s*=\s*[!%]", line):
                skipped.append(f"cell {number}: {stripped}")
                line = line[: len(line) - len(stripped)] + "pass  # skipped by the review"
            lines.append(line)
        lines.append("")
    return Submission(name, filename, "\n".join(lines), tuple(starts), tuple(skipped))


@dataclass
class Loaded:
    """What running a submission's definitions gave.

    Attributes
    ----------
    namespace : dict
        The module's names after its definitions ran.
    syntax_error : tuple of (line, message, text) or None
        When the file does not parse; nothing ran.
    errors : list of (line, error, exited)
        Top-level statements that raised (``exited``: it was ``sys.exit``).
    skipped : list of int
        First lines of the top-level statements left out.
    """

    namespace: dict[str, Any]
    syntax_error: tuple[int, str, str] | None = None
    errors: list[tuple[int, str, bool]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def execute(submission: Submission) -> Loaded:
    """Run a submission's top-level definitions, one statement at a time.

    Each statement runs on its own, so that one that fails (an ``import`` of a module the
    reviewer does not have) leaves the definitions after it in place. Runs the learner's code:
    call it only in a process meant for that.

    Parameters
    ----------
    submission : Submission

    Returns
    -------
    Loaded
    """
    import linecache

    from xornet.review._call import call

    # Tracebacks and inspect.getsource read the code from here (a notebook is not Python).
    lines = submission.source.splitlines(keepends=True)
    linecache.cache[submission.filename] = (
        len(submission.source),
        None,
        lines,
        submission.filename,
    )
    namespace: dict[str, Any] = {"__name__": "__xornet_review__", "__file__": submission.filename}
    try:
        module = ast.parse(submission.source, submission.filename)
    except SyntaxError as exc:
        text = (exc.text or "").strip()
        return Loaded(namespace, (exc.lineno or 1, exc.msg, text))
    run, skipped = statements_to_run(module)
    loaded = Loaded(namespace, skipped=skipped)
    for statement in run:
        code = compile(ast.Module([statement], []), submission.filename, "exec")
        outcome = call(exec, code, namespace, files=[submission.filename], copy_args=False)
        if not outcome.ok:
            error = outcome.error or f"sys.exit({outcome.exited})"
            loaded.errors.append((outcome.lineno or statement.lineno, error, not outcome.error))
    return loaded


def statements_to_run(module: ast.Module) -> tuple[list[ast.stmt], list[int]]:
    """Split the top-level statements into definitions to run and the first lines of the rest.

    Runs imports, functions, classes, and assignments that call none of the file's own
    functions; skips the rest (training runs, plots, ``if __name__ == "__main__"``).
    """
    own = {s.name for s in ast.walk(module) if isinstance(s, ast.FunctionDef | ast.ClassDef)}
    run = [s for s in module.body if _defines(s, own)]
    skipped = [s.lineno for s in module.body if not _defines(s, own)]
    return run, skipped


def _defines(s: ast.stmt, own: set[str]) -> bool:
    if isinstance(s, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef | ast.Pass):
        return True
    if isinstance(s, ast.AsyncFunctionDef | ast.Global | ast.Nonlocal):
        return True
    if isinstance(s, ast.Expr):  # a docstring runs nothing; a call does
        return isinstance(s.value, ast.Constant)
    if isinstance(s, ast.Assign | ast.AnnAssign | ast.AugAssign):
        calls = (n.func for n in ast.walk(s) if isinstance(n, ast.Call))
        return not any(isinstance(f, ast.Name) and f.id in own for f in calls)
    if isinstance(s, ast.If):
        if "__name__" in ast.unparse(s.test):
            return False
        return all(_defines(b, own) for b in [*s.body, *s.orelse])
    if isinstance(s, ast.Try):
        blocks = [*s.body, *s.orelse, *s.finalbody, *(b for h in s.handlers for b in h.body)]
        return all(_defines(b, own) for b in blocks)
    return False


# A name such as dB2, dLdB2, dLoss/dB2 or db1 in a comment: the bias gradient it speaks of.
_BIAS_WORD: Final = re.compile(r"(?:^|[^A-Za-z0-9])d[A-Za-z/]*[Bb]([12])(?![0-9])")
_BIAS_NAME: Final = re.compile(r"^d\w*[Bb]([12])$")


def comment_slips(source: str, first_line: int = 1) -> list[tuple[int, str, str]]:
    """Comments in ``get_gradients`` that name one layer's bias above the other layer's.

    The post's own step 7 is such a slip: ``# 7) dLoss/dB2`` above ``dLdB1 = np.sum(dLdZ1, ...)``.

    Parameters
    ----------
    source : str
        Python source containing ``def get_gradients``.
    first_line : int
        The line number of the source's first line (for a function cut out of a file).

    Returns
    -------
    list of (line, name assigned, the comment)
    """
    try:
        module = ast.parse(source)
    except SyntaxError:
        return []
    lines = source.splitlines()
    slips = []
    for fn in ast.walk(module):
        if not (isinstance(fn, ast.FunctionDef) and fn.name == "get_gradients"):
            continue
        for s in ast.walk(fn):
            if not (isinstance(s, ast.Assign) and len(s.targets) == 1):
                continue
            target = s.targets[0]
            name = target.id if isinstance(target, ast.Name) else ""
            match = _BIAS_NAME.match(name)
            if match is None:
                continue
            for comment in _comments_at(lines, s.lineno - 1):
                said = {m.group(1) for m in _BIAS_WORD.finditer(comment)}
                if said and match.group(1) not in said:
                    slips.append((s.lineno + first_line - 1, name, comment))
                    break
    return slips


def _comments_at(lines: list[str], index: int) -> list[str]:
    """The comment on line ``index`` and the comment lines right above it."""
    found = []
    if "#" in lines[index]:
        found.append(lines[index][lines[index].index("#") :].strip())
    i = index - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        found.append(lines[i].strip())
        i -= 1
    return found
