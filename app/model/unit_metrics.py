"""The metric columns of the units table, computed by `core.qualitymetrics` (no Qt).

Spike-train metrics (`spike_train_metrics`) need only the sorting (and its registered
recording for durations): vectorised over the spike vector, they take well under a second for
500 units and 10 M spikes. Amplitude and SNR need waveforms: an open WaveformExtractor gives
them; otherwise `sampled_waveform_extractor` cuts ~50 spikes per unit, on the channels around
each unit's extremum channel, reading only the windows around those spikes
(`app.model.spike_windows_recording`), so an hour-long 384-channel file costs seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

import numpy as np

import core as si
from app.model.spike_windows_recording import SpikeWindowsRecording, windows_sorting
from core.jobs import CancelToken

#: Spikes per unit whose waveforms give amplitudes and SNR when no waveforms are open.
SPIKES_PER_UNIT = 50
#: Channels within this distance of a unit's extremum channel are cut (µm).
RADIUS_UM = 60.0
#: Waveform window, as SpikeInterface's extract_waveforms defaults (ms).
MS_BEFORE, MS_AFTER = 1.0, 2.0
#: Spikes per slice when taking unit signatures.
SIGNATURE_SLICE = 1_000_000
#: Windows read per chunk of the extraction (the unit of progress and cancel).
WINDOWS_PER_CHUNK = 256


def spike_train_metrics(
    sorting: si.BaseSorting, segment_lengths: list[int] | None = None
) -> dict[str, dict]:
    """``{column key: {unit_id: value}}`` of the metrics computed from spike trains alone.

    ``num_spikes`` always; ``firing_rate``, ``isi_violations_ratio`` and ``presence_ratio``
    when the duration is known: from the sorting's registered recording, else from
    ``segment_lengths``. Presence ratios of a recording shorter than one 60 s bin are NaN, as
    in SpikeInterface.

    Parameters
    ----------
    sorting : BaseSorting
    segment_lengths : list of int, optional
        Samples of each segment of the recording, for a sorting without one (e.g. a waveform
        folder or analyzer opened without its recording, which stores them).
    """
    from core.qualitymetrics import (
        compute_firing_rates,
        compute_isi_violations,
        compute_num_spikes,
        compute_presence_ratios,
    )

    if not sorting.has_recording() and segment_lengths is not None:
        sorting = with_segment_lengths(sorting, segment_lengths)  # spikes counted once, on it
    metrics = {"num_spikes": compute_num_spikes(sorting)}
    if not sorting.has_recording():
        return metrics
    metrics["firing_rate"] = compute_firing_rates(sorting)
    metrics["isi_violations_ratio"] = compute_isi_violations(sorting).isi_violations_ratio
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "bin duration larger than the recording": NaN
        metrics["presence_ratio"] = compute_presence_ratios(sorting)
    return metrics


def with_segment_lengths(sorting: si.BaseSorting, segment_lengths: list[int]) -> si.BaseSorting:
    """A lazy copy of ``sorting`` (same units and spikes) that knows its recording's segment
    lengths: a registered recording of no channels, which holds no data. ``sorting`` itself is
    left without a recording.

    Raises
    ------
    ValueError
        If ``segment_lengths`` does not give one length per segment of the sorting.
    """
    if len(segment_lengths) != sorting.get_num_segments():
        raise ValueError(
            f"segment_lengths: {len(segment_lengths)} lengths for a sorting of "
            f"{sorting.get_num_segments()} segment(s)"
        )
    empty = [np.zeros((int(n), 0), dtype="int16") for n in segment_lengths]
    timed = sorting.select_units(sorting.unit_ids)
    timed.register_recording(
        si.NumpyRecording(empty, sampling_frequency=sorting.sampling_frequency)
    )
    return timed


def unit_signatures(sorting: si.BaseSorting) -> dict:
    """``{unit_id: (spike count, sum of sample indices, sum of segment indices)}``: a unit
    whose signature is the same in two sortings has, for all practical purposes, the same
    spikes (a curation keeps the units it does not touch)."""
    spikes = sorting.to_spike_vector()
    num_units = sorting.get_num_units()
    totals = np.zeros((3, num_units), dtype=np.int64)
    # in slices: np.bincount holds the GIL, and the GUI thread must not wait for it long; each
    # slice copied first (a copy releases the GIL; a memory map's first read waits for disk)
    for first in range(0, spikes.size, SIGNATURE_SLICE):
        chunk = np.array(spikes[first : first + SIGNATURE_SLICE])
        units = chunk["unit_index"]
        totals[0] += np.bincount(units, minlength=num_units)
        for row, field in ((1, "sample_index"), (2, "segment_index")):
            sums = np.bincount(units, weights=chunk[field], minlength=num_units)
            totals[row] += np.rint(sums).astype(np.int64)  # exact: slices stay below 2**53
    return {
        unit_id: (int(totals[0, i]), int(totals[1, i]), int(totals[2, i]))
        for i, unit_id in enumerate(sorting.unit_ids.tolist())
    }


def trace_metrics(waveform_extractor) -> dict[str, dict]:
    """``{"amplitude_median": {...}, "snr": {...}}`` of the extractor's units."""
    from core.qualitymetrics import compute_amplitude_medians, compute_snrs

    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # a flat channel: SNR inf
        return {
            "amplitude_median": compute_amplitude_medians(waveform_extractor),
            "snr": compute_snrs(waveform_extractor),
        }


