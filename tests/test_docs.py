"""Every Python block of the README and the docs runs, so that none can rot.

The blocks of one file run in order in one namespace (a later block may use an earlier one's
names, as a reader would), in a temporary directory (a block may write files).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


def test_the_pages_have_python_blocks():
    # A regex that silently matched nothing would make the test below pass on anything. The
    # README is a front page now; the blocks it had live on the site's pages under docs/.
    assert len(python_blocks(ROOT / "README.md")) >= 1
    assert sum(len(python_blocks(page)) for page in PAGES) >= 5


@pytest.mark.parametrize(
    "page", [p for p in PAGES if python_blocks(p)], ids=lambda p: str(p.relative_to(ROOT))
)
def test_every_python_block_runs(page, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, block in enumerate(python_blocks(page), start=1):
        code = compile(block, f"{page.name}, python block {number}", "exec")
        exec(code, namespace)  # the project's own documentation
