r"""The certifiers of the ledger's refutations, one per claim id (or family of ids), each from the counterexample's
data alone.

* Section 4.2 smoothness rows (``prop3``, ``cor2``, ``cor3-smoothness``): the pair :math:`\theta'=\theta+d\,u/\|u\|`,
  :math:`d=10^{-4+5\sigma(\text{extra }d)}`; every task's :math:`\nabla F_i` at both points enclosed
  (:class:`~.logistic.Family`), the printed smoothness function with enclosed constants, the ratio
  :math:`\|\nabla F(\theta)-\nabla F(\theta')\|/(\min(\mathcal L(\theta),\mathcal L(\theta'))\,d)` as an interval.
* ``cor3-remark``: the class's sup of :math:`\Phi=\mathcal L/(\mathcal L_0+L_0\mathcal L_1)`, between its value on
  the instance and the bound :math:`\max(1,\lambda/\mu)\le2` (:func:`phi_bound`).
* ``prop2-explicit``, ``cor1-explicit``, ``cor1``: the exact forward bias
  :math:`\|\nabla F_i+\lambda(\phi^*_{i,\nu}-\phi^*_{i,0})/\nu\|` (plus the worst inexact term
  :math:`2\lambda\delta/\nu`) over the printed bound; ``cor1`` at every instance of its lam family.
* ``thm1``, ``thm1-explicit``, ``thm2``: a 2-cycle of the outer method with :math:`\|\nabla F\|` enclosed on it.
* ``clipped-normalized-exact``: :math:`\rho^*` of a ClippedGD run enclosed step by step; ``ngd-vs-gd``:
  :math:`T_1/T_2`.
* ``fallah-smoothness-as-printed``: the one-dimensional instance in intervals; ``limitations-autodiff`` and
  ``imaml-memory-as-printed``: exact ratios of recorded integer byte counts; ``overall-complexity-as-printed``: the
  recorded integer call counts over the literal inner factor, in intervals.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from mpmath import iv, mp

from bmaml_theory.certify._interval import (
    CertificationError,
    I,
    eig_max,
    eig_min,
    hi,
    lo,
    mid,
    norm,
    precision,
    rational,
)
from bmaml_theory.certify._registry import Enclosure, certifier
from bmaml_theory.certify.logistic import Family, axpy, imax, imin, sig, sub, vec

__all__ = ["convergence_family", "cor1_ratio", "pair_gradients", "phi_bound", "worst_bias"]

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
    # the sup over the class: at least Phi on this instance (enclosed), at most max(1, lam/mu) <= 2 (phi_bound)
    sup = iv.mpf([lo(Phi), 2])
    return Enclosure(
        sup,
        "sup over the class of Phi = calL / (calL0 + L0 calL1): at least Phi on the instance (the lower end, enclosed), "
        "at most max(1, lam/mu) <= 2 under lam >= 2 Lhat1 (the upper end, phi_bound)",
        "interval",
        fam.hypothesis() and hi(ratio) <= 2 and hi(Phi) <= 2,
        details=_details(
            fam,
            phi_on_instance=[float(lo(Phi)), float(hi(Phi))],
            lam_over_mu=[float(lo(ratio)), float(hi(ratio))],
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


def _tanh(x: Any) -> Any:
    e = iv.exp(-2 * abs(x)) if lo(x) >= 0 or hi(x) <= 0 else None
    if e is None:  # straddles 0: tanh is increasing, enclose by its ends
        return iv.mpf([lo(_tanh(I(lo(x)))), hi(_tanh(I(hi(x))))])
    t = (1 - e) / (1 + e)
    return t if lo(x) >= 0 else -t


@certifier("fallah-smoothness-as-printed")
def fallah_smoothness_as_printed(ce: dict) -> Enclosure:
    r"""The Fallah smoothness lemma as printed, on its one-task, one-dimensional instance
    :math:`f(w)=\frac a2w^2+bw+c\log\cosh w` (``A`` = [[a]], ``b``, ``c``, ``w``, ``u``, ``alpha`` of the instance):
    :math:`f'=aw+b+c\tanh w`, :math:`f''=a+c\,\mathrm{sech}^2w\in[\min(a,a+c),\max(a,a+c)]`, so
    :math:`L=\max(|a|,|a+c|)`, :math:`\rho=|c|\frac4{3\sqrt3}` (the sup of :math:`|(\mathrm{sech}^2)'|`);
    :math:`\nabla F(w)=(1-\alpha f''(w))f'(w-\alpha f'(w))`; the ratio
    :math:`|\nabla F(w)-\nabla F(u)|/((4L+2\rho\alpha\min(|f'(w)|,|f'(u)|))|w-u|)` in intervals, with
    :math:`\alpha\in[0,1]` (the printed range) checked exactly."""
    inst = _instance(ce)
    if inst.get("M") != 1 or inst.get("n") != 1:
        raise CertificationError("this certifier covers the one-task, one-dimensional instance")
    a, b, c = I(float(inst["A"][0][0])), I(float(inst["b"][0])), I(float(inst["c"]))
    alpha = float(inst["alpha"])
    al = I(alpha)
    w, u = I(float(inst["w"][0])), I(float(inst["u"][0]))

    def d1(x: Any) -> Any:
        return a * x + b + c * _tanh(x)

    def d2(x: Any) -> Any:
        return a + c * (1 - _tanh(x) ** 2)

    def gF(x: Any) -> Any:
        return (1 - al * d2(x)) * d1(x - al * d1(x))

    L = imax([abs(a), abs(a + c)])
    rho = abs(c) * 4 / (3 * iv.sqrt(3))
    m = imin([abs(d1(w)), abs(d1(u))])
    ratio = abs(gF(w) - gF(u)) / ((4 * L + 2 * rho * al * m) * abs(w - u))
    return Enclosure(
        ratio,
        "|grad F(w) - grad F(u)| / ((4L + 2 rho alpha min(|f'(w)|, |f'(u)|)) |w - u|)",
        "interval",
        0 <= alpha <= 1 and lo(abs(w - u)) > 0,
        details={"L": [float(lo(L)), float(hi(L))], "rho": [float(lo(rho)), float(hi(rho))], "alpha": alpha},
    )


# --- Section 4.3: a 2-cycle of the outer method never reaches eps ----------------------------------------------------
def convergence_family(s: float, scale: float) -> Family:
    r"""The convergence study's instance (s, scale), restated from its definition: one task, test set
    :math:`\{((\text{scale},0),\pm1)\}` (folded: :math:`\pm(\text{scale},0)`), training point (0, 0.3),
    :math:`Q=-s\,e_1e_1^\top`, :math:`\lambda=2\hat L_1` (the exact :math:`\hat L_1`, enclosed)."""
    sc, ss = rational(scale), rational(s)
    fam = Family(
        {
            "X_train": [[[0.0, 0.3]]],
            "Q": [[[-ss, 0], [0, 0]]],
            "X_test": [[[sc, 0], [-sc, 0]]],
            "r": [[0, 0]],
            "lam": 1,
        }
    )
    Ph = [[Fraction(0), Fraction(0)], [Fraction(0), rational(0.3) ** 2]]
    A = [[fam.Q[0][a][b] + Ph[a][b] / 4 for b in range(2)] for a in range(2)]
    e1, e2 = eig_max(A), eig_min(fam.Q[0])
    Lh1 = iv.mpf([max(lo(e1), -hi(e2), 1e-6), max(hi(e1), -lo(e2), 1e-6)])
    fam.lam, fam.lam_factor, fam.lam_i = None, Fraction(2), 2 * Lh1
    return fam


def _axis_aligned(fam: Family) -> bool:
    r"""Exactly: one task whose training points lie on :math:`e_2`, test points on :math:`e_1` symmetric about 0,
    Q diagonal, r = 0.  Then :math:`\phi^*_1` depends on :math:`\theta_1` alone, f on :math:`\phi_1` alone,
    :math:`\nabla F=(g(\theta_1),0)` with g odd: the outer map acts on :math:`\theta_1` alone, oddly."""
    if fam.M != 1 or fam.n != 2:
        return False
    Zh, Z, Q, r = fam.Zh[0], fam.Z[0], fam.Q[0], fam.r[0]
    firsts = sorted(z[0] for z in Z)
    return (
        all(z[0] == 0 for z in Zh)
        and all(z[1] == 0 for z in Z)
        and firsts == sorted(-v for v in firsts)
        and Q[0][1] == 0
        and all(v == 0 for v in r)
    )


@certifier("thm1", "thm1-explicit", "thm2")
def two_cycle(ce: dict) -> Enclosure:
    r"""A symmetric 2-cycle :math:`\{(a^*,\theta_2),(-a^*,\theta_2)\}` of the outer method (NormalizedGD with
    Theorem 1's :math:`\eta=1/\mathcal L_1,\beta=\mathcal L_0/\mathcal L_1`, or GD with Theorem 2's
    :math:`1/(\mathcal L_0+G\mathcal L_1)`; Corollary 2's printed constants with :math:`\zeta=0`): on an axis-aligned
    instance (:func:`_axis_aligned`) the map is :math:`T(a)=a-\eta g(a)/(\beta+|g(a)|)` (GD: :math:`a-\eta g(a)`)
    with g odd, so :math:`T(a)=-a` gives the cycle; :math:`\psi(a)=a+T(a)` changes sign on a proved bracket
    :math:`[a_-,a_+]` (intermediate value theorem), and :math:`\|\nabla F\|=|g|` is enclosed over the bracket.
    Started on the cycle, the method never reaches :math:`\|\nabla F\|\le\varepsilon` for eps below that
    enclosure, while the theorem's count is finite: the decisive quantity is :math:`\min\|\nabla F\|` on the
    cycle against eps."""
    inst = _instance(ce)
    method, constants = inst["method"], inst["constants"]
    if constants != "stated":
        raise CertificationError("only the printed constants' runs are refutations")
    fam = convergence_family(inst["s"], inst["scale"])
    if not _axis_aligned(fam):
        raise CertificationError("the instance is not axis-aligned: the 1-D reduction does not apply")
    c = fam.constants()
    lam = fam.lam_i
    calL0 = c["L1"] / 4 + c["Lhat2"] / (4 * lam) * c["zeta"]
    calL1 = c["Lhat2"] / (2 * lam)
    theta2 = I(float(inst["theta0"][1]))

    def g(a: Any) -> Any:
        return fam.meta_gradient(0, [I(a), theta2])[0][0]

    if method == "NormalizedGD":
        eta, beta = 1 / calL1, calL0 / calL1

        def T(a: Any) -> Any:
            ga = g(a)
            return I(a) - eta * ga / (beta + abs(ga))
    elif method == "GD":
        eta = 1 / (calL0 + lam * c["L0"] / c["mu"] * calL1)

        def T(a: Any) -> Any:
            return I(a) - eta * g(a)
    else:
        raise CertificationError(f"unknown method {method!r}")

    def psi(a: Any) -> Any:
        return I(a) + T(a)

    # a guess of the cycle (floating point, midpoints): iterate the map from theta0's first coordinate, then secant
    # steps on psi; only the sign change proved below counts
    with precision(20):  # the guess needs no more digits than the secant steps below will refine
        x = mp.mpf(float(inst["theta0"][0]))
        for _ in range(60):
            x = mid(T(x))
    a = abs(x)
    if a == 0:
        raise CertificationError("the iteration converged to the stationary point: no cycle")
    x0, x1 = a * (1 - mp.mpf("1e-6")), a
    f0, f1 = mid(psi(x0)), mid(psi(x1))
    for _ in range(30):
        if f1 == f0:
            break
        x0, x1 = x1, x1 - f1 * (x1 - x0) / (f1 - f0)
        f0, f1 = f1, mid(psi(x1))
        if abs(x1 - x0) < mp.mpf(10) ** (-mp.dps + 12) * a:
            break
    for w in ("1e-36", "1e-30", "1e-24", "1e-16"):
        left, right = x1 * (1 - mp.mpf(w)), x1 * (1 + mp.mpf(w))
        pl, pr = psi(left), psi(right)
        if (hi(pl) < 0 < lo(pr)) or (hi(pr) < 0 < lo(pl)):
            break
    else:
        raise CertificationError("no sign change of a + T(a) was proved on a bracket")
    box = iv.mpf([left, right])
    gn = abs(g(box))
    return Enclosure(
        gn,
        "min ||grad F|| over the proved 2-cycle {(a*, theta2), (-a*, theta2)} of the outer method (never reaches eps "
        "from theta0 = (a*, theta2))",
        "interval",
        fam.hypothesis() and left > 0,
        threshold=float(inst["eps"]),
        comparison="<=",
        tolerance=0.0,
        float_value=float(inst["final_grad_norm"]) if inst.get("final_grad_norm") is not None else None,
        details={
            "a_star": [float(left), float(right)],
            "theta2": float(inst["theta0"][1]),
            "eta": [float(lo(eta)), float(hi(eta))],
            "calL0": [float(lo(calL0)), float(hi(calL0))],
            "calL1": [float(lo(calL1)), float(hi(calL1))],
            "method": method,
        },
    )


# --- clipped-normalized-exact: rho* of a ClippedGD run ----------------------------------------------------------------
CLIP_STEPS = 25  # the row's run length (steps at which the gradient norms are taken)
ETA_DECADES = 4  # eta = 2 * 10^(4 sig(z_eta) - 2) / calL (two decades either side of 2/calL)


def _spread_feasible(rho: Any, m: list, x: list) -> tuple[bool, bool]:
    r"""For :math:`f_t(\beta)=m_t(\beta+x_t)`: (proved infeasible, proved feasible) of
    :math:`\exists\beta\ge0:\ f_t(\beta)\le\rho f_s(\beta)\ \forall t,s` (each constraint
    :math:`(m_t-\rho m_s)\beta\le\rho m_sx_s-m_tx_t`, linear in beta)."""
    rho = I(rho)
    lo_b, hi_b = mp.mpf(0), mp.inf  # bounds on beta that every admissible value must satisfy (outer)
    lo_in, hi_in = mp.mpf(0), mp.inf  # bounds that suffice for every value in the enclosures (inner)
    for t in range(len(m)):
        for s_ in range(len(m)):
            a = m[t] - rho * m[s_]
            b = rho * m[s_] * x[s_] - m[t] * x[t]
            if lo(a) > 0:
                hi_b = min(hi_b, hi(b / a))
                hi_in = min(hi_in, lo(b / a))
            elif hi(a) < 0:
                lo_b = max(lo_b, lo(b / a))
                lo_in = max(lo_in, hi(b / a))
            else:  # a may be 0: dropped from the infeasibility proof (a superset), fatal to the feasibility proof
                lo_in, hi_in = mp.inf, -mp.inf
    return lo_b > hi_b, lo_in <= hi_in


@certifier("clipped-normalized-exact")
def clipped_normalized_exact(ce: dict) -> Enclosure:
    r""":math:`\rho^*=\inf_{\beta\ge0}\max_t f_t/\min_t f_t`, :math:`f_t(\beta)=\min(1,c/x_t)(\beta+x_t)`, over the
    gradient norms :math:`x_t` of the ClippedGD run :math:`\theta\leftarrow\theta-\eta\min(1,c/\|\nabla F\|)\nabla F`
    encoded by the replay's ``p`` (a plain adversarial encoding with extras c, eta; the test linear term r set to 0
    so that F is bounded below; :math:`c=\|\nabla F(\theta_0)\|\sigma(z_c)`, :math:`\eta=2\cdot10^{4\sigma(z_\eta)-2}
    /\mathcal L` with Corollary 3's corrected :math:`\mathcal L` and zeta of the family with r): the run enclosed
    step by step, :math:`\rho^*` enclosed by proving the constraint system infeasible below and feasible above."""
    p = ce["replay"]["kwargs"]["p"]
    fam_r = Family.from_encoding(p, extras=2)
    zeta = fam_r.constants()["zeta"]
    fam = Family.from_encoding(p, extras=2)
    fam.r = [[Fraction(0)] * fam.n for _ in range(fam.M)]
    c = fam.constants()
    lam = fam.lam_i
    k = (lam / c["mu"]) ** 2
    calL = k * (c["L1"] + c["Lhat2"] / lam * zeta) + lam * c["L0"] / c["mu"] * k * c["Lhat2"] / lam
    z_c, z_eta = fam.extra

    def grad(theta: list) -> list:
        gs = [fam.meta_gradient(i, theta)[0] for i in range(fam.M)]
        return [sum(col, iv.mpf(0)) / fam.M for col in zip(*gs, strict=True)]

    theta = [I(v) for v in fam.theta]
    g = grad(theta)
    g0 = norm(g)
    clip = g0 * sig(I(z_c))
    eta = 2 * iv.mpf(10) ** (ETA_DECADES * sig(I(z_eta)) - ETA_DECADES / 2) / calL
    xs = []
    for step in range(CLIP_STEPS):
        if step:
            g = grad(theta)
        x = norm(g)
        if not lo(x) > 0:
            raise CertificationError("a gradient norm of the run is not proved positive")
        xs.append(x)
        f = imin([I(1), clip / x])
        theta = [t - eta * f * gi for t, gi in zip(theta, g, strict=True)]
    m = [imin([I(1), clip / x]) for x in xs]
    fv = ce.get("value")
    guess = mp.mpf(fv) if fv is not None else mp.mpf(1.5)
    for w in ("1e-12", "1e-9", "1e-6", "1e-3"):
        r_lo, r_hi = guess * (1 - mp.mpf(w)), guess * (1 + mp.mpf(w))
        if _spread_feasible(r_lo, m, xs)[0] and _spread_feasible(r_hi, m, xs)[1]:
            break
    else:
        raise CertificationError("rho* was not bracketed by a proved infeasible and a proved feasible rho")
    return Enclosure(
        iv.mpf([r_lo, r_hi]),
        "rho* = inf over beta >= 0 of max_t/min_t of min(1, c/x_t)(beta + x_t) over the ClippedGD run",
        "interval",
        fam.hypothesis(),
        details={
            "c": [float(lo(clip)), float(hi(clip))],
            "eta": [float(lo(eta)), float(hi(eta))],
            "grad_norm_widths_max": float(max(hi(x) - lo(x) for x in xs)),
            "steps": CLIP_STEPS,
        },
    )


def _bounded_below(p: list, extras: int) -> Family:
    """The plain encoding's family with the test linear term r set to 0 (F >= 0: bounded below)."""
    fam = Family.from_encoding(p, extras=extras)
    fam.r = [[Fraction(0)] * fam.n for _ in range(fam.M)]
    return fam


def _mean_grad(fam: Family, theta: list) -> list:
    gs = [fam.meta_gradient(i, theta)[0] for i in range(fam.M)]
    return [sum(col, iv.mpf(0)) / fam.M for col in zip(*gs, strict=True)]


@certifier("ngd-vs-gd")
def ngd_vs_gd(ce: dict) -> Enclosure:
    r"""Theorem 1's bound over Theorem 2's per unit :math:`\Delta`: :math:`T_1/T_2` with :math:`T_1=\mathcal L_0/
    \varepsilon^2+\mathcal L_1^2/\mathcal L_0`, :math:`T_2=(\mathcal L_0+G\mathcal L_1)/\varepsilon^2` (Corollary 2's
    printed constants, zeta the certified bound, :math:`G=\lambda L_0/\mu`), on the replay's encoding with r = 0 and
    :math:`\varepsilon=\|\nabla F(\theta_0)\|\sigma(z_\varepsilon)`."""
    fam = _bounded_below(ce["replay"]["kwargs"]["p"], extras=1)
    c = fam.constants()
    lam = fam.lam_i
    calL0 = c["L1"] / 4 + c["Lhat2"] / (4 * lam) * c["zeta"]
    calL1 = c["Lhat2"] / (2 * lam)
    G = lam * c["L0"] / c["mu"]
    eps = norm(_mean_grad(fam, [I(v) for v in fam.theta])) * sig(I(fam.extra[0]))
    T1 = calL0 / eps**2 + calL1**2 / calL0
    T2 = (calL0 + G * calL1) / eps**2
    return Enclosure(
        T1 / T2,
        "T1 / T2: Theorem 1's printed bound over Theorem 2's at the encoded eps (Delta cancels)",
        "interval",
        fam.hypothesis(),
        details={"eps": [float(lo(eps)), float(hi(eps))], "G": [float(lo(G)), float(hi(G))]},
    )


@certifier("limitations-autodiff", entry=True)
def limitations_autodiff(ce: dict, entry: dict) -> Enclosure:
    r"""The memory ratio :math:`M_{\rm jvp}(w,K)/M_{\rm MAML}(w,K)` as an exact rational of the entry's recorded byte
    counts (``evidence.bytes_jvp``, ``evidence.bytes_maml``, integers counted by the meter: no round-off to prove),
    at the counterexample's (width, K); the details say whether forward mode is flat in K (its bytes at the largest
    K equal those at K = 1) while MAML's grow."""
    inst = _instance(ce)
    w, K = int(inst["width"]), int(inst["K"])
    ev = entry.get("evidence") or {}
    jvp, maml = ev.get("bytes_jvp") or {}, ev.get("bytes_maml") or {}
    key = f"w={w} K={K}"
    bj, bm = jvp.get(key), maml.get(key)
    if not (isinstance(bj, int) and isinstance(bm, int) and bj > 0 and bm > 0):
        raise CertificationError(f"the entry records no positive integer byte counts at {key}")
    r = Fraction(bj, bm)
    k1 = f"w={w} K=1"
    return Enclosure(
        I(r),
        "M(forward-mode d phi~_nu/d nu) / M(MAML) at the counterexample's width and K, an exact ratio of byte counts",
        "exact",
        True,
        details={
            "ratio": f"{r.numerator}/{r.denominator}",
            "bytes_jvp": bj,
            "bytes_maml": bm,
            "jvp_flat_in_K": jvp.get(k1) == bj,
            "maml_over_K1": str(Fraction(bm, maml[k1])) if isinstance(maml.get(k1), int) else None,
        },
    )


@certifier("imaml-memory-as-printed")
def imaml_memory_as_printed(ce: dict) -> Enclosure:
    r"""iMAML's working memory in units of :math:`\mathrm{Mem}(\nabla f_i)`, the exact rational of the counterexample's
    recorded integer byte counts (``imaml_bytes`` / ``mem_grad_bytes``, counted by the meter: no round-off to
    prove), against the printed constant 2."""
    inst = _instance(ce)
    b, g = inst.get("imaml_bytes"), inst.get("mem_grad_bytes")
    if not (isinstance(b, int) and isinstance(g, int) and b > 0 and g > 0):
        raise CertificationError("the counterexample records no positive integer byte counts")
    r = Fraction(b, g)
    return Enclosure(
        I(r),
        "M(iMAML) / Mem(grad f_i) at the counterexample's width and K, an exact ratio of byte counts",
        "exact",
        True,
        details={"ratio": f"{r.numerator}/{r.denominator}", "imaml_bytes": b, "mem_grad_bytes": g},
    )


@certifier("overall-complexity-as-printed")
def overall_complexity_as_printed(ce: dict) -> Enclosure:
    r"""The literal ratio :math:`\text{calls}/(M K\sqrt{\hat\kappa}\ln(1/\delta))` at the counterexample, from its
    recorded integer counts (calls, M, outer steps K) and its exact :math:`\hat\kappa`, :math:`\delta` (on E8's
    convex instance :math:`\lambda=\hat L_1/\hat\kappa` and :math:`\mu=\lambda`, so :math:`\hat L_1/\mu=\hat\kappa`);
    the hypothesis :math:`\lambda\ge2\hat L_1` is :math:`\hat\kappa\le1/2`, checked exactly."""
    inst = _instance(ce)
    calls, outer, M = inst.get("calls"), inst.get("outer_steps"), inst.get("M")
    if not all(isinstance(x, int) and x > 0 for x in (calls, outer, M)):
        raise CertificationError("the counterexample records no positive integer call counts (calls, outer_steps, M)")
    kap, delta = rational(inst["kappa"]), rational(inst["delta"])
    if not (kap > 0 and 0 < delta < 1):
        raise CertificationError("kappa^ must be > 0 and delta in (0, 1)")
    value = I(Fraction(calls, M * outer)) / (iv.sqrt(I(kap)) * iv.log(1 / I(delta)))
    return Enclosure(
        value,
        "gradient calls / (M K sqrt(kappa^) ln(1/delta)) at the counterexample (kappa^ -> 0 family)",
        "interval",
        kap <= Fraction(1, 2),
        details={"calls": calls, "M": M, "outer_steps": outer, "kappa_hat": str(kap), "delta": str(delta)},
    )
