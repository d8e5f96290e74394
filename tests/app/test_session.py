"""Session: opening adds to what is open when it fits, hidden units, stable unit colours."""

import numpy as np
import pytest

import core as si
from app.model.session import Session


@pytest.fixture
def recording():
    return si.generate_recording(
        num_channels=4, durations=[2.0], sampling_frequency=10_000.0, seed=0
    )


@pytest.fixture
def sorting():
    return si.NumpySorting.from_unit_dict(
        {0: np.array([10, 500]), 1: np.array([100]), 2: np.array([19_000])},
        sampling_frequency=10_000.0,
    )


def test_adding_a_sorting_keeps_the_recording_and_the_window(recording, sorting):
    session = Session()
    session.open(recording=recording, source="rec")
    session.set_frame_window(5_000, 6_000)
    session.add(sorting=sorting, source="sorting")
    assert session.recording is recording and session.sorting is sorting
    assert session.frame_window == (5_000, 6_000)
    assert session.source == "rec; sorting"


def test_a_sorting_at_another_rate_is_refused_with_both_rates(recording):
    session = Session()
    session.open(recording=recording)
    other = si.NumpySorting.from_unit_dict({0: np.array([1])}, sampling_frequency=30_000.0)
    with pytest.raises(ValueError, match="sampling frequency 30000 Hz.*10000 Hz"):
        session.add(sorting=other)
    assert session.sorting is None


def test_a_sorting_with_spikes_past_the_end_is_refused(recording):
    session = Session()
    session.open(recording=recording)
    late = si.NumpySorting.from_unit_dict({0: np.array([25_000])}, sampling_frequency=10_000.0)
    with pytest.raises(ValueError, match="sample 25000 of segment 0, which has 20000 samples"):
        session.add(sorting=late)


def test_a_recording_with_another_segment_count_is_refused_for_the_open_sorting(sorting):
    session = Session()
    session.open(sorting=sorting)
    two = si.generate_recording(num_channels=2, durations=[2.0, 2.0], sampling_frequency=10_000.0)
    with pytest.raises(ValueError, match="1 segment\\(s\\), the recording has 2"):
        session.add(recording=two)


def test_unit_colours_stay_with_their_unit_ids(recording, sorting):
    session = Session()
    session.open(recording=recording, sorting=sorting)
    before = {u: session.unit_color_index(u) for u in (0, 1, 2)}
    session.add(sorting=sorting.select_units([2, 0]))
    assert {u: session.unit_color_index(u) for u in (2, 0)} == {2: before[2], 0: before[0]}
    assert session.unit_color_index(99) == 3  # a new unit gets a new colour


def test_hidden_units_are_left_out_of_the_visible_ones(recording, sorting):
    session = Session()
    session.open(recording=recording, sorting=sorting)
    session.set_hidden_units([1])
    assert session.visible_unit_ids() == [0, 2]
    with pytest.raises(ValueError):
        session.set_hidden_units([7])


def test_close_forgets_everything(recording, sorting):
    session = Session()
    session.open(recording=recording, sorting=sorting, source="x")
    session.select_units([1])
    session.close()
    assert session.recording is None and session.sorting is None
    assert (
        session.selected_unit_ids == () and session.source == "" and session.frame_window == (0, 0)
    )


def test_unit_order_holds_every_unit_once_and_resets_with_the_sorting(recording, sorting):
    session = Session()
    session.open(recording=recording, sorting=sorting)
    assert session.ordered_unit_ids() == [0, 1, 2]
    session.set_unit_order([2, 0, 1])
    assert session.ordered_unit_ids() == [2, 0, 1]
    with pytest.raises(ValueError, match="every unit id"):
        session.set_unit_order([2, 0])
    session.add(sorting=sorting.select_units([0, 1]))
    assert session.unit_order == () and session.ordered_unit_ids() == [0, 1]


def test_a_sorting_added_to_a_recording_gets_its_duration(recording, sorting):
    session = Session()
    session.open(recording=recording)
    session.add(sorting=sorting)
    assert sorting.has_recording() and sorting.get_total_duration() == 2.0


def test_waveforms_of_the_open_sorting_keep_the_unit_selection(recording, sorting):
    session = Session()
    session.open(recording=recording, sorting=sorting)
    session.select_units([1])
    changes = []
    session.signals.sorting.connect(lambda *args: changes.append(args))
    we = si.WaveformExtractor(recording, sorting, allow_unfiltered=True)
    session.add(waveform_extractor=we)
    assert session.waveform_extractor is we and session.sorting is sorting
    assert session.selected_unit_ids == (1,) and changes == []


def two_segments():
    """Segments of 2 s starting at 0 s and at 10 s (1 kHz)."""
    traces = [np.zeros((2_000, 2), dtype="int16")] * 2
    return si.NumpyRecording(traces, sampling_frequency=1_000.0, t_starts=[0.0, 10.0])


