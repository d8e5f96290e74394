"""WaveformStore: one class per storage behind the WaveformExtractor facade."""

from __future__ import annotations

import numpy as np
import pytest

from core.formats.sorting_analyzer import AnalyzerWaveformStore, read_sorting_analyzer
from core.recording import NumpyRecording
from core.sorting import NumpySorting
from core.waveforms.api import extract_waveforms, load_waveforms
from core.waveforms.extension import BaseWaveformExtractorExtension
from core.waveforms.extractor import WaveformExtractor
from core.waveforms.store import WaveformStore, open_waveform_store
from core.waveforms.store_folder import BinaryFolderStore
from core.waveforms.store_memory import MemoryStore
from core.waveforms.store_zarr import ZarrWaveformStore

FS = 10_000.0
NUM_CHANNELS = 4


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    rng = np.random.default_rng(3)
    traces = [rng.integers(-200, 200, size=(n, NUM_CHANNELS)).astype("int16") for n in (2000, 900)]
    recording = NumpyRecording(traces, sampling_frequency=FS)
    recording.set_channel_gains(0.5)
    recording.set_channel_offsets(0.0)
    recording.set_dummy_probe_from_locations(
        np.column_stack([np.zeros(NUM_CHANNELS), 20.0 * np.arange(NUM_CHANNELS)])
    )
    recording.annotate(is_filtered=True)
    times = [np.sort(rng.choice(np.arange(50, 1950), 30, replace=False)), np.array([100, 500])]
    labels = [np.arange(30) % 3, np.array([0, 2])]
    sorting = NumpySorting.from_times_labels(times, labels, FS)
    root = tmp_path_factory.mktemp("sources")
    return recording.save(folder=root / "rec", progress_bar=False), sorting.save(folder=root / "s")


@pytest.fixture
def folder_we(sources, tmp_path):
    recording, sorting = sources
    return extract_waveforms(
        recording, sorting, folder=tmp_path / "wf", sparse=False, seed=0, progress_bar=False
    )


def make_store(kind: str, folder_we, tmp_path) -> WaveformStore:
    if kind == "binary":
        return folder_we.store
    if kind == "zarr":
        return folder_we.save(tmp_path / "wf.zarr", format="zarr").store
    return folder_we.select_units(folder_we.unit_ids).store


STORES = ["binary", "zarr", "memory"]


@pytest.mark.parametrize("kind", STORES)
def test_every_store_is_a_waveform_store(kind, folder_we, tmp_path):
    store = make_store(kind, folder_we, tmp_path)
    assert isinstance(store, WaveformStore)
    assert store.format == kind
    assert (store.path is None) == (kind == "memory")


@pytest.mark.parametrize("kind", STORES)
def test_store_holds_waveforms_and_templates_of_the_extraction(kind, folder_we, tmp_path):
    store = make_store(kind, folder_we, tmp_path)
    assert store.has_waveforms()
    assert store.read_params() == folder_we._params
    np.testing.assert_array_equal(store.read_templates()["average"], folder_we.get_all_templates())
    for unit_id in folder_we.unit_ids:
        np.testing.assert_array_equal(
            np.asarray(store.read_waveforms(unit_id, lazy=True)),
            store.read_waveforms(unit_id, lazy=False),
        )
        np.testing.assert_array_equal(
            store.read_waveforms(unit_id, lazy=False), folder_we.get_waveforms(unit_id)
        )
        np.testing.assert_array_equal(
            store.read_sampled_indices(unit_id), folder_we.get_sampled_indices(unit_id)
        )


@pytest.mark.parametrize("kind", STORES)
def test_store_round_trips_templates_and_extension_data(kind, folder_we, tmp_path):
    store = make_store(kind, folder_we, tmp_path)
    std = np.full((3, 30, NUM_CHANNELS), 2.5, dtype=np.float32)
    store.write_templates("std", std)
    np.testing.assert_array_equal(store.read_templates()["std"], std)

    assert not store.has_extension("things")
    store.write_extension_params("things", {"size": 3})
    store.reset_extension("things")
    store.write_extension_params("things", {"size": 3})
    data = {"values": np.arange(6.0).reshape(2, 3), "labels": {"a": "good"}}
    store.write_extension_data("things", data)
    assert store.has_extension("things")
    assert store.read_extension_params("things") == {"size": 3}
    read = store.read_extension_data("things")
    np.testing.assert_array_equal(read["values"], data["values"])
    assert read["labels"] == {"a": "good"}
    store.delete_extension("things")
    assert not store.has_extension("things")
    with pytest.raises(FileNotFoundError, match="things"):
        store.read_extension_params("things")


def test_zarr_store_refuses_extraction(folder_we, tmp_path):
    we = folder_we.save(tmp_path / "wf.zarr", format="zarr")
    with pytest.raises(NotImplementedError, match="zarr"):
        we.set_params()
    assert we.has_waveforms()  # nothing was deleted


def test_memory_store_resets_everything(folder_we):
    store = folder_we.select_units(folder_we.unit_ids).store
    store.reset_waveforms()
    assert not store.has_waveforms() and store.read_templates() == {}


def test_open_waveform_store_picks_the_class_by_suffix(folder_we, tmp_path):
    folder_we.save(tmp_path / "copy", format="zarr")
    assert isinstance(open_waveform_store(folder_we.folder), BinaryFolderStore)
    assert isinstance(open_waveform_store(tmp_path / "copy.zarr"), ZarrWaveformStore)
    with pytest.raises(FileNotFoundError, match="missing"):
        open_waveform_store(tmp_path / "missing")


