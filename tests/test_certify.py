"""Certified refutations (bmaml_theory.certify): the derivations' extremal values enclosed on their instances, the
failure modes (a non-refuting instance, a float64 value the enclosure contradicts, no certifier, --quick), the
independence of the certify path from the float64 path, the ledger fields and the CLI.

The instances are the derivations' extremal ones (docs/errata.md E4-E7, the Fallah lemma's counterexample), written
here from their definitions, not read from the committed ledger; the float64 values they are compared with come from
the claims' own replay functions.
"""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

import pytest

from bmaml_theory.certify import AGREEMENT, CERTIFIERS, certifiable, certify
from bmaml_theory.certify._interval import eig_max, precision, psd

ROOT = Path(__file__).resolve().parents[1]
BOUND_TOL = 1e-6  # the Section 4 rows' tolerance (section4/_common.BOUND_TOL), the entries' own

# errata E5's extremal task (section4/_smoothness.EXTREMAL_TASK) at theta = 0 with the pinned pair (u = e1, d = -3)
TASK = {"X_train": [[0.0, 1e-2]], "Q": [[-1.0, 0.0], [0.0, 0.0]], "X_test": [[2.0, 0.0]], "r": [-10.0, 0.0]}


def _logistic(M: int, value: float | None, theta=(0.0, 0.0), extra=None) -> dict:
    inst = {k: [v] * M for k, v in TASK.items()}
    inst.update(lam=2.0, theta=list(theta), extra=extra or {"u": [1.0, 0.0], "d": [-3.0]})
    return {"instance": inst, "value": value, "unbounded": False}


def _entry(cid: str, ce: dict, threshold: float = 1.0, comparison: str = "<=", tol: float = BOUND_TOL) -> dict:
    return {
        "id": cid,
        "threshold": {"value": threshold, "comparison": comparison},
        "tolerance": {"value": tol, "reason": "test"},
        "counterexample": ce,
    }


def _float_pair_ratio(module: str, M: int) -> float:
    """The float64 path's number on the same instance (the claim's replay function)."""
    import importlib

    from bmaml_theory.claims.chayti_jaggi.section4 import _smoothness as sm

    space = sm.SPACE_TASK if M == 1 else sm.SPACE_MEAN
    return importlib.import_module(f"bmaml_theory.claims.chayti_jaggi.section4.{module}").ratio(
        sm.extremal_encoding(space, M)
    )


def _fallah(alpha: float, L: float = 2.0, h: float = 1e-4, value: float | None = None) -> dict:
    inst = {"M": 1, "n": 1, "A": [[L / 2]], "c": -1.5 * L, "b": [0.0], "w": [-h], "u": [h], "alpha": alpha}
    return {"instance": inst, "value": value, "unbounded": False}


# ---------------------------------------------------------------- the interval toolkit
def test_psd_is_exact_at_the_boundary():
    # [[1, 1], [1, 1]] is PSD and singular; shifting the diagonal by -1e-30 (a rational) makes it indefinite
    assert psd([[Fraction(1), Fraction(1)], [Fraction(1), Fraction(1)]])
    e = Fraction(1, 10**30)
    assert not psd([[1 - e, Fraction(1)], [Fraction(1), Fraction(1)]])
    assert not psd([[Fraction(0), Fraction(1)], [Fraction(1), Fraction(5)]])  # zero pivot with a nonzero row


def test_eig_max_encloses_an_irrational_eigenvalue():
    # [[2, 1], [1, 2]] / 3 + diag(0, 1/7): lambda_max is irrational; the enclosure must hold sympy's exact value
    sympy = pytest.importorskip("sympy")
    A = [[Fraction(2, 3), Fraction(1, 3)], [Fraction(1, 3), Fraction(2, 3) + Fraction(1, 7)]]
    exact = max(sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in r] for r in A]).eigenvals())
    with precision(40):
        e = eig_max(A)
        from bmaml_theory.certify._interval import hi, lo

        assert lo(e) <= sympy.N(exact, 45) <= hi(e)
        assert hi(e) - lo(e) < 1e-30  # the Rayleigh quotient of an eigenvector guess is second-order accurate


