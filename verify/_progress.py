"""A dependency-free progress line on stderr.

On a terminal the line is redrawn in place with the elapsed time; elsewhere (CI logs) only the
start of each step is printed, so logs stay short.
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, stream=None, enabled: bool = True) -> None:
        self.total, self.done = total, 0
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self.step = ""

    def _bar(self) -> str:
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        return "[" + "#" * filled + "." * (width - filled) + f"] {self.done}/{self.total}"

    def start(self, step: str) -> None:
        self.step = step
        if not self.enabled:
            return
        if self.tty:
            self.note("")
        else:
            print(
                f"{self._bar()} {step} ({time.perf_counter() - self.t0:.1f}s)",
                file=self.stream,
                flush=True,
            )

    def note(self, msg: str) -> None:
        """Redraw the line with a detail of the current step (terminal only)."""
        if self.enabled and self.tty:
            line = f"\r{self._bar()} {self.step}: {msg} ({time.perf_counter() - self.t0:.1f}s)"
            print(line[:150].ljust(150), end="", file=self.stream, flush=True)

    def advance(self) -> None:
        self.done += 1

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=self.stream, flush=True)
