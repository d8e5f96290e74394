"""Extremum channels of units: estimated from sampled spikes, equal to the templates' on the demo."""

import numpy as np

import core as si
from app.model.unit_channels import channels_from_templates, estimate_unit_channels
from core.jobs import CancelToken, JobCancelled


def test_the_estimate_finds_the_templates_largest_channel_or_a_near_tie(demo):
    recording, sorting = demo.recording, demo.sorting
    we = si.extract_waveforms(
        recording, sorting, mode="memory", max_spikes_per_unit=100, seed=0, progress_bar=False
    )
    from_templates = channels_from_templates(we)
    amplitudes = si.get_template_amplitudes(we, peak_sign="neg")
    estimated = estimate_unit_channels(recording, sorting, spikes_per_unit=30)
    for unit in sorting.unit_ids.tolist():
        best, found = recording.ids_to_indices([from_templates[unit], estimated[unit]])
        assert amplitudes[unit][found] >= 0.95 * amplitudes[unit][best], unit
    agree = [estimated[u] == from_templates[u] for u in sorting.unit_ids.tolist()]
    assert np.mean(agree) >= 0.8


def test_progress_reaches_the_unit_count_and_cancel_stops(demo):
    seen = []
    estimate_unit_channels(
        demo.recording, demo.sorting, 5, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (demo.sorting.get_num_units(),) * 2
    token = CancelToken()
    token.cancel()
    try:
        estimate_unit_channels(demo.recording, demo.sorting, 5, cancel_token=token)
    except JobCancelled:
        pass
    else:
        raise AssertionError("a cancelled estimate returned")


def test_units_without_spikes_are_left_out(demo):
    sorting = si.NumpySorting.from_unit_dict(
        {"a": np.array([3000, 6000]), "b": np.array([], "int64")}, 30_000.0
    )
    channels = estimate_unit_channels(demo.recording, sorting)
    assert list(channels) == ["a"] and channels["a"] in demo.recording.channel_ids.tolist()
