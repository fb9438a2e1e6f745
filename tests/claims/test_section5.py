"""The Section 5 claims (Figure 1, Table 1): quick statuses, exact counts, the AGD instrumentation, can-fail scoring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bmaml_theory import solvers
from bmaml_theory.claims import Context, run_claim
from bmaml_theory.claims.chayti_jaggi.section5 import fig1_left, fig1_right, table1
from bmaml_theory.studies import experiments as ex


@pytest.fixture(scope="module")
def quick(quick_run):
    return quick_run.pick(("fig1-left", "fig1-right", "table1"))  # the session's one quick run (tests/conftest.py)


def test_quick_statuses(quick):
    assert {k: r.status for k, r in quick.items()} == {
        "fig1-left": "not-reproduced",
        "fig1-right": "not-reproduced",
        "table1": "holds",
    }


def test_fig1_deciding_regimes_are_the_captions_big_kappa(quick):
    """kappa^ = Lhat1/mu: ~10 and ~100 in the deciding regimes (mu = lam + lambda_min, lambda_min >= 1e-4 Lhat1
    lowers it by at most 1%), <= 1/2 in the lam = 2 Lhat1 evidence regimes."""
    s = quick["fig1-left"].evidence["settings"]
    assert quick["fig1-left"].evidence["deciding_regimes"] == ["big-kappa-10", "big-kappa-100"]
    assert 9.8 < s["big-kappa-10"]["kappa_hat"] <= 10 and 98 < s["big-kappa-100"]["kappa_hat"] <= 100
    assert all(s[r]["kappa_hat"] <= 0.5 + 1e-12 for r in ("assumption", "slow-inner"))


def test_fig1_left_contradictions_are_the_matched_cost_imaml_comparisons(quick):
    """At big kappa^ FO-B-MAML's error falls slower than iMAML's at matched cost: cg=10 at kappa^ = 10, every cg at
    kappa^ = 100 (the count replays from the settings)."""
    r = quick["fig1-left"]
    imaml = "FO-B-MAML compares favorably to iMAML cg={} (at matched cost: iMAML with K - 4cg inner steps)"
    assert r.measured == 4
    assert r.evidence["contradicted"][:4] == [
        f"big-kappa-10: {imaml.format(10)}",
        *(f"big-kappa-100: {imaml.format(cg)}" for cg in (2, 5, 10)),
    ]
    assert fig1_left.contradicted_sentences(["big-kappa-100"], list(ex.K_GRID)) == 3  # can fail: the same scoring
    assert r.evidence["outside_the_caption"]["contradicted"] == [f"slow-inner: {imaml.format(cg)}" for cg in (2, 5, 10)]


def test_fig1_right_contradictions_and_the_tie_is_not_one(quick):
    r = quick["fig1-right"]
    assert r.measured == 6 and r.evidence["lr_at_grid_edge"] == []
    assert sorted(r.evidence["contradicted"][:6]) == sorted(
        [
            "big-kappa-10: FO-B-MAML is competitive with MAML",
            "big-kappa-10: FO-B-MAML is competitive with iMAML cg=10",
            "big-kappa-10: FO-B-MAML outperforms iMAML cg=5",
            "big-kappa-100: FO-B-MAML is competitive with iMAML cg=10",
            "big-kappa-100: FO-B-MAML outperforms iMAML cg=2",
            "big-kappa-100: FO-B-MAML outperforms iMAML cg=5",
        ]
    )
    assert sorted(r.evidence["outside_the_caption"]["contradicted"]) == [
        "slow-inner: FO-B-MAML is competitive with iMAML cg=10",
        "slow-inner: FO-B-MAML outperforms iMAML cg=2",
        "slow-inner: FO-B-MAML outperforms iMAML cg=5",
    ]


def _right(its: dict, fin: dict) -> dict:
    names = ("FO-B-MAML forward", "FO-MAML", "Reptile", "iMAML cg=2", "iMAML cg=5", "MAML", "iMAML cg=10")
    return {"r": {"iterations": {n: its.get(n, math.inf) for n in names}, "final": {n: fin.get(n, 1.0) for n in names}}}


def test_fig1_right_scores_ties_honestly():
    """13 vs 13 iterations with FO-B-MAML's final loss lower is not a contradiction; fewer iterations for the other
    method is; 'competitive' allows a factor 2."""
    me = "FO-B-MAML forward"
    tie = fig1_right.sentences(_right({me: 13, "iMAML cg=5": 13}, {me: 5.9e-11, "iMAML cg=5": 6.5e-11}))
    assert not next(s for s in tie if s["other"] == "iMAML cg=5")["contradicted"]
    lost = fig1_right.sentences(_right({me: 13, "iMAML cg=5": 12}, {}))
    assert next(s for s in lost if s["other"] == "iMAML cg=5")["contradicted"]
    comp = fig1_right.sentences(_right({me: 26, "MAML": 13, "iMAML cg=10": 12}, {}))
    assert not next(s for s in comp if s["other"] == "MAML")["contradicted"]
    assert next(s for s in comp if s["other"] == "iMAML cg=10")["contradicted"]


def test_fig1_left_can_fail_on_a_rising_error():
    d = ex.left("assumption", (1, 2, 5))
    d["errors"]["FO-B-MAML forward"] = [1e-1, 1e-2, 2e-2]  # rises by 2x above the floor
    s = fig1_left.sentences({"assumption": d})
    assert next(x for x in s if x["sentence"].startswith("FO-B-MAML forward benefits"))["contradicted"]


def test_table1_all_cells_hold_and_replay(quick):
    r = quick["table1"]
    assert r.measured == 0 and len(r.evidence["cells"]) == 16
    kw = r.evidence["worst_instance"]
    assert table1.contradicted_cells(**kw) == 0


def test_table1_memory_and_first_order_counts_are_exact(quick):
    """Peak vectors: AGD holds x, x_prev, y, grad, theta (5); FO-B-MAML adds its two solutions (7); iMAML's CG adds
    4 (9); MAML stores every gradient point (K + 1) plus 4."""
    rows = quick["table1"].data["rows"]
    for m, peak in (("FO-MAML", 5), ("FO-B-MAML", 7), ("iMAML", 9)):
        assert {r["peak_vectors"] for r in rows if r["method"] == m} == {peak}
        assert all(r["hvps"] == 0 for r in rows if r["method"] == m) == (m in ("FO-MAML", "FO-B-MAML"))
    for r in rows:
        if r["method"] == "MAML":
            K = r["hvps"]  # one HVP per AGD step of the reverse pass
            assert r["peak_vectors"] == K + 5 and r["grads"] == K + 2


def test_table1_agd_is_the_library_nesterov():
    """The instrumented AGD stops at the same iteration as bmaml_theory.solvers.NesterovSolver for every delta."""
    kappa = 100.0
    tasks, theta = ex.table1_problem(kappa)
    D0 = float(np.linalg.norm(tasks.inner_solution(theta)[0] - theta))
    rows = [r for r in ex.agd_meta_gradients(kappa) if r["method"] == "FO-MAML"]
    deltas = tuple(r["delta"] * D0 for r in rows)
    path = solvers.NesterovSolver(delta=min(deltas)).solve_path(tasks, theta, np.zeros(1), deltas)
    its = dict(zip(path.deltas, np.asarray(path.iterations)[0, 0].tolist(), strict=True))
    assert [r["grads"] - 2 for r in rows] == [its[d] for d in deltas]


def test_table1_maml_reverse_mode_is_the_exact_unrolled_gradient():
    """MAML's meta-gradient equals J^T grad f(y_K) with J the (affine) Jacobian of the unrolled AGD."""
    tasks, theta = ex.table1_problem(10.0)
    A, b, lam = tasks.A_train[0], tasks.b_train[0], tasks.lam
    L, mu = lam + tasks.constants().Lhat1, tasks.constants().mu
    beta = (math.sqrt(L / mu) - 1) / (math.sqrt(L / mu) + 1)
    row = next(r for r in ex.agd_meta_gradients(10.0, (1e-4,)) if r["method"] == "MAML")
    K = row["hvps"]

    def unrolled(th):
        xp = y = th.copy()
        for _ in range(K):
            x = y - (A @ y + b + lam * (y - th)) / L
            y, xp = x + beta * (x - xp), x
        return y

    y0 = unrolled(theta)
    J = np.array([unrolled(theta + e) - y0 for e in np.eye(theta.size)]).T  # exact columns (affine map)
    g = J.T @ (A @ y0 + b)
    G = tasks.meta_gradient(theta)
    assert float(np.linalg.norm(g - G) / np.linalg.norm(G)) == pytest.approx(row["bias"], rel=1e-6)


