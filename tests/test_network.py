"""The network layer: validation, connectors, distributions, realisation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bss1lab.network import (AllToAllConnector, EIF_cond_exp_isfa_ista,
                             FixedNumberPreConnector, FixedProbabilityConnector,
                             FixedTotalNumberConnector, FromListConnector, IF_cond_exp,
                             IF_curr_exp, Network, OneToOneConnector, Population, Projection,
                             RandomDistribution, SpikeSourceArray, SpikeSourcePoisson,
                             StaticSynapse, realise)
from bss1lab.network.connectors import Connector
from bss1lab.network.sampling import sample_partners


@pytest.mark.parametrize("make, message", [
    (lambda: IF_cond_exp(tau_mem=10.0), r"unknown parameter\(s\) \['tau_mem'\]"),
    (lambda: IF_cond_exp(tau_m=-1.0), "tau_m must be > 0"),
    (lambda: IF_cond_exp(cm=float("nan")), "cm=nan must be finite"),
    (lambda: IF_cond_exp(tau_refrac=-0.1), "tau_refrac must be >= 0"),
    (lambda: IF_cond_exp(v_reset=-40.0, v_thresh=-50.0), "v_reset=-40.0 mV must be below"),
    (lambda: EIF_cond_exp_isfa_ista(v_spike=-60.0), "v_thresh=-50.4 mV must be below"),
    (lambda: IF_cond_exp(tau_m=RandomDistribution("uniform", -5.0, -1.0)), "can never be > 0"),
    (lambda: Population(0, IF_cond_exp(), label="P"), "Population 'P': size=0 must be a whole"),
    (lambda: Population("3", IF_cond_exp()), "size='3' must be a number"),
    (lambda: Population(None, IF_cond_exp()), "size=None must be a number"),
    (lambda: IF_cond_exp(cm=250.0), "cm=250 is implausibly large; give it in nF"),
    (lambda: FixedProbabilityConnector("0.1"), "p_connect='0.1' must be a number"),
    (lambda: FixedNumberPreConnector(float("nan")), "n=nan must be finite"),
    (lambda: FixedNumberPreConnector(2.5), "n=2.5 must be a whole number"),
    (lambda: RandomDistribution("normal", mu="a", sigma=1.0), "mu='a' must be a number"),
    (lambda: Population(3, IF_cond_exp(tau_m=[10.0, 20.0]), label="P"),
     "parameter tau_m has 2 values for 3 cells"),
    (lambda: SpikeSourcePoisson(rate=-1.0), "rate must be >= 0"),
    (lambda: SpikeSourceArray([0.0, 1.0]), "spike_times must be > 0"),
    (lambda: RandomDistribution("normal", mu=0.0), r"missing parameters \['sigma'\]"),
    (lambda: RandomDistribution("cauchy", 0.0, 1.0), "unknown distribution 'cauchy'"),
    (lambda: FixedProbabilityConnector(1.5), "p_connect=1.5 must be <= 1"),
    (lambda: StaticSynapse(0.01, delay=0.0), "delay=0.0 must be > 0"),
])
def test_bad_descriptions_raise_naming_the_item(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_projection_checks():
    cells = Population(5, IF_cond_exp(), label="cells")
    source = Population(5, SpikeSourcePoisson(), label="src")
    current = Population(5, IF_curr_exp(), label="curr")
    with pytest.raises(ValueError, match="spike source and cannot receive"):
        Projection(cells, source, AllToAllConnector())
    with pytest.raises(ValueError, match="receptor_type='gaba'"):
        Projection(source, cells, AllToAllConnector(), receptor_type="gaba")
    with pytest.raises(ValueError, match="must be >= 0 uS"):
        Projection(source, cells, AllToAllConnector(), StaticSynapse(-0.01))
    with pytest.raises(ValueError, match="inhibitory weights onto IF_curr_exp must be <= 0"):
        Projection(source, current, AllToAllConnector(), StaticSynapse(0.1),
                   receptor_type="inhibitory")
    Projection(source, current, AllToAllConnector(), StaticSynapse(-0.1),
               receptor_type="inhibitory")
    outsider = Population(2, IF_cond_exp(), label="outsider")
    with pytest.raises(ValueError, match="not in the network"):
        Network(cells, Projection(outsider, cells, AllToAllConnector()))
    with pytest.raises(ValueError, match="labels must be unique"):
        Network(cells, Population(1, IF_cond_exp(), label="cells"))


RNG = np.random.default_rng


def pairs(connector, n_pre, n_post, same=False, seed=0):
    return connector.connect(n_pre, n_post, same, RNG(seed))


def test_all_to_all_and_one_to_one():
    pre, post = pairs(AllToAllConnector(allow_self_connections=False), 6, 6, same=True)
    assert pre.size == 30 and not np.any(pre == post)
    pre, post = pairs(AllToAllConnector(), 4, 3)
    assert sorted(zip(pre, post)) == [(i, j) for i in range(4) for j in range(3)]
    pre, post = pairs(OneToOneConnector(), 5, 5)
    np.testing.assert_array_equal(pre, post)
    with pytest.raises(ValueError, match="equally large"):
        pairs(OneToOneConnector(), 5, 4)


@pytest.mark.parametrize("replacement", [False, True])
def test_fixed_number_pre_gives_exact_in_degree(replacement):
    connector = FixedNumberPreConnector(30, allow_self_connections=False,
                                        with_replacement=replacement)
    pre, post = pairs(connector, 100, 100, same=True)
    np.testing.assert_array_equal(np.bincount(post, minlength=100), 30)
    assert not np.any(pre == post)
    if not replacement:
        assert len(set(zip(pre, post))) == pre.size  # no multapses
    # every pre cell is equally likely: chi-square of the out-degrees
    out_degree = np.bincount(pre, minlength=100)
    assert abs(out_degree.mean() - 30) < 1e-9 and out_degree.std() < 3 * np.sqrt(30)
    with pytest.raises(ValueError, match="exceeds the 99 distinct pre cells"):
        pairs(FixedNumberPreConnector(100, allow_self_connections=False), 100, 100, True)


def test_fixed_probability_count_is_binomial():
    p, n = 0.1, 400
    pre, post = pairs(FixedProbabilityConnector(p, allow_self_connections=False), n, n, True)
    expected, sigma = p * n * (n - 1), np.sqrt(p * (1 - p) * n * (n - 1))
    assert abs(pre.size - expected) < 5 * sigma
    assert not np.any(pre == post) and len(set(zip(pre, post))) == pre.size


@pytest.mark.parametrize("replacement", [False, True])
def test_fixed_total_number(replacement):
    pre, post = pairs(FixedTotalNumberConnector(500, allow_self_connections=False,
                                                with_replacement=replacement), 30, 30, True)
    assert pre.size == 500 and not np.any(pre == post)
    assert pre.max() < 30 and post.max() < 30
    if not replacement:
        assert len(set(zip(pre, post))) == 500


def test_from_list_carries_weights_and_delays():
    a = Population(3, SpikeSourcePoisson(), label="a")
    b = Population(2, IF_cond_exp(), label="b")
    connector = FromListConnector([(0, 1, 0.5, 2.0), (2, 0, 0.25, 3.0)])
    net = Network(a, b, Projection(a, b, connector))
    realised = realise(net, 0)
    np.testing.assert_array_equal(realised.pre, [0, 2])
    np.testing.assert_array_equal(realised.post, [4, 3])
    np.testing.assert_allclose(realised.weight, [0.5, 0.25])
    np.testing.assert_allclose(realised.delay, [2.0, 3.0])
    with pytest.raises(ValueError, match="indices exceed the populations"):
        realise(Network(a, b, Projection(a, b, FromListConnector([(5, 0)]))), 0)


def test_random_distributions_have_their_moments_and_follow_the_seed():
    normal = RandomDistribution("normal", mu=-65.0, sigma=2.0)
    values = normal.draw(RNG(1), 100_000)
    assert values.mean() == pytest.approx(-65.0, abs=5 * 2.0 / np.sqrt(1e5))
    assert values.std() == pytest.approx(2.0, rel=0.02)
    np.testing.assert_array_equal(values, normal.draw(RNG(1), 100_000))
    clipped = RandomDistribution("normal_clipped", 0.0, 1.0, low=-0.5, high=2.0)
    drawn = clipped.draw(RNG(2), 10_000)
    assert drawn.min() >= -0.5 and drawn.max() <= 2.0


def test_realise_draws_everything_from_the_seed(small_network):
    first, second, other = (realise(small_network, s) for s in (7, 7, 8))
    for name in ("pre", "post", "weight", "delay", "receptor"):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    assert not np.array_equal(first.pre, other.pre)
    e = first.population("E")
    assert e.parameters["tau_m"].shape == (160,) and e.initial_values["v"].std() > 1.0
    assert [p.label for p in first.populations] == ["E", "I", "noise", "background", "pulses"]
    sizes = np.diff(first.projection_offsets)
    np.testing.assert_array_equal(sizes, [160 * 16, 40 * 16, 160 * 4, 40 * 4, 160 * 3, 40 * 2,
                                          40 * 5])
    drawn_delays = first.delay[first.projection_offsets[2]:first.projection_offsets[3]]
    assert drawn_delays.min() >= 0.8 and drawn_delays.max() <= 2.0 and drawn_delays.std() > 0.1


def test_a_network_that_does_not_keep_its_synapses_draws_them_again_identically(
        small_network):
    kept = realise(small_network, 7)
    redrawn = realise(small_network, 7, keep_synapses=False)
    assert kept.synapses_kept and not redrawn.synapses_kept
    assert redrawn.pre is None and redrawn.weight is None
    assert redrawn.n_synapses == kept.n_synapses
    np.testing.assert_array_equal(redrawn.projection_offsets, kept.projection_offsets)
    for k in range(len(kept.projection_labels)):
        for a, b in zip(kept.projection_synapses(k), redrawn.projection_synapses(k)):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype
        for a, b in zip(kept.projection_connections(k), redrawn.projection_connections(k)):
            np.testing.assert_array_equal(a, b)
        assert kept.projection_delay_range(k) == redrawn.projection_delay_range(k)
    np.testing.assert_array_equal(redrawn.receptor, kept.receptor)


def test_a_redrawn_projection_ignores_later_changes_to_the_description():
    a = Population(20, SpikeSourcePoisson(rate=5.0), label="a")
    b = Population(30, IF_cond_exp(), label="b")
    weights = np.full((20, 30), 0.01)
    projection = Projection(a, b, FixedProbabilityConnector(0.3), StaticSynapse(weights, 1.0))
    redrawn = realise(Network(a, b, projection), 3, keep_synapses=False)
    before = redrawn.projection_synapses(0)[2].copy()
    weights *= 2.0  # the user's array, changed after realising
    np.testing.assert_array_equal(redrawn.projection_synapses(0)[2], before)


def test_a_connector_that_cannot_count_keeps_its_synapses():
    class EveryOther(Connector):
        """A user's rule that implements only connect."""

        def connect(self, n_pre, n_post, same_population, rng):
            post, pre = np.divmod(np.arange(0, n_pre * n_post, 2), n_pre)
            return pre, post

    a = Population(4, SpikeSourcePoisson(), label="a")
    b = Population(4, IF_cond_exp(), label="b")
    realised = realise(Network(a, b, Projection(a, b, EveryOther())), 0, keep_synapses=None)
    assert realised.synapses_kept and realised.n_synapses == 8


