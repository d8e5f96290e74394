"""A main window with a recording and a sorting opened from folders (curation view tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

import core as si
from app.main_window import MainWindow


def write_ground_truth_folders(folder: Path, num_units: int, seed: int) -> Path:
    """A 4 s, 8-channel ground-truth recording and its sorting saved as ``folder/rec`` and
    ``folder/sorting``; returns ``folder``."""
    recording, sorting = si.generate_ground_truth_recording(
        durations=[4.0], num_channels=8, num_units=num_units, seed=seed
    )
    recording.save(folder=folder / "rec", progress_bar=False)
    sorting.save(folder=folder / "sorting")
    return folder


def fail_the_test(title: str, message: str) -> None:
    """An error the window shows fails the test with its message."""
    pytest.fail(message)


@contextmanager
def window_on_folders(
    qtbot,
    settings_folder: Path,
    folders: Path,
    show_error: Callable[[str, str], None] = fail_the_test,
) -> Iterator[MainWindow]:
    """A shown 1400x900 window with ``folders``' recording and sorting open, its jobs done.

    Journals go to ``settings_folder``; a restore is never offered (each test starts afresh);
    errors go to ``show_error(title, message)`` (by default they fail the test).
    """
    settings = QSettings(str(settings_folder / "spikedesk.ini"), QSettings.Format.IniFormat)
    settings.setValue("curation/journal_folder", str(settings_folder / "user-data"))
    window = MainWindow(settings=settings)
    qtbot.addWidget(window)
    window.show_error = show_error
    window.ask_yes_no = lambda title, text: False
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.session.signals.unit_channel_ids, timeout=30_000):
        window.open_paths([folders / "rec", folders / "sorting"])
    window.job_manager.wait_for_all(30_000)
    yield window
    window.job_manager.wait_for_all(30_000)
    window.close()


def draw_units(qtbot, window: MainWindow, unit_ids: list, timeout_ms: int = 20_000):
    """Select ``unit_ids`` and wait until the templates view has drawn them; returns the view."""
    view = window.views["templates"]
    with qtbot.waitSignal(view.drawn, timeout=timeout_ms):
        window.session.select_units(unit_ids)
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == unit_ids, timeout=timeout_ms)
    return view