def test_table1_can_fail(quick):
    """A wrong order is contradicted: a compute growing like kappa (GD), HVPs in a 'first-order' row."""
    rows = [dict(r) for r in quick["table1"].data["rows"]]
    for r in rows:
        if r["method"] == "FO-MAML":
            r["compute"] = int(r["kappa"] * math.log(r["kappa"] / r["delta"]))
        if r["method"] == "FO-B-MAML":
            r["hvps"] = 1
    bad = {(c["method"], c["column"]) for c in table1.cells(rows)[0] if c["contradicted"]}
    assert bad == {("FO-MAML", "compute"), ("FO-B-MAML", "first-order")}


def test_bad_regime_and_kappa_are_rejected():
    with pytest.raises(ValueError, match="regime"):
        ex.problem("nope")
    with pytest.raises(ValueError, match="kappa"):
        ex.table1_problem(0.5)


def test_fig1_left_fails_closed_on_a_non_finite_error(monkeypatch):
    """A NaN error must not score as a contradiction (not-reproduced) nor pass: it is a failure (inconclusive)."""
    real = ex.left

    def broken(regime, Ks=ex.K_GRID):
        d = real(regime, Ks)
        d["errors"]["iMAML cg=5"][3] = math.nan
        return d

    monkeypatch.setattr(ex, "left", broken)
    r = run_claim("fig1-left", Context(quick=True))
    assert r.status == "inconclusive" and r.evidence["failures"] == len(ex.REGIMES)  # one NaN per regime
