"""Sorting formats: numpy_folder, npz_folder, npz file and zarr; SpikeInterface fixtures."""

import hashlib
import json

import numpy as np
import pytest
import zarr
from numcodecs import Blosc, Delta, get_codec

from core.loading import load_extractor
from core.opening import read_zarr
from core.sorting.base import minimum_spike_dtype
from core.sorting.folders import (
    NpzFolderSorting,
    NumpyFolderSorting,
    read_numpy_sorting_folder,
    write_sorting_folder_data,
)
from core.sorting.npz import NpzSortingExtractor, read_npz_sorting
from core.sorting.numpy import NumpySorting
from core.sorting.zarr import ZarrSortingExtractor, read_zarr_sorting

FS = 30_000.0
VERSIONS = ["si_0.100.8", "si_0.105.3"]
UNIT_IDS = {"int": [7, 3, 12, 40], "str": ["b", "a", "cc", "empty"]}


# --------------------------------------------------------------------------- helpers
def make_sorting(id_kind: str = "int") -> NumpySorting:
    """3 segments (the last one empty), 4 units (the last one empty), properties, annotations."""
    ids = np.array(UNIT_IDS[id_kind])
    times = [np.array([5, 10, 10, 40, 90]), np.array([3, 7, 7]), np.zeros(0, dtype="int64")]
    labels = [ids[[0, 1, 0, 2, 1]], ids[[1, 1, 2]], ids[:0]]
    sorting = NumpySorting.from_times_labels(times, labels, FS, unit_ids=ids)
    sorting.set_property("quality", ["good", "mua", "good", "noise"])
    sorting.set_property("amplitude", [50.0, 60.5, 70.0, np.nan])
    sorting.set_property("location", np.arange(8, dtype="float32").reshape(4, 2))
    sorting.set_property("channel", np.array([1, 2, 3, 4], dtype="int32"))
    sorting.annotate(sorter="test", curated=False, params={"threshold": 5})
    return sorting


def assert_same_spikes(loaded, source) -> None:
    assert loaded.unit_ids.dtype == source.unit_ids.dtype
    np.testing.assert_array_equal(loaded.unit_ids, source.unit_ids)
    assert loaded.sampling_frequency == source.sampling_frequency
    assert loaded.get_num_segments() == source.get_num_segments()
    np.testing.assert_array_equal(loaded.to_spike_vector(), source.to_spike_vector())
    for segment_index in range(source.get_num_segments()):
        for unit_id in source.unit_ids:
            np.testing.assert_array_equal(
                loaded.get_unit_spike_train(unit_id, segment_index=segment_index),
                source.get_unit_spike_train(unit_id, segment_index=segment_index),
            )


def assert_same_metadata(loaded, source) -> None:
    assert sorted(loaded.get_property_keys()) == sorted(source.get_property_keys())
    for key in source.get_property_keys():
        assert loaded.get_property(key).dtype == source.get_property(key).dtype, key
        np.testing.assert_array_equal(loaded.get_property(key), source.get_property(key))
    assert loaded._annotations == source._annotations


def spike_vector_sha256(sorting) -> dict:
    spikes = sorting.to_spike_vector()
    order = np.lexsort((spikes["unit_index"], spikes["sample_index"], spikes["segment_index"]))
    return {
        f"{field}_int64": hashlib.sha256(spikes[field][order].astype("<i8").tobytes()).hexdigest()
        for field in minimum_spike_dtype.names
    }


def fixture_path(si_fixtures, version: str, name: str):
    root = si_fixtures / version / name
    if not (root / "expected.json").is_file():
        pytest.skip(f"SpikeInterface fixture {root} is absent")
    expected = json.loads((root / "expected.json").read_text())
    return root / expected["data_path"], expected


