"""TraceFetcher with a display pyramid and display filters: bounded raw reads, pyramid levels,
"building overview" replies, filtered windows."""

import numpy as np
import pytest

import core as si
from app.model.decimation import decimate_min_max
from app.model.display_filters import DisplayContext, DisplayFilter, read_display_traces
from app.model.display_pyramid import DisplayPyramid, LayoutParameters
from app.model.trace_fetcher import TraceFetcher
from app.model.window_source import BUILDING, IDLE, READY, OverviewState

NUM_SAMPLES = 40_000
NUM_CHANNELS = 3
#: 2 000 frames of 3 int16 channels: longer windows need the pyramid
BUDGET = 2_000 * NUM_CHANNELS * 2


class CountingRecording:
    """Counts the frames read through ``get_traces``."""

    def __init__(self, recording):
        self._recording = recording
        self.frames_read = 0

    def __getattr__(self, name):
        return getattr(self._recording, name)

    def get_traces(self, **kwargs):
        traces = self._recording.get_traces(**kwargs)
        self.frames_read += traces.shape[0]
        return traces


@pytest.fixture
def traces():
    return np.random.default_rng(3).integers(-400, 400, (NUM_SAMPLES, NUM_CHANNELS)).astype("int16")


@pytest.fixture
def recording(tmp_path, traces):
    traces.tofile(tmp_path / "t.raw")
    recording = si.BinaryRecordingExtractor(
        [str(tmp_path / "t.raw")], 10_000.0, "int16", NUM_CHANNELS
    )
    recording.set_channel_gains([0.5, -2.0, 1.0])
    recording.set_channel_offsets(0.0)
    return recording


@pytest.fixture
def pyramid(recording, tmp_path):
    pyramid = DisplayPyramid(recording, tmp_path / "cache", LayoutParameters(16, 4, 8))
    pyramid.build()
    yield pyramid
    pyramid.close()


@pytest.fixture
def fetcher():
    fetcher = TraceFetcher(max_raw_bytes=BUDGET)
    yield fetcher
    fetcher.close()


def fetch(fetcher, recording, start, end, overview=None, display=None, scaled=False, pixels=100):
    replies = []
    fetcher.request(
        recording, 0, start, end, None, scaled, pixels, replies.append, overview, display
    )
    assert fetcher.wait_until_idle(10.0)
    (window,) = replies
    return window


def test_a_long_window_comes_from_the_pyramid_without_reading_the_raw_file(
    fetcher, recording, pyramid, traces
):
    counting = CountingRecording(recording)
    window = fetch(fetcher, counting, 1_000, 33_000, OverviewState(READY, pyramid, 1.0))
    assert counting.frames_read == 0 and window.source == "overview x256"  # 320 frames/pixel
    assert window.decimated and window.data.shape[0] <= 200 and window.pending == ""
    edges = np.append(np.round(window.times[::2] * 10_000).astype(int), 33_024)
    for column in range(window.data.shape[0] // 2):
        covered = traces[edges[column] : edges[column + 1]]
        np.testing.assert_array_equal(window.data[2 * column], covered.min(axis=0))
        np.testing.assert_array_equal(window.data[2 * column + 1], covered.max(axis=0))


def test_a_long_window_from_the_pyramid_is_scaled_like_the_traces(
    fetcher, recording, pyramid, traces
):
    window = fetch(
        fetcher, recording, 0, NUM_SAMPLES, OverviewState(READY, pyramid, 1.0), scaled=True
    )
    scaled = traces[: -(-NUM_SAMPLES // 1024) * 1024].astype("float32") * [0.5, -2.0, 1.0]
    assert window.data[0::2].min(axis=0) == pytest.approx(scaled.min(axis=0))
    assert window.data[1::2].max(axis=0) == pytest.approx(scaled.max(axis=0))
    assert (window.data[0::2] <= window.data[1::2]).all()  # the negative gain swapped min and max


def test_while_the_pyramid_is_built_a_long_window_is_pending_and_reads_nothing(
    fetcher, recording, pyramid
):
    counting = CountingRecording(recording)
    window = fetch(fetcher, counting, 0, 30_000, OverviewState(BUILDING, pyramid, 0.42))
    assert window.pending == "building overview… 42%" and window.data.size == 0
    assert counting.frames_read == 0 and window.error is None


def test_a_short_window_is_read_raw_while_the_pyramid_is_built(fetcher, recording, pyramid):
    counting = CountingRecording(recording)
    window = fetch(fetcher, counting, 0, 1_500, OverviewState(IDLE, pyramid, 0.0))
    assert counting.frames_read == 1_500 and window.source == "raw"


def test_the_pending_reply_is_not_reused_once_the_pyramid_is_ready(fetcher, recording, pyramid):
    fetch(fetcher, recording, 0, 30_000, OverviewState(BUILDING, pyramid, 0.5))
    window = fetch(fetcher, recording, 0, 30_000, OverviewState(READY, pyramid, 1.0))
    assert window.pending == "" and window.source.startswith("overview")


def test_without_a_managed_pyramid_every_window_is_read_raw(fetcher, recording):
    window = fetch(fetcher, recording, 0, 30_000)
    assert window.source == "raw" and window.raw_shape == (30_000, 3)


def test_a_filtered_window_is_the_display_traces_reduced(fetcher, recording, pyramid):
    display_filter = DisplayFilter(enabled=True, band="highpass", reference="median")
    context = DisplayContext.for_recording(recording, display_filter)
    overview = OverviewState(READY, pyramid, 1.0)
    window = fetch(fetcher, recording, 5_000, 5_400, overview, context, scaled=True)
    expected = read_display_traces(recording, 0, 5_000, 5_400, None, context, True)
    envelope, _ = decimate_min_max(expected, 100)
    assert window.source == "filtered" and window.note == ""
    np.testing.assert_allclose(window.data, envelope, rtol=1e-5, atol=1e-4)


def test_filters_give_way_to_the_pyramid_beyond_the_budget_and_say_so(fetcher, recording, pyramid):
    context = DisplayContext.for_recording(recording, DisplayFilter(enabled=True))
    overview = OverviewState(READY, pyramid, 1.0)
    window = fetch(fetcher, recording, 0, 30_000, overview, context)
    assert window.source.startswith("overview") and "Filters apply to windows up to" in window.note


def test_the_default_one_second_window_of_a_neuropixels_probe_is_filtered(tmp_path):
    path = tmp_path / "np.raw"
    with open(path, "wb") as file:
        file.truncate(30_000 * 384 * 2 * 3)  # 3 s of zeros, 384 int16 channels
    recording = si.BinaryRecordingExtractor([str(path)], 30_000.0, "int16", 384)
    context = DisplayContext.for_recording(recording, DisplayFilter(enabled=True))
    fetcher = TraceFetcher()  # the app's budget
    try:
        window = fetch(fetcher, recording, 30_000, 60_000, display=context)
    finally:
        fetcher.close()
    assert window.source == "filtered" and window.note == ""
    assert window.raw_shape == (30_000, 384)
