"""Make notebooks ready to commit: run each top to bottom on a fresh kernel, keep the
outputs of the cells nbval checks (``# NBVAL_CHECK_OUTPUT``) and drop every other
output, execution count and the widget state, so the repository holds no stale
widget state and stays small.

Usage: python tools/clean_notebooks.py notebooks/04_balanced_random_network.ipynb ...
       python tools/clean_notebooks.py --no-run notebooks/*.ipynb   (strip only)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

CHECK = "NBVAL_CHECK_OUTPUT"


def clean(path: Path, run: bool = True, timeout: int = 600) -> float:
    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    if run:
        NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - started
    checked = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        if CHECK not in cell.source:
            cell.execution_count = None
            cell.outputs = []
        else:
            # nbval skips comparing a cell without a count; number the checked ones
            checked += 1
            cell.execution_count = checked
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = checked
    notebook.metadata.pop("widgets", None)
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                       "name": "python3"}
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--no-run", action="store_true", help="strip without running")
    args = parser.parse_args()
    for path in args.notebooks:
        elapsed = clean(path, run=not args.no_run)
        print(f"{path}: {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
