"""TraceFetcher: one worker, newest request wins, errors as results (no Qt)."""

import os
import threading

import numpy as np
import pytest

import core as si
from app.model.decimation import decimate_min_max
from app.model.trace_fetcher import RAW_CHUNK_BYTES, TraceFetcher
from app.model.window_noise import NOISE_ROWS
from core.recording import file_reads
from core.recording.file_reads import DIRECT_READ_MIN_BYTES as DIRECT_READ_MIN
from tests.test_headless import run_with_qt_blocked


@pytest.fixture
def recording():
    traces = np.random.default_rng(0).integers(-300, 300, (9_000, 3)).astype("int16")
    recording = si.NumpyRecording([traces], sampling_frequency=3_000.0, t_starts=[5.0])
    recording.set_channel_gains([0.5, -2.0, 1.0])
    recording.set_channel_offsets([0.0, 10.0, -1.0])
    return recording


@pytest.fixture
def fetcher():
    fetcher = TraceFetcher()
    yield fetcher
    fetcher.close()


class Replies:
    """Collects callbacks (called on the worker thread)."""

    def __init__(self) -> None:
        self.windows = []

    def __call__(self, window) -> None:
        self.windows.append(window)


class GatedRecording:
    """A recording whose reads wait until ``gate`` is set (and say when they start)."""

    def __init__(self, recording) -> None:
        self._recording = recording
        self.gate = threading.Event()
        self.reading = threading.Event()

    def __getattr__(self, name):
        return getattr(self._recording, name)

    def get_traces(self, **kwargs):
        self.reading.set()
        self.gate.wait(10.0)
        return self._recording.get_traces(**kwargs)


def fetch(fetcher, recording, start, end, scaled=False, pixels=100, channel_ids=None):
    replies = Replies()
    request_id = fetcher.request(recording, 0, start, end, channel_ids, scaled, pixels, replies)
    assert fetcher.wait_until_idle(10.0)
    assert [w.request_id for w in replies.windows] == [request_id]
    return replies.windows[0]


def test_window_is_the_decimated_traces_with_their_times(fetcher, recording):
    window = fetch(fetcher, recording, 1_000, 7_000)
    expected, offsets = decimate_min_max(
        recording.get_traces(start_frame=1_000, end_frame=7_000), 100
    )
    np.testing.assert_array_equal(window.data, expected)
    np.testing.assert_allclose(window.times, 5.0 + (1_000 + offsets) / 3_000.0)
    assert window.raw_shape == (6_000, 3) and window.decimated and window.error is None


def test_scaled_window_equals_decimated_scaled_traces(fetcher, recording):
    window = fetch(fetcher, recording, 0, 9_000, scaled=True)
    scaled = recording.get_traces(return_scaled=True)
    envelope, _ = decimate_min_max(scaled, 100)
    np.testing.assert_array_equal(window.data, envelope)  # also with a negative gain


def test_short_window_passes_samples_through(fetcher, recording):
    window = fetch(fetcher, recording, 10, 60, channel_ids=[2, 0])
    np.testing.assert_array_equal(
        window.data, recording.get_traces(start_frame=10, end_frame=60, channel_ids=[2, 0])
    )
    assert not window.decimated and window.channel_ids.tolist() == [2, 0]


def test_window_is_clamped_to_the_segment(fetcher, recording):
    window = fetch(fetcher, recording, 8_950, 20_000)
    assert (window.start_frame, window.end_frame, window.raw_shape) == (8_950, 9_000, (50, 3))


def test_newest_request_wins_and_stale_replies_are_dropped(fetcher, recording):
    gated = GatedRecording(recording)
    replies = Replies()
    fetcher.request(gated, 0, 0, 100, None, False, 50, replies)
    assert gated.reading.wait(10.0)  # the first request is being read
    ids = [fetcher.request(gated, 0, s, s + 100, None, False, 50, replies) for s in range(1, 9)]
    gated.gate.set()
    assert fetcher.wait_until_idle(10.0)
    # the first reply became stale while it was read; requests 2..8 were superseded unread
    assert [(w.request_id, w.start_frame) for w in replies.windows] == [(ids[-1], 8)]


def test_only_the_newest_request_is_latest_until_cancelled(fetcher, recording):
    gated = GatedRecording(recording)
    replies = Replies()
    first = fetcher.request(gated, 0, 0, 100, None, False, 50, replies)
    assert gated.reading.wait(10.0)
    assert fetcher.is_latest(first)
    second = fetcher.request(gated, 0, 1, 101, None, False, 50, replies)
    assert not fetcher.is_latest(first) and fetcher.is_latest(second)
    fetcher.cancel()
    assert not fetcher.is_latest(second)
    gated.gate.set()
    assert fetcher.wait_until_idle(10.0)


