"""numba's cache of the kernels follows every module they inline, not only their own."""

import os
import time

from bss1lab.cache import NUMBA_LAYERS, clear_stale


def package_with_cache(root, cached_at, source_at):
    """A fake bss1lab folder: one source and one cached function per layer."""
    for layer in NUMBA_LAYERS:
        folder = root / layer
        (folder / "__pycache__").mkdir(parents=True)
        source = folder / "kernels.py"
        source.write_text("")
        for name in ("kernels.run-1.py311.nbi", "kernels.run-1.py311.1.nbc"):
            cached = folder / "__pycache__" / name
            cached.write_bytes(b"")
            os.utime(cached, (cached_at, cached_at))
        os.utime(source, (source_at, source_at))
    return root


def cache_files(root):
    return sorted(p.name for p in root.rglob("*.nb*"))


def test_a_source_changed_after_the_cache_was_written_clears_the_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    now = time.time()
    root = package_with_cache(tmp_path, cached_at=now - 100, source_at=now - 200)
    # a change to one module only (the neuron step, say), after the cache was written
    os.utime(root / "emulator" / "kernels.py", (now, now))
    assert clear_stale(root) == 2 * len(NUMBA_LAYERS)
    assert cache_files(root) == []


def test_a_cache_written_after_every_source_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    now = time.time()
    root = package_with_cache(tmp_path, cached_at=now - 100, source_at=now - 200)
    assert clear_stale(root) == 0
    assert len(cache_files(root)) == 2 * len(NUMBA_LAYERS)


def test_a_cache_folder_of_the_users_choice_is_left_to_the_user(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    now = time.time()
    root = package_with_cache(tmp_path, cached_at=now - 100, source_at=now)
    assert clear_stale(root) == 0