def check_against_expected(sorting, expected: dict) -> None:
    assert type(sorting).__name__ == expected["class_after_load"]
    assert sorting.sampling_frequency == expected["sampling_frequency"]
    assert sorting.unit_ids.tolist() == expected["unit_ids"]["values"]
    assert sorting.unit_ids.dtype.str == expected["unit_ids"]["numpy_dtype"]
    assert sorting.get_num_segments() == expected["num_segments"]
    for segment_index in range(sorting.get_num_segments()):
        counts = expected["spike_counts_per_segment"][segment_index]
        firsts = expected["first_spike_frames_per_segment"][segment_index]
        for unit_id in sorting.unit_ids:
            train = sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            assert train.size == counts[str(unit_id)]
            assert train[:5].tolist() == firsts[str(unit_id)]
    assert sorting.count_total_num_spikes() == expected["total_spikes"]
    hashes = {k: v for k, v in expected["spike_vector_sha256"].items() if k != "note"}
    assert spike_vector_sha256(sorting) == hashes
    assert sorted(sorting.get_property_keys()) == sorted(expected["properties"])
    for key, prop in expected["properties"].items():
        values = sorting.get_property(key)
        assert values.dtype.str == prop["numpy_dtype"], key
        if values.dtype.kind == "f":
            np.testing.assert_allclose(values, prop["values"], rtol=1e-6)
        else:
            assert values.tolist() == prop["values"]
    assert sorting._annotations == expected["annotations"]


# --------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("id_kind", ["int", "str"])
def test_numpy_folder_round_trip(tmp_path, id_kind):
    sorting = make_sorting(id_kind)
    loaded = sorting.save(folder=tmp_path / "sorting", verbose=False)
    assert isinstance(loaded, NumpyFolderSorting)
    assert_same_spikes(loaded, sorting)
    assert_same_metadata(loaded, sorting)


@pytest.mark.parametrize("id_kind", ["int", "str"])
def test_npz_folder_round_trip(tmp_path, id_kind):
    sorting = make_sorting(id_kind)
    loaded = sorting.save(folder=tmp_path / "sorting", format="npz_folder", verbose=False)
    assert isinstance(loaded, NpzFolderSorting)
    assert_same_spikes(loaded, sorting)
    assert_same_metadata(loaded, sorting)


@pytest.mark.parametrize("id_kind", ["int", "str"])
def test_memory_round_trip(id_kind):
    sorting = make_sorting(id_kind)
    loaded = sorting.save(format="memory")
    assert_same_spikes(loaded, sorting)
    assert_same_metadata(loaded, sorting)


@pytest.mark.parametrize("id_kind", ["int", "str"])
def test_zarr_round_trip(tmp_path, id_kind):
    sorting = make_sorting(id_kind)
    loaded = sorting.save(format="zarr", folder=tmp_path / "sorting", verbose=False)
    assert isinstance(loaded, ZarrSortingExtractor)
    assert_same_spikes(loaded, sorting)
    assert_same_metadata(loaded, sorting)


@pytest.mark.parametrize("id_kind", ["int", "str"])
def test_npz_file_round_trip(tmp_path, id_kind):
    sorting = make_sorting(id_kind)
    NpzSortingExtractor.write_sorting(sorting, tmp_path / "sorting.npz")
    loaded = read_npz_sorting(tmp_path / "sorting.npz")
    assert_same_spikes(loaded, sorting)
    assert loaded.get_property_keys() == []


@pytest.mark.parametrize(
    ("save_kwargs", "cls"),
    [
        ({}, NumpyFolderSorting),
        ({"format": "npz_folder"}, NpzFolderSorting),
        ({"format": "zarr"}, ZarrSortingExtractor),
    ],
)
def test_load_extractor_reopens_a_saved_sorting(tmp_path, save_kwargs, cls):
    sorting = make_sorting("str")
    saved = sorting.save(folder=tmp_path / "sorting", verbose=False, **save_kwargs)
    folder = tmp_path / ("sorting.zarr" if cls is ZarrSortingExtractor else "sorting")
    loaded = load_extractor(folder)
    assert type(loaded) is cls
    assert_same_spikes(loaded, sorting)
    assert_same_metadata(loaded, saved)


