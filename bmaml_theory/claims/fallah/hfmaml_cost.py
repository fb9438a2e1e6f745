r"""fallah-hfmaml-cost: the reading note's "Hessian-Free MAML ... is faster to compute" than MAML.

**As printed** (Fallah, Mokhtari & Ozdaglar, arXiv 1908.10400, reading note, Results): "they proposed Hessian-Free
MAML that is faster to compute (since it doesn't require Hessian computation) compare to MAML but still converge with
similar rate."  The note's accounting: "the complexity of computing Hessian is :math:`O(d^2 B D_h)`"; HF-MAML
replaces the Hessian-vector product :math:`\nabla^2 f_i(w_k;\mathcal D_h)\,v` by the central difference of two
gradients on :math:`\mathcal D_h`, :math:`O(d B D_h)`.

**(a) The note's accounting (a derivation, a sanity check).**  Forming the Hessian estimate costs
:math:`O(d^2 B D_h)` and two gradients :math:`2\cdot O(d B D_h)`: HF-MAML is cheaper by a factor of order d.  This
is true by that count and cannot fail; it is reported in the evidence, not scored.

**(b) What can fail: an exact FLOP count against MAML as run in practice.**  MAML need not form the Hessian: autograd
gives :math:`\nabla^2 f\,v` by one Hessian-vector product (double backward), a constant number of gradients
(Pearlmutter).  Then "faster" is a comparison of constants: HF-MAML's two gradients on :math:`\mathcal D_h` (each a
forward and a backward pass, about 3 forward passes) against one reverse-over-reverse HVP on :math:`\mathcal D_h`
(a forward pass, a backward pass that keeps its graph, and a backward pass through both, about 7-9 forward passes in
matrix products).  Derived expectation: ratio about 6/8 < 1.  Measured with
:class:`torch.utils.flop_counter.FlopCounterMode` (matrix products and convolutions, forward and backward, exact and
deterministic: it counts operations by shape, not time) on two small models, a 2-hidden-layer MLP and a 1-D CNN
(:data:`MODELS`), on one batch :math:`\mathcal D_h` of :data:`D_H` samples.  ``measured`` is the larger ratio
FLOPs(HF-MAML's two gradients) / FLOPs(MAML's HVP); threshold ratio < 1, fixed before the run (a ratio of exactly
1 reads inconclusive).  Each count is taken twice and the two must be identical (a failure otherwise).  Without
torch the row is inconclusive; the core never imports torch.
"""

from __future__ import annotations

import importlib.util

from bmaml_theory._replay import replayable
from bmaml_theory.claims import runners
from bmaml_theory.claims._core import ClaimResult, Context, Measurement, Replay, Statement, Threshold, Tolerance, claim

STATEMENT = Statement(
    id="fallah-hfmaml-cost",
    source="Fallah, Mokhtari & Ozdaglar (arXiv 1908.10400), Results (reading note)",
    statement="they proposed Hessian-Free MAML that is faster to compute (since it doesn't require Hessian "
    "computation) compare to MAML but still converge with similar rate.",
    form="the cost half: (a) in the note's accounting, O(d B D_h) for two gradients against O(d^2 B D_h) for the "
    "Hessian (a derivation, a sanity check); (b) HF-MAML's two gradients on D_h cost fewer FLOPs than MAML's one "
    "Hessian-vector product (double backward) on D_h",
    assumptions="one batch D_h of 25 samples; a 2-hidden-layer MLP (40-64-64-5) and a 1-D CNN (2 conv layers of 16 "
    "channels, kernel 3, on length-40 inputs, linear head), cross-entropy loss; MAML's HVP by reverse over reverse",
    kind="complexity",
    measure="max over the two models of FLOPs(HF-MAML's two gradients) / FLOPs(MAML's HVP) on D_h, exact counts "
    "(torch FlopCounterMode: matrix products and convolutions; needs the nn extra, else inconclusive); part (a), "
    "the note's O(d^2) vs O(d) accounting, is a sanity check in the evidence (dimensionless)",
    threshold=Threshold(1.0, "<="),
    tolerance=Tolerance(0.0, "exact FLOP counts; ratio < 1 fixed before the run, a ratio of exactly 1 is inconclusive"),
    group="fallah",
)

MODELS = ("mlp", "cnn")
D_H = 25  # the Hessian batch
DELTA = 1e-3  # HF-MAML's difference step (FLOPs do not depend on it)


