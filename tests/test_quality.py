"""Lint, format and strict typing, run as part of the test suite so CI enforces them."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "src", "tests", "bench", "docs"],  # docs: the notebooks too
        ["ruff", "format", "--check", "src", "tests", "bench"],
        ["mypy"],
    ],
)
def test_tool_is_clean(command):
    proc = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
