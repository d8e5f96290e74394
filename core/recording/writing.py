"""Chunked writing of traces: raw binary files and in-memory arrays, through the job executor."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..argument_checks import checked_numeric_dtype
from ..jobs import CancelToken, ChunkRecordingExecutor, split_job_kwargs
from ..source_files import check_save_target
from .base import BaseRecording

_BINARY_SUFFIXES = (".raw", ".bin", ".dat")
# When the executor gives a stop flag (Dask jobs), a chunk is written in blocks of about this
# many bytes with the flag checked between them, so that a cancelled job stops within a block.
_STOPPABLE_BLOCK_BYTES = 16 * 1024 * 1024


def target_dtype(recording: BaseRecording, dtype) -> tuple[np.dtype, bool]:
    """Output dtype and whether unsigned source values must be centred to signed."""
    source = recording.get_dtype()
    target = source if dtype is None else checked_numeric_dtype(dtype)
    cast_unsigned = source.kind == "u" and target.kind == "i"
    return target, cast_unsigned


def read_chunk(
    recording: BaseRecording,
    segment_index: int,
    start: int,
    end: int,
    dtype: np.dtype,
    cast_unsigned: bool,
) -> np.ndarray:
    traces = recording.get_traces(
        segment_index=segment_index, start_frame=start, end_frame=end, cast_unsigned=cast_unsigned
    )
    return np.ascontiguousarray(traces, dtype=dtype)


class _OpenFiles:
    """File descriptors of one worker, closed when the worker context goes away."""

    def __init__(self, file_paths: list[str]) -> None:
        self.fds = [os.open(path, os.O_WRONLY) for path in file_paths]

    def __del__(self) -> None:
        for fd in self.fds:
            os.close(fd)


def _init_binary_writer(recording, file_paths, dtype, byte_offset, cast_unsigned) -> dict:
    frame_bytes = recording.get_num_channels() * np.dtype(dtype).itemsize
    return {
        "recording": recording,
        "files": _OpenFiles(file_paths),
        "dtype": np.dtype(dtype),
        "byte_offset": byte_offset,
        "cast_unsigned": cast_unsigned,
        "stoppable_block_frames": max(_STOPPABLE_BLOCK_BYTES // max(frame_bytes, 1), 1),
    }


def _write_binary_chunk(segment_index: int, start: int, end: int, ctx: dict) -> None:
    """Write frames ``[start, end)`` at their byte range (idempotent: tasks may run twice)."""
    should_stop = ctx.get("should_stop")
    if should_stop is None:
        _write_binary_block(segment_index, start, end, ctx)
        return
    step = ctx["stoppable_block_frames"]
    for block_start in range(start, end, step):
        if should_stop():
            return
        _write_binary_block(segment_index, block_start, min(block_start + step, end), ctx)


def _write_binary_block(segment_index: int, start: int, end: int, ctx: dict) -> None:
    traces = read_chunk(
        ctx["recording"], segment_index, start, end, ctx["dtype"], ctx["cast_unsigned"]
    )
    frame_bytes = traces.shape[1] * traces.dtype.itemsize
    offset = ctx["byte_offset"] + start * frame_bytes
    view = memoryview(traces).cast("B")
    fd = ctx["files"].fds[segment_index]
    while view.nbytes:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def write_binary_recording(
    recording: BaseRecording,
    file_paths,
    dtype=None,
    add_file_extension: bool = True,
    byte_offset: int = 0,
    auto_cast_uint: bool = True,
    progress_callback: Callable[[int, int], None] | None = None,
    cancel_token: CancelToken | None = None,
    **job_kwargs,
) -> list[Path]:
    """Write each segment to a headerless C-order ``(samples, channels)`` binary file.

    Files are sized first and filled chunk by chunk by the job executor (threads, processes or
    a Dask cluster, whose workers write each chunk's byte range of the pre-sized files: the
    paths must be on a file system they share); memory stays bounded by the chunk size times
    ``n_jobs``.

    Parameters
    ----------
    recording : BaseRecording
        Source.
    file_paths : str | Path | list
        One file per segment.
    dtype : numpy dtype-like | None
        Output dtype (default: the recording's).
    add_file_extension : bool
        Append ``.raw`` to names without a ``.raw``/``.bin``/``.dat`` suffix.
    byte_offset : int
        Bytes left (zeroed) at the start of each file, e.g. for a header.
    auto_cast_uint : bool
        Centre unsigned data when the output dtype is signed.
    progress_callback : callable | None
        ``progress_callback(done_chunks, total_chunks)``.
    cancel_token : CancelToken | None
        Cancels the write (the caller removes the partial files).
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``...

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        If ``file_paths`` and the segments differ in number, or a target is (or lies inside) a
        file the recording reads from (checked before any file is created).
    """
    if isinstance(file_paths, str | Path):
        file_paths = [file_paths]
    file_paths = [Path(p) for p in file_paths]
    num_segments = recording.get_num_segments()
    if len(file_paths) != num_segments:
        raise ValueError(f"file_paths has {len(file_paths)} paths for {num_segments} segments")
    if add_file_extension:
        file_paths = [
            p if p.suffix in _BINARY_SUFFIXES else p.with_name(p.name + ".raw") for p in file_paths
        ]
    for path in file_paths:
        check_save_target(path, {"recording being written": recording}, argument="file_paths")
    dtype, cast_unsigned = target_dtype(recording, dtype)
    cast_unsigned = cast_unsigned and auto_cast_uint
    frame_bytes = recording.get_num_channels() * dtype.itemsize
    for segment_index, path in enumerate(file_paths):
        with open(path, "wb") as file:
            file.truncate(byte_offset + recording.get_num_samples(segment_index) * frame_bytes)
    # Reading memmaps and pwrite release the GIL: threads write as fast as the disk allows
    # without pickling the recording into processes (pool_engine="process" is still honoured).
    job_kwargs.setdefault("pool_engine", "thread")
    _, job_kwargs = split_job_kwargs(job_kwargs)
    executor = ChunkRecordingExecutor(
        recording,
        _write_binary_chunk,
        _init_binary_writer,
        (recording, [str(p.absolute()) for p in file_paths], dtype.str, byte_offset, cast_unsigned),
        job_name="write_binary_recording",
        progress_callback=progress_callback,
        cancel_token=cancel_token,
        **job_kwargs,
    )
    executor.run()
    return file_paths


def _init_array_writer(recording, arrays, dtype, cast_unsigned) -> dict:
    return {
        "recording": recording,
        "arrays": arrays,
        "dtype": np.dtype(dtype),
        "cast_unsigned": cast_unsigned,
    }


def _write_array_chunk(segment_index: int, start: int, end: int, ctx: dict) -> None:
    ctx["arrays"][segment_index][start:end] = read_chunk(
        ctx["recording"], segment_index, start, end, ctx["dtype"], ctx["cast_unsigned"]
    )


def write_traces_to_arrays(
    recording: BaseRecording,
    arrays: list[np.ndarray],
    dtype=None,
    progress_callback=None,
    cancel_token=None,
    **job_kwargs,
) -> None:
    """Fill preallocated ``(samples, channels)`` arrays (one per segment) with the traces.

    Runs in threads (the arrays are shared with the workers, not copied).
    """
    dtype, cast_unsigned = target_dtype(recording, dtype)
    job_kwargs["pool_engine"] = "thread"
    _, job_kwargs = split_job_kwargs(job_kwargs)
    executor = ChunkRecordingExecutor(
        recording,
        _write_array_chunk,
        _init_array_writer,
        (recording, arrays, dtype.str, cast_unsigned),
        job_name="write_to_memory",
        progress_callback=progress_callback,
        cancel_token=cancel_token,
        **job_kwargs,
    )
    executor.run()
