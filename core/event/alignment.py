"""Spikes aligned on events: the peri-event raster and histogram (PSTH) of a spike train."""

from __future__ import annotations

import numpy as np


def _check_window(window_s: tuple[float, float]) -> tuple[float, float]:
    before, after = (float(v) for v in window_s)
    if not (np.isfinite(before) and np.isfinite(after)) or after <= before:
        raise ValueError(f"window_s must be (start, end) with start < end, got {window_s!r}")
    return before, after


def align_spikes(
    spike_times: np.ndarray, event_times: np.ndarray, window_s: tuple[float, float] = (-0.5, 1.0)
) -> tuple[np.ndarray, np.ndarray]:
    """Spike times relative to each event, within a window around it.

    Parameters
    ----------
    spike_times : np.ndarray
        Sorted spike times in seconds.
    event_times : np.ndarray
        Event times in seconds (any order); one trial per event, in this order.
    window_s : tuple of float, default: (-0.5, 1.0)
        ``(start, end)`` relative to each event, seconds; start inclusive, end exclusive.

    Returns
    -------
    trials : np.ndarray
        int64 index into ``event_times`` of each aligned spike.
    offsets : np.ndarray
        float64 time of each aligned spike relative to its event. A spike near two events
        appears once per event.
    """
    before, after = _check_window(window_s)
    spike_times = np.asarray(spike_times, dtype="float64")
    event_times = np.asarray(event_times, dtype="float64")
    first = np.searchsorted(spike_times, event_times + before, side="left")
    last = np.searchsorted(spike_times, event_times + after, side="left")
    counts = last - first
    trials = np.repeat(np.arange(event_times.size), counts)
    # position of each aligned spike in spike_times: first[trial] + rank within its trial
    starts = np.repeat(first - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    indices = starts + np.arange(trials.size)
    return trials, spike_times[indices] - event_times[trials]


def peri_event_histogram(
    spike_times: np.ndarray,
    event_times: np.ndarray,
    window_s: tuple[float, float] = (-0.5, 1.0),
    bin_s: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """Firing rate around events, averaged over events (a PSTH).

    Parameters
    ----------
    spike_times, event_times, window_s
        As `align_spikes`.
    bin_s : float, default: 0.01
        Bin width in seconds (the last bin may be cut by the window's end).

    Returns
    -------
    rates : np.ndarray
        Spikes per second per bin, averaged over events (zeros when there is no event).
    edges : np.ndarray
        Bin edges relative to the events, seconds (``len(rates) + 1``).
    """
    before, after = _check_window(window_s)
    if not bin_s > 0:
        raise ValueError(f"bin_s must be > 0, got {bin_s!r}")
    edges = np.arange(before, after, bin_s)
    edges = np.append(edges, after)
    _, offsets = align_spikes(spike_times, event_times, (before, after))
    counts, _ = np.histogram(offsets, bins=edges)
    num_events = np.asarray(event_times).size
    rates = counts / (np.diff(edges) * num_events) if num_events else np.zeros(counts.size)
    return rates, edges
