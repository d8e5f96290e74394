"""SpikeInterface's waveform buffer helpers (``spikeinterface.core.waveform_tools``).

Buffers allocated first and filled afterwards (`allocate_waveforms_buffers`,
`distribute_waveforms_to_buffers`), one buffer for all spikes
(`extract_waveforms_to_single_buffer`, `split_waveforms_by_units`) and one-pass average
templates (`estimate_templates`), all on top of the extraction kernel (:mod:`.kernel`).
"""

from __future__ import annotations

from multiprocessing.shared_memory import SharedMemory
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..shared_memory import make_shared_array
from .kernel import estimate_templates_average, fill_waveform_arrays

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..recording.base import BaseRecording

__all__ = [
    "allocate_waveforms_buffers",
    "distribute_waveforms_to_buffers",
    "estimate_templates",
    "extract_waveforms_to_single_buffer",
    "split_waveforms_by_units",
]

_BUFFER_MODES = ("memmap", "shared_memory")


def _check_mode(mode: str, folder, name: str) -> None:
    if mode not in _BUFFER_MODES:
        raise ValueError(f"mode must be 'memmap' or 'shared_memory', got {mode!r}")
    if mode == "memmap" and folder is None:
        raise ValueError(f"{name} is required with mode='memmap'")
    if mode == "shared_memory" and folder is not None:
        raise ValueError(f"{name} must be None with mode='shared_memory'")


def _unit_widths(recording: BaseRecording, num_units: int, sparsity_mask) -> list[int]:
    if sparsity_mask is None:
        return [recording.get_num_channels()] * num_units
    return [int(row.sum()) for row in np.asarray(sparsity_mask)]


def allocate_waveforms_buffers(
    recording: BaseRecording,
    spikes: np.ndarray,
    unit_ids: Sequence | np.ndarray,
    nbefore: int,
    nafter: int,
    mode: str = "memmap",
    folder: str | Path | None = None,
    dtype=None,
    sparsity_mask: np.ndarray | None = None,
) -> tuple[dict, dict]:
    """Create one zeroed waveform buffer per unit, to be filled by `distribute_waveforms_to_buffers`.

    Parameters
    ----------
    recording : BaseRecording
    spikes : np.ndarray
        Spike vector (``sorting.to_spike_vector()``) of the spikes to extract.
    unit_ids : array-like
    nbefore, nafter : int
    mode : {"memmap", "shared_memory"}, default: "memmap"
        ``.npy`` files ``folder/waveforms_<unit_id>.npy``, or shared memory blocks.
    folder : str | Path | None, default: None
        Existing folder of ``"memmap"``.
    dtype : numpy dtype-like or None, default: None
        float32 when None.
    sparsity_mask : np.ndarray or None, default: None
        Boolean ``(num_units, num_channels)``: each buffer holds only its unit's channels.

    Returns
    -------
    waveforms_by_units : dict
        ``unit_id -> (spikes of the unit, nbefore + nafter, channels) array``.
    arrays_info : dict
        ``unit_id -> file name`` (memmap), or ``(shm, shm_name, dtype_str, shape)`` (shared
        memory; ``shm`` is None for an empty buffer): keep it referenced while the arrays are
        used, then unlink the blocks.
    """
    _check_mode(mode, folder, "folder")
    dtype = np.dtype("float32" if dtype is None else dtype)
    unit_ids = np.asarray(unit_ids)
    counts = np.bincount(np.asarray(spikes["unit_index"], dtype="int64"), minlength=len(unit_ids))
    widths = _unit_widths(recording, len(unit_ids), sparsity_mask)
    waveforms, info = {}, {}
    for unit_index, unit_id in enumerate(unit_ids.tolist()):
        shape = (int(counts[unit_index]), nbefore + nafter, widths[unit_index])
        if mode == "memmap":
            file_name = str(Path(folder) / f"waveforms_{unit_id}.npy")
            waveforms[unit_id] = np.lib.format.open_memmap(
                file_name, mode="w+", dtype=dtype, shape=shape
            )
            info[unit_id] = file_name
        elif 0 in shape:
            waveforms[unit_id] = np.zeros(shape, dtype=dtype)
            info[unit_id] = (None, None, dtype.str, shape)
        else:
            waveforms[unit_id], shm = make_shared_array(shape, dtype)
            info[unit_id] = (shm, shm.name, dtype.str, shape)
    return waveforms, info


