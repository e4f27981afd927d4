import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

# The tests' own helper modules (the post oracle) live next to the tests.
sys.path.insert(0, str(Path(__file__).parent))
# Figures render off screen, whatever the machine's display.
os.environ.setdefault("MPLBACKEND", "Agg")
# scikit-learn's estimator checks include one that runs with array-API dispatch on NumPy
# inputs; SciPy allows that only when this is set before it is imported. Without it that check
# would be skipped.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import xornet

#: The environment variable that moves xornet's kernel cache (xornet.engines._cache.cache_dir).
KERNELS = "XORNET_CACHE_DIR"
_kernels_dir = pytest.StashKey[str]()


def pytest_configure(config):
    """Compiled kernels go to a directory of this run, never into the user's ~/.cache: set
    before any test runs (and so before any kernel loads); subprocesses inherit it. With
    pytest-xdist the workers share the controller's directory (pytest_configure_node), so
    a kernel one worker compiled, the other loads."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        os.environ[KERNELS] = workerinput[KERNELS]
        return
    config.stash[_kernels_dir] = os.environ[KERNELS] = tempfile.mkdtemp(prefix="xornet-kernels-")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist: hand the run's kernel directory to a worker."""
    node.workerinput[KERNELS] = node.config.stash[_kernels_dir]


def pytest_unconfigure(config):
    if _kernels_dir in config.stash:  # the controller (or the only process) removes it
        shutil.rmtree(config.stash[_kernels_dir], ignore_errors=True)


@pytest.fixture
def xor_data():
    d = xornet.xor()
    return d.X, d.y


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def lane_kernel(monkeypatch):
    """Full-batch jobs of small networks run in numba's lane kernel (xornet.engines._lanes), as
    they do without a C compiler, instead of the step written out, which cc compiles for a job
    of any length (xornet.engines.many.WRITTEN_OUT_ANY_JOB_TERMS)."""
    from xornet.engines import many

    monkeypatch.setattr(many, "WRITTEN_OUT_ANY_JOB_TERMS", 0)


@pytest.fixture
def cc_fails(monkeypatch, caplog):
    """A cc that fails on the PATH: ``cc_fails(module)`` makes ``module.kernel`` (the C loop's
    builder, :mod:`xornet.engines._native` or ``_native_lanes``) raise as a failed compile and
    returns the shapes it was asked for; ``cc_fails.said()`` is what the ``xornet`` logger
    warned of since the last call, ``cc_fails.post`` what it says of the post's loop
    (``post_many``: of the lanes' loop for many such networks)."""
    from xornet.engines import _native

    monkeypatch.setattr(_native, "FAILED", set())
    caplog.set_level("WARNING", logger="xornet")

    class Failing:
        said = (
            "cc could not compile the loop of {} 2-2-1 {} on 4 samples (sigmoid, gd, bce): "
            "loop.c:9:1: error: the test's; numba's loop runs it instead (the same numbers; "
            "XORNET_NATIVE=0 stops trying cc)"
        )
        post, post_many = said.format("a", "network"), said.format("many", "networks")

        def __call__(self, module):
            tried = []

            def failing(shape, **kwargs):
                tried.append(shape)
                raise RuntimeError("loop.c:9:1: error: the test's")

            monkeypatch.setattr(module, "kernel", failing)
            return tried

        @staticmethod
        def said():
            records = [r.getMessage() for r in caplog.records if r.name.startswith("xornet")]
            caplog.clear()
            return records

    return Failing()
