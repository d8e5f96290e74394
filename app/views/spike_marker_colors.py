"""Colours and channels of the trace view's spike marks, from the session and the theme."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from app.model.spike_marks import SpikeMarkerStyle, SpikeTrainIndex
from app.theme import Theme

#: Waveform coloured around each spike, in seconds before and after its sample.
MARK_BEFORE_S, MARK_AFTER_S = 0.0003, 0.0005
#: Weight of a unit's colour in its dimmed marks (when other units are selected), mixed with
#: the trace colour so that a dimmed mark still reads as part of the trace.
DIMMED_WEIGHT = 0.4


def spike_marker_style(session, theme: Theme, spikes: SpikeTrainIndex) -> SpikeMarkerStyle | None:
    """Where and in which colour each unit's spikes are marked (None without a recording and a
    sorting).

    Each visible unit on its ``session.unit_channel_ids`` channel (no mark while it is not
    known), in its colour; when units are selected, they are emphasised and the others'
    colours mixed with the trace colour.

    Parameters
    ----------
    session : Session
    theme : Theme
    spikes : SpikeTrainIndex
        Of the session's sorting.

    Returns
    -------
    SpikeMarkerStyle | None
    """
    sorting, recording = session.sorting, session.recording
    if sorting is None or recording is None:
        return None
    index_of_channel = {c: i for i, c in enumerate(recording.channel_ids.tolist())}
    visible = set(session.visible_unit_ids())
    selected = set(session.selected_unit_ids)
    unit_ids = sorting.unit_ids.tolist()
    channels, colors, emphasised = [], [], []
    for unit_id in unit_ids:
        channel = session.unit_channel_ids.get(unit_id) if unit_id in visible else None
        channels.append(index_of_channel.get(channel, -1))
        color = theme.unit_color(session.unit_color_index(unit_id))
        if selected and unit_id not in selected:
            color = blend(color, theme.trace, DIMMED_WEIGHT)
        colors.append(argb(color))
        emphasised.append(unit_id in selected)
    rate = recording.sampling_frequency
    return SpikeMarkerStyle(
        spikes=spikes,
        unit_channels=np.asarray(channels, dtype="int64"),
        colors=np.asarray(colors, dtype="uint32"),
        emphasised=np.asarray(emphasised, dtype=bool),
        samples_before=int(round(MARK_BEFORE_S * rate)),
        samples_after=int(round(MARK_AFTER_S * rate)),
    )


def blend(color: QColor, other: QColor, weight: float) -> QColor:
    """``weight`` of ``color`` mixed with ``other``, opaque."""
    mix = [
        round(weight * a + (1 - weight) * b) for a, b in zip(color.getRgb()[:3], other.getRgb()[:3])
    ]
    return QColor(*mix)


def argb(color: QColor) -> int:
    """Opaque ARGB32 value of a colour."""
    return 0xFF000000 | (color.red() << 16) | (color.green() << 8) | color.blue()
