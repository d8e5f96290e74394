"""Refractory-period contamination: ``compute_refrac_period_violations`` and
``compute_sliding_rp_violations`` (SpikeInterface 0.100).

Both count pairs of a unit's own spikes closer than some lag. SpikeInterface counts them with
numba (refractory violations; without numba it returns None) or with its numpy correlogram (the
sliding test); here the pairs come from :func:`~core.postprocessing.correlogram_counts.
lags_within_units` for all units at once.
"""

from __future__ import annotations

import math
from collections import namedtuple

import numpy as np

from ..postprocessing.correlogram_counts import lags_within_units
from ..postprocessing.unit_trains import trains_by_unit
from .metric_inputs import segment_lengths, selected_unit_ids, sorting_of
from .spike_vector_tools import unit_spike_counts

__all__ = ["compute_refrac_period_violations", "compute_sliding_rp_violations"]

RpViolations = namedtuple("rp_violations", ["rp_contamination", "rp_violations"])


def compute_refrac_period_violations(
    waveform_extractor,
    refractory_period_ms: float = 1.0,
    censored_period_ms: float = 0.0,
    unit_ids=None,
) -> RpViolations:
    """Refractory period violations and the contamination estimate of Llobet et al. (2022).

    Unlike ISI violations, every pair of a unit's spikes (not only consecutive ones) at most
    ``refractory_period_ms`` apart counts.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
        A sorting needs a registered recording.
    refractory_period_ms : float, default: 1.0
        Period in which two spikes of one neuron cannot occur.
    censored_period_ms : float, default: 0.0
        Period in which two spikes cannot be detected (enters the estimate only).
    unit_ids : list or None, default: None

    Returns
    -------
    namedtuple
        ``rp_violations(rp_contamination, rp_violations)``: ``{unit_id: float}`` (NaN for a
        unit without spikes, 1.0 when the estimate has no real solution) and ``{unit_id:
        count}``.
    """
    name = "compute_refrac_period_violations"
    sorting = sorting_of(waveform_extractor, name)
    total_samples = sum(segment_lengths(waveform_extractor, name))
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    fs = sorting.get_sampling_frequency()
    t_c = int(round(censored_period_ms * fs * 1e-3))
    t_r = int(round(refractory_period_ms * fs * 1e-3))
    num_units = len(sorting.unit_ids)
    pairs = np.zeros(num_units, dtype="int64")
    for segment_index in range(sorting.get_num_segments()):
        samples, bounds = trains_by_unit(sorting, segment_index)
        pairs += lags_within_units(samples, bounds, t_r + 1, 1)[:, 0]
    counts = unit_spike_counts(sorting)
    contamination, violations = {}, {}
    for unit_id, i in zip(unit_ids, indices):
        violations[unit_id] = num_violations = pairs[i]
        num_spikes = int(counts[i])
        if num_spikes == 0:
            contamination[unit_id] = np.nan
            continue
        d = 1 - num_violations * (total_samples - 2 * num_spikes * t_c) / (
            num_spikes**2 * (t_r - t_c)
        )
        contamination[unit_id] = 1 - math.sqrt(d) if d >= 0 else 1.0
    return RpViolations(contamination, violations)


def _sliding_rp_grid(
    bin_size_ms: float, max_ref_period_ms: float, contamination_values
) -> tuple[np.ndarray, np.ndarray, float]:
    """Refractory periods tested (bin centres, s), contaminations tested, bin size (s)."""
    if contamination_values is None:
        contamination_values = np.arange(0.5, 35, 0.5) / 100
    rp_bin_size = bin_size_ms / 1000
    rp_edges = np.arange(0, max_ref_period_ms / 1000, rp_bin_size)
    if rp_edges.size < 2:
        raise ValueError(
            f"max_ref_period_ms={max_ref_period_ms} must hold at least two bins of "
            f"bin_size_ms={bin_size_ms}"
        )
    rp_centers = rp_edges + (rp_edges[1] - rp_edges[0]) / 2
    return rp_centers, np.asarray(contamination_values, dtype=float), rp_bin_size