@pytest.mark.parametrize("connector, same, exact", [
    (AllToAllConnector(allow_self_connections=False), True, True),
    (OneToOneConnector(), False, True),
    (FixedNumberPreConnector(7), False, True),
    (FixedTotalNumberConnector(333), True, True),
    (FromListConnector([(0, 1), (2, 3), (4, 4)]), False, True),
    (FixedProbabilityConnector(0.1, allow_self_connections=False), True, False),
])
def test_expected_count_is_what_connect_makes(connector, same, exact):
    n = 60
    made = [connector.connect(n, n, same, RNG(seed))[0].size for seed in range(20)]
    expected = connector.expected_count(n, n, same)
    if exact:
        assert made == [expected] * 20
    else:  # binomial: 20 draws of n (n - 1) pairs, mean within 4 standard errors
        sd = np.sqrt(expected * (1 - 0.1) / 20)
        assert np.mean(made) == pytest.approx(expected, abs=4 * sd)


def test_drawn_parameters_are_checked():
    cell = IF_cond_exp(tau_m=RandomDistribution("normal", mu=1.0, sigma=5.0))
    net = Network(Population(1000, cell, label="wide"))
    with pytest.raises(ValueError, match="Population 'wide': tau_m .* must be > 0"):
        realise(net, 0)
    crossing = IF_cond_exp(v_reset=-55.0,
                           v_thresh=RandomDistribution("normal", mu=-50.0, sigma=3.0))
    with pytest.raises(ValueError, match="v_reset must be below v_thresh, but is not in"):
        realise(Network(Population(1000, crossing, label="c")), 0)


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(0, 12), min_size=1, max_size=8),
       n_pool=st.integers(13, 40), with_replacement=st.booleans(), data=st.data())
def test_sampled_rows_are_sorted_in_range_and_skip_their_excluded_index(
        counts, n_pool, with_replacement, data):
    excluded = np.array(data.draw(st.lists(st.integers(-1, n_pool - 1), min_size=len(counts),
                                           max_size=len(counts))), dtype=np.int64)
    counts = np.array(counts, dtype=np.int64)
    drawn = sample_partners(np.random.default_rng(3), counts, n_pool, excluded,
                            with_replacement)
    assert drawn.dtype == np.int64 and drawn.size == counts.sum()
    for row, skip in zip(np.split(drawn, np.cumsum(counts)[:-1]), excluded):
        assert np.all(np.diff(row) >= (0 if with_replacement else 1))  # sorted (distinct)
        assert np.all((row >= 0) & (row < n_pool)) and not np.any(row == skip)
