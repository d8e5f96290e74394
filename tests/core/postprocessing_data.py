"""Small sortings, recordings and waveform extractors for the postprocessing and metric tests.

Sampling at 1 kHz makes one sample one millisecond, so spike trains and expected values can be
written by hand. Recordings are noise-free: each spike of unit ``u`` draws a trough of depth
``TROUGHS[u]`` (raw units, gain 0.5 µV, offset 1 µV) on channel ``u``, one sample after the spike
(peak shift +1), plus per-spike extra depth, so templates, extremum channels and amplitudes are
known exactly.
"""

from __future__ import annotations

import numpy as np

from core import NumpyRecording, NumpySorting, extract_waveforms

FS = 1000.0
GAIN, OFFSET = 0.5, 1.0


def sorting_of(*segments, unit_ids=("a", "b")) -> NumpySorting:
    """A sorting from one ``{unit_id: spike samples}`` dict per segment."""
    times, labels = [], []
    for trains in segments:
        seg_times = np.concatenate([np.asarray(trains.get(u, []), dtype="int64") for u in unit_ids])
        seg_labels = np.concatenate([np.full(len(trains.get(u, [])), u) for u in unit_ids])
        order = np.argsort(seg_times, kind="stable")
        times.append(seg_times[order])
        labels.append(seg_labels[order].astype(str))
    return NumpySorting.from_times_labels(times, labels, FS, unit_ids=list(unit_ids))


def recording_with_spikes(
    sorting: NumpySorting, lengths: list[int], depths: dict | None = None, noise: int = 0
) -> NumpyRecording:
    """int16 traces of ``len(unit_ids) + 1`` channels: unit ``i`` dips on channel ``i`` one sample
    after each spike, by ``100 * (i + 1)`` plus ``depths[unit][segment][k]`` for its k-th spike,
    over uniform integer noise in ``[-noise, noise]``."""
    unit_ids = list(sorting.unit_ids)
    rng = np.random.default_rng(0)
    traces = []
    for segment, length in enumerate(lengths):
        shape = (length, len(unit_ids) + 1)
        segment_traces = rng.integers(-noise, noise + 1, size=shape).astype("int16")
        for index, unit_id in enumerate(unit_ids):
            train = sorting.get_unit_spike_train(unit_id, segment_index=segment)
            extra = np.zeros(train.size) if depths is None else depths[unit_id][segment]
            samples = np.minimum(train + 1, length - 1)
            segment_traces[samples, index] -= (100 * (index + 1) + np.asarray(extra)).astype(
                "int16"
            )
        traces.append(segment_traces)
    recording = NumpyRecording(traces, FS)
    recording.set_channel_gains(GAIN)
    recording.set_channel_offsets(OFFSET)
    locations = np.column_stack([np.zeros(len(unit_ids) + 1), 20.0 * np.arange(len(unit_ids) + 1)])
    recording.set_dummy_probe_from_locations(locations)
    recording.annotate(is_filtered=True)
    return recording


def waveform_extractor(recording, sorting, folder=None, **kwargs):
    """Dense, scaled waveforms of every spike, 2 ms before and after."""
    options = dict(
        ms_before=2.0,
        ms_after=2.0,
        sparse=False,
        max_spikes_per_unit=None,
        return_scaled=True,
        seed=0,
        progress_bar=False,
        n_jobs=1,
    )
    options.update(kwargs)
    mode = "memory" if folder is None else "folder"
    return extract_waveforms(recording, sorting, folder, mode=mode, **options)
