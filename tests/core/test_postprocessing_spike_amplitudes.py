"""Spike amplitudes on recordings whose every spike value is known.

Unit ``a`` dips on channel 0 and unit ``b`` on channel 1, one sample after each spike (so the
peak shift is +1), by ``100`` / ``200`` raw units plus a per-spike extra depth; scaled values are
``raw * 0.5 + 1`` µV (see :mod:`.postprocessing_data`).
"""

from __future__ import annotations

import numpy as np
import pytest

from core import load_waveforms
from core.jobs import CancelToken, JobCancelled
from core.postprocessing import SpikeAmplitudesCalculator, compute_spike_amplitudes

from .postprocessing_data import GAIN, OFFSET, recording_with_spikes, sorting_of, waveform_extractor

TRAINS = ({"a": [10, 40, 95], "b": [20, 41, 70]}, {"a": [5, 30], "b": [12, 59]})
DEPTHS = {"a": [[0, 10, 20], [30, 40]], "b": [[0, 5, 10], [15, 20]]}
LENGTHS = [100, 60]
JOB = {"progress_bar": False, "chunk_size": 25, "n_jobs": 1}


@pytest.fixture
def sorting():
    return sorting_of(*TRAINS)


@pytest.fixture
def recording(sorting):
    return recording_with_spikes(sorting, LENGTHS, DEPTHS)


def expected_raw(sorting) -> list[np.ndarray]:
    """Per segment, spike-vector order: -(100 or 200 + extra depth)."""
    values = []
    for segment, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
        counters = {"a": 0, "b": 0}
        segment_values = []
        for unit_index in spikes["unit_index"]:
            unit_id = sorting.unit_ids[unit_index]
            base = 100 if unit_id == "a" else 200
            segment_values.append(-(base + DEPTHS[unit_id][segment][counters[unit_id]]))
            counters[unit_id] += 1
        values.append(np.array(segment_values))
    return values


def test_amplitudes_of_every_spike_in_microvolts(recording, sorting):
    we = waveform_extractor(recording, sorting)
    amplitudes = compute_spike_amplitudes(we, **JOB)
    assert len(amplitudes) == 2
    for values, raw in zip(amplitudes, expected_raw(sorting)):
        assert values.dtype == np.float32
        np.testing.assert_array_equal(values, (raw * GAIN + OFFSET).astype("float32"))


def test_raw_amplitudes_keep_the_recording_dtype(recording, sorting):
    we = waveform_extractor(recording, sorting)
    amplitudes = compute_spike_amplitudes(we, return_scaled=False, **JOB)
    assert amplitudes[0].dtype == np.int16
    np.testing.assert_array_equal(amplitudes[1], expected_raw(sorting)[1])


def test_by_unit_gives_one_dict_per_segment(recording, sorting):
    we = waveform_extractor(recording, sorting)
    by_unit = compute_spike_amplitudes(we, outputs="by_unit", return_scaled=False, **JOB)
    np.testing.assert_array_equal(by_unit[0]["a"], [-100, -110, -120])
    np.testing.assert_array_equal(by_unit[1]["b"], [-215, -220])


def test_spike_at_the_end_reads_the_last_sample():
    # the last spike's trough lands on sample 99 (not 100): its border-padded waveform enters
    # the template, so other spikes keep the template's peak one sample after the spike
    sorting = sorting_of({"a": [10, 30, 60, 99], "b": [50]})
    recording = recording_with_spikes(sorting, [100], {"a": [[0, 0, 0, 7]], "b": [[0]]})
    we = waveform_extractor(recording, sorting)
    raw = compute_spike_amplitudes(we, return_scaled=False, outputs="by_unit", **JOB)
    np.testing.assert_array_equal(raw[0]["a"], [-100, -100, -100, -107])  # 100 clipped to 99


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_chunks_threads_and_progress(recording, sorting, n_jobs):
    we = waveform_extractor(recording, sorting)
    calls = []
    amplitudes = compute_spike_amplitudes(
        we, progress_callback=lambda d, t: calls.append((d, t)), **{**JOB, "n_jobs": n_jobs}
    )
    assert calls[0] == (0, 7) and calls[-1] == (7, 7)  # 4 + 3 chunks of 25 samples
    single = compute_spike_amplitudes(waveform_extractor(recording, sorting), **JOB)
    np.testing.assert_array_equal(amplitudes[0], single[0])


def test_cancel_saves_nothing(recording, sorting, tmp_path):
    we = waveform_extractor(recording, sorting, tmp_path / "we")
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        compute_spike_amplitudes(we, cancel_token=token, **JOB)
    assert not we.has_extension("spike_amplitudes")
    assert not (tmp_path / "we" / "spike_amplitudes").exists()


def test_saved_as_one_file_per_segment_and_reloaded(recording, sorting, tmp_path):
    we = waveform_extractor(recording, sorting, tmp_path / "we")
    amplitudes = compute_spike_amplitudes(we, **JOB)
    folder = tmp_path / "we" / "spike_amplitudes"
    assert sorted(p.name for p in folder.iterdir()) == [
        "amplitude_segment_0.npy",
        "amplitude_segment_1.npy",
        "params.json",
    ]
    reloaded = load_waveforms(tmp_path / "we", with_recording=False, sorting=sorting)
    extension = reloaded.load_extension("spike_amplitudes")
    assert isinstance(extension, SpikeAmplitudesCalculator)
    assert extension._params == {"peak_sign": "neg", "return_scaled": True}
    loaded = compute_spike_amplitudes(reloaded, load_if_exists=True)
    for values, expected in zip(loaded, amplitudes):
        np.testing.assert_array_equal(values, expected)


def test_zarr_copy_and_unit_selection(recording, sorting, tmp_path):
    we = waveform_extractor(recording, sorting, tmp_path / "we")
    by_unit = compute_spike_amplitudes(we, outputs="by_unit", **JOB)
    with pytest.warns(UserWarning, match="not JSON-serializable"):
        we.save(folder=tmp_path / "copy", format="zarr")
    copy = load_waveforms(tmp_path / "copy.zarr", with_recording=False, sorting=sorting)
    copied = copy.load_extension("spike_amplitudes").get_data(outputs="by_unit")
    np.testing.assert_array_equal(copied[1]["a"], by_unit[1]["a"])
    selected = we.select_units(["b"])
    amplitudes = selected.load_extension("spike_amplitudes").get_data()
    np.testing.assert_array_equal(amplitudes[0], by_unit[0]["b"])


def test_needs_the_recording(recording, sorting, tmp_path):
    waveform_extractor(recording, sorting, tmp_path / "we")
    recordingless = load_waveforms(tmp_path / "we", with_recording=False, sorting=sorting)
    with pytest.raises(ValueError, match="needs the recording"):
        compute_spike_amplitudes(recordingless)


def test_bad_arguments_are_named(recording, sorting):
    we = waveform_extractor(recording, sorting)
    with pytest.raises(ValueError, match="outputs must be"):
        compute_spike_amplitudes(we, outputs="flat")
    with pytest.raises(ValueError, match="peak_sign must be"):
        compute_spike_amplitudes(we, peak_sign="up")
    with pytest.raises(TypeError, match="WaveformExtractor"):
        compute_spike_amplitudes(sorting)
