"""Snippets: NumpySnippets, npy files and folders, views, saving and SpikeInterface fixtures."""

import hashlib
import json

import numpy as np
import probeinterface as pi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import load_extractor
from core.snippets import (
    ChannelSliceSnippets,
    NpyFolderSnippets,
    NpySnippetsExtractor,
    NumpySnippets,
    SelectSegmentSnippets,
    read_npy_snippets,
    read_npy_snippets_folder,
)

FS = 30000.0
NBEFORE = 20
SNIPPET_LEN = 64
FIXTURE_VERSIONS = ["si_0.100.8", "si_0.105.3"]


def make_arrays(counts=(12, 7), num_channels=16, dtype="int16", seed=0):
    """Random snippets and sorted frames, one pair per entry of ``counts``."""
    rng = np.random.default_rng(seed)
    snippets = [
        rng.integers(-300, 300, size=(n, SNIPPET_LEN, num_channels)).astype(dtype) for n in counts
    ]
    frames = [np.sort(rng.choice(100_000, size=n, replace=False)) for n in counts]
    return snippets, frames


def make_snippets(counts=(12, 7), num_channels=16, **kwargs):
    snippets, frames = make_arrays(counts, num_channels)
    return NumpySnippets(snippets, frames, FS, nbefore=NBEFORE, **kwargs), snippets, frames


def two_column_probe(num_channels=16):
    probe = pi.generate_multi_columns_probe(
        num_columns=2, num_contact_per_column=num_channels // 2, xpitch=20, ypitch=20
    )
    probe.set_device_channel_indices(np.arange(num_channels))
    return probe


def saveable_snippets():
    """Two segments, string ids, probe, gains/offsets, a custom property and annotation."""
    snippets, _, _ = make_snippets(channel_ids=[f"CH{i}" for i in range(16)])
    snippets = snippets.set_probe(two_column_probe())
    snippets.set_channel_gains(0.195)
    snippets.set_channel_offsets(0.0)
    snippets.set_property("quality", np.array(["good"] * 15 + ["bad"]))
    snippets.annotate(experimenter="me")
    return snippets


# --------------------------------------------------------------------------- core-module example
def test_core_module_snippets_example_runs():
    snippets, arrays, frames_in = make_snippets()
    channel_ids = snippets.channel_ids
    num_channels = snippets.get_num_channels()
    num_snippets = snippets.get_num_snippets(segment_index=0)
    total_snippets = snippets.get_total_snippets()
    nbefore = snippets.nbefore
    nsamples_per_snippet = snippets.snippet_len
    nafter = nsamples_per_snippet - nbefore
    frames = snippets.get_frames(segment_index=0)
    snippet_cutouts = snippets.get_snippets(segment_index=0)
    snippet_cutouts_slice = snippets.get_snippets(channel_ids=channel_ids[:4], segment_index=0)

    assert (num_channels, num_snippets, total_snippets) == (16, 12, 19)
    assert (nbefore, nafter) == (NBEFORE, SNIPPET_LEN - NBEFORE)
    np.testing.assert_array_equal(frames, frames_in[0])
    assert snippet_cutouts.shape == (12, SNIPPET_LEN, 16)
    np.testing.assert_array_equal(snippet_cutouts_slice, arrays[0][:, :, :4])


# --------------------------------------------------------------------------- reading
def test_get_snippets_channel_subset_in_given_order():
    snippets, arrays, _ = make_snippets()
    out = snippets.get_snippets(segment_index=1, channel_ids=[5, 2, 9])
    np.testing.assert_array_equal(out, arrays[1][:, :, [5, 2, 9]])


@pytest.mark.parametrize(
    "indices",
    [[3, 0, 5], np.array([1, 2]), slice(2, 6), np.arange(12) % 2 == 0, [], [-1]],
    ids=["list", "array", "slice", "mask", "empty", "negative"],
)
def test_get_snippets_indices_follow_numpy_indexing(indices):
    snippets, arrays, _ = make_snippets()
    out = snippets.get_snippets(indices, segment_index=0, channel_ids=[1, 0])
    np.testing.assert_array_equal(out, arrays[0][indices][:, :, [1, 0]])


