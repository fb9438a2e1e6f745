"""Baselines against independent computations, and exact oracle counts."""

from __future__ import annotations

import numpy as np
import pytest

from bmaml_theory import baselines, estimators
from bmaml_theory.tasks.generate import random_family


@pytest.fixture
def fam():
    tasks, theta = random_family("indefinite-both", 3, 4, 0)
    c = tasks.constants()
    return tasks, theta, 1.0 / (c.Lhat1 + c.lam)


def test_maml_matches_the_closed_form_jacobian(fam):
    tasks, theta, lr = fam
    K = 7
    g = estimators.maml(tasks, theta, steps=K, lr=lr, per_task=True)
    n = tasks.n
    for i in range(tasks.M):
        B = np.eye(n) - lr * (tasks.A_train[i] + tasks.lam * np.eye(n))
        J = np.linalg.matrix_power(B, K) + lr * tasks.lam * sum(np.linalg.matrix_power(B, j) for j in range(K))
        phi = np.array(theta, dtype=float)
        for _ in range(K):
            phi = phi - lr * (tasks.A_train[i] @ phi + tasks.b_train[i] + tasks.lam * (phi - theta))
        assert np.allclose(g[i], J.T @ (tasks.A_test[i] @ phi + tasks.b_test[i]), rtol=1e-12, atol=1e-12)


def test_maml_and_imaml_converge_to_eq7(fam):
    tasks, theta, lr = fam
    G = tasks.meta_gradient(theta)
    assert np.allclose(estimators.maml(tasks, theta, steps=400, lr=lr), G, atol=1e-10)
    assert np.allclose(estimators.imaml(tasks, theta, 400, lr, cg=tasks.n), G, atol=1e-10)
    assert np.allclose(estimators.hf_maml(tasks, theta, 400, lr, cg=tasks.n, delta=1e-4), G, atol=1e-8)


def test_fo_maml_and_reptile_are_eqs_3_and_4(fam):
    tasks, theta, lr = fam
    K = 5
    phi = np.broadcast_to(theta, (tasks.M, tasks.n)) * 1.0
    for _ in range(K):
        phi = phi - lr * (tasks.train_grad(phi) + tasks.lam * (phi - theta))
    assert np.allclose(estimators.fo_maml(tasks, theta, K, lr), tasks.test_grad(phi).mean(0))
    assert np.allclose(estimators.reptile(tasks, theta, K, lr), ((theta - phi) / (K * lr)).mean(0))


def test_fo_bmaml_with_many_steps_is_the_exact_forward_estimator(fam):
    tasks, theta, lr = fam
    nu = 1e-3
    assert np.allclose(estimators.fo_bmaml(tasks, theta, 600, lr, nu), estimators.forward(tasks, theta, nu), atol=1e-9)


@pytest.mark.parametrize("K", [1, 4, 9])
def test_oracle_counts_are_exact(fam, K):
    tasks, theta, lr = fam
    counts = {}
    for name, f in {
        "maml": lambda c: baselines.maml(tasks, theta, K, lr, counter=c),
        "imaml": lambda c: baselines.imaml(tasks, theta, K, lr, 3, counter=c),
        "hf": lambda c: baselines.hf_maml(tasks, theta, K, lr, 3, counter=c),
        "fo": lambda c: baselines.fo_maml(tasks, theta, K, lr, counter=c),
        "fob": lambda c: baselines.fo_bmaml(tasks, theta, K, lr, 1e-3, counter=c),
    }.items():
        c = baselines.Oracle()
        f(c)
        counts[name] = (c.grads, c.hvps, c.peak_vectors)
    assert counts["maml"][:2] == (K + 1, K) and counts["maml"][2] == K + 4
    assert counts["imaml"][:2] == (K + 1, 3) and counts["imaml"][2] == 6
    assert counts["hf"][:2] == (K + 1 + 6, 0)
    assert counts["fo"][:2] == (K + 1, 0)
    assert counts["fob"][:2] == (3 * K, 0) and counts["fob"][2] == 4


def test_bad_input(fam):
    tasks, theta, lr = fam
    with pytest.raises(ValueError, match="steps"):
        estimators.maml(tasks, theta, steps=0, lr=lr)
    with pytest.raises(ValueError, match="lr"):
        estimators.fo_maml(tasks, theta, 3, lr=-1.0)
    with pytest.raises(ValueError, match="cg"):
        estimators.imaml(tasks, theta, 3, lr, cg=-1)
    with pytest.raises(FloatingPointError, match="lr"):
        estimators.fo_maml(tasks, theta, 2000, lr=100.0)
