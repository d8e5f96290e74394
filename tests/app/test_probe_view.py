"""ProbeView, the probe dialogs and the Probe menu (pytest-qt, offscreen), on the demo probe."""

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt

import core as si
from app.dialogs.probe import GenerateProbeDialog, WiringDialog
from app.dialogs.probe_menu import ProbeMenu
from app.model.demo import make_demo_dataset
from app.model.probe_editor import ProbeEditor
from app.model.session import Session
from app.theme import current_theme
from app.views.probe import ProbeView

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SHANK_0 = [(-20, -20), (40, -20), (40, 160), (-20, 160)]  # around the 16 contacts of shank 0


@pytest.fixture(scope="module")
def demo_recording():
    return make_demo_dataset(duration_s=1.0).recording


@pytest.fixture
def recording(demo_recording):
    return demo_recording.clone()


@pytest.fixture
def session(recording):
    session = Session()
    session.open(recording=recording, source="demo")
    return session


@pytest.fixture
def editor(recording):
    return ProbeEditor(recording)


def make_view(qtbot, session, editor=None) -> ProbeView:
    view = ProbeView(session, editor=editor)
    qtbot.addWidget(view)
    view.resize(500, 800)
    view.show()
    qtbot.waitExposed(view)
    view.zoom_to_fit()
    return view


# --------------------------------------------------------------------------- drawing
def test_demo_probe_draws_every_contact_and_the_contour(qtbot, session):
    view = make_view(qtbot, session)
    assert view.contact_count() == 64 and view.contour_count() == 1


def test_colours_follow_groups(qtbot, session, recording):
    view = make_view(qtbot, session)
    theme, groups = current_theme(), recording.get_channel_groups()
    colors = view.contact_colors()
    assert all(colors[c] == theme.group_color(g) for c, g in zip(recording.channel_ids, groups))
    assert len({colors[c].rgb() for c in (0, 16, 32, 48)}) == 4


def test_colour_by_shank(qtbot, session, editor):
    editor.assign_group(list(range(64)), 0)
    view = make_view(qtbot, session, editor)
    view.set_color_mode("shank")
    assert view.contact_colors()[63] == current_theme().group_color(3)


def test_labels_appear_only_when_zoomed_in(qtbot, session):
    view = make_view(qtbot, session)
    assert not view.labels_visible()
    x, y = view.contact_position(20)
    view.viewbox.setRange(QRectF(x - 50, y - 50, 100, 100), padding=0)
    qtbot.waitUntil(view.labels_visible)


def test_bad_channels_are_greyed(qtbot, session, recording):
    recording.set_property("bad_channel", np.arange(64) == 5)
    view = make_view(qtbot, session)
    assert view.contact_colors()[5] == current_theme().bad_channel
    assert view.contact_colors()[6] != current_theme().bad_channel


def test_selected_contacts_are_outlined(qtbot, session):
    view = make_view(qtbot, session)
    session.select_channels([3, 40])
    assert sorted(view.outlined_channel_ids()) == [3, 40]


def test_a_restyle_of_every_contact_makes_each_pen_once(qtbot, session, monkeypatch):
    """Hundreds of contacts change pen when units are shown or go: one pen per style."""
    import app.views.probe as probe_module

    view = make_view(qtbot, session)
    made = []
    pen = probe_module._pen
    monkeypatch.setattr(probe_module, "_pen", lambda *a, **k: made.append(a) or pen(*a, **k))
    session.select_channels([3, 40])  # two contacts highlighted, the others keep theirs
    assert len(made) == 1
    made.clear()
    view._restyle()  # nothing changed: no pen is set, none made
    assert made == []
    view._style_inputs = None  # every contact restyled: normal and highlight pens, once each
    view._item_styles.clear()
    view._restyle()
    assert len(made) == 2
    assert sorted(view.outlined_channel_ids()) == [3, 40]


def test_recording_without_locations_shows_a_message(qtbot):
    session = Session()
    session.open(recording=si.NumpyRecording(np.zeros((10, 2)), sampling_frequency=1000.0))
    view = make_view(qtbot, session)
    assert view.contact_count() == 0 and "No probe" in view._message.text()


# --------------------------------------------------------------------------- selection
def test_clicking_a_contact_selects_its_channel(qtbot, session):
    view = make_view(qtbot, session)
    position = view.viewport_position(*view.contact_position(20))
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=position)
    assert session.selected_channel_ids == (20,)


def test_ctrl_click_adds_and_removes(qtbot, session):
    view = make_view(qtbot, session)
    session.select_channels([1])
    viewport, ctrl = view.plot_widget.viewport(), Qt.KeyboardModifier.ControlModifier
    position = view.viewport_position(*view.contact_position(33))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, ctrl, pos=position)
    assert session.selected_channel_ids == (1, 33)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, ctrl, pos=position)
    assert session.selected_channel_ids == (1,)


