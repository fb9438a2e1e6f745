"""``bmaml-verify show|replay|cards``: one statement's verdict card, its counterexample rerun, the docs' cards.

Claims are named by id (``prop3``) or by the paper's name: "Proposition 3", "Prop. 3", "Cor. 2", "Corollary 2",
"Theorem 1", "eq. (12)", "Fig. 1 (left)", "Table 1", "Assumption 3" (:func:`resolve`).  ``show`` and ``replay``
read a ledger (``--ledger``; default ``./figures/claims.json`` when it exists, else the checkout's committed one).

Exit codes of ``replay``: 0 every recomputed number agrees with the recorded one; 1 some recomputed number differs
(relative difference above :data:`REPLAY_RTOL`, the test suite's criterion); 2 an unknown claim, no ledger, or
nothing to replay (a claim that holds has no counterexample); 3 the replay raised.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
from pathlib import Path

from verify import cards

__all__ = ["REPLAY_RTOL", "default_ledger", "load_ledger", "replay", "resolve", "show", "write_cards"]

REPO = Path(__file__).resolve().parent.parent
# a replay reruns the same code on the same inputs, so only the platform's rounding (libm, BLAS summation order,
# the solvers' stopping at machine precision) separates the two numbers: tests/test_ledger.py replays every
# counterexample with rel=1e-6, abs=1e-12, and so does this command
REPLAY_RTOL, REPLAY_ATOL = 1e-6, 1e-12

_WORDS = {
    "proposition": "prop",
    "prop": "prop",
    "corollary": "cor",
    "cor": "cor",
    "theorem": "thm",
    "thm": "thm",
    "equation": "eq",
    "eqs": "eq",
    "eq": "eq",
    "figure": "fig",
    "fig": "fig",
    "table": "table",
    "tab": "table",
    "assumption": "assumption",
    "lemma": "lemma",
}


def _paper_key(name: str) -> str | None:
    """'Proposition 3' -> 'prop3', 'Fig. 1 (left)' -> 'fig1-left', 'eq. (12)' -> 'eq12'; None if not of that form."""
    words = re.findall(r"[a-z]+|\d+", name.lower())
    if words and words[0] == "the":
        words = words[1:]
    if len(words) < 2 or words[0] not in _WORDS or not words[1].isdigit():
        return None
    return "-".join([_WORDS[words[0]] + words[1], *words[2:]])


def resolve(name: str, known: list[str] | None = None) -> list[str]:
    """The claim ids ``name`` stands for: itself if it is an id, else by the paper's name.

    "Proposition 3" / "Prop. 3" / "prop 3" -> ``["prop3"]``; a name whose key is no id but prefixes some stands for
    all of them ("eq. (12)" -> ``["eq12-forward", "eq12-symmetric"]``).  Unknown names give ``[]``.
    """
    if known is None:
        from bmaml_theory.claims import REGISTRY

        known = list(REGISTRY)
    if name in known:
        return [name]
    key = _paper_key(name)
    if key is None:
        return []
    if key in known:
        return [key]
    return [k for k in known if k.startswith(key + "-")]


def related(cid: str, known: list[str]) -> list[str]:
    """Other ids of the same printed statement (``prop2`` -> ``prop2-explicit``)."""
    return [k for k in known if k != cid and k.startswith(cid + "-")]


def default_ledger() -> Path:
    """./figures/claims.json when it exists (the reader's own run), else the checkout's committed ledger."""
    here = Path.cwd() / "figures" / "claims.json"
    return here if here.exists() else REPO / "figures" / "claims.json"


def load_ledger(path: Path | None) -> tuple[Path, dict]:
    """The ledger document at ``path`` (default :func:`default_ledger`); ``ValueError`` naming the fix if unusable."""
    p = Path(path) if path is not None else default_ledger()
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(
            f"no ledger at {p}: run 'bmaml-verify all' (or 'run ID --out DIR') first, or pass --ledger PATH"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ValueError(f"--ledger {p}: not a readable claims.json ({exc})") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("claims"), list):
        raise ValueError(f"--ledger {p}: not a claims ledger (no 'claims' list)")
    return p, doc


def _ids_or_error(names: list[str], known: list[str]) -> list[str] | None:
    import difflib

    ids: list[str] = []
    for n in names:
        got = resolve(n, known)
        if not got:
            near = difflib.get_close_matches(n, known, n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(near)}?" if near else ""
            print(
                f"bmaml-verify: unknown claim {n!r}.{hint} (ids, or the paper's names such as 'Proposition 3', "
                "'Cor. 2', 'Theorem 1'; 'bmaml-verify list' names them all)",
                file=sys.stderr,
            )
            return None
        ids += [g for g in got if g not in ids]
    return ids


def show(names: list[str], ledger: Path | None = None, as_json: bool = False) -> int:
    """Print the verdict card of each named claim (one screen each); 2 for an unknown claim or no ledger."""
    try:
        path, doc = load_ledger(ledger)
    except ValueError as exc:
        print(f"bmaml-verify: {exc}", file=sys.stderr)
        return 2
    entries = {e["id"]: e for e in doc["claims"]}
    from bmaml_theory.claims import REGISTRY

    known = list(dict.fromkeys([*REGISTRY, *entries]))
    ids = _ids_or_error(names, known)
    if ids is None:
        return 2
    errata = cards.errata_index()
    out = []
    for k, cid in enumerate(ids):
        if cid not in entries:
            print(
                f"bmaml-verify: {cid} is not in the ledger {path} (skipped there, or a newer claim): "
                f"'bmaml-verify run {cid}' runs it",
                file=sys.stderr,
            )
            return 2
        c = cards.card(entries[cid], path, errata)
        if as_json:
            out.append(
                {
                    **c.entry,
                    "card": {
                        "verdict": cards.verdict_line(c.entry, 1),
                        "replay_command": c.replay_command,
                        "errata": [r.__dict__ for r in c.errata],
                        "errata_mentions": [r.__dict__ for r in c.mentions],
                        "figure_path": c.figure_path,
                        "code": [p for p in (c.code, c.replay_code) if p],
                        "tests": c.tests,
                    },
                }
            )
            continue
        if k:
            print()
        print(cards.card_text(c))
        also = [r for r in related(cid, known) if r not in ids]
        if also:
            print(f"{'see also':<12}{', '.join(also)} (the same statement read another way)")
    if as_json:
        print(json.dumps(out if len(out) != 1 else out[0], indent=1))
    return 0


def _close(got: float, want: float | None, unbounded: bool) -> bool:
    if unbounded:
        return got == math.inf
    if want is None or not math.isfinite(got):
        return False
    return abs(got - want) <= max(REPLAY_ATOL, REPLAY_RTOL * abs(want))


def _replays(entry: dict) -> list[tuple[str, dict, float | None, bool]]:
    """(label, replay, recorded value, unbounded) for the counterexample, its family and the corrected bound."""
    ce = entry.get("counterexample") or {}
    out = []
    if ce.get("replay"):
        out.append(("counterexample", ce["replay"], ce.get("value"), bool(ce.get("unbounded"))))
    for m in ce.get("family") or []:
        if m.get("replay"):
            out.append((f"  family t={m.get('t'):g}", m["replay"], m.get("value"), False))
    corr = (entry.get("evidence") or {}).get("corrected")
    if isinstance(corr, dict) and isinstance(corr.get("replay"), dict) and corr.get("worst_ratio") is not None:
        out.append(("corrected bound (worst ratio)", corr["replay"], corr["worst_ratio"], False))
    return out


def replay(name: str, ledger: Path | None = None) -> int:
    """Rerun a claim's recorded counterexample (and its family, and the corrected bound's worst case) through the
    public API and print the recorded and the recomputed number side by side; exit codes in the module doc."""
    try:
        path, doc = load_ledger(ledger)
    except ValueError as exc:
        print(f"bmaml-verify: {exc}", file=sys.stderr)
        return 2
    from bmaml_theory.claims import REGISTRY, Replay

    entries = {e["id"]: e for e in doc["claims"]}
    ids = _ids_or_error([name], list(dict.fromkeys([*REGISTRY, *entries])))
    if ids is None:
        return 2
    with_ce = [i for i in ids if i in entries and _replays(entries[i])]
    if not with_ce:
        which = ", ".join(f"{i} ({entries[i]['status']})" if i in entries else f"{i} (not in {path})" for i in ids)
        print(
            f"bmaml-verify: nothing to replay for {which}: the ledger records a counterexample only for a refuted "
            "statement ('bmaml-verify show ID' shows the verdict)",
            file=sys.stderr,
        )
        return 2
    rc = 0
    for cid in with_ce:
        e = entries[cid]
        missing = REGISTRY[cid].statement.missing() if cid in REGISTRY else []
        for _, rep, _, _ in _replays(e):
            with contextlib.suppress(Exception):  # an unregistered or malformed target: the replay below reports it
                missing += Replay(rep["target"], rep.get("kwargs") or {}).missing()
        missing = sorted(set(missing))
        if missing:
            print(f"bmaml-verify: replaying {cid} needs {', '.join(missing)}: pip install -e '.[nn]'", file=sys.stderr)
            return 2
        print(f"{cid}: {e['status']}" + (f" ({e['category']})" if e.get("category") else "") + f"   ledger {path}")
        print(f"  {'':<30} {'recorded':>22} {'recomputed':>22}  agree")
        for label, rep, want, unbounded in _replays(e):
            try:
                got = Replay(rep["target"], rep.get("kwargs") or {}).run()
            except Exception as exc:  # the replay itself failed: report it, never a silent pass
                print(f"  {label:<30} {'inf' if unbounded else repr(want):>22} {'ERROR':>22}")
                print(f"bmaml-verify: {cid}: {label.strip()} raised {type(exc).__name__}: {exc}", file=sys.stderr)
                rc = max(rc, 3)
                continue
            ok = _close(got, want, unbounded)
            rec = "inf" if unbounded else repr(want)
            print(f"  {label:<30} {rec:>22} {got!r:>22}  {'yes' if ok else 'NO'}")
            if not ok:
                rc = max(rc, 1)
        print(f"  target {e['counterexample']['replay']['target']} (agree: relative difference <= {REPLAY_RTOL:g})")
    return rc


def write_cards(ledger: Path | None, docs: Path) -> int:
    """Write docs/claims.md (the index) and docs/claims/ID.md (a card per claim) from a ledger."""
    try:
        path, doc = load_ledger(ledger)
    except ValueError as exc:
        print(f"bmaml-verify: {exc}", file=sys.stderr)
        return 2
    written = cards.write_docs(doc, docs, path)
    print(f"wrote {docs / 'claims.md'} and {len(written) - 1} cards under {docs / 'claims'}/ from {path}")
    return 0
