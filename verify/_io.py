"""Output that is never half-written: atomic files, and output *sets* swapped in whole.

* :func:`write_text` / :func:`save_figure` write one file atomically (a temporary file in the target folder, then
  ``os.replace``), with the mode a plain ``open`` would give (the process umask; usually 0644).
* :class:`OutputSet` stages a whole run's outputs in a hidden folder beside the target and swaps it in at the end
  (``renameat2(RENAME_EXCHANGE)`` on Linux: one atomic step; elsewhere two renames with recovery at the next start),
  so an interrupted or failed run leaves the previous set intact, and a later run removes any leftovers.
* :func:`check_out_dir` validates ``--out`` before any work: a clear one-line error for a file, a read-only folder or
  a full disk.
* :func:`save_figure` also writes the data drawn in the figure (every line and scatter of every panel) as a tidy CSV
  beside the PNG.
"""

from __future__ import annotations

import csv
import ctypes
import ctypes.util
import io
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["OutputError", "OutputSet", "check_out_dir", "figure_rows", "save_figure", "write_text"]

MIN_FREE_BYTES = 50 * 2**20  # a full default run writes ~5 MB; refuse to start below 50 MB free
_STAGING = ".{name}.staging-"
_OLD = ".{name}.previous"


class OutputError(Exception):
    """The output folder cannot take a run's outputs (the message says why and how to fix it)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _umask_mode() -> int:
    return 0o666 & ~_umask()


def _atomic(path: Path, write: Callable[[str], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())  # mkstemp's 0600 would leak into README.md and docs
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8, mode from the umask)."""

    def w(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)

    _atomic(path, w)


def figure_rows(fig: Any) -> list[dict]:
    """The data drawn in a Matplotlib figure as tidy rows: panel, axis labels, series, x, y (lines and scatters)."""
    rows: list[dict] = []
    for k, ax in enumerate(fig.get_axes()):
        panel = ax.get_title() or f"panel {k + 1}"
        xl, yl = ax.get_xlabel(), ax.get_ylabel()
        series: list[tuple[str, Any, Any]] = []
        for j, line in enumerate(ax.get_lines()):
            label = line.get_label()
            series.append((label if not label.startswith("_") else f"line {j + 1}", *line.get_data()))
        for j, coll in enumerate(ax.collections):
            offs = coll.get_offsets()
            if len(offs) == 0:
                continue
            label = coll.get_label()
            series.append((label if not label.startswith("_") else f"points {j + 1}", offs[:, 0], offs[:, 1]))
        for name, xs, ys in series:
            for x, y in zip(list(xs), list(ys), strict=False):
                try:
                    rows.append(
                        {"panel": panel, "xlabel": xl, "ylabel": yl, "series": name, "x": float(x), "y": float(y)}
                    )
                except (TypeError, ValueError):
                    continue
    return rows


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    cols = ["panel", "xlabel", "ylabel", "series", "x", "y"]
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def save_figure(fig: Any, path: Path, *, data: bool = True) -> None:
    """Save a Matplotlib figure to ``path`` atomically, and (``data``) its drawn data as CSV beside it."""
    fmt = Path(path).suffix.lstrip(".") or "png"
    _atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=130, bbox_inches="tight"))
    if data:
        write_text(Path(path).with_suffix(".csv"), _csv_text(figure_rows(fig)))


def check_out_dir(out: Path) -> Path:
    """Validate an output folder before any work; returns it resolved.  Raises :class:`OutputError`."""
    out = Path(out).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder: pass a folder path (it is created if missing)")
    parent = out if out.exists() else out.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK) or (out.exists() and not os.access(out.parent, os.W_OK)):
        raise OutputError(f"--out {out}: {parent} is not writable: pass a folder you can write to")
    free = shutil.disk_usage(parent).free
    if free < MIN_FREE_BYTES:
        raise OutputError(
            f"--out {out}: only {free / 2**20:.0f} MB free on that disk (need {MIN_FREE_BYTES / 2**20:.0f} MB): "
            "free some space or pass another folder"
        )
    return out


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE) (Linux); False where unavailable."""
    if not hasattr(os, "uname") or os.uname().sysname != "Linux":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


class OutputSet:
    """Stage a run's outputs and swap them in whole.

    ``with OutputSet(out) as stage: ...write under stage...`` - on success the staged folder replaces ``out``; on
    any exception (KeyboardInterrupt included) the staged folder is removed and ``out`` is untouched.  A SIGKILL leaves
    ``out`` as it was plus a hidden staging folder, which the next run removes.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.stage: Path | None = None

    def recover(self) -> None:
        """Remove leftovers of interrupted runs; restore the previous set if a swap was cut between its renames."""
        parent, name = self.out.parent, self.out.name
        old = parent / _OLD.format(name=name)
        if old.exists() and not self.out.exists():
            os.replace(old, self.out)
        for p in parent.glob(_STAGING.format(name=name) + "*"):
            shutil.rmtree(p, ignore_errors=True)
        if old.exists():
            shutil.rmtree(old, ignore_errors=True)

    def __enter__(self) -> Path:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.recover()
        self.stage = Path(tempfile.mkdtemp(prefix=_STAGING.format(name=self.out.name), dir=self.out.parent))
        os.chmod(self.stage, 0o777 & ~_umask())  # mkdtemp's 0700 would leak into the published folder
        return self.stage

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.stage is not None
        if exc_type is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            return
        self.commit()

    def commit(self) -> None:
        assert self.stage is not None
        if self.out.exists():
            if _exchange(self.stage, self.out):
                shutil.rmtree(self.stage, ignore_errors=True)  # now holds the previous set
                return
            old = self.out.parent / _OLD.format(name=self.out.name)
            os.replace(self.out, old)
            os.replace(self.stage, self.out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(self.stage, self.out)
