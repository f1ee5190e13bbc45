"""The thread tuner: which thread count the engine runs its next slice on."""

from bss1lab.emulator.tuning import (MAX_PERIOD, MAX_SLICE_STEPS, PROBE_STEPS,
                                     SETTLE_STEPS, SLICE_SECONDS, ThreadTuner)


def run_slices(tuner, seconds_per_step, n, wake_s=0.0):
    """Run ``n`` slices whose speed depends on the thread count, a slice on a count
    other than the last one's taking ``wake_s`` more; the counts used."""
    used = []
    for _ in range(n):
        threads = tuner.threads_now()
        steps = tuner.slice_steps(10**9)
        woken = wake_s if used and used[-1] != threads else 0.0
        used.append(threads)
        tuner.record(steps, steps * seconds_per_step[threads] + woken)
    return used


def probe_starts(used, count):
    """Where the slices on ``count`` begin, after slices on another count."""
    return [k for k in range(1, len(used)) if used[k] == count and used[k - 1] != count]


def test_when_one_thread_is_faster_the_tuner_runs_on_one_and_probes_all_now_and_then():
    tuner = ThreadTuner(2)
    used = run_slices(tuner, {1: 1e-4, 2: 3e-4}, 60)  # a core shared: 2 threads slower
    # a settling slice, a timed one, then the probe of one thread: it settles, wins
    assert used[:4] == [2, 2, 1, 1]
    assert used[4:].count(2) == 2 * len(probe_starts(used[3:], 2)) <= 2 * 3
    assert used[-10:].count(1) >= 8


def test_on_a_quiet_machine_the_tuner_keeps_all_threads_and_probes_ever_more_rarely():
    tuner = ThreadTuner(4)
    used = run_slices(tuner, {1: 4e-4, 4: 1e-4}, 600)
    starts = probe_starts(used, 1)
    assert all(used[k + 1] == 1 and used[k + 2] == 4 for k in starts[:-1])
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    # each probe: its two slices, the settling slice back on 4, the period between
    assert gaps == sorted(gaps) and gaps[-1] == MAX_PERIOD + 3
    assert len(starts) < 600 / MAX_PERIOD + 6


def test_a_slow_first_slice_does_not_drive_the_tuner_off_all_threads():
    tuner = ThreadTuner(2)
    tuner.record(16, 16 * 1e-3)  # fresh buffers, sleeping threads: 20x the speed
    used = run_slices(tuner, {1: 1e-4, 2: 0.5e-4}, 20)
    assert used.count(1) == 2  # one probe, and all threads are kept


def test_waking_the_threads_for_a_probe_is_not_held_against_them():
    # one thread is faster now, then the other core is freed; every change of count
    # costs 5 ms (an idle virtual CPU woken), which the settling slice absorbs
    tuner = ThreadTuner(2)
    run_slices(tuner, {1: 1e-4, 2: 3e-4}, 20, wake_s=5e-3)
    assert tuner.threads_now() == 1
    used = run_slices(tuner, {1: 1e-4, 2: 0.5e-4}, 200, wake_s=5e-3)
    assert used[-20:].count(2) >= 18


def test_a_probe_less_than_the_margin_faster_does_not_change_the_count():
    tuner = ThreadTuner(2)
    used = run_slices(tuner, {1: 0.95e-4, 2: 1e-4}, 100)  # one thread 5 % faster
    assert used[-30:].count(2) >= 27


def test_a_runs_last_few_steps_neither_time_a_count_nor_bring_a_probe_forward():
    # a slice cut to 1 step by the run's end pays a whole kernel call (30 us on two
    # threads, 3 us on one) over that step
    tuner = ThreadTuner(2)
    run_slices(tuner, {1: 1.6e-5, 2: 1e-5}, 200)
    assert tuner.threads_now() == 2
    for _ in range(20):  # runs of 2,000 steps and their 1-step remainders
        for remaining in (2000, 1):
            threads = tuner.threads_now()
            steps = tuner.slice_steps(remaining)
            cost = {1: 3e-6 + steps * 1.6e-5, 2: 3e-5 + steps * 1e-5}[threads]
            tuner.record(steps, cost)
    assert tuner.threads_now() == 2


def test_slices_take_about_the_target_time_on_the_count_they_run_on():
    tuner = ThreadTuner(2)
    tuner.record(64, 1.0)             # settling: not timed
    tuner.record(64, 64 * 2e-3)       # two threads, collapsed: 2 ms a step
    assert tuner.threads_now() == 1 and tuner.slice_steps(10**9) == SETTLE_STEPS
    tuner.record(SETTLE_STEPS, 1.0)
    assert tuner.slice_steps(10**9) == PROBE_STEPS
    tuner.record(PROBE_STEPS, PROBE_STEPS * 1e-5)  # one thread: 10 us a step
    assert tuner.threads_now() == 1
    assert tuner.slice_steps(10**9) == int(SLICE_SECONDS / 1e-5)
    while tuner.threads_now() == 1:   # until the next probe of two threads
        tuner.record(tuner.slice_steps(10**9), tuner.slice_steps(10**9) * 1e-5)
    assert tuner.slice_steps(10**9) == SETTLE_STEPS
    tuner.record(SETTLE_STEPS, SETTLE_STEPS * 2e-3)
    # a probe takes about a slice's time (15 collapsed steps), not 3,000 steps
    assert tuner.slice_steps(10**9) == int(SLICE_SECONDS / 2e-3) < PROBE_STEPS
    assert tuner.slice_steps(5) == 5


def test_a_slice_twice_as_slow_as_the_last_brings_the_probe_forward():
    tuner = ThreadTuner(2)
    run_slices(tuner, {1: 4e-4, 2: 1e-4}, 40)  # quiet: probes every 16 slices or more
    assert tuner.threads_now() == 2
    tuner.record(tuner.slice_steps(10**9), tuner.slice_steps(10**9) * 5e-4)  # collapsed
    assert tuner.threads_now() == 1  # the probe settles on one thread, and wins:
    assert run_slices(tuner, {1: 1e-4, 2: 5e-4}, 10)[2:].count(1) >= 7


def test_slices_are_at_most_max_slice_steps_and_one_thread_is_not_sliced():
    tuner = ThreadTuner(2)
    tuner.record(64, 64 * 1e-9)  # settling
    tuner.record(64, 64 * 1e-9)
    tuner.record(SETTLE_STEPS, 1.0)  # the probe of one thread settles,
    tuner.record(16, 16 * 1e-7)      # and loses
    tuner.record(64, 1.0)            # settling back on two threads
    assert tuner.slice_steps(10**9) == MAX_SLICE_STEPS
    single = ThreadTuner(1)
    assert single.slice_steps(123_456) == 123_456 and single.threads_now() == 1


def test_an_untimed_slice_is_timed_again_before_the_tuner_chooses():
    tuner = ThreadTuner(2)
    for _ in range(2):  # settling, then one untimed (e.g. loading the kernel)
        tuner.record(64, 5.0, measured=False)
    assert tuner.threads_now() == 1
    tuner.record(SETTLE_STEPS, 1.0)
    tuner.record(16, 16 * 1e-4)
    assert tuner.threads_now() == 2  # all threads not timed yet: once more
    tuner.record(64, 1.0)            # settling
    tuner.record(64, 64 * 3e-4)
    assert tuner.threads_now() == 1
    tuner.record(SETTLE_STEPS, 1.0)
    tuner.record(16, 16 * 1e-4)
    assert tuner.threads_now() == 1  # one thread chosen
