"""The status bar's read-out of the time, channel and value under the mouse."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.model.session import Session


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
