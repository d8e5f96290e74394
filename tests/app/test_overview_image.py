"""The overview image: mean bin range per channel (by depth) and column, from the pyramid."""

import numpy as np
import pytest

import core as si
from app.model import overview_image
from app.model.display_pyramid import DisplayPyramid, LayoutParameters
from app.model.overview_image import compute_overview, depth_order, overview_level


@pytest.fixture
def recorded(tmp_path):
    rng = np.random.default_rng(2)
    traces = rng.integers(-100, 100, (20_000, 4)).astype("int16")
    traces[:, 2] *= 5  # one busy channel
    traces.tofile(tmp_path / "t.raw")
    recording = si.BinaryRecordingExtractor([str(tmp_path / "t.raw")], 1000.0, "int16", 4)
    recording.set_channel_gains([0.5, -2.0, 1.0, 1.0])
    recording.set_channel_offsets(0.0)
    recording.set_channel_locations(np.array([[0, 30], [0, 10], [16, 10], [0, 20]]))
    pyramid = DisplayPyramid(recording, tmp_path / "cache", LayoutParameters(8, 2, 4))
    pyramid.build()
    yield traces, recording, pyramid
    pyramid.close()


def test_channels_are_ordered_from_the_tip_up():
    recording = si.NumpyRecording([np.zeros((10, 4), "int16")], 1000.0)
    assert depth_order(recording).tolist() == [0, 1, 2, 3]
    recording.set_channel_locations(np.array([[0, 30], [0, 10], [16, 10], [0, 20]]))
    assert depth_order(recording).tolist() == [1, 2, 3, 0]


@pytest.mark.parametrize("num_columns", [7, 100, 10_000])
def test_each_column_holds_the_mean_range_of_its_bins_in_microvolts(
    recorded, monkeypatch, num_columns
):
    monkeypatch.setattr(overview_image, "SLICE_BINS", 50)  # several slices
    traces, recording, pyramid = recorded
    image = compute_overview(pyramid, 0, num_columns)
    factor = pyramid.factors(0)[image.level]
    assert image.level == overview_level(pyramid, 0, num_columns)
    bins = -(-traces.shape[0] // factor)
    ranges = np.array(
        [np.ptp(traces[b * factor : (b + 1) * factor], axis=0) for b in range(bins)],
        dtype="float64",
    )
    group = image.column_frames // factor
    expected = np.array([ranges[c : c + group].mean(axis=0) for c in range(0, bins, group)])
    expected = expected[:, [1, 2, 3, 0]] * np.array([2.0, 1.0, 1.0, 0.5])
    assert image.values.shape == (len(expected), 4) and image.values.shape[0] <= num_columns
    np.testing.assert_allclose(image.values, expected, rtol=1e-5)
    assert image.values[:, 1].mean() > 2 * image.values[:, 2].mean()  # the busy channel


def test_the_overview_reads_a_coarser_level_when_the_fine_one_is_too_big(recorded, monkeypatch):
    _, _, pyramid = recorded
    finest = overview_level(pyramid, 0, 10)
    monkeypatch.setattr(overview_image, "MAX_READ_BYTES", pyramid.layout(0).level_bytes(finest) - 1)
    assert overview_level(pyramid, 0, 10) == finest + 1


def test_a_cancelled_overview_returns_none(recorded):
    _, _, pyramid = recorded
    assert compute_overview(pyramid, 0, 10, cancelled=lambda: True) is None


def test_colour_levels_are_percentiles(recorded):
    _, _, pyramid = recorded
    image = compute_overview(pyramid, 0, 50, return_scaled=False)
    low, high = image.levels()
    assert low == pytest.approx(np.percentile(image.values, 2))
    assert high == pytest.approx(np.percentile(image.values, 98))
