"""The ``bmaml-verify`` command (also ``python -m verify``): run the claims, draw the figures, write the ledger.

Exit codes: 0 the run completed (violated claims are findings, not failures); 1 with ``--check-against LEDGER`` when
some claim's status or category differs from LEDGER's (a regression gate), or with ``--strict`` when any claim is
violated or errored (always, for a paper with refuted statements: --strict is not a regression gate); 2 bad usage,
an unusable ``--out`` (or one another run is writing) or ``--check-against``, an unreachable ``--dask`` cluster, or an
``--update-docs`` that cannot stand as the record; 3 some claim errored or some figure failed (their entries read
inconclusive; the rest of the ledger is written); 4 an I/O error while writing the outputs (e.g. a full disk: one
line, the previous set intact); 130 interrupted (Ctrl-C: nothing is written, the previous output set is kept).
``replay``: 0 the recomputed numbers agree with the recorded ones, 1 some differ, 2 nothing to replay or an unknown
claim, 3 the replay raised.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
import time
from pathlib import Path

from bmaml_theory import __version__

EXAMPLES = """\
examples:
  bmaml-verify all                      every claim and figure into ./figures (about 2 minutes on 2 cores)
  bmaml-verify all --quick --out /tmp/q small grids: may read inconclusive, never flips a verdict
  bmaml-verify all --update-docs        maintainers: also refresh README.md's results and docs/claims.md
  bmaml-verify all --dask tcp://HOST:8786 --out /tmp/d
                                        the same run on an existing Dask cluster (pip install -e ".[dist]")
  bmaml-verify run prop2 prop2-explicit two claims; one line each (--json: their ledger entries)
  bmaml-verify run "Proposition 3"      claims by the paper's names too ("Cor. 2", "Theorem 1", "eq. (12)")
  bmaml-verify show prop3               the verdict card: statement, status, counterexample, erratum, figure, code
  bmaml-verify replay prop3             rerun the counterexample: the recorded and the recomputed number
  bmaml-verify all --quick --out /tmp/q --check-against tests/golden/quick_statuses.json
                                        exit 1 when a status or category changed (a regression gate)
  bmaml-verify figure prop2_bias        one figure (runs the claims it is drawn from)
  bmaml-verify list                     every claim (with what it measures) and figure
  bmaml-verify bench                    the sweep benchmark (benchmarks/results/)
  bmaml-verify mnist1d --quick          the MNIST-1D study (needs: pip install -e ".[nn]")
