"""Zarr v2 chunks written directly (core.zarr_v2_chunks): the same files zarr writes."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import zarr
from numcodecs import Blosc, Delta

import core as si
from core.jobs import CancelToken, JobCancelled
from core.zarr_v2_chunks import V2ArrayLayout, V2ChunkWriter
from core.zarr_v2_store import ARRAY_CONFIG, V2_CHUNK_KEYS

FS = 10_000.0


def chunk_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if not p.name.startswith(".")}


def zarr_written(folder: Path, data: np.ndarray, **codecs) -> zarr.Array:
    """The same array written by zarr-python itself."""
    root = zarr.open_group(str(folder), mode="w", zarr_format=2)
    array = root.create_array(
        "x",
        shape=data.shape,
        dtype=data.dtype,
        chunk_key_encoding=V2_CHUNK_KEYS,
        config=ARRAY_CONFIG,
        **codecs,
    )
    array[...] = data
    return array


CODECS = {
    "blosc": {"chunks": (300, 4), "compressors": Blosc("zstd", 5, Blosc.BITSHUFFLE)},
    "delta+blosc": {
        "chunks": (256, 6),
        "compressors": Blosc("lz4", 3, Blosc.SHUFFLE),
        "filters": [Delta(dtype="int16")],
    },
    "raw": {"chunks": (500, 3), "compressors": None},
}


@pytest.mark.parametrize("threads", [0, 1, 2])
@pytest.mark.parametrize("codecs", list(CODECS), ids=list(CODECS))
def test_chunk_files_equal_zarr_s_own(tmp_path, codecs, threads):
    rng = np.random.default_rng(1)
    data = rng.integers(-2000, 2000, size=(1111, 6)).astype("int16")  # edge chunks in time
    reference = zarr_written(tmp_path / "reference.zarr", data, **CODECS[codecs])
    ours = zarr_written(tmp_path / "ours.zarr", np.zeros_like(data), **CODECS[codecs])
    folder = tmp_path / "ours.zarr" / "x"
    for path in folder.iterdir():
        if not path.name.startswith("."):
            path.unlink()
    writer = V2ChunkWriter([V2ArrayLayout.of(ours, str(folder))], threads=threads)
    time_chunk, channel_chunk = ours.chunks
    for row, start in enumerate(range(0, data.shape[0], time_chunk)):
        for column, first in enumerate(range(0, data.shape[1], channel_chunk)):
            block = data[start : start + time_chunk, first : first + channel_chunk]
            writer.write(0, (row, column), block)
    writer.close()
    assert chunk_files(folder) == chunk_files(tmp_path / "reference.zarr" / "x")
    np.testing.assert_array_equal(zarr.open_array(str(folder), mode="r")[...], data)
    assert reference.chunks == ours.chunks


def test_a_writer_sent_to_a_process_encodes_there(tmp_path):
    array = zarr_written(tmp_path / "s.zarr", np.zeros((10, 2), "int16"), chunks=(10, 2))
    writer = V2ChunkWriter([V2ArrayLayout.of(array, str(tmp_path / "s.zarr" / "x"))], threads=2)
    copy = pickle.loads(pickle.dumps(writer))
    assert copy.threads == 0 and copy.layouts == writer.layouts


def test_wrong_chunk_is_refused(tmp_path):
    array = zarr_written(tmp_path / "s.zarr", np.zeros((10, 2), "int16"), chunks=(5, 2))
    layout = V2ArrayLayout.of(array, str(tmp_path / "s.zarr" / "x"))
    with pytest.raises(ValueError, match="shape"):
        layout.encode(np.zeros((6, 2), "int16"))
    with pytest.raises(TypeError, match="dtype"):
        layout.encode(np.zeros((5, 2), "float32"))


def test_encoder_errors_reach_close(tmp_path):
    array = zarr_written(tmp_path / "s.zarr", np.zeros((10, 2), "int16"), chunks=(5, 2))
    writer = V2ChunkWriter([V2ArrayLayout.of(array, str(tmp_path / "missing"))], threads=2)
    writer.write(0, (0, 0), np.zeros((5, 2), "int16"))
    with pytest.raises(FileNotFoundError):
        writer.close()


# --------------------------------------------------------------------------- recording saves
def make_recording(num_samples=(2345, 1000)):
    rng = np.random.default_rng(0)
    traces = [rng.integers(-500, 500, size=(n, 7)).astype("int16") for n in num_samples]
    return si.NumpyRecording(traces, FS), traces


@pytest.mark.parametrize(
    "job",
    [
        {"n_jobs": 1},
        {"n_jobs": 2, "pool_engine": "thread"},
        {"n_jobs": 2, "pool_engine": "process"},
    ],
    ids=["main", "threads", "processes"],
)
def test_saved_store_equals_a_zarr_written_one(tmp_path, job):
    recording, traces = make_recording()
    recording.save(
        format="zarr",
        folder=tmp_path / "rec",
        chunk_size=400,
        channel_chunk_size=3,
        progress_bar=False,
        **job,
    )
    for segment, expected in enumerate(traces):
        folder = tmp_path / "rec.zarr" / f"traces_seg{segment}"
        reference = zarr_written(
            tmp_path / f"reference{segment}.zarr",
            expected,
            chunks=(400, 3),
            compressors=si.get_default_zarr_compressor(),
        )
        assert reference.chunks == (400, 3)
        assert chunk_files(folder) == chunk_files(tmp_path / f"reference{segment}.zarr" / "x")


def test_cancelled_zarr_save_leaves_no_store(tmp_path):
    recording, _ = make_recording((20_000,))
    token = CancelToken()

    def cancel(done, total):
        if done == 3:
            token.cancel()

    with pytest.raises(JobCancelled):
        recording.save(
            format="zarr",
            folder=tmp_path / "rec",
            chunk_size=1000,
            progress_callback=cancel,
            cancel_token=token,
            progress_bar=False,
        )
    assert list(tmp_path.iterdir()) == []


def test_blosc_chunks_are_compressed_into_reused_buffers(tmp_path, monkeypatch):
    """The default compressor goes through BloscInto (one buffer per thread), same files."""
    from core.blosc_into import BloscInto

    calls = []
    compress = BloscInto.compress

    def counting(self, data, out):
        calls.append(out.ctypes.data)
        return compress(self, data, out)

    monkeypatch.setattr(BloscInto, "compress", counting)
    data = np.random.default_rng(3).integers(-300, 300, size=(1000, 5)).astype("int16")
    reference = zarr_written(tmp_path / "reference.zarr", data, **CODECS["blosc"])
    ours = zarr_written(tmp_path / "ours.zarr", np.zeros_like(data), **CODECS["blosc"])
    folder = tmp_path / "ours.zarr" / "x"
    writer = V2ChunkWriter([V2ArrayLayout.of(ours, str(folder))], threads=1)
    for row, start in enumerate(range(0, 1000, 300)):
        for column, first in enumerate(range(0, 5, 4)):
            writer.write(0, (row, column), data[start : start + 300, first : first + 4])
    writer.close()
    assert len(calls) == 8 and len(set(calls)) == 1  # one buffer for every chunk of a thread
    assert chunk_files(folder) == chunk_files(tmp_path / "reference.zarr" / "x")
    assert reference.chunks == ours.chunks


def test_metadata_error_fails_the_save_and_leaves_no_store(tmp_path, monkeypatch):
    """The metadata written alongside the chunks: its error is the save's, nothing is left."""
    import core.recording.zarr as zarr_recording

    def failing(recording, root):
        raise OSError("disk full while writing properties")

    monkeypatch.setattr(zarr_recording, "write_properties", failing)
    recording, _ = make_recording((5000,))
    with pytest.raises(OSError, match="disk full"):
        recording.save(
            format="zarr", folder=tmp_path / "rec", chunk_size=500, n_jobs=2, progress_bar=False
        )
    assert list(tmp_path.iterdir()) == []


def test_chunk_error_waits_for_the_metadata_and_leaves_no_store(tmp_path, monkeypatch):
    """A failing chunk: the metadata thread is waited for before the partial store is removed."""
    import threading

    import core.recording.zarr as zarr_recording

    metadata_done = threading.Event()
    write_properties = zarr_recording.write_properties

    def slow_properties(recording, root):
        metadata_done.wait(0.2)
        write_properties(recording, root)
        metadata_done.set()

    def failing_read(*args):
        raise ValueError("unreadable chunk")

    monkeypatch.setattr(zarr_recording, "write_properties", slow_properties)
    monkeypatch.setattr(zarr_recording, "read_chunk", failing_read)
    recording, _ = make_recording((5000,))
    with pytest.raises(ValueError, match="unreadable chunk"):
        recording.save(
            format="zarr", folder=tmp_path / "rec", chunk_size=500, n_jobs=2, progress_bar=False
        )
    assert metadata_done.is_set()
    assert list(tmp_path.iterdir()) == []
