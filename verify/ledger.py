"""The claims ledger (schema 3): ``claims.json`` (validated by ``bmaml_theory/claims/ledger.schema.json``),
``claims.md`` (for reading) and ``claims.csv`` (tidy: one row per claim, numeric columns)."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib import resources
from pathlib import Path

from bmaml_theory import __version__
from bmaml_theory.claims import ClaimResult
from bmaml_theory.claims._core import CATEGORIES, SCHEMA_VERSION, STATUSES, provenance_base
from verify._io import write_text

__all__ = [
    "DOC_NUMBER_PAGES",
    "claims_csv",
    "counts_phrase",
    "fill_doc_numbers",
    "ledger_doc",
    "ledger_md",
    "ledger_value",
    "readme_block",
    "schema",
    "status_label",
    "summary",
    "update_doc_numbers",
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
    s["hedged_refutations"] = sum(r.category == "refutation" and r.statement.hedged for r in results)
    s["skipped"] = skipped
    return s


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def counts_phrase(s: dict) -> str:
    """The one sentence every output closes with: the three kinds of finding counted apart, e.g.
    ``37 holds, 10 refutations (1 of a hedged sentence), 2 slips, 1 scope finding, 0 inconclusive, 6 not reproduced``
    (the parenthesis only when a refuted sentence is hedged, as "prima facie")."""
    c = s["categories"]
    h = s.get("hedged_refutations", 0)
    return ", ".join(
        [
            f"{s['holds']} holds",
            _n(c["refutation"], "refutation", "refutations") + (f" ({h} of a hedged sentence)" if h else ""),
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


def _certificate_line(c: dict) -> str:
    """One line on a violated row's certificate (docs/certification.md)."""
    if c.get("status") in ("certified", "failed") and c.get("lower") is not None:
        return (
            f"**Certificate ({c['status']}, {c['method']}, {c['digits']} digits, {c['seconds']:.2f} s):** "
            f"{c['quantity']} in [{c['lower']!r}, {c['upper']!r}] against {c['comparison']} {c['threshold']:g} "
            f"(tolerance {c['tolerance']:g}); {c['reason']}."
        )
    return f"**Certificate ({c.get('status')}):** {c.get('reason', '')}."


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
        if r.certificate:
            lines += ["", _certificate_line(r.certificate)]
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


README_START = "<!-- ledger:start (written by python -m verify all --update-docs; do not edit) -->"
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


# --- numbers quoted in the docs, written by the run that measured them ----------------------------------------------
# A page quotes a ledger value as  <!--ledger:ID:PATH:FMT-->VALUE<!--/ledger-->  (the markers do not render): ID a
# claim id, PATH a dotted path into its claims.json entry (dict keys; integers index lists), FMT a format spec
# (".3g"); `verify all` (the default run, from the checkout) rewrites VALUE from the ledger it has just written, and
# the tests check every marked value against the committed ledger.  An unbounded `measured` reads "inf".
DOC_NUMBER = re.compile(
    r"<!--ledger:(?P<id>[a-z0-9][a-z0-9-]*):(?P<path>[A-Za-z0-9_.-]+):(?P<fmt>[^>]*?)-->(?P<value>.*?)<!--/ledger-->",
    re.S,
)
DOC_NUMBER_PAGES = ("docs/errata.md", "docs/methods.md")


def ledger_value(doc: dict, cid: str, path: str) -> object:
    """The value at ``path`` (dotted: dict keys, integer list indices) of claim ``cid``'s entry in a claims.json
    document; ``KeyError`` naming what is missing."""
    entry = next((e for e in doc["claims"] if e["id"] == cid), None)
    if entry is None:
        raise KeyError(f"no claim {cid!r} in the ledger")
    v: object = entry
    for part in path.split("."):
        if isinstance(v, list) and part.lstrip("-").isdigit():
            v = v[int(part)]
        elif isinstance(v, dict) and part in v:
            v = v[part]
        else:
            raise KeyError(f"claim {cid!r} has no {path!r} (stopped at {part!r})")
    if path == "measured" and v is None and entry.get("unbounded"):
        return float("inf")
    return v


def _format(v: object, fmt: str) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if v == float("inf"):
        return "inf"
    return format(v, fmt) if fmt else repr(v)


def fill_doc_numbers(text: str, doc: dict, *, strict: bool = True) -> tuple[str, list[str]]:
    """Rewrite every marked value of ``text`` from the ledger ``doc``; returns (text, problems).  A marker whose
    claim is absent from ``doc`` (skipped: an extra not installed) keeps its value and is reported; with ``strict``
    a path that the entry lacks raises ``KeyError`` (a defect of the page)."""
    problems: list[str] = []
    ids = {e["id"] for e in doc["claims"]}

    def sub(m: re.Match) -> str:
        cid, path, fmt = m["id"], m["path"], m["fmt"]
        if cid not in ids:
            problems.append(f"{cid}:{path}: claim not in this ledger (kept {m['value']!r})")
            return m.group(0)
        try:
            value = _format(ledger_value(doc, cid, path), fmt)
        except (KeyError, IndexError, ValueError) as exc:
            if strict:
                raise
            problems.append(str(exc))
            return m.group(0)
        return f"<!--ledger:{cid}:{path}:{fmt}-->{value}<!--/ledger-->"

    return DOC_NUMBER.sub(sub, text), problems


def update_doc_numbers(root: Path, doc: dict, pages: tuple[str, ...] = DOC_NUMBER_PAGES) -> list[str]:
    """Refill the marked numbers of ``pages`` (relative to ``root``) from ``doc``, atomically per page; returns the
    problems (claims absent from this ledger, paths a page names wrongly) instead of failing the run."""
    problems: list[str] = []
    for page in pages:
        path = root / page
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        new, probs = fill_doc_numbers(text, doc, strict=False)
        problems += [f"{page}: {p}" for p in probs]
        if new != text:
            write_text(path, new)
    return problems
