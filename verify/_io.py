"""Output that is never half-written: atomic files, and output *sets* swapped in whole.

* :func:`write_text` / :func:`save_figure` write one file atomically (a temporary file in the target folder, then
  ``os.replace``), with the mode a plain ``open`` would give (the process umask; usually 0644).
* :class:`OutputSet` stages a whole run's outputs in a hidden folder beside the target and swaps it in at the end
  (``renameat2(RENAME_EXCHANGE)`` on Linux: one atomic step; elsewhere two renames with recovery at the next start),
  so an interrupted or failed run leaves the previous set intact, and a later run removes the leftovers of dead runs.
* :class:`OutputLock` makes one run at a time own an output folder (an advisory ``flock`` on a hidden file beside it,
  released by the kernel when its process dies): a second run into the same ``--out`` is refused with
  :class:`OutputBusyError`, and recovery removes only its own staging folders or those whose process is gone.
* :class:`OutputWriteError` is an I/O failure while writing a set (a full disk, a revoked permission): the previous
  set is intact and the command line turns it into one line and an exit code of its own.
* :func:`check_out_dir` validates ``--out`` before any work: a clear one-line error for a file, a read-only folder or
  a full disk.
* :func:`save_figure` also writes the data drawn in the figure (every line and scatter of every panel) as a tidy CSV
  beside the PNG.
"""

from __future__ import annotations

import contextlib
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

__all__ = [
    "OutputBusyError",
    "OutputError",
    "OutputLock",
    "OutputSet",
    "OutputWriteError",
    "check_out_dir",
    "figure_rows",
    "save_figure",
    "write_text",
]

MIN_FREE_BYTES = 50 * 2**20  # a full default run writes ~5 MB; refuse to start below 50 MB free
_STAGING = ".{name}.staging-"  # followed by "{pid}-{random}": recovery can tell whether its run is alive
_OLD = ".{name}.previous"
_LOCK = ".{name}.lock"


class OutputError(Exception):
    """The output folder cannot take a run's outputs (the message says why and how to fix it)."""


class OutputBusyError(OutputError):
    """Another live run holds the output folder's lock (the message names its process id)."""


class OutputWriteError(OutputError):
    """Writing the output set failed with an OS error (e.g. a full disk); the previous set is intact."""


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (signal 0 checks without sending anything)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists but belongs to someone else
        return True
    return True


_HELD: dict[str, tuple[int, int]] = {}  # this process's locks: lock path -> (fd, depth)


class OutputLock:
    """One run at a time per output folder: an exclusive ``flock`` on ``.NAME.lock`` beside ``out``.

    Re-entrant within a process (``OutputSet`` takes it if the command line has not already).  The kernel releases
    the lock when the holder dies, so a SIGKILLed run never blocks the next one; the holder removes the file on
    release.  Where ``fcntl`` is missing (Windows) there is no lock and concurrent runs into one folder are the
    user's responsibility.
    """

    def __init__(self, out: Path) -> None:
        out = Path(out)
        self.out = out
        self.path = out.parent / _LOCK.format(name=out.name)
        self.key = os.path.abspath(self.path)

    def acquire(self) -> OutputLock:
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform
            return self
        if self.key in _HELD:
            fd, depth = _HELD[self.key]
            _HELD[self.key] = (fd, depth + 1)
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                finally:
                    os.close(fd)
                raise OutputBusyError(
                    f"--out {self.out} is being written by another bmaml-verify run (pid {holder}): wait for it to "
                    "finish, or pass another --out"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the previous holder removed the file between our open and our lock: take the new one
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD[self.key] = (fd, 1)
        return self

    def release(self) -> None:
        if self.key not in _HELD:
            return
        fd, depth = _HELD[self.key]
        if depth > 1:
            _HELD[self.key] = (fd, depth - 1)
            return
        del _HELD[self.key]
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # still holding it: nobody else can own this file now
        os.close(fd)

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


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


def _io_message(out: Path, exc: OSError) -> str:
    why = exc.strerror or str(exc)
    hint = "free some space" if exc.errno == 28 else "check the folder's permissions and space"
    return (
        f"could not write the output set into {out} ({type(exc).__name__}: {why}); the previous set is intact: "
        f"{hint}, or pass another --out"
    )


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
    any exception (KeyboardInterrupt included) the staged folder is removed and ``out`` is untouched; an OS error
    (full disk) while writing or swapping becomes :class:`OutputWriteError`.  The folder's :class:`OutputLock` is held
    from entry to the swap (a second run raises :class:`OutputBusyError`).  A SIGKILL leaves ``out`` as it was plus a
    hidden staging folder named by the dead process's id, which the next run removes.
    """

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.stage: Path | None = None

    def _dead_staging(self) -> list[Path]:
        """Staging folders of this set that are this process's or whose process is gone (never a live run's)."""
        prefix = _STAGING.format(name=self.out.name)
        dead = []
        for p in self.out.parent.glob(prefix + "*"):
            pid_text = p.name[len(prefix) :].split("-", 1)[0]
            if not pid_text.isdigit():
                continue  # not named by this version (no process id): it cannot be proved dead, so it stays
            pid = int(pid_text)
            if pid == os.getpid() or not _pid_alive(pid):
                dead.append(p)
        return dead

    def recover(self) -> None:
        """Remove leftovers of dead runs; restore the previous set if a swap was cut between its renames.

        Runs under the folder's :class:`OutputLock` (so no live run of this version is mid-swap), and removes only
        staging folders that are this process's or whose process no longer exists.
        """
        with OutputLock(self.out):
            parent, name = self.out.parent, self.out.name
            old = parent / _OLD.format(name=name)
            if old.exists() and not self.out.exists():
                os.replace(old, self.out)
            for p in self._dead_staging():
                shutil.rmtree(p, ignore_errors=True)
            if old.exists():
                shutil.rmtree(old, ignore_errors=True)

    def __enter__(self) -> Path:
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self._lock = OutputLock(self.out).acquire()  # held until the set is swapped in (re-entrant)
        try:
            self.recover()
            prefix = _STAGING.format(name=self.out.name) + f"{os.getpid()}-"
            self.stage = Path(tempfile.mkdtemp(prefix=prefix, dir=self.out.parent))
            os.chmod(self.stage, 0o777 & ~_umask())  # mkdtemp's 0700 would leak into the published folder
        except OSError as exc:
            self._lock.release()
            raise OutputWriteError(_io_message(self.out, exc)) from exc
        except BaseException:
            self._lock.release()
            raise
        return self.stage

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.stage is not None
        try:
            if exc_type is not None:
                shutil.rmtree(self.stage, ignore_errors=True)
                if isinstance(exc, OSError) and not isinstance(exc, OutputError):
                    raise OutputWriteError(_io_message(self.out, exc)) from exc
                return
            try:
                self.commit()
            except OSError as exc2:
                shutil.rmtree(self.stage, ignore_errors=True)
                raise OutputWriteError(_io_message(self.out, exc2)) from exc2
        finally:
            self._lock.release()

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
