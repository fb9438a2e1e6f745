"""bmaml_theory.search: the spaces' encodings, the certified zeta, maximize's counts (fail closed), and SearchPlan."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_parallel import SPACE, logistic_ratio, toy_ratio

from bmaml_theory import search
from bmaml_theory.search import HEADER, LogisticSpace, Structure, maximize, zeta_bound, zeta_lower

SMALL = LogisticSpace(M=(1, 1), n=(2, 2), mh=(1, 1), m=(1, 1))


def test_dim_and_decode_of_the_smallest_structure():
    s = Structure(1, 2, 1, 1)
    assert SMALL.dim(s) == 2 + 3 + 2 + 2 + 2 + 1  # xh, Q (upper triangle), x, r, theta, lam
    z = np.array([1.0, 2.0, -0.5, 0.25, 0.3, 3.0, -1.0, 4.0, 5.0, 0.7, -0.7, 0.0])
    inst = SMALL.decode(np.concatenate([np.asarray(s, float), z]))
    t = inst.tasks
    assert np.array_equal(t.Zh[0, 0], [1.0, 2.0]) and np.array_equal(t.Z[0, 0], [3.0, -1.0])
    assert np.array_equal(t.Q[0], [[-0.5, 0.125], [0.125, 0.3]])
    assert np.array_equal(t.r[0], [4.0, 5.0]) and np.array_equal(inst.theta, [0.7, -0.7])
    assert t.lam == pytest.approx(2 * t.constants().Lhat1, rel=1e-15)  # z_lam = 0: at the threshold
    assert inst.zeta == 0.0  # M = 1


def test_box_and_lam_cap():
    p = np.concatenate([[1, 2, 1, 1], np.full(12, 50.0)])
    inst = SMALL.decode(p)
    assert np.all(np.abs(inst.tasks.Zh) <= 10) and inst.tasks.lam == pytest.approx(
        2 * 10 * inst.tasks.constants().Lhat1, rel=1e-15
    )


@given(st.integers(0, 10**6))
def test_random_encodings_decode_to_their_structure(seed):
    sp = LogisticSpace(extras={"nu": 1, "u": "n"})
    rng = np.random.default_rng(seed)
    p = sp.random_encoding(rng)
    inst = sp.decode(p)
    M, n, mh, m = inst.structure
    assert inst.tasks.Zh.shape == (M, mh, n) and inst.tasks.Z.shape == (M, m, n)
    assert inst.extra["nu"].shape == (1,) and inst.extra["u"].shape == (n,)
    assert inst.tasks.lam >= 2 * inst.tasks.constants().Lhat1 * (1 - 1e-12)


@given(st.integers(0, 10**6))
def test_zeta_bound_is_above_sampled_heterogeneity(seed):
    sp = LogisticSpace(M=(2, 4), n=(2, 4))
    rng = np.random.default_rng(seed)
    inst = sp.decode(sp.random_encoding(rng))
    thetas = 3 * rng.standard_normal((4, inst.tasks.n))
    low = zeta_lower(inst.tasks, thetas)
    assert 0 < low <= inst.zeta * (1 + 1e-12)


def test_zeta_bound_formula():
    sp = LogisticSpace(M=(2, 2), n=(2, 2), mh=(1, 1), m=(1, 1))
    t = sp.decode(sp.random_encoding(np.random.default_rng(1))).tasks
    G = t.lam * t._L0_task / t._mu_task
    assert zeta_bound(t) == pytest.approx(math.sqrt((G[0] ** 2 + G[1] ** 2) / 2), rel=1e-15)


def test_structure_prior_puts_mass_on_every_structure_and_halves_per_step():
    sp = LogisticSpace()
    rng = np.random.default_rng(0)
    draws = np.array([sp.sample_structure(rng) for _ in range(2000)])
    assert draws[:, 0].min() == 1 and draws[:, 1].min() == 2
    frac_n2 = np.mean(draws[:, 1] == 2)
    assert abs(frac_n2 - 0.5 / (1 - 0.5**9)) < 0.03  # P(n = 2) = (1/2) / (1 - 2^-9)
    uni = LogisticSpace(prior="uniform")
    assert abs(np.mean([uni.sample_structure(rng).n == 2 for _ in range(4000)]) - 1 / 9) < 0.02


def test_maximize_finds_a_known_maximum_and_counts_every_evaluation():
    sp = LogisticSpace(M=(1, 1), n=(2, 2), mh=(1, 1), m=(1, 1))
    # a 12-dimensional sphere: CMA-ES converges linearly, ~1500 evaluations take it from ~10 to below 1e-6
    res = maximize(lambda p: -float(np.sum((p[HEADER:] - 0.5) ** 2)), sp, starts=2, seed=0, budget=3000, rungs=2)
    assert res.worst is not None and res.worst > -1e-6  # the maximum is 0 at z = 0.5
    assert np.allclose(res.worst_encoding[HEADER:], 0.5, atol=1e-2)
    assert res.evaluations <= 3000 and res.evaluations == sum(r.evaluations for r in res.runs)
    assert res.failures == 0 and res.skipped == 0 and res.pinned_worst is None


def test_failures_and_skips_are_counted_never_ratios():
    sp = LogisticSpace(M=(1, 1), n=(2, 2), mh=(1, 1), m=(1, 1))
    pins = [
        np.concatenate([[1, 2, 1, 1], [20.0, 0.0], np.zeros(10)]),
        np.concatenate([[1, 2, 1, 1], [0.0, 20.0], np.zeros(10)]),
    ]
    res = maximize(toy_ratio, sp, starts=1, seed=0, budget=90, pins=pins, sigma0=0.1)
    assert res.skipped >= 1 and res.failures >= 1  # the pins start in the skipped and in the failing region
    assert any("fails on purpose" in e for e in res.failure_examples)
    assert res.worst is not None and res.worst <= 0  # a skip or a failure never became a ratio


def test_all_failing_ratio_fails_closed():
    def bad(p):
        return math.nan

    res = maximize(bad, SMALL, starts=2, seed=0, budget=60)
    assert res.worst is None and res.unpinned_worst is None
    assert res.failures == res.evaluations > 0


def test_pins_do_not_count_as_unpinned():
    pin = np.concatenate([[1, 2, 1, 1], np.full(12, 3.0)])

    def ratio(p):
        return 100.0 if np.allclose(p[HEADER:], 3.0) else -float(np.sum(p[HEADER:] ** 2))

    res = maximize(ratio, SMALL, starts=2, seed=0, budget=120, pins=[pin])
    assert res.pinned_worst == 100.0 and res.worst == 100.0
    assert res.unpinned_worst is not None and res.unpinned_worst <= 0


def test_merge_searches_keeps_unpinned_from_the_random_search_and_adds_counts():
    pin = np.concatenate([[1, 2, 1, 1], np.full(12, 3.0)])

    def ratio(p):
        return 100.0 if np.allclose(p[HEADER:], 3.0) else -float(np.sum(p[HEADER:] ** 2))

    rand = maximize(ratio, SMALL, starts=2, seed=0, budget=60)
    pinned = maximize(ratio, SMALL, starts=0, seed=0, budget=30, pins=[pin], rungs=1)
    both = search.merge_searches(rand, pinned)
    assert both.worst == 100.0 and np.array_equal(both.worst_encoding, pinned.worst_encoding)
    assert both.unpinned_worst == rand.unpinned_worst <= 0 and both.pinned_worst == 100.0
    assert both.evaluations == rand.evaluations + pinned.evaluations
    assert [r.pinned for r in both.runs] == [False, False, True]  # random runs first
    assert search.merge_searches(rand, None) is rand
    # a tie keeps the random search's instance
    tie = search.merge_searches(rand, rand)
    assert np.array_equal(tie.worst_encoding, rand.worst_encoding) and tie.pinned_worst is None


def test_same_result_on_one_or_two_processes():
    kw = {"starts": 4, "seed": 5, "budget": 4 * 3 * 12, "rungs": 2, "eta": 2}
    one = maximize(logistic_ratio, SPACE, **kw)
    assert one.summary() == maximize(logistic_ratio, SPACE, jobs=2, **kw).summary()
    assert one.failures == 0 and one.evaluations > 0


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"starts": -1}, "starts"),
        ({"budget": 1}, "budget"),
        ({"pins": [np.zeros(3)]}, "pins"),
        ({"eta": 1}, "eta"),
        ({"sigma0": 0.0}, "sigma0"),
    ],
)
def test_maximize_bad_input(kw, match):
    args = {"starts": 2, "seed": 0, "budget": 100, **kw}
    with pytest.raises(ValueError, match=match):
        maximize(toy_ratio, SMALL, **args)


def test_space_bad_input():
    with pytest.raises(ValueError, match="M must satisfy"):
        LogisticSpace(M=(0, 3))
    with pytest.raises(ValueError, match="extras"):
        LogisticSpace(extras={"u": "m"})
    with pytest.raises(ValueError, match="prior"):
        LogisticSpace(prior="small")
    with pytest.raises(ValueError, match="outside this space"):
        SMALL.decode(np.concatenate([[2, 2, 1, 1], np.zeros(12)]))
    with pytest.raises(ValueError, match="integers"):
        SMALL.decode(np.concatenate([[1.5, 2, 1, 1], np.zeros(12)]))
    assert search.Structure(1, 2, 1, 1) in SMALL.structures()


def test_encode_is_the_inverse_of_decode():
    sp = LogisticSpace(extras={"nu": 1, "u": "n"})
    rng = np.random.default_rng(3)
    M, n, mh, m = 2, 3, 2, 1
    Zh, Z, r = rng.uniform(-5, 5, (M, mh, n)), rng.uniform(-5, 5, (M, m, n)), rng.uniform(-5, 5, (M, n))
    X = rng.uniform(-3, 3, (M, n, n))
    Q = (X + X.swapaxes(1, 2)) / 2
    theta = rng.standard_normal(n)
    p = sp.encode(Zh, Q, Z, r, theta, lam_factor=5.0, extra={"nu": 0.5, "u": [1.0, 2.0, 3.0]})
    inst = sp.decode(p)
    assert inst.structure == Structure(M, n, mh, m)
    assert np.array_equal(inst.tasks.Zh, Zh) and np.array_equal(inst.tasks.Q, Q) and np.array_equal(inst.tasks.Z, Z)
    assert np.array_equal(inst.tasks.r, r) and np.array_equal(inst.theta, theta)
    assert inst.tasks.lam == pytest.approx(5.0 * inst.tasks.constants().Lhat1, rel=1e-14)
    assert np.array_equal(inst.extra["u"], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="lam_factor"):
        sp.encode(Zh, Q, Z, r, theta, lam_factor=1.0, extra={"nu": 0.5, "u": [1.0, 2.0, 3.0]})


def test_check_time_stops_the_search():
    calls = []

    def deadline():
        calls.append(1)
        if len(calls) > 3:
            raise TimeoutError("past the deadline")

    with pytest.raises(TimeoutError):
        maximize(lambda p: -float(np.sum(p[HEADER:] ** 2)), SMALL, starts=2, seed=0, budget=2000, check_time=deadline)


def _pin_ratio(p):
    return 100.0 if np.allclose(p[HEADER:], 3.0) else -float(np.sum(p[HEADER:] ** 2))


def test_a_plan_with_a_pin_budget_is_the_merge_of_two_searches():
    """run(plan) with pin_budget is maximize from the random starts merged with a plain search from the pins (the
    same calls, so the same numbers: the engine is deterministic given its seeds)."""
    pin = np.concatenate([[1, 2, 1, 1], np.full(12, 3.0)])
    plan = search.SearchPlan(starts=2, budget=60, seed=4, pins=(pin,), pin_budget=30, pin_seed=5, sigma0=0.5, rungs=2)
    got = search.run(_pin_ratio, SMALL, plan)
    rand = maximize(_pin_ratio, SMALL, starts=2, seed=4, budget=60, sigma0=0.5, rungs=2)
    pinned = maximize(_pin_ratio, SMALL, starts=0, seed=5, budget=30, pins=[pin], sigma0=0.5, rungs=1)
    assert got.summary() == search.merge_searches(rand, pinned).summary()
    together = search.run(_pin_ratio, SMALL, search.SearchPlan(starts=2, budget=90, seed=4, pins=(pin,), rungs=1))
    assert together.summary() == maximize(_pin_ratio, SMALL, starts=2, seed=4, budget=90, pins=[pin], rungs=1).summary()


def test_reseeded_shifts_every_seed_and_keeps_the_rest():
    plan = search.SearchPlan(starts=3, budget=90, seed=7, pin_seed=8, sigma0=0.4, rungs=2, popsize=6)
    other = plan.reseeded(1000)
    assert (other.seed, other.pin_seed) == (1007, 1008)
    a, b = plan.settings(), other.settings()
    assert {k: v for k, v in a.items() if "seed" not in k} == {k: v for k, v in b.items() if "seed" not in k}
    with pytest.raises(ValueError, match="pin_budget"):
        search.SearchPlan(starts=1, budget=10, seed=0, pin_budget=0)
    with pytest.raises(TypeError, match="SearchPlan"):
        search.run(_pin_ratio, SMALL, {"starts": 1})


def test_every_space_meets_the_protocol_and_describes_itself():
    spaces = [SMALL, search.TiedLogisticSpace(M=(2, 3)), search.StochasticSpace()]
    for sp in spaces:
        assert isinstance(sp, search.SearchSpace)
        assert "box [-10, 10]" in sp.describe()
    assert not isinstance(object(), search.SearchSpace)
    with pytest.raises(TypeError, match="SearchSpace"):
        maximize(_pin_ratio, object(), starts=1, seed=0, budget=10)


def test_stochastic_encode_is_the_inverse_of_decode():
    """StochasticSpace.encode: decode(encode(data)) gives the data back (the symmetric A's off-diagonal entries are
    halved by decode and doubled by encode, both exact in binary floating point)."""
    rng = np.random.default_rng(3)
    for per_task_A, noise, decades in ((False, False, 0.0), (True, True, 2.0)):
        sp = search.StochasticSpace(
            per_task_A=per_task_A, hessian_noise=noise, scale_decades=decades, extras={"u": "n"}
        )
        M, n = 3, 4
        A = rng.standard_normal((M if per_task_A else 1, n, n))
        A = (A + A.transpose(0, 2, 1)) / 2
        b, w, V = rng.standard_normal((M, n)), rng.standard_normal(n), rng.standard_normal((M, n))
        lg, u = rng.standard_normal(M), rng.standard_normal(n)
        p = sp.encode(
            A if per_task_A else A[0],
            b,
            w,
            logits=lg,
            c=0.3,
            sg=0.7,
            sH=0.2 if noise else 0.0,
            V=V if noise else None,
            z_scale=0.0,
            z_alpha=1.5,
            extra={"u": u},
        )
        inst = sp.decode(p)
        t = inst.tasks
        scale = 10 ** (-decades * 0.5) if decades else 1.0  # z_scale = 0: sig = 1/2
        np.testing.assert_allclose(t.A, np.broadcast_to(A, (M, n, n)) * scale, rtol=1e-15, atol=0)
        assert np.array_equal(t.b, b) and np.array_equal(inst.w, w) and np.array_equal(inst.extra["u"], u)
        np.testing.assert_allclose(t.p, np.exp(lg - lg.max()) / np.exp(lg - lg.max()).sum(), rtol=1e-15)
        assert (t.c, t.sg, t.sH) == (0.3, 0.7, 0.2 if noise else 0.0)
        L = t.constants().L
        assert inst.alpha == pytest.approx(1 / (1 + math.exp(-1.5)) / L, rel=1e-15)
    with pytest.raises(ValueError, match="extra"):
        search.StochasticSpace(extras={"u": "n"}).encode(np.eye(2), np.zeros((1, 2)), np.zeros(2))
