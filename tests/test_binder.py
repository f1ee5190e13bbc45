"""Binder: what repo2docker would install from binder/ gives a working course.

Builds a fresh virtual environment, installs binder/requirements.txt from the
repository's root as repo2docker does, then imports the panels and runs the welcome
notebook in that environment. Slow (a full install); the package registry must be
reachable.
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
    return python


def run_in(python, code, cwd):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    return subprocess.run([str(python), "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=900, env=environment)


def test_binder_environment_has_the_course(binder_python, tmp_path):
    checks = run_in(binder_python, (
        "import bss1lab, bss1lab.widgets, jupyterlab, dask.distributed, jupyter_bokeh\n"
        "from bss1lab.widgets import RandomNetworkPanel, SingleNeuronPanel\n"
        "print(bss1lab.__file__)\n"), cwd=tmp_path)
    assert checks.returncode == 0, checks.stderr[-3000:]
    # the package itself is installed, not taken from the working directory
    assert str(binder_python.parents[1]) in checks.stdout or "site-packages" in checks.stdout


def test_binder_environment_runs_the_welcome_notebook(binder_python, tmp_path):
    notebook = ROOT / "notebooks" / "00_welcome.ipynb"
    if not notebook.exists():
        pytest.fail("notebooks/00_welcome.ipynb is missing")
    code = (
        "import nbformat, sys\n"
        "from nbclient import NotebookClient\n"
        f"nb = nbformat.read({str(notebook)!r}, as_version=4)\n"
        f"NotebookClient(nb, timeout=600, kernel_name='python3', resources={{'metadata': "
        f"{{'path': {str(notebook.parent)!r}}}}}).execute()\n"
        "print('cells', len(nb.cells))\n")
    result = run_in(binder_python, code, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
