"""The tutorial notebooks run clean, and their stored outputs are the ones their code produces.

Every notebook in docs/notebooks is run in a fresh Jupyter kernel (two at a time, a time limit
per cell), in a temporary folder. A cell that raises, or writes to stderr, fails the test. The
outputs are then compared with the stored ones, after replacing what changes from run to run
(memory addresses, timings); pictures are compared by kind only (a PNG's bytes depend on the
matplotlib version). When a notebook changes on purpose, ``python
docs/notebooks/make_notebooks.py`` runs it again and stores its new outputs.
"""

import asyncio
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import xornet

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "docs" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))
# Seconds a cell may take: a cell that compiles a lane kernel (about 20 s of CPU) while the
# rest of the suite shares the 2 cores can take a minute; only a hung cell should reach it.
CELL_TIMEOUT = 180
KERNELS_AT_ONCE = 2  # the CI machine's cores

ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
TIMING = re.compile(r"\b\d+(?:\.\d+)?\s?(?:s|ms|us|µs|ns)\b")


def normalise(text: str) -> str:
    return TIMING.sub("<time>", ADDRESS.sub("0x...", text))


def outputs(nb: nbformat.NotebookNode) -> list[list[tuple[str, str]]]:
    """Each code cell's outputs as comparable (kind, text) pairs."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        shown: list[tuple[str, str]] = []
        for out in cell.outputs:
            if out.output_type == "stream":
                if shown and shown[-1][0] == out.name:  # a stream may arrive in pieces
                    shown[-1] = (out.name, shown[-1][1] + out.text)
                else:
                    shown.append((out.name, out.text))
            elif out.output_type in ("execute_result", "display_data"):
                for mime, value in sorted(out.data.items()):
                    text = value if isinstance(value, str) else ""
                    shown.append((mime, "<image>" if mime.startswith("image/") else text))
            else:
                shown.append((out.output_type, f"{out.get('ename')}: {out.get('evalue')}"))
        cells.append([(kind, normalise(text)) for kind, text in shown])
    return cells


async def _run_all(paths: list[Path], folder: Path) -> dict[Path, nbformat.NotebookNode]:
    gate = asyncio.Semaphore(KERNELS_AT_ONCE)

    async def run(path: Path) -> tuple[Path, nbformat.NotebookNode]:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        async with gate:
            client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                    allow_errors=True,
                                    resources={"metadata": {"path": str(folder)}})  # fmt: skip
            await client.async_execute()
        return path, nb

    return dict(await asyncio.gather(*(run(p) for p in paths)))


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Every notebook, run once in a fresh kernel that imports this checkout's xornet."""
    folder = tmp_path_factory.mktemp("notebooks")
    source = str(Path(xornet.__file__).resolve().parent.parent)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]))
        patch.setenv("JUPYTER_PLATFORM_DIRS", "1")
        return asyncio.run(_run_all(NOTEBOOKS, folder))


def test_every_lesson_is_there_in_english_and_korean():
    names = {p.name for p in NOTEBOOKS}
    english = sorted(n for n in names if not n.endswith(".ko.ipynb"))
    assert len(english) == 4
    for name in english:
        assert name.replace(".ipynb", ".ko.ipynb") in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_runs_clean_and_its_stored_outputs_are_what_it_produces(path, executed):
    fresh = executed[path]
    for cell, shown in zip(
        (c for c in fresh.cells if c.cell_type == "code"), outputs(fresh), strict=True
    ):
        bad = [text for kind, text in shown if kind in ("error", "stderr")]
        assert not bad, f"cell {cell.source[:60]!r} failed: {bad}"
    stored = outputs(nbformat.read(path, as_version=4))
    for number, (old, new) in enumerate(zip(stored, outputs(fresh), strict=True), start=1):
        assert old == new, f"{path.name}, code cell {number}: stored outputs differ"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_a_notebook_opens_in_colab_and_installs_xornet_there(path):
    nb = nbformat.read(path, as_version=4)
    repository = re.search(r"^repo_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.M)
    assert repository is not None
    colab = repository[1].replace("https://github.com", "https://colab.research.google.com/github")
    assert f"({colab}/blob/main/docs/notebooks/{path.name})" in nb.cells[0].source
    install = nb.cells[1].source
    assert 'find_spec("xornet") is None' in install
    assert f"@ git+{repository[1]}" in install


def test_the_two_languages_run_the_same_code():
    for path in NOTEBOOKS:
        if path.name.endswith(".ko.ipynb"):
            continue
        twin = path.with_name(path.name.replace(".ipynb", ".ko.ipynb"))
        code = [[c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code"]
                for p in (path, twin)]  # fmt: skip
        assert code[0] == code[1], path.name


def test_normalise_hides_only_what_changes_between_runs():
    assert normalise("<object at 0x7f3a2b> took 0.108 s") == "<object at 0x...> took <time>"
    assert normalise("steps 859 (loss 0.0099944)") == "steps 859 (loss 0.0099944)"
