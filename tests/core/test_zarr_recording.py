"""Zarr recordings: reading SpikeInterface stores, saving the 0.100 layout, atomic writes."""

import json

import numpy as np
import probeinterface as pi
import pytest
import zarr
from numcodecs import LZMA, Blosc, Delta

import core as si
from core import zarr_v2_store
from core.jobs import CancelToken, JobCancelled
from core.opening import read_zarr
from core.recording.zarr import (
    ZarrRecordingExtractor,
    get_default_zarr_compressor,
    read_zarr_recording,
)

from .recording_expectations import (
    check_recording_metadata,
    check_recording_probe,
    check_recording_properties,
    check_recording_traces,
)

VERSIONS = ["si_0.100.8", "si_0.105.3"]
FS = 10_000.0
CHANNEL_IDS = [f"ch{i}" for i in range(6)]
JOB = {"n_jobs": 1, "progress_bar": False}


# --------------------------------------------------------------------------- helpers
def load_fixture(si_fixtures, version):
    root = si_fixtures / version / "recording_zarr_default"
    expected = json.loads((root / "expected.json").read_text())
    return read_zarr(root / expected["data_path"]), expected


def make_recording(dtype="int16"):
    """Two segments, string ids, a probe, properties, annotations, a t_start and a time vector."""
    rng = np.random.default_rng(0)
    traces = [rng.integers(0, 1000, size=(n, 6)).astype(dtype) for n in (2500, 1700)]
    recording = si.NumpyRecording(traces, FS, t_starts=[5.0, None], channel_ids=CHANNEL_IDS)
    probe = pi.generate_linear_probe(num_elec=6, ypitch=20)
    probe.set_device_channel_indices(np.arange(6))
    recording.set_probe(probe, in_place=True)
    recording.set_channel_gains(0.195)
    recording.set_channel_offsets(0.0)
    recording.set_property("quality", ["good", "bad", "good", "good", "good", "noise"])
    recording.set_property("shift", np.linspace(0, 1, 6))
    recording.annotate(experimenter="me", session={"id": 3, "tags": ["a", "b"]})
    times = 100.0 + np.cumsum(np.full(1700, 1 / FS))
    recording.set_times(times, segment_index=1, with_warning=False)
    return recording, traces, times


def read_json(path):
    return json.loads(path.read_text())


# --------------------------------------------------------------------------- SpikeInterface stores
@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_metadata(si_fixtures, version):
    recording, expected = load_fixture(si_fixtures, version)
    assert type(recording).__name__ == expected["class_after_load"]
    check_recording_metadata(recording, expected)


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_properties(si_fixtures, version):
    recording, expected = load_fixture(si_fixtures, version)
    check_recording_properties(recording, expected)


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_annotations(si_fixtures, version):
    recording, expected = load_fixture(si_fixtures, version)
    for key, value in expected["annotations"].items():
        got = recording.get_annotation(key)
        if key == "compression_ratio_segments":  # int keys in memory, strings in JSON
            assert {str(k): v for k, v in got.items()} == pytest.approx(value)
        elif key == "compression_ratio":
            assert got == pytest.approx(value)
        else:
            assert np.asarray(got).tolist() == np.asarray(value).tolist(), key


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_traces(si_fixtures, version):
    recording, expected = load_fixture(si_fixtures, version)
    check_recording_traces(recording, expected)


@pytest.mark.parametrize("version", VERSIONS)
def test_fixture_probe(si_fixtures, version):
    recording, expected = load_fixture(si_fixtures, version)
    check_recording_probe(recording, expected)


def test_fixture_compression_ratio_matches_spikeinterface(si_fixtures):
    recording, expected = load_fixture(si_fixtures, "si_0.100.8")
    assert recording.get_annotation("compression_ratio") == pytest.approx(
        expected["annotations"]["compression_ratio"], rel=1e-12
    )


def test_fixture_loads_through_load_extractor(si_fixtures):
    root = si_fixtures / "si_0.105.3" / "recording_zarr_default" / "recording.zarr"
    assert isinstance(si.load_extractor(root), ZarrRecordingExtractor)


