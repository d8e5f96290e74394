"""Metrics of spike trains alone: counts, rates, presence, ISI violations, firing range, synchrony.

SpikeInterface 0.100's ``compute_num_spikes``, ``compute_firing_rates``,
``compute_presence_ratios``, ``compute_isi_violations``, ``compute_firing_ranges`` and
``compute_synchrony_metrics``, with the same arguments, results and edge cases, computed over
the whole spike vector at once (no loop over units and segments). Each takes a WaveformExtractor
or a sorting (with a registered recording when the metric needs the duration).
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from ..postprocessing.unit_trains import unit_trains
from .metric_inputs import segment_lengths, selected_unit_ids, sorting_of, total_duration
from .spike_vector_tools import binned_unit_counts, unit_spike_counts

__all__ = [
    "compute_firing_ranges",
    "compute_firing_rates",
    "compute_isi_violations",
    "compute_num_spikes",
    "compute_presence_ratios",
    "compute_synchrony_metrics",
]

IsiViolation = namedtuple("isi_violation", ["isi_violations_ratio", "isi_violations_count"])


def compute_num_spikes(waveform_extractor, unit_ids=None, **kwargs) -> dict:
    """Number of spikes of each unit, over all segments.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
    unit_ids : list or None, default: None
        Units to compute (all when None).

    Returns
    -------
    dict
        ``{unit_id: int}``.
    """
    sorting = sorting_of(waveform_extractor, "compute_num_spikes")
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    counts = unit_spike_counts(sorting)
    return {unit_id: int(counts[i]) for unit_id, i in zip(unit_ids, indices)}


def compute_firing_rates(waveform_extractor, unit_ids=None, **kwargs) -> dict:
    """Mean firing rate of each unit (spikes / total duration), in Hz.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
        A sorting needs a registered recording (for the duration).
    unit_ids : list or None, default: None

    Returns
    -------
    dict
        ``{unit_id: float}``.
    """
    sorting = sorting_of(waveform_extractor, "compute_firing_rates")
    duration = total_duration(waveform_extractor, "compute_firing_rates")
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    counts = unit_spike_counts(sorting)
    return {unit_id: int(counts[i]) / duration for unit_id, i in zip(unit_ids, indices)}


def _concatenated_times(sorting, lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Sample of every spike on segments laid end to end (sorted), and its unit index."""
    spikes = sorting.to_spike_vector()
    if len(lengths) == 1:
        return spikes["sample_index"], spikes["unit_index"]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype("int64")
    return spikes["sample_index"] + offsets[spikes["segment_index"]], spikes["unit_index"]


def compute_presence_ratios(
    waveform_extractor,
    bin_duration_s: float = 60.0,
    mean_fr_ratio_thresh: float = 0.0,
    unit_ids=None,
    **kwargs,
) -> dict:
    """Fraction of time bins in which each unit fires above a threshold.

    Segments are laid end to end and cut into bins of ``bin_duration_s`` (a last partial bin
    is dropped); a unit is present in a bin holding more than ``floor(rate * bin_duration_s *
    mean_fr_ratio_thresh)`` of its spikes.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
        A sorting needs a registered recording.
    bin_duration_s : float, default: 60.0
        Bin duration; when the recording is shorter, ratios are NaN (with a warning).
    mean_fr_ratio_thresh : float, default: 0.0
        Threshold as a fraction of the unit's mean rate (>= 0; above 1 warns).
    unit_ids : list or None, default: None

    Returns
    -------
    dict
        ``{unit_id: float}``.
    """
    name = "compute_presence_ratios"
    sorting = sorting_of(waveform_extractor, name)
    lengths = segment_lengths(waveform_extractor, name)
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    total_length = sum(lengths)
    duration = total_length / waveform_extractor.sampling_frequency
    bin_samples = int(bin_duration_s * waveform_extractor.sampling_frequency)
    mean_fr_ratio_thresh = float(mean_fr_ratio_thresh)
    if mean_fr_ratio_thresh < 0:
        raise ValueError(
            f"mean_fr_ratio_thresh must be a positive float, got {mean_fr_ratio_thresh}"
        )
    if mean_fr_ratio_thresh > 1:
        warnings.warn(
            "mean_fr_ratio_thresh above 1 might lead to low presence ratios", stacklevel=2
        )
    if bin_samples < 1:
        raise ValueError(f"bin_duration_s={bin_duration_s} is shorter than one sample")
    if total_length < bin_samples:
        warnings.warn(
            f"Bin duration of {bin_duration_s}s is larger than recording duration. "
            "Presence ratios are set to NaN.",
            stacklevel=2,
        )
        return {unit_id: np.nan for unit_id in unit_ids}
    num_bins = total_length // bin_samples
    times, units = _concatenated_times(sorting, lengths)
    counts = binned_unit_counts(times, units, len(sorting.unit_ids), bin_samples, num_bins)
    spike_counts = unit_spike_counts(sorting)
    ratios = {}
    for unit_id, i in zip(unit_ids, indices):
        rate = int(spike_counts[i]) / duration
        threshold = math.floor(rate * bin_duration_s * mean_fr_ratio_thresh)
        ratios[unit_id] = np.sum(counts[i] > threshold) / num_bins
    return ratios


