"""The full MNIST-1D protocol end to end at smoke scale: its phases, its pairing, its decisions through the ledger's
checks (models this small do not learn, so the power gate must leave both comparison rows inconclusive)."""

from __future__ import annotations

import argparse
import json

import pytest

torch = pytest.importorskip("torch", reason="the nn extra (pip install -e '.[nn]') is not installed")
torch.set_num_threads(1)
pytest.importorskip("mnist1d", reason="the nn extra (pip install -e '.[nn]') is not installed")

from bmaml_theory.nn.protocol import SPLITS, Protocol, split_samplers  # noqa: E402


def test_validation_signals_are_held_out_of_meta_training():
    from bmaml_theory.nn.data import load_mnist1d

    p = Protocol.smoke()
    data = load_mnist1d(num_samples=p.num_samples, seed=42)
    for split in SPLITS:
        tr, va, te = split_samplers(data, split, p, 5, 0)
        seen = {x.tobytes() for x in tr.x}
        assert not any(x.tobytes() in seen for x in va.x)  # no validation signal is a meta-training signal
        assert set(te.classes) == set(SPLITS[split][1])
        n_train_classes = sum(int((data.y == c).sum()) for c in SPLITS[split][0])
        assert len(va.x) == pytest.approx(p.val_fraction * n_train_classes, abs=len(SPLITS[split][0]))


def test_bad_settings_name_the_argument():
    with pytest.raises(ValueError, match="pilot_seed"):
        Protocol(pilot_seed=0)
    with pytest.raises(ValueError, match="seeds"):
        Protocol(seeds=(0,))
    with pytest.raises(ValueError, match="deciding_split"):
        Protocol(deciding_split="nope")


def test_full_run_at_smoke_scale(tmp_path):
    from verify.mnist1d import run_full

    args = argparse.Namespace(device="cpu", no_progress=True, estimate=False, jobs=1, dask=None)
    assert run_full(args, tmp_path / "out", protocol=Protocol.smoke()) == 0
    doc = json.loads((tmp_path / "out" / "mnist1d_summary.json").read_text())
    assert doc["deciding_split"] == "unseen-classes" and set(doc["splits"]) == set(SPLITS)
    main = doc["cells"]["main"]
    assert len(main) == 2 * 2 * 1 * 2  # splits x methods x shots x seeds
    # the arms did not learn in 4 steps at width 8: both comparison rows are inconclusive, never a verdict
    for cid in ("tmlr-mnist1d-accuracy", "tmlr-high-accuracy", "tmlr-sngdm"):
        assert doc["claims"][cid]["status"] == "inconclusive"
    # 2 seeds < 5: inconclusive by construction, and the decision says so
    assert "2 training seeds < 5" in doc["claims"]["tmlr-mnist1d-accuracy"]["decision"]
    # one supervised reference per training seed and shot count, on the same tasks as the main cells
    sup = doc["supervised_reference"]
    assert sorted((r["seed"], r["shots"]) for r in sup) == [(0, 5), (1, 5)]
    assert all(len(r["supervised"]) == Protocol.smoke().test_tasks for r in sup)
    # methods are paired on the same test tasks: nearest-centre is a function of the tasks only
    by = {(r["split"], r["seed"], r["method"]): r["ncc"] for r in main}
    assert by[("unseen-classes", 0, "maml")] == by[("unseen-classes", 0, "fobmaml")]
    assert (tmp_path / "out" / "mnist1d_accuracy.png").exists()


def test_iterations_to_target_reads_the_running_mean():
    from bmaml_theory.nn.protocol import iterations_to_target, theory_reading

    # first window mean 1.0; from step 100 on the norms are 0.4: the running mean over [t-50, t) reaches 0.5 when
    # (50 - (t - 100)) * 1.0 + (t - 100) * 0.4 <= 25, i.e. t - 100 >= 41.67: first at t = 142
    norms = [1.0] * 100 + [0.4] * 100
    assert iterations_to_target(norms) == 142
    assert iterations_to_target([1.0] * 200) is None
    assert iterations_to_target([1.0] * 60) is None  # shorter than two windows
    cells = [
        {"outer": o, "seed": s, "gradient_norms": n}
        for s in range(3)
        for o, n in (("SNGDM", norms), ("GD", [1.0] * 200))
    ]
    assert theory_reading(cells)["status"] == "holds"
    cells = [{"outer": o, "seed": s, "gradient_norms": [1.0] * 200} for s in range(3) for o in ("SNGDM", "GD")]
    assert theory_reading(cells)["status"] == "inconclusive"


@pytest.mark.parametrize(
    "argv", [["--jobs", "2"], ["--device", "cuda"], ["--estimate"], ["--full", "--quick"], ["--full", "--jobs", "0"]]
)
def test_full_only_options_are_usage_errors_elsewhere(argv, tmp_path, capsys):
    from verify.mnist1d import main

    assert main([*argv, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "bmaml-verify mnist1d" in capsys.readouterr().err


def test_estimate_counts_every_phase_including_the_supervised_references():
    from bmaml_theory.nn.protocol import estimate

    p = Protocol.smoke()
    est = estimate(p, steps=2, progress=lambda m: None)
    phases = est["projected_seconds_one_core"]
    assert set(phases) == {"grid", "pilot", "outer-grid", "main", "sngdm", "supervised"}
    assert all(v > 0 for v in phases.values())
    assert est["cells"]["supervised"] == len(p.seeds)
    assert est["projected_total_seconds_one_core"] == pytest.approx(sum(phases.values()), rel=1e-12)  # one sum
