"""Fixtures of the app tests: the demo dataset, a session showing it, no leftover fetcher threads."""

import threading

import pytest

from app.model.demo import make_demo_dataset
from app.model.session import Session


@pytest.fixture(scope="session")
def demo():
    """The demo dataset, 10 s long (lazy: traces are computed when read)."""
    return make_demo_dataset(duration_s=10.0)


@pytest.fixture
def session(demo):
    """A session with the demo's recording, sorting and events open."""
    session = Session()
    session.open(recording=demo.recording, sorting=demo.sorting, events=demo.events, source="demo")
    return session


@pytest.fixture(autouse=True)
def no_trace_fetcher_left_running():
    """Fail a test that leaves a `TraceFetcher` worker thread running."""
    before = set(threading.enumerate())
    yield
    started = [
        thread
        for thread in set(threading.enumerate()) - before
        if thread.name.startswith("TraceFetcher")
    ]
    for thread in started:
        thread.join(timeout=5.0)
    alive = [thread.name for thread in started if thread.is_alive()]
    assert not alive, f"TraceFetcher threads left running: {alive}"


@pytest.fixture(autouse=True, scope="session")
def gui_thread_gc(qapp):
    """Cycles collected in the GUI thread only, as the app does (else worker threads can
    destroy Qt objects and deadlock with the GUI thread)."""
    from app.gui_thread_gc import collect_garbage_anywhere, collect_garbage_in_gui_thread

    collect_garbage_in_gui_thread()
    yield
    collect_garbage_anywhere()


@pytest.fixture(autouse=True, scope="session")
def qt_test_paths():
    """Qt's standard paths (curation journals of in-memory data) in a test location."""
    from PySide6.QtCore import QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
