"""Zarr recordings: ZarrRecordingExtractor (read_zarr_recording) and the zarr writer.

Stores use the layout of SpikeInterface 0.99-0.105 (FORMATS.md §4): zarr format v2, ``.zgroup`` /
``.zarray`` / ``.zattrs`` JSON files, chunk keys ``i.j``, not consolidated. Writing produces the
0.100 layout so that SpikeInterface 0.100 (zarr 2.17) opens our stores.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from probeinterface import ProbeGroup

from ..jobs import (
    CancelToken,
    ChunkRecordingExecutor,
    ensure_chunk_size,
    ensure_n_jobs,
    split_job_kwargs,
)
from ..json_io import to_jsonable
from ..registry import register_extractor_class
from ..zarr_v2_chunks import V2ArrayLayout, V2ChunkWriter, encoder_threads
from ..zarr_v2_store import (
    ARRAY_CONFIG,
    V2_CHUNK_KEYS,
    codecs_for,
    create_array,
    get_default_zarr_compressor,
    is_remote,
    open_root,
    read_properties,
    store_location,
    write_properties,
    write_store,
    zarr_store_folder,
)
from .base import BaseRecording, BaseRecordingSegment
from .writing import read_chunk, target_dtype

_FORMAT_KWARGS = (
    "compressor",
    "filters",
    "compressor_by_dataset",
    "filters_by_dataset",
    "dtype",
    "auto_cast_uint",
)
_DATASETS = ("traces", "times")


# --------------------------------------------------------------------------- reading
class ZarrRecordingExtractor(BaseRecording):
    """A recording stored in a zarr group (written by ``recording.save(format="zarr")``).

    Traces are read lazily: a window reads only the chunks it overlaps. The probe, properties,
    annotations, start times and time vectors are restored, and the annotations
    ``compression_ratio`` (all segments) and ``compression_ratio_segments`` (per segment index)
    give the raw size over the stored size of the traces.

    Parameters
    ----------
    folder_path : str | Path
        The ``.zarr`` folder, or a URL (``s3://...``) with ``storage_options``.
    storage_options : dict | None
        fsspec options for remote stores.
    root_path : str | Path | None
        Name of ``folder_path`` in dictionaries written by SpikeInterface 0.99.

    Raises
    ------
    FileNotFoundError
        If the local folder does not exist.
    ValueError
        If the folder is not a zarr recording store.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "ZarrRecording"
    mode = "folder"
    name = "zarr"

    def __init__(
        self,
        folder_path: str | Path | None = None,
        storage_options: dict | None = None,
        root_path: str | Path | None = None,
    ) -> None:
        if folder_path is None:
            folder_path = root_path
        if folder_path is None:
            raise TypeError("ZarrRecordingExtractor() missing required argument: 'folder_path'")
        location = store_location(folder_path, storage_options)
        root = open_root(location, storage_options)
        # SpikeInterface's attribute: the root group
        self._root = root
        if "channel_ids" not in root:
            raise ValueError(f"{location}: not a zarr recording (no 'channel_ids' array)")
        for key in ("sampling_frequency", "num_segments"):
            if key not in root.attrs:
                raise ValueError(f"{location}: not a zarr recording (no {key!r} attribute)")
        sampling_frequency = float(root.attrs["sampling_frequency"])
        num_segments = int(root.attrs["num_segments"])
        if num_segments < 1:
            raise ValueError(f"{location}: num_segments is {num_segments}; expected at least 1")
        channel_ids = np.asarray(root["channel_ids"][:])
        traces = [
            _traces_array(root, location, index, channel_ids.size) for index in range(num_segments)
        ]
        super().__init__(sampling_frequency, channel_ids, traces[0].dtype)

        t_starts = root["t_starts"][:] if "t_starts" in root else None
        for index, array in enumerate(traces):
            time_name = f"times_seg{index}"
            time_vector = root[time_name][:] if time_name in root else None
            t_start = None
            if time_vector is None and t_starts is not None and not np.isnan(t_starts[index]):
                t_start = float(t_starts[index])
            self.add_recording_segment(
                ZarrRecordingSegment(
                    array, sampling_frequency, t_start=t_start, time_vector=time_vector
                )
            )

        probe_dict = root.attrs.get("probegroup", root.attrs.get("probe"))
        if probe_dict is not None:
            self.set_probegroup(ProbeGroup.from_dict(probe_dict), in_place=True)
        read_properties(self, root)
        ratio, ratio_by_segment = _compression_ratios(traces)
        self.annotate(compression_ratio=ratio, compression_ratio_segments=ratio_by_segment)
        self._kwargs = {"folder_path": location, "storage_options": storage_options}

    @staticmethod
    def write_recording(
        recording: BaseRecording,
        folder_path: str | Path,
        storage_options: dict | None = None,
        **kwargs: Any,
    ) -> None:
        """Write ``recording`` to a zarr store at ``folder_path`` (no suffix is added).

        As in SpikeInterface, an existing store is replaced (pass ``overwrite=False`` to refuse);
        a local store is replaced only once the new one is complete.

        Parameters
        ----------
        recording : BaseRecording
            Source.
        folder_path : str | Path
            Target folder, or a URL with ``storage_options``.
        storage_options : dict | None
            fsspec options for remote stores.
        **kwargs
            ``overwrite`` (default True), ``channel_chunk_size``, the format options of
            `save_recording_to_zarr`, ``progress_callback``, ``cancel_token`` and job keyword
            arguments.
        """
        overwrite = kwargs.pop("overwrite", True)
        write_store(
            folder_path,
            storage_options,
            overwrite,
            partial(_write_recording_to_group, recording, **kwargs),
            sources={"recording being saved": recording},
        )


class ZarrRecordingSegment(BaseRecordingSegment):
    """One ``traces_seg{N}`` array of a zarr recording, read chunk by chunk on demand.

    Parameters
    ----------
    traces : zarr.Array
        ``(num_samples, num_channels)`` array.
    sampling_frequency : float
        Hz.
    t_start : float | None
        Time of the first sample in seconds.
    time_vector : np.ndarray | None
        Time of every sample in seconds.
    """

    def __init__(
        self,
        traces: zarr.Array,
        sampling_frequency: float,
        t_start: float | None = None,
        time_vector: np.ndarray | None = None,
    ) -> None:
        super().__init__(
            sampling_frequency=sampling_frequency, t_start=t_start, time_vector=time_vector
        )
        self._traces = traces

    def get_num_samples(self) -> int:
        return int(self._traces.shape[0])

    def get_traces(
        self,
        start_frame: int | None = None,
        end_frame: int | None = None,
        channel_indices: slice | np.ndarray | list | None = None,
    ) -> np.ndarray:
        rows = slice(start_frame, end_frame)
        if channel_indices is None:
            return self._traces[rows]
        if isinstance(channel_indices, slice):
            return self._traces[rows, channel_indices]
        # orthogonal selection reads only the chunks holding the selected channels
        return self._traces.get_orthogonal_selection((rows, np.asarray(channel_indices)))


def _traces_array(root: zarr.Group, location: str, index: int, num_channels: int) -> zarr.Array:
    name = f"traces_seg{index}"
    if name not in root:
        raise ValueError(f"{location}: array {name!r} is missing")
    array = root[name]
    if array.ndim != 2 or array.shape[1] != num_channels:
        raise ValueError(
            f"{location}: {name} has shape {array.shape}, expected (num_samples, {num_channels})"
        )
    return array


def _compression_ratios(traces: list[zarr.Array]) -> tuple[float, dict[int, float]]:
    """Raw bytes over stored bytes (as listed by the store; no chunk is read), like zarr 2."""
    by_segment: dict[int, float] = {}
    total_nbytes = total_stored = 0
    for index, array in enumerate(traces):
        stored = array.nbytes_stored()
        by_segment[index] = array.nbytes / stored if stored > 0 else float("nan")
        total_nbytes += array.nbytes
        total_stored += stored
    return (total_nbytes / total_stored if total_stored > 0 else float("nan")), by_segment


read_zarr_recording = ZarrRecordingExtractor


# --------------------------------------------------------------------------- writing
def save_recording_to_zarr(
    recording: BaseRecording,
    name: str | None = None,
    folder: str | Path | None = None,
    overwrite: bool = False,
    storage_options: dict | None = None,
    channel_chunk_size: int | None = None,
    verbose: bool = True,
    **save_kwargs: Any,
) -> ZarrRecordingExtractor:
    """Write ``recording`` to a zarr store and return the recording read from it.

    A local store is written under a temporary name and moved into place when complete: a
    failed or cancelled save leaves nothing named ``*.zarr``.

    Parameters
    ----------
    recording : BaseRecording
        Source.
    name : str | None
        Store name inside the global temporary folder when ``folder`` is None (random if None).
    folder : str | Path | None
        Target; its suffix becomes ``.zarr``. Remote URLs (with ``storage_options``) are used
        as given.
    overwrite : bool
        Replace an existing store (only once the new one is complete, for local stores).
    storage_options : dict | None
        fsspec options for remote stores.
    channel_chunk_size : int | None
        Channels per chunk (None: all channels in one chunk).
    verbose : bool
        Print the path of a store written to the temporary folder.
    **save_kwargs
        ``compressor`` (default `get_default_zarr_compressor`; None for no compression),
        ``filters`` (list of numcodecs codecs), ``compressor_by_dataset`` /
        ``filters_by_dataset`` (keys ``"traces"`` and ``"times"``), ``dtype``,
        ``auto_cast_uint`` (default True: unsigned data is centred when ``dtype`` is signed),
        ``progress_callback(done, total)``, ``cancel_token`` and job keyword arguments (the
        time chunk of the store is the job chunk size, 1 s when none is set).

    Returns
    -------
    ZarrRecordingExtractor

    Raises
    ------
    FileExistsError
        If the store exists and ``overwrite`` is False (nothing is written).
    TypeError
        If a keyword argument is unknown.
    """
    folder = zarr_store_folder(folder, name, storage_options, verbose)
    write_store(
        folder,
        storage_options,
        overwrite,
        partial(
            _write_recording_to_group,
            recording,
            channel_chunk_size=channel_chunk_size,
            **save_kwargs,
        ),
        sources={"recording being saved": recording},
    )
    return ZarrRecordingExtractor(folder, storage_options=storage_options)


def _write_recording_to_group(
    recording: BaseRecording,
    root: zarr.Group,
    location: str | zarr.Group,
    storage_options: dict | None,
    channel_chunk_size: int | None = None,
    progress_callback: Callable[[int, int], None] | None = None,
    cancel_token: CancelToken | None = None,
    **save_kwargs: Any,
) -> None:
    """Fill an empty zarr v2 group with the SpikeInterface 0.100 recording layout.

    ``location`` and ``storage_options`` reopen the store in the writer workers (or
    ``location`` is the group itself, for thread workers).
    """
    format_kwargs, job_kwargs = split_job_kwargs(save_kwargs)
    unknown = sorted(set(format_kwargs) - set(_FORMAT_KWARGS))
    if unknown:
        raise TypeError(f"unexpected keyword arguments for a zarr save: {', '.join(unknown)}")
    compressor = format_kwargs.get("compressor", get_default_zarr_compressor())
    filters = format_kwargs.get("filters")
    codecs = {}
    for dataset in _DATASETS:
        codecs[dataset] = (
            _by_dataset(format_kwargs, "compressor_by_dataset", dataset, compressor),
            _by_dataset(format_kwargs, "filters_by_dataset", dataset, filters),
        )

    def write_metadata(time_chunk: int) -> None:
        root.update_attributes(_root_attributes(recording))
        create_array(root, "channel_ids", _channel_ids_for_store(recording.channel_ids))
        _write_times(recording, root, time_chunk, *codecs["times"])
        write_properties(recording, root)

    _add_traces(
        recording,
        root,
        location,
        storage_options,
        [f"traces_seg{i}" for i in range(recording.get_num_segments())],
        channel_chunk_size,
        format_kwargs.get("dtype"),
        *codecs["traces"],
        format_kwargs.get("auto_cast_uint", True),
        progress_callback,
        cancel_token,
        job_kwargs,
        alongside=write_metadata,
    )


def _add_traces(
    recording: BaseRecording,
    root: zarr.Group,
    location: str | zarr.Group,
    storage_options: dict | None,
    dataset_paths: list[str],
    channel_chunk_size: int | None,
    dtype: Any,
    compressor: Any,
    filters: list | None,
    auto_cast_uint: bool,
    progress_callback: Callable[[int, int], None] | None,
    cancel_token: CancelToken | None,
    job_kwargs: dict,
    alongside: Callable[[int], None] | None = None,
) -> None:
    """Create one traces array per segment in ``root`` and fill them.

    ``alongside(time_chunk)`` (the rest of the store's metadata) runs in a thread while the
    chunks are written: the metadata's few dozen milliseconds of zarr calls overlap the chunks
    instead of adding to them.
    """
    if len(dataset_paths) != recording.get_num_segments():
        raise ValueError(
            f"dataset_paths has {len(dataset_paths)} names for {recording.get_num_segments()} "
            "segments"
        )
    dtype, cast_unsigned = target_dtype(recording, dtype)
    cast_unsigned = cast_unsigned and auto_cast_uint
    # zarr arrays take concurrent writes to distinct chunks only: threads by default, and one
    # executor chunk per zarr time chunk so that no two workers share a zarr chunk
    job_kwargs = dict(job_kwargs)
    job_kwargs.setdefault("pool_engine", "thread")
    time_chunk = ensure_chunk_size(recording, **job_kwargs) or int(recording.sampling_frequency)
    job_kwargs["chunk_size"] = max(int(time_chunk), 1)
    num_channels = recording.get_num_channels()
    if channel_chunk_size is None:
        channel_chunk_size = max(num_channels, 1)
    if not isinstance(channel_chunk_size, int | np.integer) or channel_chunk_size < 1:
        raise ValueError(f"channel_chunk_size must be a positive int, got {channel_chunk_size!r}")
    chunks = (job_kwargs["chunk_size"], int(channel_chunk_size))
    compressors, filters = codecs_for(root, compressor, filters)
    arrays = []
    for segment_index, name in enumerate(dataset_paths):
        arrays.append(
            root.create_array(
                name,
                shape=(recording.get_num_samples(segment_index), num_channels),
                dtype=dtype,
                chunks=chunks,
                compressors=compressors,
                filters=filters,
                chunk_key_encoding=V2_CHUNK_KEYS,
                config=ARRAY_CONFIG,
            )
        )
    writer = None
    if _writes_chunk_files(location, storage_options, arrays):
        # each worker encodes its own chunks; encoder threads take the cores left over
        workers = ensure_n_jobs(recording, n_jobs=job_kwargs.get("n_jobs", 1), pool_engine="thread")
        writer = V2ChunkWriter(
            [
                V2ArrayLayout.of(array, str(Path(location) / name))
                for name, array in zip(dataset_paths, arrays)
            ],
            threads=max(encoder_threads() - workers, 0) + 1,
        )
    executor = ChunkRecordingExecutor(
        recording,
        _write_zarr_chunk,
        _init_zarr_writer,
        (
            recording,
            writer or (location, storage_options, list(dataset_paths)),
            dtype.str,
            cast_unsigned,
        ),
        job_name="write_zarr_recording",
        progress_callback=progress_callback,
        cancel_token=cancel_token,
        **job_kwargs,
    )
    with ThreadPoolExecutor(1, thread_name_prefix="zarr-metadata") as metadata_thread:
        metadata = None if alongside is None else metadata_thread.submit(alongside, chunks[0])
        try:
            executor.run()
        except BaseException:
            if writer is not None:
                writer.close(cancel=True)
            raise
        if writer is not None:
            writer.close()
    if metadata is not None:
        metadata.result()


def _writes_chunk_files(location: Any, storage_options: dict | None, arrays: list) -> bool:
    """Whether chunks go straight to files: zarr v2 arrays of a local store named by path."""
    return (
        isinstance(location, str)
        and not is_remote(location, storage_options)
        and all(array.metadata.zarr_format == 2 for array in arrays)
    )


def add_recording_to_zarr_group(
    recording: BaseRecording,
    zarr_group: zarr.Group,
    verbose: bool = False,
    auto_cast_uint: bool = True,
    dtype=None,
    **kwargs: Any,
) -> None:
    """Write a recording into an empty zarr group (SpikeInterface 0.100's layout).

    Parameters
    ----------
    recording : BaseRecording
    zarr_group : zarr.Group
        Open for writing (zarr format 2 for stores SpikeInterface 0.100 reads).
    verbose : bool, default: False
        Accepted for SpikeInterface compatibility.
    auto_cast_uint : bool, default: True
    dtype : numpy dtype-like or None, default: None
    **kwargs
        ``compressor``, ``filters``, ``compressor_by_dataset``, ``filters_by_dataset``,
        ``channel_chunk_size`` and job keyword arguments (thread workers write into the
        group).
    """
    _write_recording_to_group(
        recording,
        zarr_group,
        zarr_group,
        None,
        auto_cast_uint=auto_cast_uint,
        dtype=dtype,
        **kwargs,
    )


def add_traces_to_zarr(
    recording: BaseRecording,
    zarr_group: zarr.Group,
    dataset_paths: list[str] | str,
    channel_chunk_size: int | None = None,
    dtype=None,
    compressor=None,
    filters: list | None = None,
    verbose: bool = False,
    auto_cast_uint: bool = True,
    **job_kwargs: Any,
) -> None:
    """Write the traces of each segment into a new array of a zarr group.

    Parameters
    ----------
    recording : BaseRecording
    zarr_group : zarr.Group
        Open for writing.
    dataset_paths : list of str | str
        One array name per segment.
    channel_chunk_size : int or None, default: None
        Channels per chunk (None: all).
    dtype : numpy dtype-like or None, default: None
    compressor : numcodecs codec or None, default: None
        None: no compression.
    filters : list or None, default: None
    verbose : bool, default: False
        Accepted for SpikeInterface compatibility.
    auto_cast_uint : bool, default: True
    **job_kwargs
        The time chunk of the arrays is the job chunk size (1 s when none is set).
    """
    if isinstance(dataset_paths, str):
        dataset_paths = [dataset_paths]
    _, job_kwargs = split_job_kwargs(job_kwargs)
    _add_traces(
        recording,
        zarr_group,
        zarr_group,
        None,
        list(dataset_paths),
        channel_chunk_size,
        dtype,
        compressor,
        filters,
        auto_cast_uint,
        job_kwargs.pop("progress_callback", None),
        job_kwargs.pop("cancel_token", None),
        job_kwargs,
    )


def _by_dataset(format_kwargs: dict, key: str, dataset: str, default: Any) -> Any:
    """The codec (or filter list) of ``dataset``: ``format_kwargs[key][dataset]`` or the default."""
    by_dataset = format_kwargs.get(key) or {}
    if not isinstance(by_dataset, dict):
        raise TypeError(
            f"{key} must be a dict with keys 'traces' and/or 'times', "
            f"got {type(by_dataset).__name__}"
        )
    unknown = sorted(set(by_dataset) - set(_DATASETS))
    if unknown:
        raise ValueError(f"{key}: unknown datasets {unknown} (expected 'traces' and/or 'times')")
    return by_dataset.get(dataset, default)


def _root_attributes(recording: BaseRecording) -> dict:
    if recording.check_if_json_serializable():
        provenance = to_jsonable(recording.to_dict(include_annotations=True, recursive=True))
    else:
        provenance = None
    attributes = {
        "sampling_frequency": float(recording.sampling_frequency),
        "num_segments": int(recording.get_num_segments()),
        "annotations": to_jsonable(recording._annotations),
        "provenance": provenance,
    }
    if recording.has_probe():
        # probeinterface's dict without the file header, as SpikeInterface 0.100 stores it
        attributes["probe"] = to_jsonable(recording.get_probegroup().to_dict(array_as_list=True))
    return attributes


def _channel_ids_for_store(channel_ids: np.ndarray) -> np.ndarray:
    """int64 or fixed-width unicode, the two id dtypes SpikeInterface stores."""
    if channel_ids.dtype.kind in "iu":
        return channel_ids.astype("int64")
    return channel_ids.astype("U")


def _write_times(
    recording: BaseRecording,
    root: zarr.Group,
    time_chunk: int,
    compressor: Any,
    filters: list | None,
) -> None:
    """``times_seg{N}`` for segments with a time vector, ``t_starts`` if any segment has one."""
    t_starts = np.full(recording.get_num_segments(), np.nan, dtype="float64")
    for segment_index, segment in enumerate(recording._recording_segments):
        time_info = segment.get_times_kwargs()
        if time_info["time_vector"] is not None:
            times = np.asarray(time_info["time_vector"], dtype="float64")
            create_array(
                root,
                f"times_seg{segment_index}",
                times,
                chunks=(min(time_chunk, max(times.size, 1)),),
                compressor=compressor,
                filters=filters,
            )
        elif time_info["t_start"] is not None:
            t_starts[segment_index] = time_info["t_start"]
    if not np.all(np.isnan(t_starts)):
        create_array(root, "t_starts", t_starts)


def _init_zarr_writer(
    recording: BaseRecording,
    target: V2ChunkWriter | tuple[str | zarr.Group, dict | None, list[str]],
    dtype: str,
    cast_unsigned: bool,
) -> dict:
    """Worker context: the chunk writer of a local store, or the arrays written through zarr."""
    if not isinstance(target, V2ChunkWriter):
        location, storage_options, trace_names = target
        if isinstance(location, zarr.Group):
            root = location
        else:
            root = zarr.open_group(location, mode="r+", storage_options=storage_options)
        target = [root[name] for name in trace_names]
    return {
        "recording": recording,
        "target": target,
        "dtype": np.dtype(dtype),
        "cast_unsigned": cast_unsigned,
    }


def _write_zarr_chunk(segment_index: int, start: int, end: int, ctx: dict) -> None:
    """Write frames ``[start, end)``: one row of zarr chunks (executor chunks are zarr chunks)."""
    if end <= start:
        return
    traces = read_chunk(
        ctx["recording"], segment_index, start, end, ctx["dtype"], ctx["cast_unsigned"]
    )
    target = ctx["target"]
    if not isinstance(target, V2ChunkWriter):
        target[segment_index][start:end] = traces
        return
    time_chunk, channel_chunk = target.layouts[segment_index].chunks
    row = start // time_chunk
    for column, first in enumerate(range(0, traces.shape[1], channel_chunk)):
        target.write(segment_index, (row, column), traces[:, first : first + channel_chunk])


register_extractor_class(
    ZarrRecordingExtractor, "spikeinterface.core.zarrextractors.ZarrRecordingExtractor"
)