def compute_isi_violations(
    waveform_extractor, isi_threshold_ms: float = 1.5, min_isi_ms: float = 0, unit_ids=None
) -> IsiViolation:
    """ISI violations of each unit: the Hill et al. ratio and the number of violations.

    An inter-spike interval (consecutive spikes of a unit in a segment) violates when it is
    shorter than ``isi_threshold_ms``. The ratio is the rate of violations per second of
    violation window (``2 * num_spikes * (isi_threshold - min_isi)``) over the unit's rate.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
        A sorting needs a registered recording.
    isi_threshold_ms : float, default: 1.5
        Refractory period in ms.
    min_isi_ms : float, default: 0
        Shortest possible interval (censored period) in ms.
    unit_ids : list or None, default: None

    Returns
    -------
    namedtuple
        ``isi_violation(isi_violations_ratio, isi_violations_count)``, two ``{unit_id:
        value}`` dicts without the units that have no spike.
    """
    name = "compute_isi_violations"
    sorting = sorting_of(waveform_extractor, name)
    duration = total_duration(waveform_extractor, name)
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    fs = waveform_extractor.sampling_frequency
    threshold_s = isi_threshold_ms / 1000
    min_isi_s = min_isi_ms / 1000
    num_units = len(sorting.unit_ids)
    # intervals longer than this many samples cannot be below the threshold in seconds
    longest_candidate = int(threshold_s * fs) + 2
    violations = np.zeros(num_units, dtype="int64")
    for segment_index in range(sorting.get_num_segments()):
        for unit_index, train in enumerate(unit_trains(sorting, segment_index)):
            close = np.flatnonzero(np.diff(train) <= longest_candidate)
            if close.size:
                # compared in seconds, as SpikeInterface does (spike_train / fs, then np.diff)
                seconds = train[close + 1] / fs - train[close] / fs
                violations[unit_index] += np.count_nonzero(seconds < threshold_s)
    counts = unit_spike_counts(sorting)
    ratios, numbers = {}, {}
    for unit_id, i in zip(unit_ids, indices):
        num_spikes = int(counts[i])
        if num_spikes == 0:
            continue
        violation_time = 2 * num_spikes * (threshold_s - min_isi_s)
        total_rate = num_spikes / duration
        ratios[unit_id] = (violations[i] / violation_time) / total_rate
        numbers[unit_id] = violations[i]
    return IsiViolation(ratios, numbers)


