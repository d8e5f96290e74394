"""Waveform layouts: boxes at the contacts or side by side, one NaN-broken polyline."""

import numpy as np
import pytest

from app.model.waveform_layout import BOX_FILL, flat_layout, probe_layout


def test_probe_boxes_are_centred_on_the_contacts_and_fit_the_pitch():
    positions = np.array([[0.0, 0.0], [32.0, 0.0], [0.0, 20.0], [32.0, 20.0]])
    layout = probe_layout(positions)
    assert layout.width == pytest.approx(BOX_FILL * 32.0) and layout.height == 20.0
    np.testing.assert_allclose(layout.x0 + layout.width / 2, positions[:, 0])
    np.testing.assert_allclose(layout.y0, positions[:, 1])


def test_a_single_contact_gets_a_default_box():
    layout = probe_layout(np.array([[5.0, 7.0]]))
    assert layout.width > 0 and layout.height > 0


def test_place_draws_each_channel_in_its_box_with_nan_breaks():
    layout = flat_layout(2, width=1.0)
    waveforms = np.array([[0.0, 1.0], [1.0, -1.0], [0.0, 0.5]])  # 3 samples, 2 channels
    x, y = layout.place(waveforms, gain=2.0)
    assert x.size == 2 * 4 and np.isnan(x[3]) and np.isnan(y[7])
    np.testing.assert_allclose(x[:3], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(y[:3], [0.0, 2.0, 0.0])
    np.testing.assert_allclose(x[4:7], layout.x0[1] + np.array([0.0, 0.5, 1.0]))
    np.testing.assert_allclose(y[4:7], [2.0, -2.0, 1.0])


def test_place_several_waveforms_and_check_channels():
    layout = flat_layout(3)
    x, y = layout.place(np.zeros((5, 10, 3)), gain=1.0)
    assert x.size == 5 * 3 * 11
    with pytest.raises(ValueError, match="2 channels, the layout 3"):
        layout.place(np.zeros((10, 2)), 1.0)
