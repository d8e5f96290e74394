"""After a curation action the amplitudes and templates views keep what still holds (the data
of units the action left) and draw what changed; what they show equals a view drawn afresh."""

import numpy as np
import pytest

from app.model.curation_reuse import same_unit_spikes
from app.views import amplitudes as amplitudes_module
from app.views.amplitudes import AmplitudesView
from app.views.templates import TemplateView
from tests.app.folders_window import draw_units, window_on_folders, write_ground_truth_folders

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return write_ground_truth_folders(tmp_path_factory.mktemp("view-reuse"), num_units=5, seed=11)


@pytest.fixture
def window(qtbot, tmp_path, folders):
    with window_on_folders(qtbot, tmp_path, folders) as window:
        yield window


def dots(view: AmplitudesView) -> list:
    """``(unit_id, x, y, colour)`` of each unit's visible dots."""
    items = view.dot_items
    assert all(item.isVisible() for item in items)
    return [(u.unit_id, i.x, i.y, i.color().name()) for u, i in zip(view.units, items)]


def assert_same_dots(mine: list, fresh: list) -> None:
    assert [d[0] for d in mine] == [d[0] for d in fresh]
    for (_, x, y, color), (_, fx, fy, fcolor) in zip(mine, fresh):
        np.testing.assert_array_equal(x, fx)
        np.testing.assert_array_equal(y, fy)
        assert color == fcolor


def fresh_amplitudes(qtbot, session) -> list:
    fresh = AmplitudesView(session)
    qtbot.addWidget(fresh)
    try:
        qtbot.waitUntil(lambda: [u.unit_id for u in fresh.units] == list(session.selected_unit_ids))
        return dots(fresh)
    finally:
        fresh.shutdown()


def act(qtbot, window, view, name: str) -> None:
    """Trigger an action; wait until the views show its units on their estimated channels (a
    new unit is drawn at once on a provisional channel, again if its estimate differs)."""
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        window.menus.actions[name].trigger()
    qtbot.waitUntil(lambda: window.unit_channels.job is None, timeout=20_000)
    assert view.wait_until_idle()
    qtbot.wait(50)  # a redraw on the estimated channel is delivered
    assert view.wait_until_idle()
    qtbot.waitUntil(
        lambda: [u.unit_id for u in view.units] == list(window.session.selected_unit_ids)
    )


def test_amplitudes_keep_the_units_an_action_left_and_equal_a_fresh_drawing(qtbot, window):
    session = window.session
    view = window.views["amplitudes"]
    ids = session.sorting.unit_ids.tolist()
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        session.select_units(ids[:2])
    qtbot.waitUntil(lambda: [u.unit_id for u in view.units] == ids[:2])
    before, items = view.units, view.dot_items
    # a label: the same amplitudes, the same items
    act(qtbot, window, view, "label_good")
    assert all(a is b for a, b in zip(view.units, before))
    assert all(a is b for a, b in zip(view.dot_items, items))
    assert_same_dots(dots(view), fresh_amplitudes(qtbot, session))
    # a merge: the merged unit's dots, in an item of the pool; the other item is hidden
    act(qtbot, window, view, "merge")
    (merged,) = set(session.sorting.unit_ids.tolist()) - set(ids)
    assert [u.unit_id for u in view.units] == [merged]
    assert view.dot_items[0] in items
    assert sum(item.isVisible() for item in items) == 1
    assert_same_dots(dots(view), fresh_amplitudes(qtbot, session))
    # undo, and the two units selected again: their dots, as a fresh view draws them
    window.menus.actions["undo"].trigger()
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        session.select_units(ids[:2])
    qtbot.waitUntil(lambda: [u.unit_id for u in view.units] == ids[:2])
    assert sum(item.isVisible() for item in items) == 2
    assert_same_dots(dots(view), fresh_amplitudes(qtbot, session))


def test_templates_keep_the_units_an_action_left_and_equal_a_fresh_drawing(qtbot, window):
    session = window.session
    ids = session.sorting.unit_ids.tolist()
    view = draw_units(qtbot, window, ids[1:3])
    mean = view._unit_items[ids[1]]["mean"]

    def fresh_curves() -> dict:
        fresh = TemplateView(session)
        qtbot.addWidget(fresh)
        try:
            wanted = list(session.selected_unit_ids)
            qtbot.waitUntil(lambda: fresh.drawn_unit_ids() == wanted, timeout=20_000)
            return {u: fresh.unit_curve(u) for u in wanted}
        finally:
            fresh.shutdown()

    def assert_fresh() -> None:
        for unit_id, (x, y) in fresh_curves().items():
            mine = view.unit_curve(unit_id)
            np.testing.assert_array_equal(mine[0], x)
            np.testing.assert_array_equal(mine[1], y)

    # a label draws nothing again: the items stay
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        window.menus.actions["label_good"].trigger()
    assert view._unit_items[ids[1]]["mean"] is mean
    assert_fresh()
    # a removal of another unit: the selected units are not read again
    sorting = session.sorting
    session.select_units([ids[4]])
    window.menus.actions["remove"].trigger()
    assert same_unit_spikes(sorting, session.sorting, ids[1])
    draw_units(qtbot, window, ids[1:3])
    assert_fresh()
    # a merge: the merged unit, cut from its spikes
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        window.menus.actions["merge"].trigger()
    (merged,) = set(session.sorting.unit_ids.tolist()) - set(ids)
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == [merged], timeout=20_000)
    assert_fresh()


