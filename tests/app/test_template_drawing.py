"""The templates view's drawing, planned off the GUI thread (`app.views.template_drawing`):
paths equal pyqtgraph's curves of the same data, units drawn the same way keep their drawing,
a curation action replaces only the items of the units it changed, the newest request wins."""

import threading

import numpy as np
import pyqtgraph as pg
import pytest

from app.model.session import Session
from app.model.template_geometry import contact_pitch
from app.model.waveform_source import WaveformSource
from app.views import template_items
from app.views import templates as templates_module
from app.views.template_drawing import Curve, DrawSettings, plan_drawing
from app.views.template_items import PathItem, band_path
from app.views.templates import TemplateView
from tests.app.folders_window import draw_units, window_on_folders, write_ground_truth_folders
from tests.app.ground_truth import two_shank_ground_truth

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture(scope="module")
def ground_truth():
    """16 channels on two shanks, 5 units, 3 s."""
    return two_shank_ground_truth()


@pytest.fixture(scope="module")
def source(ground_truth):
    recording, sorting = ground_truth
    return WaveformSource(recording=recording, sorting=sorting)


def settings_for(source: WaveformSource, **changes) -> DrawSettings:
    values = dict(
        mode="probe", gain=1.0, show_std=True, channel_count=6, waveform_count=7,
        pitch=contact_pitch(source.layout), sparsity=None,
    )  # fmt: skip
    values.update(changes)
    return DrawSettings(**values)


def pyqtgraph_path(x: np.ndarray, y: np.ndarray):
    """The path a PlotCurveItem draws for NaN-broken arrays (the view's former curves)."""
    return pg.PlotCurveItem(x, y, connect="finite", skipFiniteCheck=False).getPath()


def test_paths_equal_the_curves_pyqtgraph_builds_from_the_same_data(source, ground_truth):
    recording, sorting = ground_truth
    units = [source.load(u, 7) for u in sorting.unit_ids[:2].tolist()]
    for mode in ("probe", "flat"):
        drawing = plan_drawing(source.layout, units, settings_for(source, mode=mode))
        placement, index = drawing.placement, drawing.placement.index()
        for unit in units:
            drawn = drawing.unit_drawings[unit.unit_id]
            on = list(drawn.channels)
            columns = [list(unit.channel_ids).index(c) for c in on]
            positions = np.array([index[c] for c in on])
            x, y = placement.xy(unit.times_ms(), unit.template[:, columns], positions)
            gap = np.full((len(on), 1), np.nan)
            flat_x = np.concatenate([x, gap], axis=1).ravel()
            flat_y = np.concatenate([y, gap], axis=1).ravel()
            np.testing.assert_array_equal(drawn.mean.x, flat_x)
            np.testing.assert_array_equal(drawn.mean.y, flat_y)
            assert drawn.mean.path == pyqtgraph_path(flat_x, flat_y)
            assert drawn.mean.path.elementCount() == len(on) * (unit.num_samples + 1)
            assert drawn.outside.x.size == 0 and drawn.outside.path.isEmpty()
            waves = drawn.waveforms
            assert drawn.waveform_count == 7
            assert np.count_nonzero(np.isnan(waves.y)) == 7 * len(on)
            assert waves.path == pyqtgraph_path(waves.x, waves.y)
            std = unit.std[:, columns]
            _, upper = placement.xy(unit.times_ms(), unit.template[:, columns] + std, positions)
            _, lower = placement.xy(unit.times_ms(), unit.template[:, columns] - std, positions)
            assert drawn.band == band_path(x, upper, lower)
            assert drawn.mean.rect == drawn.mean.path.controlPointRect()


def test_an_empty_curve_has_no_path():
    curve = Curve.of(np.empty((0, 0)), np.empty((0, 0)))
    assert curve.x.size == 0 and curve.path.isEmpty() and curve.rect.isNull()


def test_units_drawn_the_same_way_keep_their_drawing(source, ground_truth):
    _, sorting = ground_truth
    first, second = (source.load(u, 7) for u in sorting.unit_ids[:2].tolist())
    settings = settings_for(source)
    before = plan_drawing(source.layout, [first, second], settings)
    again = plan_drawing(source.layout, [first, second], settings, previous=before)
    assert again.placement is before.placement
    for unit_id, drawing in again.unit_drawings.items():
        assert drawing is before.unit_drawings[unit_id]
    # another gain moves every curve: nothing is kept
    scaled = plan_drawing(source.layout, [first, second], settings_for(source, gain=2.0), before)
    assert all(scaled.unit_drawings[u] is not before.unit_drawings[u] for u in (0, 1))
    # another waveform count changes only the waveforms: a new drawing of each unit
    fewer = plan_drawing(source.layout, [first, second], settings_for(source, waveform_count=3))
    assert fewer.unit_drawings[first.unit_id].waveform_count == 3
    # the same unit id read again (other spikes, e.g. after a curation): drawn again
    reread = WaveformSource(recording=source.recording, sorting=source.sorting).load(0, 7)
    other = plan_drawing(source.layout, [reread, second], settings, previous=before)
    assert other.unit_drawings[0] is not before.unit_drawings[0]
    assert other.unit_drawings[1] is before.unit_drawings[1]


