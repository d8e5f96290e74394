"""Extremum channels of units: estimated from sampled spikes, equal to the templates' on the demo."""

import numpy as np
import pytest

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
        demo.recording, demo.sorting, spikes_per_unit=5, progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (demo.sorting.get_num_units(),) * 2
    token = CancelToken()
    token.cancel()
    try:
        estimate_unit_channels(demo.recording, demo.sorting, spikes_per_unit=5, cancel_token=token)
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


def test_templates_are_baseline_free_and_most_similar_finds_a_duplicate(demo):
    from app.model.similarity import most_similar_unit, template_similarity
    from app.model.unit_channels import estimate_unit_templates

    sorting = demo.sorting
    first = sorting.unit_ids[0]
    # a copy of the first unit's spikes, under a new id: its template is the same
    duplicated = si.NumpySorting.from_unit_dict(
        {**{int(u): sorting.get_unit_spike_train(u) for u in sorting.unit_ids[:6]},
         99: sorting.get_unit_spike_train(first)},
        sorting.sampling_frequency,
    )  # fmt: skip
    templates = estimate_unit_templates(demo.recording, duplicated, spikes_per_unit=20)
    assert np.allclose(np.median(templates[first], axis=0), 0.0, atol=1e-3)
    assert most_similar_unit(templates, 99, list(templates)) == first
    scores = template_similarity(templates, first, list(templates))
    assert scores[99] == pytest.approx(1.0) and max(scores.values()) == scores[99]


def test_the_runner_finds_the_channels_in_its_job_not_on_the_gui_thread(qtbot, demo, monkeypatch):
    import threading

    import app.unit_channels_runner as runner_module
    from app.jobs import JobManager
    from app.model.session import Session
    from app.model.unit_channels import channels_of

    threads = []

    def recording_channels_of(templates, channel_ids):
        threads.append(threading.current_thread())
        return channels_of(templates, channel_ids)

    monkeypatch.setattr(runner_module, "channels_of", recording_channels_of)
    session = Session()
    jobs = JobManager()
    with qtbot.waitSignal(session.signals.unit_channel_ids, timeout=20_000):
        runner = runner_module.UnitChannelsRunner(session, jobs)
        session.open(recording=demo.recording, sorting=demo.sorting)
    assert threads and threading.main_thread() not in threads
    expected = channels_of(runner.templates, demo.recording.channel_ids)
    assert dict(session.unit_channel_ids) == expected
    assert set(expected) == set(demo.sorting.unit_ids.tolist())
    jobs.shutdown()


def test_seed_channels_follow_the_most_shared_spikes(demo, tmp_path):
    from app.model.curation_reuse import seed_channels
    from core.curation import CurationSession

    curation = CurationSession(demo.sorting, journal_folder=tmp_path)
    before = curation.sorting
    ids = before.unit_ids.tolist()
    channels = {u: f"ch{u}" for u in ids[:3]}
    counts = before.count_num_spikes_per_unit()
    merged = curation.merge(ids[:3])
    largest = max(ids[:3], key=counts.get)
    assert seed_channels(curation.sorting, before, channels) == {merged: f"ch{largest}"}
    # units of unknown channel give none; another base gives none
    assert seed_channels(curation.sorting, before, {}) == {}
    assert seed_channels(curation.sorting, before, channels, unit_ids=[]) == {}
    assert seed_channels(curation.sorting, curation.sorting, channels) == {}
    assert seed_channels(curation.sorting, demo.sorting.select_units(ids[:3]), channels) == {}