def sample_spikes_per_unit(
    sorting: si.BaseSorting,
    max_spikes: int,
    seed: int = 0,
    num_samples: list[int] | None = None,
    margin: int = 0,
) -> np.ndarray:
    """Up to ``max_spikes`` spikes of every unit drawn at random, grouped by unit.

    Parameters
    ----------
    sorting : BaseSorting
    max_spikes : int
        Spikes per unit (all of a unit's spikes when it has fewer).
    seed : int, default: 0
    num_samples : list of int or None
        Samples of each segment; with ``margin``, spikes closer than ``margin`` to a segment's
        ends are not drawn (their window would leave the recording).
    margin : int, default: 0

    Returns
    -------
    np.ndarray
        Rows of the spike vector, in time order (segment, then sample).
    """
    # from the sorting's cached per-unit trains: no temporary the size of the spike vector, and
    # per unit only its drawn spikes are gathered (never a copy of its whole train)
    dtype = sorting.to_spike_vector().dtype
    num_segments = sorting.get_num_segments()
    rng = np.random.default_rng(seed)
    samples, segments, sizes = [], [], []
    for unit_id in sorting.unit_ids.tolist():
        trains = []
        for segment_index in range(num_segments):
            train = sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            if num_samples is not None and margin > 0:
                first, last = np.searchsorted(
                    train, [margin, num_samples[segment_index] - margin], side="left"
                )
                train = train[first:last]
            trains.append(train)
        counts = [train.size for train in trains]
        count = sum(counts)
        if count > max_spikes:  # the same draws, in unit order, as ever for this seed
            ranks = np.sort(rng.choice(count, size=max_spikes, replace=False))
        else:
            ranks = np.arange(count)
        if num_segments == 1:
            samples.append(trains[0][ranks])
            segments.append(np.zeros(ranks.size, dtype=np.int64))
        else:  # rank r of the unit: segment s holds ranks starts[s] .. starts[s + 1] - 1
            starts = np.cumsum([0, *counts])
            segment = np.searchsorted(starts, ranks, side="right") - 1
            within = ranks - starts[segment]
            sample = np.empty(ranks.size, dtype=np.int64)
            for s in np.unique(segment).tolist():
                sample[segment == s] = trains[s][within[segment == s]]
            samples.append(sample)
            segments.append(segment)
        sizes.append(ranks.size)
    if not sizes:
        return np.zeros(0, dtype=dtype)
    spikes = np.zeros(sum(sizes), dtype=dtype)
    spikes["sample_index"] = np.concatenate(samples)
    spikes["segment_index"] = np.concatenate(segments)
    spikes["unit_index"] = np.repeat(np.arange(len(sizes)), sizes)
    # the spike vector's order: segment, then sample, then unit
    order = np.lexsort((spikes["unit_index"], spikes["sample_index"], spikes["segment_index"]))
    return spikes[order]


