"""Progress of a run, weighted by the expected seconds of each claim group.

On a terminal: a bar whose length is the run's expected seconds; a group that returns advances it by its own
expected seconds (groups return whole, so a bar counted in claims would jump by the group's size whatever its cost).
Not on a terminal (a log, CI): a heartbeat line on stderr every :data:`HEARTBEAT_S` seconds with the claims and
groups done, the elapsed time and the estimated time left, so a long run is never silent.  The estimate is the
expected seconds left at the pace observed so far (before any group returns: the expected seconds over the workers).
Either way, with ``log`` each claim gets a line when its group returns.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TextIO

__all__ = ["HEARTBEAT_S", "Progress"]

HEARTBEAT_S = float(os.environ.get("BMAML_VERIFY_HEARTBEAT_S", "15"))  # seconds between heartbeat lines


def _fmt_s(s: float) -> str:
    s = max(0.0, s)
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} min"


class Progress:
    """Progress over ``groups`` (objects with ``claims`` and ``expected``), ``workers`` of them at a time."""

    def __init__(
        self,
        groups: list,
        workers: int,
        enabled: bool = True,
        log: bool = True,
        stream: TextIO | None = None,
        tty: bool | None = None,
        interval: float | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled, self.log = enabled, log
        self.total_w = sum(max(g.expected, 0.0) for g in groups) or 1.0
        self.n_claims, self.n_groups = sum(len(g.claims) for g in groups), len(groups)
        self.workers = max(1, min(workers, self.n_groups or 1))
        self.done_w, self.done_claims, self.done_groups = 0.0, 0, 0
        self.t0 = time.perf_counter()
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = HEARTBEAT_S if interval is None else interval
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._bar = None
        self._thread = None
        if enabled and self.tty:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=round(self.total_w, 1),
                unit="s",
                bar_format="{l_bar}{bar}| {postfix} [{elapsed}<{remaining}, expected seconds]",
                file=self.stream,
                leave=False,
            )
        elif enabled and self.interval > 0 and self.n_groups:
            self._thread = threading.Thread(target=self._beat, name="bmaml-verify-heartbeat", daemon=True)
            self._thread.start()

    def eta(self) -> float:
        """Seconds left: expected seconds left at the observed pace (before any group returns, expected / workers)."""
        elapsed = time.perf_counter() - self.t0
        if self.done_w <= 0:
            return self.total_w / self.workers - elapsed
        return elapsed * (self.total_w - self.done_w) / self.done_w

    def line(self) -> str:
        elapsed = time.perf_counter() - self.t0
        return (
            f"bmaml-verify: {self.done_claims}/{self.n_claims} claims, {self.done_groups}/{self.n_groups} groups "
            f"done, {_fmt_s(elapsed)} elapsed, about {_fmt_s(self.eta())} left"
        )

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                print(self.line(), file=self.stream, flush=True)

    def claim_done(self, cid: str, status: str, seconds: float) -> None:
        with self._lock:
            self.done_claims += 1
            if self.enabled and self.log:
                msg = f"  {cid:<28} {status:<14} {seconds:7.1f} s"
                if self._bar is not None:
                    self._bar.write(msg, file=self.stream)
                else:
                    print(msg, file=self.stream, flush=True)

    def group_done(self, group) -> None:
        with self._lock:
            self.done_groups += 1
            self.done_w += max(group.expected, 0.0)
            if self._bar is not None:
                self._bar.update(round(max(group.expected, 0.0), 1))
                self._bar.set_postfix_str(group.group)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._bar is not None:
            self._bar.close()
