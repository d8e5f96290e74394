"""Python's cycle collector runs in the GUI thread only, and never scans the whole heap mid-use.

Left to itself, the collector runs in whichever thread allocates when a threshold is
crossed: a worker thread can then destroy a Qt object while the GUI thread destroys
another, and the two deadlock on Qt's object lock and Python's GIL (seen as a frozen
window). So automatic collection is off and a GUI-thread timer collects instead.

A full (generation 2) collection scans every tracked object: ~100,000 once the window and
its views exist, 70-140 ms on this machine, a visible stall each time it comes due. So the
objects that survive a full collection are frozen (`gc.freeze`): later full collections
scan only what was made since. Cycles among frozen objects are reclaimed by a collection
of everything (`collect_everything`), which runs when data are closed or replaced (the
moment most long-lived objects die) and when the frozen set has doubled since the last one,
which bounds what can wait there. The collector keeps its own count of frozen objects:
`gc.get_freeze_count` walks the whole frozen set (about 30 ms for 110,000 objects spread over a
loaded process), far too slow for a check every quarter second.

Both expensive kinds (a due full collection, and a collection of everything) wait for the
process to be idle for `IDLE_FOR_S`: checks during which the whole process used less than
`IDLE_CPU_SHARE` of one core (no job computing, no view drawing, no user scrolling). Young
generations are collected at once, as Python would, every `CHECK_INTERVAL_S` (the shorter the
interval, the fewer young objects each collection scans: a 1 s interval let one generation-1
collection take 31 ms in a trace of the trace view's soak). An expensive collection waits at
most `MAX_WAIT_S`, so a process never idle (a long session of continuous scrolling, a long
job) still collects.

A burst of new objects that outlive their moment (opening data: its modules imported, its
tables built; 25,000 objects seen) would cost a young collection 10-15 ms to scan, then a
generation-1 collection as much again once they were promoted, each a stall of its own while
views fill. Such a burst (more than `YOUNG_BURST` new objects since the last check) is frozen
unscanned instead (`gc.freeze` moves it without looking at it): its cycles, if any, wait for
the next collection of everything like every frozen object's. Once the frozen set has
doubled (a collection of everything is due, waiting for an idle moment), bursts are collected
as usual again: what waits unscanned stays bounded.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

#: Seconds between checks of the collector's thresholds.
CHECK_INTERVAL_S = 0.25
#: Share of one core the whole process may have used since the last check to count as idle.
IDLE_CPU_SHARE = 0.1
#: Seconds the process must have been idle before an expensive collection runs.
IDLE_FOR_S = 1.0
#: Seconds an expensive collection may wait for an idle process before it runs anyway.
MAX_WAIT_S = 120.0
#: New objects since the last check above which they are frozen unscanned, not collected.
YOUNG_BURST = 10_000

_collector: GuiThreadCollector | None = None


class ProcessCpuShare:
    """The share of one core the process used (all its threads) between two calls."""

    def __init__(self) -> None:
        self._cpu = time.process_time()
        self._wall = time.monotonic()

    def since_last_call(self) -> float:
        """CPU seconds used by the process per wall-clock second since the previous call.

        Returns
        -------
        float
            0 for an idle process, about 1 for one busy core, up to the number of cores.
        """
        cpu, wall = time.process_time(), time.monotonic()
        share = (cpu - self._cpu) / max(wall - self._wall, 1e-6)
        self._cpu, self._wall = cpu, wall
        return share

    def is_idle(self) -> bool:
        """Whether the process used less than `IDLE_CPU_SHARE` of a core since the last call."""
        return self.since_last_call() < IDLE_CPU_SHARE


class GuiThreadCollector(QObject):
    """Collects cycles on a GUI-thread timer, freezing the survivors of full collections.

    Parameters
    ----------
    interval_s : float
        Seconds between checks of the collector's thresholds.
    process_is_idle : callable, optional
        Tells whether the process was idle since the previous check; by default, whether it
        used less than `IDLE_CPU_SHARE` of a core (`ProcessCpuShare`).
    """

    def __init__(
        self,
        interval_s: float = CHECK_INTERVAL_S,
        process_is_idle: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__()
        self.thresholds = gc.get_threshold()
        self.frozen_after_everything = 0
        #: Objects frozen: exact after a full collection, estimated after a burst's freeze.
        self.frozen = gc.get_freeze_count()
        self.everything_requested = False
        self.deferred_checks = 0
        self.idle_checks = 0  # consecutive checks that found the process idle
        self.idle_checks_needed = max(1, round(IDLE_FOR_S / interval_s))
        self.max_deferred_checks = max(1, round(MAX_WAIT_S / interval_s))
        self.process_is_idle = process_is_idle or ProcessCpuShare().is_idle
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(int(interval_s * 1000))

    def check(self) -> None:
        """Collect the generations whose thresholds are crossed, as Python would (a burst of
        more than `YOUNG_BURST` new objects is frozen instead); a full collection or one of
        everything only when the process is idle or has waited `MAX_WAIT_S` for it."""
        self.idle_checks = self.idle_checks + 1 if self.process_is_idle() else 0
        idle = self.idle_checks >= self.idle_checks_needed
        everything_due = self.everything_requested or self.frozen > 2 * max(
            self.frozen_after_everything, 50_000
        )
        young, middle, old = gc.get_count()
        full_due = young > self.thresholds[0] and middle > self.thresholds[1]
        full_due = full_due and old > self.thresholds[2]
        if everything_due or full_due:
            if idle or self.deferred_checks >= self.max_deferred_checks:
                self.deferred_checks = 0
                if everything_due:
                    self.collect_everything()
                else:
                    gc.collect(2)
                    gc.freeze()
                    self.frozen = gc.get_freeze_count()
                return
            self.deferred_checks += 1
        if young <= self.thresholds[0]:
            return
        if young > YOUNG_BURST and not everything_due:
            gc.freeze()
            self.frozen += young
            return
        if middle <= self.thresholds[1]:
            gc.collect(0)
        else:
            gc.collect(1)

    def request_everything(self) -> None:
        """Collect everything, frozen objects included, at the next idle check."""
        self.everything_requested = True

    def collect_everything(self) -> None:
        """Collect every object, frozen ones included, then freeze the survivors."""
        self.everything_requested = False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.frozen = self.frozen_after_everything = gc.get_freeze_count()

    def stop(self) -> None:
        """Stop the timer; collect everything and unfreeze (automatic collection is not
        turned back on here)."""
        self.timer.stop()
        gc.unfreeze()
        gc.collect()


def collect_garbage_in_gui_thread(interval_s: float = CHECK_INTERVAL_S) -> GuiThreadCollector:
    """Collect cycles on a timer of the calling (GUI) thread; a second call returns the same
    collector.

    Parameters
    ----------
    interval_s : float
        Seconds between checks of the collector's thresholds.

    Returns
    -------
    GuiThreadCollector
        The collector (e.g. to `request_everything` when data are closed).
    """
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(interval_s)
    return _collector


def request_full_collection() -> None:
    """Collect everything at the collector's next check (data were closed or replaced);
    nothing when the GUI-thread collector is not running."""
    if _collector is not None:
        _collector.request_everything()


def collect_garbage_anywhere() -> None:
    """Undo `collect_garbage_in_gui_thread`: automatic collection, in any thread."""
    global _collector
    if _collector is not None:
        _collector.stop()
        _collector = None
    gc.enable()