def test_stores_recognise_their_paths(folder_we, tmp_path):
    folder_we.save(tmp_path / "copy", format="zarr")
    assert BinaryFolderStore.matches(folder_we.folder)
    assert not BinaryFolderStore.matches(tmp_path / "copy.zarr")
    assert ZarrWaveformStore.matches(tmp_path / "copy.zarr")
    assert not ZarrWaveformStore.matches(folder_we.folder)
    assert not AnalyzerWaveformStore.matches(folder_we.folder)
    assert not AnalyzerWaveformStore.matches(tmp_path / "copy.zarr")


def test_a_prepared_memory_store_becomes_an_extractor(sources):
    recording, sorting = sources
    params = {
        "ms_before": 1.0,
        "ms_after": 2.0,
        "max_spikes_per_unit": None,
        "return_scaled": False,
        "dtype": "<i2",
    }
    templates = {"average": np.ones((3, 30, NUM_CHANNELS), np.float32)}
    we = WaveformExtractor(
        recording, sorting, store=MemoryStore(params=params, templates=templates)
    )
    assert we.nsamples == 30 and not we.has_waveforms()
    np.testing.assert_array_equal(we.get_all_templates(), templates["average"])
    with pytest.raises(ValueError, match="folder or store"):
        WaveformExtractor(recording, sorting, folder="x", store=MemoryStore())


def test_zarr_extractor_selects_units_into_a_folder(folder_we, tmp_path):
    zarr_we = folder_we.save(tmp_path / "wf.zarr", format="zarr")
    selected = zarr_we.select_units([2, 0], new_folder=tmp_path / "selected")
    assert selected.format == "binary"
    np.testing.assert_array_equal(selected.unit_ids, [2, 0])
    np.testing.assert_array_equal(selected.get_waveforms(2), folder_we.get_waveforms(2))
    np.testing.assert_array_equal(
        selected.get_all_templates(), folder_we.get_all_templates()[[2, 0]]
    )
    reloaded = load_waveforms(tmp_path / "selected")
    np.testing.assert_array_equal(reloaded.get_sampled_indices(0), folder_we.get_sampled_indices(0))


class CountExtension(BaseWaveformExtractorExtension):
    """Spikes per unit."""

    extension_name = "test_counts"

    def _set_params(self):
        return {}

    def _run(self):
        we = self.waveform_extractor
        self._extension_data["counts"] = np.array([len(we.get_waveforms(u)) for u in we.unit_ids])

    def _select_extension_data(self, unit_ids):
        indices = self.waveform_extractor.sorting.ids_to_indices(unit_ids)
        return {"counts": self._extension_data["counts"][indices]}


@pytest.fixture
def registered():
    WaveformExtractor.register_extension(CountExtension)
    yield CountExtension
    WaveformExtractor.extensions.remove(CountExtension)


def test_memory_extension_lives_in_the_memory_store(registered, folder_we):
    we = folder_we.select_units(folder_we.unit_ids)
    extension = CountExtension(we)
    extension.set_params()
    extension.run()
    assert extension.folder is None and extension.extension_folder is None
    assert we.store.has_extension("test_counts")
    np.testing.assert_array_equal(
        we.store.read_extension_data("test_counts")["counts"], extension._extension_data["counts"]
    )
    we.delete_extension("test_counts")
    assert not we.has_extension("test_counts") and not we.store.has_extension("test_counts")


def test_read_only_folder_keeps_a_new_extension_in_memory(registered, folder_we):
    folder = folder_we.folder
    folder.chmod(0o555)
    try:
        we = load_waveforms(folder)
        assert we.is_read_only()
        with pytest.warns(UserWarning, match="read-only"):
            extension = CountExtension(we)
        extension.set_params()
        extension.run()
        assert isinstance(extension.store, MemoryStore)
        assert we.has_extension("test_counts")
        assert not (folder / "test_counts").exists()
    finally:
        folder.chmod(0o755)


@pytest.fixture
def analyzer_folder(si_fixtures):
    folder = si_fixtures / "si_0.105.3" / "sorting_analyzer_binary_folder"
    if not (folder / "expected.json").is_file():
        pytest.skip(f"SpikeInterface SortingAnalyzer fixture not found at {folder}")
    import json

    return folder / json.loads((folder / "expected.json").read_text())["data_path"]


def test_analyzer_store_matches_and_slices_unit_waveforms(analyzer_folder):
    assert AnalyzerWaveformStore.matches(analyzer_folder)
    assert not BinaryFolderStore.matches(analyzer_folder)
    store = AnalyzerWaveformStore(analyzer_folder)
    assert isinstance(store, WaveformStore) and store.format == "memory"
    we = read_sorting_analyzer(analyzer_folder)
    assert isinstance(we.store, AnalyzerWaveformStore)
    all_waveforms = np.load(analyzer_folder / "extensions" / "waveforms" / "waveforms.npy")
    spikes = we.sorting.to_spike_vector()[we.random_spikes_indices]
    for unit_index, unit_id in enumerate(we.unit_ids):
        rows = np.flatnonzero(spikes["unit_index"] == unit_index)
        width = we.get_num_channels()
        if we.is_sparse():
            width = int(we.sparsity.mask[unit_index].sum())
        np.testing.assert_array_equal(
            store.read_waveforms(unit_id, lazy=True), all_waveforms[rows, :, :width]
        )
