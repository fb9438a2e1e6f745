"""The seven meta-gradient methods against their definitions, finite differences and each other (tiny nets)."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")
torch.set_num_threads(1)  # two threads per op oversubscribe a shared 2-core CI machine

from bmaml_theory.nn import methods as nm  # noqa: E402
from bmaml_theory.nn.data import Task  # noqa: E402
from bmaml_theory.nn.model import CNN1d  # noqa: E402

DT = torch.float64


def _task(ways: int = 2, shots: int = 2, queries: int = 2, seed: int = 0) -> Task:
    rng = np.random.default_rng(seed)
    return Task(
        rng.standard_normal((ways * shots, 1, 40)).astype(np.float32),
        np.repeat(np.arange(ways), shots),
        rng.standard_normal((ways * queries, 1, 40)).astype(np.float32),
        np.repeat(np.arange(ways), queries),
        tuple(range(ways)),
    )


@pytest.fixture(scope="module")
def setup():
    model = CNN1d(width=3, depth=1, ways=2)
    theta = model.init_params(0, DT)
    return model, theta, _task()


def _flat(d: dict) -> torch.Tensor:
    return torch.cat([v.reshape(-1) for v in d.values()])


def _ce(model, phi, x, y):
    return torch.nn.functional.cross_entropy(model.logits(phi, torch.as_tensor(x, dtype=DT)), torch.as_tensor(y))


def _gd(model, theta, task, K, alpha, lam=None, nu=0.0):
    """K GD steps on nu*f + fhat (+ lam/2 |phi - theta|^2), written out independently of the package."""
    phi = {k: v.clone() for k, v in theta.items()}
    for _ in range(K):
        p = {k: v.detach().requires_grad_() for k, v in phi.items()}
        obj = _ce(model, p, task.xs, task.ys) + nu * _ce(model, p, task.xq, task.yq)
        if lam is not None:
            obj = obj + lam / 2 * sum(((p[k] - theta[k]) ** 2).sum() for k in p)
        g = torch.autograd.grad(obj, list(p.values()))
        phi = {k: (p[k] - alpha * gk).detach() for k, gk in zip(p, g, strict=True)}
    return phi


def _maml_objective(model, theta, task, K, alpha):
    return float(_ce(model, _gd(model, theta, task, K, alpha), task.xq, task.yq))


def test_maml_meta_gradient_matches_central_differences(setup):
    model, theta, task = setup
    cfg = nm.Inner(K=3, alpha=0.2)
    g, _ = nm.meta_gradient("maml", model, theta, task, cfg)
    rng = np.random.default_rng(1)
    for _ in range(3):
        v = {k: torch.as_tensor(rng.standard_normal(t.shape), dtype=DT) for k, t in theta.items()}
        eps = 1e-5
        fp = _maml_objective(model, {k: theta[k] + eps * v[k] for k in theta}, task, 3, 0.2)
        fm = _maml_objective(model, {k: theta[k] - eps * v[k] for k in theta}, task, 3, 0.2)
        fd = (fp - fm) / (2 * eps)
        exact = float(_flat(g) @ _flat(v))
        assert exact == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_maml_differs_from_fomaml(setup):
    """The second-order term is present: MAML and FO-MAML differ on a curved loss (K >= 1)."""
    model, theta, task = setup
    cfg = nm.Inner(K=3, alpha=0.2)
    a, _ = nm.meta_gradient("maml", model, theta, task, cfg)
    b, _ = nm.meta_gradient("fomaml", model, theta, task, cfg)
    assert float((_flat(a) - _flat(b)).norm()) > 1e-6 * float(_flat(a).norm())


def test_fomaml_and_reptile_equal_their_definitions(setup):
    model, theta, task = setup
    cfg = nm.Inner(K=4, alpha=0.1)
    phi = _gd(model, theta, task, 4, 0.1)
    p = {k: v.clone().requires_grad_() for k, v in phi.items()}
    want = torch.autograd.grad(_ce(model, p, task.xq, task.yq), list(p.values()))  # eq. (3)
    got, _ = nm.meta_gradient("fomaml", model, theta, task, cfg)
    torch.testing.assert_close(_flat(got), torch.cat([w.reshape(-1) for w in want]), rtol=1e-12, atol=1e-14)
    got, _ = nm.meta_gradient("reptile", model, theta, task, cfg)
    want_r = {k: (theta[k] - phi[k]) / (4 * 0.1) for k in theta}  # eq. (4)
    torch.testing.assert_close(_flat(got), _flat(want_r), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("symmetric", [False, True])
def test_fobmaml_equals_algorithm_1(setup, symmetric):
    model, theta, task = setup
    cfg = nm.Inner(K=4, alpha=0.1, lam=2.0, nu=0.03)
    hi = _gd(model, theta, task, 4, 0.1, lam=2.0, nu=0.03)
    lo = _gd(model, theta, task, 4, 0.1, lam=2.0, nu=-0.03 if symmetric else 0.0)
    den = 0.06 if symmetric else 0.03
    want = {k: -2.0 * (hi[k] - lo[k]) / den for k in theta}  # Algorithm 1, line 7
    got, _ = nm.meta_gradient("fobmaml-sym" if symmetric else "fobmaml", model, theta, task, cfg)
    torch.testing.assert_close(_flat(got), _flat(want), rtol=1e-10, atol=1e-12)


def test_forward_mode_derivative_matches_finite_difference_in_nu(setup):
    model, theta, task = setup
    cfg = nm.Inner(K=5, alpha=0.1, lam=1.5)
    got, _ = nm.meta_gradient("fobmaml-jvp", model, theta, task, cfg)
    nu = 1e-5
    hi = _gd(model, theta, task, 5, 0.1, lam=1.5, nu=nu)
    lo = _gd(model, theta, task, 5, 0.1, lam=1.5, nu=-nu)
    fd = {k: -1.5 * (hi[k] - lo[k]) / (2 * nu) for k in theta}
    torch.testing.assert_close(_flat(got), _flat(fd), rtol=1e-7, atol=1e-10)
    ref = nm.jvp_reference(model, theta, task, cfg)  # torch.func.jvp through the whole loop
    torch.testing.assert_close(_flat(got), _flat(ref), rtol=1e-10, atol=1e-13)


def test_imaml_solves_the_proximal_linear_system(setup):
    """With enough CG steps, v solves (I + H/lam) v = grad f(phi) (eq. (8)); lam large keeps the system positive."""
    model, theta, task = setup
    n = sum(v.numel() for v in theta.values())
    cfg = nm.Inner(K=3, alpha=0.1, lam=20.0, cg_steps=2 * n)
    v, _ = nm.meta_gradient("imaml", model, theta, task, cfg)
    phi = _gd(model, theta, task, 3, 0.1, lam=20.0)
    p = {k: t.clone().requires_grad_() for k, t in phi.items()}
    b = torch.cat([t.reshape(-1) for t in torch.autograd.grad(_ce(model, p, task.xq, task.yq), list(p.values()))])
    gs = torch.autograd.grad(_ce(model, p, task.xs, task.ys), list(p.values()), create_graph=True)
    hv = torch.autograd.grad(gs, list(p.values()), grad_outputs=list(v.values()))
    lhs = _flat(v) + torch.cat([h.reshape(-1) for h in hv]) / 20.0
    assert float((lhs - b).norm()) <= 1e-8 * float(b.norm())


def test_batch_of_tasks_is_the_mean(setup):
    model, theta, _ = setup
    t1, t2 = _task(seed=1), _task(seed=2)
    cfg = nm.Inner(K=2)
    g12, _ = nm.meta_gradient("fobmaml", model, theta, [t1, t2], cfg)
    g1, _ = nm.meta_gradient("fobmaml", model, theta, t1, cfg)
    g2, _ = nm.meta_gradient("fobmaml", model, theta, t2, cfg)
    torch.testing.assert_close(_flat(g12), (_flat(g1) + _flat(g2)) / 2, rtol=1e-12, atol=1e-14)


def test_bad_input_names_the_argument(setup):
    model, theta, task = setup
    with pytest.raises(ValueError, match="method"):
        nm.meta_gradient("maml2", model, theta, task, nm.Inner())
    with pytest.raises(ValueError, match="K"):
        nm.Inner(K=0)
    with pytest.raises(ValueError, match="nu"):
        nm.Inner(nu=math.nan)
    with pytest.raises(ValueError, match="width"):
        CNN1d(width=0)
    with pytest.raises(ValueError, match="width"):
        CNN1d(width=-3)
    with pytest.raises(TypeError, match="cfg"):
        nm.meta_gradient("maml", model, theta, task, {"K": 2})
    with pytest.raises(ValueError, match="tasks"):
        nm.meta_gradient("maml", model, theta, [], nm.Inner())
