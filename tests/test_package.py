"""The package as a whole: a light import, the public API, and its documentation."""

import inspect
import subprocess
import sys

import pytest

import xornet
from xornet import tutorial

HEAVY = ("matplotlib", "numba", "sklearn", "tqdm", "autograd", "scipy")


def test_import_needs_numpy_alone():
    code = "import sys, xornet, xornet.cli; print(sorted(set(sys.modules) & set({!r})))"
    proc = subprocess.run(
        [sys.executable, "-c", code.format(HEAVY)], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"


def public_objects():
    for module in (xornet, tutorial):
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj):
                yield f"{module.__name__}.{name}", obj


@pytest.mark.parametrize(("name", "obj"), list(public_objects()))
def test_every_public_callable_has_a_numpydoc_docstring(name, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    if inspect.isclass(obj):
        if issubclass(obj, Exception):
            return
        init_params = [p for p in inspect.signature(obj).parameters if p != "self"]
        if init_params:
            assert "Parameters\n----------" in doc or "Attributes\n----------" in doc, name
        return
    params = list(inspect.signature(obj).parameters)
    if params:
        assert "Parameters\n----------" in doc, f"{name} documents no parameters"
        for p in params:
            assert p in doc, f"{name} does not document {p}"
    returns_none = inspect.signature(obj).return_annotation in (None, "None")
    assert "Returns\n-------" in doc or returns_none, name


def test_all_is_complete():
    for name in xornet.__all__:
        assert hasattr(xornet, name)
