"""The wheel ships the whole product, and the README's serve path runs from a non-editable install of it.

An editable install (what `make install` does) hides missing packages and data files: the checkout is on the
path anyway. So the wheel is built from a clean copy of the source tree, opened, and installed into a fresh
venv that sees only the dependencies, then served from a directory outside the repo.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.helpers import REPO, free_port, serving

pytestmark = pytest.mark.slow

PACKAGE_ROOTS = ("papersearch", "indexer", "search", "api", "models")
TOP_LEVEL_JUNK = {".git", ".venv", "data", "build", "dist"}
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache", ".hypothesis",
                              ".ipynb_checkpoints")


def _ignore(folder: str, names: list[str]) -> set[str]:
    top = {n for n in names if n in TOP_LEVEL_JUNK} if Path(folder) == REPO else set()
    return top | JUNK(folder, names)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy: setuptools' build/ cache in the checkout could hand a stale file to the wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(REPO, src, ignore=_ignore, symlinks=True)
    # no build isolation: it would fetch setuptools from an index, and the tests run offline
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp / "dist")], check=True, capture_output=True)
    (built,) = (tmp / "dist").glob("papersearch-*.whl")
    return built


def _packages() -> list[Path]:
    """Every package of the product in the source tree: each directory with an __init__.py."""
    return sorted(init.parent.relative_to(REPO) for root in PACKAGE_ROOTS for init in (REPO / root).rglob("__init__.py")
                  if "__pycache__" not in init.parts)


def _package_data() -> dict[str, list[str]]:
    with open(REPO / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]["package-data"]


def test_wheel_holds_every_package_module_template_static_file_and_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = _packages()
    assert {p.parts[0] for p in packages} == set(PACKAGE_ROOTS)
    modules = {str(m.relative_to(REPO)) for p in packages for m in (REPO / p).glob("*.py")}
    assert {f"{p.as_posix()}/__init__.py" for p in packages} <= modules
    web = {str(f.relative_to(REPO)) for d in ("api/templates", "api/static") for f in (REPO / d).rglob("*")
           if f.is_file()}
    assert any(n.endswith(".html") for n in web) and any(n.endswith(".css") for n in web)
    declared = _package_data()
    json_patterns = [(pkg, pat) for pkg, pats in declared.items() for pat in pats if pat.endswith(".json")]
    assert json_patterns, "the fusion weights (*.json) are not declared as package data"
    data = set()
    for pkg, patterns in declared.items():
        for pattern in patterns:
            matched = {str(f.relative_to(REPO)) for f in (REPO / pkg.replace(".", "/")).glob(pattern) if f.is_file()}
            assert matched, f"package-data {pkg}: {pattern} matches no file"
            data |= matched
    missing = sorted((modules | web | data) - names)
    assert not missing, f"not in {wheel.name}: {missing}"


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel; the dependencies come from this interpreter's site-packages as a plain
    path entry, so that directory's .pth files (the editable install's finder among them) never run."""
    root = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    deps = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(site) / "_papersearch_deps.pth").write_text("\n".join(deps) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True)
    return root


def _outside_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}


def test_the_installed_package_is_what_runs(venv, tmp_path):
    code = ("import json, api, indexer, models, papersearch, search, search.rankers.learned;"
            "print(json.dumps([m.__file__ for m in (api, indexer, models, papersearch, search)]"
            " + [str(search.rankers.learned.WEIGHTS_FILE)]))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, env=_outside_env(),
                         check=True, capture_output=True, text=True).stdout
    files = [Path(f) for f in json.loads(out)]
    assert all(f.is_relative_to(venv) and f.is_file() for f in files), files
    script = venv / "bin" / "papersearch"
    assert script.read_text().splitlines()[0] == f"#!{venv / 'bin' / 'python'}"


@pytest.mark.model
def test_readme_serve_path_from_a_non_editable_install(venv, built_settings, tmp_path):
    port = free_port()
    env = _outside_env(PAPERSEARCH_DATA_DIR=str(built_settings.data_dir))
    with serving([str(venv / "bin" / "papersearch"), "serve", "--port", str(port)], port, env, cwd=tmp_path) as base:
        found = httpx.get(base + "/api/search", params={"q": "비디오 생성", "k": 3}, timeout=30)
        assert found.status_code == 200
        body = found.json()
        assert body["method"] == "learned" and len(body["results"]) == 3    # the shipped fusion weights loaded
        page = httpx.get(base + "/", params={"q": "비디오 생성"}, timeout=30)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert body["results"][0]["arxiv_id"] in page.text                      # templates from the wheel
        assert httpx.get(base + "/static/style.css", timeout=10).status_code == 200
        assert httpx.get(base + "/", timeout=10).status_code == 200