def test_fixture_dict_names_spikeinterface_class_and_reloads(si_fixtures):
    recording, _ = load_fixture(si_fixtures, "si_0.100.8")
    description = recording.to_dict()
    assert description["class"] == "spikeinterface.core.zarrextractors.ZarrRecordingExtractor"
    assert description["kwargs"]["storage_options"] is None
    reloaded = si.load_extractor(description)
    np.testing.assert_array_equal(
        reloaded.get_traces(segment_index=1), recording.get_traces(segment_index=1)
    )


# --------------------------------------------------------------------------- round trip
def test_round_trip_traces(tmp_path):
    recording, traces, _ = make_recording()
    saved = recording.save(format="zarr", folder=tmp_path / "rec", chunk_size=700, **JOB)
    for index, expected in enumerate(traces):
        np.testing.assert_array_equal(saved.get_traces(segment_index=index), expected)


def test_round_trip_metadata(tmp_path):
    recording, _, _ = make_recording()
    saved = recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    assert saved.channel_ids.tolist() == CHANNEL_IDS
    assert saved.sampling_frequency == FS
    assert saved.get_property("quality").tolist() == recording.get_property("quality").tolist()
    np.testing.assert_array_equal(saved.get_property("shift"), recording.get_property("shift"))
    np.testing.assert_array_equal(saved.get_channel_locations(), recording.get_channel_locations())
    assert saved.get_annotation("session") == {"id": 3, "tags": ["a", "b"]}
    assert saved.get_annotation("experimenter") == "me"


def test_round_trip_times(tmp_path):
    recording, _, times = make_recording()
    saved = recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    assert saved.get_times(0)[0] == 5.0
    np.testing.assert_array_equal(saved.get_times(1), times)
    stored_t_starts = zarr.open_group(tmp_path / "rec.zarr", mode="r")["t_starts"][:]
    assert stored_t_starts[0] == 5.0 and np.isnan(stored_t_starts[1])


def test_parallel_threads_with_channel_chunks(tmp_path):
    recording, traces, _ = make_recording()
    saved = recording.save(
        format="zarr",
        folder=tmp_path / "rec",
        channel_chunk_size=4,
        n_jobs=3,
        chunk_size=300,
        progress_bar=False,
    )
    assert read_json(tmp_path / "rec.zarr" / "traces_seg0" / ".zarray")["chunks"] == [300, 4]
    np.testing.assert_array_equal(saved.get_traces(segment_index=0), traces[0])


def test_process_pool_from_a_zarr_source(tmp_path):
    recording, traces, _ = make_recording()
    source = recording.save(format="zarr", folder=tmp_path / "source", **JOB)
    copy = source.save(
        format="zarr",
        folder=tmp_path / "copy",
        n_jobs=2,
        pool_engine="process",
        chunk_size=1000,
        progress_bar=False,
    )
    np.testing.assert_array_equal(copy.get_traces(segment_index=1), traces[1])


def test_folder_suffix_becomes_zarr(tmp_path):
    recording, _, _ = make_recording()
    recording.save(format="zarr", folder=tmp_path / "rec.data", **JOB)
    assert [p.name for p in tmp_path.iterdir()] == ["rec.zarr"]


def test_no_folder_saves_to_global_tmp_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(zarr_v2_store, "get_global_tmp_folder", lambda: tmp_path)
    recording, _, _ = make_recording()
    saved = recording.save(format="zarr", name="cached", verbose=False, **JOB)
    assert saved._kwargs["folder_path"] == str(tmp_path / "cached.zarr")


def test_write_recording_writes_the_path_as_given(tmp_path):
    recording, traces, _ = make_recording()
    ZarrRecordingExtractor.write_recording(recording, tmp_path / "plain", **JOB)
    np.testing.assert_array_equal(
        read_zarr(tmp_path / "plain").get_traces(segment_index=0), traces[0]
    )


def test_read_zarr_recording_is_the_class():
    assert read_zarr_recording is ZarrRecordingExtractor