def compute_firing_ranges(
    waveform_extractor,
    bin_size_s: float = 5,
    percentiles: tuple = (5, 95),
    unit_ids=None,
    **kwargs,
) -> dict:
    """Spread of each unit's firing rate over time bins: ``percentile(hi) - percentile(lo)``.

    Each segment is cut into bins of ``bin_size_s`` (a last partial bin is dropped); the rates of
    all bins of all segments make one distribution.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
        A sorting needs a registered recording.
    bin_size_s : float, default: 5
        Bin duration; when every segment is shorter, ranges are NaN (with a warning).
    percentiles : tuple, default: (5, 95)
        Low and high percentiles.
    unit_ids : list or None, default: None

    Returns
    -------
    dict
        ``{unit_id: float}`` in Hz.
    """
    name = "compute_firing_ranges"
    sorting = sorting_of(waveform_extractor, name)
    lengths = segment_lengths(waveform_extractor, name)
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    bin_samples = int(bin_size_s * waveform_extractor.sampling_frequency)
    if bin_samples < 1:
        raise ValueError(f"bin_size_s={bin_size_s} is shorter than one sample")
    if all(length < bin_samples for length in lengths):
        warnings.warn(
            f"Bin size of {bin_size_s}s is larger than each segment duration. Firing ranges are "
            "set to NaN.",
            stacklevel=2,
        )
        return {unit_id: np.nan for unit_id in unit_ids}
    num_units = len(sorting.unit_ids)
    rates = []
    for length, spikes in zip(lengths, sorting.to_spike_vector(concatenated=False)):
        num_bins = length // bin_samples
        if num_bins == 0:
            continue
        counts = binned_unit_counts(
            spikes["sample_index"], spikes["unit_index"], num_units, bin_samples, num_bins
        )
        rates.append(counts / bin_size_s)
    rates = np.concatenate(rates, axis=1)[indices]
    ranges = np.percentile(rates, percentiles[1], axis=1) - np.percentile(
        rates, percentiles[0], axis=1
    )
    return dict(zip(unit_ids, ranges))


def compute_synchrony_metrics(
    waveform_extractor, synchrony_sizes: tuple = (2, 4, 8), unit_ids=None, **kwargs
) -> Any:
    """Fraction of each unit's spikes that fire at the very sample of other spikes.

    ``sync_spike_<n>`` is the number of distinct samples where the unit fires together with at
    least ``n - 1`` other spikes (of any unit), over the unit's number of spikes.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
    synchrony_sizes : tuple, default: (2, 4, 8)
        Sizes ``n`` (each > 1).
    unit_ids : list or None, default: None

    Returns
    -------
    namedtuple
        ``synchrony_metrics(sync_spike_2=..., ...)``, one ``{unit_id: float}`` per size.
    """
    if min(synchrony_sizes) <= 1:
        raise ValueError(f"synchrony_sizes must all be greater than 1, got {synchrony_sizes}")
    sorting = sorting_of(waveform_extractor, "compute_synchrony_metrics")
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    num_units = len(sorting.unit_ids)
    synchronous = {size: np.zeros(num_units, dtype="int64") for size in synchrony_sizes}
    for spikes in sorting.to_spike_vector(concatenated=False):
        samples, units = spikes["sample_index"], spikes["unit_index"]
        if samples.size == 0:
            continue
        # spikes are sorted by sample: runs of one sample give each spike its complexity
        starts = np.flatnonzero(np.diff(samples, prepend=samples[0] - 1))
        run_lengths = np.diff(np.append(starts, samples.size))
        complexity = np.repeat(run_lengths, run_lengths)
        # a unit counts each sample once, however many of its spikes share it
        first = np.ones(samples.size, dtype=bool)
        first[1:] = (samples[1:] != samples[:-1]) | (units[1:] != units[:-1])
        for size in synchrony_sizes:
            chosen = first & (complexity >= size)
            synchronous[size] += np.bincount(units[chosen], minlength=num_units)
    counts = unit_spike_counts(sorting)
    values = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for size in synchrony_sizes:
            values[f"sync_spike_{size}"] = {
                unit_id: synchronous[size][i] / np.int64(counts[i])
                for unit_id, i in zip(unit_ids, indices)
            }
    return namedtuple("synchrony_metrics", values.keys())(**values)