def test_errors_are_delivered_as_results(fetcher):
    unscaled = si.NumpyRecording([np.zeros((100, 2))], sampling_frequency=1_000.0)
    window = fetch(fetcher, unscaled, 0, 100, scaled=True)
    assert "gain_to_uV" in window.error and window.data.size == 0


def test_a_failing_callback_does_not_stop_the_worker(fetcher, recording):
    def broken(window):
        raise RuntimeError("view gone")

    fetcher.request(recording, 0, 0, 100, None, False, 10, broken)
    assert fetcher.wait_until_idle(10.0)
    assert fetch(fetcher, recording, 0, 100).error is None


def test_cancel_drops_the_reply_being_read(fetcher, recording):
    gated = GatedRecording(recording)
    replies = Replies()
    fetcher.request(gated, 0, 0, 100, None, False, 50, replies)
    assert gated.reading.wait(10.0)
    fetcher.cancel()
    gated.gate.set()
    assert fetcher.wait_until_idle(10.0)
    assert replies.windows == []


def test_close_stops_the_thread_and_refuses_requests(recording):
    fetcher = TraceFetcher()
    fetcher.close()
    assert not fetcher.is_alive
    with pytest.raises(RuntimeError, match="closed"):
        fetcher.request(recording, 0, 0, 10, None, False, 10, Replies())


def test_the_same_window_again_is_answered_from_the_last_read(fetcher, recording):
    reads = []

    class Counted(si.NumpyRecording):
        def get_traces(self, *args, **kwargs):
            reads.append(kwargs["start_frame"])
            return super().get_traces(*args, **kwargs)

    counted = Counted([recording.get_traces()], sampling_frequency=3_000.0)
    first = fetch(fetcher, counted, 0, 3_000)
    again = fetch(fetcher, counted, 0, 3_000)
    assert reads == [0]
    assert again.data is first.data and again.request_id == first.request_id + 1
    fetch(fetcher, counted, 0, 3_000, pixels=120)  # another width is another read
    fetch(fetcher, counted, 0, 3_000, scaled=False, channel_ids=[1])
    assert reads == [0, 0, 0]


def test_cancel_forgets_the_last_read(fetcher, recording):
    first = fetch(fetcher, recording, 0, 3_000)
    fetcher.cancel()
    assert fetch(fetcher, recording, 0, 3_000).data is not first.data