def _attached_arrays(unit_ids: list, arrays_info: dict, mode: str) -> tuple[list, list]:
    """The buffers described by ``arrays_info``, writable, and the blocks attached for them."""
    arrays, attached = [], []
    for unit_id in unit_ids:
        if mode == "memmap":
            arrays.append(np.load(arrays_info[unit_id], mmap_mode="r+"))
            continue
        _, shm_name, dtype_str, shape = arrays_info[unit_id]
        if shm_name is None:
            arrays.append(np.zeros(shape, dtype=dtype_str))
            continue
        shm = SharedMemory(name=shm_name, create=False)
        attached.append(shm)
        arrays.append(np.ndarray(shape, dtype=dtype_str, buffer=shm.buf))
    return arrays, attached


def distribute_waveforms_to_buffers(
    recording: BaseRecording,
    spikes: np.ndarray,
    unit_ids: Sequence | np.ndarray,
    arrays_info: dict,
    nbefore: int,
    nafter: int,
    return_scaled: bool,
    mode: str = "memmap",
    sparsity_mask: np.ndarray | None = None,
    job_name: str | None = None,
    **job_kwargs: Any,
) -> None:
    """Cut the waveforms of ``spikes`` into buffers made by `allocate_waveforms_buffers`.

    Parameters
    ----------
    recording, spikes, unit_ids, nbefore, nafter, sparsity_mask
        As given to `allocate_waveforms_buffers`.
    arrays_info : dict
        Its second result.
    return_scaled : bool
        Waveforms in µV.
    mode : {"memmap", "shared_memory"}, default: "memmap"
    job_name : str or None, default: None
        Accepted for SpikeInterface compatibility.
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``...
    """
    if mode not in _BUFFER_MODES:
        raise ValueError(f"mode must be 'memmap' or 'shared_memory', got {mode!r}")
    unit_ids = np.asarray(unit_ids)
    arrays, attached = _attached_arrays(unit_ids.tolist(), arrays_info, mode)
    try:
        fill_waveform_arrays(
            recording,
            spikes,
            unit_ids,
            nbefore,
            nafter,
            arrays,
            return_scaled=return_scaled,
            sparsity_mask=sparsity_mask,
            **job_kwargs,
        )
        for array in arrays:
            if isinstance(array, np.memmap):
                array.flush()
    finally:
        del arrays
        for shm in attached:
            shm.close()


