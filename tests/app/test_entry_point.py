"""``python -m app``: the demo dataset, ``--print-summary``, and the window ``main`` builds."""

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

import app.__main__ as entry
from app.__main__ import build_window, main
from app.model.demo import make_demo_dataset


def test_demo_dataset_has_multi_shank_probe():
    demo = make_demo_dataset(duration_s=5.0)
    assert demo.recording.get_num_channels() == 64
    assert sorted(set(demo.recording.get_channel_groups().tolist())) == [0, 1, 2, 3]


def test_demo_dataset_has_sorting_events_and_snippets():
    demo = make_demo_dataset(duration_s=5.0)
    assert demo.sorting.get_num_units() == 24 and demo.sorting.has_recording()
    assert demo.events.get_event_times(channel_id="TTL1 stimulus").tolist() == [0.5, 2.5]
    assert demo.snippets.get_total_snippets() > 0
    assert demo.snippets.get_num_channels() == 64


def test_print_summary_describes_the_demo(capsys):
    assert main(["--print-summary"]) == 0
    out = capsys.readouterr().out
    assert "demo dataset" in out and "64 contacts on 4 shanks" in out
    assert "Sorting:   24 units" in out and "Events:    2 channels · 40 events" in out


def test_print_summary_describes_each_path(tmp_path, capsys):
    demo = make_demo_dataset(duration_s=1.0)
    demo.recording.save(folder=tmp_path / "rec", progress_bar=False)
    assert main(["--print-summary", str(tmp_path / "rec")]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "rec") in out and "Recording: 64 channels · 30 kHz" in out


def test_print_summary_of_an_unreadable_path_says_why_in_one_line(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not data")
    assert main(["--print-summary", str(tmp_path / "notes.txt")]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spikedesk: ")
    assert str(tmp_path / "notes.txt") in lines[0] and "Traceback" not in captured.err


@pytest.fixture
def settings(tmp_path):
    settings = QSettings(str(tmp_path / "spikedesk.ini"), QSettings.Format.IniFormat)
    settings.setValue("curation/journal_folder", str(tmp_path / "user-data"))
    return settings


def test_build_window_opens_the_demo_without_paths(qtbot, settings):
    window = build_window([], settings=settings)
    qtbot.addWidget(window)
    assert window.session.source == "demo dataset"
    assert window.session.recording.get_num_channels() == 64
    assert window.session.sorting is not None and window.session.events is not None


def test_build_window_opens_the_paths(qtbot, settings, tmp_path):
    demo = make_demo_dataset(duration_s=1.0)
    demo.recording.save(folder=tmp_path / "rec", progress_bar=False)
    demo.sorting.save(folder=tmp_path / "sorting")
    window = build_window([str(tmp_path / "rec"), str(tmp_path / "sorting")], settings=settings)
    qtbot.addWidget(window)
    assert window.session.recording.get_num_channels() == 64
    assert window.session.sorting.get_num_units() == 24


def test_main_names_the_application_and_shows_the_window(qtbot, monkeypatch):
    shown = QWidget()
    qtbot.addWidget(shown)
    monkeypatch.setattr(entry, "build_window", lambda paths: shown)
    monkeypatch.setattr(QApplication, "exec", lambda *args: 0)
    app = QApplication.instance()
    names = app.applicationName(), app.organizationName()
    try:
        assert main([]) == 0
        assert (app.applicationName(), app.organizationName()) == ("SpikeDesk", "SpikeDesk")
        assert shown.isVisible() and not app.windowIcon().isNull()
    finally:
        app.setApplicationName(names[0])
        app.setOrganizationName(names[1])
