"""The documentation site builds strictly (a broken link, a missing page or reference, any
warning fails), in English and Korean, with the notebooks rendered and the API generated."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr[-4000:]
    return out


def text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def test_the_build_leaves_nothing_in_the_checkout(site):
    assert not (ROOT / "site").exists()
    assert not (ROOT / ".cache").exists()


@pytest.mark.parametrize("lang", ["", "ko/"])
def test_every_notebook_is_a_page_in_each_language(site, lang):
    for notebook in sorted((ROOT / "docs" / "notebooks").glob("*.ipynb")):
        if notebook.name.endswith(".ko.ipynb"):
            continue
        page = text(site / lang / "notebooks" / notebook.stem / "index.html")
        assert page.lstrip().startswith("<!doctype html>"), "the notebook was copied, not rendered"
        assert "Open in Colab" in page
        assert "jp-OutputArea-executeResult" in page  # the stored outputs are shown
        assert 'class="xn"' in page  # xornet's own HTML among them
    korean = text(site / "ko" / "notebooks" / "01_the_post" / "index.html")
    english = text(site / "notebooks" / "01_the_post" / "index.html")
    assert "글의 코드를 그대로 실행하기" in korean
    assert "글의 코드를 그대로 실행하기" not in english


def test_the_korean_side_has_its_guide_and_the_english_pages(site):
    home = text(site / "ko" / "index.html")
    assert "한국어 안내" in home
    assert "xornet explain --lang ko" in home
    assert (site / "ko" / "api" / "training" / "index.html").exists()  # falls back to English


def test_the_api_reference_comes_from_the_docstrings(site):
    page = text(site / "api" / "training" / "index.html")
    for name in ("xornet.training.Trainer", "xornet.training.train", "xornet.config.TrainConfig"):
        assert f'id="{name}"' in page
    assert page.count('id="xornet.config.TrainConfig"') == 1  # not again as a re-export
    assert "Raises" in page
    assert "TrainingDiverged" in page
    # Sphinx roles in the docstrings become code, not literal ":class:" text.
    assert not re.search(r":(?:class|func|meth|mod):", page)


def test_the_pictures_are_there(site):
    for image in ("playground.png", "hidden_post.png", "boundary.png", "study_hidden_units.png"):
        assert (site / "images" / image).stat().st_size > 1000
    assert "images/playground.png" in text(site / "index.html")


def test_sphinx_roles_become_code_spans():
    path = ROOT / "docs" / "hooks" / "griffe_roles.py"
    spec = importlib.util.spec_from_file_location("griffe_roles", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    role = module._ROLE
    assert role.sub(module._code, "see :func:`xornet.train`") == "see `xornet.train`"
    assert role.sub(module._code, ":class:`~xornet.Trainer` and :meth:`Trainer.run`") == (
        "`Trainer` and `Trainer.run`"
    )
    assert role.sub(module._code, "no role: `x`") == "no role: `x`"


def test_every_notebook_contents_link_has_its_heading(site):
    # mkdocs-jupyter gave a Korean heading id="" while the contents linked to #_1, #_2...
    for page in sorted(site.glob("**/notebooks/*/index.html")):
        html = text(page)
        ids = set(re.findall(r'\bid="([^"]*)"', html))
        links = set(re.findall(r'<a href="#([^"]+)" class="md-nav__link">', html))
        assert links, page
        assert links <= ids, (page, sorted(links - ids))
        assert '<h2 id="">' not in html
