"""The claims ledger (schema 3): ``claims.json`` (validated by ``bmaml_theory/claims/ledger.schema.json``),
``claims.md`` (for reading) and ``claims.csv`` (tidy: one row per claim, numeric columns)."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

from bmaml_theory import __version__
from bmaml_theory.claims import ClaimResult
from bmaml_theory.claims._core import CATEGORIES, SCHEMA_VERSION, STATUSES, provenance_base
from verify._io import write_text

__all__ = [
    "claims_csv",
    "counts_phrase",
    "ledger_doc",
    "ledger_md",
    "readme_block",
    "schema",
    "status_label",
    "summary",
    "update_readme",
]

ICON = {
    "holds": "holds",
    "violated": "**VIOLATED**",
    "scope": "_scope_",
    "inconclusive": "_inconclusive_",
    "not-reproduced": "_not reproduced_",
}

STATUS_TEXT = """\
Statuses:

- **holds**: every measurement satisfies the threshold and nothing failed (a search with failed evaluations, an
  error or a timeout can never read holds);
- **violated**: a reading of the printed statement is refuted; the entry carries a counterexample whose `replay`
  recomputes the number through the public API (the test suite replays every one). Its `category`, declared with the
  statement before the run, says which reading: a **refutation** (the statement as its authors evidently mean it,
  under its standing assumptions, is false) or a **slip** (only a literal or misprinted reading fails; the row named
  in `intended` checks the evident intended reading);
- **scope**: a fact about which assumptions a result needs (e.g. a rate that needs a regularity the standing
  assumptions do not give), with an instance that reruns; it refutes no printed sentence (category `scope`);
- **inconclusive**: nothing refutes the statement, but the check cannot support *holds* (an error, a failed or
  non-finite evaluation, no measurement, or a `--quick` run without the power to decide); the decision says which;
- **not reproduced**: a sentence about an experiment whose settings the paper does not give, which our reproduction
  does not confirm with a powered comparison (an unpowered one, or one whose arms did not learn, is inconclusive);
  this is not a refutation, and its `category` is empty: without the paper's settings no reading can be refuted.

