"""Binder: what repo2docker would install from binder/ gives a working course.

Builds a fresh virtual environment, installs binder/requirements.txt from the
repository's root and runs binder/postBuild as repo2docker does, then imports the
panels and runs the welcome notebook in that environment, in a kernel that must find
every kernel in numba's cache. Slow (a full install, and the compilation postBuild
does); the package registry must be reachable.
"""

import os
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def binder_python(tmp_path_factory):
    env_dir = tmp_path_factory.mktemp("binder-env")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", "binder/requirements.txt"],
        cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    # repo2docker runs postBuild from the repository's root with the environment's
    # python first on PATH
    post_build = ROOT / "binder" / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    environment = clean_environment()
    environment["PATH"] = f"{python.parent}{os.pathsep}{environment.get('PATH', '')}"
    built = subprocess.run([str(post_build)], cwd=ROOT, capture_output=True, text=True,
                           timeout=1500, env=environment)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "warm-up:" in built.stdout
    return python


def clean_environment():
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def run_in(python, code, cwd):
    return subprocess.run([str(python), "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=900, env=clean_environment())


def test_binder_environment_has_the_course(binder_python, tmp_path):
    checks = run_in(binder_python, (
        "import bss1lab, bss1lab.widgets, jupyterlab, dask.distributed, jupyter_bokeh\n"
        "from bss1lab.widgets import RandomNetworkPanel, SingleNeuronPanel\n"
        "print(bss1lab.__file__)\n"), cwd=tmp_path)
    assert checks.returncode == 0, checks.stderr[-3000:]
    # the package itself is installed, not taken from the working directory
    assert str(binder_python.parents[1]) in checks.stdout or "site-packages" in checks.stdout


def test_binder_environment_runs_the_welcome_notebook_without_compiling(binder_python,
                                                                        tmp_path):
    """A kernel started after postBuild runs the whole welcome notebook, and numba
    compiles none of bss1lab's functions there: every one comes from its cache
    (``compilations`` counts numba's compile events, which a cache load does not
    raise)."""
    notebook = ROOT / "notebooks" / "00_welcome.ipynb"
    if not notebook.exists():
        pytest.fail("notebooks/00_welcome.ipynb is missing")
    code = (
        "import nbformat, sys\n"
        "from nbclient import NotebookClient\n"
        f"nb = nbformat.read({str(notebook)!r}, as_version=4)\n"
        "nb.cells.insert(0, nbformat.v4.new_code_cell('import bss1lab.emulator'))\n"
        "nb.cells.append(nbformat.v4.new_code_cell(\n"
        "    'from bss1lab.emulator.compiling import compilations\\n'\n"
        "    'print(\"compilations\", compilations())'))\n"
        f"NotebookClient(nb, timeout=600, kernel_name='python3', resources={{'metadata': "
        f"{{'path': {str(notebook.parent)!r}}}}}).execute()\n"
        "print(nb.cells[-1].outputs[0]['text'].strip())\n")
    result = run_in(binder_python, code, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert result.stdout.strip().splitlines()[-1] == "compilations 0", result.stdout[-2000:]
