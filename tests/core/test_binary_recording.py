"""Binary recordings: reading raw files, saving binary folders, atomic and safe writes."""

import json

import numpy as np
import pytest

import core as si
from core.jobs import CancelToken, JobCancelled

from .recording_expectations import check_recording_against_expected


def write_raw(path, num_samples=1000, num_channels=4, dtype="int16", offset_bytes=b""):
    traces = (np.arange(num_samples * num_channels) % 3000).astype(dtype)
    traces = traces.reshape(num_samples, num_channels)
    path.write_bytes(offset_bytes + traces.tobytes())
    return traces


def test_read_binary_reads_windows(tmp_path):
    traces = write_raw(tmp_path / "data.raw")
    recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=4)
    assert recording.get_num_samples() == 1000
    np.testing.assert_array_equal(
        recording.get_traces(start_frame=997, end_frame=1000, channel_ids=[3, 1]),
        traces[997:1000, [3, 1]],
    )


def test_short_and_long_windows_read_the_same_samples(tmp_path):
    # windows up to 1 MiB are read with one pread, longer ones through a memory map
    traces = write_raw(tmp_path / "data.raw", num_samples=200_000, num_channels=4)
    recording = si.read_binary(
        tmp_path / "data.raw", 1000.0, "int16", num_channels=4, file_offset=0
    )
    short = recording.get_traces(start_frame=12_345, end_frame=12_435)
    long = recording.get_traces(start_frame=0, end_frame=200_000)
    np.testing.assert_array_equal(short, traces[12_345:12_435])
    np.testing.assert_array_equal(long[12_345:12_435], short)
    assert long.shape == (200_000, 4)


def test_read_binary_is_the_class():
    assert si.read_binary is si.BinaryRecordingExtractor


def test_read_binary_with_file_offset(tmp_path):
    traces = write_raw(tmp_path / "data.bin", offset_bytes=b"H" * 100)
    recording = si.read_binary(
        tmp_path / "data.bin", 1000.0, "int16", num_channels=4, file_offset=100
    )
    np.testing.assert_array_equal(recording.get_traces(), traces)


def test_read_binary_time_axis_1(tmp_path):
    traces = np.arange(40, dtype="float32").reshape(4, 10)
    (tmp_path / "data.dat").write_bytes(traces.tobytes())
    recording = si.read_binary(
        tmp_path / "data.dat", 1000.0, "float32", num_channels=4, time_axis=1
    )
    np.testing.assert_array_equal(
        recording.get_traces(start_frame=2, end_frame=5), traces[:, 2:5].T
    )


def test_read_binary_multi_segment_with_gains(tmp_path):
    first = write_raw(tmp_path / "a.raw", num_samples=100)
    second = write_raw(tmp_path / "b.raw", num_samples=50)
    recording = si.read_binary(
        [tmp_path / "a.raw", tmp_path / "b.raw"],
        1000.0,
        "int16",
        num_channels=4,
        gain_to_uV=0.5,
        offset_to_uV=0.0,
        t_starts=[0.0, 10.0],
    )
    assert recording.get_num_segments() == 2
    np.testing.assert_array_equal(recording.get_traces(segment_index=1), second)
    assert recording.get_traces(segment_index=0, return_scaled=True)[1, 0] == first[1, 0] * 0.5
    assert recording.get_times(1)[0] == 10.0


def test_missing_binary_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.raw"):
        si.read_binary(tmp_path / "nope.raw", 1000.0, "int16", num_channels=4)


def test_size_not_fitting_dtype_and_channels_is_an_error_naming_the_file(tmp_path):
    (tmp_path / "odd.raw").write_bytes(b"\x00" * 1001)
    with pytest.raises(ValueError, match="odd.raw.*1 bytes left over.*num_channels"):
        si.read_binary(tmp_path / "odd.raw", 1000.0, "int16", num_channels=4)


def test_wrong_channel_ids_count_is_an_error(tmp_path):
    write_raw(tmp_path / "data.raw")
    with pytest.raises(ValueError, match="channel_ids"):
        si.read_binary(
            tmp_path / "data.raw", 1000.0, "int16", num_channels=4, channel_ids=["a", "b"]
        )