def test_noise_levels_are_the_median_absolute_deviation_of_the_samples(fetcher, recording):
    window = fetch(fetcher, recording, 0, 9_000, scaled=True, pixels=50)
    traces = recording.get_traces(return_scaled=True)
    sample = traces[:: 9_000 // NOISE_ROWS]
    expected = np.median(np.abs(sample - np.median(sample, axis=0)), axis=0)
    np.testing.assert_allclose(window.noise_levels, expected, rtol=1e-5)


def test_noise_levels_are_estimated_when_first_asked_for_then_kept(fetcher, recording, monkeypatch):
    # only the view's automatic scaling asks: the medians are not part of reading a window
    from app.model import window_noise

    estimated = []
    estimate = window_noise.noise_of_sample
    monkeypatch.setattr(
        window_noise, "noise_of_sample", lambda sample: estimated.append(1) or estimate(sample)
    )
    window = fetch(fetcher, recording, 0, 9_000, pixels=50)
    assert estimated == []
    first = window.noise_levels
    assert estimated == [1] and window.noise_levels is first and first.shape == (3,)


def test_fetcher_frames_and_trace_models_import_and_run_without_qt():
    result = run_with_qt_blocked("""
        import numpy as np
        import core as si
        import app.model.binary_layout
        import app.model.channel_rows
        import app.model.spike_marks
        from app.model.trace_fetcher import TraceFetcher
        from app.model.trace_frame import STACKED, TraceStyle, render_frame
        recording = si.generate_recording(num_channels=4, durations=[1.0], seed=0)
        fetcher, frames = TraceFetcher(), []
        style = TraceStyle(STACKED, 40, 1.0, 10.0, np.arange(4), 0, 4, np.array([], int), (1, 2))
        fetcher.request(recording, 0, 0, 30000, None, False, 100,
                        lambda window: frames.append(
                            render_frame(window, style, 30000.0, lambda s: s / 30000.0)))
        assert fetcher.wait_until_idle(30.0)
        fetcher.close()
        print(frames[0].pixels.shape)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(40, 100)"


def test_windows_of_a_binary_file_keep_their_samples_after_the_next_read(fetcher, tmp_path):
    # a window the view keeps (decimated, passed through, or scaled) must not share memory
    # with the file's memory map, which is released after the read
    traces = np.random.default_rng(4).integers(-900, 900, (6_000, 4)).astype("int16")
    path = tmp_path / "traces.raw"
    path.write_bytes(traces.tobytes())
    recording = si.BinaryRecordingExtractor(
        path, 3_000.0, "int16", num_channels=4, gain_to_uV=0.25, offset_to_uV=0.0
    )
    kept = [
        (fetch(fetcher, recording, 0, 5_000), traces[0:5_000], False),
        (fetch(fetcher, recording, 100, 160), traces[100:160], False),
        (fetch(fetcher, recording, 3_000, 6_000, scaled=True), traces[3_000:6_000], True),
    ]
    fetch(fetcher, recording, 1, 6_000)  # the next read
    for window, samples, scaled in kept:
        values = samples.astype("float32") * 0.25 if scaled else samples
        expected, _ = decimate_min_max(values, 100)
        np.testing.assert_array_equal(window.data, expected)


class CountingReads:
    """A recording that records the frames of each read."""

    def __init__(self, recording) -> None:
        self._recording = recording
        self.reads = []

    def __getattr__(self, name):
        return getattr(self._recording, name)

    def get_traces(self, **kwargs):
        self.reads.append((kwargs["start_frame"], kwargs["end_frame"]))
        return self._recording.get_traces(**kwargs)


def test_a_cold_raw_window_of_a_binary_file_is_read_direct_piece_by_piece(fetcher, tmp_path):
    # pieces of RAW_CHUNK_BYTES, each large enough to be read straight from the disk when the
    # page cache does not hold it (core.recording.file_reads) and reduced while in the CPU cache
    traces = np.random.default_rng(1).integers(-900, 900, (40_000, 64)).astype("int16")
    path = tmp_path / "traces.raw"
    traces.tofile(path)
    if not hasattr(os, "posix_fadvise") or file_reads.read_direct(path, 0, 4096) is None:
        pytest.skip(f"no O_DIRECT on the file system of {tmp_path}, or no posix_fadvise")
    recording = si.BinaryRecordingExtractor(path, 30_000.0, "int16", num_channels=64)
    with open(path, "rb+") as file:  # written back first: dirty pages stay in the cache
        os.fsync(file.fileno())
        os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    direct = []
    read_direct = file_reads.read_direct

    def spy(file_path, byte_start, nbytes):
        direct.append(nbytes)
        return read_direct(file_path, byte_start, nbytes)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(file_reads, "read_direct", spy)
        counting = CountingReads(recording)
        window = fetch(fetcher, counting, 1_000, 39_001, pixels=300)
    piece_bytes = [(b - a) * 64 * 2 for a, b in counting.reads]
    assert len(piece_bytes) > 1 and max(piece_bytes) <= RAW_CHUNK_BYTES
    assert direct == piece_bytes[:-1] + [piece_bytes[-1]] * (piece_bytes[-1] >= DIRECT_READ_MIN)
    expected, _ = decimate_min_max(traces[1_000:39_001], 300)
    np.testing.assert_array_equal(window.data, expected)


@pytest.mark.parametrize("scaled", [False, True])
def test_long_raw_windows_are_read_in_small_pieces_with_the_same_result(
    fetcher, recording, monkeypatch, scaled
):
    # 3 channels x 2 bytes: pieces of 170 frames, so a 6,000-frame window takes many reads
    monkeypatch.setattr("app.model.trace_fetcher.RAW_CHUNK_BYTES", 1_024)
    counting = CountingReads(recording)
    window = fetch(fetcher, counting, 1_000, 7_001, scaled=scaled, pixels=100)
    traces = recording.get_traces(start_frame=1_000, end_frame=7_001, return_scaled=scaled)
    expected, offsets = decimate_min_max(traces, 100)
    np.testing.assert_allclose(window.data, expected, rtol=1e-6)
    np.testing.assert_allclose(window.times, 5.0 + (1_000 + offsets) / 3_000.0)
    assert window.raw_shape == (6_001, 3) and window.decimated
    assert len(counting.reads) > 20 and max(b - a for a, b in counting.reads) <= 180
    assert counting.reads[0][0] == 1_000 and counting.reads[-1][1] == 7_001
    # the noise of the same rows as a whole-window read
    raw = recording.get_traces(start_frame=1_000, end_frame=7_001).astype("float64")
    sample = raw[:: 6_001 // NOISE_ROWS]
    mad = np.median(np.abs(sample - np.median(sample, axis=0)), axis=0)
    if scaled:
        mad = mad * np.abs(recording.get_channel_gains())
    np.testing.assert_allclose(window.noise_levels, mad, rtol=1e-6)
