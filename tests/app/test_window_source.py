"""Where trace windows come from: raw samples, a pyramid level, or "building overview"."""

import numpy as np
import pytest

import core as si
from app.model.display_pyramid import DisplayPyramid, LayoutParameters, PyramidLayout
from app.model.window_source import (
    BUILDING,
    LEVEL,
    RAW,
    UNAVAILABLE,
    plan_window,
    read_level_envelope,
)

FACTORS = (64, 256, 1024, 4096)
BYTES_PER_FRAME = 384 * 2  # Neuropixels: 384 int16 channels
BUDGET = 32 * 2**20


def plan(num_frames, ready=True, building=False, fraction=0.0, factors=FACTORS, pixels=1600):
    return plan_window(
        num_frames, pixels, BYTES_PER_FRAME, factors, ready, building, fraction, BUDGET
    )


def test_a_short_window_is_read_raw_whatever_the_pyramid():
    assert plan(30_000, ready=False, building=True).source == RAW
    assert plan(30_000, ready=True).source == RAW  # 19 samples per pixel: below the finest bin


def test_a_long_window_is_read_from_the_coarsest_level_no_wider_than_a_pixel():
    assert plan(1600 * 300).level == 1  # 300 samples per pixel: bins of 256
    assert plan(3600 * 30_000 * 2) == plan(10**12)  # the top level
    assert plan(10**12).source == LEVEL and plan(10**12).level == 3


def test_a_window_too_long_for_raw_waits_for_the_pyramid_with_its_progress():
    building = plan(10 * 60 * 30_000, ready=False, building=True, fraction=0.423)
    assert building.source == BUILDING and not building.readable
    assert building.message() == "building overview… 42%"
    unavailable = plan(10 * 60 * 30_000, ready=False, building=False)
    assert unavailable.source == UNAVAILABLE and "zoom in" in unavailable.message()


def test_many_bytes_at_few_samples_per_pixel_use_the_finest_level():
    # 3 s on 3200 pixels: 28 samples per pixel (raw would be 69 MB)
    assert plan(90_000, pixels=3200) == plan_window(90_000, 3200, 768, FACTORS, True, False)
    assert plan(90_000, pixels=3200).level == 0


def test_a_segment_without_levels_is_always_read_raw():
    assert plan(16_000, ready=False, factors=()).source == RAW


@pytest.mark.parametrize("ready", [True, False])
def test_no_plan_reads_more_than_the_budget_or_four_bins_per_pixel(ready):
    layout = PyramidLayout(
        2 * 3600 * 30_000, 384, "int16", LayoutParameters().factors(2 * 3600 * 30_000)
    )
    for pixels in (800, 1600, 3200):
        for num_frames in np.unique(np.geomspace(10, layout.num_samples, 300).astype(int)):
            chosen = plan(num_frames, ready, True, 0.5, layout.factors, pixels)
            if chosen.source == RAW:
                assert num_frames * BYTES_PER_FRAME <= BUDGET
            elif chosen.source == LEVEL:
                first, stop = layout.bin_range(chosen.level, 0, num_frames)
                assert (stop - first) * layout.bin_bytes <= max(
                    BUDGET, (4 * pixels + 1) * layout.bin_bytes
                )
            else:
                assert not ready


@pytest.fixture
def pyramid(tmp_path):
    traces = np.random.default_rng(1).integers(-900, 900, (5003, 3)).astype("int16")
    traces.tofile(tmp_path / "t.raw")
    recording = si.BinaryRecordingExtractor([str(tmp_path / "t.raw")], 1000.0, "int16", 3)
    pyramid = DisplayPyramid(recording, tmp_path / "cache", LayoutParameters(4, 2, 2))
    pyramid.build()
    yield traces, pyramid
    pyramid.close()


@pytest.mark.parametrize(
    ("start", "end", "pixels"), [(0, 5003, 40), (97, 3001, 7), (4000, 5003, 1000)]
)
def test_the_level_envelope_is_the_min_max_of_the_raw_samples_of_each_column(
    pyramid, start, end, pixels
):
    traces, pyramid = pyramid
    level = 2  # bins of 16 frames
    envelope, frames = read_level_envelope(pyramid, level, 0, start, end, [2, 0], pixels)
    columns = envelope.shape[0] // 2
    assert 1 <= columns <= pixels
    last_frame = min(-(-end // 16) * 16, traces.shape[0])  # the window widened to whole bins
    edges = np.append(frames[::2], last_frame)
    assert frames[0] == start // 16 * 16
    for column in range(columns):
        covered = traces[edges[column] : edges[column + 1], [2, 0]]
        np.testing.assert_array_equal(envelope[2 * column], covered.min(axis=0))
        np.testing.assert_array_equal(envelope[2 * column + 1], covered.max(axis=0))
    widths = np.diff(edges)
    assert (widths[:-1] == widths[0]).all() and 0 < widths[-1] <= widths[0]


def test_overview_states_plan_windows():
    from app.model.window_source import LOOKING, NO_OVERVIEW, READY, OverviewState

    long_window, short_window = 10 * 60 * 30_000, 30_000
    unmanaged = OverviewState(NO_OVERVIEW)
    assert unmanaged.plan(0, long_window, 1600, BYTES_PER_FRAME).source == RAW  # as before
    looking = OverviewState(LOOKING)
    assert looking.plan(0, short_window, 1600, BYTES_PER_FRAME).source == RAW
    waiting = looking.plan(0, long_window, 1600, BYTES_PER_FRAME)
    assert waiting.source == BUILDING and waiting.message() == "building overview… 0%"
    assert OverviewState(READY).key != OverviewState(NO_OVERVIEW).key
    with pytest.raises(ValueError, match="status"):
        OverviewState("built")
