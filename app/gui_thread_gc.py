"""Python's cycle collector runs in the GUI thread only.

Left to itself, the collector runs in whichever thread allocates when a threshold is
crossed: a worker thread can then destroy a Qt object while the GUI thread destroys
another, and the two deadlock on Qt's object lock and Python's GIL (seen as a frozen
window). pyqtgraph's `GarbageCollector` turns automatic collection off and collects
on a GUI-thread timer instead.
"""

from __future__ import annotations

import gc

from pyqtgraph.util.garbage_collector import GarbageCollector

_collector: GarbageCollector | None = None


def collect_garbage_in_gui_thread(interval_s: float = 1.0) -> None:
    """Collect cycles on a timer of the calling (GUI) thread; a second call does nothing.

    Parameters
    ----------
    interval_s : float
        Seconds between checks of the collector's thresholds.
    """
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=interval_s)


def collect_garbage_anywhere() -> None:
    """Undo `collect_garbage_in_gui_thread`: automatic collection, in any thread."""
    global _collector
    if _collector is not None:
        _collector.timer.stop()
        _collector = None
    gc.enable()
