"""The extremum channel of each unit, found once and shared by every view (no Qt).

From the templates of an open waveform extractor when there is one; otherwise estimated from the
average of a few randomly drawn spikes per unit, read straight from the lazy recording, so that a
unit sits on the same channel in every view whatever window is on display.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import core as si
from core.jobs import CancelToken
from core.waveforms.spike_windows import read_spike_windows, sample_unit_spikes

#: Spikes averaged per unit for the estimate.
SPIKES_PER_UNIT = 30
#: Units whose spikes are read together.
UNITS_PER_READ = 32
#: Window around each spike, in milliseconds.
MS_BEFORE, MS_AFTER = 1.0, 1.5


def channels_from_templates(waveform_extractor) -> dict:
    """``{unit_id: channel_id}`` of each template's largest negative peak."""
    return dict(si.get_template_extremum_channel(waveform_extractor, peak_sign="neg"))


def estimate_unit_templates(
    recording: si.BaseRecording,
    sorting: si.BaseSorting,
    spikes_per_unit: int = SPIKES_PER_UNIT,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cancel_token: CancelToken | None = None,
) -> dict:
    """``{unit_id: mean waveform}`` of a few spikes per unit, read from the lazy recording.

    Parameters
    ----------
    recording, sorting : BaseRecording, BaseSorting
        The open data.
    spikes_per_unit : int, default: 30
        Spikes drawn per unit (seeded, so the same data always gives the same answer).
    seed : int, default: 0
    progress : callable or None
        ``progress(done, total)`` in units, after each batch of units.
    cancel_token : CancelToken or None
        Checked after each batch of units (raises ``JobCancelled``).

    Returns
    -------
    dict
        float32 ``(samples, channels)`` per unit, each channel's median subtracted (raw units);
        units without spikes are left out.
    """
    fs = recording.sampling_frequency
    nbefore, nafter = int(MS_BEFORE * fs / 1000), int(MS_AFTER * fs / 1000)
    num_samples = [recording.get_num_samples(s) for s in range(recording.get_num_segments())]
    unit_ids = sorting.unit_ids.tolist()
    templates = {}
    for first in range(0, len(unit_ids), UNITS_PER_READ):
        batch = unit_ids[first : first + UNITS_PER_READ]
        # the batch's spikes are read in one pass in time order: nearby windows share a read
        drawn = [
            sample_unit_spikes(sorting, u, spikes_per_unit, seed, num_samples, max(nbefore, nafter))
            for u in batch
        ]
        spikes = np.concatenate(drawn)
        if spikes.size:
            waveforms = read_spike_windows(recording, spikes, nbefore, nafter)
            bounds = np.cumsum([0] + [d.size for d in drawn])
            for unit_id, start, stop in zip(batch, bounds[:-1], bounds[1:]):
                if stop > start:
                    mean = waveforms[start:stop].astype("float32").mean(axis=0)
                    templates[unit_id] = mean - np.median(mean, axis=0)
        if cancel_token is not None:
            cancel_token.raise_if_cancelled()
        if progress is not None:
            progress(first + len(batch), len(unit_ids))
    return templates


def channels_of(templates: dict, channel_ids) -> dict:
    """``{unit_id: channel_id}`` where each (baseline-free) template dips the most."""
    channel_ids = np.asarray(channel_ids)
    return {u: channel_ids[int(np.argmin(t.min(axis=0)))].item() for u, t in templates.items()}


def estimate_unit_channels(recording: si.BaseRecording, sorting: si.BaseSorting, **kwargs) -> dict:
    """``{unit_id: channel_id}`` of `estimate_unit_templates` (same keyword arguments)."""
    return channels_of(estimate_unit_templates(recording, sorting, **kwargs), recording.channel_ids)
