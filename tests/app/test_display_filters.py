"""Display filters: windows filtered with margins equal the whole signal filtered (scipy), common
median / average reference against numpy, whitening."""

import numpy as np
import pytest
from scipy.signal import sosfiltfilt

import core as si
from app.model.display_filters import (
    DisplayContext,
    DisplayFilter,
    common_reference,
    design_sos,
    estimate_whitening,
    margin_frames,
    read_display_traces,
    zero_phase_filter,
)
from tests.test_headless import run_with_qt_blocked

FS = 30_000.0
HIGHPASS = DisplayFilter(enabled=True, band="highpass", low_hz=300.0)
BANDPASS = DisplayFilter(enabled=True, band="bandpass", low_hz=300.0, high_hz=6000.0)


def make_traces(num_samples=24_000, num_channels=6, seed=0):
    """Noise riding on a slow wander and a large DC offset, as raw int16 traces look."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 30, (num_samples, num_channels))
    wander = np.cumsum(rng.normal(0, 4, (num_samples, num_channels)), axis=0)
    return (noise + wander + 1500).astype("int16")


@pytest.fixture
def recording():
    traces = make_traces()
    recording = si.NumpyRecording([traces], sampling_frequency=FS)
    recording.set_channel_gains(0.195)
    recording.set_channel_offsets(-10.0)
    recording.set_property("group", np.array([0, 0, 0, 1, 1, 1]))
    return recording


def whole_filtered(recording, display_filter, scaled):
    """The reference: the whole segment through scipy's sosfiltfilt (float64)."""
    traces = recording.get_traces(return_scaled=scaled).astype("float64")
    sos = design_sos(display_filter, FS)
    return sosfiltfilt(sos, traces, axis=0, padlen=margin_frames(sos))


def tolerance(expected):
    return 1e-3 * float(np.std(expected))


@pytest.mark.parametrize("display_filter", [HIGHPASS, BANDPASS], ids=["highpass", "bandpass"])
@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize(
    ("start", "end"), [(9_000, 12_000), (0, 2_000), (23_000, 24_000), (100, 23_950)]
)
def test_a_window_filtered_with_margins_equals_the_whole_segment_filtered_then_cut(
    recording, display_filter, scaled, start, end
):
    context = DisplayContext.for_recording(recording, display_filter)
    window = read_display_traces(recording, 0, start, end, None, context, scaled)
    expected = whole_filtered(recording, display_filter, scaled)[start:end]
    assert window.dtype == np.float32 and window.shape == expected.shape
    np.testing.assert_allclose(window, expected, atol=tolerance(expected), rtol=0)


def test_without_margins_the_window_edges_ring(recording):
    """The margins matter: filtering the window alone differs at its edges."""
    traces = recording.get_traces().astype("float32")
    sos = design_sos(HIGHPASS, FS)
    alone = zero_phase_filter(traces[9_000:12_000], sos)
    expected = whole_filtered(recording, HIGHPASS, False)[9_000:12_000]
    assert np.abs(alone - expected)[:50].max() > 100 * tolerance(expected)


def test_zero_phase_filter_equals_sosfiltfilt_with_the_same_padding():
    traces = make_traces(5_000, 3).astype("float32")
    sos = design_sos(BANDPASS, FS)
    expected = sosfiltfilt(sos, traces.astype("float64"), axis=0, padlen=700)
    filtered = zero_phase_filter(traces, sos, 700, 700)
    np.testing.assert_allclose(filtered, expected, atol=tolerance(expected), rtol=0)


def test_the_margin_follows_the_slowest_pole():
    lower = margin_frames(design_sos(DisplayFilter(enabled=True, low_hz=100.0), FS))
    higher = margin_frames(design_sos(DisplayFilter(enabled=True, low_hz=1000.0), FS))
    assert lower > 2 * higher > 0
    assert margin_frames(None) == 0


@pytest.mark.parametrize("num_channels", [6, 7])  # even and odd counts: two medians
def test_common_median_reference_against_numpy(num_channels):
    traces = make_traces(500, num_channels).astype("float32")
    referenced = common_reference(traces, "median")
    np.testing.assert_allclose(
        referenced, traces - np.median(traces, axis=1, keepdims=True), rtol=0, atol=1e-3
    )


def test_common_average_reference_by_group_without_bad_channels_against_numpy():
    traces = make_traces(500, 6).astype("float32")
    groups = np.array([0, 0, 0, 1, 1, 1])
    bad = np.array([False, True, False, False, False, False])
    referenced = common_reference(traces, "average", groups, bad)
    expected = traces.copy()
    expected[:, :3] -= traces[:, [0, 2]].mean(axis=1, keepdims=True)
    expected[:, 3:] -= traces[:, 3:].mean(axis=1, keepdims=True)
    np.testing.assert_allclose(referenced, expected, rtol=0, atol=1e-3)


