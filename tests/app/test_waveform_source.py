"""WaveformSource and the template geometry (no Qt): nearest channels, templates cut from the
recording, the per-unit cache, contact pitches of common probes, scale bar lengths."""

import numpy as np
import pytest

import core as si
from app.model.demo import make_demo_probe
from app.model.template_geometry import (
    contact_pitch,
    flat_placement,
    nice_length,
    probe_placement,
)
from app.model.waveform_source import (
    MS_AFTER,
    MS_BEFORE,
    SEED,
    TEMPLATE_SPIKES,
    ChannelLayout,
    WaveformSource,
)
from core.waveforms.spike_windows import read_spike_windows, sample_unit_spikes


@pytest.fixture(scope="module")
def ground_truth():
    probe = make_demo_probe(num_shanks=2, contacts_per_shank=8)
    recording, sorting = si.generate_ground_truth_recording(
        durations=[3.0], num_channels=16, num_units=4, probe=probe, seed=3
    )
    return recording.set_probe(probe, group_mode="by_shank"), sorting


def layout(locations, groups=None) -> ChannelLayout:
    locations = np.asarray(locations, dtype=float)
    groups = np.zeros(len(locations), "int64") if groups is None else np.asarray(groups)
    return ChannelLayout(np.arange(len(locations)), locations, groups)


def test_nearest_channels_stay_in_the_group_and_start_with_the_centre():
    grid = layout([(0, 0), (0, 20), (0, 40), (0, 60), (500, 0)], groups=[0, 0, 0, 0, 1])
    assert grid.nearest(1, 3).tolist() == [1, 0, 2]
    assert grid.nearest(0, 10).tolist() == [0, 1, 2, 3]
    assert grid.nearest(0, 10, same_group=False).tolist() == [0, 1, 2, 3, 4]
    assert grid.nearest(0, 2, among=[0, 3, 4]).tolist() == [0, 3]