def compute_sliding_rp_violations(
    waveform_extractor,
    min_spikes: int = 0,
    bin_size_ms: float = 0.25,
    window_size_s: float = 1,
    exclude_ref_period_below_ms: float = 0.5,
    max_ref_period_ms: float = 10,
    contamination_values=None,
    unit_ids=None,
) -> dict:
    """Minimum contamination with 90% confidence over sliding refractory periods (IBL).

    The violations are the cumulated positive half of the unit's autocorrelogram (where a pair
    of spikes at the same sample counts twice, once in each order, as in SpikeInterface). For
    each refractory period tested (bins of ``bin_size_ms`` up to ``max_ref_period_ms``) and
    each contamination tested, the confidence that the unit's autocorrelogram holds fewer
    violations than a Poisson contamination would produce; the result is the smallest
    contamination with a confidence above 0.9 for a period above
    ``exclude_ref_period_below_ms``.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor or BaseSorting
        A sorting needs a registered recording.
    min_spikes : int, default: 0
        Units with at most this many spikes get NaN.
    bin_size_ms : float, default: 0.25
        Bin of the autocorrelogram (rounded down to whole samples, at least one).
    window_size_s : float, default: 1
        Half window of the autocorrelogram (only its first bins are used).
    exclude_ref_period_below_ms : float, default: 0.5
        Shorter refractory periods are not tested.
    max_ref_period_ms : float, default: 10
        Longest refractory period tested.
    contamination_values : array-like or None, default: None
        Contaminations tested (fractions); None: 0.005 to 0.345 by 0.005.
    unit_ids : list or None, default: None

    Returns
    -------
    dict
        ``{unit_id: float}``; as in SpikeInterface, a unit without a spike at a sample other
        than 0 is left out, and segments where a unit fires only at sample 0 are ignored.
    """
    from scipy.stats import poisson

    name = "compute_sliding_rp_violations"
    sorting = sorting_of(waveform_extractor, name)
    duration = sum(segment_lengths(waveform_extractor, name)) / sorting.get_sampling_frequency()
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    fs = sorting.get_sampling_frequency()
    rp_centers, contaminations, rp_bin_size = _sliding_rp_grid(
        bin_size_ms, max_ref_period_ms, contamination_values
    )
    bin_size = max(int(bin_size_ms / 1000 * fs), 1)
    num_bins = min(int(window_size_s * fs) // bin_size, rp_centers.size)
    rp_centers = rp_centers[:num_bins]

    num_units = len(sorting.unit_ids)
    pair_counts = np.zeros((num_units, num_bins), dtype="int64")
    num_spikes = np.zeros(num_units, dtype="int64")
    for segment_index in range(sorting.get_num_segments()):
        samples, bounds = trains_by_unit(sorting, segment_index)
        spike_counts = np.diff(bounds)
        # SpikeInterface skips a unit's segment when no spike of it is at a sample > 0
        # (each train is sorted: its last spike is its latest)
        last = samples[np.maximum(bounds[1:] - 1, 0)] if samples.size else np.zeros(num_units)
        used = (spike_counts > 0) & (last > 0)
        lags = lags_within_units(samples, bounds, bin_size, num_bins)
        # the autocorrelogram's first positive bin holds both orders of a zero-lag pair
        lags[:, 0] += lags_within_units(samples, bounds, 1, 1)[:, 0]
        pair_counts[used] += lags[used]
        num_spikes[used] += spike_counts[used]

    # units without a counted spike are left out, as in SpikeInterface
    kept = [(unit_id, i) for unit_id, i in zip(unit_ids, indices) if num_spikes[i] > 0]
    tested = np.array([i for _, i in kept if num_spikes[i] > min_spikes], dtype="int64")
    observed = np.cumsum(pair_counts[tested], axis=1)[:, None, :]
    rates = num_spikes[tested] / duration
    expected = (
        (rates[:, None, None] * contaminations[None, :, None])
        * (rp_centers[None, None, :] + rp_bin_size / 2)
        * 2
        * num_spikes[tested][:, None, None]
    )
    confidence = 1 - poisson.cdf(observed, expected)
    confident = confidence[:, :, rp_centers > exclude_ref_period_below_ms / 1000.0] > 0.9
    minimum = {}
    for unit_index, unit_confident in zip(tested.tolist(), confident):
        rows = np.flatnonzero(unit_confident.any(axis=1))
        minimum[unit_index] = contaminations[rows[0]] if rows.size else np.nan
    return {unit_id: minimum.get(int(i), np.nan) for unit_id, i in kept}
