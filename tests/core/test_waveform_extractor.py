"""WaveformExtractor: extraction, templates, folders, zarr, selection, extensions."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from core import load_extractor
from core.jobs import CancelToken, JobCancelled
from core.recording import NumpyRecording
from core.sorting import NumpySorting
from core.waveforms.api import (
    estimate_sparsity,
    extract_waveforms,
    load_waveforms,
    precompute_sparsity,
)
from core.waveforms.extension import BaseWaveformExtractorExtension
from core.waveforms.extractor import WaveformExtractor
from core.waveforms.sparsity import ChannelSparsity

FS = 10_000.0
NUM_CHANNELS = 8
MS_BEFORE, MS_AFTER = 1.0, 2.0  # 10 and 20 samples
JOB = {"progress_bar": False, "chunk_size": 600}


def make_recording(folder):
    """Two segments, 8 channels on a line 20 µm apart, int16 with gains; saved to a folder."""
    rng = np.random.default_rng(0)
    traces = [rng.integers(-300, 300, size=(n, NUM_CHANNELS)).astype("int16") for n in (3000, 2000)]
    recording = NumpyRecording(traces, sampling_frequency=FS)
    recording.set_channel_gains(0.5)
    recording.set_channel_offsets(1.0)
    locations = np.column_stack([np.zeros(NUM_CHANNELS), 20.0 * np.arange(NUM_CHANNELS)])
    recording.set_dummy_probe_from_locations(locations)
    recording.annotate(is_filtered=True)
    return recording.save(folder=folder, progress_bar=False)


def make_sorting(folder=None):
    rng = np.random.default_rng(1)
    times = [
        np.sort(rng.choice(np.arange(5, 2995), 60, replace=False)),
        np.sort(rng.choice(1990, 40, replace=False)),
    ]
    labels = [rng.choice(np.array(["a", "b", "c"]), t.size) for t in times]
    sorting = NumpySorting.from_times_labels(times, labels, FS)
    return sorting if folder is None else sorting.save(folder=folder)


@pytest.fixture
def recording(tmp_path):
    return make_recording(tmp_path / "recording")


@pytest.fixture
def sorting(tmp_path):
    return make_sorting(tmp_path / "sorting")


def extract(recording, sorting, folder=None, **kwargs):
    options = dict(sparse=False, max_spikes_per_unit=None, seed=0, **JOB)
    options.update(kwargs)
    mode = "folder" if folder is not None else "memory"
    return extract_waveforms(recording, sorting, folder=folder, mode=mode, **options)


def line_sparsity(sorting):
    mask = np.zeros((3, NUM_CHANNELS), dtype=bool)
    mask[0, :3] = mask[1, 2:6] = mask[2, [0, 7]] = True
    return ChannelSparsity(mask, sorting.unit_ids, np.arange(NUM_CHANNELS))


# --------------------------------------------------------------------------- extraction
def test_folder_layout_and_params(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf", max_spikes_per_unit=20)
    names = sorted(p.name for p in we.folder.iterdir())
    assert names == [
        "params.json",
        "recording.json",
        "recording_info",
        "sorting.json",
        "templates_average.npy",
        "waveforms",
    ]
    params = json.loads((we.folder / "params.json").read_text())
    assert params == {
        "ms_before": 1.0,
        "ms_after": 2.0,
        "max_spikes_per_unit": 20,
        "return_scaled": True,
        "dtype": "<f4",
    }
    assert (we.nbefore, we.nafter, we.nsamples) == (10, 20, 30)


def test_recording_attributes_are_complete(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf")
    attributes = json.loads(
        (we.folder / "recording_info" / "recording_attributes.json").read_text()
    )
    assert attributes["num_samples"] == [3000, 2000]
    assert attributes["is_filtered"] is True
    assert attributes["properties"]["gain_to_uV"] == [0.5] * NUM_CHANNELS
    assert "contact_vector" not in attributes["properties"]


def test_memory_equals_folder(recording, sorting, tmp_path):
    folder_we = extract(recording, sorting, tmp_path / "wf")
    memory_we = extract(recording, sorting)
    assert memory_we.format == "memory"
    for unit_id in sorting.unit_ids:
        np.testing.assert_array_equal(
            memory_we.get_waveforms(unit_id), folder_we.get_waveforms(unit_id)
        )
        np.testing.assert_array_equal(
            memory_we.get_sampled_indices(unit_id), folder_we.get_sampled_indices(unit_id)
        )


def test_waveforms_are_scaled_traces(recording, sorting):
    we = extract(recording, sorting)
    index = we.get_sampled_indices("b")[3]
    segment = int(index["segment_index"])
    frame = sorting.get_unit_spike_train("b", segment_index=segment)[index["spike_index"]]
    traces = recording.get_traces(
        segment_index=segment, start_frame=frame - 10, end_frame=frame + 20, return_scaled=True
    )
    np.testing.assert_array_equal(we.get_waveforms("b")[3], traces)


def test_templates_are_the_mean_of_the_waveforms(recording, sorting):
    we = extract(recording, sorting)
    for unit_id in sorting.unit_ids:
        np.testing.assert_array_equal(
            we.get_template(unit_id), we.get_waveforms(unit_id).mean(axis=0)
        )


def test_sparse_templates_are_dense_with_zeros(recording, sorting):
    sparsity = line_sparsity(sorting)
    we = extract(recording, sorting, sparsity=sparsity)
    templates = we.get_all_templates()
    assert templates.shape == (3, 30, NUM_CHANNELS)
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        mask = sparsity.mask[unit_index]
        assert not templates[unit_index][:, ~mask].any()
        np.testing.assert_array_equal(
            templates[unit_index][:, mask], we.get_waveforms(unit_id).mean(axis=0)
        )
        assert we.get_template(unit_id).shape == (30, mask.sum())
        assert we.get_template(unit_id, force_dense=True).shape == (30, NUM_CHANNELS)


def test_sparse_waveforms_equal_dense_restricted(recording, sorting):
    sparsity = line_sparsity(sorting)
    sparse = extract(recording, sorting, sparsity=sparsity)
    dense = extract(recording, sorting)
    for unit_index, unit_id in enumerate(sorting.unit_ids):
        mask = sparsity.mask[unit_index]
        np.testing.assert_array_equal(
            sparse.get_waveforms(unit_id), dense.get_waveforms(unit_id)[:, :, mask]
        )
        np.testing.assert_array_equal(
            sparse.get_waveforms(unit_id, force_dense=True)[:, :, mask],
            dense.get_waveforms(unit_id)[:, :, mask],
        )


def test_default_precompute_modes_skip_percentile(recording, sorting):
    we = extract(recording, sorting, precompute_template=None)
    we.precompute_templates()
    assert sorted(we._template_cache) == ["average", "median", "std"]
    assert we.get_all_templates(mode="median").dtype == np.float32


def test_percentile_templates(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf")
    we.precompute_templates(modes=("percentile",), percentile=90)
    expected = np.percentile(we.get_waveforms("a"), 90, axis=0)
    np.testing.assert_allclose(
        we.get_template("a", mode="percentile", percentile=90), expected, rtol=1e-6
    )
    assert (we.folder / "templates_percentile_90.npy").is_file()
    with pytest.raises(ValueError, match="percentile"):
        we.precompute_templates(modes=("percentile",))


def test_template_of_one_segment(recording, sorting):
    we = extract(recording, sorting)
    waveforms, index = we.get_waveforms("c", with_index=True)
    expected = waveforms[index["segment_index"] == 1].mean(axis=0)
    np.testing.assert_allclose(we.get_template_segment("c", 1), expected, rtol=1e-6)


def test_extra_sparsity_on_dense_waveforms(recording, sorting):
    we = extract(recording, sorting)
    sparsity = line_sparsity(sorting)
    assert we.get_waveforms("b", sparsity=sparsity).shape[2] == 4
    assert we.get_template("b", sparsity=sparsity).shape == (30, 4)


def test_threads_and_processes_give_the_same_extractor(recording, sorting):
    threads = extract(recording, sorting, n_jobs=2, pool_engine="thread")
    processes = extract(recording, sorting, n_jobs=2, pool_engine="process")
    for unit_id in sorting.unit_ids:
        np.testing.assert_array_equal(
            threads.get_waveforms(unit_id), processes.get_waveforms(unit_id)
        )


def test_estimated_sparsity_follows_the_biggest_channel(tmp_path, sorting):
    rng = np.random.default_rng(2)
    traces = rng.normal(0, 1, size=(3000, NUM_CHANNELS)).astype("float32")
    for frame in sorting.get_unit_spike_train("a", segment_index=0):
        traces[frame, 6] -= 50.0
    recording = NumpyRecording(
        [traces, np.zeros((2000, NUM_CHANNELS), "float32")], sampling_frequency=FS
    )
    recording.set_dummy_probe_from_locations(
        np.column_stack([np.zeros(NUM_CHANNELS), 20.0 * np.arange(NUM_CHANNELS)])
    )
    recording.annotate(is_filtered=True)
    sparsity = precompute_sparsity(recording, sorting, method="radius", radius_um=25, seed=0, **JOB)
    np.testing.assert_array_equal(sparsity.unit_id_to_channel_indices["a"], [5, 6, 7])
    estimated = estimate_sparsity(recording, sorting, method="best_channels", num_channels=1, **JOB)
    np.testing.assert_array_equal(estimated.unit_id_to_channel_indices["a"], [6])


def test_spikes_outside_the_recording_are_rejected(recording):
    sorting = NumpySorting.from_times_labels(
        [np.array([5]), np.array([2000])], [np.array([0]), np.array([1])], FS
    )
    with pytest.raises(ValueError, match="unit 1 has spikes outside segment 1"):
        extract(recording, sorting)


def test_unfiltered_recording_needs_allow_unfiltered(sorting):
    recording = NumpyRecording(
        [np.zeros((3000, 2), "int16"), np.zeros((2000, 2), "int16")], sampling_frequency=FS
    )
    recording.set_dummy_probe_from_locations(np.array([[0.0, 0.0], [0.0, 20.0]]))
    with pytest.raises(ValueError, match="not filtered"):
        extract(recording, sorting)
    we = extract(recording, sorting, allow_unfiltered=True, return_scaled=False)
    assert we.get_num_channels() == 2


def test_recording_needs_locations(sorting):
    recording = NumpyRecording([np.zeros((3000, 2)), np.zeros((2000, 2))], sampling_frequency=FS)
    with pytest.raises(ValueError, match="channel locations"):
        extract(recording, sorting)


# --------------------------------------------------------------------------- atomic folders
def test_cancel_leaves_no_folder(recording, sorting, tmp_path):
    token = CancelToken()

    def cancel(done, total):
        if done == 2:
            token.cancel()

    with pytest.raises(JobCancelled):
        extract(recording, sorting, tmp_path / "wf", progress_callback=cancel, cancel_token=token)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recording", "sorting"]


def test_existing_folder_is_untouched_without_overwrite(recording, sorting, tmp_path):
    folder = tmp_path / "wf"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    with pytest.raises(FileExistsError):
        extract(recording, sorting, folder, sparse=True)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_overwrite_replaces_the_folder(recording, sorting, tmp_path):
    folder = tmp_path / "wf"
    extract(recording, sorting, folder, max_spikes_per_unit=5)
    we = extract(recording, sorting, folder, overwrite=True, max_spikes_per_unit=7)
    assert load_waveforms(folder).get_waveforms("a").shape[0] == 7
    assert we.folder == folder


# --------------------------------------------------------------------------- loading
def test_load_with_recording(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf")
    loaded = load_waveforms(tmp_path / "wf")
    assert loaded.has_recording() and loaded.format == "binary"
    np.testing.assert_array_equal(loaded.get_all_templates(), we.get_all_templates())


def test_recordingless_loading_uses_recording_info(recording, sorting, tmp_path):
    extract(recording, sorting, tmp_path / "wf")
    we = load_waveforms(tmp_path / "wf", with_recording=False)
    assert not we.has_recording()
    with pytest.raises(ValueError, match="with_recording=False"):
        we.recording  # noqa: B018
    assert we.get_num_samples(1) == 2000 and we.get_total_samples() == 5000
    np.testing.assert_array_equal(we.get_channel_locations(), recording.get_channel_locations())
    np.testing.assert_array_equal(we.get_recording_property("gain_to_uV"), [0.5] * NUM_CHANNELS)
    np.testing.assert_array_equal(we.channel_ids_to_indices([3, 1]), [3, 1])
    assert we.is_filtered() and we.get_probe().get_contact_count() == NUM_CHANNELS


def test_missing_recording_suggests_recordingless_loading(recording, sorting, tmp_path):
    extract(recording, sorting, tmp_path / "wf")
    shutil.rmtree(tmp_path / "recording")
    with pytest.raises(ValueError, match="with_recording=False"):
        load_waveforms(tmp_path / "wf")


def test_in_memory_sorting_is_saved_inside_the_folder(recording, tmp_path):
    sorting = make_sorting()  # not JSON-serializable: a copy goes to wf/sorting/
    extract(recording, sorting, tmp_path / "wf")
    description = json.loads((tmp_path / "wf" / "sorting.json").read_text())
    assert description["relative_paths"] is True
    shutil.move(tmp_path / "wf", tmp_path / "moved")
    loaded = load_waveforms(tmp_path / "moved")
    np.testing.assert_array_equal(loaded.sorting.to_spike_vector(), sorting.to_spike_vector())


def test_pickled_sorting_needs_allow_pickle(recording, sorting, tmp_path):
    extract(recording, sorting, tmp_path / "wf")
    (tmp_path / "wf" / "sorting.json").unlink()
    sorting.dump_to_pickle(tmp_path / "wf" / "sorting.pickle")  # as SpikeInterface may write
    with pytest.raises(ValueError, match="allow_pickle"):
        load_waveforms(tmp_path / "wf")
    loaded = load_waveforms(tmp_path / "wf", allow_pickle=True)
    np.testing.assert_array_equal(loaded.unit_ids, sorting.unit_ids)


def test_relative_paths_survive_moving_the_parent(recording, tmp_path):
    processed = tmp_path / "processed"
    sorting = make_sorting(processed / "sorting")
    extract(recording, sorting, processed / "waveforms", use_relative_path=True)
    moved = tmp_path / "elsewhere" / "moved"
    moved.parent.mkdir()
    shutil.move(processed, moved)
    we = load_waveforms(moved / "waveforms", with_recording=False)
    assert we.sorting.get_num_units() == 3
    assert we.get_waveforms("a").shape[1:] == (30, NUM_CHANNELS)


def test_resaved_sparse_folder_without_sparsity_json(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf", sparsity=line_sparsity(sorting))
    (we.folder / "sparsity.json").unlink()
    loaded = load_waveforms(tmp_path / "wf")
    np.testing.assert_array_equal(loaded.sparsity.mask, line_sparsity(sorting).mask)


# --------------------------------------------------------------------------- saving and selection
def test_save_of_a_sparse_extractor_keeps_its_sparsity(recording, sorting, tmp_path):
    we = extract(recording, sorting, sparsity=line_sparsity(sorting))
    saved = we.save(tmp_path / "saved")
    assert (tmp_path / "saved" / "sparsity.json").is_file()
    assert saved.is_sparse()
    attributes = json.loads(
        (tmp_path / "saved" / "recording_info" / "recording_attributes.json").read_text()
    )
    assert {"num_samples", "is_filtered", "properties"} <= attributes.keys()


def test_save_with_sparsity_makes_it_sparse(recording, sorting, tmp_path):
    we = extract(recording, sorting)
    sparsity = line_sparsity(sorting)
    sparse = we.save(folder=tmp_path / "sparse", sparsity=sparsity)
    assert sparse.is_sparse()
    np.testing.assert_array_equal(
        sparse.get_waveforms("c"), we.get_waveforms("c")[:, :, sparsity.mask[2]]
    )
    assert not sparse.get_all_templates()[2][:, ~sparsity.mask[2]].any()
    with pytest.raises(ValueError, match="already sparse"):
        sparse.save(tmp_path / "again", sparsity=sparsity)


def test_save_refuses_an_existing_folder(recording, sorting, tmp_path):
    we = extract(recording, sorting)
    (tmp_path / "taken").mkdir()
    with pytest.raises(FileExistsError):
        we.save(tmp_path / "taken")


def test_zarr_round_trip_without_recording(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf", sparsity=line_sparsity(sorting))
    we.precompute_templates(modes=("average", "std"))
    zarr_we = we.save(folder=tmp_path / "copy", format="zarr")
    assert zarr_we.folder.name == "copy.zarr" and zarr_we.format == "zarr"
    loaded = load_waveforms(tmp_path / "copy.zarr", with_recording=False)
    assert isinstance(loaded.sparsity, ChannelSparsity)
    np.testing.assert_array_equal(loaded.get_channel_locations(), recording.get_channel_locations())
    np.testing.assert_array_equal(
        loaded.get_all_templates(mode="std"), we.get_all_templates(mode="std")
    )
    np.testing.assert_array_equal(loaded.get_waveforms("b", lazy=False), we.get_waveforms("b"))
    np.testing.assert_array_equal(loaded.get_sampled_indices("b"), we.get_sampled_indices("b"))


def test_select_units_to_folder_writes_top_level_templates(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf", sparsity=line_sparsity(sorting))
    selected = we.select_units(["c", "a"], new_folder=tmp_path / "selected")
    assert (tmp_path / "selected" / "templates_average.npy").is_file()
    assert not (tmp_path / "selected" / "waveforms" / "templates_average.npy").exists()
    np.testing.assert_array_equal(selected.unit_ids, ["c", "a"])
    np.testing.assert_array_equal(selected.get_all_templates()[0], we.get_all_templates()[2])
    np.testing.assert_array_equal(selected.sparsity.mask, line_sparsity(sorting).mask[[2, 0]])


def test_select_units_in_memory(recording, sorting):
    we = extract(recording, sorting)
    selected = we.select_units(["b"])
    assert selected.format == "memory"
    np.testing.assert_array_equal(selected.get_waveforms("b"), we.get_waveforms("b"))


def test_delete_waveforms(recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf")
    assert we.has_waveforms()
    we.delete_waveforms()
    assert not we.has_waveforms() and not (tmp_path / "wf" / "waveforms").exists()
    with pytest.raises(ValueError, match="waveforms"):
        we.get_waveforms("a")


def test_set_recording_checks_channels(recording, sorting, tmp_path):
    extract(recording, sorting, tmp_path / "wf")
    we = load_waveforms(tmp_path / "wf", with_recording=False)
    other = recording.channel_slice(recording.channel_ids[::-1])
    with pytest.raises(ValueError, match="channel ids"):
        we.set_recording(other)
    we.set_recording(recording)
    assert we.has_recording()


# --------------------------------------------------------------------------- extensions
class PeakExtension(BaseWaveformExtractorExtension):
    """Minimal extension: per-unit template minimum."""

    extension_name = "test_peaks"

    def _set_params(self, scale=1.0):
        return {"scale": scale}

    def _run(self):
        templates = self.waveform_extractor.get_all_templates()
        self._extension_data["peaks"] = templates.min(axis=(1, 2)) * self._params["scale"]
        self._extension_data["info"] = {"units": self.waveform_extractor.unit_ids.tolist()}

    def _select_extension_data(self, unit_ids):
        indices = self.waveform_extractor.sorting.ids_to_indices(unit_ids)
        return {"peaks": self._extension_data["peaks"][indices], "info": {"units": list(unit_ids)}}


@pytest.fixture
def registered():
    WaveformExtractor.register_extension(PeakExtension)
    yield PeakExtension
    WaveformExtractor.extensions.remove(PeakExtension)


def test_extension_is_stored_and_reloaded(registered, recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf")
    extension = PeakExtension(we)
    extension.set_params(scale=2.0)
    extension.run()
    assert (tmp_path / "wf" / "test_peaks" / "peaks.npy").is_file()
    loaded = load_waveforms(tmp_path / "wf")
    assert loaded.get_available_extension_names() == ["test_peaks"]
    reloaded = loaded.load_extension("test_peaks")
    assert reloaded._params == {"scale": 2.0}
    np.testing.assert_array_equal(
        reloaded._extension_data["peaks"], extension._extension_data["peaks"]
    )
    selected = loaded.select_units(["b"], new_folder=tmp_path / "selected")
    assert selected.load_extension("test_peaks")._extension_data["info"] == {"units": ["b"]}
    loaded.delete_extension("test_peaks")
    assert not loaded.has_extension("test_peaks")


def test_extension_is_copied_into_a_zarr_store(registered, recording, sorting, tmp_path):
    we = extract(recording, sorting, tmp_path / "wf")
    extension = PeakExtension(we)
    extension.set_params()
    extension.run()
    we.save(tmp_path / "copy", format="zarr")
    loaded = load_waveforms(tmp_path / "copy.zarr").load_extension("test_peaks")
    np.testing.assert_array_equal(
        loaded._extension_data["peaks"], extension._extension_data["peaks"]
    )
    assert loaded._extension_data["info"] == extension._extension_data["info"]


def test_register_extension_rejects_duplicate_names(registered):
    class Other(BaseWaveformExtractorExtension):
        extension_name = "test_peaks"

    with pytest.raises(ValueError, match="already registered"):
        WaveformExtractor.register_extension(Other)
    with pytest.raises(TypeError):
        WaveformExtractor.register_extension(dict)


# --------------------------------------------------------------------------- SpikeInterface fixture
def sha256(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


@pytest.fixture
def si_waveforms(si_fixtures):
    """The 0.100.8 sparse waveform folder, its sorting, recording and expected values."""
    root = si_fixtures / "si_0.100.8"
    expected = json.loads((root / "waveforms_sparse_folder" / "expected.json").read_text())
    sorting = load_extractor(root / "sorting_default_folder" / "sorting")
    recording = load_extractor(root / "recording_binary" / "recording")
    return root / "waveforms_sparse_folder" / "waveforms", sorting, recording, expected


def check_against_expected(we, expected) -> None:
    assert (we.nbefore, we.nafter, we.nsamples) == (30, 60, 90)
    assert we.return_scaled is True and we.dtype == expected["dtype"]
    np.testing.assert_array_equal(we.unit_ids, expected["unit_ids"]["values"])
    assert we.unit_ids.dtype == np.dtype(expected["unit_ids"]["numpy_dtype"])
    np.testing.assert_array_equal(we.channel_ids, expected["channel_ids"]["values"])
    np.testing.assert_array_equal(we.sparsity.mask, expected["sparsity"]["mask"])
    for unit_id in we.unit_ids.tolist():
        unit = expected["units"][str(unit_id)]
        waveforms, index = we.get_waveforms(unit_id, with_index=True)
        assert list(waveforms.shape) == unit["waveforms_shape"]
        assert waveforms.dtype == np.dtype(unit["waveforms_dtype"])
        assert sha256(waveforms) == unit["waveforms_sha256"]
        np.testing.assert_allclose(
            waveforms[0, we.nbefore], unit["waveforms_first_spike_at_nbefore"], rtol=1e-6, atol=1e-4
        )
        first = [[int(i), int(s)] for i, s in index[: len(unit["sampled_index_first"])]]
        assert first == unit["sampled_index_first"]
        assert list(index.dtype.names) == unit["sampled_index_dtype_fields"]
    templates = we.get_all_templates()
    average = expected["templates"]["average"]
    assert list(templates.shape) == average["shape"] and templates.dtype == np.float32
    assert sha256(templates) == average["sha256"]
    np.testing.assert_allclose(templates[0, 30], average["values_at_nbefore_unit0"], atol=1e-4)
    np.testing.assert_allclose(templates[-1, 30], average["values_at_nbefore_last_unit"], atol=1e-4)


def test_spikeinterface_folder_loads_without_recording(si_waveforms):
    folder, sorting, _, expected = si_waveforms
    we = load_waveforms(folder, with_recording=False, sorting=sorting)
    assert we.is_read_only()
    check_against_expected(we, expected)
    assert we._params == expected["params"]
    assert we.get_num_segments() == expected["num_segments"]
    assert [we.get_num_samples(s) for s in (0, 1)] == expected["num_samples"]
    np.testing.assert_array_equal(we.get_channel_locations(), expected["channel_locations"])


def test_spikeinterface_folder_with_foreign_paths_needs_recordingless_loading(si_waveforms):
    folder, sorting, _, _ = si_waveforms
    with pytest.raises(ValueError, match="with_recording=False"):
        load_waveforms(folder, sorting=sorting)


def test_fresh_extraction_reproduces_spikeinterface(si_waveforms, tmp_path):
    _, sorting, recording, expected = si_waveforms
    we = extract_waveforms(
        recording,
        sorting,
        folder=tmp_path / "wf",
        sparse=True,
        max_spikes_per_unit=50,
        seed=0,
        progress_bar=False,
    )
    check_against_expected(we, expected)