def test_resaving_a_memmapped_sorting_gives_the_same_spikes(tmp_path):
    sorting = make_sorting("int")
    first = sorting.save(folder=tmp_path / "first", verbose=False)
    second = first.save(folder=tmp_path / "second", format="npz_folder", verbose=False)
    assert_same_spikes(second, sorting)
    assert_same_metadata(second, sorting)


def test_dict_of_a_numpy_folder_sorting_rebuilds_it(tmp_path):
    saved = make_sorting("int").save(folder=tmp_path / "sorting", verbose=False)
    description = saved.to_dict()
    assert description["class"] == "spikeinterface.core.sortingfolder.NumpyFolderSorting"
    assert description["kwargs"] == {"folder_path": str((tmp_path / "sorting").absolute())}
    assert_same_spikes(load_extractor(description), saved)


# --------------------------------------------------------------------------- layouts
def test_numpy_folder_layout(tmp_path):
    make_sorting("int").save(folder=tmp_path / "sorting", verbose=False)
    folder = tmp_path / "sorting"
    assert sorted(p.name for p in folder.iterdir()) == [
        "numpysorting_info.json",
        "properties",
        "provenance.json",
        "si_folder.json",
        "spikes.npy",
    ]
    assert np.load(folder / "spikes.npy").dtype == minimum_spike_dtype
    info = json.loads((folder / "numpysorting_info.json").read_text())
    assert info == {"sampling_frequency": FS, "unit_ids": [7, 3, 12, 40], "num_segments": 3}
    si_folder = json.loads((folder / "si_folder.json").read_text())
    assert si_folder["class"] == "spikeinterface.core.sortingfolder.NumpyFolderSorting"
    assert si_folder["kwargs"] == {"folder_path": "."}
    assert si_folder["relative_paths"] is True


def test_numpy_folder_info_is_compact_json(tmp_path):
    NumpyFolderSorting.write_sorting(make_sorting("str"), tmp_path / "sorting")
    text = (tmp_path / "sorting" / "numpysorting_info.json").read_text()
    assert text == (
        '{"sampling_frequency": 30000.0, "unit_ids": ["b", "a", "cc", "empty"], "num_segments": 3}'
    )


def test_npz_folder_layout(tmp_path):
    make_sorting("int").save(folder=tmp_path / "sorting", format="npz_folder", verbose=False)
    folder = tmp_path / "sorting"
    assert sorted(p.name for p in folder.iterdir()) == [
        "npz.json",
        "properties",
        "provenance.json",
        "si_folder.json",
        "sorting_cached.npz",
    ]
    npz_json = json.loads((folder / "npz.json").read_text())
    assert npz_json["class"] == "spikeinterface.core.npzsortingextractor.NpzSortingExtractor"
    assert npz_json["kwargs"] == {"file_path": "sorting_cached.npz"}
    assert npz_json["relative_paths"] is True
    si_folder = json.loads((folder / "si_folder.json").read_text())
    assert si_folder["class"] == "spikeinterface.core.sortingfolder.NpzFolderSorting"


def test_npz_file_layout(tmp_path):
    NpzSortingExtractor.write_sorting(make_sorting("str"), tmp_path / "sorting")
    with np.load(tmp_path / "sorting.npz", allow_pickle=False) as archive:
        assert archive.files == [
            "unit_ids",
            "num_segment",
            "sampling_frequency",
            *[f"spike_{kind}_seg{i}" for i in range(3) for kind in ("indexes", "labels")],
        ]
        assert archive["num_segment"].tolist() == [3]
        assert archive["sampling_frequency"].tolist() == [FS]
        assert archive["spike_indexes_seg0"].tolist() == [5, 10, 10, 40, 90]
        assert archive["spike_labels_seg0"].tolist() == ["b", "b", "a", "cc", "a"]
        assert archive["spike_labels_seg2"].dtype == np.int64


