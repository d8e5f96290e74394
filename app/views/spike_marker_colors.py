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


def spike_marker_style(
    session, theme: Theme, spikes: SpikeTrainIndex, colors: dict | None = None
) -> SpikeMarkerStyle | None:
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
    colors : dict or None
        ``{(colour index, dimmed): ARGB}`` of the marks made so far with ``theme``, filled in
        here: keep it between calls (units keep their colour index across curation actions,
        and 500 units share a few dozen colours) and a restyle makes no colour again.

    Returns
    -------
    SpikeMarkerStyle | None
    """
    sorting, recording = session.sorting, session.recording
    if sorting is None or recording is None:
        return None
    known = {} if colors is None else colors
    index_of_channel = {c: i for i, c in enumerate(recording.channel_ids.tolist())}
    visible = set(session.visible_unit_ids())
    selected = set(session.selected_unit_ids)
    unit_channel_ids = session.unit_channel_ids
    unit_ids = sorting.unit_ids.tolist()
    channels, argbs = [], []
    for unit_id in unit_ids:
        channel = unit_channel_ids.get(unit_id) if unit_id in visible else None
        channels.append(index_of_channel.get(channel, -1))
        key = (session.unit_color_index(unit_id), bool(selected) and unit_id not in selected)
        value = known.get(key)
        if value is None:
            value = known[key] = _mark_argb(theme, *key)
        argbs.append(value)
    rate = recording.sampling_frequency
    return SpikeMarkerStyle(
        spikes=spikes,
        unit_channels=np.asarray(channels, dtype="int64"),
        colors=np.asarray(argbs, dtype="uint32"),
        emphasised=np.fromiter((u in selected for u in unit_ids), dtype=bool, count=len(unit_ids)),
        samples_before=int(round(MARK_BEFORE_S * rate)),
        samples_after=int(round(MARK_AFTER_S * rate)),
    )


def _mark_argb(theme: Theme, color_index: int, dimmed: bool) -> int:
    """ARGB of the marks of a unit of colour ``color_index`` (mixed with the trace colour when
    ``dimmed``)."""
    color = theme.unit_color(color_index)
    return argb(blend(color, theme.trace, DIMMED_WEIGHT) if dimmed else color)


def blend(color: QColor, other: QColor, weight: float) -> QColor:
    """``weight`` of ``color`` mixed with ``other``, opaque."""
    mix = [
        round(weight * a + (1 - weight) * b) for a, b in zip(color.getRgb()[:3], other.getRgb()[:3])
    ]
    return QColor(*mix)


def argb(color: QColor) -> int:
    """Opaque ARGB32 value of a colour."""
    return 0xFF000000 | (color.red() << 16) | (color.green() << 8) | color.blue()
