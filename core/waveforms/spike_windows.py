"""Waveforms of a few spikes read straight from a lazy recording, one small window per spike.

`extract_waveforms` walks the recording chunk by chunk, which is the fastest way to cut many
spikes but reads every chunk that holds one. A viewer needs a few spikes per unit of a recording
that may be hours long: reading one window around each of them reads kilobytes instead of
gigabytes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..recording.base import BaseRecording
from ..sorting.base import BaseSorting

#: Position of a spike: its sample and segment.
spike_position_dtype = np.dtype([("sample_index", "<i8"), ("segment_index", "<i8")])


def sample_unit_spikes(
    sorting: BaseSorting,
    unit_id: Any,
    max_spikes: int,
    seed: int | None = 0,
    num_samples: list[int] | None = None,
    margin: int = 0,
) -> np.ndarray:
    """Up to ``max_spikes`` spikes of one unit, drawn at random over every segment, in time order.

    Parameters
    ----------
    sorting : BaseSorting
    unit_id : int or str
        The unit.
    max_spikes : int
        Spikes drawn (all of them when the unit has fewer).
    seed : int or None, default: 0
        Seed of the draw (the same seed draws the same spikes).
    num_samples : list of int or None, default: None
        Samples of each segment; with ``margin``, spikes closer than ``margin`` to a segment's
        ends are not drawn.
    margin : int, default: 0

    Returns
    -------
    np.ndarray
        Structured ``[("sample_index", "<i8"), ("segment_index", "<i8")]``, sorted by segment
        then sample.
    """
    if not isinstance(max_spikes, int | np.integer) or max_spikes < 0:
        raise ValueError(f"max_spikes must be an int >= 0, got {max_spikes!r}")
    trains = [
        sorting.get_unit_spike_train(unit_id, segment_index=segment).astype("int64")
        for segment in range(sorting.get_num_segments())
    ]
    spikes = np.zeros(sum(t.size for t in trains), dtype=spike_position_dtype)
    spikes["sample_index"] = np.concatenate(trains) if trains else []
    spikes["segment_index"] = np.repeat(np.arange(len(trains)), [t.size for t in trains])
    if num_samples is not None and margin > 0:
        limits = np.asarray(num_samples, dtype="int64")[spikes["segment_index"]]
        spikes = spikes[
            (spikes["sample_index"] >= margin) & (spikes["sample_index"] < limits - margin)
        ]
    if spikes.size > max_spikes:
        rng = np.random.default_rng(seed)
        spikes = spikes[np.sort(rng.choice(spikes.size, size=max_spikes, replace=False))]
    return spikes


def read_spike_windows(
    recording: BaseRecording,
    spikes: np.ndarray,
    nbefore: int,
    nafter: int,
    channel_ids=None,
    return_scaled: bool = False,
) -> np.ndarray:
    """The samples around each spike, read one window per spike (nearby spikes share a read).

    Parameters
    ----------
    recording : BaseRecording
    spikes : np.ndarray
        Structured with ``sample_index`` and ``segment_index`` fields (any order).
    nbefore, nafter : int
        Samples before and from the spike on; a window is ``nbefore + nafter`` long.
    channel_ids : list or None, default: None
        Channels read (all when None).
    return_scaled : bool, default: False
        float32 µV instead of the raw values.

    Returns
    -------
    np.ndarray
        ``(num_spikes, nbefore + nafter, num_channels)``, in the order of ``spikes``. Where a
        window reaches past a segment's ends, the missing samples repeat the nearest sample
        that exists (never zeros in place of data).
    """
    nbefore, nafter = int(nbefore), int(nafter)
    if nbefore < 0 or nafter <= 0:
        raise ValueError(f"nbefore must be >= 0 and nafter > 0, got {nbefore} and {nafter}")
    width = nbefore + nafter
    num_channels = recording.get_num_channels() if channel_ids is None else len(channel_ids)
    dtype = "float32" if return_scaled else recording.get_dtype()
    out = np.zeros((spikes.size, width, num_channels), dtype=dtype)
    order = np.lexsort((spikes["sample_index"], spikes["segment_index"]))
    # in (segment, sample) order; numpy work per read, not per spike (the GIL is held less)
    samples = spikes["sample_index"][order].astype(np.int64)
    segments = spikes["segment_index"][order]
    segment_ends = np.flatnonzero(np.r_[segments[1:] != segments[:-1], True]) + 1
    offsets = np.arange(width)
    position = 0
    for segment_end in segment_ends.tolist() if spikes.size else []:
        segment = int(segments[position])
        num_samples = recording.get_num_samples(segment)
        segment_start = position
        in_segment = samples[segment_start:segment_end]
        while position < segment_end:
            # one read for the spikes whose windows overlap or nearly touch: those that start
            # within 4 windows of the first one's start
            start = int(samples[position]) - nbefore
            reach = start + nbefore + 4 * width
            last = segment_start + int(np.searchsorted(in_segment, reach, side="right")) - 1
            end = int(samples[last]) + nafter
            lo, hi = max(start, 0), min(end, num_samples)
            traces = recording.get_traces(
                segment_index=segment,
                start_frame=lo,
                end_frame=hi,
                channel_ids=channel_ids,
                return_scaled=return_scaled,
            )
            rows = (samples[position : last + 1] - nbefore)[:, None] + offsets
            # (np.minimum/np.maximum: np.clip of integers costs a type-limits lookup per call)
            out[order[position : last + 1]] = traces[np.minimum(np.maximum(rows, lo), hi - 1) - lo]
            position = last + 1
    return out