def test_num_chan_alias_is_deprecated(tmp_path):
    write_raw(tmp_path / "data.raw")
    with pytest.warns(DeprecationWarning):
        recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_chan=4)
    assert recording.get_num_channels() == 4


def test_binary_description(tmp_path):
    write_raw(tmp_path / "data.raw")
    recording = si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=4)
    assert recording.is_binary_compatible()
    assert recording.binary_compatible_with(dtype="int16", time_axis=0, file_offset=0)
    assert not recording.binary_compatible_with(dtype="float32")


def make_saveable_recording(tmp_path):
    traces = write_raw(tmp_path / "source.raw", num_samples=3000)
    recording = si.read_binary(
        tmp_path / "source.raw",
        1000.0,
        "int16",
        num_channels=4,
        channel_ids=["a", "b", "c", "d"],
        gain_to_uV=0.195,
        offset_to_uV=0.0,
    )
    recording.set_property("quality", ["good", "bad", "good", "good"])
    recording.annotate(session="s1", is_filtered=True)
    return recording, traces


@pytest.mark.parametrize(
    "job_kwargs",
    [
        {"n_jobs": 1, "chunk_size": 700},
        {"n_jobs": 2, "chunk_duration": "0.5s"},
        {"n_jobs": 2, "chunk_memory": "10k", "pool_engine": "thread"},
    ],
)
def test_save_binary_folder_round_trip(tmp_path, job_kwargs):
    recording, traces = make_saveable_recording(tmp_path)
    saved = recording.save(folder=tmp_path / "saved", progress_bar=False, **job_kwargs)
    assert type(saved).__name__ == "BinaryFolderRecording"
    np.testing.assert_array_equal(saved.get_traces(), traces)
    assert saved.channel_ids.tolist() == ["a", "b", "c", "d"]
    assert saved.get_property("quality").tolist() == ["good", "bad", "good", "good"]
    assert saved.get_annotation("session") == "s1"
    assert saved.is_filtered()


def test_saved_folder_follows_spikeinterface_layout(tmp_path):
    recording, _ = make_saveable_recording(tmp_path)
    recording.save(folder=tmp_path / "saved", progress_bar=False)
    folder = tmp_path / "saved"
    names = {p.name for p in folder.iterdir()}
    assert {
        "binary.json",
        "si_folder.json",
        "provenance.json",
        "properties",
        "traces_cached_seg0.raw",
    } <= names
    si_folder = json.loads((folder / "si_folder.json").read_text())
    assert si_folder["class"] == "spikeinterface.core.binaryfolder.BinaryFolderRecording"
    assert si_folder["kwargs"] == {"folder_path": "."}
    assert si_folder["relative_paths"] is True
    binary = json.loads((folder / "binary.json").read_text())
    assert binary["kwargs"]["file_paths"] == ["traces_cached_seg0.raw"]
    assert binary["kwargs"]["dtype"] == "<i2"


def test_save_with_dtype_casts(tmp_path):
    recording, traces = make_saveable_recording(tmp_path)
    saved = recording.save(folder=tmp_path / "saved", dtype="float32", progress_bar=False)
    assert saved.get_dtype() == np.float32
    np.testing.assert_array_equal(saved.get_traces(), traces.astype("float32"))


def test_save_keeps_probe_and_time_vector(tmp_path):
    import probeinterface as pi

    recording, _ = make_saveable_recording(tmp_path)
    probe = pi.generate_linear_probe(num_elec=4, ypitch=25)
    probe.set_device_channel_indices([3, 2, 1, 0])
    recording = recording.set_probe(probe)
    recording.set_times(np.arange(3000) / 1000.0 + 42.0, with_warning=False)
    saved = recording.save(folder=tmp_path / "saved", progress_bar=False)
    np.testing.assert_array_equal(saved.get_channel_locations(), recording.get_channel_locations())
    assert (tmp_path / "saved" / "probe.json").is_file()
    assert saved.get_times()[0] == 42.0


