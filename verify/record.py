"""Refreshing the committed record (README.md's results block, docs/claims.md, figures/): a maintainer's explicit step.

A reader's ``verify all`` writes its output set (``./figures`` or ``--out``) and nothing else.  ``verify all
--update-docs`` also rewrites the generated parts of README.md and docs/, and only from a run that can stand as the
project's record:

* from the checkout, into its ``figures/``, the default grids (no ``--quick``) and seed 0;
* every registered claim runnable (no optional extra missing: a record without the MNIST-1D rows would silently drop
  them), and afterwards none errored and no figure failed;
* a clean working tree (``git status`` shows no modified tracked file outside the generated paths below), so that the
  record's ``git_commit`` names the code that produced it.  ``--allow-dirty`` lifts this last condition only, for a
  maintainer regenerating before committing; it never lifts the others.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["GENERATED", "dirty_paths", "refusal_after_run", "refusal_before_run", "update_record"]

# Paths the record refresh (or a plain run into ./figures) writes: their changes never make the tree "dirty" here.
GENERATED = ("figures", "figures-mnist1d", "docs/claims.md", "docs/claims")


CODE = ("bmaml_theory/", "verify/", "pyproject.toml")  # where an untracked file can change what the record measures


def dirty_paths(repo: Path) -> list[str] | None:
    """Changes the record's commit would not name: modified tracked files outside :data:`GENERATED`, and untracked
    files under :data:`CODE` (a new claim module not yet added); None when git cannot tell."""
    cmd = ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=all", "--", "."]
    cmd += [f":(exclude){p}" for p in GENERATED]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    paths = []
    for line in out.splitlines():
        status, path = line[:2], line[3:]
        if status == "??" and not (path.startswith(CODE) and "__pycache__" not in path):
            continue
        paths.append(path)
    return paths


def refusal_before_run(
    *,
    in_checkout: bool,
    repo: Path,
    out: Path,
    quick: bool,
    seed: int,
    missing: dict[str, list[str]],
    allow_dirty: bool,
) -> str | None:
    """Why ``--update-docs`` cannot run (one line naming the fix), or None.  ``missing``: claim -> missing extras."""
    if not in_checkout:
        return "--update-docs refreshes the checkout's record (README.md, docs/): run it from a git checkout"
    if out != (repo / "figures").resolve():
        return f"--update-docs writes the record into {repo / 'figures'}: leave out --out (got {out})"
    if quick:
        return "--update-docs records the default run: leave out --quick"
    if seed != 0:
        return f"--update-docs records the seed-0 run: leave out --seed (got {seed})"
    if missing:
        extras = sorted({m for ms in missing.values() for m in ms})
        return (
            f"--update-docs needs every claim, but {len(missing)} would be skipped (missing: {', '.join(extras)}; "
            "e.g. " + ", ".join(sorted(missing)[:3]) + "): pip install -e '.[nn]' first"
        )
    if not allow_dirty:
        dirty = dirty_paths(repo)
        if dirty is None:
            return "--update-docs could not ask git whether the tree is clean: install git, or pass --allow-dirty"
        if dirty:
            shown = ", ".join(dirty[:4]) + (f" and {len(dirty) - 4} more" if len(dirty) > 4 else "")
            return (
                f"--update-docs needs a clean tree (the record names its commit), but {shown} changed: commit or "
                "stash them, or pass --allow-dirty (maintainers: the record then names a -dirty commit)"
            )
    return None


def refusal_after_run(outcome) -> str | None:
    """Why the run just made cannot become the record (skipped or errored claims, failed figures), or None."""
    if outcome.skipped:
        return f"{len(outcome.skipped)} claims were skipped"
    if outcome.errored:
        return f"{outcome.errored} claims errored"
    if outcome.figure_errors:
        return f"{len(outcome.figure_errors)} figures failed"
    return None


def update_record(repo: Path, outcome, doc: dict) -> list[Path]:
    """Rewrite the record from the run's ledger ``doc``: README.md's results block, the numbers that docs/errata.md and
    docs/methods.md quote through ledger markers, and docs/claims.md with one card per statement (docs/claims/);
    returns the files written."""
    from verify import cards, ledger

    readme = repo / "README.md"
    ledger.update_readme(readme, outcome.results, outcome.seconds, outcome.skipped)
    for problem in ledger.update_doc_numbers(repo, doc):
        print(f"  docs: {problem}")
    cards.write_docs(doc, repo / "docs")
    return [readme, *(repo / p for p in ledger.DOC_NUMBER_PAGES), repo / "docs" / "claims.md", repo / "docs" / "claims"]
