"""Start-up stays quick: what ``spikedesk`` imports before its window, and the traces drawn before
the other views are built (issue 18: first frame < 2 s; timings in tests/benchmarks/bench_startup)."""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

import app.main_window as main_window_module
import core as si
from app.dock_table import DOCKS
from app.main_window import MainWindow
from tests.subprocess_imports import modules_after

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

ROOT = Path(__file__).resolve().parents[2]
#: Never on the way to the first frame (imported by the functions and dialogs that need them).
HEAVY = {"zarr", "numcodecs", "neo", "scipy", "pandas"}
#: The views built with the window; every other one is built after the first trace frame.
BUILT_FIRST = {"traces", "jobs"}


def test_the_entry_point_module_imports_neither_qt_nor_heavy_packages():
    loaded = modules_after("import app.__main__")
    assert not loaded & {*HEAVY, "probeinterface", "PySide6", "pyqtgraph", "core"}


def test_the_main_window_module_imports_no_heavy_package():
    assert not modules_after("import app.main_window") & HEAVY


@pytest.fixture
def make_window(qtbot, tmp_path):
    made = []

    def make() -> MainWindow:
        settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
        settings.setValue("overview/cache_folder", str(tmp_path / "overview"))
        settings.setValue("curation/journal_folder", str(tmp_path / "user-data"))
        window = MainWindow(settings=settings)
        qtbot.addWidget(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.job_manager.wait_for_all(30_000)
        window.close()


def test_a_new_window_builds_only_the_traces_and_the_jobs_panel(make_window):
    window = make_window()
    assert set(window.views.built()) == BUILT_FIRST
    assert window.docks["traces"].widget() is window.trace_view
    assert len(window.views) == len(DOCKS) and list(window.views) == [s.name for s in DOCKS]


def test_a_view_is_built_into_its_dock_when_asked_for(make_window):
    window = make_window()
    rasters = window.views["rasters"]
    assert window.docks["rasters"].widget() is rasters
    assert window.views["rasters"] is rasters
    assert "rasters" in window.views.built()
    assert window.probe_view is window.views["probe"]


def open_recording(window, tmp_path) -> None:
    recording = si.generate_recording(num_channels=8, durations=[2.0], seed=0)
    recording.save(folder=tmp_path / "rec", progress_bar=False)
    assert window.open_paths([tmp_path / "rec"])


def test_the_traces_are_drawn_before_the_other_views_are_built(
    qtbot, make_window, tmp_path, monkeypatch
):
    monkeypatch.setattr(main_window_module, "FIRST_FRAME_WAIT_MS", 600_000)
    window = make_window()
    open_recording(window, tmp_path)
    built_at_first_frame = []
    window.trace_view.frame_drawn.connect(
        lambda *_: built_at_first_frame.append(set(window.views.built()))
    )
    window.show()
    qtbot.waitUntil(lambda: bool(built_at_first_frame), timeout=20_000)
    assert built_at_first_frame[0] == BUILT_FIRST
    qtbot.waitUntil(lambda: len(window.views.built()) == len(DOCKS), timeout=20_000)
    # views built after the file was opened show it
    rows = dict(window.views["open_data"].rows())
    assert rows["Recording"].startswith("8 channels")
    assert window.probe_view.contact_count() == 8


def test_without_a_recording_every_view_is_built_when_the_window_shows(make_window):
    window = make_window()
    window.show()
    assert len(window.views.built()) == len(DOCKS)
    assert all(window.docks[name].widget() is view for name, view in window.views.items())


def test_closing_before_the_views_are_built_builds_no_more(qtbot, make_window, tmp_path):
    window = make_window()
    open_recording(window, tmp_path)
    window.show()
    window.close()
    qtbot.wait(100)
    assert set(window.views.built()) == BUILT_FIRST