# --------------------------------------------------------------------------- layout and codecs
def test_zarray_matches_spikeinterface_fixture(si_fixtures, tmp_path):
    rng = np.random.default_rng(1)
    traces = rng.integers(-200, 200, size=(24000, 16)).astype("int16")
    recording = si.NumpyRecording(traces, 30_000.0)
    recording.save(format="zarr", folder=tmp_path / "rec", chunk_duration="0.25s", **JOB)
    ours = read_json(tmp_path / "rec.zarr" / "traces_seg0" / ".zarray")
    fixture_store = si_fixtures / "si_0.100.8" / "recording_zarr_default" / "recording.zarr"
    theirs = read_json(fixture_store / "traces_seg0" / ".zarray")
    assert ours.pop("dimension_separator") == "."  # zarr 2's default, left implicit there
    assert ours == theirs


def test_root_layout_is_zarr_v2_not_consolidated(tmp_path):
    recording, _, _ = make_recording()
    recording.save(format="zarr", folder=tmp_path / "rec", chunk_size=1000, **JOB)
    store = tmp_path / "rec.zarr"
    assert read_json(store / ".zgroup") == {"zarr_format": 2}
    assert not (store / ".zmetadata").exists()
    assert set(read_json(store / ".zattrs")) == {
        "sampling_frequency",
        "num_segments",
        "annotations",
        "provenance",
        "probe",
    }
    assert sorted(p.name for p in (store / "traces_seg0").iterdir() if p.name[0] != ".") == [
        "0.0",
        "1.0",
        "2.0",
    ]
    assert read_json(store / "channel_ids" / ".zarray")["compressor"] is None


def test_probe_attribute_has_no_file_header(tmp_path):
    recording, _, _ = make_recording()
    recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    probe = read_json(tmp_path / "rec.zarr" / ".zattrs")["probe"]
    assert "specification" not in probe and "version" not in probe
    assert pi.ProbeGroup.from_dict(probe).probes[0].get_contact_count() == 6


def test_provenance_is_null_for_in_memory_source(tmp_path):
    recording, _, _ = make_recording()
    recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    assert read_json(tmp_path / "rec.zarr" / ".zattrs")["provenance"] is None


def test_provenance_describes_a_file_backed_source(tmp_path):
    recording, _, _ = make_recording()
    source = recording.save(format="zarr", folder=tmp_path / "source", **JOB)
    source.save(format="zarr", folder=tmp_path / "copy", **JOB)
    provenance = read_json(tmp_path / "copy.zarr" / ".zattrs")["provenance"]
    assert provenance["class"] == "spikeinterface.core.zarrextractors.ZarrRecordingExtractor"
    assert provenance["kwargs"]["folder_path"] == str(tmp_path / "source.zarr")


def test_custom_compressor_and_filters(tmp_path):
    recording, traces, _ = make_recording()
    saved = recording.save(
        format="zarr",
        folder=tmp_path / "rec",
        compressor=LZMA(),
        filters=[Delta(dtype="int16")],
        **JOB,
    )
    zarray = read_json(tmp_path / "rec.zarr" / "traces_seg0" / ".zarray")
    assert zarray["compressor"]["id"] == "lzma"
    assert [f["id"] for f in zarray["filters"]] == ["delta"]
    np.testing.assert_array_equal(saved.get_traces(segment_index=0), traces[0])


def test_codecs_by_dataset(tmp_path):
    recording, _, _ = make_recording()
    recording.save(
        format="zarr",
        folder=tmp_path / "rec",
        compressor_by_dataset={"times": None},
        filters_by_dataset={"traces": [Delta(dtype="int16")]},
        **JOB,
    )
    traces_meta = read_json(tmp_path / "rec.zarr" / "traces_seg1" / ".zarray")
    times_meta = read_json(tmp_path / "rec.zarr" / "times_seg1" / ".zarray")
    assert traces_meta["compressor"]["id"] == "blosc"
    assert [f["id"] for f in traces_meta["filters"]] == ["delta"]
    assert times_meta["compressor"] is None and times_meta["filters"] is None


def test_unsigned_cast_to_signed_is_centred(tmp_path):
    recording, traces, _ = make_recording(dtype="uint16")
    saved = recording.save(format="zarr", folder=tmp_path / "rec", dtype="int16", **JOB)
    assert saved.get_dtype() == np.dtype("int16")
    np.testing.assert_array_equal(
        saved.get_traces(segment_index=0), (traces[0].astype(np.int32) - 32768).astype("int16")
    )


