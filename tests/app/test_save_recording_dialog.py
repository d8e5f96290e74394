"""SaveRecordingDialog: options, validation and size estimate."""

import numpy as np
import pytest
from numcodecs import LZMA, Blosc, Delta
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox

import core as si
from app.dialogs.save_recording import SaveRecordingDialog

NUM_SAMPLES = 90_000


@pytest.fixture
def recording():
    return si.generate_recording(num_channels=64, durations=[3.0], seed=0)


@pytest.fixture
def dialog(qtbot, recording):
    dialog = SaveRecordingDialog(recording)
    qtbot.addWidget(dialog)
    return dialog


def choose(combo, data):
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def save_button(dialog):
    return dialog.button_box.button(QDialogButtonBox.StandardButton.Save)


def test_binary_options(dialog, tmp_path):
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    dialog.n_jobs_spin.setValue(1)
    dialog.chunk_duration_edit.setText("500ms")
    choose(dialog.dtype_combo, "int16")
    assert dialog.target_folder() == tmp_path / "rec"
    assert dialog.options() == {
        "format": "binary",
        "overwrite": False,
        "dtype": "int16",
        "n_jobs": 1,
        "chunk_duration": "500ms",
        "pool_engine": "thread",
    }
    assert save_button(dialog).isEnabled()


@pytest.mark.parametrize(
    ("name", "level", "expected"),
    [
        ("blosc-zstd", 7, Blosc(cname="zstd", clevel=7, shuffle=Blosc.BITSHUFFLE)),
        ("blosc-lz4", 3, Blosc(cname="lz4", clevel=3, shuffle=Blosc.BITSHUFFLE)),
        ("lzma", 2, LZMA(preset=2)),
        ("none", 5, None),
    ],
)
def test_zarr_options_hold_the_chosen_numcodecs_compressor(dialog, tmp_path, name, level, expected):
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    choose(dialog.format_combo, "zarr")
    choose(dialog.compressor_combo, name)
    dialog.level_spin.setValue(level)
    options = dialog.options()
    assert options["format"] == "zarr"
    assert options["compressor"] == expected
    assert "filters_by_dataset" not in options
    assert dialog.target_folder() == tmp_path / "rec.zarr"


def test_zarr_compressor_defaults_to_blosc_zstd_level_5(dialog):
    choose(dialog.format_combo, "zarr")
    assert dialog.options()["compressor"] == si.get_default_zarr_compressor()


def test_delta_filter_uses_the_output_dtype_on_traces_only(dialog):
    choose(dialog.format_combo, "zarr")
    choose(dialog.dtype_combo, "int16")
    dialog.delta_check.setChecked(True)
    assert dialog.options()["filters_by_dataset"] == {"traces": [Delta(dtype="int16")]}


def test_delta_filter_is_offered_for_integer_data_only(dialog):
    choose(dialog.format_combo, "zarr")
    dialog.delta_check.setChecked(True)
    assert not dialog.delta_check.isEnabled()
    assert "filters_by_dataset" not in dialog.options()


def test_options_save_a_recording_that_reloads_identically(dialog, recording, tmp_path):
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    choose(dialog.format_combo, "zarr")
    choose(dialog.compressor_combo, "blosc-lz4")
    choose(dialog.dtype_combo, "int16")
    dialog.delta_check.setChecked(True)
    recording.save(folder=dialog.target_folder(), progress_bar=False, **dialog.options())
    loaded = si.load_extractor(tmp_path / "rec.zarr")
    np.testing.assert_array_equal(loaded.get_traces(), recording.get_traces().astype("int16"))


def test_existing_folder_is_refused_with_a_message(dialog, tmp_path):
    (tmp_path / "rec").mkdir()
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    assert "already exists" in dialog.message_label.text()
    assert not save_button(dialog).isEnabled()
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_overwrite_accepts_an_existing_folder(dialog, tmp_path):
    (tmp_path / "rec").mkdir()
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    dialog.overwrite_check.setChecked(True)
    assert dialog.message_label.text() == ""
    assert dialog.options()["overwrite"] is True


def test_existing_zarr_store_is_checked_under_its_zarr_name(dialog, tmp_path):
    (tmp_path / "rec.zarr").mkdir()
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    assert dialog.validation_error() == ""
    choose(dialog.format_combo, "zarr")
    assert "rec.zarr already exists" in dialog.message_label.text()


def test_bad_chunk_duration_is_reported(dialog, tmp_path):
    dialog.folder_edit.setText(str(tmp_path / "rec"))
    dialog.chunk_duration_edit.setText("one second")
    assert dialog.message_label.text().startswith("Chunk duration:")
    assert not save_button(dialog).isEnabled()


def test_empty_folder_disables_save_without_red_text(dialog):
    assert dialog.validation_error() == "Choose the folder to create."
    assert dialog.message_label.text() == ""
    assert not save_button(dialog).isEnabled()


def test_browse_button_fills_the_folder(qtbot, recording, tmp_path):
    calls = []

    def choose_path(parent, caption, start_path):
        calls.append(start_path)
        return str(tmp_path / "picked")

    dialog = SaveRecordingDialog(recording, choose_path=choose_path)
    qtbot.addWidget(dialog)
    dialog.browse_button.click()
    assert calls == [""]
    assert dialog.folder_edit.text() == str(tmp_path / "picked")


def test_size_estimate_is_exact_for_binary(dialog):
    assert dialog.estimated_size_bytes() == NUM_SAMPLES * 64 * 4
    assert dialog.size_label.text() == "23.0 MB"
    choose(dialog.dtype_combo, "int16")
    assert dialog.estimated_size_bytes() == NUM_SAMPLES * 64 * 2


def test_size_estimate_measures_compression(qtbot):
    zeros = si.NumpyRecording([np.zeros((30_000, 8), dtype="int16")], sampling_frequency=30_000.0)
    dialog = SaveRecordingDialog(zeros)
    qtbot.addWidget(dialog)
    choose(dialog.format_combo, "zarr")
    assert 0 < dialog.estimated_size_bytes() < 30_000 * 8 * 2 / 20
    assert dialog.size_label.text().startswith("≈")
    choose(dialog.compressor_combo, "none")
    assert dialog.estimated_size_bytes() == 30_000 * 8 * 2


@pytest.mark.qt_log_ignore("propagateSizeHints")  # the offscreen platform's note on modal dialogs
def test_ask_returns_none_when_cancelled(qtbot, recording):
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().reject())
    assert SaveRecordingDialog.ask(recording) is None
