"""Metrics of templates and amplitudes: SNR, amplitude median, cutoff and CV, SD ratio.

SpikeInterface 0.100's ``compute_snrs``, ``compute_amplitude_medians``,
``compute_amplitude_cutoffs``, ``compute_amplitude_cv_metrics`` and ``compute_sd_ratio``, with
the same arguments and results. They need a WaveformExtractor: templates, waveforms and, when
present, its ``spike_amplitudes`` and ``noise_levels`` extensions.
"""

from __future__ import annotations

import warnings
from collections import namedtuple
from typing import Any

import numpy as np

from ..recording.tools import get_noise_levels
from ..waveforms.template_tools import get_template_amplitudes, get_template_extremum_channel
from .metric_inputs import (
    amplitudes_by_unit,
    check_peak_sign,
    require_waveform_extractor,
    selected_unit_ids,
)

__all__ = [
    "amplitude_cutoff",
    "compute_amplitude_cutoffs",
    "compute_amplitude_cv_metrics",
    "compute_amplitude_medians",
    "compute_sd_ratio",
    "compute_snrs",
]

AmplitudeCV = namedtuple("amplitude_cv", ["amplitude_cv_median", "amplitude_cv_range"])


def compute_snrs(
    waveform_extractor,
    peak_sign: str = "neg",
    peak_mode: str = "extremum",
    random_chunk_kwargs_dict: dict | None = None,
    unit_ids=None,
) -> dict:
    """Signal-to-noise ratio: template amplitude on its extremum channel over that channel's
    noise level.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
        Noise levels come from its ``noise_levels`` extension (or the noise levels of the
        SortingAnalyzer it was read from), else from its recording.
    peak_sign : {"neg", "pos", "both"}, default: "neg"
    peak_mode : {"extremum", "at_index"}, default: "extremum"
        Amplitude over the whole template, or at the spike sample (``nbefore``).
    random_chunk_kwargs_dict : dict or None, default: None
        Arguments of the random chunks that estimate the noise.
    unit_ids : list or None, default: None

    Returns
    -------
    dict
        ``{unit_id: float}``.
    """
    we = require_waveform_extractor(waveform_extractor, "compute_snrs")
    check_peak_sign(peak_sign)
    if peak_mode not in ("extremum", "at_index"):
        raise ValueError(f"peak_mode must be 'extremum' or 'at_index', got {peak_mode!r}")
    if we.has_extension("noise_levels"):
        noise_levels = we.load_extension("noise_levels").get_data()
    elif getattr(we, "noise_levels", None) is not None:  # a SortingAnalyzer's, read with it
        noise_levels = we.noise_levels
    else:
        noise_levels = get_noise_levels(
            we.recording, return_scaled=we.return_scaled, **(random_chunk_kwargs_dict or {})
        )
    unit_ids, _ = selected_unit_ids(we.sorting, unit_ids)
    channels = get_template_extremum_channel(
        we, peak_sign=peak_sign, mode=peak_mode, outputs="index"
    )
    amplitudes = get_template_amplitudes(we, peak_sign=peak_sign, mode=peak_mode)
    return {
        unit_id: np.abs(amplitudes[unit_id][channels[unit_id]]) / noise_levels[channels[unit_id]]
        for unit_id in unit_ids
    }


def compute_amplitude_medians(waveform_extractor, peak_sign: str = "neg", unit_ids=None) -> dict:
    """Median of the absolute spike amplitudes of each unit.

    Amplitudes come from the ``spike_amplitudes`` extension (every spike) when it exists, else
    from the waveforms of the sampled spikes (at ``nbefore``, on the extremum channel).

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    peak_sign : {"neg", "pos", "both"}, default: "neg"
        Chooses the extremum channel when amplitudes come from the waveforms.
    unit_ids : list or None, default: None

    Returns
    -------
    dict
        ``{unit_id: float}``.
    """
    we = require_waveform_extractor(waveform_extractor, "compute_amplitude_medians")
    check_peak_sign(peak_sign)
    unit_ids, _ = selected_unit_ids(we.sorting, unit_ids)
    amplitudes, _ = amplitudes_by_unit(we, unit_ids, peak_sign)
    return {unit_id: np.median(np.abs(amplitudes[unit_id])) for unit_id in unit_ids}


