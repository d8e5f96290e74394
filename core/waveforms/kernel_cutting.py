"""The extraction hot path: read one chunk of the recording and cut the waveforms of its spikes.

:func:`_build_plan` gathers once what every chunk needs (:class:`_Plan`, picklable for worker
processes). :func:`_extract_chunk` and :func:`_sum_chunk` are the per-chunk functions that
:class:`~core.jobs.ChunkRecordingExecutor` runs; both go through :func:`_chunk_pieces`.

A spike belongs to the chunk that holds its sample; the chunk is read from its first spike's
window start to its last spike's window end, so waveforms that cross chunk borders are complete;
a window that crosses a segment border holds the samples that exist and zeros beyond the border
(as SpikeInterface >= 0.101 does; 0.100 left the whole waveform zero).
Waveforms are cut with vectorised fancy indexing, one gather per unit present in the chunk (never
a Python loop over spikes), then scaled to µV with exactly the arithmetic of
``get_traces(return_scaled=True)``. With a sparsity, a chunk reads only the channels its units
need and each unit keeps only its own channels.

The cut waveforms leave as :class:`_UnitPiece` (one unit, consecutive rows of its buffer) for the
outputs of :mod:`.kernel_outputs`, or are written straight into in-memory arrays.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .sampling import _num_samples_per_segment

if TYPE_CHECKING:
    from ..recording.base import BaseRecording


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
    unit_channels: list[np.ndarray] | None  # per unit, with a sparsity: its channel indices
    unit_gains: list[np.ndarray | None]  # per unit: gains (offsets) of its channels
    unit_offsets: list[np.ndarray | None]


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
    unit_channels = None
    unit_gains = [gains] * num_units
    unit_offsets = [offsets] * num_units
    if sparsity_mask is not None:
        unit_channels = [np.flatnonzero(row) for row in sparsity_mask]
        if gains is not None:
            unit_gains = [gains[channels] for channels in unit_channels]
            unit_offsets = [offsets[channels] for channels in unit_channels]
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
        unit_channels=unit_channels,
        unit_gains=unit_gains,
        unit_offsets=unit_offsets,
    )


# where the waveforms of ``(unit, first_row, count)`` are cut to: an array of ``count`` rows
Destination = Callable[[int, int, int], np.ndarray]


@dataclass(frozen=True)
class _UnitPiece:
    """Waveforms of one unit in one chunk: rows ``first_row:first_row + len(waveforms)``."""

    unit_index: int
    first_row: int
    waveforms: np.ndarray


def _scaled(raw: np.ndarray, plan: _Plan, unit: int, out: np.ndarray | None):
    """``raw`` (waveforms of ``unit``) in the output dtype, in µV when scaling.

    Scaling is ``float32(raw) * gain + offset`` in float32, operation by operation, exactly as
    ``get_traces(return_scaled=True)`` computes it: ``np.multiply`` of the raw samples by
    float32 gains converts each sample to float32 and multiplies in float32, in one pass. With
    ``out`` (rows of an output array) the result is written there.
    """
    if plan.gains is None:
        if out is None:
            return raw.astype(plan.dtype, copy=False)
        out[...] = raw
        return out
    gains = plan.unit_gains[unit]
    if out is not None and out.dtype == np.float32:
        scaled = np.multiply(raw, gains, out=out, dtype=np.float32)
    else:
        scaled = np.multiply(raw, gains, dtype=np.float32)
    if plan.add_offsets:
        scaled += plan.unit_offsets[unit]
    if out is None:
        return scaled.astype(plan.dtype, copy=False)
    if scaled is not out:
        out[...] = scaled
    return out


def _chunk_pieces(
    segment_index: int,
    start_frame: int,
    end_frame: int,
    plan: _Plan,
    destination: Destination | None,
) -> Iterator[_UnitPiece]:
    """Cut the waveforms of the spikes whose sample is in ``[start_frame, end_frame)``.

    With a ``destination`` (rows of in-memory arrays, or a reused scratch buffer), waveforms are
    written straight into the array it gives and the yielded pieces hold those views.
    """
    nbefore, nafter = plan.nbefore, plan.nafter
    seg_start, seg_stop = plan.segment_bounds[segment_index], plan.segment_bounds[segment_index + 1]
    samples = plan.sample_index[seg_start:seg_stop]
    i0, i1 = np.searchsorted(samples, [start_frame, end_frame])
    if i1 <= i0:
        return
    first, last = seg_start + i0, seg_start + i1
    trace_start = int(samples[i0]) - nbefore
    trace_end = int(samples[i1 - 1]) + nafter
    # a window crossing a segment border holds the samples that exist, zeros beyond the border
    # (as SpikeInterface >= 0.101; 0.100 gave all zeros)
    num_samples = int(plan.num_samples[segment_index])
    pad_before, pad_after = max(0, -trace_start), max(0, trace_end - num_samples)

    unit_index = plan.unit_index[first:last]
    by_unit = np.argsort(unit_index, kind="stable")
    units_sorted = unit_index[by_unit]
    group_starts = np.flatnonzero(np.diff(units_sorted, prepend=-1))
    group_stops = np.append(group_starts[1:], units_sorted.size)
    units = units_sorted[group_starts]
    nsamples = plan.nbefore + plan.nafter
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
        start_frame=trace_start + pad_before,
        end_frame=trace_end - pad_after,
        channel_ids=channel_ids,
    )
    if pad_before or pad_after:
        traces = _zero_padded(traces, pad_before, pad_after)
    windows = _windows(traces, nsamples)
    for unit, g0, g1 in zip(units.tolist(), group_starts.tolist(), group_stops.tolist()):
        first_row = int(ranks[g0])
        if plan.unit_channels is None:
            raw = windows[starts[g0:g1]]
        else:
            raw = _gather_columns(windows, starts[g0:g1], local[plan.unit_channels[unit]])
        out = None if destination is None else destination(unit, first_row, g1 - g0)
        waveforms = _scaled(raw, plan, unit, out)
        if plan.add_offsets and (pad_before or pad_after):
            # the offset turned the padding into non-zeros: padding stays zero in every unit
            _zero_outside(waveforms, starts[g0:g1], pad_before, len(traces) - pad_after)
        yield _UnitPiece(unit, first_row, waveforms)


def _zero_padded(traces: np.ndarray, pad_before: int, pad_after: int) -> np.ndarray:
    """``traces`` with ``pad_before`` rows of zeros before and ``pad_after`` after."""
    padded = np.zeros((pad_before + len(traces) + pad_after, traces.shape[1]), traces.dtype)
    padded[pad_before : pad_before + len(traces)] = traces
    return padded


def _zero_outside(waveforms: np.ndarray, starts: np.ndarray, low: int, high: int) -> None:
    """Zero the samples of ``waveforms`` (windows at ``starts``) outside ``[low, high)``."""
    nsamples = waveforms.shape[1]
    for row in np.flatnonzero((starts < low) | (starts + nsamples > high)).tolist():
        start = int(starts[row])
        waveforms[row, : max(0, low - start)] = 0
        waveforms[row, max(0, high - start) :] = 0


def _windows(traces: np.ndarray, nsamples: int) -> np.ndarray:
    """View ``(num_frames - nsamples + 1, nsamples, num_channels)``: window ``i`` starts at ``i``.

    Indexing it with the spikes' window starts copies each waveform as one block, about twice as
    fast (sparse) or 15% faster (dense) than indexing ``traces`` with an ``(n, nsamples)`` array
    of rows, which copies row by row. Made once per chunk: making the view costs more than
    slicing it.
    """
    return sliding_window_view(traces, nsamples, axis=0).transpose(0, 2, 1)


def _gather_columns(windows: np.ndarray, starts: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """The ``windows`` at ``starts``, restricted to ``columns``: ``(n, nsamples, columns)``.

    Sparsity channels are usually a near-contiguous block: cutting the whole span of the columns
    and then dropping the few columns inside it not wanted is several times faster than
    element-wise two-array fancy indexing.
    """
    if columns.size == 0:
        return np.zeros((starts.size, windows.shape[1], 0), dtype=windows.dtype)
    first, last = int(columns[0]), int(columns[-1]) + 1
    block = windows[:, :, first:last][starts]
    if last - first == columns.size:
        return block
    return block[:, :, columns - first]


# --------------------------------------------------------------------------- per-chunk workers
def _init_worker(plan: _Plan, sink: str, target: Any, averages: Any = None) -> dict:
    """Worker context: the plan and where the pieces go.

    ``sink`` is ``"files"`` (``target`` is an :class:`_NpyFiles`), ``"arrays"`` (``target`` is
    the list of output arrays, shared by threads; ``averages``, a
    :class:`~.kernel_outputs.RunningAverages` or None, folds each piece in) or ``"return"``
    (pieces go back to the caller).
    """
    return {"plan": plan, "sink": sink, "target": target, "averages": averages}


def _extract_chunk(segment_index: int, start_frame: int, end_frame: int, ctx: dict):
    plan, sink, target = ctx["plan"], ctx["sink"], ctx["target"]
    destination = None
    if sink == "arrays":
        destination = _rows_of(target)
    elif sink == "files" and plan.gains is not None and target.reuses_buffers:
        destination = target.scratch  # scaling needs a buffer: reuse one per thread
    pieces = _chunk_pieces(segment_index, start_frame, end_frame, plan, destination)
    if sink == "files":
        target.write_all(pieces)
        return None
    if sink == "arrays":
        averages = ctx["averages"]
        if averages is None:
            collections.deque(pieces, maxlen=0)  # run the cutting: pieces are written in place
        else:
            for piece in pieces:  # folded while its rows are still in the CPU cache
                averages.add(piece)
        return None
    return list(pieces)


def _rows_of(arrays: list[np.ndarray]) -> Destination:
    """Destination writing each unit's waveforms into its rows of ``arrays``."""
    return lambda unit, first_row, count: arrays[unit][first_row : first_row + count]


def _sum_chunk(segment_index: int, start_frame: int, end_frame: int, ctx: dict):
    """Per unit of the chunk: the sum of its waveforms (float64) and their number."""
    plan = ctx["plan"]
    return [
        (piece.unit_index, piece.waveforms.sum(axis=0, dtype="float64"), len(piece.waveforms))
        for piece in _chunk_pieces(segment_index, start_frame, end_frame, plan, None)
    ]
