"""The longest GUI stall of a benchmark, and where the time went during it.

A QTimer ticks on the GUI thread every few milliseconds; a stall is the gap between two ticks.
For the longest gap the meter keeps what the GUI thread did meanwhile, from Linux's per-thread
scheduler counters (``/proc/thread-self/schedstat``): the time it ran, the time it was ready but
waited for a CPU, and the time the machine's virtual CPUs were taken by the host (``steal`` in
``/proc/stat``, counted in clock ticks of 10 ms, summed over the CPUs), and the page faults the
process had to read from the disk. What is left of the gap is time the thread was blocked
(waiting for the GIL, a lock or the disk). Where these files do not exist (not Linux), only the
gap is measured.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

TICK_MS = 5
_CLOCK_TICK_MS = 1e3 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 10.0


@dataclass(frozen=True)
class Stall:
    """A gap between two ticks: its length and the GUI thread's time meanwhile (ms; NaN where
    the platform does not tell)."""

    gap_ms: float = 0.0
    running_ms: float = float("nan")
    waiting_for_cpu_ms: float = float("nan")
    host_steal_ms: float = float("nan")
    major_faults: float = float("nan")

    def describe(self) -> str:
        """E.g. ``"79.0 ms (GUI thread running 5.1 ms, ready for a CPU 2.0 ms, ...)"``."""
        if self.running_ms != self.running_ms:  # NaN: no scheduler counters
            return f"{self.gap_ms:.1f} ms"
        blocked = self.gap_ms - self.running_ms - self.waiting_for_cpu_ms
        return (
            f"{self.gap_ms:.1f} ms (GUI thread running {self.running_ms:.1f} ms, ready for a CPU "
            f"{self.waiting_for_cpu_ms:.1f} ms, otherwise blocked {max(blocked, 0.0):.1f} ms; "
            f"meanwhile host steal {self.host_steal_ms:.0f} ms, {self.major_faults:.0f} page "
            "faults read from the disk by the process)"
        )


def _sample() -> tuple[float, ...]:
    """``(time, GUI thread run ms, wait ms, steal ms, the process's major faults)`` now (NaN for
    what cannot be read)."""
    now = time.perf_counter()
    try:
        with open("/proc/thread-self/schedstat") as file:
            run_ns, wait_ns, _ = file.read().split()
        with open("/proc/stat") as file:
            steal_ticks = int(file.readline().split()[8])
        with open("/proc/self/stat") as file:  # fields after the command's closing parenthesis
            major_faults = int(file.read().rsplit(")", 1)[1].split()[9])
    except (OSError, ValueError, IndexError):
        return now, *[float("nan")] * 4
    return now, int(run_ns) / 1e6, int(wait_ns) / 1e6, steal_ticks * _CLOCK_TICK_MS, major_faults


class StallMeter:
    """Longest gap between the ticks of a QTimer on the GUI thread (`longest`), with the
    scheduler's account of it."""

    def __init__(self, tick_ms: int = TICK_MS) -> None:
        from PySide6.QtCore import QTimer

        self.longest = Stall()
        self._last = _sample()
        self.timer = QTimer(interval=tick_ms)
        self.timer.timeout.connect(self._tick)

    @property
    def longest_ms(self) -> float:
        """The longest gap so far (ms)."""
        return self.longest.gap_ms

    def start(self) -> None:
        """Start ticking (the gaps before are not counted)."""
        self.longest = Stall()
        self._last = _sample()
        self.timer.start()

    def stop(self) -> float:
        """Stop ticking, counting the gap up to now; the longest gap (ms)."""
        self._tick()
        self.timer.stop()
        return self.longest_ms

    def _tick(self) -> None:
        sample = _sample()
        gap_ms = 1e3 * (sample[0] - self._last[0])
        if gap_ms > self.longest.gap_ms:
            self.longest = Stall(
                gap_ms, *(now - before for now, before in zip(sample[1:], self._last[1:]))
            )
        self._last = sample