def radius_sparsity(
    recording: si.BaseRecording, unit_ids, unit_channel_ids: Mapping, radius_um: float
) -> si.ChannelSparsity:
    """Each unit's channels within ``radius_um`` of its extremum channel."""
    locations = recording.get_channel_locations()
    index = {c: i for i, c in enumerate(recording.channel_ids.tolist())}
    mask = np.zeros((len(unit_ids), recording.get_num_channels()), dtype=bool)
    for row, unit_id in enumerate(np.asarray(unit_ids).tolist()):
        centre = locations[index[unit_channel_ids[unit_id]]]
        mask[row] = np.linalg.norm(locations - centre, axis=1) <= radius_um
    return si.ChannelSparsity(mask, np.asarray(unit_ids), recording.channel_ids)


def sampled_waveform_extractor(
    recording: si.BaseRecording,
    sorting: si.BaseSorting,
    unit_channel_ids: Mapping,
    spikes_per_unit: int = SPIKES_PER_UNIT,
    radius_um: float = RADIUS_UM,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cancel_token: CancelToken | None = None,
):
    """An in-memory sparse WaveformExtractor of a few spikes per unit, read window by window.

    Units with no spike, or no known extremum channel, are left out.

    Parameters
    ----------
    recording, sorting : BaseRecording, BaseSorting
        The open data (the recording needs channel locations).
    unit_channel_ids : mapping
        ``{unit_id: extremum channel id}`` (``session.unit_channel_ids``).
    spikes_per_unit : int, default: 50
    radius_um : float, default: 60.0
        Channels kept around each unit's extremum channel.
    seed : int, default: 0
    progress, cancel_token
        Passed to the extraction (``progress(done_chunks, total_chunks)``).

    Returns
    -------
    WaveformExtractor or None
        Its recording is ``recording`` itself (noise levels for SNR come from it); None when no
        unit has both spikes and a channel.
    """
    fs = recording.sampling_frequency
    nbefore, nafter = int(MS_BEFORE * fs / 1000), int(MS_AFTER * fs / 1000)
    num_samples = [recording.get_num_samples(s) for s in range(recording.get_num_segments())]
    spikes = sample_spikes_per_unit(
        sorting, spikes_per_unit, seed, num_samples, margin=max(nbefore, nafter)
    )
    all_ids = sorting.unit_ids
    known = np.array([u in unit_channel_ids for u in all_ids.tolist()], dtype=bool)
    spikes = spikes[known[spikes["unit_index"]]]
    present = np.unique(spikes["unit_index"])
    if present.size == 0:
        return None
    # unit indices into the units kept (those with spikes and a channel)
    renumber = np.full(len(all_ids), -1, dtype="int64")
    renumber[present] = np.arange(present.size)
    unit_ids = all_ids[present]
    kept = spikes.copy()
    kept["unit_index"] = renumber[spikes["unit_index"]]
    windows = SpikeWindowsRecording(recording, kept, nbefore, nafter)
    we = si.extract_waveforms(
        windows,
        windows_sorting(kept, unit_ids, nbefore, nafter, fs),
        mode="memory",
        ms_before=MS_BEFORE,
        ms_after=MS_AFTER,
        max_spikes_per_unit=None,
        sparse=False,
        sparsity=radius_sparsity(recording, unit_ids, unit_channel_ids, radius_um),
        return_scaled=recording.has_scaled(),
        allow_unfiltered=True,
        seed=seed,
        chunk_size=WINDOWS_PER_CHUNK * (nbefore + nafter),
        n_jobs=1,
        progress_bar=False,
        progress_callback=progress,
        cancel_token=cancel_token,
    )
    # waveforms and templates stay; noise levels (SNR) come from the real recording
    we.set_recording(recording, allow_unfiltered=True)
    return we