"""

REPO = Path(__file__).resolve().parent.parent
EXIT_IO = 4  # an OS error while writing the output set (the previous set is intact)


def _in_checkout() -> bool:
    """True when running from the repository checkout (README and docs are rewritten only there)."""
    return (REPO / ".git").exists() and (REPO / "README.md").exists() and (REPO / "pyproject.toml").exists()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bmaml-verify",
        description="Check the claims of the FO-B-MAML paper (Chayti & Jaggi) and of Fallah et al.: run the claims, "
        "draw the figures, write the claims ledger.",
        epilog=EXAMPLES + "\n" + __doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"bmaml-theory {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, out_help: str) -> None:
        sp.add_argument("--quick", action="store_true", help="small grids (CI): may lose power, never flips a verdict")
        sp.add_argument("--out", type=Path, default=None, help=out_help)
        sp.add_argument(
            "--jobs",
            type=int,
            default=min(2, os.cpu_count() or 1),
            help="claim groups in parallel processes (default: 2; at most the number of cores, more is capped with a "
            "note)",
        )
        sp.add_argument(
            "--dask",
            metavar="ADDRESS",
            default=None,
            help="run the claim groups on the existing Dask cluster whose scheduler is at ADDRESS "
            "(e.g. tcp://127.0.0.1:8786; needs the dist extra; --jobs is then ignored); on the same machine and "
            "libraries, the same ledger bit for bit (docs/scale-out.md says which rows measure the machine)",
        )
        sp.add_argument("--seed", type=_seed, default=0, help="base seed of every random draw, 0..2^32-1 (default 0)")
        sp.add_argument(
            "--no-progress", action="store_true", help="no progress bar, heartbeat or per-claim progress lines"
        )
        sp.add_argument(
            "--strict",
            action="store_true",
            help="exit 1 when any claim is violated or errored; this paper has refuted statements, so a complete run "
            "always exits 1 with it: gate regressions with --check-against instead",
        )
        sp.add_argument(
            "--check-against",
            metavar="LEDGER",
            type=Path,
            default=None,
            help="exit 1 when any claim's status or category differs from LEDGER (a claims.json, or a JSON map "
            "{id: status} such as tests/golden/quick_statuses.json); the differences go to stderr",
        )

    sub.add_parser("list", help="every claim (with what it measures) and figure")
    a = sub.add_parser("all", help="run every claim, draw every figure, write the ledger")
    common(a, "output folder (default: ./figures); written as one set, swapped in at the end")
    a.add_argument(
        "--update-docs",
        action="store_true",
        help="maintainers: also rewrite README.md's results block and docs/claims.md (the committed record); refused "
        "unless every claim runs (no extra missing), from a clean checkout, default grids, seed 0, into ./figures",
    )
    a.add_argument(
        "--allow-dirty",
        action="store_true",
        help="with --update-docs: accept modified tracked files (the record then names a -dirty commit); the other "
        "conditions still apply",
    )
    r = sub.add_parser("run", help="run some claims and print one line each (--json: their ledger entries)")
    r.add_argument("claims", nargs="+", metavar="CLAIM", help="ids, or the paper's names ('Proposition 3', 'Cor. 2')")
    r.add_argument("--json", action="store_true", help="print the ledger entries as one JSON array on stdout")
    common(r, "also write their ledger (claims.json/.md/.csv) into this folder")
    for name, what in (("show", "print the verdict card of claims"), ("replay", "rerun a claim's counterexample")):
        sp = sub.add_parser(name, help=what + " (from a ledger; ids or the paper's names)")
        sp.add_argument("claims", nargs="+" if name == "show" else 1, metavar="CLAIM")
        sp.add_argument(
            "--ledger",
            type=Path,
            default=None,
            help="the claims.json to read (default: ./figures/claims.json, else the checkout's committed one)",
        )
        if name == "show":
            sp.add_argument("--json", action="store_true", help="the card's fields as JSON")
    c = sub.add_parser(
        "cards", help="write docs/claims.md (an index) and docs/claims/ID.md (a card each) from a ledger"
    )
    c.add_argument("--ledger", type=Path, default=None, help="default: ./figures/claims.json, else the checkout's")
    c.add_argument("--docs", type=Path, default=REPO / "docs", help="the docs folder (default: the checkout's docs/)")
    f = sub.add_parser("figure", help="draw some figures (runs the claims they are drawn from)")
    f.add_argument("figures", nargs="+", metavar="FIGURE")
    common(f, "output folder (default: ./figures)")
    b = sub.add_parser("bench", help="time the batched sweep against per-point solves")
    b.add_argument("--quick", action="store_true")
    b.add_argument("--out", type=Path, default=None, help="default: benchmarks/results of the checkout, else ./bench")
    b.add_argument(
        "--backend",
        default=None,
        help="compare this array backend (torch, jax, cupy, array_api_strict) with NumPy on this machine",
    )
    b.add_argument("--device", default=None, help="the backend's device: cpu, cuda, cuda:N (with --backend)")
    b.add_argument("--threads", type=int, default=None, help="BLAS / torch threads for both sides (with --backend)")
    b.add_argument(
        "--cases",
        default="documented,large",
        help="with --backend: comma-separated cases among documented, large, tiny (default documented,large)",
    )
    m = sub.add_parser("mnist1d", help="the MNIST-1D study on real networks (needs the nn extra)", add_help=False)
    m.add_argument("rest", nargs=argparse.REMAINDER)
    sub.add_parser("certify", help="re-prove violated ledger rows in exact or interval arithmetic", add_help=False)
    return p


def _seed(text: str) -> int:
    """--seed: an integer NumPy's SeedSequence accepts as one entropy word (0 <= seed < 2^32)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be an integer in [0, 2^32), got {text!r}") from None
    if not 0 <= v < 2**32:
        raise argparse.ArgumentTypeError(f"--seed must be in [0, 2^32) (NumPy seeds are non-negative), got {v}")
    return v