def test_clicking_away_from_contacts_clears_the_selection(qtbot, session):
    view = make_view(qtbot, session)
    session.select_channels([1])
    view.select_at(1000.0, 1000.0)
    assert session.selected_channel_ids == ()


def test_lasso_selects_the_contacts_inside(qtbot, session):
    view = make_view(qtbot, session)
    view.select_in_polygon(SHANK_0)
    assert sorted(session.selected_channel_ids) == list(range(16))
    view.select_in_polygon([(x + 150, y) for x, y in SHANK_0], add=True)
    assert sorted(session.selected_channel_ids) == list(range(32))


def test_lasso_mode_toggle(qtbot, session):
    view = make_view(qtbot, session)
    view.lasso_action.trigger()
    assert view.viewbox.lasso_mode


# --------------------------------------------------------------------------- editor
def test_editor_edits_redraw_and_undo_restores_colours(qtbot, session, editor):
    view = make_view(qtbot, session, editor)
    before = view.contact_colors()
    editor.mark_bad([7])
    editor.assign_group([8], 9)
    assert view.contact_colors()[7] == current_theme().bad_channel
    assert view.contact_colors()[8] == current_theme().group_color(9)
    editor.undo()
    editor.undo()
    assert view.contact_colors() == before


def test_generated_layout_is_drawn(qtbot, session, editor):
    view = make_view(qtbot, session, editor)
    editor.generate_layout("tetrodes")
    assert view.contact_count() == 64 and view.contour_count() == 16


# --------------------------------------------------------------------------- dialogs
def test_generate_dialog_previews_contacts(qtbot):
    dialog = GenerateProbeDialog(64)
    qtbot.addWidget(dialog)
    dialog.set_kind("multi_shank")
    assert dialog.preview_text() == "64 contacts on 4 shank(s) for 64 channels"
    dialog.set_parameter("num_shanks", 5)
    assert "16 contacts too many" in dialog.preview_text()
    assert dialog.parameters()["num_shanks"] == 5


def test_wiring_dialog_validates_live(qtbot, editor):
    dialog = WiringDialog(editor.probegroup, editor.recording.channel_ids)
    qtbot.addWidget(dialog)
    assert dialog.error_text() == ""
    dialog.set_device_channel(1, 0)
    assert dialog.error_text() == "device channel 0 is wired to contacts 0 and 1"
    dialog.set_device_channel(1, 64)
    assert "contact 1: device channel 64 is outside 0..63" in dialog.error_text()
    dialog.set_device_channel(1, 1)
    assert dialog.device_channel_indices().tolist() == list(range(64))


# --------------------------------------------------------------------------- menu
@pytest.fixture
def menu(qtbot, session, editor):
    menu = ProbeMenu(session, editor)
    qtbot.addWidget(menu.menu)
    return menu


def test_undo_action_follows_the_editor(menu, editor, session):
    assert not menu.actions["undo"].isEnabled() and not menu.actions["mark_bad"].isEnabled()
    session.select_channels([2])
    menu.actions["mark_bad"].trigger()
    assert editor.bad_channel_ids == {2}
    assert menu.actions["undo"].isEnabled()
    assert menu.actions["undo"].text() == "&Undo Mark 1 channel(s) bad"
    menu.actions["undo"].trigger()
    assert editor.bad_channel_ids == set() and menu.actions["redo"].isEnabled()


