"""PyNN's source distribution for the tests: downloaded once with pip into a
git-ignored cache (``.cache/`` at the repository's root, or ``$BSS1LAB_CACHE``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

VERSION = "0.13.0"
CACHE = Path(os.environ.get("BSS1LAB_CACHE", Path(__file__).parents[1] / ".cache"))


def pynn_source() -> Path:
    """The unpacked PyNN sdist (``.cache/pynn-0.13.0``); skips the test when it cannot
    be downloaded."""
    target = CACHE / f"pynn-{VERSION}"
    if (target / "test" / "system" / "scenarios").is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"pynn-{VERSION}.tar.gz"
    if not archive.exists():
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary",
                               ":all:", "--no-deps", f"pynn=={VERSION}", "-d", str(CACHE)],
                              capture_output=True, text=True)
        if done.returncode or not archive.exists():
            pytest.skip(f"cannot download PyNN {VERSION}'s sdist: {done.stderr[-300:]}")
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return target