def test_default_compressor():
    compressor = get_default_zarr_compressor()
    assert isinstance(compressor, Blosc)
    assert compressor.get_config() == {
        "id": "blosc",
        "cname": "zstd",
        "clevel": 5,
        "shuffle": Blosc.BITSHUFFLE,
        "blocksize": 0,
    }


def test_object_property_is_skipped_with_warning(tmp_path):
    recording, _, _ = make_recording()
    recording.set_property("meta", np.array([{"a": i} for i in range(6)], dtype=object))
    with pytest.warns(UserWarning, match="'meta'"):
        saved = recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    assert "meta" not in saved.get_property_keys()


def test_unknown_save_kwarg_is_a_type_error(tmp_path):
    recording, _, _ = make_recording()
    with pytest.raises(TypeError, match="compresor"):
        recording.save(format="zarr", folder=tmp_path / "rec", compresor=None, **JOB)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- reading
def test_compression_ratio_annotations(tmp_path):
    recording, _, _ = make_recording()
    saved = recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    assert saved.get_annotation("compression_ratio") > 1
    assert set(saved.get_annotation("compression_ratio_segments")) == {0, 1}


def test_window_read_across_unaligned_chunks(tmp_path):
    recording, traces, _ = make_recording()
    saved = recording.save(
        format="zarr", folder=tmp_path / "rec", chunk_size=700, channel_chunk_size=4, **JOB
    )
    window = saved.get_traces(
        segment_index=0, start_frame=650, end_frame=1410, channel_ids=["ch5", "ch1", "ch4"]
    )
    np.testing.assert_array_equal(window, traces[0][650:1410][:, [5, 1, 4]])


def test_window_read_touches_only_its_chunks(tmp_path):
    recording, traces, _ = make_recording()
    saved = recording.save(format="zarr", folder=tmp_path / "rec", chunk_size=700, **JOB)
    (tmp_path / "rec.zarr" / "traces_seg0" / "3.0").write_bytes(b"not blosc data")
    window = saved.get_traces(segment_index=0, start_frame=700, end_frame=2100)
    np.testing.assert_array_equal(window, traces[0][700:2100])
    with pytest.raises(RuntimeError, match="blosc"):
        saved.get_traces(segment_index=0, start_frame=2100, end_frame=2200)


def test_missing_store_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.zarr"):
        read_zarr(tmp_path / "nothing.zarr")


def test_folder_that_is_not_zarr_is_a_value_error(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="not a zarr store"):
        ZarrRecordingExtractor(tmp_path / "plain")


def test_zarr_group_without_ids_is_a_value_error(tmp_path):
    zarr.open_group(tmp_path / "other.zarr", mode="w", zarr_format=2)
    with pytest.raises(ValueError, match="channel_ids"):
        read_zarr(tmp_path / "other.zarr")


# --------------------------------------------------------------------------- atomic writes
def test_existing_store_is_kept_without_overwrite(tmp_path):
    recording, traces, _ = make_recording()
    recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    with pytest.raises(FileExistsError, match="overwrite"):
        recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    assert [p.name for p in tmp_path.iterdir()] == ["rec.zarr"]
    np.testing.assert_array_equal(
        read_zarr(tmp_path / "rec.zarr").get_traces(segment_index=1), traces[1]
    )


def test_overwrite_replaces_store(tmp_path):
    recording, traces, _ = make_recording()
    recording.save(format="zarr", folder=tmp_path / "rec", **JOB)
    single = si.NumpyRecording(traces[0][:100], FS)
    saved = single.save(format="zarr", folder=tmp_path / "rec", overwrite=True, **JOB)
    assert saved.get_num_segments() == 1
    assert [p.name for p in tmp_path.iterdir()] == ["rec.zarr"]


def test_cancelled_save_leaves_nothing(tmp_path):
    recording, _, _ = make_recording()
    token = CancelToken()

    def cancel_after_first_chunk(done, total):
        if done >= 1:
            token.cancel()

    with pytest.raises(JobCancelled):
        recording.save(
            format="zarr",
            folder=tmp_path / "rec",
            chunk_size=500,
            progress_callback=cancel_after_first_chunk,
            cancel_token=token,
            **JOB,
        )
    assert list(tmp_path.iterdir()) == []