def test_npz_file_is_written_under_a_temporary_name(tmp_path):
    NpzSortingExtractor.write_sorting(make_sorting("int"), tmp_path / "sorting.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["sorting.npz"]


def test_zarr_layout(tmp_path):
    make_sorting("int").save(format="zarr", folder=tmp_path / "sorting.out", verbose=False)
    root = zarr.open_group(tmp_path / "sorting.zarr", mode="r")
    assert root.metadata.zarr_format == 2
    assert root.attrs["sampling_frequency"] == FS
    assert root.attrs["num_segments"] == 3
    assert root.attrs["annotations"]["params"] == {"threshold": 5}
    assert root["unit_ids"][:].tolist() == [7, 3, 12, 40]
    assert root["spikes/segment_slices"][:].tolist() == [[0, 5], [5, 8], [8, 8]]
    meta = json.loads(
        (tmp_path / "sorting.zarr" / "spikes" / "sample_index" / ".zarray").read_text()
    )
    assert meta["dtype"] == "<i8"
    assert [get_codec(f) for f in meta["filters"]] == [Delta(dtype="int64")]
    assert get_codec(meta["compressor"]) == Blosc(cname="zstd", clevel=5, shuffle=Blosc.BITSHUFFLE)
    assert sorted(root["properties"].array_keys()) == [
        "amplitude",
        "channel",
        "location",
        "quality",
    ]


def test_zarr_sorting_opens_without_reading_the_spike_vector(tmp_path):
    make_sorting("int").save(format="zarr", folder=tmp_path / "sorting", verbose=False)
    loaded = read_zarr_sorting(tmp_path / "sorting.zarr")
    assert loaded._cached_spike_vector is None
    assert loaded.get_unit_spike_train(3, segment_index=1, use_cache=False).tolist() == [3, 7]


def test_read_zarr_dispatches_to_the_sorting_reader(tmp_path):
    make_sorting("str").save(format="zarr", folder=tmp_path / "sorting", verbose=False)
    assert isinstance(read_zarr(tmp_path / "sorting.zarr"), ZarrSortingExtractor)


def test_numpy_folder_spikes_are_memory_mapped(tmp_path):
    make_sorting("int").save(folder=tmp_path / "sorting", verbose=False)
    loaded = read_numpy_sorting_folder(tmp_path / "sorting")
    assert isinstance(loaded.to_spike_vector(), np.memmap)
    assert not loaded.to_spike_vector().flags.writeable


def test_trailing_empty_segment_survives_a_save(tmp_path):
    loaded = make_sorting("int").save(folder=tmp_path / "sorting", verbose=False)
    assert loaded.get_num_segments() == 3
    assert loaded.to_spike_vector(concatenated=False)[2].size == 0


# --------------------------------------------------------------------------- SpikeInterface fixtures
@pytest.mark.parametrize("version", VERSIONS)
def test_spikeinterface_numpy_folder_matches_expected(si_fixtures, version):
    folder, expected = fixture_path(si_fixtures, version, "sorting_default_folder")
    check_against_expected(load_extractor(folder), expected)


@pytest.mark.parametrize("version", VERSIONS)
def test_spikeinterface_npz_file_matches_expected(si_fixtures, version):
    file_path, expected = fixture_path(si_fixtures, version, "sorting_npz_file")
    check_against_expected(read_npz_sorting(file_path), expected)


def test_spikeinterface_folder_resaves_as_npz_folder(si_fixtures, tmp_path):
    folder, expected = fixture_path(si_fixtures, "si_0.100.8", "sorting_default_folder")
    resaved = load_extractor(folder).save(folder=tmp_path / "copy", format="npz_folder")
    expected = dict(expected, class_after_load="NpzFolderSorting")
    check_against_expected(load_extractor(tmp_path / "copy"), expected)
    assert isinstance(resaved, NpzFolderSorting)


def test_legacy_npzfolder_class_path_loads(tmp_path):
    sorting = make_sorting("int")
    sorting.save(folder=tmp_path / "sorting", format="npz_folder", verbose=False)
    si_folder_file = tmp_path / "sorting" / "si_folder.json"
    description = json.loads(si_folder_file.read_text())
    description["class"] = "spikeinterface.core.npzfolder.NpzFolderSorting"
    si_folder_file.write_text(json.dumps(description))
    loaded = load_extractor(tmp_path / "sorting")
    assert isinstance(loaded, NpzFolderSorting)
    assert_same_spikes(loaded, sorting)


# --------------------------------------------------------------------------- failures
def test_save_without_overwrite_keeps_the_existing_folder(tmp_path):
    folder = tmp_path / "sorting"
    make_sorting("int").save(folder=folder, verbose=False)
    before = (folder / "spikes.npy").read_bytes()
    with pytest.raises(FileExistsError, match="sorting"):
        make_sorting("str").save(folder=folder, verbose=False)
    assert (folder / "spikes.npy").read_bytes() == before
    assert NumpyFolderSorting(folder).unit_ids.tolist() == [7, 3, 12, 40]


def test_zarr_save_without_overwrite_keeps_the_existing_store(tmp_path):
    make_sorting("int").save(format="zarr", folder=tmp_path / "sorting", verbose=False)
    with pytest.raises(FileExistsError, match=r"sorting\.zarr"):
        make_sorting("str").save(format="zarr", folder=tmp_path / "sorting", verbose=False)
    assert read_zarr_sorting(tmp_path / "sorting.zarr").unit_ids.tolist() == [7, 3, 12, 40]


def test_failed_save_leaves_no_folder(tmp_path, monkeypatch):
    def failing_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        make_sorting("int").save(folder=tmp_path / "sorting", verbose=False)
    assert list(tmp_path.iterdir()) == []


def test_unknown_folder_format_lists_the_choices(tmp_path):
    with pytest.raises(ValueError, match="'numpy_folder'.*'npz_folder'"):
        write_sorting_folder_data(make_sorting("int"), tmp_path, format="parquet")


def test_numpy_folder_write_refuses_a_saved_folder(tmp_path):
    NumpyFolderSorting.write_sorting(make_sorting("int"), tmp_path / "sorting")
    with pytest.raises(FileExistsError, match="numpysorting_info.json"):
        NumpyFolderSorting.write_sorting(make_sorting("int"), tmp_path / "sorting")


def test_npz_with_a_missing_key_names_the_file(tmp_path):
    np.savez(tmp_path / "broken.npz", unit_ids=np.arange(2), num_segment=np.array([1]))
    with pytest.raises(ValueError, match=r"broken\.npz.*'sampling_frequency'"):
        read_npz_sorting(tmp_path / "broken.npz")


def test_file_that_is_not_npz_names_the_file(tmp_path):
    (tmp_path / "notes.npz").write_text("not an archive")
    with pytest.raises(ValueError, match=r"notes\.npz: not an npz archive"):
        read_npz_sorting(tmp_path / "notes.npz")


def test_npz_label_outside_unit_ids_names_the_file(tmp_path):
    np.savez(
        tmp_path / "bad.npz",
        unit_ids=np.array([1, 2]),
        num_segment=np.array([1]),
        sampling_frequency=np.array([FS]),
        spike_indexes_seg0=np.array([4, 8]),
        spike_labels_seg0=np.array([1, 5]),
    )
    with pytest.raises(ValueError, match=r"bad\.npz.*label 5"):
        read_npz_sorting(tmp_path / "bad.npz")


def test_missing_numpy_folder_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="numpysorting_info.json"):
        NumpyFolderSorting(tmp_path)


def test_spikes_file_with_another_dtype_names_the_file(tmp_path):
    NumpyFolderSorting.write_sorting(make_sorting("int"), tmp_path)
    np.save(tmp_path / "spikes.npy", np.arange(5))
    with pytest.raises(ValueError, match=r"spikes\.npy: expected a 1-D array"):
        NumpyFolderSorting(tmp_path)


def test_numpy_folder_rejects_an_unknown_mmap_mode(tmp_path):
    with pytest.raises(ValueError, match="mmap_mode"):
        NumpyFolderSorting(tmp_path, mmap_mode="w+")


def test_spikeinterface_0105_folder_loads_its_spikes_into_memory(si_fixtures):
    folder, _ = fixture_path(si_fixtures, "si_0.105.3", "sorting_default_folder")
    assert not isinstance(load_extractor(folder).to_spike_vector(), np.memmap)