# ---------------------------------------------------------------- pinned extremal values, certified
def test_prop3_extremal_ratio_is_certified_just_below_4():
    # errata E5: the ratio is <= (lam/mu)^2 L1 / L(theta) <= 4 for every instance (the corrected bound), and on the
    # extremal task it is 4 L1 / (L1 + Lhat2 ||grad F_i|| / lam) - O(d^2): Lhat2 = 9.6e-8, ||grad F_i|| = 22, lam = 2
    # give 4 / (1 + 1.06e-6) = 4 - 4.2e-6, and d = 1.7e-4 gives O(d^2) ~ 1e-7, so the enclosure lies in [4 - 1e-5, 4]
    fv = _float_pair_ratio("prop3", 1)
    cert = certify(_entry("prop3", _logistic(1, fv)))
    assert cert.refuted_certified, cert.reason
    assert 4 - 1e-5 <= cert.lower <= cert.upper <= 4
    assert cert.upper - cert.lower < 1e-12  # 50 digits: the enclosure is as tight as its float endpoints
    assert cert.lower - BOUND_TOL <= fv <= cert.upper + BOUND_TOL


@pytest.mark.parametrize("cid,module", [("cor2", "cor2"), ("cor3-smoothness", "cor3_smoothness")])
def test_cor2_cor3_extremal_ratio_is_certified_just_below_16(cid, module):
    # errata E6/E7: the local smoothness 4 L1 against calL0 ~ L1/4 gives 16, less the Lhat2 terms: zeta = 24 adds
    # Lhat2 zeta / (4 lam) = 2.9e-7 to calL0 = 1/4 and calL1 ||grad F|| = (Lhat2 / (2 lam)) 22 = 5.3e-7 (cor2) or
    # G calL1 = 12 Lhat2 / 2 = 5.8e-7 (cor3): 16 (1 - 3.4e-6) = 16 - 5.4e-5, so the enclosure lies in [16 - 1e-4, 16]
    fv = _float_pair_ratio(module, 2)
    ce = _logistic(2, fv)
    cert = certify(_entry(cid, ce))
    assert cert.refuted_certified, cert.reason
    assert 16 - 1e-4 <= cert.lower <= cert.upper <= 16
    assert cert.details["zeta"][0] == pytest.approx(24.0, abs=1e-12)  # sqrt(mean (lam L0 / mu)^2) = 2 * 12 / 1


def test_cor3_remark_phi_is_certified_below_2():
    # Phi <= lam/mu <= 2 on the class (phi_bound); on the pinned instance calL0 = L1 / 4 = 6.25e-6 << L0 calL1 = 1.93,
    # so Phi = 2 - (calL0 / (calL0 + L0 calL1)) = 2 - 3.2e-6, inside [2 - 1e-5, 2]
    inst = {
        "X_train": [[[0.0, 2.0]]],
        "Q": [[[-1.0, 0.0], [0.0, 0.0]]],
        "X_test": [[[1e-2, 0.0]]],
        "r": [[-10.0, 0.0]],
        "lam": 2.0,
        "theta": [0.0, 0.0],
    }
    cert = certify(_entry("cor3-remark", {"instance": inst, "value": None}, 10.0, ">=", 0.0))
    assert cert.refuted_certified, cert.reason
    assert 2 - 1e-5 <= cert.lower <= cert.upper <= 2


