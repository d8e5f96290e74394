"""Inputs of the trace view: toolbar, navigation (keys, wheel, scrollbar) and its view box."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from PySide6.QtCore import QPointF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QScrollBar,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.theme import Theme

#: Fraction of the window moved by Left/Right.
ARROW_SCROLL = 0.1
#: Zoom factor of +/- and of one wheel notch (a notch towards the user zooms out).
KEY_ZOOM, WHEEL_ZOOM = 2.0, 0.8


class TraceViewBox(pg.ViewBox):
    """A view box that reports wheel turns and clicks instead of panning and zooming itself.

    The session owns the time window and the trace view the channels on screen: the view turns
    these signals into session calls and channel scrolling.

    Signals
    -------
    wheel_turned(QPointF position, float steps, object modifiers)
        Over the plot at a position in data coordinates; ``steps`` is positive away from the
        user (120ths of a notch / 120).
    clicked(QPointF position, object modifiers)
        Left click at a position in data coordinates.
    """

    wheel_turned = Signal(QPointF, float, object)
    clicked = Signal(QPointF, object)

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)

    def wheelEvent(self, ev, axis=None) -> None:
        """Report the turn at the cursor instead of scaling the view."""
        self.wheel_turned.emit(self.mapToView(ev.pos()), ev.delta() / 120.0, ev.modifiers())
        ev.accept()

    def mouseClickEvent(self, ev) -> None:
        """Report left clicks in data coordinates."""
        if ev.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.mapToView(ev.pos()), ev.modifiers())
            ev.accept()

    def mouseDragEvent(self, ev, axis=None) -> None:
        """Ignore drags: the x range follows the session and the y range shows every channel."""
        ev.ignore()


class TraceNavigator:
    """Moves the session's time window for the keyboard, the mouse wheel and a scrollbar.

    Parameters
    ----------
    session : Session
        Whose window moves (through its methods).
    scrollbar : QScrollBar
        Spans the current segment; its value is the window's start, in steps of several samples
        when the segment is longer than a 32-bit int counts.
    """

    def __init__(self, session, scrollbar: QScrollBar) -> None:
        self._session = session
        self._scrollbar = scrollbar
        self._unit = 1
        scrollbar.valueChanged.connect(self._on_scrollbar)

    def key_action(self, key) -> Callable[[], None] | None:
        """What a navigation key does: Left/Right scroll 10 %, PageUp/PageDown a window,
        Home/End jump to the ends, +/- zoom (None for other keys)."""
        session = self._session
        return {
            Qt.Key.Key_Left: lambda: session.scroll(-ARROW_SCROLL),
            Qt.Key.Key_Right: lambda: session.scroll(ARROW_SCROLL),
            Qt.Key.Key_PageUp: lambda: session.scroll(-1.0),
            Qt.Key.Key_PageDown: lambda: session.scroll(1.0),
            Qt.Key.Key_Home: session.go_to_start,
            Qt.Key.Key_End: session.go_to_end,
            Qt.Key.Key_Plus: lambda: session.zoom(1 / KEY_ZOOM),
            Qt.Key.Key_Equal: lambda: session.zoom(1 / KEY_ZOOM),
            Qt.Key.Key_Minus: lambda: session.zoom(KEY_ZOOM),
        }.get(key)

    def zoom_at(self, x: float, steps: float) -> None:
        """Zoom by ``WHEEL_ZOOM ** steps`` keeping the time ``x`` (seconds) in place."""
        session = self._session
        if session.recording is not None and steps:
            session.zoom(WHEEL_ZOOM**steps, anchor_frame=session.time_to_frame(x))

    def sync_scrollbar(self) -> None:
        """Show the session's window on the scrollbar (without moving the window back)."""
        num_samples = self._session.num_samples
        start, end = self._session.frame_window
        self._unit = unit = num_samples // 2**30 + 1
        with QSignalBlocker(self._scrollbar):
            self._scrollbar.setRange(0, max(num_samples - (end - start), 0) // unit)
            self._scrollbar.setPageStep(max((end - start) // unit, 1))
            self._scrollbar.setSingleStep(max(int((end - start) * ARROW_SCROLL) // unit, 1))
            self._scrollbar.setValue(start // unit)

    def _on_scrollbar(self, value: int) -> None:
        start, end = self._session.frame_window
        new_start = value * self._unit
        self._session.set_frame_window(new_start, new_start + end - start)


class TraceToolbar(QWidget):
    """Mode, units, segment, go-to-time, channels and scale controls of the trace view.

    The toolbar only reports what the user did; the trace view applies it (to the session for the
    segment, units and time, to itself for the mode and scale) and echoes state back with the
    ``set_*`` methods, which do not emit.

    Signals
    -------
    heatmap_toggled(bool)
        Heat-map mode on or off.
    scaled_toggled(bool)
        µV (True) or raw values.
    segment_chosen(int)
        A segment index.
    time_entered(float)
        A time in seconds to centre the window on.
    spacing_changed(float), gain_changed(float)
        Distance between traces (in data units) and the multiplier of the traces.
    auto_scale_clicked()
        Fit the spacing to the noise of the window.
    channels_per_screen_changed(int)
        Rows of channels on screen.
    selected_only_toggled(bool)
        List only the selected channels.
    depth_labels_toggled(bool)
        Add each channel's depth to its label.
    """

    heatmap_toggled = Signal(bool)
    channels_per_screen_changed = Signal(int)
    selected_only_toggled = Signal(bool)
    depth_labels_toggled = Signal(bool)
    scaled_toggled = Signal(bool)
    segment_chosen = Signal(int)
    time_entered = Signal(float)
    spacing_changed = Signal(float)
    gain_changed = Signal(float)
    auto_scale_clicked = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        color = theme.foreground
        self.heatmap_button = _tool_button(
            qta.icon("mdi6.gradient-horizontal", color=color),
            "",
            "Heat map: channels as rows of colour, with a colour bar",
        )
        self.heatmap_button.setCheckable(True)
        self.scaled_button = _tool_button(None, "µV", "Show µV (on) or raw values (off)")
        self.scaled_button.setCheckable(True)
        self.segment_combo = QComboBox()
        self.segment_combo.setToolTip("Segment on display: start–end time (duration)")
        self.time_edit = QLineEdit()
        self.time_edit.setPlaceholderText("go to time (s)")
        self.time_edit.setToolTip("Centre the window on a time (in whichever segment holds it)")
        self.time_edit.setValidator(QDoubleValidator())
        self.time_edit.setMinimumWidth(70)
        self.time_edit.setMaximumWidth(100)
        self.channels_spin = QSpinBox()
        self.channels_spin.setRange(1, 1)
        self.channels_spin.setKeyboardTracking(False)
        self.channels_spin.setToolTip(
            "Channels per screen (Shift+Up/Down, Ctrl+wheel); scroll them with the scrollbar, "
            "Shift+wheel, Ctrl+Up/Down or Shift+PageUp/PageDown"
        )
        self.selected_only_button = _tool_button(
            qta.icon("mdi6.filter-outline", color=color),
            "",
            "Show only the selected channels",
        )
        self.selected_only_button.setCheckable(True)
        self.depth_button = _tool_button(
            qta.icon("mdi6.ruler", color=color), "", "Show each channel's depth in its label"
        )
        self.depth_button.setCheckable(True)
        self.spacing_spin = _spin_box(
            1e-9, 1e9, "Spacing: distance between neighbouring traces", decimals=1
        )
        self.gain_spin = _spin_box(0.01, 1000.0, "Gain: multiplier of the traces (Up/Down keys)")
        self.gain_spin.setPrefix("×")
        self.auto_button = _tool_button(
            qta.icon("mdi6.arrow-expand-vertical", color=color),
            "",
            "Auto-scale: fit the spacing to the noise of the window",
        )

        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        for widget in (
            self.heatmap_button,
            self.scaled_button,
            self.segment_combo,
            self.time_edit,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        for widget in (
            self.channels_spin,
            self.selected_only_button,
            self.depth_button,
            self.spacing_spin,
            self.gain_spin,
            self.auto_button,
        ):
            layout.addWidget(widget)

        self.channels_spin.valueChanged.connect(self.channels_per_screen_changed)
        self.selected_only_button.toggled.connect(self.selected_only_toggled)
        self.depth_button.toggled.connect(self.depth_labels_toggled)
        self.heatmap_button.toggled.connect(self.heatmap_toggled)
        self.scaled_button.toggled.connect(self.scaled_toggled)
        self.segment_combo.activated.connect(self.segment_chosen)
        self.time_edit.returnPressed.connect(self._emit_time)
        self.spacing_spin.valueChanged.connect(self.spacing_changed)
        self.gain_spin.valueChanged.connect(self.gain_changed)
        self.auto_button.clicked.connect(self.auto_scale_clicked)

    def set_segments(self, spans_s: list[tuple[float, float]]) -> None:
        """List the segments by their start and end times (seconds), e.g.
        ``"1: 120.0–180.0 s (60.0 s)"``; shown only when there are several."""
        with QSignalBlocker(self.segment_combo):
            self.segment_combo.clear()
            for index, (start, end) in enumerate(spans_s):
                self.segment_combo.addItem(
                    f"{index}: {start:.1f}–{end:.1f} s ({end - start:.1f} s)"
                )
        self.segment_combo.setVisible(len(spans_s) > 1)

    def set_channels(self, channels_per_screen: int, total: int) -> None:
        """Show the channels per screen out of ``total``."""
        with QSignalBlocker(self.channels_spin):
            self.channels_spin.setRange(1, max(total, 1))
            self.channels_spin.setSuffix(f" of {total} ch")
            self.channels_spin.setValue(min(channels_per_screen, max(total, 1)))

    def set_selected_only(self, selected_only: bool) -> None:
        """Show whether only the selected channels are listed."""
        with QSignalBlocker(self.selected_only_button):
            self.selected_only_button.setChecked(selected_only)

    def set_segment(self, segment_index: int) -> None:
        """Show the segment on display."""
        with QSignalBlocker(self.segment_combo):
            self.segment_combo.setCurrentIndex(segment_index)

    def set_scaled(self, available: bool, scaled: bool) -> None:
        """Enable the µV toggle when the recording has gains, and show its state."""
        with QSignalBlocker(self.scaled_button):
            self.scaled_button.setChecked(scaled)
        self.scaled_button.setEnabled(available)

    def set_heatmap(self, heatmap: bool) -> None:
        """Show the mode."""
        with QSignalBlocker(self.heatmap_button):
            self.heatmap_button.setChecked(heatmap)

    def set_scale(self, spacing: float, gain: float, unit: str) -> None:
        """Show the spacing (with its unit, e.g. ``"µV"``) and the gain."""
        with QSignalBlocker(self.spacing_spin), QSignalBlocker(self.gain_spin):
            self.spacing_spin.setSuffix(f" {unit}" if unit else "")
            # about four significant digits, whatever the units
            magnitude = int(np.floor(np.log10(spacing))) if spacing > 0 else 0
            self.spacing_spin.setDecimals(min(max(2 - magnitude, 1), 9))
            self.spacing_spin.setValue(spacing)
            self.gain_spin.setValue(gain)

    def _emit_time(self) -> None:
        text = self.time_edit.text().replace(",", ".")
        if text:
            self.time_entered.emit(float(text))


def _tool_button(icon, text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    if icon is not None:
        button.setIcon(icon)
        style = Qt.ToolButtonStyle
        button.setToolButtonStyle(
            style.ToolButtonTextBesideIcon if text else style.ToolButtonIconOnly
        )
    return button


def _spin_box(minimum: float, maximum: float, tip: str, decimals: int = 3) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(minimum, maximum)
    spin.setDecimals(decimals)
    spin.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
    spin.setKeyboardTracking(False)
    spin.setToolTip(tip)
    return spin


def segment_spans(recording) -> list[tuple[float, float]]:
    """Start and end time (seconds, the recording's own time axis) of each segment."""
    spans = []
    for segment in range(recording.get_num_segments()):
        last = recording.get_num_samples(segment) - 1
        start = float(recording.sample_index_to_time(0, segment_index=segment))
        end = float(recording.sample_index_to_time(max(last, 0), segment_index=segment))
        spans.append((start, end + 1.0 / recording.sampling_frequency))
    return spans
