"""``python -m verify list | all | NAME [--quick] [--out DIR]``.

* ``list``  names every claim and figure.
* ``all``   runs every claim, draws every figure, writes ``claims.json`` and ``claims.md`` under DIR
  (default ``figures/``; a default full run also refreshes ``docs/claims.md``).
* ``bench`` times the batched sweep against per-point dense solves (``verify/bench.py``).
* ``NAME``  runs one claim (prints its ledger entry) or draws one figure (into DIR, default figures/).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bmaml_theory.claims import REGISTRY, Context, run_claim
from verify._progress import Progress
from verify.figures import FIGURES
from verify.ledger import update_readme, write_ledger

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "figures"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m verify", description=__doc__.split("\n\n")[0])
    p.add_argument("target", help="'list', 'all', a claim id or a figure name (see 'list')")
    p.add_argument("--quick", action="store_true", help="small grids: the whole run in seconds (CI)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: figures/ of the repository)")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    return p


def _short(v) -> str:
    return f"{v:.6g}" if isinstance(v, float) else str(v)[:16]


def run_all(quick: bool, out: Path, progress: bool = True) -> int:
    t0 = time.perf_counter()
    bar = Progress(len(REGISTRY) + len(FIGURES), enabled=progress)
    ctx = Context(quick=quick, progress=bar.note)
    results = []
    for cid in REGISTRY:
        bar.start(f"claim {cid}")
        results.append(run_claim(cid, ctx))
        bar.advance()
    for name, draw in FIGURES.items():
        bar.start(f"figure {name}")
        draw(ctx, out / name)
        bar.advance()
    bar.close()
    seconds = time.perf_counter() - t0
    default = out.resolve() == DEFAULT_OUT.resolve() and not quick
    write_ledger(results, out, quick, seconds, docs_copy=ROOT / "docs" / "claims.md" if default else None)
    if default and (ROOT / "README.md").exists():
        update_readme(ROOT / "README.md", results, seconds)
    width = max(len(r.id) for r in results)
    for r in results:
        print(f"{r.id:<{width}}  {r.status:<12}  stated={_short(r.stated):<16}  measured={_short(r.measured)}")
    counts = {s: sum(r.status == s for r in results) for s in ("holds", "violated", "inconclusive")}
    print(
        f"{len(results)} claims: "
        + ", ".join(f"{v} {k}" for k, v in counts.items())
        + f"; wrote {out}/claims.json, claims.md and {len(FIGURES)} figures in {seconds:.1f} s"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = args.out if args.out is not None else DEFAULT_OUT
    if args.target == "list":
        print("claims:")
        for cid, spec in REGISTRY.items():
            print(f"  {cid:<16} {spec.group}" + (f"  (figure {spec.figure})" if spec.figure else ""))
        print("figures:")
        for name in FIGURES:
            print(f"  {name}")
        return 0
    if args.target == "bench":
        from verify.bench import run_bench

        out_b = args.out if args.out is not None else ROOT / "benchmarks" / "results"
        r = run_bench(out_b, args.quick)
        for c in r["cases"][:1]:
            print(
                f"{c['name']}: sweep {c['seconds']:.3f} s, per-point dense {c['baseline_seconds']:.2f} s "
                f"(x{c['speedup']:.0f}), floor {c['floor_seconds']:.3f} s (x{c['ratio_to_floor']:.2f})"
            )
        print(f"scaling exponents {r['scaling_exponents']}; wrote {out_b}/bench.json, bench_scaling.png")
        return 0 if r["main_case_meets_targets"] else 1
    if args.target == "all":
        return run_all(args.quick, out, progress=not args.no_progress)
    if args.target in REGISTRY:
        r = run_claim(args.target, Context(quick=args.quick))
        print(json.dumps(r.to_json(), indent=1))
        return 0
    fig = args.target if args.target in FIGURES else f"{args.target}.png"
    if fig in FIGURES:
        FIGURES[fig](Context(quick=args.quick), out / fig)
        print(f"wrote {out / fig}")
        return 0
    print(
        f"unknown target {args.target!r}: use 'list', 'all', a claim id or a figure name "
        f"({', '.join(list(REGISTRY) + list(FIGURES))})",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