def extract_waveforms_to_single_buffer(
    recording: BaseRecording,
    spikes: np.ndarray,
    unit_ids: Sequence | np.ndarray,
    nbefore: int,
    nafter: int,
    mode: str = "memmap",
    return_scaled: bool = False,
    file_path: str | Path | None = None,
    dtype=None,
    sparsity_mask: np.ndarray | None = None,
    copy: bool = False,
    job_name: str | None = None,
    **job_kwargs: Any,
):
    """Cut the waveform of every spike into one buffer, in spike vector order.

    Row ``i`` is ``spikes[i]``; a window crossing a segment border holds the samples that
    exist and zeros beyond the border.
    With a sparsity, a unit's channels come first in its rows and the rest is zero.

    Parameters
    ----------
    recording, spikes, unit_ids, nbefore, nafter, return_scaled, sparsity_mask
        As :func:`~core.waveforms.extract_waveforms_to_buffers`.
    mode : {"memmap", "shared_memory"}, default: "memmap"
    file_path : str | Path | None, default: None
        The ``.npy`` file of ``"memmap"``.
    dtype : numpy dtype-like or None, default: None
        float32 when None.
    copy : bool, default: False
        With ``"shared_memory"``: True returns a plain array; False returns
        ``(array, wf_array_info)`` with ``wf_array_info = {"shm", "shm_name", "dtype",
        "shape"}`` (keep it referenced, unlink the block when done).
    job_name : str or None, default: None
        Accepted for SpikeInterface compatibility.
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``...

    Returns
    -------
    np.ndarray or tuple
        ``(num_spikes, nbefore + nafter, max channels per unit)``.
    """
    _check_mode(mode, file_path, "file_path")
    dtype = np.dtype("float32" if dtype is None else dtype)
    unit_ids = np.asarray(unit_ids)
    widths = _unit_widths(recording, len(unit_ids), sparsity_mask)
    shape = (spikes.size, nbefore + nafter, max(widths, default=0))
    shm = None
    if mode == "memmap":
        buffer = np.lib.format.open_memmap(Path(file_path), mode="w+", dtype=dtype, shape=shape)
    elif 0 in shape or copy:
        buffer = np.zeros(shape, dtype=dtype)
    else:
        buffer, shm = make_shared_array(shape, dtype)
    # the kernel fills per-unit arrays; their rows are then placed at the spikes' rows
    by_unit = [np.flatnonzero(spikes["unit_index"] == u) for u in range(len(unit_ids))]
    per_unit = [np.zeros((rows.size, shape[1], widths[u]), dtype) for u, rows in enumerate(by_unit)]
    fill_waveform_arrays(
        recording,
        spikes,
        unit_ids,
        nbefore,
        nafter,
        per_unit,
        return_scaled=return_scaled,
        sparsity_mask=sparsity_mask,
        **job_kwargs,
    )
    for unit_index, rows in enumerate(by_unit):
        buffer[rows, :, : widths[unit_index]] = per_unit[unit_index]
    if mode == "memmap":
        buffer.flush()
        return buffer
    if copy:
        return buffer
    shm_name = None if shm is None else shm.name
    return buffer, {"shm": shm, "shm_name": shm_name, "dtype": dtype.str, "shape": shape}


def split_waveforms_by_units(
    unit_ids: Sequence | np.ndarray,
    spikes: np.ndarray,
    all_waveforms: np.ndarray,
    sparsity_mask: np.ndarray | None = None,
    folder: str | Path | None = None,
) -> dict:
    """Split a single buffer (`extract_waveforms_to_single_buffer`) into per-unit arrays.

    Parameters
    ----------
    unit_ids : array-like
    spikes : np.ndarray
        The spike vector the buffer was filled from.
    all_waveforms : np.ndarray
    sparsity_mask : np.ndarray or None, default: None
        Keeps each unit's first ``channels of the unit`` columns.
    folder : str | Path | None, default: None
        Also save each unit's array as ``folder/waveforms_<unit_id>.npy`` and return
        read-only memmaps of the files.

    Returns
    -------
    dict
        ``unit_id -> array``.
    """
    unit_ids = np.asarray(unit_ids)
    waveforms = {}
    for unit_index, unit_id in enumerate(unit_ids.tolist()):
        rows = all_waveforms[spikes["unit_index"] == unit_index]
        if sparsity_mask is not None:
            rows = rows[:, :, : int(np.sum(sparsity_mask[unit_index]))]
        if folder is None:
            waveforms[unit_id] = rows
        else:
            path = Path(folder) / f"waveforms_{unit_id}.npy"
            np.save(path, rows)
            waveforms[unit_id] = np.load(path, mmap_mode="r")
    return waveforms


def estimate_templates(
    recording: BaseRecording,
    spikes: np.ndarray,
    unit_ids: Sequence | np.ndarray,
    nbefore: int,
    nafter: int,
    return_scaled: bool = True,
    **job_kwargs: Any,
) -> np.ndarray:
    """Average waveform of every unit in one pass, without storing waveforms.

    Parameters
    ----------
    recording : BaseRecording
    spikes : np.ndarray
        Spike vector (not empty) of the spikes to average.
    unit_ids : array-like
    nbefore, nafter : int
    return_scaled : bool, default: True
        Average in µV.
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``...

    Returns
    -------
    np.ndarray
        float32 ``(num_units, nbefore + nafter, num_channels)``; zeros for units without spikes.

    Raises
    ------
    ValueError
        If ``spikes`` is empty.
    """
    if len(spikes) == 0:
        raise ValueError("estimate_templates() needs at least one spike")
    return estimate_templates_average(
        recording, spikes, unit_ids, nbefore, nafter, return_scaled=return_scaled, **job_kwargs
    )
