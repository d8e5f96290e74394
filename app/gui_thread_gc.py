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
which bounds what can wait there.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

_collector: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Collects cycles on a GUI-thread timer, freezing the survivors of full collections.

    Parameters
    ----------
    interval_s : float
        Seconds between checks of the collector's thresholds.
    """

    def __init__(self, interval_s: float = 1.0) -> None:
        super().__init__()
        self.thresholds = gc.get_threshold()
        self.frozen_after_everything = 0
        self.everything_requested = False
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.check)
        self.timer.start(int(interval_s * 1000))

    def check(self) -> None:
        """Collect the generations whose thresholds are crossed, as Python would."""
        if self.everything_requested or gc.get_freeze_count() > 2 * max(
            self.frozen_after_everything, 50_000
        ):
            self.collect_everything()
            return
        young, middle, old = gc.get_count()
        if young <= self.thresholds[0]:
            return
        if middle <= self.thresholds[1]:
            gc.collect(0)
        elif old <= self.thresholds[2]:
            gc.collect(1)
        else:
            gc.collect(2)
            gc.freeze()

    def request_everything(self) -> None:
        """Collect everything, frozen objects included, at the next check."""
        self.everything_requested = True

    def collect_everything(self) -> None:
        """Collect every object, frozen ones included, then freeze the survivors."""
        self.everything_requested = False
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.frozen_after_everything = gc.get_freeze_count()

    def stop(self) -> None:
        """Stop the timer; collect everything and unfreeze (automatic collection is not
        turned back on here)."""
        self.timer.stop()
        gc.unfreeze()
        gc.collect()


def collect_garbage_in_gui_thread(interval_s: float = 1.0) -> GuiThreadCollector:
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