def _histogram_edges(values: np.ndarray, num_bins: int) -> np.ndarray:
    """Equal bins over the range of ``values``, as ``np.histogram`` makes them in numpy 1.

    numpy 2 computes the edges of float32 data in float32; numpy 1 (SpikeInterface 0.100.8's)
    computes them in float64 and rounds them to float32, which moves a few values to the next
    bin. The float64 way is kept so that cutoffs equal SpikeInterface's.
    """
    low, high = float(values.min()), float(values.max())
    if low == high:
        low, high = low - 0.5, high + 0.5
    dtype = values.dtype if values.dtype.kind == "f" else np.dtype("float64")
    return np.linspace(low, high, num_bins + 1).astype(dtype)


def amplitude_cutoff(
    amplitudes: np.ndarray,
    num_histogram_bins: int = 500,
    histogram_smoothing_value: float = 3,
    amplitudes_bins_min_ratio: float = 5,
) -> float:
    """Fraction of a unit's spikes missing below the detection threshold, from its amplitudes.

    The amplitude histogram (density), smoothed by a Gaussian of ``histogram_smoothing_value``
    bins, is assumed symmetric around its peak: the density above the peak level of the lowest
    bin, beyond the point where it comes back to that level, estimates what is missing (at most
    0.5).

    Parameters
    ----------
    amplitudes : np.ndarray
        Amplitudes of one unit (positive peaks: larger means bigger).
    num_histogram_bins : int, default: 500
    histogram_smoothing_value : float, default: 3
    amplitudes_bins_min_ratio : float, default: 5
        Fewer than this many amplitudes per bin give NaN.

    Returns
    -------
    float
    """
    from scipy.ndimage import gaussian_filter1d

    amplitudes = np.asarray(amplitudes)
    if len(amplitudes) / num_histogram_bins < amplitudes_bins_min_ratio:
        return np.nan
    edges = _histogram_edges(amplitudes, num_histogram_bins)
    density, _ = np.histogram(amplitudes, edges, density=True)
    pdf = gaussian_filter1d(density, histogram_smoothing_value)
    bin_size = np.mean(np.diff(edges[:-1]))
    peak_index = np.argmax(pdf)
    pdf_above = np.abs(pdf[peak_index:] - pdf[0])
    if len(np.where(pdf_above == pdf_above.min())[0]) > 1:
        warnings.warn(
            "Amplitude PDF does not have a unique minimum! More spikes might be required for a "
            "correct amplitude_cutoff computation!",
            stacklevel=3,
        )
    cutoff_index = np.argmin(pdf_above) + peak_index
    fraction_missing = np.sum(pdf[cutoff_index:]) * bin_size
    return np.min([fraction_missing, 0.5])


def compute_amplitude_cutoffs(
    waveform_extractor,
    peak_sign: str = "neg",
    num_histogram_bins: int = 500,
    histogram_smoothing_value: float = 3,
    amplitudes_bins_min_ratio: float = 5,
    unit_ids=None,
) -> dict:
    """Estimated fraction of missing spikes of each unit (:func:`amplitude_cutoff`).

    Amplitudes as in :func:`compute_amplitude_medians`; amplitudes of positive peaks are
    negated first. Units with too few amplitudes get NaN (with one warning).

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    peak_sign : {"neg", "pos", "both"}, default: "neg"
    num_histogram_bins : int, default: 500
    histogram_smoothing_value : float, default: 3
    amplitudes_bins_min_ratio : float, default: 5
    unit_ids : list or None, default: None

    Returns
    -------
    dict
        ``{unit_id: float}``.
    """
    we = require_waveform_extractor(waveform_extractor, "compute_amplitude_cutoffs")
    check_peak_sign(peak_sign)
    unit_ids, _ = selected_unit_ids(we.sorting, unit_ids)
    amplitudes, positive = amplitudes_by_unit(we, unit_ids, peak_sign)
    fractions, nan_units = {}, []
    for unit_id in unit_ids:
        values = -amplitudes[unit_id] if positive else amplitudes[unit_id]
        fractions[unit_id] = amplitude_cutoff(
            values, num_histogram_bins, histogram_smoothing_value, amplitudes_bins_min_ratio
        )
        if np.isnan(fractions[unit_id]):
            nan_units.append(unit_id)
    if nan_units:
        warnings.warn(
            f"Units {np.asarray(nan_units).tolist()} have too few spikes and amplitude_cutoff "
            "is set to NaN",
            stacklevel=2,
        )
    return fractions