def test_get_snippets_int_index_returns_one_snippet():
    snippets, arrays, _ = make_snippets()
    np.testing.assert_array_equal(snippets.get_snippets(4, segment_index=0), arrays[0][4])


def test_get_frames_with_indices_works():
    snippets, _, frames = make_snippets()
    np.testing.assert_array_equal(snippets.get_frames([2, 0], segment_index=1), frames[1][[2, 0]])


def test_get_frames_are_int64():
    arrays, frames = make_arrays(counts=(5,))
    snippets = NumpySnippets(arrays, [frames[0].astype("int32")], FS)
    assert snippets.get_frames().dtype == np.int64


def test_get_times_are_frames_over_sampling_frequency():
    snippets, _, frames = make_snippets(counts=(6,))
    np.testing.assert_allclose(snippets.get_times(), frames[0] / FS)


def test_get_snippets_from_frames_selects_half_open_range():
    snippets, arrays, frames = make_snippets()
    start, end = int(frames[0][2]), int(frames[0][7])
    out = snippets.get_snippets_from_frames(segment_index=0, start_frame=start, end_frame=end)
    np.testing.assert_array_equal(out, arrays[0][2:7])


def test_get_snippets_from_frames_needs_sorted_frames():
    arrays, frames = make_arrays(counts=(5,))
    snippets = NumpySnippets(arrays, frames[0][::-1].copy(), FS)
    with pytest.raises(ValueError, match="not sorted"):
        snippets.get_snippets_from_frames(start_frame=0, end_frame=10)


def test_nbefore_nafter_and_alignment():
    snippets, _, _ = make_snippets()
    assert (snippets.nafter, snippets.is_aligned()) == (SNIPPET_LEN - NBEFORE, True)
    arrays, frames = make_arrays(counts=(3,))
    unaligned = NumpySnippets(arrays, frames, FS)
    assert (unaligned.nbefore, unaligned.nafter, unaligned.is_aligned()) == (None, None, False)


