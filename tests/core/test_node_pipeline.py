"""Node pipelines (SpikeInterface's ``node_pipeline``): peaks, waveforms and features by chunk."""

import numpy as np
import pytest
from core.node_pipeline import (
    ExtractDenseWaveforms,
    ExtractSparseWaveforms,
    GatherToHdf5,
    PeakDetector,
    PeakRetriever,
    PipelineNode,
    SpikeRetriever,
    base_peak_dtype,
    check_graph,
    find_parent_of_type,
    run_node_pipeline,
    sorting_to_peaks,
)
from probeinterface import generate_linear_probe

import core as si

FS = 1000.0
JOB = {"n_jobs": 1, "chunk_size": 40, "progress_bar": False}  # chunks of 40: windows cross them


@pytest.fixture
def recording():
    """Value ``frame * 10 + channel`` (channel 2 of frame 55 made the most negative)."""
    traces = (np.arange(200)[:, None] * 10 + np.arange(4)[None, :]).astype("float32")
    traces[55, 2] = -1000.0
    recording = si.NumpyRecording([traces], sampling_frequency=FS)
    probe = generate_linear_probe(num_elec=4, ypitch=20)
    probe.set_device_channel_indices(np.arange(4))
    return recording.set_probe(probe)


@pytest.fixture
def peaks():
    peaks = np.zeros(3, dtype=base_peak_dtype)
    peaks["sample_index"] = [38, 55, 120]  # 38: its window crosses the chunk border at 40
    peaks["channel_index"] = [0, 1, 3]
    return peaks


def _window(frame, nbefore=2, nafter=3):
    return (np.arange(frame - nbefore, frame + nafter)[:, None] * 10 + np.arange(4)).astype(
        "float32"
    )


class PeakValue(PipelineNode):
    """The trace value at each peak's sample and channel."""

    def get_dtype(self):
        return np.dtype("float32")

    def compute(self, traces, peaks):
        return traces[peaks["sample_index"], peaks["channel_index"]]


class WaveformEnergy(PipelineNode):
    def get_dtype(self):
        return np.dtype("float32")

    def compute(self, traces, peaks, waveforms):
        return (waveforms**2).sum(axis=1)


def test_dense_waveforms_and_features_across_chunk_borders(recording, peaks):
    source = PeakRetriever(recording, peaks)
    waveforms = ExtractDenseWaveforms(recording, 2.0, 3.0, parents=[source], return_output=True)
    value = PeakValue(recording, parents=[source])
    energy = WaveformEnergy(recording, parents=[source, waveforms])
    got_waveforms, got_values, got_energy = run_node_pipeline(
        recording, [source, waveforms, value, energy], JOB
    )
    expected = np.stack([_window(38), _window(55), _window(120)])
    expected[1, 2, 2] = -1000.0
    np.testing.assert_array_equal(got_waveforms, expected)
    np.testing.assert_array_equal(got_values, [380, 551, 1203])
    np.testing.assert_allclose(got_energy, (expected**2).sum(axis=1))


def test_single_output_is_squeezed(recording, peaks):
    source = PeakRetriever(recording, peaks)
    values = run_node_pipeline(recording, [source, PeakValue(recording, parents=[source])], JOB)
    assert isinstance(values, np.ndarray) and values.tolist() == [380, 551, 1203]


def test_spike_retriever_reads_amplitudes_on_template_channels(recording):
    sorting = si.NumpySorting.from_unit_dict({"a": np.array([55]), "b": np.array([120])}, FS)
    retriever = SpikeRetriever(recording, sorting, extremum_channel_inds={"a": 1, "b": 3})
    retriever.return_output = True
    peaks = run_node_pipeline(recording, [retriever], JOB)
    assert peaks["channel_index"].tolist() == [1, 3]
    assert peaks["amplitude"].tolist() == [551.0, 1203.0]
    # as SpikeInterface: a retriever's peaks keep samples relative to their chunk
    assert peaks["sample_index"].tolist() == [55 - 40, 120 - 120]


def test_spike_retriever_finds_each_spike_channel_within_the_radius(recording):
    sorting = si.NumpySorting.from_unit_dict({"a": np.array([55])}, FS)
    retriever = SpikeRetriever(
        recording,
        sorting,
        channel_from_template=False,
        extremum_channel_inds={"a": 1},
        radius_um=25,
        peak_sign="neg",
    )
    retriever.return_output = True
    peaks = run_node_pipeline(recording, [retriever], JOB)
    assert peaks["channel_index"].tolist() == [2] and peaks["amplitude"].tolist() == [-1000.0]


