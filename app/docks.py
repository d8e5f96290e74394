"""Small panels of the main window: what is open ("Open data" dock) and the cursor read-out of
the status bar."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QSizePolicy, QWidget

from .model.session import Session

#: Session fields the panel describes, with their labels, in display order.
FIELDS = (
    ("recording", "Recording"),
    ("sorting", "Sorting"),
    ("events", "Events"),
    ("snippets", "Snippets"),
    ("waveform_extractor", "Waveforms"),
)


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def describe_recording(recording) -> str:
    """Channels, rate, segments, duration, sample type and probe of a recording."""
    parts = [
        _plural(recording.get_num_channels(), "channel"),
        f"{recording.sampling_frequency / 1000:g} kHz",
        _plural(recording.get_num_segments(), "segment"),
        f"{recording.get_total_duration():.1f} s",
        str(recording.get_dtype()),
    ]
    if recording.has_probe():
        groups = len(set(recording.get_channel_groups().tolist()))
        parts.append(f"probe with {_plural(groups, 'group')}")
    return " · ".join(parts)


def describe_sorting(sorting) -> str:
    """Units and spikes of a sorting."""
    return (
        f"{_plural(sorting.get_num_units(), 'unit')} · "
        f"{_plural(sorting.count_total_num_spikes(), 'spike')}"
    )


def describe_events(events) -> str:
    """Channels and events of an event object (all segments)."""
    count = sum(
        events.get_event_times(channel_id=channel_id, segment_index=segment).size
        for segment in range(events.get_num_segments())
        for channel_id in events.channel_ids
    )
    return f"{_plural(events.get_num_channels(), 'channel')} · {_plural(count, 'event')}"


def describe_snippets(snippets) -> str:
    """Snippet count, length and channels."""
    return (
        f"{_plural(snippets.get_total_snippets(), 'snippet')} of "
        f"{_plural(snippets.snippet_len, 'sample')} · "
        f"{_plural(snippets.get_num_channels(), 'channel')}"
    )


_DESCRIBERS = {
    "recording": describe_recording,
    "sorting": describe_sorting,
    "events": describe_events,
    "snippets": describe_snippets,
    "waveform_extractor": str,
}


class OpenDataPanel(QWidget):
    """What is open, one labelled line per kind: source, recording, sorting, events, snippets,
    waveforms (details wrap to the dock's width).

    Parameters
    ----------
    session : Session
        The session to describe; the panel follows its changes.
    parent : QWidget | None
        Parent widget.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, _ in self.rows():
            value = QLabel(wordWrap=True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            form.addRow(f"<b>{label}</b>", value)
            self._labels[label] = value
        for name in ("source", *(field for field, _ in FIELDS)):
            getattr(session.signals, name).connect(self.refresh)
        self.refresh()

    def rows(self) -> list[tuple[str, str]]:
        """``(label, details)`` for each line shown."""
        session = self.session
        rows = [("Source", session.source or "nothing open")]
        for field, label in FIELDS:
            value = getattr(session, field)
            rows.append((label, "none" if value is None else _DESCRIBERS[field](value)))
        return rows

    def refresh(self) -> None:
        """Update the lines from the session."""
        for label, details in self.rows():
            self._labels[label].setText(details)
            self._labels[label].setToolTip(details)


class CursorStatus(QWidget):
    """Time, channel and value under the mouse, for the status bar.

    Parameters
    ----------
    session : Session
        Tells whether values are in µV or raw units.
    parent : QWidget | None
        Parent widget.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.time_label = QLabel("t — s")
        self.channel_label = QLabel("channel —")
        self.value_label = QLabel("—")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label, widest in (
            (self.time_label, "t 00000.0000 s"),
            (self.channel_label, "channel 0000000"),
            (self.value_label, "-00000.0 µV"),
        ):
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest) + 8)
            layout.addWidget(label)

    def show_cursor(self, time_s: float, channel_id: Any, value: float) -> None:
        """Show a time (s), a channel id and the value drawn there (NaN: no value)."""
        self.time_label.setText(f"t {time_s:.4f} s")
        self.channel_label.setText(f"channel {channel_id}")
        unit = "µV" if self.session.return_scaled else "raw"
        self.value_label.setText("—" if math.isnan(value) else f"{value:.1f} {unit}")
