"""Snippets panel: snippets of the trace window, coloured by the unit of their spike."""

import numpy as np
import pytest

import core as si
from app.model.session import Session
from app.views.snippets import FLAT, RANGE, SnippetsView, read_snippets


@pytest.fixture(scope="module")
def saved(demo, tmp_path_factory):
    """The demo's sorting and snippets saved as folders and reopened (real files)."""
    folder = tmp_path_factory.mktemp("snippets")
    demo.sorting.save(folder=folder / "sorting")
    demo.snippets.save(folder=folder / "snippets")
    return si.load_extractor(folder / "sorting"), si.load_extractor(folder / "snippets")


@pytest.fixture
def session(demo, saved):
    sorting, snippets = saved
    session = Session()
    session.open(recording=demo.recording, sorting=sorting, snippets=snippets, source="files")
    session.set_time_window(0.0, 1.0)
    return session


@pytest.fixture
def view(qtbot, session):
    view = SnippetsView(session)
    qtbot.addWidget(view)
    view.wait_until_idle()
    qtbot.waitUntil(lambda: view.selection is not None, timeout=5000)
    yield view
    view.shutdown()


def test_snippets_in_the_window_with_the_unit_of_their_spike(view, session, demo):
    selection = view.selection
    start, end = session.frame_window
    assert np.all((selection.frames >= start) & (selection.frames < end))
    # the demo cuts its snippets at the spikes of the sorting's first four units
    assert set(selection.unit_ids) <= set(demo.sorting.unit_ids[:4].tolist())
    assert len(selection.unit_ids) > 0
    assert len(view._curves) == len(set(selection.unit_ids))


def test_read_snippets_matches_the_recording_and_the_sorting(demo):
    snippets = demo.snippets
    selection = read_snippets(snippets, demo.sorting, 0, np.arange(5), [0, 1])
    frames = snippets.get_frames(indices=np.arange(5), segment_index=0)
    expected = demo.recording.get_traces(
        start_frame=int(frames[0]) - snippets.nbefore,
        end_frame=int(frames[0]) + snippets.nafter,
        channel_ids=[0, 1],
        return_scaled=selection.scaled,
    )
    np.testing.assert_allclose(selection.waveforms[0], expected, rtol=1e-5, atol=1e-3)
    spikes = demo.sorting.to_spike_vector()
    for frame, unit in zip(frames.tolist(), selection.unit_ids):
        at = spikes[spikes["sample_index"] == frame]
        assert unit in demo.sorting.unit_ids[at["unit_index"]].tolist()


def test_snippets_without_a_matching_sorting_are_unlabelled(demo):
    other = si.NumpySorting.from_unit_dict({0: np.array([1])}, demo.sorting.sampling_frequency)
    selection = read_snippets(demo.snippets, other, 0, np.arange(3), [0])
    assert selection.unit_ids == [None, None, None]


def test_probe_selection_chooses_the_channels(qtbot, view, session):
    with qtbot.waitSignal(view.drawn, timeout=5000):
        session.select_channels([3, 5])
    assert view.selection.channel_ids.tolist() == [3, 5]


def test_by_index_and_flat_layout(qtbot, view):
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.source_box.setCurrentText(RANGE)
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.count_spin.setValue(7)
    assert view.selection.indices.tolist() == list(range(7))
    with qtbot.waitSignal(view.drawn, timeout=5000):
        view.layout_box.setCurrentText(FLAT)
    assert view.plot_widget.getPlotItem().getAxis("bottom").labelText == "channel"


def test_without_snippets_the_panel_says_so(qtbot, demo):
    session = Session()
    session.open(recording=demo.recording)
    view = SnippetsView(session)
    qtbot.addWidget(view)
    assert "No snippets" in view.message.text()
    view.shutdown()