def test_load_via_the_file_dialog_and_errors_name_the_file(menu, editor, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(
        "app.dialogs.probe_menu.QMessageBox.critical", lambda *args: errors.append(args[2])
    )
    path = tmp_path / "broken.json"
    path.write_text("{")
    menu.file_dialog = lambda *args: str(path)
    menu.actions["load"].trigger()
    assert len(errors) == 1 and str(path) in errors[0] and not editor.can_undo


def test_save_and_load_json(menu, editor, tmp_path):
    editor.set_wiring(np.arange(64)[::-1])
    menu.file_dialog = lambda *args: str(tmp_path / "saved")
    menu.actions["save"].trigger()
    editor.undo()
    menu.file_dialog = lambda *args: str(tmp_path / "saved.json")
    menu.actions["load"].trigger()
    assert editor.device_channel_indices.tolist() == list(range(64))[::-1]


def test_generate_through_the_dialog(menu, editor):
    def accept(dialog):
        dialog.set_kind("linear")
        return True

    menu.run_dialog = accept
    menu.actions["generate"].trigger()
    assert editor.history == ["Generate linear layout"]


def test_apply_new_object_replaces_the_session_recording(menu, editor, session, recording):
    editor.mark_bad([3])
    menu.actions["apply_new"].trigger()
    assert session.recording is not recording
    assert session.recording.get_property("bad_channel")[3]
    assert editor.recording is session.recording and not editor.can_undo


def test_apply_in_place_redraws_the_view(qtbot, menu, editor, session, recording):
    view = make_view(qtbot, session)  # draws the session's recording, not the editor
    editor.assign_group([0], 6)
    menu.actions["apply_in_place"].trigger()
    assert session.recording is recording and recording.get_channel_groups()[0] == 6
    assert view.contact_colors()[0] == current_theme().group_color(6)


def test_assign_group_asks_for_the_group(menu, editor, session):
    session.select_channels([0, 1])
    menu.group_dialog = lambda parent, suggested: suggested
    menu.actions["assign_group"].trigger()
    assert editor.groups[:2].tolist() == [4, 4]


# --------------------------------------------------------------------------- long probes
def neuropixels_recording() -> si.NumpyRecording:
    """384 channels on a Neuropixels 1.0-like shank: 4 staggered columns, 20 µm rows, 3.84 mm."""
    from probeinterface import Probe

    rows = np.arange(192) * 20.0
    positions = np.column_stack([np.tile([16.0, 48.0, 0.0, 32.0], 96), np.repeat(rows, 2)])
    probe = Probe(ndim=2, si_units="um")
    probe.set_contacts(positions=positions, shapes="square", shape_params={"width": 12})
    probe.create_auto_shape("tip")
    probe.set_device_channel_indices(np.arange(384))
    recording = si.NumpyRecording(np.zeros((100, 384), "int16"), sampling_frequency=30_000.0)
    return recording.set_probe(probe)


@pytest.fixture
def long_session():
    session = Session()
    session.open(recording=neuropixels_recording())
    return session


def test_axes_read_plain_micrometres_on_a_long_probe(qtbot, long_session):
    view = make_view(qtbot, long_session)  # make_view fits the whole 3.8 mm
    for name, text in (("left", "y (µm)"), ("bottom", "x (µm)")):
        axis = view.plot_widget.getAxis(name)
        assert axis.labelString().count("µm") == 1 and "kµm" not in axis.labelString()
        assert text in axis.labelString() and axis.autoSIPrefixScale == 1.0
    assert view.plot_widget.getAxis("left").tickStrings([3000.0], 1.0, 1000.0) == ["3000"]


def test_a_long_probe_is_framed_across_its_width_with_an_overview(qtbot, long_session):
    view = make_view(qtbot, long_session)
    view.frame()
    bottom, top = view.depth_range()
    assert 300 <= top - bottom <= 1000  # a few hundred µm, not the 3.8 mm sliver
    (left, right), _ = view.viewbox.viewRange()
    assert left <= 0 and right >= 48 and right - left < 250
    assert view.overview.isVisible()
    assert view.overview.shown_range() == pytest.approx((bottom, top), abs=1.0)
    view.zoom_to_fit()  # Fit: the whole probe
    bottom, top = view.depth_range()
    assert bottom <= 0 and top >= 3820


def test_a_long_probe_frames_and_follows_the_selection(qtbot, long_session):
    view = make_view(qtbot, long_session)
    long_session.select_channels([300])  # 3 mm up
    view.frame()
    bottom, top = view.depth_range()
    assert bottom < view.contact_position(300)[1] < top
    long_session.select_channels([10])
    bottom, top = view.depth_range()
    assert bottom < view.contact_position(10)[1] < top
    assert top - bottom < 1000  # the zoom is kept


def test_the_overview_band_and_clicks_move_the_view(qtbot, long_session):
    view = make_view(qtbot, long_session)
    view.frame()
    view.overview.band.setRegion((2000.0, 2400.0))
    assert view.depth_range() == pytest.approx((2000.0, 2400.0), abs=1.0)
    view.overview.centre_requested.emit(1000.0)
    bottom, top = view.depth_range()
    assert (bottom + top) / 2 == pytest.approx(1000.0, abs=1.0)


def test_a_short_probe_is_shown_whole_without_overview(qtbot, session):
    view = make_view(qtbot, session)
    view.frame()
    assert not view.overview.isVisible()
    bottom, top = view.depth_range()
    assert bottom < 0 and top > 140


# --------------------------------------------------------------------------- units overlay
@pytest.fixture
def units_session(demo_units):
    recording, sorting = demo_units
    session = Session()
    session.open(recording=recording, sorting=sorting)
    return session


@pytest.fixture(scope="module")
def demo_units():
    demo = make_demo_dataset(duration_s=2.0)
    return demo.recording, demo.sorting


def test_the_selected_units_sparsity_is_filled_in_its_colour(qtbot, units_session):
    recording, sorting = units_session.recording, units_session.sorting
    view = make_view(qtbot, units_session)
    radius = si.estimate_sparsity(recording, sorting, method="radius", radius_um=40.0)
    units_session.set_sparsity(radius)
    unit = sorting.unit_ids[5].item()
    units_session.select_units([unit])
    expected = radius.unit_id_to_channel_ids[unit].tolist()
    assert sorted(view.unit_channel_ids(unit)) == sorted(expected)
    color = current_theme().unit_color(units_session.unit_color_index(unit))
    colors = view.contact_colors()
    assert all(colors[c].rgb() == color.rgb() and colors[c].alpha() == 255 for c in expected)
    others = [c for c in recording.channel_ids.tolist() if c not in expected]
    assert all(colors[c].alpha() < 255 for c in others)  # faded


def test_the_overlay_follows_the_selection_and_the_method(qtbot, units_session):
    recording, sorting = units_session.recording, units_session.sorting
    view = make_view(qtbot, units_session)
    units_session.set_sparsity(si.estimate_sparsity(recording, sorting, radius_um=40.0))
    first, second = sorting.unit_ids[[2, 9]].tolist()
    units_session.select_units([first])
    before = view.unit_channel_ids(first)
    best = si.estimate_sparsity(recording, sorting, method="best_channels", num_channels=2)
    units_session.set_sparsity(best)
    assert sorted(view.unit_channel_ids(first)) == sorted(best.unit_id_to_channel_ids[first])
    assert len(view.unit_channel_ids(first)) == 2 != len(before)
    units_session.select_units([second])
    assert view.unit_channel_ids(first) == []
    assert sorted(view.unit_channel_ids(second)) == sorted(best.unit_id_to_channel_ids[second])
    units_session.select_units([])
    assert all(c.alpha() == 255 for c in view.contact_colors().values())  # groups again


def test_without_sparsity_the_units_extremum_channel_is_filled(qtbot, units_session):
    view = make_view(qtbot, units_session)
    unit = units_session.sorting.unit_ids[0].item()
    units_session.set_unit_channels({unit: 17})
    units_session.select_units([unit])
    assert view.unit_channel_ids(unit) == [17]
    view.set_units_shown(False)
    assert view.unit_channel_ids(unit) == []


# --------------------------------------------------------------------------- edited, not applied
def test_a_generated_layout_is_announced_until_applied(qtbot, session, editor):
    view = make_view(qtbot, session, editor)
    assert view.banner_text() == ""
    editor.generate_layout("tetrodes")
    assert "Edited — not applied" in view.banner_text() and "tetrodes" in view.banner_text()
    assert session.recording.get_probe().get_shank_count() == 4  # the recording is unchanged
    view._banner.apply_button.click()
    assert view.banner_text() == "" and len(session.recording.get_probegroup().probes) == 16


def test_discard_in_the_banner_goes_back_to_the_recordings_probe(qtbot, session, editor):
    view = make_view(qtbot, session, editor)
    before = view.contact_colors()
    editor.generate_layout("linear")
    view._banner.discard_button.click()
    assert view.banner_text() == "" and view.contact_count() == 64
    assert view.contact_colors() == before


def test_undo_after_apply_in_place_is_announced(qtbot, menu, editor, session, recording):
    view = make_view(qtbot, session, editor)
    editor.assign_group([0], 6)
    menu.actions["apply_in_place"].trigger()
    assert view.banner_text() == "" and recording.get_channel_groups()[0] == 6
    menu.actions["undo"].trigger()  # the view now shows what the recording does not have
    assert "Edited — not applied" in view.banner_text()
    assert recording.get_channel_groups()[0] == 6


@pytest.mark.parametrize("with_editor", [False, True])
def test_a_sorting_analyzer_without_its_recording_shows_its_probe(qtbot, si_fixtures, with_editor):
    folder = si_fixtures / "si_0.105.3" / "sorting_analyzer_binary_folder" / "analyzer"
    we = si.load_waveforms(folder, with_recording=False)
    session = Session()
    view = make_view(qtbot, session, ProbeEditor(None) if with_editor else None)
    assert view.contact_count() == 0
    session.open(sorting=we.sorting, waveform_extractor=we, source=str(folder))
    assert session.recording is None
    assert view.contact_count() == we.get_num_channels() == 16


def test_contact_paths_follow_every_vertex_of_the_contact_shape(qapp):
    from app.views.probe import _polygon_path

    angles = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    circle = np.column_stack([10 + 6 * np.cos(angles), 20 + 6 * np.sin(angles)])
    path = _polygon_path(circle)
    points = np.array([(path.elementAt(i).x, path.elementAt(i).y) for i in range(360)])
    np.testing.assert_allclose(points, circle)
    assert path.contains(QPointF(10, 20))
    assert not path.contains(QPointF(10, 26.5))
    assert (
        path.elementAt(path.elementCount() - 1).x,
        path.elementAt(path.elementCount() - 1).y,
    ) == (
        pytest.approx(circle[0, 0]),
        pytest.approx(circle[0, 1]),
    ), "the path is closed"