def pick_half_of_a_drawn_unit(qtbot, session, view: AmplitudesView):
    """Select the third unit, wait until the amplitudes view draws it, pick every other spike
    of it (as a lasso would, for a split); returns the unit's channel."""
    unit = session.sorting.unit_ids.tolist()[2]
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        session.select_units([unit])
    qtbot.waitUntil(lambda: [u.unit_id for u in view.units] == [unit])
    count = session.sorting.count_num_spikes_per_unit()[unit]
    session.select_spikes(unit, np.arange(0, count, 2))
    return session.unit_channel_ids[unit]


def record_amplitude_reads(monkeypatch, on_a_channel_only: bool = False) -> list:
    """The units whose amplitudes the amplitudes view reads from now on (only the reads given a
    channel, when ``on_a_channel_only``), in order."""
    read = []
    original = amplitudes_module.unit_amplitudes

    def recorded(sorting, unit_id, *args, **kwargs):
        if not on_a_channel_only or kwargs.get("channel_id") is not None:
            read.append(unit_id)
        return original(sorting, unit_id, *args, **kwargs)

    monkeypatch.setattr(amplitudes_module, "unit_amplitudes", recorded)
    return read


def test_split_parts_take_their_amplitudes_from_the_unit_on_display(qtbot, window, monkeypatch):
    session = window.session
    view = window.views["amplitudes"]
    channel = pick_half_of_a_drawn_unit(qtbot, session, view)
    # a read before the part's channel is known fails at once: not counted
    read = record_amplitude_reads(monkeypatch, on_a_channel_only=True)
    before = set(session.sorting.unit_ids.tolist())
    window.menus.actions["split"].trigger()
    parts = sorted(set(session.sorting.unit_ids.tolist()) - before)
    qtbot.waitUntil(lambda: all(p in session.unit_channel_ids for p in parts), timeout=20_000)
    assert view.wait_until_idle(20.0)  # the refresh the channels asked for
    # a part whose channel is the split unit's takes its amplitudes; the others are read
    same = {p for p in parts if session.unit_channel_ids[p] == channel}
    assert same
    qtbot.waitUntil(lambda: sorted(u.unit_id for u in view.units) == parts, timeout=20_000)
    assert not set(read) & same
    assert set(parts) - same <= set(read)
    monkeypatch.undo()
    assert_same_dots(dots(view), fresh_amplitudes(qtbot, session))


def test_new_units_are_drawn_on_their_parts_channel_before_the_estimate_ends(
    qtbot, window, monkeypatch
):
    """While the estimate of a split part's channel runs (held here), the amplitudes view
    draws the parts on their unit's channel from its amplitudes (no reading); once the
    estimate ends, a part whose channel differs is read on its own channel, and the dots
    equal a fresh view's."""
    import threading

    import app.unit_channels_runner as runner_module

    session = window.session
    view = window.views["amplitudes"]
    channel = pick_half_of_a_drawn_unit(qtbot, session, view)
    release = threading.Event()
    estimate = runner_module.estimate_unit_templates

    def held_estimate(*args, **kwargs):
        release.wait(20)
        return estimate(*args, **kwargs)

    monkeypatch.setattr(runner_module, "estimate_unit_templates", held_estimate)
    read = record_amplitude_reads(monkeypatch)
    before = set(session.sorting.unit_ids.tolist())
    try:
        window.menus.actions["split"].trigger()
        parts = sorted(set(session.sorting.unit_ids.tolist()) - before)
        qtbot.waitUntil(lambda: sorted(u.unit_id for u in view.units) == parts, timeout=20_000)
        assert not any(p in session.unit_channel_ids for p in parts)  # still estimating
        assert read == []  # taken from the unit's amplitudes, read on its channel
    finally:
        release.set()
    qtbot.waitUntil(lambda: all(p in session.unit_channel_ids for p in parts), timeout=20_000)
    assert view.wait_until_idle()
    qtbot.wait(50)
    assert view.wait_until_idle()
    differ = {p for p in parts if session.unit_channel_ids[p] != channel}
    assert set(read) == differ
    monkeypatch.undo()
    assert_same_dots(dots(view), fresh_amplitudes(qtbot, session))
