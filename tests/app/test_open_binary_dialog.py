"""Open Raw Binary: fields filled from binary.json, SpikeGLX .meta and Open Ephys
structure.oebin next to the file; a preview of the first traces that follows the settings."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QDialogButtonBox

import core as si
from app.dialogs.open_binary import PREVIEW_CHANNELS, OpenBinaryDialog
from tests.core.formats.raw_writers import (
    np1_stream,
    write_openephys_binary,
    write_spikeglx_run,
)

FIXTURES = Path("/work/shared/fixtures/spikeinterface")


@pytest.fixture
def make_dialog(qtbot):
    def make(path):
        dialog = OpenBinaryDialog(path)
        qtbot.addWidget(dialog)
        return dialog

    return make


@pytest.fixture
def traces_file(tmp_path):
    """0.2 s of 6 int16 channels at 30 kHz: channel c is a sine of period 20 + 10 c samples."""
    samples = np.arange(6_000)[:, None]
    data = (1000 * np.sin(2 * np.pi * samples / (20 + 10 * np.arange(6)))).astype("int16")
    path = tmp_path / "data.bin"
    data.tofile(path)
    return path, data


def test_preview_shows_the_first_samples_of_up_to_16_channels(make_dialog, traces_file):
    path, data = traces_file
    dialog = make_dialog(path)
    dialog.num_channels.setValue(6)
    shown = dialog.preview_data()
    np.testing.assert_array_equal(shown, data[:2_400])  # 80 ms at 30 kHz
    curves = [c for c in dialog._curves if c.isVisible()]
    assert len(curves) == 6
    x, y = curves[2].getData()
    assert x[-1] == pytest.approx(79.97, abs=0.01)
    assert np.corrcoef(y, data[:2_400, 2])[0, 1] > 0.99  # channel 2 drawn as read
    assert "channels 0–5" in dialog.preview_note.text()


def test_preview_follows_the_settings(make_dialog, traces_file):
    path, data = traces_file
    dialog = make_dialog(path)
    dialog.num_channels.setValue(6)
    right = dialog.preview_data().copy()
    dialog.num_channels.setValue(4)  # 4 x 9000 also divides the size: "fits", but garbage
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    wrong = dialog.preview_data()
    assert wrong.shape == (2_400, 4) and not np.array_equal(wrong, right[:, :4])
    dialog.num_channels.setValue(6)
    dialog.dtype.setCurrentText("float32")  # 3,000 frames of 6 float32: fits too
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    assert not np.allclose(dialog.preview_data(), right, equal_nan=True)
    dialog.dtype.setCurrentText("int16")
    dialog.sampling_frequency.setValue(10_000.0)
    assert dialog.preview_data().shape == (800, 6)


def test_preview_of_channels_by_samples_reads_each_channel(make_dialog, tmp_path):
    data = np.arange(3 * 5_000, dtype="int16").reshape(3, 5_000)
    path = tmp_path / "planar.bin"
    data.tofile(path)
    dialog = make_dialog(path)
    dialog.num_channels.setValue(3)
    dialog.time_axis.setCurrentIndex(1)
    np.testing.assert_array_equal(dialog.preview_data(), data[:, :2_400].T)


def test_preview_shows_at_most_16_channels(make_dialog, tmp_path):
    path = tmp_path / "wide.bin"
    np.zeros((1_000, 40), dtype="int16").tofile(path)
    dialog = make_dialog(path)
    dialog.num_channels.setValue(40)
    assert dialog.preview_data().shape == (1_000, PREVIEW_CHANNELS)
    assert "(of 40)" in dialog.preview_note.text()


@pytest.mark.parametrize("version", ["si_0.100.8", "si_0.105.3"])
def test_fields_come_from_a_spikeinterface_binary_json(make_dialog, version):
    folder = FIXTURES / version / "recording_binary" / "recording"
    if not folder.is_dir():
        pytest.skip(f"SpikeInterface fixtures not found at {folder}")
    dialog = make_dialog(folder / "traces_cached_seg1.raw")
    assert dialog.dtype.currentText() == "int16" and dialog.num_channels.value() == 16
    assert dialog.sampling_frequency.value() == 30_000.0
    assert dialog.gain_to_uV.value() == pytest.approx(0.195)
    assert "binary.json" in dialog.metadata.text() and "segment 1 of 2" in dialog.metadata.text()
    expected = si.read_binary_folder(folder)
    recording = dialog.recording()
    np.testing.assert_array_equal(recording.get_traces(), expected.get_traces(segment_index=1))


def test_fields_come_from_our_own_binary_folder(make_dialog, tmp_path):
    source = si.generate_recording(num_channels=5, durations=[0.3], seed=0)
    source.set_channel_gains([0.5, 0.5, 1.0, 1.0, 2.0])
    source.set_channel_offsets(0.0)
    source.save(folder=tmp_path / "saved", dtype="float32", progress_bar=False, verbose=False)
    dialog = make_dialog(tmp_path / "saved" / "traces_cached_seg0.raw")
    assert (dialog.dtype.currentText(), dialog.num_channels.value()) == ("float32", 5)
    assert not dialog.per_channel_gains.isHidden() and dialog.per_channel_gains.isChecked()
    assert not dialog.gain_to_uV.isEnabled()
    np.testing.assert_allclose(dialog.recording().get_channel_gains(), [0.5, 0.5, 1, 1, 2])


def test_fields_come_from_a_spikeglx_meta(make_dialog, tmp_path):
    run = write_spikeglx_run(tmp_path, num_samples=600)
    dialog = make_dialog(run.ap_meta.with_suffix(".bin"))
    assert dialog.num_channels.value() == 385 and dialog.dtype.currentText() == "int16"
    assert dialog.sampling_frequency.value() == pytest.approx(run.ap_rate, abs=1e-3)
    assert "sync word" in dialog.metadata.text()
    recording = dialog.recording()
    np.testing.assert_allclose(recording.get_channel_gains()[:384], run.ap_gains)
    np.testing.assert_array_equal(recording.get_traces(), run.ap)
    np.testing.assert_array_equal(dialog.preview_data(), run.ap[:, :PREVIEW_CHANNELS])


def test_fields_come_from_an_openephys_structure_oebin(make_dialog, tmp_path):
    stream = np1_stream("Neuropix-PXI-100.ProbeA-AP", 30_000.0, 900, first=0, seed=3)
    node = write_openephys_binary(tmp_path, [stream])
    path = node / "experiment1/recording1/continuous/Neuropix-PXI-100.ProbeA-AP/continuous.dat"
    dialog = make_dialog(path)
    assert dialog.num_channels.value() == 384 and dialog.dtype.currentText() == "int16"
    assert dialog.sampling_frequency.value() == 30_000.0
    assert dialog.gain_to_uV.value() == pytest.approx(0.195)
    assert dialog.per_channel_gains.isHidden()
    assert "structure.oebin" in dialog.metadata.text()
    np.testing.assert_array_equal(dialog.recording().get_traces(), stream.data)


def test_unreadable_metadata_is_reported_and_the_fields_stay(make_dialog, tmp_path):
    path = tmp_path / "traces_cached_seg0.raw"
    np.zeros(100, dtype="int16").tofile(path)
    (tmp_path / "binary.json").write_text("{not json")
    dialog = make_dialog(path)
    assert "could not be read" in dialog.metadata.text() and "binary.json" in dialog.metadata.text()
    assert dialog.num_channels.value() == 32 and dialog.metadata_layout is None


def test_a_file_without_metadata_keeps_the_defaults(make_dialog, traces_file):
    dialog = make_dialog(traces_file[0])
    assert dialog.metadata_layout is None and dialog.metadata.isHidden()
