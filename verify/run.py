"""Running the claims and the figures: isolated, in parallel by group, written as one output set.

* Claims of one group share studies, so a group runs in one process; groups run in parallel through joblib
  (``jobs`` processes; ``jobs=1`` runs in this process).  Each claim fails closed (:func:`run_claim`); a worker
  that dies takes only its own group down (those claims read inconclusive, with the error).
* Claims whose optional requirements (e.g. torch for the MNIST-1D claims) are missing are skipped, not failed,
  and listed as skipped.
* Figures are drawn only from the claims' results, after the claims; a figure that fails is reported, never fatal.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bmaml_theory.claims import REGISTRY, ClaimResult, groups, run_group
from bmaml_theory.claims._core import _error_result
from verify.figures import FIGURES

__all__ = ["RunOutcome", "draw_figures", "run_claims"]

GROUP_TIMEOUT_S = {False: 900.0, True: 180.0}  # cooperative deadline per group (default, quick): a hung search ends


@dataclass
class RunOutcome:
    results: list[ClaimResult]
    skipped: list[dict]
    seconds: float
    figure_errors: dict[str, str] = field(default_factory=dict)

    @property
    def errored(self) -> int:
        return sum(r.error is not None for r in self.results)


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="claim", disable=not enabled or not sys.stderr.isatty(), file=sys.stderr, leave=False)


def run_claims(
    ids: Iterable[str] | None = None,
    *,
    quick: bool,
    jobs: int = 1,
    seed: int = 0,
    progress: bool = True,
    log: bool = True,
) -> RunOutcome:
    """Run the claims ``ids`` (default: all), groups in parallel; results come back in registry order."""
    t0 = time.perf_counter()
    wanted = list(REGISTRY) if ids is None else list(ids)
    skipped, runnable = [], []
    for cid in wanted:
        missing = REGISTRY[cid].statement.missing()
        if missing:
            skipped.append({"id": cid, "reason": f"needs {', '.join(missing)}: pip install -e '.[nn]'"})
        else:
            runnable.append(cid)
    by_group = groups(runnable)
    deadline_s = GROUP_TIMEOUT_S[quick]
    done: dict[str, ClaimResult] = {}
    bar = _bar(len(runnable), progress)

    def report(rs: list[ClaimResult]) -> None:
        for r in rs:
            done[r.id] = r
            if log and progress:
                bar.write(f"  {r.id:<24} {r.status:<14} {r.provenance.get('seconds', 0):7.1f} s", file=sys.stderr)
            bar.update(1)
            bar.set_postfix_str(r.id)

    tasks = list(by_group.items())
    if jobs <= 1 or len(tasks) <= 1:
        for _, ids_g in tasks:
            report(run_group(ids_g, quick=quick, seed=seed, deadline=time.time() + deadline_s))
    else:
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
        try:
            for rs in par(delayed(_run_group_remote)(ids_g, quick, seed, deadline_s) for _, ids_g in tasks):
                report(rs)
        except Exception as exc:  # a worker died: its group (and any not yet returned) read inconclusive
            msg = f"worker process failed: {type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-2)}"
            for _, ids_g in tasks:
                report([_error_result(REGISTRY[c], msg) for c in ids_g if c not in done])
    bar.close()
    results = [done[c] for c in runnable]
    return RunOutcome(results, skipped, time.perf_counter() - t0)


def _run_group_remote(ids: list[str], quick: bool, seed: int, deadline_s: float) -> list[ClaimResult]:
    return run_group(ids, quick=quick, seed=seed, deadline=time.time() + deadline_s)


def draw_figures(results: list[ClaimResult], out: Path, names: Iterable[str] | None = None) -> dict[str, str]:
    """Draw the figures whose claims all ran without error into ``out``; returns {figure: error} for failures."""
    import matplotlib.pyplot as plt

    by_id = {r.id: r for r in results}
    errors: dict[str, str] = {}
    for name in names if names is not None else FIGURES:
        spec = FIGURES[name]
        missing = [c for c in spec.claims if c not in by_id or by_id[c].error is not None]
        if missing:
            if all(c in REGISTRY and REGISTRY[c].statement.missing() for c in missing):
                continue  # its claims were skipped (optional extra absent): so is the figure
            errors[name] = f"not drawn: claims {', '.join(missing)} did not complete"
            continue
        try:
            spec.draw({c: by_id[c] for c in spec.claims}, out / name)
        except Exception as exc:  # a broken figure is reported, never fatal
            errors[name] = f"{type(exc).__name__}: {exc}"
        finally:
            plt.close("all")
    return errors