Columns: `kind` (identity, upper_bound, rate, complexity, empirical); `form` (which printed form is checked: an
O(.) statement, an explicit constant, a sentence about an experiment); `measure` (what the number `measured` is, with
its unit); `threshold` (the comparison that decides: `<=` means measured <= value + tolerance, `>=` means measured >=
value - tolerance, `within` means |measured - value| <= tolerance); `tolerance` (fixed before the run; its reason is
in the entry). `measured` is always a number, or empty: `inf` marks an unbounded measurement (e.g. never converges).
"""


def schema() -> dict:
    """The published JSON Schema of ``claims.json``."""
    text = resources.files("bmaml_theory.claims").joinpath("ledger.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def summary(results: list[ClaimResult], skipped: list[dict]) -> dict:
    """Counts by status, errors, and the negative findings by category (refutations + slips = violated)."""
    s: dict = {k: sum(r.status == k for r in results) for k in STATUSES}
    s["errored"] = sum(r.error is not None for r in results)
    s["categories"] = {c: sum(r.category == c for r in results) for c in CATEGORIES}
    s["skipped"] = skipped
    return s


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def counts_phrase(s: dict) -> str:
    """The one sentence every output closes with: the three kinds of finding counted apart, e.g.
    ``37 holds, 10 refutations, 2 slips, 1 scope finding, 0 inconclusive, 6 not reproduced``."""
    c = s["categories"]
    return ", ".join(
        [
            f"{s['holds']} holds",
            _n(c["refutation"], "refutation", "refutations"),
            _n(c["slip"], "slip", "slips"),
            _n(c["scope"], "scope finding", "scope findings"),
            f"{s['inconclusive']} inconclusive",
            f"{s['not-reproduced']} not reproduced",
        ]
    ) + (f", {s['errored']} errored" if s["errored"] else "")


def status_label(r: ClaimResult) -> str:
    """The status with its category, for the tables: ``violated (slip)``, ``scope``, ``holds``."""
    return f"{r.status} ({r.category})" if r.status == "violated" else r.status


def ledger_doc(
    results: list[ClaimResult],
    quick: bool,
    seconds: float,
    skipped: list[dict],
    figures: dict[str, str] | None = None,
    run: dict | None = None,
) -> dict:
    """The claims.json document; ``run`` (where it ran, each group's wall time) goes into its top-level provenance."""
    return {
        "schema": SCHEMA_VERSION,
        "package_version": __version__,
        "quick": quick,
        "seconds": round(seconds, 2),
        "provenance": {**provenance_base(), **({"run": run} if run else {})},
        "summary": summary(results, skipped),
        "figures": dict(figures or {}),
        "claims": [r.to_json() for r in results],
    }


def _fmt(v: float | None, unbounded: bool = False) -> str:
    if unbounded:
        return "inf"
    if v is None:
        return ""
    return f"{v:.6g}"


def _thr(r: ClaimResult) -> str:
    t = r.statement.threshold
    return {"<=": "≤ {v}", ">=": "≥ {v}", "within": "= {v} ±tol"}[t.comparison].format(v=f"{t.value:.6g}")


def _short_json(v: object, limit: int = 600) -> str:
    s = json.dumps(v, default=str)
    return s if len(s) <= limit else s[:limit] + " … (see claims.json)"


def _evidence_lines(ev: dict) -> list[str]:
    out = []
    for k, v in ev.items():
        if isinstance(v, (dict, list)):
            out.append(f"- `{k}`:")
            out += ["", "  ```json", "  " + json.dumps(v, default=str, indent=None)[:4000], "  ```", ""]
        else:
            out.append(f"- `{k}`: {v if not isinstance(v, float) else f'{v:.6g}'}")
    return out


def ledger_md(results: list[ClaimResult], quick: bool, figure_prefix: str, seconds: float, skipped: list[dict]) -> str:
    s = summary(results, skipped)
    lines = [
        "# Claims ledger",
        "",
        "Generated by `python -m verify all" + (" --quick" if quick else "") + f"`; do not edit by hand. "
        f"This run took {seconds:.1f} s: {len(results)} claims: {counts_phrase(s)}.",
        "",
        STATUS_TEXT,
    ]
    if skipped:
        lines += ["Skipped (not failed): " + "; ".join(f"`{x['id']}` ({x['reason']})" for x in skipped), ""]
    lines += [
        "| id | source | form | status | measured | threshold | tolerance | measure |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        st = r.statement
        lines.append(
            f"| [`{r.id}`](#{r.id}) | {st.source} | {st.form} | {ICON[r.status]}"
            + (f" ({r.category})" if r.status == "violated" else "")
            + f" | {_fmt(r.measured, r.unbounded)} | "
            f"{_thr(r)} | {st.tolerance.value:.3g} | {st.measure} |"
        )
    for r in results:
        st = r.statement
        lines += [
            "",
            f"## {r.id}",
            "",
            f"**{st.source}** ({st.kind}; {st.form}).",
            "",
            f"> {st.statement}",
            "",
            f"*Assumptions:* {st.assumptions}",
            "",
            f"*Measure:* {st.measure}. *Tolerance:* {st.tolerance.value:.3g} ({st.tolerance.reason}).",
            "",
            f"**Status: {status_label(r)}.** {r.decision}",
        ]
        if r.category == "slip":
            lines += ["", f"*Slip:* the evident intended reading is the row [`{st.intended}`](#{st.intended})."]
        elif r.category == "scope":
            lines += [
                "",
                "*Scope finding:* it refutes no printed sentence; it shows which assumptions the result needs.",
            ]
        if r.error:
            lines += ["", "Error (the check did not complete; fail closed):", "", "```", r.error.strip()[:2000], "```"]
        if st.figure:
            lines += ["", f"![{st.figure}]({figure_prefix}{st.figure})"]
        if r.evidence:
            lines += ["", "Evidence:", "", *_evidence_lines(r.evidence)]
        if r.counterexample is not None:
            lines += [
                "",
                "Counterexample (replay it with "
                f"`{r.counterexample['replay']['target']}(**kwargs)`; it returns the measured number):",
                "",
                "```json",
                json.dumps(r.to_json()["counterexample"], default=str),
                "```",
            ]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = [
    "id", "group", "kind", "status", "category", "intended", "measured", "unbounded", "threshold", "comparison", "tolerance",
    "seconds", "errored", "source", "form", "measure",
]  # fmt: skip


def claims_csv(results: list[ClaimResult]) -> str:
    """One row per claim; ``measured`` is a number (``inf`` when unbounded, empty when nothing was measured)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in results:
        st = r.statement
        w.writerow(
            {
                "id": r.id,
                "group": st.group,
                "kind": st.kind,
                "status": r.status,
                "category": r.category or "",
                "intended": st.intended or "",
                "measured": "inf" if r.unbounded else ("" if r.measured is None else repr(float(r.measured))),
                "unbounded": str(r.unbounded).lower(),
                "threshold": repr(float(st.threshold.value)),
                "comparison": st.threshold.comparison,
                "tolerance": repr(float(st.tolerance.value)),
                "seconds": r.provenance.get("seconds", ""),
                "errored": str(r.error is not None).lower(),
                "source": st.source,
                "form": st.form,
                "measure": st.measure,
            }
        )
    return buf.getvalue()


README_START = "<!-- ledger:start (written by python -m verify all; do not edit) -->"
README_END = "<!-- ledger:end -->"


def readme_block(results: list[ClaimResult], seconds: float, skipped: list[dict]) -> str:
    """The README's results table: the default run's statuses and measured values."""
    rows = ["| claim | form | status | measured | threshold | measure |", "|---|---|---|---|---|---|"]
    for r in results:
        st = r.statement
        rows.append(
            f"| `{r.id}` | {st.form} | {status_label(r)} | {_fmt(r.measured, r.unbounded)} | {_thr(r)} | {st.measure} |"
        )
    s = summary(results, skipped)
    tail = (
        f"\n\n{len(results)} claims: {counts_phrase(s)}"
        + (f"; skipped {len(skipped)} (optional extras not installed)" if skipped else "")
        + f". The default run that wrote this table took {seconds:.1f} s."
    )
    return "\n".join(rows) + tail


def update_readme(path: Path, results: list[ClaimResult], seconds: float, skipped: list[dict]) -> None:
    """Replace the marked block of ``path`` (README.md) with :func:`readme_block`, atomically."""
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise ValueError(f"{path} lacks the ledger markers {README_START!r} ... {README_END!r}")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    write_text(path, f"{head}{README_START}\n{readme_block(results, seconds, skipped)}\n{README_END}{tail}")


def write_ledger(
    stage: Path,
    results: list[ClaimResult],
    quick: bool,
    seconds: float,
    skipped: list[dict],
    figures: dict[str, str] | None = None,
    run: dict | None = None,
) -> dict:
    """Write claims.json, claims.md and claims.csv into ``stage``; returns the JSON document."""
    doc = ledger_doc(results, quick, seconds, skipped, figures, run)
    write_text(stage / "claims.json", json.dumps(doc, indent=1, allow_nan=False) + "\n")
    write_text(stage / "claims.md", ledger_md(results, quick, "", seconds, skipped))
    write_text(stage / "claims.csv", claims_csv(results))
    return doc
