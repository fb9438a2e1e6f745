r"""The certifiers of the ledger's refutations, one per claim id (or family of ids), each from the counterexample's
instance data alone.

Section 4.2 smoothness rows (``prop3``, ``cor2``, ``cor3-smoothness``): the pair
:math:`\theta'=\theta+d\,u/\|u\|`, :math:`d=10^{-4+5\sigma(\text{extra }d)}`; every task's :math:`\nabla F_i` at both
points enclosed (:class:`~.logistic.Family`), the printed smoothness function with enclosed constants, the ratio
:math:`\|\nabla F(\theta)-\nabla F(\theta')\|/(\min(\mathcal L(\theta),\mathcal L(\theta'))\,d)` as an interval.
``cor3-remark``: :math:`\Phi=\mathcal L/(\mathcal L_0+L_0\mathcal L_1)` on its instance, with the class-wide bound
:math:`\Phi\le\lambda/\mu\le2` proved in :func:`phi_bound` (the row is refuted by that bound, not by one instance).
``prop2-explicit``: the exact forward bias :math:`\|\nabla F_i+\lambda(\phi^*_{i,\nu}-\phi^*_{i,0})/\nu\|` over
:math:`A\nu`.  The Fallah smoothness lemma as printed: exact rationals.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from mpmath import iv

from bmaml_theory.certify import Enclosure, certifier
from bmaml_theory.certify._interval import CertificationError, I, hi, lo, norm
from bmaml_theory.certify.logistic import Family, axpy, imax, imin, sig, sub, vec

__all__ = ["pair_gradients", "phi_bound"]

DIST_LOG10_MIN, DIST_DECADES = -4, 5  # the pair's distance 10^(-4 + 5 sig(d)) (the smoothness rows' encoding)


def _instance(ce: dict) -> dict:
    inst = ce.get("instance")
    if not isinstance(inst, dict):
        raise ValueError("the counterexample carries no instance")
    return inst


def pair_gradients(fam: Family, inst: dict) -> tuple[list, list, Any]:
    r"""Per task, enclosures of :math:`\nabla F_i(\theta)` and :math:`\nabla F_i(\theta')`, and the distance d."""
    theta = vec(inst["theta"])
    u = vec(inst["extra"]["u"])
    nu_ = norm(u)
    if not lo(nu_) > 0:
        raise CertificationError("the pair's direction u is 0")
    d = iv.mpf(10) ** (DIST_LOG10_MIN + DIST_DECADES * sig(I(float(inst["extra"]["d"][0]))))
    theta2 = axpy(d / nu_, u, theta)
    G1 = [fam.meta_gradient(i, theta)[0] for i in range(fam.M)]
    G2 = [fam.meta_gradient(i, theta2)[0] for i in range(fam.M)]
    return G1, G2, d


def _mean(vs: list[list]) -> list:
    return [sum(col, iv.mpf(0)) / len(vs) for col in zip(*vs, strict=True)]


def _details(fam: Family, **kw: Any) -> dict:
    c = fam.constants()
    out = {k: [float(lo(c[k])), float(hi(c[k]))] for k in ("L1", "Lhat2", "L0", "mu", "zeta")}
    out["lam"] = [float(lo(fam.lam_i)), float(hi(fam.lam_i))]
    out.update(kw)
    return out


@certifier("prop3")
def prop3(ce: dict) -> Enclosure:
    r"""Proposition 3's pair ratio, worst task, with :math:`\mathcal L(\theta)=L_1+\frac{\hat L_2}\lambda\|\nabla
    F_i(\theta)\|`."""
    inst = _instance(ce)
    fam = Family(inst)
    c = fam.constants()
    G1, G2, d = pair_gradients(fam, inst)
    rs = []
    for g1, g2 in zip(G1, G2, strict=True):
        L = imin([c["L1"] + c["Lhat2"] / fam.lam_i * norm(g) for g in (g1, g2)])
        rs.append(norm(sub(g1, g2)) / (L * d))
    return Enclosure(
        imax(rs),
        "max_i ||grad F_i(theta) - grad F_i(theta')|| / (min(L(theta), L(theta')) ||theta - theta'||)",
        "interval",
        fam.hypothesis(),
        details=_details(fam, distance=[float(lo(d)), float(hi(d))]),
    )


def _mean_ratio(ce: dict, which: str) -> Enclosure:
    inst = _instance(ce)
    fam = Family(inst)
    c = fam.constants()
    if fam.M < 2:
        raise CertificationError("Corollaries 2-3 are checked on M >= 2 tasks")
    G1, G2, d = pair_gradients(fam, inst)
    g1, g2 = _mean(G1), _mean(G2)
    lam = fam.lam_i
    calL0 = c["L1"] / 4 + c["Lhat2"] / (4 * lam) * c["zeta"]
    calL1 = c["Lhat2"] / (2 * lam)
    if which == "cor2":
        L = imin([calL0 + calL1 * norm(g) for g in (g1, g2)])
    else:
        L = calL0 + lam * c["L0"] / c["mu"] * calL1
    return Enclosure(
        norm(sub(g1, g2)) / (L * d),
        "||grad F(theta) - grad F(theta')|| / (min(calL(theta), calL(theta')) ||theta - theta'||), F the mean",
        "interval",
        fam.hypothesis(),
        details=_details(fam, distance=[float(lo(d)), float(hi(d))]),
    )


@certifier("cor2")
def cor2(ce: dict) -> Enclosure:
    r"""Corollary 2's pair ratio for :math:`F`: :math:`\mathcal L_0+\mathcal L_1\|\nabla F\|`, :math:`\mathcal L_0=
    L_1/4+\hat L_2\zeta/(4\lambda)`, :math:`\mathcal L_1=\hat L_2/(2\lambda)`, zeta the certified bound
    :math:`(\frac1M\sum_i(\lambda L_{0,i}/\mu_i)^2)^{1/2}`."""
    return _mean_ratio(ce, "cor2")


@certifier("cor3-smoothness")
def cor3_smoothness(ce: dict) -> Enclosure:
    r"""Corollary 3's pair ratio for :math:`F`: :math:`\mathcal L=\mathcal L_0+G\mathcal L_1`, :math:`G=\lambda L_0/\mu`."""
    return _mean_ratio(ce, "cor3")


def phi_bound(lam_over_mu: Fraction) -> bool:
    r"""The class-wide bound of ``cor3-remark``: :math:`\Phi=\frac{\mathcal L_0+(\lambda/\mu)L_0\mathcal L_1}
    {\mathcal L_0+L_0\mathcal L_1}\le\max(1,\lambda/\mu)` for :math:`\mathcal L_0,L_0\mathcal L_1\ge0` (a weighted
    mean of 1 and :math:`\lambda/\mu`), and :math:`\lambda/\mu\le2` since :math:`\mu\ge\lambda-\hat L_1\ge\lambda/2`
    under :math:`\lambda\ge2\hat L_1`.  Returns whether the given :math:`\lambda/\mu` respects the last step."""
    return Fraction(lam_over_mu) <= 2


@certifier("cor3-remark")
def cor3_remark(ce: dict) -> Enclosure:
    r""":math:`\Phi` on the instance (enclosed) and, as the decisive quantity, the class's sup bound
    :math:`\max(1,\lambda/\mu)\le2` on it (:func:`phi_bound`): the sentence's factor never reaches the threshold."""
    inst = _instance(ce)
    fam = Family(inst)
    c = fam.constants()
    lam = fam.lam_i
    calL0 = c["L1"] / 4 + c["Lhat2"] / (4 * lam) * c["zeta"]
    calL1 = c["Lhat2"] / (2 * lam)
    Phi = (calL0 + lam * c["L0"] / c["mu"] * calL1) / (calL0 + c["L0"] * calL1)
    ratio = lam / c["mu"]
    bound = iv.mpf([lo(Phi), max(hi(Phi), hi(ratio), 1)])
    return Enclosure(
        Phi,
        "Phi = calL / (calL0 + L0 calL1) on the instance; the class's sup is <= max(1, lam/mu) <= 2 (phi_bound)",
        "interval",
        fam.hypothesis() and hi(ratio) <= 2,
        details=_details(
            fam,
            lam_over_mu=[float(lo(ratio)), float(hi(ratio))],
            phi_le_lam_over_mu=bool(hi(Phi) <= hi(bound)),
        ),
    )


@certifier("prop2-explicit")
def prop2_explicit(ce: dict) -> Enclosure:
    r"""Proposition 2's explicit constant: :math:`\max_i\|\nabla F_i(\theta)-g^{For}_{i,\nu}\|/(A\nu)`,
    :math:`g^{For}_{i,\nu}=-\lambda(\phi^*_{i,\nu}-\phi^*_{i,0})/\nu`, :math:`A=\frac{L_0}\lambda(L_1+\frac{\hat L_2L_0}
    \lambda)`, at the instance's nu (inside V0: :math:`0<\nu L_1<\mu`, proved)."""
    inst = _instance(ce)
    fam = Family(inst)
    c = fam.constants()
    nu = I(float(inst["nu"]))
    theta = vec(inst["theta"])
    lam = fam.lam_i
    A = c["L0"] / lam * (c["L1"] + c["Lhat2"] * c["L0"] / lam)
    in_v0 = lo(nu) > 0 and hi(nu * c["L1"]) < lo(c["mu"])
    return Enclosure(
        worst_bias(fam, theta, nu) / (A * nu),
        "max_i ||grad F_i(theta) - g^For_{i,nu}(theta)|| / (A nu)",
        "interval",
        fam.hypothesis() and bool(in_v0),
        details=_details(fam, nu=float(inst["nu"])),
    )


def worst_bias(fam: Family, theta: list, nu: Any) -> Any:
    r""":math:`\max_i\|\nabla F_i(\theta)-g^{For}_{i,\nu}(\theta)\|`, :math:`g^{For}_{i,\nu}=-\lambda(\phi^*_{i,\nu}-
    \phi^*_{i,0})/\nu` (the exact forward estimator (10))."""
    lam = fam.lam_i
    bs = []
    for i in range(fam.M):
        g, phi0 = fam.meta_gradient(i, theta)
        phinu = fam.inner_solution(i, theta, nu)
        gfor = [-lam * (a - b) / nu for a, b in zip(phinu, phi0, strict=True)]
        bs.append(norm(sub(g, gfor)))
    return imax(bs)


STENCIL_L1 = 2  # ||w||_1 of the forward stencil (10): the worst delta-inexact term is 2 lam delta / nu (errata E1)


@certifier("cor1-explicit")
def cor1_explicit(ce: dict) -> Enclosure:
    r"""Eq. (23) as printed at the instance's :math:`(\delta,\nu)`: the worst-case :math:`\delta`-inexact bias
    :math:`\max_i\|b_i\|+2\lambda\delta/\nu` (attained: an error of norm delta along :math:`b_i` in each of the two
    inner solutions) over :math:`A\nu+2\delta/\nu`."""
    inst = _instance(ce)
    fam = Family(inst)
    c = fam.constants()
    delta, nu = I(float(inst["delta"])), I(float(inst["nu"]))
    lam = fam.lam_i
    A = c["L0"] / lam * (c["L1"] + c["Lhat2"] * c["L0"] / lam)
    wb = worst_bias(fam, vec(inst["theta"]), nu) + STENCIL_L1 * lam * delta / nu
    in_v0 = lo(nu) > 0 and hi(nu * c["L1"]) < lo(c["mu"]) and lo(delta) > 0
    return Enclosure(
        wb / (A * nu + 2 * delta / nu),
        "worst-case delta-inexact forward bias / (A nu + 2 delta / nu), eq. (23) as printed",
        "interval",
        fam.hypothesis() and bool(in_v0),
        details=_details(fam, delta=float(inst["delta"]), nu=float(inst["nu"])),
    )


def cor1_ratio(p: list, lam_mult: float) -> tuple[Any, bool, dict]:
    r"""Corollary 1's ratio at encoding ``p`` with :math:`\lambda=2\hat L_1\cdot` ``lam_mult``: the worst-case
    bias at the main text's :math:`\nu=\sqrt{\delta/A}` over :math:`\sqrt{A\delta}`,
    :math:`\delta=10^{-2-8\sigma(z_\delta)}`; (enclosure, hypotheses, details).  The inexact term alone gives
    ratio :math:`\ge2\lambda`: the ratio grows without bound in lam (errata E2)."""
    fam = Family.from_encoding(p, extras=1, lam_mult=lam_mult)
    c = fam.constants()
    delta = iv.mpf(10) ** (-2 - 8 * sig(I(fam.extra[0])))
    lam = fam.lam_i
    A = c["L0"] / lam * (c["L1"] + c["Lhat2"] * c["L0"] / lam)
    nu = iv.sqrt(delta / A)
    wb = worst_bias(fam, [I(v) for v in fam.theta], nu) + STENCIL_L1 * lam * delta / nu
    in_v0 = lo(nu) > 0 and hi(nu * c["L1"]) < lo(c["mu"])
    return wb / iv.sqrt(A * delta), fam.hypothesis() and bool(in_v0), {"lam": [float(lo(lam)), float(hi(lam))]}


@certifier("cor1")
def cor1(ce: dict) -> Enclosure:
    r"""Corollary 1's O(.) refuted by growth: the ratio enclosed at every instance of the lam family (listed in the
    details); the decisive value is the largest instance's, against the paper's own constant 3."""
    fam_rows = ce.get("family") or []
    if not fam_rows:
        raise ValueError("the counterexample lists no growth family")
    rows, hyp, last = [], True, None
    for row in fam_rows:
        kw = row["replay"]["kwargs"]
        v, h, det = cor1_ratio(kw["p"], kw["lam_mult"])
        hyp = hyp and h
        rows.append({"lam/(2 Lhat1)": row["t"], "lower": float(lo(v)), "upper": float(hi(v)), **det})
        last = (v, row.get("value"))
    increasing = all(rows[k + 1]["lower"] > rows[k]["upper"] for k in range(len(rows) - 1))
    return Enclosure(
        last[0],
        "the worst-case bias over sqrt(A delta) at the largest lam of the family (each instance's enclosure in "
        "details.instances; ratio >= 2 lam on every instance)",
        "interval",
        hyp,
        float_value=last[1],
        details={"instances": rows, "strictly_increasing": increasing},
    )


@certifier("fallah-smoothness-as-printed")
def fallah_smoothness_as_printed(ce: dict) -> Enclosure:
    r"""The Fallah smoothness lemma as printed, on its one-task quadratic instance :math:`f(w)=\frac12w^\top Aw+b^\top w
    +c` (``A``, ``b`` of the instance; the lemma's constant c does not enter): :math:`\nabla F(w)=(I-\alpha A)A(I-
    \alpha A)w+(I-\alpha A)b`, so the ratio :math:`\|\nabla F(w)-\nabla F(u)\|/(L_F\|w-u\|)` is a rational number,
    computed exactly, with :math:`L_F` the lemma's printed constant :math:`4L+2\rho\alpha\beta`... evaluated on the
    instance as the float path does: ``L_exact`` and ``rho_exact`` (rho = 0 for a quadratic)."""
    raise CertificationError("not implemented")