def _binned_std_over_mean(
    samples: np.ndarray, amplitudes: np.ndarray, bin_size: int, num_bins: int
) -> np.ndarray:
    """Per bin ``[k * bin_size, (k + 1) * bin_size)``: std of the amplitudes over |their mean
    in the segment| (NaN for empty bins)."""
    amplitude_mean = np.abs(np.mean(amplitudes)) if amplitudes.size else np.nan
    inside = samples < num_bins * bin_size
    bins = samples[inside] // bin_size
    values = amplitudes[inside].astype("float64")
    counts = np.bincount(bins, minlength=num_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.bincount(bins, weights=values, minlength=num_bins) / counts
        squares = np.bincount(bins, weights=(values - means[bins]) ** 2, minlength=num_bins)
        return np.sqrt(squares / counts) / amplitude_mean


def compute_amplitude_cv_metrics(
    waveform_extractor,
    average_num_spikes_per_bin: int = 50,
    percentiles: tuple = (5, 95),
    min_num_bins: int = 10,
    amplitude_extension: str = "spike_amplitudes",
    unit_ids=None,
) -> Any:
    """Coefficient of variation of spike amplitudes in time bins: its median and range.

    Each unit's bins last ``average_num_spikes_per_bin / firing_rate`` seconds; in each bin, the
    std of the amplitudes over the absolute mean amplitude of the segment.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    average_num_spikes_per_bin : int, default: 50
    percentiles : tuple, default: (5, 95)
        The range is ``percentile(hi) - percentile(lo)``.
    min_num_bins : int, default: 10
        Fewer bins give NaN.
    amplitude_extension : {"spike_amplitudes", "amplitude_scalings"}, default: "spike_amplitudes"
        Extension holding the amplitudes; without it, SpikeInterface returns (and so does
        this) one dict of NaN instead of the named tuple, with a warning.
    unit_ids : list or None, default: None

    Returns
    -------
    namedtuple or dict
        ``amplitude_cv(amplitude_cv_median, amplitude_cv_range)`` of ``{unit_id: float}``.
    """
    we = require_waveform_extractor(waveform_extractor, "compute_amplitude_cv_metrics")
    if amplitude_extension not in ("spike_amplitudes", "amplitude_scalings"):
        raise ValueError(
            "amplitude_extension must be 'spike_amplitudes' or 'amplitude_scalings', got "
            f"{amplitude_extension!r}"
        )
    sorting = we.sorting
    unit_ids, indices = selected_unit_ids(sorting, unit_ids)
    if not we.has_extension(amplitude_extension):
        warnings.warn(
            f"amplitude_cv needs the {amplitude_extension!r} extension: set to NaN", stacklevel=2
        )
        return {unit_id: np.nan for unit_id in unit_ids}
    amplitudes = we.load_extension(amplitude_extension).get_data(outputs="concatenated")
    duration = we.get_total_duration()
    counts = sorting.count_num_spikes_per_unit(outputs="array")
    segments = sorting.to_spike_vector(concatenated=False)
    lengths = [we.get_num_samples(i) for i in range(len(segments))]
    medians, ranges = {}, {}
    for unit_id, unit_index in zip(unit_ids, indices):
        if counts[unit_index] == 0:
            medians[unit_id] = ranges[unit_id] = np.nan
            continue
        firing_rate = int(counts[unit_index]) / duration
        bin_size = int((average_num_spikes_per_bin / firing_rate) * we.sampling_frequency)
        spreads = []
        for spikes, values, length in zip(segments, amplitudes, lengths):
            mine = spikes["unit_index"] == unit_index
            num_bins = len(range(0, length + 1, bin_size)) - 1
            spreads.append(
                _binned_std_over_mean(
                    spikes["sample_index"][mine], values[mine], bin_size, num_bins
                )
            )
        spreads = np.concatenate(spreads)
        if spreads.size < min_num_bins:
            medians[unit_id] = ranges[unit_id] = np.nan
        else:
            medians[unit_id] = np.median(spreads)
            ranges[unit_id] = np.percentile(spreads, percentiles[1]) - np.percentile(
                spreads, percentiles[0]
            )
    return AmplitudeCV(medians, ranges)


def _censored_duplicates(train: np.ndarray, censored_period: int) -> np.ndarray:
    """Positions of spikes within ``censored_period`` after the last kept spike.

    Going through the train in order, a spike is kept unless it comes at most
    ``censored_period`` samples after the last kept one (SpikeInterface's "keep first
    iterative" duplicates).
    """
    if train.size < 2:
        return np.zeros(0, dtype="int64")
    # a spike further than the period from its predecessor is kept: it starts a run of spikes
    # linked by short gaps, in which the kept ones are found by jumping one period at a time
    kept = np.ones(train.size, dtype=bool)
    kept[1:] = np.diff(train) > censored_period
    starts = np.flatnonzero(kept)
    ends = np.append(starts[1:], train.size)
    longer = ends - starts > 1
    current, ends = starts[longer], ends[longer]
    while current.size:
        following = np.searchsorted(train, train[current] + censored_period, side="right")
        inside = following < ends
        current, ends = following[inside], ends[inside]
        kept[current] = True
    return np.flatnonzero(~kept)


def compute_sd_ratio(
    wvf_extractor,
    censored_period_ms: float = 4.0,
    correct_for_drift: bool = True,
    correct_for_template_itself: bool = True,
    unit_ids=None,
    **kwargs,
) -> dict:
    """Standard deviation of a unit's spike amplitudes over the noise's on its best channel.

    Spikes within ``censored_period_ms`` of a previous kept spike are left out; with
    ``correct_for_drift`` the std of successive differences (over sqrt 2) replaces the std; with
    ``correct_for_template_itself`` the template's own contribution to the channel's variance
    is taken out of the noise.

    Parameters
    ----------
    wvf_extractor : WaveformExtractor
        Needs its recording and a ``spike_amplitudes`` extension (else NaN, with a warning).
    censored_period_ms : float, default: 4.0
    correct_for_drift : bool, default: True
    correct_for_template_itself : bool, default: True
    unit_ids : list or None, default: None
    **kwargs
        Passed to :func:`~core.get_template_extremum_channel` (``peak_sign``, ``mode``).

    Returns
    -------
    dict
        ``{unit_id: float}``.
    """
    we = require_waveform_extractor(wvf_extractor, "compute_sd_ratio")
    unit_ids, _ = selected_unit_ids(we.sorting, unit_ids)
    censored_period = int(round(censored_period_ms * 1e-3 * we.sampling_frequency))
    if not we.has_recording():
        warnings.warn(
            "sd_ratio needs the recording: a recordingless WaveformExtractor gives NaN",
            stacklevel=2,
        )
        return {unit_id: np.nan for unit_id in unit_ids}
    if not we.has_extension("spike_amplitudes"):
        warnings.warn(
            "sd_ratio needs the spike_amplitudes extension (compute_spike_amplitudes()): set "
            "to NaN",
            stacklevel=2,
        )
        return {unit_id: np.nan for unit_id in unit_ids}
    extension = we.load_extension("spike_amplitudes")
    amplitudes = extension.get_data(outputs="by_unit")
    noise_levels = get_noise_levels(
        we.recording, return_scaled=extension._params["return_scaled"], method="std"
    )
    best_channels = get_template_extremum_channel(we, outputs="index", **kwargs)
    counts = we.sorting.count_num_spikes_per_unit()
    ratios = {}
    for unit_id in unit_ids:
        kept = []
        for segment_index, by_unit in enumerate(amplitudes):
            train = we.sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            duplicates = _censored_duplicates(np.asarray(train, dtype="int64"), censored_period)
            kept.append(np.delete(by_unit[unit_id], duplicates))
        kept = np.concatenate(kept)
        if kept.size == 0:
            ratios[unit_id] = np.nan
            continue
        if kept.size == 1:
            ratios[unit_id] = 0.0
            continue
        unit_std = np.std(np.diff(kept)) / np.sqrt(2) if correct_for_drift else np.std(kept)
        best_channel = best_channels[unit_id]
        noise_std = noise_levels[best_channel]
        if correct_for_template_itself:
            template = we.get_template(unit_id, force_dense=True)[:, best_channel]
            p = we.nsamples * counts[unit_id] / we.get_total_samples()
            total_variance = p * np.mean(template**2) - p**2 * np.mean(template) ** 2
            noise_std = np.sqrt(noise_std**2 - total_variance)
        ratios[unit_id] = unit_std / noise_std
    return ratios
