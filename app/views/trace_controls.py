"""Inputs of the trace view: toolbar, navigation (keys, wheel, scrollbar) and its view box."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from PySide6.QtCore import QPointF, QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QDoubleValidator, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QScrollBar,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.model.display_filters import (
    ALL_CHANNELS,
    AVERAGE,
    BANDPASS,
    BY_GROUP,
    HIGHPASS,
    MEDIAN,
    NO_BAND,
    NO_REFERENCE,
    DisplayFilter,
)
from app.theme import Theme

#: Fraction of the window moved by Left/Right.
ARROW_SCROLL = 0.1
#: Zoom factor of +/- and of one wheel notch (a notch towards the user zooms out).
KEY_ZOOM, WHEEL_ZOOM = 2.0, 0.8
#: How bad channels (the recording's ``bad_channel`` property) are drawn.
SHOW_BAD, DIM_BAD, HIDE_BAD = "show", "dim", "hide"
BAD_CHANNEL_MODES = (SHOW_BAD, DIM_BAD, HIDE_BAD)
#: The band filters offered: (menu text, band, low Hz, high Hz).
BAND_CHOICES = (
    ("No band filter", NO_BAND, 300.0, 6000.0),
    ("High-pass 300 Hz", HIGHPASS, 300.0, 6000.0),
    ("Band-pass 300–6000 Hz", BANDPASS, 300.0, 6000.0),
    ("High-pass 150 Hz", HIGHPASS, 150.0, 6000.0),
)
#: The references offered: (menu text, reference).
REFERENCE_CHOICES = (
    ("No re-referencing", NO_REFERENCE),
    ("Common median reference (CMR)", MEDIAN),
    ("Common average reference (CAR)", AVERAGE),
)


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
    display_filter_changed(object)
        The `DisplayFilter` chosen (its ``enabled`` is the raw / filtered toggle).
    bad_channels_changed(str)
        ``"show"``, ``"dim"`` or ``"hide"`` the bad channels.
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
    display_filter_changed = Signal(object)
    bad_channels_changed = Signal(str)

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        color = theme.foreground
        self._build_filter_button(color)
        self._build_bad_button(color)
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
            self.filter_button,
            self.segment_combo,
            self.time_edit,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        for widget in (
            self.channels_spin,
            self.selected_only_button,
            self.bad_button,
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

    # ------------------------------------------------------------------ filters, bad channels
    def _build_filter_button(self, color) -> None:
        self._filter_tip = (
            "Filtered display (on) or raw traces (off); the arrow chooses the filter and the "
            "reference. Only what is shown is filtered, never the data."
        )
        self.filter_button = _tool_button(
            qta.icon("mdi6.sine-wave", color=color), "", self._filter_tip
        )
        self.filter_button.setCheckable(True)
        self.filter_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        menu = QMenu(self.filter_button)
        self.band_actions = _exclusive_actions(menu, [text for text, *_ in BAND_CHOICES])
        menu.addSeparator()
        self.reference_actions = _exclusive_actions(menu, [text for text, _ in REFERENCE_CHOICES])
        self.by_group_action = menu.addAction("Reference each group (shank) alone")
        self.by_group_action.setCheckable(True)
        menu.addSeparator()
        self.whiten_action = menu.addAction("Whiten (decorrelate the channels)")
        self.whiten_action.setCheckable(True)
        self.filter_button.setMenu(menu)
        self.set_display_filter(DisplayFilter())
        self.filter_button.toggled.connect(self._emit_filter)
        for action in (*self.band_actions, *self.reference_actions):
            action.triggered.connect(self._on_filter_choice)
        for action in (self.by_group_action, self.whiten_action):
            action.triggered.connect(self._on_filter_choice)

    def _build_bad_button(self, color) -> None:
        self.bad_button = _tool_button(
            qta.icon("mdi6.eye-off-outline", color=color),
            "",
            "Bad channels (marked in the probe editor): shown, dimmed or hidden",
        )
        self.bad_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.bad_button)
        texts = ("Show bad channels", "Dim bad channels", "Hide bad channels")
        self.bad_actions = dict(zip((SHOW_BAD, DIM_BAD, HIDE_BAD), _exclusive_actions(menu, texts)))
        self.bad_button.setMenu(menu)
        for mode, action in self.bad_actions.items():
            action.triggered.connect(
                lambda _checked=False, mode=mode: self.bad_channels_changed.emit(mode)
            )
        self.set_bad_channels(DIM_BAD, 0)

    def display_filter(self) -> DisplayFilter:
        """The filter the controls show."""
        band = next(i for i, a in enumerate(self.band_actions) if a.isChecked())
        reference = next(i for i, a in enumerate(self.reference_actions) if a.isChecked())
        _, band_name, low_hz, high_hz = BAND_CHOICES[band]
        return DisplayFilter(
            enabled=self.filter_button.isChecked(),
            band=band_name,
            low_hz=low_hz,
            high_hz=high_hz,
            reference=REFERENCE_CHOICES[reference][1],
            reference_scope=BY_GROUP if self.by_group_action.isChecked() else ALL_CHANNELS,
            whiten=self.whiten_action.isChecked(),
        )

    def set_display_filter(self, display_filter: DisplayFilter) -> None:
        """Show ``display_filter`` (the nearest offered band; no signal)."""
        with QSignalBlocker(self.filter_button):
            self.filter_button.setChecked(display_filter.enabled)
        band = next(
            (
                i
                for i, (_, name, low, high) in enumerate(BAND_CHOICES)
                if name == display_filter.band
                and (name == NO_BAND or low == display_filter.low_hz)
                and (name != BANDPASS or high == display_filter.high_hz)
            ),
            1,
        )
        self.band_actions[band].setChecked(True)
        reference = [name for _, name in REFERENCE_CHOICES].index(display_filter.reference)
        self.reference_actions[reference].setChecked(True)
        self.by_group_action.setChecked(display_filter.reference_scope == BY_GROUP)
        self.whiten_action.setChecked(display_filter.whiten)
        now = f"\nNow: {display_filter.label()}" if display_filter.enabled else ""
        self.filter_button.setToolTip(self._filter_tip + now)

    def set_bad_channels(self, mode: str, count: int) -> None:
        """Show how the ``count`` bad channels are drawn (the button is off without any)."""
        self.bad_actions[mode].setChecked(True)
        self.bad_button.setEnabled(count > 0)

    def _on_filter_choice(self, *_) -> None:
        # choosing a filter shows it: the toggle goes on
        with QSignalBlocker(self.filter_button):
            self.filter_button.setChecked(True)
        self._emit_filter()

    def _emit_filter(self, *_) -> None:
        self.display_filter_changed.emit(self.display_filter())

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


def _exclusive_actions(menu: QMenu, texts) -> list[QAction]:
    """Checkable menu entries of which exactly one is checked."""
    group = QActionGroup(menu)
    group.setExclusive(True)
    actions = []
    for text in texts:
        action = menu.addAction(text)
        action.setCheckable(True)
        group.addAction(action)
        actions.append(action)
    return actions


def _tool_button(icon, text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    if icon is not None:
        button.setIcon(pixmap_icon(icon, button.iconSize()))
        style = Qt.ToolButtonStyle
        button.setToolButtonStyle(
            style.ToolButtonTextBesideIcon if text else style.ToolButtonIconOnly
        )
    return button


#: Device pixel ratios the toolbar icons are rendered for.
ICON_SCALES = (1, 2)


def pixmap_icon(icon: QIcon, size: QSize) -> QIcon:
    """``icon`` rendered once into pixmaps of ``size`` (and twice that, for high-DPI screens),
    in every mode and state: a font icon otherwise draws its glyph again at every repaint of
    the toolbar."""
    rendered = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Disabled, QIcon.Mode.Active, QIcon.Mode.Selected):
        for state in (QIcon.State.Off, QIcon.State.On):
            for scale in ICON_SCALES:
                rendered.addPixmap(icon.pixmap(size * scale, mode, state), mode, state)
    return rendered


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