def test_a_channel_subset_is_referenced_to_its_whole_group(recording):
    recording.set_property("bad_channel", np.array([False, False, True, False, False, False]))
    display_filter = DisplayFilter(
        enabled=True, band="highpass", reference="median", reference_scope="group"
    )
    context = DisplayContext.for_recording(recording, display_filter)
    channel_ids = recording.channel_ids[[4, 1]]
    subset = read_display_traces(recording, 0, 5_000, 7_000, channel_ids, context, True)
    filtered = whole_filtered(recording, HIGHPASS, True)[5_000:7_000]
    expected = np.stack(
        [
            filtered[:, 4] - np.median(filtered[:, 3:], axis=1),
            filtered[:, 1] - np.median(filtered[:, :2], axis=1),  # channel 2 is bad
        ],
        axis=1,
    )
    np.testing.assert_allclose(subset, expected, atol=tolerance(filtered), rtol=0)


def test_the_raw_toggle_shows_the_traces_unchanged(recording):
    display_filter = DisplayFilter(enabled=False, band="bandpass", reference="median", whiten=True)
    context = DisplayContext.for_recording(recording, display_filter)
    raw = read_display_traces(recording, 0, 10, 500, None, context, True)
    np.testing.assert_array_equal(
        raw, recording.get_traces(start_frame=10, end_frame=500, return_scaled=True)
    )
    assert display_filter.is_identity and display_filter.label() == "raw"


def test_whitening_decorrelates_the_channels_and_keeps_bad_ones_unchanged():
    rng = np.random.default_rng(3)
    sources = rng.normal(0, 20, (60_000, 4))
    mixing = np.array([[1, 0.8, 0.6, 0.0], [0, 1, 0.8, 0.1], [0.2, 0, 1, 0.7], [0, 0.3, 0, 1]])
    traces = np.concatenate([sources @ mixing, rng.normal(0, 5, (60_000, 1))], axis=1)
    recording = si.NumpyRecording([traces.astype("float32")], sampling_frequency=FS)
    recording.set_property("bad_channel", np.array([False, False, False, False, True]))
    display_filter = DisplayFilter(enabled=True, band="highpass", whiten=True)
    matrix = estimate_whitening(
        recording, 0, display_filter, False, num_chunks=6, chunk_frames=4000
    )
    context = DisplayContext.for_recording(recording, display_filter, matrix)
    whitened = read_display_traces(recording, 0, 10_000, 50_000, None, context, False)
    correlation = np.corrcoef(whitened[:, :4].T)
    before = np.corrcoef(
        read_display_traces(
            recording,
            0,
            10_000,
            50_000,
            None,
            DisplayContext.for_recording(recording, HIGHPASS),
            False,
        )[:, :4].T
    )
    assert np.abs(before - np.eye(4)).max() > 0.3
    assert np.abs(correlation - np.eye(4)).max() < 0.05
    assert matrix[4, 4] == 1 and not matrix[4, :4].any()


def test_whitening_needs_a_matrix_of_the_right_size(recording):
    with pytest.raises(ValueError, match="whitening"):
        DisplayContext.for_recording(recording, DisplayFilter(enabled=True, whiten=True))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"band": "lowpass"}, "band"),
        ({"reference": "mean"}, "reference"),
        ({"reference_scope": "shank"}, "reference_scope"),
        ({"low_hz": 0.0}, "low_hz"),
        ({"band": "bandpass", "low_hz": 500.0, "high_hz": 400.0}, "high_hz"),
        ({"order": 0}, "order"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DisplayFilter(enabled=True, **kwargs)


def test_a_band_above_nyquist_is_refused():
    with pytest.raises(ValueError, match="Nyquist"):
        design_sos(DisplayFilter(enabled=True, band="bandpass", high_hz=6000.0), 10_000.0)


def test_labels_say_what_is_applied():
    display_filter = DisplayFilter(
        enabled=True, band="bandpass", reference="median", reference_scope="group", whiten=True
    )
    assert display_filter.label() == "300-6000 Hz, CMR by group, whitened"


def test_filters_import_with_qt_blocked():
    result = run_with_qt_blocked("""
        import numpy as np
        from app.model.display_filters import DisplayFilter, common_reference
        print(common_reference(np.ones((3, 4), "float32"), "median").sum())
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0.0"