def test_existing_folder_is_never_deleted_without_overwrite(tmp_path):
    recording, _ = make_saveable_recording(tmp_path)
    (tmp_path / "saved").mkdir()
    (tmp_path / "saved" / "precious.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="overwrite"):
        recording.save(folder=tmp_path / "saved", progress_bar=False)
    assert (tmp_path / "saved" / "precious.txt").read_text() == "keep me"


def test_overwrite_replaces_folder(tmp_path):
    recording, traces = make_saveable_recording(tmp_path)
    recording.save(folder=tmp_path / "saved", progress_bar=False)
    saved = recording.frame_slice(0, 100).save(
        folder=tmp_path / "saved", overwrite=True, progress_bar=False
    )
    np.testing.assert_array_equal(saved.get_traces(), traces[:100])


def test_cancelled_save_leaves_nothing(tmp_path):
    recording, _ = make_saveable_recording(tmp_path)
    token = CancelToken()

    def cancel_after_first_chunk(done, total):
        if done >= 1:
            token.cancel()

    with pytest.raises(JobCancelled):
        recording.save(
            folder=tmp_path / "saved",
            chunk_size=100,
            progress_bar=False,
            progress_callback=cancel_after_first_chunk,
            cancel_token=token,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.raw"]


def test_failed_save_keeps_previous_folder(tmp_path):
    recording, traces = make_saveable_recording(tmp_path)
    recording.save(folder=tmp_path / "saved", progress_bar=False)

    def fail(done, total):
        if done >= 1:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        recording.save(
            folder=tmp_path / "saved",
            overwrite=True,
            chunk_size=100,
            progress_bar=False,
            progress_callback=fail,
        )
    np.testing.assert_array_equal(si.load_extractor(tmp_path / "saved").get_traces(), traces)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved", "source.raw"]


def test_write_binary_recording_adds_raw_suffix_once(tmp_path):
    recording, traces = make_saveable_recording(tmp_path)
    files = si.write_binary_recording(recording, [tmp_path / "out"], progress_bar=False)
    assert [f.name for f in files] == ["out.raw"]
    np.testing.assert_array_equal(np.fromfile(files[0], "int16").reshape(-1, 4), traces)


def test_write_binary_recording_checks_file_count(tmp_path):
    recording, _ = make_saveable_recording(tmp_path)
    with pytest.raises(ValueError, match="file_paths"):
        si.write_binary_recording(recording, [tmp_path / "a.raw", tmp_path / "b.raw"])


def test_save_to_memory_shared(tmp_path):
    recording, traces = make_saveable_recording(tmp_path)
    in_memory = recording.save(format="memory", progress_bar=False)
    assert type(in_memory).__name__ == "SharedMemoryRecording"
    np.testing.assert_array_equal(in_memory.get_traces(), traces)
    assert in_memory.get_property("quality").tolist() == ["good", "bad", "good", "good"]


def test_save_to_memory_numpy(tmp_path):
    recording, traces = make_saveable_recording(tmp_path)
    in_memory = recording.save(format="memory", sharedmem=False)
    assert type(in_memory).__name__ == "NumpyRecording"
    np.testing.assert_array_equal(in_memory.get_traces(), traces)


def test_save_to_global_tmp_folder(tmp_path):
    si.set_global_tmp_folder(tmp_path / "cache")
    recording, _ = make_saveable_recording(tmp_path)
    saved = recording.save(name="mine", progress_bar=False, verbose=False)
    assert (tmp_path / "cache" / "mine" / "si_folder.json").is_file()
    assert saved.get_num_channels() == 4


@pytest.mark.parametrize("version", ["si_0.100.8", "si_0.105.3"])
def test_spikeinterface_binary_folder_matches_expected(si_fixtures, version):
    root = si_fixtures / version / "recording_binary"
    expected = json.loads((root / "expected.json").read_text())
    recording = si.load_extractor(root / expected["data_path"])
    check_recording_against_expected(recording, expected)


def test_saved_spikeinterface_folder_round_trips(si_fixtures, tmp_path):
    root = si_fixtures / "si_0.100.8" / "recording_binary"
    expected = json.loads((root / "expected.json").read_text())
    recording = si.load_extractor(root / expected["data_path"])
    resaved = recording.save(folder=tmp_path / "again", n_jobs=2, progress_bar=False)
    check_recording_against_expected(resaved, expected)
