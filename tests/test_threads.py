"""The engine's thread count: the cgroup CPU quota, the affinity mask, the overrides."""

import os

import pytest

import bss1lab
from bss1lab.emulator import threads
from bss1lab.emulator.threads import available_cpus, cgroup_cpu_quota, engine_threads


@pytest.fixture(autouse=True)
def automatic(monkeypatch):
    """Each test starts from the automatic choice, without NUMBA_NUM_THREADS."""
    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    previous = threads.set_threads(None)
    yield
    threads.set_threads(previous)


def cgroup(tmp_path, files, membership="0::/\n"):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "self_cgroup").write_text(membership)
    return dict(root=tmp_path, proc_cgroup=tmp_path / "self_cgroup")


@pytest.mark.parametrize("files, cpus", [
    ({"cpu.max": "max 100000\n"}, None),                      # v2, unlimited
    ({"cpu.max": "150000 100000\n"}, 2),                      # v2, 1.5 CPUs -> 2
    ({"cpu.max": "100000 100000\n"}, 1),
    ({"cpu.max": "50000 100000\n"}, 1),                       # half a CPU: at least 1
    ({"cpu/cpu.cfs_quota_us": "400000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 4),  # v1
    ({"cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
      "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}, None),    # v1, unlimited
    ({"cpu/cpu.cfs_quota_us": "250000\n"}, None),             # v1 without its period
    ({}, None),                                               # no cgroup files at all
    ({"cpu.max": "lots of cpus\n"}, None),                    # garbage
    ({"cpu.max": "150000 0\n"}, None),                        # a zero period
    ({"cpu.max": "\x00\x01"}, None),
])
def test_the_cgroup_quota_is_read_as_whole_cpus_rounded_up(tmp_path, files, cpus):
    assert cgroup_cpu_quota(**cgroup(tmp_path, files)) == cpus


def test_the_smallest_quota_on_the_path_to_the_process_cgroup_counts(tmp_path):
    files = {"cpu.max": "max 100000", "user/cpu.max": "300000 100000",
             "user/session/cpu.max": "max 100000"}
    assert cgroup_cpu_quota(**cgroup(tmp_path, files, "0::/user/session\n")) == 3


def test_the_cpus_available_are_the_affinity_mask_limited_by_the_quota(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert available_cpus(**cgroup(tmp_path, {"cpu.max": "800000 100000"})) == 3
    assert available_cpus(**cgroup(tmp_path, {"cpu.max": "150000 100000"})) == 2
    assert available_cpus(**cgroup(tmp_path, {"cpu.max": "max 100000"})) == 3


def test_the_engine_uses_the_available_cpus_within_numbas_pool(monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 3)
    assert engine_threads(pool=8) == 3
    assert engine_threads(pool=2) == 2


def test_numba_num_threads_in_the_environment_is_respected(monkeypatch):
    monkeypatch.setattr(threads, "available_cpus", lambda: 1)
    monkeypatch.setenv("NUMBA_NUM_THREADS", "6")
    assert engine_threads(pool=6) == 6  # numba sized its pool from the variable


def test_set_threads_overrides_everything_and_returns_the_previous_choice(monkeypatch):
    monkeypatch.setenv("NUMBA_NUM_THREADS", "6")
    assert bss1lab.set_threads(2) is None
    assert engine_threads(pool=6) == 2
    assert bss1lab.set_threads(None) == 2
    assert engine_threads(pool=6) == 6


def test_more_threads_than_the_pool_holds_are_capped_with_a_warning():
    threads.set_threads(64)
    with pytest.warns(RuntimeWarning, match="64 threads chosen: .*thread pool holds 4"):
        assert engine_threads(pool=4) == 4


@pytest.mark.parametrize("n, error", [(0, ValueError), (-2, ValueError), (1.5, TypeError),
                                      ("2", TypeError), (True, TypeError)])
def test_set_threads_refuses_what_is_not_a_count(n, error):
    with pytest.raises(error, match=f"n={n!r}" if error is TypeError else "must be >= 1"):
        bss1lab.set_threads(n)


def test_using_threads_chooses_for_its_thread_only_and_restores():
    import threading
    threads.set_threads(3)
    seen = {}
    with threads.using_threads(1):
        other = threading.Thread(target=lambda: seen.update(other=engine_threads(pool=8)))
        other.start()
        other.join()
        seen["here"] = engine_threads(pool=8)
    assert seen == {"here": 1, "other": 3}
    assert engine_threads(pool=8) == 3
