"""The thread tuner: which thread count the engine runs its next slice on."""

from bss1lab.emulator.tuning import (FIRST_PERIOD, MAX_PERIOD,
                                     MAX_SLICE_STEPS, PROBE_STEPS, SLICE_SECONDS,
                                     ThreadTuner)


def run_slices(tuner, seconds_per_step, n):
    """Run ``n`` slices whose speed depends on the thread count; the counts used."""
    used = []
    for _ in range(n):
        threads = tuner.threads_now()
        steps = tuner.slice_steps(10**9)
        used.append(threads)
        tuner.record(steps, steps * seconds_per_step[threads])
    return used


def test_when_one_thread_is_faster_the_tuner_runs_on_one_and_probes_all_now_and_then():
    tuner = ThreadTuner(2)
    used = run_slices(tuner, {1: 1e-4, 2: 3e-4}, 40)  # a core shared: 2 threads slower
    assert used[:2] == [2, 1]
    assert used.count(2) <= 1 + 40 // FIRST_PERIOD  # probes only
    assert used[-10:].count(1) >= 9


def test_on_a_quiet_machine_the_tuner_keeps_all_threads_and_probes_ever_more_rarely():
    tuner = ThreadTuner(4)
    used = run_slices(tuner, {1: 4e-4, 4: 1e-4}, 400)
    probes = [k for k, threads in enumerate(used) if threads == 1]
    gaps = [b - a for a, b in zip(probes, probes[1:])]
    assert gaps == sorted(gaps) and gaps[-1] == MAX_PERIOD + 1
    assert len(probes) < 400 / MAX_PERIOD + 6  # about 1 in MAX_PERIOD slices


def test_slices_take_about_the_target_time_on_the_count_they_run_on():
    tuner = ThreadTuner(2)
    tuner.record(64, 64 * 2e-3)       # two threads, collapsed: 2 ms a step
    assert tuner.threads_now() == 1 and tuner.slice_steps(10**9) == PROBE_STEPS
    tuner.record(64, 64 * 1e-5)       # one thread: 10 us a step
    assert tuner.threads_now() == 1
    assert tuner.slice_steps(10**9) == int(SLICE_SECONDS / 1e-5)
    while tuner.threads_now() == 1:   # until the next probe of two threads
        tuner.record(tuner.slice_steps(10**9), tuner.slice_steps(10**9) * 1e-5)
    # a probe takes about a slice's time (15 collapsed steps), not 3,000 steps
    assert tuner.slice_steps(10**9) == int(SLICE_SECONDS / 2e-3) < PROBE_STEPS
    assert tuner.slice_steps(5) == 5


def test_slices_are_at_most_max_slice_steps_and_one_thread_is_not_sliced():
    tuner = ThreadTuner(2)
    tuner.record(64, 64 * 1e-9)
    tuner.record(64, 64 * 1e-9)
    assert tuner.slice_steps(10**9) == MAX_SLICE_STEPS
    single = ThreadTuner(1)
    assert single.slice_steps(123_456) == 123_456 and single.threads_now() == 1


def test_an_untimed_first_slice_is_timed_again_before_the_tuner_chooses():
    tuner = ThreadTuner(2)
    tuner.record(64, 5.0, measured=False)  # loading the kernel: not its speed
    assert tuner.threads_now() == 1
    tuner.record(64, 64 * 1e-4)
    assert tuner.threads_now() == 2  # all threads not timed yet: once more
    tuner.record(64, 64 * 3e-4)
    assert tuner.threads_now() == 1
    tuner.record(64, 64 * 1e-4)
    assert tuner.threads_now() == 1  # one thread chosen