def test_fallah_as_printed_is_certified_just_below_9_4():
    # (1 + alpha L)^2 / 4 = 9/4 at L = 2, alpha = 1 as h -> 0; at h = 1e-4 the rho term 2 rho alpha |f'(h)| =
    # 2 (2.31)(2e-4) adds 1.2e-4 relative to 4L = 8 (9/4 - 2.6e-4), and O(h^2) less: inside [9/4 - 5e-4, 9/4]
    from bmaml_theory.claims.fallah.smoothness_as_printed import printed_ratio

    fv = printed_ratio(2.0, 1.0, 1e-4)
    cert = certify(_entry("fallah-smoothness-as-printed", _fallah(1.0, value=fv)))
    assert cert.refuted_certified, cert.reason
    assert 2.25 - 5e-4 <= cert.lower <= cert.upper <= 2.25


def test_cor1_growth_is_certified_at_every_family_instance():
    # errata E2: the inexact term alone makes the ratio >= 2 lam; the enclosures at lam = 2, 20, 200, 2000 (the
    # extremal task, Lhat1 = 1 exactly) must each be >= 2 lam and increase strictly
    p = [1.0, 2.0, 1.0, 1.0, 0.0, 0.01, -1.0, 0.0, 0.0, 2.0, 0.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    fam = [
        {"t": m, "value": None, "replay": {"target": "x:y", "kwargs": {"p": p, "lam_mult": m}}} for m in (1, 10, 100)
    ]
    cert = certify(_entry("cor1", {"instance": {}, "value": None, "family": fam}, 3.0))
    assert cert.refuted_certified, cert.reason
    rows = cert.details["instances"]
    assert [r["lam"][0] for r in rows] == [2.0, 20.0, 200.0]
    assert all(r["lower"] >= 2 * r["lam"][1] for r in rows)
    assert cert.details["strictly_increasing"]


def test_thm1_two_cycle_is_proved_with_grad_norm_above_eps():
    # the convergence study's convex instance (s = 0, scale = 1): NormalizedGD with Theorem 1's printed constants
    # (eta = 1/calL1 = 34.6) jumps between +-a*; the float run's last gradient norm is 0.4522
    inst = {"s": 0.0, "scale": 1.0, "theta0": [3.0, 1.0], "method": "NormalizedGD", "constants": "stated", "eps": 0.1}
    from bmaml_theory.studies.convergence import run_one

    fv = run_one(0.0, 1.0, [3.0, 1.0], "NormalizedGD", "stated", eps=[0.1])["grad_norms"][-1]
    inst["final_grad_norm"] = fv
    cert = certify(_entry("thm1", {"instance": inst, "value": None, "unbounded": True}, 4.0))
    assert cert.refuted_certified, cert.reason
    assert cert.threshold == 0.1 and cert.lower > 0.45
    a = cert.details["a_star"]
    assert 2.9 < a[0] <= a[1] < 3.0


# ---------------------------------------------------------------- a certificate fails when it should
def test_fails_on_an_instance_just_below_the_threshold():
    # alpha = 1/L: the lemma's bound is attained only as h -> 0 ((1 + alpha L)^2 / 4 = 1), and the rho term keeps the
    # ratio just below 1 at h = 1e-4 (by ~1.2e-4): nothing is refuted, so nothing may be certified
    cert = certify(_entry("fallah-smoothness-as-printed", _fallah(0.5)))
    assert not cert.refuted_certified
    assert 1 - 1e-3 < cert.lower <= cert.upper < 1
    assert "not beyond the threshold" in cert.reason


def test_fails_when_float64_and_the_enclosure_disagree():
    # theta moved from 0 to (0.5, 0) while the recorded float value stays the extremal one: the instance still refutes
    # (ratio 1.68) but the ledger's number is not this instance's, so the certificate must not sign it
    fv = _float_pair_ratio("prop3", 1)
    cert = certify(_entry("prop3", _logistic(1, fv, theta=(0.5, 0.0))))
    assert not cert.refuted_certified
    assert cert.lower > 1.5
    assert "disagree" in cert.reason
    # a float value off by 10 x AGREEMENT relative on the unperturbed instance fails too; the recorded one passes
    assert not certify(_entry("prop3", _logistic(1, fv * (1 + 10 * AGREEMENT) + 10 * BOUND_TOL))).refuted_certified


def test_fails_when_the_hypothesis_lam_ge_2_lhat1_is_not_exact():
    # lam 1 ulp below 2 Lhat1 = 2: outside Proposition 3's hypothesis (exactly, in rationals)
    ce = _logistic(1, None)
    ce["instance"]["lam"] = 2.0 - 2**-52
    cert = certify(_entry("prop3", ce))
    assert not cert.refuted_certified and "hypotheses" in cert.reason


def test_malformed_counterexample_fails_closed():
    cert = certify(_entry("prop3", {"instance": {"X_train": "nonsense"}, "value": 4.0}))
    assert not cert.refuted_certified and cert.reason.startswith("no enclosure")


def test_no_certifier_reads_no_certificate_and_quick_skips():
    from bmaml_theory.claims import ClaimResult, Statement, Threshold, Tolerance
    from bmaml_theory.claims.certification import attach

    st = Statement("zz-none", "s", "s", "f", "a", "upper_bound", "m", Threshold(1.0, "<="), Tolerance(0.0, "r"))
    r = attach(ClaimResult(st, "violated", 2.0, counterexample={"instance": {}, "value": 2.0}))
    assert r.status == "violated" and r.certificate["status"] == "none" and r.refuted_certified is False
    assert "no certificate" in r.certificate["reason"]
    q = attach(ClaimResult(st, "violated", 2.0, counterexample={"instance": {}, "value": 2.0}), quick=True)
    assert q.certificate["status"] == "skipped" and q.refuted_certified is None
    h = attach(ClaimResult(st, "holds", 0.5))
    assert h.certificate is None and h.refuted_certified is None


def test_a_failed_certificate_makes_the_row_inconclusive():
    from bmaml_theory.claims import REGISTRY, ClaimResult
    from bmaml_theory.claims.certification import attach

    st = REGISTRY["prop3"].statement
    ce = _logistic(1, _float_pair_ratio("prop3", 1), theta=(0.5, 0.0))  # the disagreeing instance above
    r = attach(ClaimResult(st, "violated", ce["value"], decision="violated: worst 4", counterexample=ce))
    assert r.status == "inconclusive" and r.refuted_certified is False
    assert r.certificate["status"] == "failed" and "certificate failed" in r.decision
    ok = attach(ClaimResult(st, "violated", ce["value"], counterexample=_logistic(1, ce["value"])))
    assert ok.status == "violated" and ok.refuted_certified is True


# ---------------------------------------------------------------- independence, schema, CLI
def test_certify_imports_nothing_of_the_float_path():
    # bmaml_theory/__init__ imports the float path (estimators, tasks, ...); load the certify subpackage under a bare
    # parent package so that only what certify itself imports is loaded, then certify prop3's extremal pair
    code = textwrap.dedent(
        f"""
        import json, sys, types
        pkg = types.ModuleType("bmaml_theory")
        pkg.__path__ = [{str(ROOT / "bmaml_theory")!r}]
        sys.modules["bmaml_theory"] = pkg
        from bmaml_theory.certify import certify
        entry = json.loads(sys.argv[1])
        cert = certify(entry)
        assert cert.refuted_certified, cert.reason
        print(json.dumps(sorted(sys.modules)))
        """
    )
    entry = _entry("prop3", _logistic(1, None))
    out = subprocess.run([sys.executable, "-c", code, json.dumps(entry)], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout)
    ours = [m for m in mods if m.startswith("bmaml_theory")]
    assert all(m == "bmaml_theory" or m.startswith("bmaml_theory.certify") for m in ours), ours
    for forbidden in ("numpy", "scipy", "torch", "sympy"):
        assert forbidden not in mods, f"the certify path imported {forbidden}"


def test_every_certifier_is_registered_for_a_known_claim():
    from bmaml_theory.claims import REGISTRY

    assert set(certifiable()) <= set(REGISTRY)
    assert set(CERTIFIERS) == set(certifiable())


def test_schema_accepts_certificates_and_rejects_unsigned_ones():
    jsonschema = pytest.importorskip("jsonschema")
    from verify.ledger import schema

    s = schema()
    cert_schema = {"$defs": s["$defs"], "$ref": "#/$defs/certificate"}
    good = certify(_entry("fallah-smoothness-as-printed", _fallah(1.0))).to_json() | {"status": "certified"}
    jsonschema.validate(good, cert_schema)
    jsonschema.validate({"status": "none", "reason": "no certificate"}, cert_schema)
    for bad in (
        {k: v for k, v in good.items() if k != "lower"},  # certified without its enclosure
        good | {"refuted_certified": False},  # certified but not refuted
        good | {"method": "float64"},
        {"status": "signed", "reason": "x"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, cert_schema)


def test_cli_certify_one_row_of_a_ledger(tmp_path, capsys):
    from verify.cli import main

    ledger = {"claims": [_entry("prop3", _logistic(1, None)) | {"status": "violated"}]}
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(ledger))
    assert main(["certify", "prop3", "--ledger", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["certificate"]["status"] == "certified" and out["certificate"]["lower"] > 3.99
    assert main(["certify", "nope", "--ledger", str(path)]) == 2
    bad = copy.deepcopy(ledger)
    bad["claims"][0]["counterexample"]["instance"]["theta"] = [0.5, 0.0]
    bad["claims"][0]["counterexample"]["value"] = 4.0
    path.write_text(json.dumps(bad))
    assert main(["certify", "all", "--ledger", str(path)]) == 1


def test_clipped_normalized_exact_pinned_run_is_certified_above_1():
    # the row's pinned ClippedGD run (clipped_normalized_exact.pin()): its norms fall through the clipping level c, so
    # no constant (eta', beta) reproduces it (rho* > 1); the enclosure must hold the float value and lie in (1, 2]
    # (beta = c reproduces ClippedGD within Zhang et al.'s factor 2)
    from bmaml_theory.claims.chayti_jaggi.section4 import clipped_normalized_exact as cne

    p = cne.pin().tolist()
    fv = cne.ratio(p)
    ce = {"instance": {}, "value": fv, "unbounded": False, "replay": {"target": "x:y", "kwargs": {"p": p}}}
    cert = certify(_entry("clipped-normalized-exact", ce, tol=1e-9))
    assert cert.refuted_certified, cert.reason
    assert 1 + 1e-9 < cert.lower <= fv <= cert.upper <= 2
    assert cert.upper - cert.lower <= 1e-8 * fv


@pytest.mark.parametrize("a", [1.0, 1e3])
def test_prop2_extremal_family_is_certified_at_its_limit(a):
    # errata E4's family: fhat = l(1e-3 phi_2) - phi_1^2 / 2, lam = 2, f = l(phi_1) - a phi_1, theta = 0; the
    # derivation gives B_nu / (A nu) -> 4 (1/2 + a) / (1 + a) as nu -> 0 (Lhat2 ~ 1e-10 shifts it by < 1e-9); at
    # nu = 1e-7 the O(nu) term moves it by ~1e-7 relative: the enclosure lies within 1e-6 of the limit
    from bmaml_theory.claims.chayti_jaggi.section4.prop2_explicit import extremal_ratio

    inst = {
        "X_train": [[[0.0, 1e-3]]],
        "Q": [[[-1.0, 0.0], [0.0, 0.0]]],
        "X_test": [[[1.0, 0.0]]],
        "r": [[-a, 0.0]],
        "lam": 2.0,
        "theta": [0.0, 0.0],
        "nu": 1e-7,
    }
    fv = extremal_ratio(a, 1e-7)
    cert = certify(_entry("prop2-explicit", {"instance": inst, "value": fv}))
    assert cert.refuted_certified, cert.reason
    limit = 4 * (0.5 + a) / (1 + a)
    assert abs(cert.lower - limit) < 1e-6 * limit and cert.upper - cert.lower < 1e-12


def test_limitations_autodiff_exact_byte_ratio():
    # integer byte counts (no round-off): the ratio is the exact fraction 194032/2042296 = 24254/255287 ~ 0.095, more
    # than 0.5 below 1 (the row's 'within 1 +- 0.5'); counts with ratio 0.9 are the same burden and are not refuted
    ev = {
        "bytes_jvp": {"w=16 K=1": 194032, "w=16 K=20": 194032},
        "bytes_maml": {"w=16 K=1": 213812, "w=16 K=20": 2042296},
    }
    ce = {"instance": {"width": 16, "K": 20}, "value": 194032 / 2042296}
    e = _entry("limitations-autodiff", ce, 1.0, "within", 0.5) | {"evidence": ev}
    cert = certify(e)
    assert cert.refuted_certified and cert.method == "exact", cert.reason
    assert cert.details["ratio"] == "24254/255287" and cert.details["jvp_flat_in_K"]
    same = copy.deepcopy(e)
    same["evidence"]["bytes_maml"]["w=16 K=20"] = 215591  # 194032 / 215591 = 0.9
    same["counterexample"]["value"] = 194032 / 215591
    assert not certify(same).refuted_certified


def test_imaml_memory_as_printed_exact_byte_ratio():
    # 1667880 / 456664 = 208485/57083 ~ 3.652: more than 0.5 above the printed 2 Mem; 2.4 Mem is within 2 +- 0.5
    ce = {
        "instance": {"width": 64, "K": 1, "imaml_bytes": 1667880, "mem_grad_bytes": 456664},
        "value": 1667880 / 456664,
    }
    cert = certify(_entry("imaml-memory-as-printed", ce, 2.0, "within", 0.5))
    assert cert.refuted_certified and cert.method == "exact" and cert.details["ratio"] == "208485/57083", cert.reason
    near = copy.deepcopy(ce)
    near["instance"]["imaml_bytes"], near["value"] = 12, 2.4
    near["instance"]["mem_grad_bytes"] = 5
    assert not certify(_entry("imaml-memory-as-printed", near, 2.0, "within", 0.5)).refuted_certified


def test_overall_complexity_as_printed_literal_ratio():
    # 12 calls over M K = 3 at kappa^ = delta = 1e-8: 4 / (1e-4 ln 1e8) = 2171.47..., far above 2; at kappa^ = 1
    # (lam = Lhat1 < 2 Lhat1) the hypothesis fails exactly and nothing is certified
    inst = {"kappa": 1e-8, "delta": 1e-8, "calls": 12, "outer_steps": 3, "M": 1}
    value = 4 / (1e-4 * math.log(1e8))
    cert = certify(_entry("overall-complexity-as-printed", {"instance": inst, "value": value}, 2.0, "<=", 1e-6))
    assert cert.refuted_certified and cert.lower <= value <= cert.upper, cert.reason
    assert cert.upper - cert.lower <= 1e-12 * value
    bad = {**inst, "kappa": 1.0}
    v1 = 4 / math.log(1e8)
    assert not certify(_entry("overall-complexity-as-printed", {"instance": bad, "value": v1}, 2.0)).refuted_certified


def test_every_certifiable_violated_row_of_the_committed_ledger_is_certified():
    # the committed ledger's own counterexamples (figures/claims.json, regenerated by verify all): every violated row
    # whose claim has a certifier must be certified from its recorded data
    from bmaml_theory.claims.certification import certificate_of

    ledger = json.loads((ROOT / "figures" / "claims.json").read_text(encoding="utf-8"))
    rows = [e for e in ledger["claims"] if e["status"] == "violated" and e["id"] in certifiable()]
    assert rows, "no certifiable violated row in the committed ledger"
    for e in rows:
        cert = certificate_of(e)
        assert cert["status"] == "certified", (e["id"], cert["reason"])
