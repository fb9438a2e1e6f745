"""Pilot of the full MNIST-1D protocol's cost and learning, on the pilot seed (never a verdict): MAML and FO-B-MAML,
5-shot, split ``unseen-classes``, 500 of the protocol's up to 2000 outer steps, checkpoints every 100 on 50 validation
tasks, then the 200 test tasks.  ``python benchmarks/mnist1d_pilot.py OUT.json`` (two processes)."""

from __future__ import annotations

import json
import os
import sys
import time

from bmaml_theory.nn.protocol import Cell, Protocol, run_cells


def main(path: str) -> None:
    p = Protocol(val_tasks=50)
    cells = [
        Cell("pilot", "unseen-classes", m, 5, p.pilot_seed, 500, "Adam", 1e-3, 2.0, 0.05, True)
        for m in ("maml", "fobmaml")
    ]
    t = time.time()
    runs = run_cells(cells, p, jobs=2, progress=lambda m: print(m, flush=True))
    keep = ("method", "shots", "checkpoints", "val_acc", "best_val_step", "seconds_per_step", "seconds")
    out = [
        {k: r[k] for k in keep}
        | {
            "test_final": sum(r["final"]) / len(r["final"]),
            "test_step0": sum(r["initial"]) / len(r["initial"]),
            "ncc": sum(r["ncc"]) / len(r["ncc"]),
        }
        for r in runs
    ]
    doc = {"cells": out, "wall": time.time() - t, "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