def _model(name: str):
    """Parameters and a loss closure for ``name`` ("mlp" or "cnn"); fixed seed (FLOPs depend on shapes only)."""
    import torch
    import torch.nn.functional as fn

    if name not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {name!r}.")
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 5, (D_H,), generator=g)
    if name == "mlp":
        x = torch.randn(D_H, 40, generator=g)
        shapes = [(64, 40), (64,), (64, 64), (64,), (5, 64), (5,)]
        w = [(0.1 * torch.randn(*s, generator=g)).requires_grad_() for s in shapes]

        def loss(p):
            h = torch.tanh(fn.linear(x, p[0], p[1]))
            h = torch.tanh(fn.linear(h, p[2], p[3]))
            return fn.cross_entropy(fn.linear(h, p[4], p[5]), y)

    else:
        x = torch.randn(D_H, 1, 40, generator=g)
        shapes = [(16, 1, 3), (16,), (16, 16, 3), (16,), (5, 16 * 36), (5,)]
        w = [(0.1 * torch.randn(*s, generator=g)).requires_grad_() for s in shapes]

        def loss(p):
            h = torch.relu(fn.conv1d(x, p[0], p[1]))
            h = torch.relu(fn.conv1d(h, p[2], p[3]))
            return fn.cross_entropy(fn.linear(h.flatten(1), p[4], p[5]), y)

    return w, loss


def flops(model: str, method: str) -> int:
    r"""Exact FLOPs (FlopCounterMode) of ``method`` on ``model``: "hf" = two gradients of the loss on D_h at
    :math:`w\pm\delta v` (HF-MAML's :math:`d_k`), "hvp" = :math:`\nabla^2 f(w)v` by double backward (MAML)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    w, loss = _model(model)
    v = [torch.ones_like(t) for t in w]
    counter = FlopCounterMode(display=False)
    with counter:
        if method == "hf":
            for s in (1.0, -1.0):
                wp = [(t + s * DELTA * u).detach().requires_grad_() for t, u in zip(w, v, strict=True)]
                torch.autograd.grad(loss(wp), wp)
        elif method == "hvp":
            g = torch.autograd.grad(loss(w), w, create_graph=True)
            torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v, strict=True)), w)
        else:
            raise ValueError(f"method must be 'hf' or 'hvp', got {method!r}.")
    return int(counter.get_total_flops())


@replayable(requires=("torch",))
def flop_ratio(model: str) -> float:
    """Replay: FLOPs(HF-MAML's two gradients) / FLOPs(MAML's HVP) on ``model``."""
    return flops(model, "hf") / flops(model, "hvp")


def explicit_accounting(d: int) -> dict:
    r"""Part (a), the note's accounting per sample: a Hessian :math:`d^2` against two gradients :math:`2d`."""
    return {"d": d, "hessian_per_sample": d * d, "two_gradients_per_sample": 2 * d, "ratio": 2 * d / (d * d)}


@claim(STATEMENT)
def check(ctx: Context) -> ClaimResult:
    """Count both methods' FLOPs on both models, each twice."""
    ms, per, failures, examples = [], {}, 0, []
    torch_ok = importlib.util.find_spec("torch") is not None
    if torch_ok:
        for m in MODELS:
            ctx.check_time()
            hf, hvp = flops(m, "hf"), flops(m, "hvp")
            if (hf, hvp) != (flops(m, "hf"), flops(m, "hvp")):
                failures += 1
                examples.append(f"{m}: two FLOP counts of the same computation differ")
                continue
            if min(hf, hvp) <= 0 or hf == hvp:
                failures += 1
                examples.append(f"{m}: FLOP counts {hf} and {hvp} decide nothing (zero or equal)")
                continue
            w, _ = _model(m)
            d = sum(t.numel() for t in w)
            per[m] = {"hf_flops": hf, "hvp_flops": hvp, "ratio": hf / hvp, "d": d, "accounting": explicit_accounting(d)}
            ms.append(Measurement(hf / hvp, {"model": m, **per[m]}, Replay(f"{__name__}:flop_ratio", {"model": m})))
    return runners.decide(
        ctx,
        STATEMENT,
        ms,
        failures=failures,
        failure_examples=examples,
        power_ok=torch_ok,
        power_note="torch (the nn extra) is absent: the FLOP counts were not taken, and part (a), the note's "
        "accounting, cannot fail (a sanity check)",
        evidence={
            "per_model": per or {"skipped": "torch absent (pip install 'bmaml-theory[nn]'): part (b) not measured"},
            "accounting_note": "part (a): O(d^2 B D_h) for the Hessian against O(d B D_h) for two gradients, "
            "ratio 2/d per sample: true by the count, a sanity check",
            "d_h": D_H,
        },
    )