def test_a_drawing_needs_units_and_a_pitch_on_the_probe(source, ground_truth):
    unit = source.load(ground_truth[1].unit_ids[0], 7)
    with pytest.raises(ValueError, match="units"):
        plan_drawing(source.layout, [], settings_for(source))
    with pytest.raises(ValueError, match="pitch"):
        plan_drawing(source.layout, [unit], settings_for(source, pitch=None))
    assert plan_drawing(source.layout, [unit], settings_for(source, mode="flat", pitch=None))


def test_the_newest_request_wins(qtbot, ground_truth, monkeypatch):
    recording, sorting = ground_truth
    session = Session()
    session.open(recording=recording, sorting=sorting)
    view = TemplateView(session)
    qtbot.addWidget(view)
    first, second, third = sorting.unit_ids[:3].tolist()
    release, loads, shown = threading.Event(), [], []
    original_load = WaveformSource.load

    def load(source, unit_id, num_waveforms):
        loads.append(unit_id)
        if unit_id == first:
            release.wait(20)
        return original_load(source, unit_id, num_waveforms)

    monkeypatch.setattr(WaveformSource, "load", load)
    original_show = view._show
    monkeypatch.setattr(view, "_show", lambda d: (shown.append(view_ids(d)), original_show(d)))
    try:
        session.select_units([first])
        qtbot.waitUntil(lambda: loads == [first])
        session.select_units([second])  # waits behind the first, then is replaced
        session.select_units([third])
        with qtbot.waitSignal(view.drawn, timeout=20_000):
            release.set()
        qtbot.waitUntil(lambda: view.drawn_unit_ids() == [third], timeout=20_000)
        view.wait_until_idle()
        qtbot.wait(50)
        assert second not in loads  # never read: a newer request replaced it
        assert shown == [[third]]  # the first one's drawing was dropped
    finally:
        release.set()
        view.shutdown()


def view_ids(drawing) -> list:
    return [u.unit_id for u in drawing.units]


# --------------------------------------------------------------------------- curation actions
@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return write_ground_truth_folders(tmp_path_factory.mktemp("template-items"), 5, seed=11)


@pytest.fixture
def window(qtbot, tmp_path, folders):
    with window_on_folders(qtbot, tmp_path, folders) as window:
        yield window


def path_items(view: TemplateView) -> set:
    return {item for item in view.viewbox.addedItems if isinstance(item, PathItem)}


def test_a_curation_action_replaces_only_the_items_of_units_it_changed(qtbot, window, monkeypatch):
    session = window.session
    ids = session.sorting.unit_ids.tolist()
    view = draw_units(qtbot, window, ids[1:3])
    items, drawings = path_items(view), {u: view._unit_items[u]["drawing"] for u in ids[1:3]}
    given = []
    original = template_items.PathItem.set_path
    monkeypatch.setattr(
        template_items.PathItem,
        "set_path",
        lambda item, path, rect: (given.append(item), original(item, path, rect)),
    )
    # a label: nothing drawn changes, no path is handed to an item
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        window.menus.actions["label_good"].trigger()
    view.wait_until_idle()
    qtbot.wait(50)
    assert view.drawn_unit_ids() == ids[1:3]
    assert all(view._unit_items[u]["drawing"] is drawings[u] for u in ids[1:3])
    unit_items = {view._unit_items[u][part] for u in ids[1:3] for part in ("mean", "band")}
    assert not unit_items & set(given)
    # a merge: the merged unit is drawn in the items the two units left (no new item)
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        window.menus.actions["merge"].trigger()
    (merged,) = set(session.sorting.unit_ids.tolist()) - set(ids)
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == [merged], timeout=20_000)
    assert path_items(view) == items
    assert view._unit_items[merged]["mean"] in items
    visible = [i for i in items if i.isVisible() and not i.path().isEmpty()]
    assert {i for i in visible if 5 < i.zValue() < 30} == {
        view._unit_items[merged]["mean"], view._unit_items[merged]["halo"]
    }  # fmt: skip


def test_after_a_curation_action_only_the_new_source_is_read(qtbot, window, monkeypatch):
    session = window.session
    view = window.views["templates"]
    ids = session.sorting.unit_ids.tolist()
    with qtbot.waitSignal(view.drawn, timeout=20_000):
        session.select_units(ids[:2])
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == ids[:2], timeout=20_000)
    asked = []
    original = templates_module._read_and_plan
    monkeypatch.setattr(
        templates_module,
        "_read_and_plan",
        lambda source, unit_ids, *rest: (
            asked.append((source, list(unit_ids))) or original(source, unit_ids, *rest)
        ),
    )
    window.menus.actions["merge"].trigger()
    (merged,) = set(session.sorting.unit_ids.tolist()) - set(ids)
    qtbot.waitUntil(lambda: view.drawn_unit_ids() == [merged], timeout=20_000)
    # the old source (whose sorting lacks the merged unit) is never asked for it
    assert asked == [(view._source, [merged])]