def test_segment_at_time_prefers_the_current_segment():
    session = Session()
    session.open(recording=two_segments())
    assert [session.segment_at_time(t) for t in (0.5, 10.5, 5.0, 12.0)] == [0, 1, None, None]
    overlapping = si.NumpyRecording([np.zeros((2_000, 1))] * 2, sampling_frequency=1_000.0)
    session.open(recording=overlapping)  # both segments start at 0 s
    session.set_segment(1)
    assert session.segment_at_time(0.5) == 1


def test_go_to_time_switches_to_the_segment_that_holds_the_time():
    session = Session()
    session.open(recording=two_segments())
    session.set_frame_window(0, 500)
    session.go_to_time(11.0)
    assert session.segment_index == 1 and session.frame_window == (750, 1_250)
    session.go_to_time(5.0)  # in no segment: stays, clamped to the start
    assert session.segment_index == 1 and session.frame_window == (0, 500)


@pytest.fixture
def with_events(recording):
    session = Session()
    events = si.NumpyEvent.from_dict({"a": np.array([0.2, 1.5]), "b": np.array([0.9])})
    session.open(recording=recording, events=events)
    session.set_time_window(0.0, 0.2)  # centre at 0.1 s
    return session


def test_next_event_centres_the_window_on_it(with_events):
    assert with_events.go_to_event(+1)
    start, end = with_events.frame_window
    assert (start + end) // 2 == 2_000  # 0.2 s
    assert with_events.go_to_event(+1)
    assert sum(with_events.frame_window) // 2 == 9_000  # then channel b at 0.9 s


def test_previous_event_of_one_channel(with_events):
    with_events.go_to_time(1.8)
    assert with_events.go_to_event(-1, channel_ids=["a"])
    assert sum(with_events.frame_window) // 2 == 15_000


def test_no_event_further_leaves_the_window(with_events):
    with_events.go_to_time(1.9)
    before = with_events.frame_window
    assert not with_events.go_to_event(+1)
    assert with_events.frame_window == before


def test_spikes_are_picked_by_their_position_in_the_unit_train(recording, sorting):
    session = Session()
    session.open(recording=recording, sorting=sorting)
    session.select_spikes(0, [1, 0, 1])
    assert session.spike_selection.unit_id == 0
    assert session.spike_selection.indices.tolist() == [0, 1]
    with pytest.raises(ValueError, match="0..1 for unit 0"):
        session.select_spikes(0, [2])
    session.select_spikes(0, [])
    assert session.spike_selection is None


def test_a_view_asks_for_an_idle_overview_once_and_close_forgets_it(recording, tmp_path):
    from app.model.display_pyramid import DisplayPyramid
    from app.model.window_source import IDLE, NO_OVERVIEW, REQUESTED, OverviewState

    session = Session()
    session.open(recording=recording)
    requests = []
    session.signals.overview.connect(lambda state: requests.append(state.status))
    pyramid = DisplayPyramid(recording, tmp_path, private=True)
    session.set_overview(OverviewState(IDLE, pyramid))
    session.request_overview()
    session.request_overview()  # already requested: nothing more
    assert requests == [IDLE, REQUESTED] and session.overview.pyramid is pyramid
    session.close()
    assert session.overview.status == NO_OVERVIEW and session.overview.pyramid is None


def test_unit_order_survives_a_curation_of_the_units(recording, sorting):
    session = Session()
    session.open(recording=recording, sorting=sorting)
    session.set_unit_order([2, 0, 1])
    merged = si.NumpySorting.from_unit_dict(
        {2: np.array([19_000]), 7: np.array([10, 100, 500])}, sampling_frequency=10_000.0
    )
    session.replace_sorting(merged)
    assert session.ordered_unit_ids() == [2, 7]


def test_a_folder_sorting_with_a_late_spike_in_its_last_segment_is_refused(tmp_path):
    two = si.generate_recording(num_channels=2, durations=[1.0, 1.0], sampling_frequency=10_000.0)
    spikes = {0: np.array([5, 9_000]), 1: np.array([10_500]), 2: np.array([7])}
    sorting = si.NumpySorting.from_unit_dict([spikes, spikes], sampling_frequency=10_000.0)
    saved = sorting.save(folder=tmp_path / "sorting")  # memory-mapped spike vector
    session = Session()
    session.open(recording=two)
    with pytest.raises(ValueError, match="sample 10500 of segment 0, which has 10000 samples"):
        session.add(sorting=saved)
    fits = si.NumpySorting.from_unit_dict(
        [{0: np.array([5, 9_999])}, {0: np.array([0, 9_000])}], sampling_frequency=10_000.0
    ).save(folder=tmp_path / "fits")
    session.add(sorting=fits)
    assert session.sorting is fits