def test_templates_cut_from_the_recording_average_the_sampled_spikes(ground_truth):
    recording, sorting = ground_truth
    source = WaveformSource(recording=recording, sorting=sorting, return_scaled=True)
    unit_id = sorting.unit_ids[0]
    unit = source.load(unit_id, 10)
    fs = recording.sampling_frequency
    nbefore, nafter = int(MS_BEFORE * fs / 1000), int(MS_AFTER * fs / 1000)
    num_samples = [recording.get_num_samples(0)]
    spikes = sample_unit_spikes(
        sorting, unit_id, TEMPLATE_SPIKES, SEED, num_samples, max(nbefore, nafter)
    )
    windows = read_spike_windows(recording, spikes, nbefore, nafter, return_scaled=True)
    np.testing.assert_allclose(unit.template, windows.mean(axis=0), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(unit.std, windows.std(axis=0), rtol=1e-4, atol=1e-3)
    assert unit.waveforms.shape == (10, nbefore + nafter, 16) and unit.scaled
    assert unit.num_spikes == spikes.size and not unit.from_extractor


def test_a_unit_is_read_once_until_more_waveforms_are_wanted(ground_truth):
    recording, sorting = ground_truth
    source = WaveformSource(recording=recording, sorting=sorting)
    unit_id = sorting.unit_ids[1]
    first = source.load(unit_id, 10)
    assert source.load(unit_id, 5) is first
    more = source.load(unit_id, 30)
    assert more is not first and more.waveforms.shape[0] == min(30, more.num_spikes)
    np.testing.assert_array_equal(more.template, first.template)  # the same spikes averaged


def test_the_cache_drops_the_least_recently_used_units(ground_truth):
    recording, sorting = ground_truth
    probe_unit = WaveformSource(recording=recording, sorting=sorting).load(sorting.unit_ids[0], 5)
    source = WaveformSource(
        recording=recording, sorting=sorting, cache_bytes=int(2.5 * probe_unit.nbytes)
    )
    units = sorting.unit_ids.tolist()
    loaded = [source.load(u, 5) for u in units[:3]]
    assert source.load(units[2], 5) is loaded[2]
    assert source.load(units[0], 5) is not loaded[0]


def test_a_unit_without_spikes_is_a_clear_error(ground_truth):
    recording, _ = ground_truth
    sorting = si.NumpySorting.from_unit_dict({"empty": np.array([], "int64")}, 30_000.0)
    source = WaveformSource(recording=recording, sorting=sorting)
    with pytest.raises(ValueError, match="unit 'empty' has no spikes"):
        source.load("empty", 5)


def test_a_recording_without_locations_is_refused():
    recording = si.NumpyRecording(np.zeros((100, 2), "float32"), 1000.0)
    sorting = si.NumpySorting.from_unit_dict({0: np.array([50])}, 1000.0)
    with pytest.raises(ValueError, match="no channel locations"):
        WaveformSource(recording=recording, sorting=sorting)


def test_waveforms_of_an_extractor_are_a_random_subset_in_a_stable_order(ground_truth):
    recording, sorting = ground_truth
    we = si.extract_waveforms(
        recording, sorting, mode="memory", sparse=False, max_spikes_per_unit=50, seed=0,
        progress_bar=False, n_jobs=1,
    )  # fmt: skip
    source = WaveformSource(we)
    unit_id = sorting.unit_ids[2]
    unit = source.load(unit_id, 8)
    stored = np.asarray(we.get_waveforms(unit_id))
    rows = [int(np.flatnonzero((stored == w).all(axis=(1, 2)))[0]) for w in unit.waveforms]
    assert len(set(rows)) == 8 and rows != sorted(rows)
    np.testing.assert_allclose(unit.template, we.get_template(unit_id), atol=1e-6)
    assert unit.from_extractor and unit.num_spikes == stored.shape[0]
    assert WaveformSource(we).load(unit_id, 8).waveforms.tolist() == unit.waveforms.tolist()


# --------------------------------------------------------------------------- geometry
def neuropixels_like(rows: int = 192) -> np.ndarray:
    x = np.tile([16.0, 48.0, 0.0, 32.0], rows // 2)
    y = np.repeat(np.arange(rows) * 20.0, 2)
    return np.column_stack([x, y])


def test_pitch_of_a_staggered_four_column_probe():
    pitch = contact_pitch(layout(neuropixels_like()))
    assert (pitch.x, pitch.y) == (32.0, 20.0)


def test_pitch_of_a_single_column_and_of_tetrodes():
    column = contact_pitch(layout([(0, 25 * i) for i in range(8)]))
    assert (column.x, column.y) == (37.5, 25.0)
    square = [(0, 0), (20, 0), (0, 20), (20, 20)]
    tetrodes = contact_pitch(layout(square + [(x + 300, y) for x, y in square], [0] * 4 + [1] * 4))
    assert (tetrodes.x, tetrodes.y) == (20.0, 20.0)


def test_flat_placement_orders_by_depth_then_across():
    grid = layout([(20, 40), (0, 0), (20, 0), (0, 40)])
    placement = flat_placement(grid, [0, 1, 2, 3], -1.0, 2.0, 100.0)
    assert placement.channel_ids.tolist() == [1, 2, 3, 0]
    assert np.all(np.diff(placement.x0) > 3.0)


def test_the_channel_at_a_point_is_the_window_holding_it():
    grid = layout([(20, 40), (0, 0), (20, 0), (0, 40)])
    pitch = contact_pitch(grid)
    placement = probe_placement(grid, [0, 1, 2, 3], pitch, -1.0, 2.0, 100.0)
    centre = 0.5
    for channel, (x, y) in zip([0, 1, 2, 3], [(20, 40), (0, 0), (20, 0), (0, 40)]):
        assert placement.channel_at(x + 1.0, y - 2.0, centre, flat=False) == channel
    assert placement.channel_at(500.0, 0.0, centre, flat=False) is None
    flat = flat_placement(grid, [0, 1, 2, 3], -1.0, 2.0, 100.0)
    middles = flat.x0 + centre * flat.x_per_ms
    assert [flat.channel_at(x, 1e6, centre, flat=True) for x in middles] == [1, 2, 3, 0]
    assert flat.channel_at(middles[-1] + 10.0, 0.0, centre, flat=True) is None


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(1.0, 1.0), (1.4, 1.0), (2.0, 2.0), (4.9, 2.0), (73.0, 50.0), (0.3, 0.2)],
)
def test_nice_lengths(limit, expected):
    assert nice_length(limit) == pytest.approx(expected)


def test_gaps_between_drawn_channels_are_shortened():
    from app.model.template_geometry import compress_gaps

    mapped, breaks = compress_gaps(np.array([0.0, 20.0, 20.0, 1000.0, 1020.0]), 50.0)
    assert mapped.tolist() == [0.0, 20.0, 20.0, 70.0, 90.0] and breaks == [45.0]
    mapped, breaks = compress_gaps(np.array([40.0, 0.0, 20.0]), 50.0)
    assert mapped.tolist() == [40.0, 0.0, 20.0] and breaks == []


def test_units_the_extractor_does_not_have_are_cut_from_the_recording(ground_truth):
    recording, sorting = ground_truth
    we = si.extract_waveforms(
        recording, sorting, mode="memory", sparse=False, max_spikes_per_unit=20, seed=0,
        progress_bar=False, n_jobs=1,
    )  # fmt: skip
    first = sorting.unit_ids[0]
    merged_train = np.sort(
        np.concatenate([sorting.get_unit_spike_train(u) for u in sorting.unit_ids[:2]])
    )
    curated = si.NumpySorting.from_unit_dict(
        {1000: merged_train, first.item(): sorting.get_unit_spike_train(first)},
        recording.sampling_frequency,
    )
    source = WaveformSource(we, recording, curated)
    assert source.load(first.item(), 5).from_extractor
    merged = source.load(1000, 5)
    assert not merged.from_extractor and 0 < merged.num_spikes <= TEMPLATE_SPIKES
    without_recording = WaveformSource(we, None, curated)
    with pytest.raises(ValueError, match="extract waveforms again"):
        without_recording.load(1000, 5)
