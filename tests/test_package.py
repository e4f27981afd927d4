"""The package as a whole: a light import, the public API, and its documentation."""

import inspect
import subprocess
import sys

import pytest

import xornet
from xornet import tutorial

HEAVY = ("matplotlib", "numba", "sklearn", "tqdm", "autograd", "scipy")


def loaded_after(code):
    probe = f"import sys; {code}; print(sorted(set(sys.modules) & set({(*HEAVY, 'numpy')!r})))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return proc.stdout.strip()


def test_import_and_help_load_nothing_heavy():
    # import xornet loads names lazily; --help builds its parser from xornet._names alone.
    assert loaded_after("import xornet") == "[]"
    assert loaded_after("from xornet.cli import build_parser; build_parser()") == "[]"


def test_training_needs_numpy_alone():
    code = "import xornet; d = xornet.xor(); xornet.train(d.X, d.y, engine='numpy')"
    assert loaded_after(code) == "['numpy']"


def test_choice_names_agree_with_their_implementations():
    from xornet import _names
    from xornet.cli.options import STARTS
    from xornet.config import STARTS as CONFIG_STARTS
    from xornet.engines import ENGINES
    from xornet.functional import ACTIVATIONS
    from xornet.optim import OPTIMIZERS
    from xornet.params import INITS

    assert tuple(ACTIVATIONS) == _names.ACTIVATION_NAMES
    assert INITS == _names.INIT_NAMES
    assert OPTIMIZERS == _names.OPTIMIZER_NAMES
    assert ENGINES == _names.ENGINE_NAMES
    assert tuple(xornet.PRESETS) == _names.PRESET_NAMES
    assert STARTS == CONFIG_STARTS


def test_every_public_name_resolves_and_unknown_names_fail():
    assert set(dir(xornet)) >= set(xornet.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = xornet.nope


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
