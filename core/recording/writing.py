"""Chunked writing of traces: raw binary files, in-memory arrays and HDF5, through the job executor.

Also SpikeInterface's ``recording_tools`` names for these: `read_binary_recording`,
`write_binary_recording_file_handle`, `write_memory_recording`, `write_to_h5_dataset_format`,
`determine_cast_unsigned`.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..argument_checks import checked_numeric_dtype
from ..jobs import (
    CancelToken,
    ChunkRecordingExecutor,
    divide_segment_into_chunks,
    ensure_chunk_size,
    split_job_kwargs,
)
from ..jobs.job_kwargs import default_pool_engine
from ..source_files import check_save_target
from .base import BaseRecording

_BINARY_SUFFIXES = (".raw", ".bin", ".dat")
# copy_file_range refused: across file systems (old kernels), unsupported file systems or files
_NO_COPY_FILE_RANGE = {errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF}
# When the executor gives a stop flag (Dask jobs), a chunk is written in blocks of about this
# many bytes with the flag checked between them, so that a cancelled job stops within a block.
_STOPPABLE_BLOCK_BYTES = 16 * 1024 * 1024


def target_dtype(recording: BaseRecording, dtype) -> tuple[np.dtype, bool]:
    """Output dtype and whether unsigned source values must be centred to signed."""
    source = recording.get_dtype()
    target = source if dtype is None else checked_numeric_dtype(dtype)
    return target, determine_cast_unsigned(recording, target)


def determine_cast_unsigned(recording: BaseRecording, dtype) -> bool:
    """Whether writing ``recording`` as ``dtype`` centres unsigned values (unsigned to signed).

    Parameters
    ----------
    recording : BaseRecording
    dtype : numpy dtype-like

    Returns
    -------
    bool
        True when the recording's dtype is unsigned and ``dtype`` is signed.
    """
    return recording.get_dtype().kind == "u" and np.dtype(dtype).kind == "i"


def read_binary_recording(
    file: str | Path, num_channels: int, dtype, time_axis: int = 0, offset: int = 0
) -> np.ndarray:
    """Memory-map the traces of a headerless binary file (read-only).

    Parameters
    ----------
    file : str | Path
    num_channels : int
    dtype : numpy dtype-like
    time_axis : {0, 1}, default: 0
        0: samples then channels in the file; 1: channels then samples.
    offset : int, default: 0
        Header bytes to skip.

    Returns
    -------
    np.memmap
        ``(num_samples, num_channels)`` (a transposed view when ``time_axis=1``); a trailing
        partial frame is ignored.
    """
    num_channels, dtype = int(num_channels), np.dtype(dtype)
    if time_axis not in (0, 1):
        raise ValueError(f"time_axis must be 0 or 1, got {time_axis!r}")
    size = Path(file).stat().st_size
    num_samples = max(size - offset, 0) // (num_channels * dtype.itemsize)
    shape = (num_samples, num_channels) if time_axis == 0 else (num_channels, num_samples)
    traces = np.memmap(file, dtype, mode="r", offset=offset, shape=shape)
    return traces if time_axis == 0 else traces.T


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

    def __init__(self, file_paths: list[str | None], flags: int) -> None:
        self.fds = [None if path is None else os.open(path, flags) for path in file_paths]

    def __del__(self) -> None:
        for fd in self.fds:
            if fd is not None:
                os.close(fd)


def raw_sources(recording: BaseRecording, dtype: np.dtype, cast_unsigned: bool) -> list:
    """Per segment, ``(file, byte offset of frame 0)`` when its frames are a file's bytes as is.

    That is a binary recording (``is_binary_compatible``) of interleaved frames (time axis 0)
    written with its own dtype and channels: saving it is a copy of byte ranges, which the
    kernel does without going through user memory (``os.copy_file_range``).
    """
    num_segments = recording.get_num_segments()
    if cast_unsigned or not recording.is_binary_compatible():
        return [None] * num_segments
    description = recording.get_binary_description()
    if (
        description["time_axis"] != 0
        or np.dtype(description["dtype"]) != dtype
        or int(description["num_channels"]) != recording.get_num_channels()
        or len(description["file_paths"]) != num_segments
    ):
        return [None] * num_segments
    offset = int(description["file_offset"])
    return [(str(path), offset) for path in description["file_paths"]]


def _init_binary_writer(recording, file_paths, dtype, byte_offset, cast_unsigned) -> dict:
    dtype = np.dtype(dtype)
    sources = raw_sources(recording, dtype, cast_unsigned)
    frame_bytes = recording.get_num_channels() * dtype.itemsize
    return {
        "recording": recording,
        "files": _OpenFiles(file_paths, os.O_WRONLY),
        "sources": sources,
        "source_files": _OpenFiles([s and s[0] for s in sources], os.O_RDONLY),
        "copy_file_range": hasattr(os, "copy_file_range"),
        "dtype": dtype,
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
    frame_bytes = ctx["recording"].get_num_channels() * ctx["dtype"].itemsize
    offset = ctx["byte_offset"] + start * frame_bytes
    fd = ctx["files"].fds[segment_index]
    source = ctx["sources"][segment_index]
    if source is not None and ctx["copy_file_range"]:
        source_fd = ctx["source_files"].fds[segment_index]
        source_offset = source[1] + start * frame_bytes
        if _copy_range(source_fd, source_offset, fd, offset, (end - start) * frame_bytes):
            return
        ctx["copy_file_range"] = False  # not on these file systems: copy through memory
    traces = read_chunk(
        ctx["recording"], segment_index, start, end, ctx["dtype"], ctx["cast_unsigned"]
    )
    view = memoryview(traces).cast("B")
    while view.nbytes:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def _copy_range(source_fd: int, source_offset: int, fd: int, offset: int, count: int) -> bool:
    """Copy bytes in the kernel; False (nothing wrong written) where it cannot be done."""
    while count:
        try:
            copied = os.copy_file_range(source_fd, fd, count, source_offset, offset)
        except OSError as error:
            if error.errno in _NO_COPY_FILE_RANGE:
                return False
            raise
        if copied == 0:  # the source is shorter than it claims: let the reader say why
            return False
        source_offset, offset, count = source_offset + copied, offset + copied, count - copied
    return True


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
    # without pickling the recording into processes (an engine given at the call or set
    # globally, "process" or "dask", is still honoured).
    default_pool_engine(job_kwargs, "thread")
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
    auto_cast_uint: bool = True,
    **job_kwargs,
) -> None:
    """Fill preallocated ``(samples, channels)`` arrays (one per segment) with the traces.

    Runs in threads (the arrays are shared with the workers, not copied).
    """
    dtype, cast_unsigned = target_dtype(recording, dtype)
    cast_unsigned = cast_unsigned and auto_cast_uint
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


def write_memory_recording(
    recording: BaseRecording,
    dtype=None,
    verbose: bool = False,
    auto_cast_uint: bool = True,
    buffer_type: str = "auto",
    **job_kwargs,
) -> tuple[list[np.ndarray], list]:
    """Copy the traces into arrays, one per segment (SpikeInterface's ``write_memory_recording``).

    Parameters
    ----------
    recording : BaseRecording
    dtype : numpy dtype-like or None, default: None
        The recording's dtype by default.
    verbose : bool, default: False
        Accepted for SpikeInterface compatibility (progress goes through ``progress_bar``).
    auto_cast_uint : bool, default: True
        Centre unsigned values when ``dtype`` is signed.
    buffer_type : {"auto", "numpy", "sharedmem"}, default: "auto"
        Plain arrays, or arrays in shared memory blocks; ``"auto"`` uses shared memory when
        ``n_jobs > 1``.
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``...

    Returns
    -------
    arrays : list of np.ndarray
        ``(num_samples, num_channels)`` per segment.
    shms : list
        The ``SharedMemory`` block of each array (None for plain arrays); keep them referenced
        while the arrays are used, then close and unlink them.
    """
    from ..shared_memory import make_shared_array

    if buffer_type not in ("auto", "numpy", "sharedmem"):
        raise ValueError(f"buffer_type must be 'auto', 'numpy' or 'sharedmem', got {buffer_type!r}")
    _, parsed = split_job_kwargs(dict(job_kwargs))
    if buffer_type == "auto":
        buffer_type = "sharedmem" if parsed["n_jobs"] > 1 else "numpy"
    dtype = recording.get_dtype() if dtype is None else np.dtype(dtype)
    arrays, shms = [], []
    for segment_index in range(recording.get_num_segments()):
        shape = (recording.get_num_samples(segment_index), recording.get_num_channels())
        if buffer_type == "sharedmem":
            array, shm = make_shared_array(shape, dtype)
        else:
            array, shm = np.zeros(shape, dtype=dtype), None
        arrays.append(array)
        shms.append(shm)
    write_traces_to_arrays(
        recording, arrays, dtype=dtype, auto_cast_uint=auto_cast_uint, **job_kwargs
    )
    return arrays, shms


def _chunks_of(recording: BaseRecording, segment_index: int, chunk_size: int | None):
    num_samples = recording.get_num_samples(segment_index)
    return divide_segment_into_chunks(num_samples, chunk_size)


def write_binary_recording_file_handle(
    recording: BaseRecording,
    file_handle=None,
    time_axis: int = 0,
    dtype=None,
    byte_offset: int = 0,
    verbose: bool = False,
    **job_kwargs,
) -> None:
    """Write the traces of a one-segment recording to an open binary file, chunk by chunk.

    Parameters
    ----------
    recording : BaseRecording
        One segment.
    file_handle : file object
        Open for binary writing; written from its current position (``byte_offset`` is
        accepted and ignored, as in SpikeInterface).
    time_axis : {0, 1}, default: 0
        0 writes ``(samples, channels)``; 1 writes ``(channels, samples)`` (in one piece).
    dtype : numpy dtype-like or None, default: None
    verbose : bool, default: False
        Print when ``time_axis=1`` disables chunking.
    **job_kwargs
        Chunking options (``chunk_size``, ``chunk_duration``...).
    """
    if file_handle is None:
        raise TypeError("write_binary_recording_file_handle() needs file_handle")
    if recording.get_num_segments() != 1:
        raise ValueError("write_binary_recording_file_handle() writes one-segment recordings only")
    if time_axis not in (0, 1):
        raise ValueError(f"time_axis must be 0 or 1, got {time_axis!r}")
    dtype = recording.get_dtype() if dtype is None else np.dtype(dtype)
    _, job_kwargs = split_job_kwargs(job_kwargs)
    chunk_size = ensure_chunk_size(recording, **job_kwargs)
    if time_axis == 1 and chunk_size is not None:
        if verbose:
            print("Chunking disabled due to 'time_axis' == 1")
        chunk_size = None
    for start, end in _chunks_of(recording, 0, chunk_size):
        traces = recording.get_traces(segment_index=0, start_frame=start, end_frame=end)
        traces = traces.astype(dtype, copy=False)
        file_handle.write(np.ascontiguousarray(traces.T if time_axis == 1 else traces).tobytes())


def write_to_h5_dataset_format(
    recording: BaseRecording,
    dataset_path: str,
    segment_index: int,
    save_path: str | Path | None = None,
    file_handle=None,
    time_axis: int = 0,
    single_axis: bool = False,
    dtype=None,
    chunk_size: int | None = None,
    chunk_memory: str | None = "500M",
    verbose: bool = False,
    auto_cast_uint: bool = True,
    return_scaled: bool = False,
) -> Path | None:
    """Write one segment's traces to a dataset of an HDF5 file (needs ``h5py``).

    Parameters
    ----------
    recording : BaseRecording
    dataset_path : str
        Dataset name in the file, e.g. ``"/traces"``.
    segment_index : int
    save_path : str | Path | None, default: None
        File to create (``.h5`` added when the name has no suffix); or give ``file_handle``.
    file_handle : h5py.File | None, default: None
        An open file, left open.
    time_axis : {0, 1}, default: 0
        0: ``(samples, channels)``; 1: ``(channels, samples)``.
    single_axis : bool, default: False
        Write a one-channel recording as a 1-D dataset.
    dtype : numpy dtype-like or None, default: None
    chunk_size : int or None, default: None
        Samples per written chunk (else from ``chunk_memory``).
    chunk_memory : str or None, default: "500M"
    verbose : bool, default: False
        Accepted for SpikeInterface compatibility.
    auto_cast_uint : bool, default: True
        Centre unsigned values when ``dtype`` is signed.
    return_scaled : bool, default: False
        Write traces in µV.

    Returns
    -------
    Path or None
        ``save_path`` (with its suffix) when given.
    """
    try:
        import h5py
    except ImportError:
        raise ImportError("write_to_h5_dataset_format() needs h5py: pip install h5py") from None
    if save_path is None and file_handle is None:
        raise TypeError("write_to_h5_dataset_format() needs save_path or file_handle")
    if time_axis not in (0, 1):
        raise ValueError(f"time_axis must be 0 or 1, got {time_axis!r}")
    segment_index = recording._check_segment_index(segment_index)
    if save_path is not None:
        save_path = Path(save_path)
        if save_path.suffix == "":
            save_path = save_path.with_name(save_path.name + ".h5")
    num_channels = recording.get_num_channels()
    num_samples = recording.get_num_samples(segment_index)
    if single_axis and num_channels != 1:
        raise ValueError("single_axis=True needs a recording with one channel")
    file_dtype = recording.get_dtype() if dtype is None else np.dtype(dtype)
    cast_unsigned = (
        auto_cast_uint and dtype is not None and determine_cast_unsigned(recording, dtype)
    )
    if single_axis:
        shape = (num_samples,)
    else:
        shape = (num_samples, num_channels) if time_axis == 0 else (num_channels, num_samples)
    chunk_size = ensure_chunk_size(recording, chunk_size=chunk_size, chunk_memory=chunk_memory)
    owner = file_handle is None
    file_handle = h5py.File(save_path, "w") if owner else file_handle
    try:
        dataset = file_handle.create_dataset(dataset_path, shape=shape, dtype=file_dtype)
        for start, end in _chunks_of(recording, segment_index, chunk_size):
            traces = recording.get_traces(
                segment_index=segment_index,
                start_frame=start,
                end_frame=end,
                cast_unsigned=cast_unsigned,
                return_scaled=return_scaled,
            ).astype(file_dtype, copy=False)
            if single_axis:
                dataset[start:end] = traces[:, 0]
            elif time_axis == 0:
                dataset[start:end, :] = traces
            else:
                dataset[:, start:end] = traces.T
    finally:
        if owner:
            file_handle.close()
    return save_path