def _with_out(out_arg: Path, body) -> int:
    """``body(out)`` with ``out`` validated and locked against other runs; OutputError -> 2, an OS error -> 4."""
    from verify._io import OutputError, OutputLock, OutputWriteError, check_out_dir

    try:
        out = check_out_dir(out_arg)
        lock = OutputLock(out).acquire()
    except OutputError as exc:
        print(f"bmaml-verify: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"bmaml-verify: --out {out_arg}: cannot lock it ({type(exc).__name__}: {exc})", file=sys.stderr)
        return EXIT_IO
    try:
        return body(out)
    except OutputWriteError as exc:
        print(f"bmaml-verify: {exc}", file=sys.stderr)
        return EXIT_IO
    except OSError as exc:  # anything written outside the staged set (README.md, docs/)
        print(
            f"bmaml-verify: could not write {exc.filename or out} ({type(exc).__name__}: {exc.strerror or exc})",
            file=sys.stderr,
        )
        return EXIT_IO
    finally:
        lock.release()


def _unknown(kind: str, name: str, known: list[str]) -> int:
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean: {', '.join(near)}?" if near else ""
    print(f"bmaml-verify: unknown {kind} {name!r}.{hint} ('bmaml-verify list' names them all)", file=sys.stderr)
    return 2


def _list() -> int:
    from bmaml_theory.claims import REGISTRY
    from verify.figures import FIGURES

    print("claims (id, group, what `measured` is):")
    w = max(len(c) for c in REGISTRY) if REGISTRY else 10
    for cid, spec in REGISTRY.items():
        st = spec.statement
        need = f"  [needs {', '.join(st.requires)}]" if st.requires else ""
        print(f"  {cid:<{w}}  {st.group:<24} {st.source}: {st.measure}{need}")
    print("figures:")
    for name, fs in FIGURES.items():
        print(f"  {name:<28} {fs.description} (from {', '.join(fs.claims)})")
    return 0


def _run_or_usage(run_claims, ids, args: argparse.Namespace):
    """``run_claims`` with the command line's settings; None (after a one-line error) when --dask is unusable."""
    from verify.run import ClusterError

    try:
        return run_claims(
            ids,
            quick=args.quick,
            jobs=args.jobs,
            seed=args.seed,
            progress=not args.no_progress,
            log=args.command != "run",  # run prints each claim's line on stdout: no second one on stderr
            dask=args.dask,
        )
    except ClusterError as exc:
        print(f"bmaml-verify: {exc}", file=sys.stderr)
        return None


def _print_groups(outcome) -> None:
    """Each group's wall time in its worker against the expected (LPT) seconds, longest first."""
    if not outcome.groups:
        return
    print(
        f"groups on {outcome.backend} (wall s in the worker / expected s: verify/timings.json, same kind of run):",
        file=sys.stderr,
    )
    for g in sorted(outcome.groups, key=lambda g: -(g.seconds if g.seconds is not None else g.expected)):
        wall = "  --  " if g.seconds is None else f"{g.seconds:6.1f}"
        again = f", attempt {g.attempts}" if g.attempts > 1 else ""
        print(
            f"  {g.group:<28} {wall} / {g.expected:6.1f}  {len(g.claims):2d} claims  {g.worker}{again}",
            file=sys.stderr,
        )


def _print_summary(outcome, wrote: str) -> None:
    from verify.ledger import counts_phrase, summary

    s = summary(outcome.results, outcome.skipped)
    s["errored"] = 0  # printed below in capitals
    parts = [counts_phrase(s)]
    if outcome.errored:
        parts.append(f"{outcome.errored} ERRORED")
    if outcome.skipped:
        parts.append(f"{len(outcome.skipped)} skipped (optional extras not installed: not failed)")
    if outcome.figure_errors:
        parts.append(f"{len(outcome.figure_errors)} figures FAILED")
    if outcome.groups and (len(outcome.groups) > 1 or outcome.backend != "this process"):
        _print_groups(outcome)
    print(f"{len(outcome.results)} claims: {', '.join(parts)}; {wrote} in {outcome.seconds:.1f} s", file=sys.stderr)
    for r in outcome.results:
        if r.error:
            print(f"  errored: {r.id}: {r.error.splitlines()[0]}", file=sys.stderr)
    for name, err in outcome.figure_errors.items():
        print(f"  figure failed: {name}: {err}", file=sys.stderr)
    for s in outcome.skipped:
        print(f"  skipped: {s['id']} ({s['reason']})", file=sys.stderr)


def _exit_code(outcome, strict: bool, changed: list[str] | None = None) -> int:
    if outcome.errored or outcome.figure_errors:
        return 3
    if changed:
        return 1
    if strict and any(r.status == "violated" for r in outcome.results):
        return 1
    return 0


def _check_against(args: argparse.Namespace, outcome) -> list[str]:
    """The claims whose status or category differs from ``--check-against``'s (printed to stderr); [] if none."""
    if getattr(args, "check_against", None) is None:
        return []
    from verify.check import compare

    changed = compare(outcome.results, args.reference)
    if changed:
        print(f"bmaml-verify: {len(changed)} claims changed against {args.check_against}:", file=sys.stderr)
        for line in changed:
            print(f"  {line}", file=sys.stderr)
    else:
        print(f"bmaml-verify: every status and category as in {args.check_against}", file=sys.stderr)
    return changed


def _all(args: argparse.Namespace) -> int:
    from bmaml_theory.claims import REGISTRY
    from verify import record

    out_arg = args.out if args.out is not None else Path.cwd() / "figures"
    if args.allow_dirty and not args.update_docs:
        print("bmaml-verify: --allow-dirty goes with --update-docs", file=sys.stderr)
        return 2
    if args.update_docs:
        missing = {c: s.statement.missing() for c, s in REGISTRY.items() if s.statement.missing()}
        why = record.refusal_before_run(
            in_checkout=_in_checkout(),
            repo=REPO,
            out=Path(out_arg).expanduser().resolve(),
            quick=args.quick,
            seed=args.seed,
            missing=missing,
            allow_dirty=args.allow_dirty,
        )
        if why:
            print(f"bmaml-verify: {why}", file=sys.stderr)
            return 2
    return _with_out(out_arg, lambda out: _all_into(args, out))


def _all_into(args: argparse.Namespace, out: Path) -> int:
    from verify import ledger, record
    from verify._io import OutputSet
    from verify.figures import FIGURES
    from verify.run import draw_figures, run_claims

    t0 = time.perf_counter()
    outcome = _run_or_usage(run_claims, None, args)
    if outcome is None:
        return 2
    with OutputSet(out) as stage:
        outcome.figure_errors = draw_figures(outcome.results, stage, jobs=args.jobs)
        outcome.seconds = time.perf_counter() - t0
        figs = {
            n: outcome.figure_errors.get(n, "ok") for n in FIGURES if n in outcome.figure_errors or (stage / n).exists()
        }
        doc = ledger.write_ledger(
            stage, outcome.results, args.quick, outcome.seconds, outcome.skipped, figs, run=outcome.run_info()
        )
    _print_summary(outcome, f"wrote {out}/ (claims.json, claims.md, claims.csv, figures)")
    if args.update_docs:
        why = record.refusal_after_run(outcome)
        if why:
            print(f"bmaml-verify: --update-docs: README.md and docs/ left as they were: {why}", file=sys.stderr)
            return max(_exit_code(outcome, args.strict), 2)
        wrote = record.update_record(REPO, outcome, json.loads(json.dumps(doc)))
        print(f"updated the record: {', '.join(str(p.relative_to(REPO)) for p in wrote)}", file=sys.stderr)
    elif _in_checkout() and out == (REPO / "figures").resolve():
        print("README.md and docs/ left as they are (maintainers refresh them with --update-docs)", file=sys.stderr)
    return _exit_code(outcome, args.strict, _check_against(args, outcome))


def _existing_set(out: Path) -> dict | None:
    """The ledger of the output set already in ``out`` (None when there is none or it cannot be read)."""
    try:
        doc = json.loads((out / "claims.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _run(args: argparse.Namespace) -> int:
    from bmaml_theory.claims import REGISTRY
    from verify.show import resolve

    ids: list[str] = []
    for c in args.claims:
        got = resolve(c, list(REGISTRY))
        if not got:
            return _unknown("claim", c, list(REGISTRY))
        ids += [g for g in got if g not in ids]
    args.claims = ids
    if args.out is None:
        return _run_into(args, None)
    return _with_out(args.out, lambda out: _run_into(args, out))


def _run_into(args: argparse.Namespace, out: Path | None) -> int:
    from verify import cards, ledger
    from verify._io import OutputSet
    from verify.run import run_claims

    if out is not None:
        old = _existing_set(out)
        ids = [c["id"] for c in (old or {}).get("claims", []) if isinstance(c, dict)]
        if (out / "claims.json").exists() and sorted(ids) != sorted(set(args.claims)):
            print(
                f"bmaml-verify: --out {out} holds another output set ({len(ids)} claims); 'run' writes a set of its "
                "own claims only and never mixes sets: pass an empty or new folder (or 'all' to refresh the set)",
                file=sys.stderr,
            )
            return 2
    outcome = _run_or_usage(run_claims, args.claims, args)
    if outcome is None:
        return 2
    if args.json:
        print(json.dumps([r.to_json() for r in outcome.results], indent=1))
    else:
        w = max((len(r.id) for r in outcome.results), default=0)
        for r in outcome.results:
            print(cards.verdict_line(r.to_json(), w))
    wrote = "printed their entries"
    if out is not None:
        with OutputSet(out) as stage:  # every file of the set from one staging folder
            ledger.write_ledger(
                stage, outcome.results, args.quick, outcome.seconds, outcome.skipped, None, run=outcome.run_info()
            )
        wrote = f"wrote {out}/claims.json, claims.md, claims.csv"
    _print_summary(outcome, wrote)
    return _exit_code(outcome, args.strict, _check_against(args, outcome))


def _figure(args: argparse.Namespace) -> int:
    from verify.figures import FIGURES

    names = []
    for f in args.figures:
        name = f if f in FIGURES else f"{f}.png"
        if name not in FIGURES:
            return _unknown("figure", f, [n.removesuffix(".png") for n in FIGURES])
        names.append(name)
    return _with_out(
        args.out if args.out is not None else Path.cwd() / "figures", lambda out: _figure_into(args, out, names)
    )


def _figure_into(args: argparse.Namespace, out: Path, names: list[str]) -> int:
    import shutil

    from verify._io import OutputSet
    from verify.figures import FIGURES
    from verify.run import draw_figures, run_claims

    old = _existing_set(out)
    if old is not None and (bool(old.get("quick")) != args.quick or _set_seed(old) not in (None, args.seed)):
        print(
            f"bmaml-verify: --out {out} holds a set from a {'--quick' if old.get('quick') else 'default'} run"
            f"{'' if _set_seed(old) is None else f' (seed {_set_seed(old)})'}; a figure drawn with other settings "
            "would not match its ledger: pass the same --quick/--seed, or another --out",
            file=sys.stderr,
        )
        return 2
    need = list(dict.fromkeys(c for n in names for c in FIGURES[n].claims))
    outcome = _run_or_usage(run_claims, need, args)
    if outcome is None:
        return 2
    with OutputSet(out) as stage:  # the set's other files carried over, the new figures drawn beside them, one swap
        if out.exists():
            shutil.copytree(out, stage, dirs_exist_ok=True)
        outcome.figure_errors = draw_figures(outcome.results, stage, names)
    for n in names:
        if n not in outcome.figure_errors:
            print(f"wrote {out / n} (and its data, {Path(n).with_suffix('.csv')})")
    _print_summary(outcome, "drew " + ", ".join(names))
    return _exit_code(outcome, args.strict, _check_against(args, outcome))


def _set_seed(doc: dict) -> int | None:
    """The base seed an output set's ledger records (None where it does not say)."""
    run = (doc.get("provenance") or {}).get("run") or {}
    seed = run.get("seed") if isinstance(run, dict) else None
    return seed if isinstance(seed, int) else None


def _bench(args: argparse.Namespace) -> int:
    from verify.bench import run_backend_bench, run_bench

    out = args.out or (REPO / "benchmarks" / "results" if _in_checkout() else Path.cwd() / "bench")
    if args.backend is not None or args.device is not None:
        try:
            r = run_backend_bench(
                out,
                args.backend or "numpy",
                args.device,
                quick=args.quick,
                cases=tuple(c.strip() for c in args.cases.split(",") if c.strip()),
                threads=args.threads,
            )
        except (RuntimeError, ValueError, TypeError) as exc:
            print(f"bmaml-verify bench: {exc}", file=sys.stderr)
            return 2
        for c in r["cases"]:
            print(
                f"{c['case']} {c['name']}: numpy {c['numpy_seconds']:.3g} s, {r['backend']} on {r['device']} "
                f"{c['backend_seconds']:.3g} s, ratio numpy/{r['backend']} = {c['ratio']:.2f} "
                f"(max rel diff {c['max_rel_diff']:.1e})"
            )
        print(
            f"device: {r['device_description']}; load average {r['load_average_before']} -> "
            f"{r['load_average_after']}; wrote {out}"
        )
        return 0
    r = run_bench(out, args.quick)
    for c in r["cases"][:1]:
        print(
            f"{c['name']}: sweep {c['seconds']:.3f} s, per-point dense {c['baseline_seconds']:.2f} s "
            f"(x{c['speedup']:.0f}), floor {c['floor_seconds']:.3f} s (x{c['ratio_to_floor']:.2f})"
        )
    print(f"scaling exponents {r['scaling_exponents']}; wrote {out}/bench.json, bench_scaling.png")
    if _in_checkout() and args.out is None and not args.quick:
        from verify.bench import update_readme

        update_readme(REPO / "README.md", r)  # the README's Performance table is this run's
        print("updated README.md's Performance table")
    return 0 if r["main_case_meets_targets"] else 1


def _mnist1d(rest: list[str]) -> int:
    import importlib.util

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("mnist1d") is None:
        print('bmaml-verify mnist1d needs the nn extra: pip install -e ".[nn]"', file=sys.stderr)
        return 2
    from verify import mnist1d

    return int(mnist1d.main(rest))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {
        "list",
        "all",
        "run",
        "show",
        "replay",
        "cards",
        "figure",
        "bench",
        "mnist1d",
        "certify",
        "-h",
        "--help",
    }
    commands.add("--version")
    if argv and argv[0] not in commands and not argv[0].startswith("-"):
        # the 0.1 form 'python -m verify NAME': a claim id (or the paper's name of one) or a figure name
        from bmaml_theory.claims import REGISTRY
        from verify.figures import FIGURES
        from verify.show import resolve

        if resolve(argv[0], list(REGISTRY)):
            argv = ["run", *argv]
        elif argv[0] in FIGURES or f"{argv[0]}.png" in FIGURES:
            argv = ["figure", *argv]
        else:
            return _unknown(
                "command, claim or figure",
                argv[0],
                sorted(commands - {"-h", "--help", "--version"}) + list(REGISTRY) + list(FIGURES),
            )
    if argv and argv[0] == "mnist1d":
        return _mnist1d(argv[1:])
    if argv and argv[0] == "certify":
        from verify import certify

        return certify.main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    if getattr(args, "jobs", 1) < 1:
        print("bmaml-verify: --jobs must be >= 1", file=sys.stderr)
        return 2
    cores = os.cpu_count() or 1
    if getattr(args, "jobs", 1) > cores and getattr(args, "dask", None) is None:
        print(
            f"bmaml-verify: note: --jobs {args.jobs} > {cores} cores; using --jobs {cores} (more processes than "
            "cores only compete for them)",
            file=sys.stderr,
        )
        args.jobs = cores
    if getattr(args, "check_against", None) is not None:
        from verify.check import load_reference

        try:
            args.reference = load_reference(args.check_against)
        except ValueError as exc:
            print(f"bmaml-verify: {exc}", file=sys.stderr)
            return 2
    from verify import show

    commands_fn = {
        "list": lambda a: _list(),
        "all": _all,
        "run": _run,
        "figure": _figure,
        "bench": _bench,
        "show": lambda a: show.show(a.claims, a.ledger, a.json),
        "replay": lambda a: show.replay(a.claims[0], a.ledger),
        "cards": lambda a: show.write_cards(a.ledger, a.docs),
    }
    try:
        return commands_fn[args.command](args)
    except BrokenPipeError:  # the reader closed the pipe (| head): not an error of ours
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stays open until exit: Python flushes stdout then)
        return 0
    except KeyboardInterrupt:
        print(
            "bmaml-verify: interrupted (Ctrl-C); nothing was written, the previous output set is kept",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