def test_sparse_waveforms_keep_neighbour_channels_first(recording, peaks):
    source = PeakRetriever(recording, peaks)
    sparse = ExtractSparseWaveforms(
        recording, 2.0, 3.0, parents=[source], return_output=True, radius_um=25
    )
    got = run_node_pipeline(recording, [source, sparse], JOB)
    assert got.shape == (3, 5, 3)  # at most 3 channels within 25 um (pitch 20)
    np.testing.assert_array_equal(got[0][:, :2], _window(38)[:, [0, 1]])
    np.testing.assert_array_equal(got[0][:, 2], 0)
    np.testing.assert_array_equal(got[2][:, :2], _window(120)[:, [2, 3]])


class ThresholdDetector(PeakDetector):
    """Samples where any channel is below -500, with the detector's own margin of 1."""

    def get_trace_margin(self):
        return 1

    def compute(self, traces, start_frame, end_frame, segment_index, max_margin):
        samples, channels = np.nonzero(traces[1:-1] < -500)
        peaks = np.zeros(samples.size, dtype=base_peak_dtype)
        peaks["sample_index"] = samples + 1
        peaks["channel_index"] = channels
        peaks["segment_index"] = segment_index
        return (peaks,)


def test_detected_peaks_come_back_with_absolute_samples(recording):
    detector = ThresholdDetector(recording)
    detector.return_output = True
    waveforms = ExtractDenseWaveforms(recording, 2.0, 3.0, parents=[detector], return_output=True)
    peaks, windows = run_node_pipeline(recording, [detector, waveforms], JOB)
    assert peaks["sample_index"].tolist() == [55] and peaks["channel_index"].tolist() == [2]
    assert windows[0][2, 2] == -1000.0


def test_npy_gathering_writes_loadable_files(recording, peaks, tmp_path):
    source = PeakRetriever(recording, peaks)
    nodes = [source, PeakValue(recording, parents=[source])]
    values = run_node_pipeline(
        recording, nodes, JOB, gather_mode="npy", folder=tmp_path / "out", names=["values"]
    )
    assert values.tolist() == [380, 551, 1203]
    assert np.load(tmp_path / "out" / "values.npy").tolist() == [380, 551, 1203]
    assert not list((tmp_path / "out").glob("*.partial"))


class Failing(PipelineNode):
    def get_dtype(self):
        return np.dtype("float32")

    def compute(self, traces, peaks):
        if np.any(peaks["channel_index"] == 3):  # the last peak
            raise RuntimeError("node failed")
        return np.zeros(peaks.size, "float32")


def test_a_failed_pipeline_leaves_no_result_files(recording, peaks, tmp_path):
    source = PeakRetriever(recording, peaks)
    with pytest.raises(RuntimeError, match="node failed"):
        run_node_pipeline(
            recording,
            [source, Failing(recording, parents=[source])],
            JOB,
            gather_mode="npy",
            folder=tmp_path / "out",
            names=["values"],
        )
    assert list((tmp_path / "out").iterdir()) == []


def test_hdf5_gathering(recording, peaks, tmp_path):
    pytest.importorskip("h5py")
    gather = GatherToHdf5(tmp_path / "out.h5", ["values"])
    for chunk in ((np.array([1.0, 2.0]),), (np.array([3.0]),)):
        gather(chunk)
    assert gather.finalize_buffers(squeeze_output=True).tolist() == [1.0, 2.0, 3.0]


def test_processes_give_the_same_outputs(recording, peaks):
    source = PeakRetriever(recording, peaks)
    nodes = [source, PeakValue(recording, parents=[source])]
    in_processes = run_node_pipeline(recording, nodes, {**JOB, "n_jobs": 2})
    assert in_processes.tolist() == [380, 551, 1203]


def test_check_graph_refuses_bad_orders(recording, peaks):
    source = PeakRetriever(recording, peaks)
    value = PeakValue(recording, parents=[source])
    with pytest.raises(ValueError, match="PeakSource"):
        check_graph([value, source])
    with pytest.raises(ValueError, match="not in nodes"):
        check_graph([PeakRetriever(recording, peaks), value])
    with pytest.raises(ValueError, match="gather_mode"):
        run_node_pipeline(recording, [source, value], JOB, gather_mode="zarr")


def test_find_parent_of_type(recording, peaks):
    source = PeakRetriever(recording, peaks)
    waveforms = ExtractDenseWaveforms(recording, 1.0, 1.0, parents=[source])
    assert find_parent_of_type([source, waveforms], ExtractDenseWaveforms) is waveforms
    assert find_parent_of_type(None, ExtractDenseWaveforms) is None


def test_sorting_to_peaks():
    sorting = si.NumpySorting.from_unit_dict({5: np.array([3, 9]), 7: np.array([4])}, FS)
    peaks = sorting_to_peaks(sorting, {5: 2, 7: 0})
    assert peaks["sample_index"].tolist() == [3, 4, 9]
    assert peaks["channel_index"].tolist() == [2, 0, 2]
    assert np.all(peaks["amplitude"] == 0)