# --------------------------------------------------------------------------- scaling
def test_return_scaled_is_float32_gain_times_raw_plus_offset():
    snippets, arrays, _ = make_snippets()
    snippets.set_channel_gains(np.linspace(0.1, 1.6, 16))
    snippets.set_channel_offsets(-5.0)
    out = snippets.get_snippets(segment_index=0, channel_ids=[3, 1], return_scaled=True)
    gains = np.linspace(0.1, 1.6, 16)[[3, 1]].astype("float32")
    expected = arrays[0][:, :, [3, 1]].astype("float32") * gains + np.float32(-5.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    assert snippets.has_scaled_snippets()


def test_return_scaled_without_offsets_names_the_missing_property():
    snippets, _, _ = make_snippets()
    snippets.set_channel_gains(0.195)
    with pytest.raises(ValueError, match="missing: offset_to_uV"):
        snippets.get_snippets(segment_index=0, return_scaled=True)


# --------------------------------------------------------------------------- segments
def test_multi_segment_requires_segment_index():
    snippets, _, _ = make_snippets()
    with pytest.raises(ValueError, match="segment_index"):
        snippets.get_snippets()


def test_select_segments_keeps_chosen_segments_in_order():
    snippets, arrays, frames = make_snippets(counts=(4, 5, 6))
    selected = snippets.select_segments([2, 0])
    assert isinstance(selected, SelectSegmentSnippets)
    assert selected.get_num_segments() == 2
    np.testing.assert_array_equal(selected.get_snippets(segment_index=0), arrays[2])
    np.testing.assert_array_equal(selected.get_frames(segment_index=1), frames[0])


def test_select_segments_out_of_range_is_a_value_error():
    snippets, _, _ = make_snippets()
    with pytest.raises(ValueError, match="segment_indices"):
        snippets.select_segments([2])


def test_frame_slice_is_a_clear_type_error():
    snippets, _, _ = make_snippets()
    with pytest.raises(TypeError, match="get_snippets_from_frames"):
        snippets.frame_slice(0, 100)


# --------------------------------------------------------------------------- channel views
def test_channel_slice_follows_the_probe():
    snippets = saveable_snippets()
    locations = snippets.get_channel_locations()
    sliced = snippets.channel_slice(["CH9", "CH2"], renamed_channel_ids=["a", "b"])
    assert isinstance(sliced, ChannelSliceSnippets)
    np.testing.assert_array_equal(sliced.get_channel_locations(), locations[[9, 2]])
    np.testing.assert_array_equal(sliced.get_probe().device_channel_indices, np.array([0, 1]))
    np.testing.assert_array_equal(
        sliced.get_snippets(segment_index=0),
        snippets.get_snippets(segment_index=0, channel_ids=["CH9", "CH2"]),
    )


def test_set_probe_with_unwired_contacts_returns_a_channel_slice():
    snippets, arrays, _ = make_snippets()
    probe = two_column_probe()
    wiring = np.arange(16)
    wiring[[0, 15]] = -1
    probe.set_device_channel_indices(wiring)
    with pytest.warns(UserWarning, match="not wired"):
        wired = snippets.set_probe(probe)
    assert isinstance(wired, ChannelSliceSnippets)
    np.testing.assert_array_equal(wired.channel_ids, np.arange(1, 15))
    np.testing.assert_array_equal(wired.get_snippets(segment_index=1), arrays[1][:, :, 1:15])


def test_remove_channels_keeps_the_others_in_order():
    snippets, arrays, _ = make_snippets()
    kept = snippets.remove_channels([0, 7])
    np.testing.assert_array_equal(kept.channel_ids, np.delete(np.arange(16), [0, 7]))
    np.testing.assert_array_equal(
        kept.get_snippets(segment_index=0), np.delete(arrays[0], [0, 7], axis=2)
    )


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_channel_slice_then_read_equals_read_of_channels(data):
    channels = data.draw(st.lists(st.integers(0, 15), min_size=1, max_size=16, unique=True))
    subset = data.draw(st.lists(st.sampled_from(channels), min_size=1, unique=True))
    snippets, _, _ = make_snippets()
    np.testing.assert_array_equal(
        snippets.channel_slice(channels).get_snippets(segment_index=0, channel_ids=subset),
        snippets.get_snippets(segment_index=0, channel_ids=subset),
    )


# --------------------------------------------------------------------------- saving and loading
def test_save_writes_the_spikeinterface_npy_folder_layout(tmp_path):
    snippets = saveable_snippets()
    snippets.save(folder=tmp_path / "snippets", verbose=False)
    folder = tmp_path / "snippets"
    records = np.load(folder / "traces_cached_seg1.npy")
    assert records.dtype == np.dtype([("frame", "<i8"), ("snippet", "<i2", (SNIPPET_LEN, 16))])
    npy = json.loads((folder / "npy.json").read_text())
    assert npy["class"] == "spikeinterface.core.npysnippetsextractor.NpySnippetsExtractor"
    assert npy["kwargs"]["file_paths"] == ["traces_cached_seg0.npy", "traces_cached_seg1.npy"]
    assert npy["relative_paths"] is True
    si_folder = json.loads((folder / "si_folder.json").read_text())
    assert si_folder["class"] == "spikeinterface.core.npyfoldersnippets.NpyFolderSnippets"
    assert si_folder["kwargs"] == {"folder_path": "."}
    assert (folder / "probe.json").is_file()
    assert (folder / "properties" / "quality.npy").is_file()


def test_save_load_round_trip_keeps_data_and_metadata(tmp_path):
    snippets = saveable_snippets()
    loaded = snippets.save(folder=tmp_path / "snippets", verbose=False)
    assert isinstance(loaded, NpyFolderSnippets)
    for segment_index in range(2):
        np.testing.assert_array_equal(
            loaded.get_snippets(segment_index=segment_index),
            snippets.get_snippets(segment_index=segment_index),
        )
        np.testing.assert_array_equal(
            loaded.get_frames(segment_index=segment_index),
            snippets.get_frames(segment_index=segment_index),
        )
    assert loaded.nbefore == NBEFORE
    np.testing.assert_array_equal(loaded.channel_ids, snippets.channel_ids)
    np.testing.assert_array_equal(loaded.get_channel_locations(), snippets.get_channel_locations())
    np.testing.assert_array_equal(loaded.get_property("quality"), snippets.get_property("quality"))
    assert loaded.get_annotation("experimenter") == "me"
    assert loaded.has_scaled_snippets()


def test_load_extractor_opens_a_saved_folder(tmp_path):
    saveable_snippets().save(folder=tmp_path / "snippets", verbose=False)
    loaded = load_extractor(tmp_path / "snippets")
    assert isinstance(loaded, NpyFolderSnippets)
    assert loaded.get_total_snippets() == 19


def test_save_with_dtype_casts_the_written_snippets(tmp_path):
    snippets, arrays, _ = make_snippets()
    loaded = snippets.save(folder=tmp_path / "snippets", dtype="float32", verbose=False)
    assert loaded.get_dtype() == np.float32
    np.testing.assert_array_equal(loaded.get_snippets(segment_index=1), arrays[1])


def test_save_to_memory_copies_data_and_metadata():
    snippets = saveable_snippets()
    in_memory = snippets.save(format="memory")
    assert isinstance(in_memory, NumpySnippets)
    np.testing.assert_array_equal(
        in_memory.get_snippets(segment_index=0), snippets.get_snippets(segment_index=0)
    )
    assert in_memory.get_annotation("experimenter") == "me"
    np.testing.assert_array_equal(
        in_memory.get_channel_locations(), snippets.get_channel_locations()
    )


@pytest.mark.parametrize("fmt", ["zarr", "binary"])
def test_save_to_other_formats_is_a_value_error(tmp_path, fmt):
    snippets, _, _ = make_snippets()
    with pytest.raises(ValueError, match="npy"):
        snippets.save(folder=tmp_path / "snippets", format=fmt, verbose=False)


def test_write_and_read_npy_snippets(tmp_path):
    snippets, arrays, frames = make_snippets()
    paths = [tmp_path / "seg0.npy", tmp_path / "seg1.npy"]
    NpySnippetsExtractor.write_snippets(snippets, paths)
    read = read_npy_snippets(paths, FS, nbefore=NBEFORE, gain_to_uV=0.5, offset_to_uV=0.0)
    np.testing.assert_array_equal(read.get_snippets(segment_index=1), arrays[1])
    np.testing.assert_array_equal(read.get_frames(segment_index=0), frames[0])
    np.testing.assert_array_equal(read.get_channel_gains(), np.full(16, 0.5))


def test_read_functions_are_the_classes():
    assert read_npy_snippets is NpySnippetsExtractor
    assert read_npy_snippets_folder is NpyFolderSnippets


def test_clone_keeps_channel_ids_and_data():
    snippets, arrays, _ = make_snippets(channel_ids=[f"c{i}" for i in range(16)])
    clone = snippets.clone()
    np.testing.assert_array_equal(clone.channel_ids, snippets.channel_ids)
    np.testing.assert_array_equal(clone.get_snippets(segment_index=0), arrays[0])


# --------------------------------------------------------------------------- SpikeInterface fixtures
def load_fixture(si_fixtures, version):
    root = si_fixtures / version / "snippets_npy_folder"
    if not (root / "expected.json").is_file():
        pytest.skip(f"SpikeInterface snippets fixture not found at {root}")
    expected = json.loads((root / "expected.json").read_text())
    return load_extractor(root / expected["data_path"]), expected


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_fixture_metadata(si_fixtures, version):
    snippets, expected = load_fixture(si_fixtures, version)
    assert type(snippets).__name__ == expected["class_after_load"]
    assert snippets.sampling_frequency == expected["sampling_frequency"]
    assert snippets.channel_ids.tolist() == expected["channel_ids"]["values"]
    assert snippets.channel_ids.dtype.str == expected["channel_ids"]["numpy_dtype"]
    assert snippets.get_num_segments() == expected["num_segments"]
    assert (snippets.nbefore, snippets.snippet_len) == (
        expected["nbefore"],
        expected["snippet_len"],
    )
    assert snippets.get_dtype().str == expected["dtype"]


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_fixture_segments(si_fixtures, version):
    snippets, expected = load_fixture(si_fixtures, version)
    for segment_index, segment in enumerate(expected["segments"]):
        data = snippets.get_snippets(segment_index=segment_index)
        frames = snippets.get_frames(segment_index=segment_index)
        assert snippets.get_num_snippets(segment_index) == segment["num_snippets"]
        assert list(data.shape) == segment["shape"]
        assert frames[: len(segment["frames_first"])].tolist() == segment["frames_first"]
        assert (
            hashlib.sha256(frames.astype("<i8").tobytes()).hexdigest()
            == (segment["frames_sha256_int64"])
        )
        assert (
            hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest()
            == (segment["snippets_sha256"])
        )
        assert data[0, :3].tolist() == segment["first_snippet_first_rows"]


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_fixture_properties_and_locations(si_fixtures, version):
    snippets, expected = load_fixture(si_fixtures, version)
    for key, prop in expected["properties"].items():
        values = snippets.get_property(key)
        assert values.dtype.str == prop["numpy_dtype"], key
        np.testing.assert_allclose(values, prop["values"], err_msg=key)
    np.testing.assert_allclose(snippets.get_channel_locations(), expected["channel_locations"])


@pytest.mark.parametrize("version", FIXTURE_VERSIONS)
def test_fixture_without_offsets_cannot_return_scaled(si_fixtures, version):
    snippets, _ = load_fixture(si_fixtures, version)
    assert not snippets.has_scaled_snippets()
    with pytest.raises(ValueError, match="offset_to_uV"):
        snippets.get_snippets(segment_index=0, return_scaled=True)


# --------------------------------------------------------------------------- errors
def test_snippet_length_differing_between_segments_is_named():
    arrays, frames = make_arrays()
    arrays[1] = arrays[1][:, :-1]
    with pytest.raises(ValueError, match=r"snippets_list\[1\].*snippet_len"):
        NumpySnippets(arrays, frames, FS)


def test_channel_count_differing_between_segments_is_named():
    arrays, frames = make_arrays()
    arrays[1] = arrays[1][:, :, :-1]
    with pytest.raises(ValueError, match=r"snippets_list\[1\] has 15 channels"):
        NumpySnippets(arrays, frames, FS)


def test_frames_count_must_match_snippets():
    arrays, frames = make_arrays()
    frames[0] = frames[0][:-1]
    with pytest.raises(ValueError, match=r"spikesframes_list\[0\] has 11 frames for 12"):
        NumpySnippets(arrays, frames, FS)


def test_two_dimensional_snippets_are_rejected():
    with pytest.raises(ValueError, match=r"snippets_list\[0\] must be 3-D"):
        NumpySnippets(np.zeros((10, 4)), np.arange(10), FS)


def test_nbefore_longer_than_snippets_is_rejected():
    arrays, frames = make_arrays()
    with pytest.raises(ValueError, match="nbefore"):
        NumpySnippets(arrays, frames, FS, nbefore=SNIPPET_LEN + 1)


def test_channel_ids_count_must_match():
    arrays, frames = make_arrays()
    with pytest.raises(ValueError, match="channel_ids has 3 ids for 16"):
        NumpySnippets(arrays, frames, FS, channel_ids=[0, 1, 2])


def test_unknown_channel_id_is_a_value_error():
    snippets, _, _ = make_snippets()
    with pytest.raises(ValueError, match="99"):
        snippets.get_snippets(segment_index=0, channel_ids=[1, 99])


def test_index_out_of_range_is_a_value_error():
    snippets, _, _ = make_snippets()
    with pytest.raises(ValueError, match="indices: 12 is out of range"):
        snippets.get_snippets([0, 12], segment_index=0)


def test_missing_npy_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.npy"):
        read_npy_snippets(tmp_path / "nope.npy", FS)


def test_npy_file_without_snippet_records_is_named(tmp_path):
    np.save(tmp_path / "plain.npy", np.zeros((3, 4)))
    with pytest.raises(ValueError, match="plain.npy.*'frame' and 'snippet'"):
        read_npy_snippets(tmp_path / "plain.npy", FS)
