"""The GUI-thread collector: full collections freeze survivors; closing data collects them."""

from __future__ import annotations

import gc
import time
import weakref

import pytest

from app import gui_thread_gc
from app.gui_thread_gc import GuiThreadCollector, ProcessCpuShare


class Node:
    """An object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


def make_cycle() -> weakref.ref:
    """A two-node cycle no one refers to; returns a weak reference to one node."""
    first, second = Node(), Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@pytest.fixture
def collector(qapp):
    """A collector whose timer never fires (the test calls `check` itself) and which finds
    the process idle unless the test says otherwise (`collector.idle = False`)."""
    made = GuiThreadCollector(interval_s=3600, process_is_idle=lambda: made.idle)
    made.idle = True
    yield made
    made.collect_everything()
    gc.unfreeze()


def test_a_due_full_collection_frees_cycles_and_freezes_the_survivors(collector):
    collector.collect_everything()  # a known start: everything alive is frozen
    collector.frozen_after_everything = gc.get_freeze_count()
    frozen = gc.get_freeze_count()
    survivors = [Node() for _ in range(100)]
    dead = make_cycle()
    collector.thresholds = (-1, -1, -1)  # every generation due
    collector.check()
    assert dead() is None
    assert gc.get_freeze_count() >= frozen + len(survivors)
    assert gc.get_count() == (0, 0, 0)


def test_cycles_among_frozen_objects_wait_for_a_collection_of_everything(collector):
    dead = make_cycle()
    gc.freeze()  # the cycle was alive at the last full collection
    collector.frozen_after_everything = gc.get_freeze_count()
    collector.thresholds = (-1, -1, -1)
    collector.check()
    assert dead() is not None, "a routine collection must not scan frozen objects"
    collector.request_everything()
    collector.check()
    assert dead() is None
    assert collector.frozen_after_everything == gc.get_freeze_count()


def test_young_garbage_is_collected_without_a_full_collection(collector):
    collector.collect_everything()
    dead = make_cycle()
    frozen = gc.get_freeze_count()
    collector.thresholds = (-1, 10**6, 10**6)  # only generation 0 is due
    collector.check()
    assert dead() is None
    assert gc.get_freeze_count() == frozen


def test_a_burst_of_young_objects_is_frozen_unscanned_until_everything_is_collected(collector):
    collector.collect_everything()
    collector.frozen_after_everything = gc.get_freeze_count()
    frozen = gc.get_freeze_count()
    dead = make_cycle()
    burst = [Node() for _ in range(gui_thread_gc.YOUNG_BURST + 1000)]
    collector.thresholds = (-1, -1, 10**6)  # the young generations are due, not a full one
    collector.check()
    assert dead() is not None, "a burst is frozen, not scanned"
    assert gc.get_freeze_count() >= frozen + len(burst)
    assert gc.get_count()[0] == 0
    collector.request_everything()
    collector.check()
    assert dead() is None


def test_a_routine_check_never_walks_the_frozen_set(collector, monkeypatch):
    collector.collect_everything()

    def walk():
        raise AssertionError("gc.get_freeze_count walks every frozen object")

    monkeypatch.setattr(gc, "get_freeze_count", walk)
    dead = make_cycle()
    collector.thresholds = (-1, -1, 10**6)  # young generations due, not a full collection
    collector.check()
    assert dead() is None
    burst = [Node() for _ in range(gui_thread_gc.YOUNG_BURST + 1000)]
    frozen = collector.frozen
    collector.check()
    assert collector.frozen >= frozen + len(burst)


def test_frozen_bursts_add_up_to_a_collection_of_everything(collector):
    collector.collect_everything()
    collector.frozen_after_everything = 50_000
    collector.frozen = 100_000  # as counted so far
    dead = make_cycle()
    burst = [Node() for _ in range(gui_thread_gc.YOUNG_BURST + 1000)]
    collector.thresholds = (-1, -1, 10**6)
    collector.check()  # the burst is frozen: now past twice the frozen count after everything
    assert dead() is not None
    assert collector.frozen > 100_000 + len(burst) - 1
    collector.check()  # (idle) everything is collected
    assert dead() is None
    assert collector.frozen == gc.get_freeze_count()


def test_bursts_are_scanned_again_while_a_collection_of_everything_waits(collector):
    collector.collect_everything()
    collector.frozen_after_everything = 50_000
    collector.frozen = 100_001  # doubled: everything is due, and the process is busy
    collector.idle = False
    dead = make_cycle()
    frozen = collector.frozen
    burst = [Node() for _ in range(gui_thread_gc.YOUNG_BURST + 1000)]
    collector.thresholds = (-1, -1, 10**6)
    collector.check()
    assert dead() is None, "the burst was collected, not frozen"
    assert collector.frozen == frozen
    assert len(burst) > gui_thread_gc.YOUNG_BURST


def test_expensive_collections_wait_for_an_idle_process_young_ones_do_not(collector):
    collector.collect_everything()
    frozen_dead = make_cycle()
    gc.freeze()
    collector.frozen_after_everything = gc.get_freeze_count()
    collector.request_everything()
    collector.idle = False
    collector.thresholds = (-1, -1, -1)  # every generation due, a full collection too
    young_dead = make_cycle()
    frozen = gc.get_freeze_count()
    collector.check()
    assert young_dead() is None, "young generations are collected while the process is busy"
    assert frozen_dead() is not None, "the collection of everything waits for an idle moment"
    assert gc.get_freeze_count() == frozen, "no full collection (which freezes) while busy"
    assert collector.everything_requested
    collector.idle = True
    collector.check()
    assert frozen_dead() is None
    assert not collector.everything_requested


def test_a_process_never_idle_still_collects_everything_after_the_longest_wait(collector):
    dead = make_cycle()
    gc.freeze()
    collector.frozen_after_everything = gc.get_freeze_count()
    collector.request_everything()
    collector.idle = False
    collector.max_deferred_checks = 5
    for _ in range(5):
        collector.check()
        assert dead() is not None
    collector.check()
    assert dead() is None
    assert collector.deferred_checks == 0


def test_an_expensive_collection_waits_for_the_process_to_stay_idle(qapp):
    collector = GuiThreadCollector(interval_s=0.25, process_is_idle=lambda: True)
    collector.timer.stop()  # the test calls `check` itself
    try:
        dead = make_cycle()
        gc.freeze()
        collector.request_everything()
        needed = round(gui_thread_gc.IDLE_FOR_S / 0.25)
        for _ in range(needed - 1):  # idle, but not for long enough yet
            collector.check()
            assert dead() is not None
        collector.check()
        assert dead() is None
    finally:
        collector.collect_everything()
        gc.unfreeze()


def test_the_process_cpu_share_sees_a_busy_thread():
    share = ProcessCpuShare()
    start = time.thread_time()
    while time.thread_time() - start < 0.3:  # 0.3 s of CPU in this thread
        sum(range(1000))
    assert share.since_last_call() > gui_thread_gc.IDLE_CPU_SHARE


def test_opening_or_closing_data_asks_for_a_collection_of_everything(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow

    collector = gui_thread_gc.collect_garbage_in_gui_thread()  # the tests' session collector
    monkeypatch.setattr(collector, "process_is_idle", lambda: True)
    monkeypatch.setattr(collector, "idle_checks_needed", 1)
    window = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    collector.everything_requested = False
    window.open_demo()
    assert collector.everything_requested
    collector.check()
    assert not collector.everything_requested
    window.close_all()
    assert collector.everything_requested
