"""Spike sampling and the waveform extraction kernel.

Two steps, as in SpikeInterface 0.100:

1. :func:`sample_spikes` picks at most ``max_spikes_per_unit`` spikes per unit with the same
   random draws as SpikeInterface's ``select_random_spikes_uniformly`` for the same seed.
2. :func:`extract_waveforms_to_buffers` cuts the waveforms of those spikes out of the recording
   and writes them into one pre-sized buffer per unit (``.npy`` files or arrays).

The extraction reads every chunk of the recording once through
:class:`~core.jobs.ChunkRecordingExecutor` (threads by default: reads, copies and writes release
the GIL). A spike belongs to the chunk that holds its sample; the chunk is read from its first
spike's window start to its last spike's window end, so waveforms that cross chunk borders are
complete. Waveforms are cut with vectorised fancy indexing, one gather per unit present in the
chunk (never a Python loop over spikes), then scaled to µV with exactly the arithmetic of
``get_traces(return_scaled=True)``. With a sparsity, a chunk reads only the channels its units
need and each unit keeps only its own channels.

A unit's spikes are stored in spike-vector order (segment, then sample), so the spikes of one
unit that fall in one chunk fill consecutive rows of its buffer: each write is one slice
assignment, or one ``os.pwrite`` into the ``.npy`` file done by writer threads while the next
waveforms are cut.
"""

from __future__ import annotations

import errno
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..jobs import CancelToken, ChunkRecordingExecutor, split_job_kwargs

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting

__all__ = [
    "estimate_templates_average",
    "extract_waveforms_to_buffers",
    "sample_spikes",
    "sampled_index_dtype",
    "select_random_spikes_uniformly",
]

#: dtype of the per-unit ``sampled_index_<unit_id>.npy`` arrays.
sampled_index_dtype = np.dtype([("spike_index", "<i8"), ("segment_index", "<i8")])

_SPIKE_FIELDS = ("sample_index", "unit_index", "segment_index")
_MODES = ("memmap", "memory", "shared_memory")
# waveform bytes cut but not yet written (per process), and threads writing them
_PENDING_WRITE_BYTES = 32 * 1024 * 1024
_WRITER_THREADS = 2

ProgressCallback = Callable[[int, int], None]


# --------------------------------------------------------------------------- sampling
def _num_samples_per_segment(recording: BaseRecording, num_segments: int) -> np.ndarray:
    if recording.get_num_segments() != num_segments:
        raise ValueError(
            f"recording has {recording.get_num_segments()} segments but the sorting has "
            f"{num_segments}"
        )
    return np.array([recording.get_num_samples(i) for i in range(num_segments)], dtype="int64")


