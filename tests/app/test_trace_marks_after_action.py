"""Trace spike marks after a curation action: the curated units marked in their colours (the
new unit emphasised, the others dimmed), one frame asked for per action, and only the marks'
new colours made."""

import numpy as np
import pytest

from app.theme import current_theme
from app.views import spike_marker_colors
from app.views.spike_marker_colors import spike_marker_style
from core.curation import CurationSession
from tests.app import trace_view_helpers
from tests.app.trace_view_helpers import open_session, wait_drawn

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
make_view = trace_view_helpers.make_view


def argb(color):
    return 0xFF000000 | color.rgb() & 0xFFFFFF


@pytest.fixture
def curated(demo, tmp_path):
    """``(session, curation)``: unit ``i`` on channel ``(7 i) % 64``, units 0 and 1 selected."""
    curation = CurationSession(demo.sorting, journal_folder=tmp_path)
    session = open_session(recording=demo.recording, sorting=curation.sorting)
    channel_ids = demo.recording.channel_ids.tolist()
    unit_ids = demo.sorting.unit_ids.tolist()
    session.set_unit_channels({u: channel_ids[(7 * i) % 64] for i, u in enumerate(unit_ids)})
    session.select_units(unit_ids[:2])
    return session, curation


def merge_first_two(session, curation):
    a, b = session.sorting.unit_ids.tolist()[:2]
    channel = session.unit_channel_ids[a]
    merged = curation.merge([a, b])
    session.replace_sorting(curation.sorting, selected_unit_ids=[merged])
    session.set_unit_channels({**session.unit_channel_ids, merged: channel})
    return merged


def test_marks_are_recoloured_after_a_merge(qtbot, make_view, curated):
    session, curation = curated
    view = make_view(session)
    merged = merge_first_two(session, curation)
    wait_drawn(qtbot, view)
    marks = view.spike_marks()
    unit_ids = np.asarray(session.sorting.unit_ids.tolist())
    new = unit_ids[marks.unit_indices] == merged
    assert new.any() and (~new).any()
    theme = current_theme()
    assert set(marks.colors[new].tolist()) == {
        argb(theme.unit_color(session.unit_color_index(merged)))
    }
    assert np.all(marks.emphasised == new)
    # every mark in the colour a style made afresh gives its unit
    fresh = spike_marker_style(session, theme, view._spike_index)
    np.testing.assert_array_equal(marks.colors, fresh.colors[marks.unit_indices])


def test_one_frame_is_asked_for_per_action(qtbot, make_view, curated, monkeypatch):
    session, curation = curated
    view = make_view(session)
    requests = []
    request = view._fetcher.request
    monkeypatch.setattr(
        view._fetcher, "request", lambda *a, **k: requests.append(1) or request(*a, **k)
    )
    merge_first_two(session, curation)  # sorting, channels, hidden units, selection
    wait_drawn(qtbot, view)
    assert len(requests) == 1


def test_a_restyle_makes_only_colours_not_made_before(qtbot, make_view, curated, monkeypatch):
    session, curation = curated
    view = make_view(session)
    made = []
    mark_argb = spike_marker_colors._mark_argb
    monkeypatch.setattr(
        spike_marker_colors, "_mark_argb", lambda *a: made.append(a[1:]) or mark_argb(*a)
    )
    merged = merge_first_two(session, curation)
    wait_drawn(qtbot, view)
    # the other units stay dimmed in colours made before: only the new unit's colour is made
    assert made == [(session.unit_color_index(merged), False)]
