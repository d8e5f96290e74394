"""ChannelRows: channels listed by depth or selection, and the screenful of rows (no Qt)."""

import numpy as np

from app.model.channel_rows import ChannelRows, fitting_channels_per_screen

ORDER = np.arange(100)[::-1]  # recording index 99 is the deepest


def test_defaults_show_all_small_probes_and_48_rows_of_large_ones():  # until the view fits them
    assert ChannelRows(np.arange(32)).count == 32
    rows = ChannelRows(ORDER)
    assert (rows.count, rows.first, rows.total) == (48, 0, 100)
    np.testing.assert_array_equal(rows.visible(), ORDER[:48])


def test_scrolling_is_clamped_to_the_list():
    rows = ChannelRows(ORDER, channels_per_screen=30)
    rows.scroll(90)
    assert rows.first == 70
    rows.scroll(-200)
    assert rows.first == 0
    rows.scroll_to(50)
    np.testing.assert_array_equal(rows.visible(), ORDER[50:80])


def test_channels_per_screen_keeps_the_anchor_row_in_place():
    rows = ChannelRows(ORDER, channels_per_screen=40)
    rows.scroll_to(20)  # rows 20..59
    rows.set_channels_per_screen(20, anchor=50)  # row 50 was 3/4 up the screen
    assert rows.first == 35 and (50 - rows.first) / rows.count == 0.75


def test_zoom_steps_through_round_counts():
    rows = ChannelRows(ORDER)
    rows.zoom(1)
    assert rows.count == 32
    rows.zoom(2)
    assert rows.count == 16
    rows.zoom(-10)
    assert rows.count == 100  # no more rows than channels


def test_reveal_centres_selected_channels_off_screen():
    rows = ChannelRows(ORDER, channels_per_screen=20)
    rows.set_selection(ORDER[[60, 64]])
    assert rows.reveal_selection()
    assert rows.first == 52  # rows 60 and 64 in the middle of 52..71
    assert not rows.reveal_selection()  # already on screen


def test_reveal_of_a_selection_taller_than_the_screen_keeps_a_visible_one():
    rows = ChannelRows(ORDER, channels_per_screen=10)
    rows.set_selection(ORDER[[5, 50]])
    assert not rows.reveal_selection()  # row 5 is on screen
    rows.scroll_to(20)
    assert rows.reveal_selection() and rows.first == 0  # centred on row 5, clamped


def test_selected_only_lists_the_selection_by_depth():
    rows = ChannelRows(ORDER)
    rows.set_selection([3, 97, 50])
    rows.set_selected_only(True)
    np.testing.assert_array_equal(rows.shown, [97, 50, 3])
    assert (rows.count, rows.channels_per_screen) == (3, 48)
    assert rows.position_of(50) == 1 and rows.position_of(10) is None
    rows.set_selection([])
    assert rows.total == 100


def test_channels_per_screen_that_fit_a_height():
    assert fitting_channels_per_screen(840, 384) == 64  # 840 // 12 - 1 = 69 rows
    assert fitting_channels_per_screen(400, 384) == 32
    assert fitting_channels_per_screen(840, 50) == 50  # all of them fit
    assert fitting_channels_per_screen(10, 384) == 1


def test_reveal_any_channels():
    rows = ChannelRows(ORDER, channels_per_screen=10)
    assert rows.reveal([ORDER[70]]) and rows.first == 65
    assert not rows.reveal([ORDER[66]]) and not rows.reveal([12345])