def _check_window(nbefore: Any, nafter: Any) -> tuple[int, int]:
    for name, value in (("nbefore", nbefore), ("nafter", nafter)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    return int(nbefore), int(nafter)


def _check_max_spikes(max_spikes_per_unit: Any) -> int | None:
    if max_spikes_per_unit is None:
        return None
    if isinstance(max_spikes_per_unit, bool) or not isinstance(
        max_spikes_per_unit, int | np.integer
    ):
        raise TypeError(f"max_spikes_per_unit must be an int or None, got {max_spikes_per_unit!r}")
    if max_spikes_per_unit < 0:
        raise ValueError(f"max_spikes_per_unit must be >= 0, got {max_spikes_per_unit}")
    return int(max_spikes_per_unit)


@dataclass(frozen=True)
class _Selection:
    """Selected spikes as positions in the spike vector, grouped by unit."""

    vector_indices: np.ndarray  # per selected spike, its row in the spike vector
    unit_index: np.ndarray  # per selected spike, its unit index
    spike_index: np.ndarray  # per selected spike, its position in the unit's train of its segment
    segment_index: np.ndarray  # per selected spike, its segment
    unit_bounds: np.ndarray  # selected spikes of unit u are rows unit_bounds[u]:unit_bounds[u+1]


def _select_uniformly(
    spikes: np.ndarray,
    num_units: int,
    num_segments: int,
    num_samples: np.ndarray,
    max_spikes_per_unit: int | None,
    nbefore: int | None,
    nafter: int | None,
    seed: int | None,
) -> _Selection:
    """SpikeInterface 0.100's uniform selection, vectorised except for the per-unit draws.

    Per unit (in unit order), ``RandomState(seed).choice(total, max_spikes_per_unit,
    replace=False)`` draws among the unit's spikes counted across segments, as SpikeInterface
    does with the global numpy generator seeded by ``np.random.seed(seed)``; the global generator
    itself is left untouched here.
    """
    # Stable sort by unit keeps each unit's spikes in (segment, sample) order: the k-th spike of
    # a unit across segments is row by_unit[unit_start + k] of the spike vector.
    by_unit = np.argsort(spikes["unit_index"], kind="stable")
    counts = np.bincount(spikes["unit_index"], minlength=num_units)
    unit_starts = np.concatenate([[0], np.cumsum(counts)])
    per_segment = np.bincount(
        spikes["unit_index"] * num_segments + spikes["segment_index"],
        minlength=num_units * num_segments,
    ).reshape(num_units, num_segments)
    segment_starts = np.cumsum(per_segment, axis=1) - per_segment  # spikes before each segment

    rng = np.random.RandomState(None if seed is None else int(seed))
    chosen = []
    for unit_index in range(num_units):
        total = int(counts[unit_index])
        if max_spikes_per_unit is not None and total > max_spikes_per_unit:
            picks = np.sort(rng.choice(total, size=max_spikes_per_unit, replace=False))
        else:
            picks = np.arange(total)
        chosen.append(picks)
    sizes = np.array([c.size for c in chosen], dtype="int64")
    unit_index = np.repeat(np.arange(num_units, dtype="int64"), sizes)
    within_unit = np.concatenate(chosen).astype("int64") if chosen else np.zeros(0, "int64")
    vector_indices = by_unit[unit_starts[unit_index] + within_unit]
    segment_index = spikes["segment_index"][vector_indices]
    spike_index = within_unit - segment_starts[unit_index, segment_index]

    if max_spikes_per_unit is not None:
        # waveforms of sampled spikes must fit in their segment (same bounds as SpikeInterface)
        sample = spikes["sample_index"][vector_indices]
        keep = (sample >= nbefore) & (sample < num_samples[segment_index] - nafter)
        vector_indices, unit_index = vector_indices[keep], unit_index[keep]
        segment_index, spike_index = segment_index[keep], spike_index[keep]
    unit_bounds = np.searchsorted(unit_index, np.arange(num_units + 1))
    return _Selection(vector_indices, unit_index, spike_index, segment_index, unit_bounds)


def _selection_for(
    recording: BaseRecording,
    sorting: BaseSorting,
    max_spikes_per_unit: int | None,
    nbefore: int | None,
    nafter: int | None,
    seed: int | None,
) -> tuple[np.ndarray, _Selection]:
    max_spikes_per_unit = _check_max_spikes(max_spikes_per_unit)
    if max_spikes_per_unit is not None:
        if nbefore is None or nafter is None:
            raise ValueError("nbefore and nafter are required when max_spikes_per_unit is set")
        nbefore, nafter = _check_window(nbefore, nafter)
    num_segments = sorting.get_num_segments()
    num_samples = _num_samples_per_segment(recording, num_segments)
    spikes = sorting.to_spike_vector()
    selection = _select_uniformly(
        spikes,
        sorting.get_num_units(),
        num_segments,
        num_samples,
        max_spikes_per_unit,
        nbefore,
        nafter,
        seed,
    )
    return spikes, selection


def select_random_spikes_uniformly(
    recording: BaseRecording,
    sorting: BaseSorting,
    max_spikes_per_unit: int | None,
    nbefore: int | None = None,
    nafter: int | None = None,
    seed: int | None = None,
) -> dict[Any, list[np.ndarray]]:
    """Pick at most ``max_spikes_per_unit`` spikes per unit, uniformly across segments.

    The draws are those of SpikeInterface 0.100 for the same ``seed``. When
    ``max_spikes_per_unit`` is not None, sampled spikes whose waveform would not fit in their
    segment (``frame < nbefore`` or ``frame >= num_samples - nafter``) are dropped afterwards.

    Parameters
    ----------
    recording : BaseRecording
        Gives the number of samples of each segment.
    sorting : BaseSorting
        The spikes to sample from.
    max_spikes_per_unit : int or None
        Spikes kept per unit; None keeps every spike (border spikes included).
    nbefore, nafter : int or None, default: None
        Samples before and after a spike; required when ``max_spikes_per_unit`` is set.
    seed : int or None, default: None
        Seed of the random draws (None: fresh entropy).

    Returns
    -------
    dict
        ``{unit_id: [indices for segment 0, indices for segment 1, ...]}``: positions of the
        selected spikes in the unit's spike train of each segment, sorted.
    """
    _, selection = _selection_for(recording, sorting, max_spikes_per_unit, nbefore, nafter, seed)
    num_segments = sorting.get_num_segments()
    selected = {}
    for unit_index, unit_id in enumerate(sorting.unit_ids.tolist()):
        rows = slice(selection.unit_bounds[unit_index], selection.unit_bounds[unit_index + 1])
        spike_index = selection.spike_index[rows]
        segment_index = selection.segment_index[rows]
        selected[unit_id] = [
            spike_index[segment_index == segment] for segment in range(num_segments)
        ]
    return selected


def sample_spikes(
    recording: BaseRecording,
    sorting: BaseSorting,
    max_spikes_per_unit: int | None,
    nbefore: int | None = None,
    nafter: int | None = None,
    seed: int | None = None,
) -> tuple[np.ndarray, dict[Any, np.ndarray]]:
    """Sample spikes as :func:`select_random_spikes_uniformly` and describe the selection.

    Parameters
    ----------
    recording : BaseRecording
        Gives the number of samples of each segment.
    sorting : BaseSorting
        The spikes to sample from.
    max_spikes_per_unit : int or None
        Spikes kept per unit; None keeps every spike.
    nbefore, nafter : int or None, default: None
        Samples before and after a spike; required when ``max_spikes_per_unit`` is set.
    seed : int or None, default: None
        Seed of the random draws.

    Returns
    -------
    spikes : np.ndarray
        The selected rows of ``sorting.to_spike_vector()`` (same dtype and order).
    sampled_indices : dict
        ``{unit_id: structured array [("spike_index", "<i8"), ("segment_index", "<i8")]}``: for
        each waveform of the unit, in buffer order, the spike's position in the unit's train of
        its segment.
    """
    spikes, selection = _selection_for(
        recording, sorting, max_spikes_per_unit, nbefore, nafter, seed
    )
    sampled_indices = {}
    for unit_index, unit_id in enumerate(sorting.unit_ids.tolist()):
        rows = slice(selection.unit_bounds[unit_index], selection.unit_bounds[unit_index + 1])
        index = np.zeros(rows.stop - rows.start, dtype=sampled_index_dtype)
        index["spike_index"] = selection.spike_index[rows]
        index["segment_index"] = selection.segment_index[rows]
        sampled_indices[unit_id] = index
    selected = spikes[np.sort(selection.vector_indices)]
    return selected, sampled_indices


# --------------------------------------------------------------------------- extraction plan
@dataclass(frozen=True)
class _Plan:
    """Everything a worker needs to cut the waveforms of one chunk (picklable)."""

    recording: BaseRecording
    sample_index: np.ndarray  # int64, spike vector order
    unit_index: np.ndarray  # int64
    rank: np.ndarray  # int64: row of each spike in its unit's buffer
    segment_bounds: np.ndarray  # spikes of segment s are rows segment_bounds[s]:[s + 1]
    num_samples: np.ndarray  # per segment
    nbefore: int
    nafter: int
    dtype: str
    channel_ids: np.ndarray
    sparsity_mask: np.ndarray | None
    gains: np.ndarray | None  # float32 per channel when scaling
    offsets: np.ndarray | None
    add_offsets: bool


def _build_plan(
    recording: BaseRecording,
    spikes: np.ndarray,
    num_units: int,
    nbefore: int,
    nafter: int,
    dtype: np.dtype,
    sparsity_mask: np.ndarray | None,
    return_scaled: bool,
) -> _Plan:
    unit_index = np.ascontiguousarray(spikes["unit_index"], dtype="int64")
    by_unit = np.argsort(unit_index, kind="stable")
    unit_starts = np.concatenate([[0], np.cumsum(np.bincount(unit_index, minlength=num_units))])
    rank = np.empty(unit_index.size, dtype="int64")
    rank[by_unit] = np.arange(unit_index.size) - unit_starts[unit_index[by_unit]]
    num_segments = recording.get_num_segments()
    gains = offsets = None
    add_offsets = False
    if return_scaled:
        gains = recording.get_property("gain_to_uV").astype("float32")
        offsets = recording.get_property("offset_to_uV").astype("float32")
        # ``x * g + 0`` equals ``x * g`` except that it turns -0.0 into +0.0; integer samples
        # times positive gains never give -0.0, so the addition can then be skipped.
        add_offsets = bool(
            np.any(offsets != 0) or np.any(gains <= 0) or recording.get_dtype().kind == "f"
        )
    return _Plan(
        recording=recording,
        sample_index=np.ascontiguousarray(spikes["sample_index"], dtype="int64"),
        unit_index=unit_index,
        rank=rank,
        segment_bounds=np.searchsorted(spikes["segment_index"], np.arange(num_segments + 1)),
        num_samples=_num_samples_per_segment(recording, num_segments),
        nbefore=nbefore,
        nafter=nafter,
        dtype=dtype.str,
        channel_ids=recording.channel_ids,
        sparsity_mask=sparsity_mask,
        gains=gains,
        offsets=offsets,
        add_offsets=add_offsets,
    )


@dataclass(frozen=True)
class _UnitPiece:
    """Waveforms of one unit in one chunk: rows ``first_row:first_row + len(waveforms)``."""

    unit_index: int
    first_row: int
    waveforms: np.ndarray


def _scaled(raw: np.ndarray, plan: _Plan, channels: np.ndarray | slice, out: np.ndarray | None):
    """``raw`` in the output dtype, in µV when scaling.

    Scaling is ``float32(raw) * gain + offset`` in float32, operation by operation, exactly as
    ``get_traces(return_scaled=True)`` computes it. With ``out`` (rows of an output array) the
    result is written there: cast-copy first, then in place, which is the fastest order.
    """
    if plan.gains is None:
        if out is None:
            return raw.astype(plan.dtype, copy=False)
        out[...] = raw
        return out
    if out is None or out.dtype != np.float32:
        scaled = raw.astype(np.float32)
    else:
        scaled = out
        scaled[...] = raw
    scaled *= plan.gains[channels]
    if plan.add_offsets:
        scaled += plan.offsets[channels]
    if out is None:
        return scaled.astype(plan.dtype, copy=False)
    if scaled is not out:
        out[...] = scaled
    return out


def _chunk_pieces(
    segment_index: int, start_frame: int, end_frame: int, plan: _Plan, outputs: list | None
) -> Iterator[_UnitPiece]:
    """Cut the waveforms of the spikes whose sample is in ``[start_frame, end_frame)``.

    With ``outputs`` (in-memory arrays), float32 scaled waveforms are written straight into their
    rows and the yielded pieces hold those views.
    """
    nbefore, nafter = plan.nbefore, plan.nafter
    seg_start, seg_stop = plan.segment_bounds[segment_index], plan.segment_bounds[segment_index + 1]
    samples = plan.sample_index[seg_start:seg_stop]
    # spikes too close to the segment borders are left as zeros, like SpikeInterface 0.100
    low = max(start_frame, nbefore)
    high = min(end_frame, int(plan.num_samples[segment_index]) - nafter)
    if high <= low:
        return
    i0, i1 = np.searchsorted(samples, [low, high])
    if i1 <= i0:
        return
    first, last = seg_start + i0, seg_start + i1
    trace_start = int(samples[i0]) - nbefore
    trace_end = int(samples[i1 - 1]) + nafter

    unit_index = plan.unit_index[first:last]
    by_unit = np.argsort(unit_index, kind="stable")
    units_sorted = unit_index[by_unit]
    group_starts = np.flatnonzero(np.diff(units_sorted, prepend=-1))
    group_stops = np.append(group_starts[1:], units_sorted.size)
    units = units_sorted[group_starts]
    window = np.arange(plan.nbefore + plan.nafter)
    starts = plan.sample_index[first:last][by_unit] - nbefore - trace_start
    ranks = plan.rank[first:last][by_unit]

    if plan.sparsity_mask is None:
        channel_ids = None
    else:
        union = np.any(plan.sparsity_mask[units], axis=0)
        # read only the channels some unit of this chunk needs
        channel_ids = None if union.all() else plan.channel_ids[union]
        local = np.cumsum(union) - 1  # channel index -> column of the traces read
    traces = plan.recording.get_traces(
        segment_index=segment_index,
        start_frame=trace_start,
        end_frame=trace_end,
        channel_ids=channel_ids,
    )
    all_channels = slice(None)
    for unit, g0, g1 in zip(units.tolist(), group_starts.tolist(), group_stops.tolist()):
        rows = starts[g0:g1, None] + window  # (n, nsamples) sample offsets into traces
        first_row = int(ranks[g0])
        if plan.sparsity_mask is None:
            raw = traces[rows]
            channels = all_channels
        else:
            channels = np.flatnonzero(plan.sparsity_mask[unit])
            raw = _gather_columns(traces, rows, local[channels])
        out = None
        if outputs is not None:
            out = outputs[unit][first_row : first_row + (g1 - g0)]
        yield _UnitPiece(unit, first_row, _scaled(raw, plan, channels, out))


def _gather_columns(traces: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``traces[rows][:, :, columns]`` without copying the columns outside their span.

    Sparsity channels are usually a near-contiguous block: gathering whole sub-rows of the span
    (one memcpy each) and then dropping the few columns inside it not wanted is several times
    faster than element-wise two-array fancy indexing.
    """
    if columns.size == 0:
        return np.zeros(rows.shape + (0,), dtype=traces.dtype)
    first, last = int(columns[0]), int(columns[-1]) + 1
    block = traces[:, first:last][rows]
    if last - first == columns.size:
        return block
    return block[:, :, columns - first]


# --------------------------------------------------------------------------- workers
class _NpyFiles:
    """Writes rows of the pre-sized ``.npy`` buffers with ``os.pwrite``, from writer threads.

    Page-cache writes of new file blocks cost more than cutting and scaling, so pieces are
    written by ``_WRITER_THREADS`` helper threads while the next ones are being cut; at most
    ``_PENDING_WRITE_BYTES`` wait. In the calling process (main thread or thread pool) one writer
    serves every worker across chunks and :meth:`close` waits for it; a worker process gets its
    own copy, which waits at the end of each chunk (pools have no teardown hook).

    Files are opened per write: with thousands of units, keeping one descriptor (or one memmap,
    which holds a descriptor) per unit would exceed the usual open-file limit.
    """

    def __init__(self, paths: Sequence[str], header_bytes: Sequence[int], row_bytes: Sequence[int]):
        self.paths = list(paths)
        self.header_bytes = list(header_bytes)
        self.row_bytes = list(row_bytes)
        self.shared = True  # False in the copies sent to worker processes
        self._writer: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Future, int]] = deque()
        self._pending_bytes = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict:
        return {"paths": self.paths, "header_bytes": self.header_bytes, "row_bytes": self.row_bytes}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["paths"], state["header_bytes"], state["row_bytes"])
        self.shared = False

    def write(self, piece: _UnitPiece) -> None:
        """Write one piece (in the calling thread)."""
        unit = piece.unit_index
        data = memoryview(np.ascontiguousarray(piece.waveforms)).cast("B")
        offset = self.header_bytes[unit] + piece.first_row * self.row_bytes[unit]
        fd = os.open(self.paths[unit], os.O_WRONLY)
        try:
            while data.nbytes:
                written = os.pwrite(fd, data, offset)
                data = data[written:]
                offset += written
        finally:
            os.close(fd)

    def write_all(self, pieces: Iterator[_UnitPiece]) -> None:
        """Queue ``pieces`` for the writer threads (waiting while too many bytes are queued)."""
        with self._lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(_WRITER_THREADS, thread_name_prefix="npy-writer")
        for piece in pieces:
            future = self._writer.submit(self.write, piece)
            with self._lock:
                self._pending.append((future, piece.waveforms.nbytes))
                self._pending_bytes += piece.waveforms.nbytes
            self._wait(_PENDING_WRITE_BYTES)
        if not self.shared:
            self._wait(0)

    def _wait(self, budget: int) -> None:
        """Wait for the oldest writes until at most ``budget`` bytes are queued."""
        while True:
            with self._lock:
                if self._pending_bytes <= budget or not self._pending:
                    return
                future, size = self._pending.popleft()
                self._pending_bytes -= size
            future.result()

    def close(self, cancel: bool = False) -> None:
        """Wait for every queued write (or drop them with ``cancel``) and stop the threads."""
        if self._writer is None:
            return
        if not cancel:
            self._wait(0)
        self._writer.shutdown(wait=True, cancel_futures=cancel)
        self._writer = None


def _init_worker(plan: _Plan, sink: str, target: Any) -> dict:
    """Worker context: the plan and where the pieces go.

    ``sink`` is ``"files"`` (``target`` is an :class:`_NpyFiles`), ``"arrays"`` (``target`` is
    the list of output arrays, shared by threads) or ``"return"`` (pieces go back to the caller).
    """
    return {"plan": plan, "sink": sink, "target": target}


def _extract_chunk(segment_index: int, start_frame: int, end_frame: int, ctx: dict):
    plan, sink, target = ctx["plan"], ctx["sink"], ctx["target"]
    outputs = target if sink == "arrays" else None
    pieces = _chunk_pieces(segment_index, start_frame, end_frame, plan, outputs)
    if sink == "files":
        target.write_all(pieces)
        return None
    if sink == "arrays":
        for _ in pieces:  # written in place while cutting
            pass
        return None
    return list(pieces)


def _sum_chunk(segment_index: int, start_frame: int, end_frame: int, ctx: dict):
    """Per unit of the chunk: the sum of its waveforms (float64) and their number."""
    plan = ctx["plan"]
    return [
        (piece.unit_index, piece.waveforms.sum(axis=0, dtype="float64"), len(piece.waveforms))
        for piece in _chunk_pieces(segment_index, start_frame, end_frame, plan, None)
    ]


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
    mode : {"memmap", "memory", "shared_memory"}, default: "memmap"
        ``"memmap"`` writes ``folder/waveforms_<unit_id>.npy`` (pre-sized with
        ``np.lib.format.open_memmap``, filled in place by the workers) and returns read-only
        memmaps; ``"memory"`` returns numpy arrays (``"shared_memory"``, SpikeInterface's name,
        is the same).
    return_scaled : bool, default: False
        Waveforms in µV (float32 ``raw * gain_to_uV + offset_to_uV``, as ``get_traces``).
    folder : str or Path or None, default: None
        Output folder of ``"memmap"`` mode (created if needed).
    dtype : numpy dtype-like or None, default: None
        Dtype of the buffers: float32 when ``return_scaled``, else the recording's.
    sparsity_mask : np.ndarray or None, default: None
        Boolean ``(num_units, num_channels)``: each unit's buffer keeps only its channels (in
        channel order), and only the channels some unit of a chunk needs are read.
    copy : bool, default: False
        Kept for SpikeInterface compatibility: results are always plain arrays or memmaps.
    progress_callback : callable or None, default: None
        ``progress_callback(done_chunks, total_chunks)``.
    cancel_token : CancelToken or None, default: None
        Stops the extraction (:class:`~core.jobs.JobCancelled`); files already written stay
        incomplete, so callers write into a temporary folder.
    **job_kwargs
        ``n_jobs``, ``chunk_duration``, ``progress_bar``, ``pool_engine`` (default
        ``"thread"``: reads release the GIL; ``"process"`` also works)...

    Returns
    -------
    dict
        ``{unit_id: (num_spikes_of_unit, nbefore + nafter, num_channels_of_unit) array}``.
        Spikes whose window does not fit in their segment (``sample < nbefore`` or
        ``sample >= num_samples - nafter``) keep rows of zeros, as in SpikeInterface.

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

    job_kwargs.setdefault("pool_engine", "thread")
    _, job_kwargs = split_job_kwargs(job_kwargs)
    threads = job_kwargs["n_jobs"] == 1 or job_kwargs.get("pool_engine") == "thread"

    if mode == "memmap":
        if folder is None:
            raise ValueError("folder is required with mode='memmap'")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / f"waveforms_{unit_id}.npy" for unit_id in unit_ids.tolist()]
        headers = []
        for path, shape in zip(paths, shapes):
            buffer = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
            headers.append(buffer.offset)
            _reserve(path, buffer.offset, buffer.nbytes)
            del buffer
        row_bytes = [nsamples * w * dtype.itemsize for w in widths]
        sink, target = "files", _NpyFiles([str(p) for p in paths], headers, row_bytes)
        arrays = None
    else:
        arrays = [np.zeros(shape, dtype=dtype) for shape in shapes]
        sink, target = ("arrays", arrays) if threads else ("return", None)

    if spikes.size:
        try:
            _run_chunks(
                recording,
                _extract_chunk,
                (plan, sink, target),
                None if sink != "return" else _ArrayWriter(arrays),
                "extract_waveforms",
                progress_callback,
                cancel_token,
                job_kwargs,
            )
        except BaseException:
            if sink == "files":
                target.close(cancel=True)
            raise
        if sink == "files":
            target.close()

    if mode == "memmap":
        return {u: np.load(path, mmap_mode="r") for u, path in zip(unit_ids.tolist(), paths)}
    return dict(zip(unit_ids.tolist(), arrays))


def _reserve(path: Path, offset: int, length: int) -> None:
    """Allocate the blocks of an output file before it is filled.

    Writes into reserved blocks are faster and steadier than into holes, and a full disk fails
    here rather than midway. Skipped where the platform or file system cannot do it.
    """
    if length == 0 or not hasattr(os, "posix_fallocate"):
        return
    fd = os.open(path, os.O_WRONLY)
    try:
        os.posix_fallocate(fd, offset, length)
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise OSError(
                error.errno, f"{path}: not enough disk space for {length} bytes"
            ) from None
    finally:
        os.close(fd)


class _ArrayWriter:
    """``gather_func`` that writes pieces returned by worker processes into the arrays."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays

    def __call__(self, pieces: list[_UnitPiece]) -> None:
        for piece in pieces:
            rows = slice(piece.first_row, piece.first_row + len(piece.waveforms))
            self.arrays[piece.unit_index][rows] = piece.waveforms


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
class _SumAccumulator:
    """``gather_func`` adding per-unit waveform sums and counts."""

    def __init__(self, num_units: int, nsamples: int, num_channels: int) -> None:
        self.sums = np.zeros((num_units, nsamples, num_channels), dtype="float64")
        self.counts = np.zeros(num_units, dtype="int64")

    def __call__(self, results: list[tuple[int, np.ndarray, int]]) -> None:
        for unit_index, total, count in results:
            self.sums[unit_index] += total
            self.counts[unit_index] += count


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
        Sorted spike vector of the spikes to average (border spikes are skipped).
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
    job_kwargs.setdefault("pool_engine", "thread")
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
