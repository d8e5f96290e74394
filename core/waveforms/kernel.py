"""The waveform extraction kernel: cut the waveforms of sampled spikes into per-unit buffers.

Two steps, as in SpikeInterface 0.100:

1. :func:`~.sampling.sample_spikes` picks at most ``max_spikes_per_unit`` spikes per unit with the
   same random draws as SpikeInterface's ``select_random_spikes_uniformly`` for the same seed.
2. :func:`extract_waveforms_to_buffers` cuts the waveforms of those spikes out of the recording
   and writes them into one pre-sized buffer per unit (``.npy`` files or arrays);
   :func:`estimate_templates_average` averages them instead, without storing them.

This module checks the inputs, sizes the outputs and runs every chunk of the recording once
through :class:`~core.jobs.ChunkRecordingExecutor` (threads by default: reads, copies and writes
release the GIL). The per-chunk work, reading and cutting (the hot path), is in
:mod:`.kernel_cutting`; the outputs the pieces go to are in :mod:`.kernel_outputs`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..jobs import CancelToken, ChunkRecordingExecutor, split_job_kwargs
from ..jobs.job_kwargs import default_pool_engine
from ..shared_memory import make_shared_array
from .kernel_cutting import _build_plan, _extract_chunk, _init_worker, _Plan, _sum_chunk
from .kernel_outputs import (
    RunningAverages,
    _ArrayWriter,
    _NpyFiles,
    _SumAccumulator,
    allocate_arrays,
    create_npy_files,
)
from .kernel_pages import PageWriter, extract_chunk_to_pages, init_page_writer
from .sampling import (
    _check_window,
    sample_spikes,
    sampled_index_dtype,
    select_random_spikes_uniformly,
)

if TYPE_CHECKING:
    from ..recording.base import BaseRecording

__all__ = [
    "estimate_templates_average",
    "extract_waveforms_to_buffers",
    "fill_waveform_arrays",
    # spike sampling lives in .sampling; importable from here as before
    "sample_spikes",
    "sampled_index_dtype",
    "select_random_spikes_uniformly",
]

_SPIKE_FIELDS = ("sample_index", "unit_index", "segment_index")
_MODES = ("memmap", "files", "memory", "shared_memory")

ProgressCallback = Callable[[int, int], None]


# --------------------------------------------------------------------------- checks
def _check_spikes(spikes: Any, unit_ids: np.ndarray, recording: BaseRecording) -> np.ndarray:
    if not isinstance(spikes, np.ndarray) or spikes.dtype.names is None:
        raise TypeError("spikes must be a structured array (sorting.to_spike_vector())")
    missing = [name for name in _SPIKE_FIELDS if name not in spikes.dtype.names]
    if missing:
        raise ValueError(f"spikes lacks the fields {missing}")
    if spikes.ndim != 1:
        raise ValueError(f"spikes must be one-dimensional, got shape {spikes.shape}")
    if spikes.size == 0:
        return spikes
    segment = spikes["segment_index"]
    sample = spikes["sample_index"]
    num_segments = recording.get_num_segments()
    if segment.min() < 0 or segment.max() >= num_segments:
        raise ValueError(f"spikes refer to segments outside 0..{num_segments - 1}")
    if spikes["unit_index"].min() < 0 or spikes["unit_index"].max() >= len(unit_ids):
        raise ValueError(f"spikes refer to unit indices outside 0..{len(unit_ids) - 1}")
    steps = np.diff(segment)
    if np.any(steps < 0) or np.any((steps == 0) & (np.diff(sample) < 0)):
        raise ValueError("spikes must be sorted by segment_index then sample_index")
    bounds = np.searchsorted(segment, np.arange(num_segments + 1))
    for segment_index in range(num_segments):
        in_segment = spikes[bounds[segment_index] : bounds[segment_index + 1]]
        num_samples = recording.get_num_samples(segment_index)
        outside = (in_segment["sample_index"] < 0) | (in_segment["sample_index"] >= num_samples)
        if np.any(outside):
            bad = in_segment[np.argmax(outside)]
            raise ValueError(
                f"unit {unit_ids[bad['unit_index']].item()!r} has a spike at sample "
                f"{bad['sample_index']} outside segment {segment_index} "
                f"(0..{num_samples - 1}): remove spikes beyond the recording first"
            )
    return spikes


def _check_sparsity_mask(mask: Any, num_units: int, num_channels: int) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (num_units, num_channels):
        raise ValueError(
            f"sparsity_mask must be a boolean array of shape ({num_units}, {num_channels}), "
            f"got {mask.dtype} {mask.shape}"
        )
    return mask


def _output_dtype(recording: BaseRecording, dtype: Any, return_scaled: bool) -> np.dtype:
    if return_scaled and not recording.has_scaled():
        raise ValueError(
            "return_scaled=True needs a recording with gain_to_uV and offset_to_uV properties"
        )
    if dtype is None:
        return np.dtype("float32") if return_scaled else np.dtype(recording.get_dtype())
    return np.dtype(dtype)


# --------------------------------------------------------------------------- public kernel
def extract_waveforms_to_buffers(
    recording: BaseRecording,
    spikes: np.ndarray,
    unit_ids: Sequence | np.ndarray,
    nbefore: int,
    nafter: int,
    mode: str = "memmap",
    return_scaled: bool = False,
    folder: str | Path | None = None,
    dtype: Any = None,
    sparsity_mask: np.ndarray | None = None,
    copy: bool = False,
    progress_callback: ProgressCallback | None = None,
    cancel_token: CancelToken | None = None,
    averages: dict | None = None,
    **job_kwargs: Any,
) -> dict[Any, np.ndarray]:
    """Cut the waveforms of ``spikes`` and store them in one buffer per unit.

    Parameters
    ----------
    recording : BaseRecording
        Source of the traces.
    spikes : np.ndarray
        Spike vector (fields ``sample_index``, ``unit_index``, ``segment_index``) sorted by
        segment then sample, e.g. the output of :func:`sample_spikes`.
    unit_ids : array-like
        Unit ids; ``unit_index`` indexes them.
    nbefore, nafter : int
        Samples before and after each spike: waveforms have ``nbefore + nafter`` samples.
    mode : {"memmap", "files", "memory", "shared_memory"}, default: "memmap"
        ``"memmap"`` writes ``folder/waveforms_<unit_id>.npy`` (pre-sized, filled in
        place by the workers) and returns read-only memmaps; ``"files"`` writes the same files
        and returns their paths (opening a hundred memmaps costs more than cutting sparse
        waveforms); ``"memory"`` returns numpy arrays; ``"shared_memory"`` fills arrays in
        shared memory blocks (see ``copy``).
    return_scaled : bool, default: False
        Waveforms in µV (float32 ``raw * gain_to_uV + offset_to_uV``, as ``get_traces``).
    folder : str or Path or None, default: None
        Output folder of ``"memmap"`` and ``"files"`` modes (created if needed).
    dtype : numpy dtype-like or None, default: None
        Dtype of the buffers: float32 when ``return_scaled``, else the recording's.
    sparsity_mask : np.ndarray or None, default: None
        Boolean ``(num_units, num_channels)``: each unit's buffer keeps only its channels (in
        channel order), and only the channels some unit of a chunk needs are read.
    copy : bool, default: False
        With ``"shared_memory"``: True returns plain arrays (no shared blocks); False
        returns ``(waveforms, arrays_info)`` as SpikeInterface does, where
        ``arrays_info[unit_id] = (shm, shm_name, dtype_str, shape)`` (``shm`` is None for an
        empty buffer): keep it referenced while the arrays are used, then unlink the blocks.
    progress_callback : callable or None, default: None
        ``progress_callback(done_chunks, total_chunks)``.
    cancel_token : CancelToken or None, default: None
        Stops the extraction (:class:`~core.jobs.JobCancelled`); files already written stay
        incomplete, so callers write into a temporary folder.
    averages : dict or None, default: None
        If a dict and the waveforms are float32, written by threads (``pool_engine="thread"``)
        into files or plain arrays, it receives ``unit_id -> average waveform`` (equal to
        ``np.mean`` of the unit's buffer, bit for bit), folded in while the waveforms are
        written (:class:`~.kernel_outputs.RunningAverages`); otherwise it is left empty.
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``, ``pool_engine`` (default
        ``"thread"``: reads release the GIL; ``"process"`` also works; with ``"dask"`` the
        cluster's tasks write the file pages only they touch and this process the pages they
        share, see :mod:`.kernel_pages`; in memory they return the waveforms), ``dask_client``...

    Returns
    -------
    dict or tuple
        ``{unit_id: (num_spikes_of_unit, nbefore + nafter, num_channels_of_unit) array}``
        (and ``arrays_info`` with ``"shared_memory"`` and ``copy=False``; ``{unit_id: path of
        its file}`` in ``"files"`` mode). A spike whose window crosses a border of its segment
        (``sample < nbefore`` or ``sample > num_samples - nafter``) gets the samples that exist
        and zeros beyond the border, as in SpikeInterface >= 0.101 (0.100 gave all zeros).

    Raises
    ------
    ValueError
        On a spike outside the recording (naming the unit and segment), unsorted spikes, a bad
        mode, a missing ``folder``, or a ``sparsity_mask`` of the wrong shape.
    """
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    nbefore, nafter = _check_window(nbefore, nafter)
    unit_ids = np.asarray(unit_ids)
    spikes = _check_spikes(spikes, unit_ids, recording)
    mask = _check_sparsity_mask(sparsity_mask, len(unit_ids), recording.get_num_channels())
    dtype = _output_dtype(recording, dtype, return_scaled)
    plan = _build_plan(
        recording, spikes, len(unit_ids), nbefore, nafter, dtype, mask, return_scaled
    )

    counts = np.bincount(plan.unit_index, minlength=len(unit_ids))
    nsamples = nbefore + nafter
    widths = [
        recording.get_num_channels() if mask is None else int(mask[u].sum())
        for u in range(len(unit_ids))
    ]
    shapes = [(int(counts[u]), nsamples, widths[u]) for u in range(len(unit_ids))]

    default_pool_engine(job_kwargs, "thread")
    _, job_kwargs = split_job_kwargs(job_kwargs)
    threads = _workers_share_memory(job_kwargs)
    on_dask = job_kwargs.get("pool_engine") == "dask"

    if mode not in ("memmap", "files"):
        # with copy=True plain arrays hold the same values without shared blocks
        shared = mode == "shared_memory" and not copy
        arrays, shms = (
            _shared_arrays(shapes, dtype) if shared else (allocate_arrays(shapes, dtype), [])
        )
        running = None
        if averages is not None and threads and dtype == np.float32:
            running = RunningAverages(counts, [(nsamples, w) for w in widths])
        try:
            _fill_arrays(
                recording,
                plan,
                arrays,
                threads,
                progress_callback,
                cancel_token,
                job_kwargs,
                running,
            )
        except BaseException:
            _unlink(shms)
            raise
        if running is not None:
            averages.update(zip(unit_ids.tolist(), running.averages()))
        waveforms = dict(zip(unit_ids.tolist(), arrays))
        if not shared:
            return waveforms
        info = {
            u: (shm, None if shm is None else shm.name, dtype.str, shape)
            for u, shm, shape in zip(unit_ids.tolist(), shms, shapes)
        }
        return waveforms, info

    if folder is None:
        raise ValueError(f"folder is required with mode={mode!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"waveforms_{unit_id}.npy" for unit_id in unit_ids.tolist()]
    paths = [folder / name for name in names]
    headers = create_npy_files(folder, names, shapes, dtype)
    running = None
    if averages is not None and threads and dtype == np.float32:
        running = RunningAverages(counts, [(nsamples, w) for w in widths])
    files = _NpyFiles(
        [str(p) for p in paths],
        headers,
        [(nsamples, w) for w in widths],
        dtype,
        running,
        background_writes=job_kwargs["n_jobs"] == 1,
    )
    if spikes.size:
        try:
            if on_dask:
                _extract_to_pages(
                    recording, plan, files, progress_callback, cancel_token, job_kwargs
                )
            else:
                _run_chunks(
                    recording,
                    _extract_chunk,
                    (plan, "files", files),
                    None,
                    "extract_waveforms",
                    progress_callback,
                    cancel_token,
                    job_kwargs,
                )
        except BaseException:
            files.close(cancel=True)
            raise
    files.close()
    if running is not None:
        averages.update(zip(unit_ids.tolist(), running.averages()))
    if mode == "files":
        return dict(zip(unit_ids.tolist(), paths))
    return {u: np.load(path, mmap_mode="r") for u, path in zip(unit_ids.tolist(), paths)}


def _extract_to_pages(
    recording: BaseRecording,
    plan: _Plan,
    files: _NpyFiles,
    progress_callback: ProgressCallback | None,
    cancel_token: CancelToken | None,
    job_kwargs: dict,
) -> None:
    """On Dask: tasks write the file pages only they touch, this process the shared ones."""
    writer = PageWriter(
        [str(Path(path).absolute()) for path in files.paths], files.header_bytes, files.row_bytes
    )
    try:
        ChunkRecordingExecutor(
            recording,
            extract_chunk_to_pages,
            init_page_writer,
            (plan, writer),
            gather_func=writer.write_edges,
            job_name="extract_waveforms",
            progress_callback=progress_callback,
            cancel_token=cancel_token,
            **job_kwargs,
        ).run()
    finally:
        writer.close()


def _workers_share_memory(job_kwargs: dict) -> bool:
    """Whether the chunks run in this process (main thread or threads), not in processes or Dask."""
    if job_kwargs.get("pool_engine") == "dask":
        return False
    return job_kwargs["n_jobs"] == 1 or job_kwargs.get("pool_engine") == "thread"


def _fill_arrays(
    recording: BaseRecording,
    plan: _Plan,
    arrays: list[np.ndarray],
    threads: bool,
    progress_callback: ProgressCallback | None,
    cancel_token: CancelToken | None,
    job_kwargs: dict,
    averages: RunningAverages | None = None,
) -> None:
    """Cut the planned waveforms into ``arrays`` (threads write in place; processes return).

    ``averages`` (threads only) folds each piece in as it is cut.
    """
    if plan.sample_index.size == 0:
        return
    sink, target = ("arrays", arrays) if threads else ("return", None)
    _run_chunks(
        recording,
        _extract_chunk,
        (plan, sink, target, averages if threads else None),
        None if threads else _ArrayWriter(arrays),
        "extract_waveforms",
        progress_callback,
        cancel_token,
        job_kwargs,
    )


def fill_waveform_arrays(
    recording: BaseRecording,
    spikes: np.ndarray,
    unit_ids: Sequence | np.ndarray,
    nbefore: int,
    nafter: int,
    arrays: list[np.ndarray],
    return_scaled: bool = False,
    sparsity_mask: np.ndarray | None = None,
    progress_callback: ProgressCallback | None = None,
    cancel_token: CancelToken | None = None,
    **job_kwargs: Any,
) -> None:
    """Cut the waveforms of ``spikes`` into existing per-unit arrays (filled in place).

    Parameters
    ----------
    recording, spikes, unit_ids, nbefore, nafter, return_scaled, sparsity_mask
        As :func:`extract_waveforms_to_buffers`.
    arrays : list of np.ndarray
        One writable array per unit, of shape ``(spikes of the unit, nbefore + nafter,
        channels of the unit)`` and of one dtype (memmaps and shared memory work).
    progress_callback, cancel_token, **job_kwargs
        As :func:`extract_waveforms_to_buffers`; workers are threads unless
        ``pool_engine="process"``.

    Raises
    ------
    ValueError
        If an array has the wrong shape.
    """
    nbefore, nafter = _check_window(nbefore, nafter)
    unit_ids = np.asarray(unit_ids)
    spikes = _check_spikes(spikes, unit_ids, recording)
    mask = _check_sparsity_mask(sparsity_mask, len(unit_ids), recording.get_num_channels())
    if len(arrays) != len(unit_ids):
        raise ValueError(
            f"arrays must hold one array per unit ({len(unit_ids)}), got {len(arrays)}"
        )
    counts = np.bincount(spikes["unit_index"], minlength=len(unit_ids))
    for unit, array in enumerate(arrays):
        width = recording.get_num_channels() if mask is None else int(mask[unit].sum())
        expected = (int(counts[unit]), nbefore + nafter, width)
        if array.shape != expected:
            raise ValueError(
                f"arrays[{unit}] (unit {unit_ids[unit]!r}) has shape {array.shape}, expected {expected}"
            )
    dtype = np.dtype(arrays[0].dtype) if arrays else np.dtype("float32")
    if return_scaled and not recording.has_scaled():
        raise ValueError(
            "return_scaled=True needs a recording with gain_to_uV and offset_to_uV properties"
        )
    plan = _build_plan(
        recording, spikes, len(unit_ids), nbefore, nafter, dtype, mask, return_scaled
    )
    default_pool_engine(job_kwargs, "thread")
    _, job_kwargs = split_job_kwargs(job_kwargs)
    threads = _workers_share_memory(job_kwargs)
    _fill_arrays(recording, plan, arrays, threads, progress_callback, cancel_token, job_kwargs)


def _shared_arrays(shapes: list[tuple[int, int, int]], dtype: np.dtype) -> tuple[list, list]:
    """One zeroed array per shape in its own shared memory block (None for an empty array)."""
    arrays, shms = [], []
    for shape in shapes:
        if 0 in shape:
            arrays.append(np.zeros(shape, dtype=dtype))
            shms.append(None)
        else:
            array, shm = make_shared_array(shape, dtype)
            arrays.append(array)
            shms.append(shm)
    return arrays, shms


def _unlink(shms: list) -> None:
    """Unlink shared memory blocks (None entries skipped): freed once no array maps them."""
    for shm in shms:
        if shm is not None:
            shm.unlink()


def _run_chunks(
    recording: BaseRecording,
    func: Callable,
    init_args: tuple,
    gather_func: Callable | None,
    job_name: str,
    progress_callback: ProgressCallback | None,
    cancel_token: CancelToken | None,
    job_kwargs: dict,
) -> None:
    executor = ChunkRecordingExecutor(
        recording,
        func,
        _init_worker,
        init_args,
        gather_func=gather_func,
        job_name=job_name,
        progress_callback=progress_callback,
        cancel_token=cancel_token,
        **job_kwargs,
    )
    executor.run()


# --------------------------------------------------------------------------- averages
def estimate_templates_average(
    recording: BaseRecording,
    spikes: np.ndarray,
    unit_ids: Sequence | np.ndarray,
    nbefore: int,
    nafter: int,
    return_scaled: bool = False,
    progress_callback: ProgressCallback | None = None,
    cancel_token: CancelToken | None = None,
    **job_kwargs: Any,
) -> np.ndarray:
    """Average waveform of every unit in one pass over the recording, without storing waveforms.

    Parameters
    ----------
    recording : BaseRecording
        Source of the traces.
    spikes : np.ndarray
        Sorted spike vector of the spikes to average (windows crossing a segment border are
        zero beyond it, as in :func:`extract_waveforms_to_buffers`).
    unit_ids : array-like
        Unit ids; ``unit_index`` indexes them.
    nbefore, nafter : int
        Samples before and after each spike.
    return_scaled : bool, default: False
        Average in µV.
    progress_callback, cancel_token, **job_kwargs
        As :func:`extract_waveforms_to_buffers`.

    Returns
    -------
    np.ndarray
        float32 ``(num_units, nbefore + nafter, num_channels)``; zeros for units without spikes.
    """
    nbefore, nafter = _check_window(nbefore, nafter)
    unit_ids = np.asarray(unit_ids)
    spikes = _check_spikes(spikes, unit_ids, recording)
    dtype = _output_dtype(recording, "float32" if return_scaled else None, return_scaled)
    plan = _build_plan(
        recording, spikes, len(unit_ids), nbefore, nafter, dtype, None, return_scaled
    )
    accumulator = _SumAccumulator(len(unit_ids), nbefore + nafter, recording.get_num_channels())
    default_pool_engine(job_kwargs, "thread")
    _, job_kwargs = split_job_kwargs(job_kwargs)
    if spikes.size:
        _run_chunks(
            recording,
            _sum_chunk,
            (plan, "return", None),
            accumulator,
            "estimate_templates",
            progress_callback,
            cancel_token,
            job_kwargs,
        )
    counts = np.maximum(accumulator.counts, 1)[:, None, None]
    return (accumulator.sums / counts).astype("float32")
