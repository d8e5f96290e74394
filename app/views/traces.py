"""Trace view: the session's time window, a screenful of channels by depth, stacked or as a heat
map, with each unit's spikes marked on its own channel.

A `TraceFetcher` reads each window on its worker thread (newest request wins); the same thread
reduces it to what each pixel column shows, marks the spikes and paints it (`render_frame`), and
a queued signal hands the finished frame to the GUI thread. Every change of the display - gain,
channels on screen, selection, units - is such a request too: the fetcher answers it from the
window it read last, so only the painting is redone, off the GUI thread. The x range always
follows ``session.frame_window``: the wheel, the keyboard, the scrollbar and the go-to box change
it through session methods. The channels on screen (`ChannelRows`) belong to the view.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QGridLayout,
    QLineEdit,
    QPlainTextEdit,
    QScrollBar,
    QTextEdit,
    QWidget,
)

import core as si
from app.model.channel_rows import MIN_ROW_PX, ChannelRows, fitting_channels_per_screen
from app.model.display_filters import BAD_CHANNEL_PROPERTY, DisplayFilter
from app.model.spike_marks import SpikeMarkerStyle, SpikeMarks, SpikeTrainIndex
from app.model.trace_fetcher import TraceFetcher, TraceWindow
from app.model.trace_frame import (
    HEATMAP,
    STACKED,
    TraceFrame,
    TraceStyle,
    render_frame,
)
from app.model.window_source import IDLE, READY
from app.theme import current_theme
from app.views.spike_marker_colors import argb, spike_marker_style
from app.views.trace_controls import (
    BAD_CHANNEL_MODES,
    DIM_BAD,
    HIDE_BAD,
    TraceNavigator,
    TraceToolbar,
    segment_spans,
)
from app.views.trace_filtering import DisplayFiltering
from app.views.trace_overlays import TracePlot, channel_label_texts

#: Gain factor of Up/Down.
GAIN_STEP = 1.25
#: Auto-scale puts neighbouring traces this many median absolute deviations of the noise
#: apart (the noise band, about +/- 4.5 MAD, then fills about half of the gap).
SPACING_IN_MADS = 20.0
#: A plain click this close to a trace (pixels) selects its channel.
CLICK_TOLERANCE_PX = 4
#: Shown instead of traces while no recording is open (a sorting or waveforms may be).
NO_RECORDING = (
    "No recording open: File ▸ Open File… or Open Folder… (or drop it here) to see traces."
)


class TraceView(QWidget):
    """Traces of the session's recording in its time window.

    Parameters
    ----------
    session : Session
        What to show; changed only through its methods.
    fetcher : TraceFetcher | None
        Reads the windows (a new one, closed with the view, when None).
    parent : QWidget | None
        Qt parent.

    Signals
    -------
    cursor_moved(float time_s, object channel_id, float value)
        The mouse is over the traces: time, channel and the value drawn there.
    frame_drawn(int request_id)
        The display was redrawn (new window, mode, scale, channels, selection or size).
    """

    cursor_moved = Signal(float, object, float)
    frame_drawn = Signal(int)
    _frame_ready = Signal(object)

    def __init__(self, session, fetcher: TraceFetcher | None = None, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self._owns_fetcher = fetcher is None
        self._fetcher = TraceFetcher() if fetcher is None else fetcher
        self._theme = current_theme()
        self._mode = STACKED
        self._gain, self._spacing = 1.0, 1.0
        self._auto_scale_pending = True
        self._latest_request = self._shown_request = 0
        self._frame: TraceFrame | None = None
        self._rows = ChannelRows(np.empty(0, dtype="int64"))
        self._depth_labels = False
        self._rows_fit_height = True
        self._labels_key: tuple | None = None
        self._marker_style: SpikeMarkerStyle | None = None
        self._marker_style_stale = True
        self._marker_colors: dict = {}  # ARGB of the marks by (colour index, dimmed)
        self._spike_index = SpikeTrainIndex(None)
        self._render_cache = _RenderCache()
        self._filtering = DisplayFiltering(self)
        self._bad_mode = DIM_BAD
        self._bad = np.empty(0, dtype="int64")
        self._pending_shown = False
        self._closed = False
        self._request_timer = QTimer(self, singleShot=True, interval=0)
        self._request_timer.timeout.connect(self._request_window)
        self._build()
        self._frame_ready.connect(self._show_frame)
        self._filtering.changed.connect(self._redraw)
        for name, slot in self._session_slots():
            getattr(session.signals, name).connect(slot)
        if self._owns_fetcher:
            owned = self._fetcher
            self.destroyed.connect(lambda *_: owned.close())
        self._on_recording()

    # ------------------------------------------------------------------ public
    @property
    def mode(self) -> str:
        """``"stacked"`` or ``"heatmap"``."""
        return self._mode

    @property
    def gain(self) -> float:
        """Multiplier of the traces in stacked mode."""
        return self._gain

    @property
    def spacing(self) -> float:
        """Distance between neighbouring traces, in data units (µV or raw)."""
        return self._spacing

    @property
    def channel_rows(self) -> ChannelRows:
        """The channels listed and those on screen (read it; change it with the methods)."""
        return self._rows

    def set_mode(self, mode: str) -> None:
        """Show stacked traces (``"stacked"``) or a heat-map image (``"heatmap"``)."""
        if mode not in (STACKED, HEATMAP):
            raise ValueError(f"mode must be {STACKED!r} or {HEATMAP!r}, got {mode!r}")
        self._mode = mode
        self.toolbar.set_heatmap(mode == HEATMAP)
        self._redraw()

    def set_gain(self, gain: float) -> None:
        """Multiply the traces by ``gain`` (> 0)."""
        if not gain > 0:
            raise ValueError(f"gain must be > 0, got {gain}")
        self._gain = float(gain)
        self._show_scale()
        self._redraw()

    def set_spacing(self, spacing: float) -> None:
        """Put neighbouring traces ``spacing`` data units apart (> 0)."""
        if not spacing > 0:
            raise ValueError(f"spacing must be > 0, got {spacing}")
        self._spacing = float(spacing)
        self._show_scale()
        self._redraw()

    def auto_scale(self) -> None:
        """Fit the spacing to the noise of the window on display and reset the gain to 1."""
        frame = self._frame
        if frame is None or frame.pixels is None:
            self._auto_scale_pending = True
            return
        self._fit_scale(frame)
        self._redraw()

    def set_channels_per_screen(self, count: int, anchor: float | None = None) -> None:
        """Show ``count`` channels per screen (>= 1), keeping the row at ``anchor`` (a y value;
        default: the middle of the screen) in place. Until this is called (or the count is
        changed with the keys, the wheel or the spin box) the count fits the plot's height."""
        if count < 1:
            raise ValueError(f"channels per screen must be >= 1, got {count}")
        self._rows_fit_height = False
        self._rows.set_channels_per_screen(count, anchor)
        self._on_rows_changed()

    def scroll_channels(self, rows: int) -> None:
        """Move the screen ``rows`` channels up the probe (negative: down)."""
        self._rows.scroll(rows)
        self._on_rows_changed()

    def set_selected_only(self, selected_only: bool) -> None:
        """List only the selected channels (all channels while none is selected)."""
        self._rows.set_selected_only(selected_only)
        self.toolbar.set_selected_only(selected_only)
        self._on_rows_changed()

    def set_depth_labels(self, depth_labels: bool) -> None:
        """Add each channel's depth (µm) to its label."""
        self._depth_labels = bool(depth_labels)
        with QSignalBlocker(self.toolbar.depth_button):
            self.toolbar.depth_button.setChecked(self._depth_labels)
        self._show_labels()

    @property
    def display_filter(self) -> DisplayFilter:
        """How the traces are filtered for display (``enabled`` False: raw traces)."""
        return self._filtering.display_filter

    def set_display_filter(self, display_filter: DisplayFilter) -> None:
        """Show the traces filtered, re-referenced or whitened (only what is shown changes)."""
        if not isinstance(display_filter, DisplayFilter):
            raise TypeError(f"display_filter must be a DisplayFilter, got {display_filter!r}")
        self._filtering.set_filter(display_filter)
        self.toolbar.set_display_filter(display_filter)
        self._auto_scale_pending = True  # filtered traces have another noise level
        self._redraw()

    @property
    def bad_channel_mode(self) -> str:
        """``"show"``, ``"dim"`` or ``"hide"``: how the recording's bad channels are drawn."""
        return self._bad_mode

    def set_bad_channel_mode(self, mode: str) -> None:
        """Draw the bad channels (the ``bad_channel`` property) normally, dimmed or not at all."""
        if mode not in BAD_CHANNEL_MODES:
            raise ValueError(f"mode must be one of {BAD_CHANNEL_MODES}, got {mode!r}")
        self._bad_mode = mode
        self._rows.set_hidden(self._bad if mode == HIDE_BAD else np.empty(0, dtype="int64"))
        self.toolbar.set_bad_channels(mode, self._bad.size)
        self._on_rows_changed()

    def bad_channel_ids(self) -> np.ndarray:
        """Channel ids of the recording's bad channels."""
        recording = self._session.recording
        return np.empty(0) if recording is None else recording.channel_ids[self._bad]

    def pending_message(self) -> str:
        """Why the window is not drawn yet (e.g. "building overview… 42%"), or ""."""
        return self.plot_widget.message.toPlainText() if self._pending_shown else ""

    def visible_channel_ids(self) -> np.ndarray:
        """Channel ids on screen, bottom to top."""
        recording = self._session.recording
        return np.empty(0) if recording is None else recording.channel_ids[self._rows.visible()]

    def displayed_window(self) -> TraceWindow | None:
        """The window on display (all channels in recording order), or None."""
        return None if self._frame is None else self._frame.window

    def displayed_frame(self) -> TraceFrame | None:
        """The frame on display (window, extents, pixels, spike marks), or None."""
        return self._frame

    def displayed_frame_window(self) -> tuple[int, int] | None:
        """``(start_frame, end_frame)`` on display, or None."""
        window = self.displayed_window()
        return None if window is None else (window.start_frame, window.end_frame)

    def is_current(self) -> bool:
        """Whether the display shows the newest window asked for, with no request waiting."""
        if self._request_timer.isActive():
            return False
        return self._session.recording is None or self._shown_request == self._latest_request

    def channel_order(self) -> np.ndarray:
        """Channel ids of every channel from the bottom to the top (by depth, then x)."""
        recording = self._session.recording
        return np.empty(0) if recording is None else recording.channel_ids[self._rows.shown]

    def drawn_channel_count(self) -> int:
        """Number of channels on screen in the frame on display."""
        frame = self._frame
        return 0 if frame is None or frame.pixels is None else frame.style.count

    def stacked_pixels(self) -> np.ndarray | None:
        """Stacked mode: ``(rows, columns)`` ARGB32 on display, top row first (0: background)."""
        frame = self._frame
        if frame is None or frame.pixels is None or frame.style.mode != STACKED:
            return None
        return self.plot_widget.trace_item.pixels

    def heatmap_image(self) -> np.ndarray | None:
        """Heat-map mode: ``(columns, channels)`` peak values on display, channels bottom to
        top."""
        frame = self._frame
        return None if frame is None or frame.style.mode != HEATMAP else frame.heat

    def spike_marks(self) -> SpikeMarks | None:
        """The spikes marked in the frame on display (None without a sorting)."""
        return None if self._frame is None else self._frame.marks

    def error_message(self) -> str:
        """Why the window on display could not be read ("" when it could)."""
        return "" if self._frame is not None else self.plot_widget.message.toPlainText()

    def note(self) -> str:
        """The note over the traces (e.g. too many spikes to mark), or ""."""
        return "" if self._frame is None else self.plot_widget.message.toPlainText()

    def shutdown(self) -> None:
        """Stop following the session and, if the view created it, stop the fetcher."""
        if self._closed:
            return
        self._closed = True
        self._request_timer.stop()
        self._filtering.shutdown()
        for name, slot in self._session_slots():
            getattr(self._session.signals, name).disconnect(slot)
        if self._owns_fetcher:
            self._fetcher.close()

    # ------------------------------------------------------------------ Qt events
    def closeEvent(self, event) -> None:
        """Stop the fetcher this view owns."""
        self.shutdown()
        super().closeEvent(event)

    def enterEvent(self, event) -> None:
        """Take the keyboard focus, unless the user is typing in a text field."""
        focused = QApplication.focusWidget()
        typing = isinstance(focused, QLineEdit | QAbstractSpinBox | QTextEdit | QPlainTextEdit)
        if not typing and not self.hasFocus():
            self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().enterEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left/Right scroll, PageUp/PageDown scroll a window, Home/End jump to the ends, +/-
        zoom, Up/Down change the gain; Shift+Up/Down change the channels per screen,
        Ctrl+Up/Down and Shift+PageUp/PageDown scroll the channels, Escape clears the channel
        selection."""
        action = self._key_action(event)
        if action is None or self._session.recording is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    def _key_action(self, event: QKeyEvent):
        key, modifiers = event.key(), event.modifiers()
        keys, modifier = Qt.Key, Qt.KeyboardModifier
        page = max(self._rows.count, 1)
        quarter = max(page // 4, 1)
        if modifiers & modifier.ShiftModifier:
            return {
                keys.Key_Up: lambda: self._zoom_channels(1),
                keys.Key_Down: lambda: self._zoom_channels(-1),
                keys.Key_PageUp: lambda: self.scroll_channels(page),
                keys.Key_PageDown: lambda: self.scroll_channels(-page),
            }.get(key)
        if modifiers & modifier.ControlModifier:
            return {
                keys.Key_Up: lambda: self.scroll_channels(quarter),
                keys.Key_Down: lambda: self.scroll_channels(-quarter),
            }.get(key)
        own = {
            keys.Key_Up: lambda: self.set_gain(self._gain * GAIN_STEP),
            keys.Key_Down: lambda: self.set_gain(self._gain / GAIN_STEP),
            keys.Key_Escape: lambda: self._session.select_channels([]),
        }
        return self._navigator.key_action(key) or own.get(key)

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        theme = self._theme
        self.toolbar = TraceToolbar(theme)
        self.plot_widget = TracePlot(theme)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        self.scrollbar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.channel_scrollbar = QScrollBar(Qt.Orientation.Vertical)
        self.channel_scrollbar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # the lowest channels at the bottom, as on the probe
        self.channel_scrollbar.setInvertedAppearance(True)
        self.channel_scrollbar.setInvertedControls(False)
        self.channel_scrollbar.setToolTip("Channels on screen (by depth)")
        self._navigator = TraceNavigator(self._session, self.scrollbar)

        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar, 0, 0, 1, 2)
        layout.addWidget(self.plot_widget, 1, 0)
        layout.addWidget(self.channel_scrollbar, 1, 1)
        layout.addWidget(self.scrollbar, 2, 0)
        layout.setRowStretch(1, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        toolbar, session = self.toolbar, self._session
        toolbar.heatmap_toggled.connect(lambda on: self.set_mode(HEATMAP if on else STACKED))
        toolbar.scaled_toggled.connect(session.set_return_scaled)
        toolbar.segment_chosen.connect(session.set_segment)
        toolbar.time_entered.connect(session.go_to_time)
        toolbar.spacing_changed.connect(self.set_spacing)
        toolbar.gain_changed.connect(self.set_gain)
        toolbar.auto_scale_clicked.connect(self.auto_scale)
        toolbar.channels_per_screen_changed.connect(self.set_channels_per_screen)
        toolbar.selected_only_toggled.connect(self.set_selected_only)
        toolbar.depth_labels_toggled.connect(self.set_depth_labels)
        toolbar.display_filter_changed.connect(self.set_display_filter)
        toolbar.bad_channels_changed.connect(self.set_bad_channel_mode)
        self.channel_scrollbar.valueChanged.connect(self._on_channel_scrollbar)
        view_box = self.plot_widget.view_box
        view_box.wheel_turned.connect(self._on_wheel)
        view_box.clicked.connect(self._on_click)
        view_box.sigResized.connect(self._on_resized)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def _session_slots(self) -> list[tuple[str, object]]:
        return [
            ("recording", self._on_recording),
            ("segment_index", self._on_segment),
            ("frame_window", self._on_frame_window),
            ("return_scaled", self._on_return_scaled),
            ("selected_channel_ids", self._on_selected_channels),
            ("sorting", self._on_units),
            ("unit_channel_ids", self._on_selected_units),
            ("selected_unit_ids", self._on_selected_units),
            ("hidden_unit_ids", self._on_units),
            ("events", self._draw_events),
            ("overview", self._on_overview),
        ]

    # ------------------------------------------------------------------ session changes
    def _on_recording(self) -> None:
        recording = self._session.recording
        self._frame = None
        self._auto_scale_pending = True
        self._marker_style_stale = True
        self._labels_key = None
        self._filtering.forget()
        self._pending_shown = False
        self.plot_widget.clear_layers()
        self.toolbar.setEnabled(recording is not None)
        if recording is None:
            self._fetcher.cancel()
            self._bad = np.empty(0, dtype="int64")
            self._rows = ChannelRows(np.empty(0, dtype="int64"))
            self.toolbar.set_segments([])
            self.toolbar.set_scaled(False, False)
            self._sync_channel_controls()
            self.plot_widget.show_error(NO_RECORDING)
            return
        try:
            depth_order, _ = si.order_channels_by_depth(recording)
        except ValueError:  # no channel locations: keep the recording's order
            depth_order = np.arange(recording.get_num_channels())
        selected_only = self._rows.selected_only
        bad = recording.get_property(BAD_CHANNEL_PROPERTY)
        self._bad = np.empty(0, "int64") if bad is None else np.flatnonzero(np.asarray(bad, bool))
        self.toolbar.set_bad_channels(self._bad_mode, self._bad.size)
        self._rows = ChannelRows(depth_order)
        if self._bad_mode == HIDE_BAD:
            self._rows.set_hidden(self._bad)
        self._rows_fit_height = True
        self._fit_rows_to_height()
        self._rows.set_selected_only(selected_only)
        self._rows.set_selection(self._selected_indices())
        self.toolbar.set_segments(segment_spans(recording))
        self._sync_channel_controls()
        self._on_return_scaled()
        self._on_segment()

    def _on_segment(self) -> None:
        self.toolbar.set_segment(self._session.segment_index)
        self._on_frame_window()

    def _on_frame_window(self) -> None:
        self._navigator.sync_scrollbar()
        self._request_timer.start()

    def _on_return_scaled(self) -> None:
        recording = self._session.recording
        available = recording is not None and recording.has_scaled()
        self.toolbar.set_scaled(available, self._session.return_scaled)
        self._auto_scale_pending = True
        self._request_timer.start()

    def _on_selected_channels(self) -> None:
        self._rows.set_selection(self._selected_indices())
        if not self._rows.selected_only:
            self._rows.reveal_selection()
        self._on_rows_changed()

    def _on_units(self) -> None:
        self._marker_style_stale = True
        self._redraw()

    def _on_selected_units(self) -> None:
        """Bring the selected units' channels on screen (unless only selected channels are
        listed), and mark their spikes."""
        session, recording = self._session, self._session.recording
        channels = [session.unit_channel_ids.get(u) for u in session.selected_unit_ids]
        known = [c for c in channels if c is not None]
        if recording is not None and known and not self._rows.selected_only:
            present = set(recording.channel_ids.tolist())
            indices = recording.ids_to_indices([c for c in known if c in present])
            if self._rows.reveal(indices):
                self._sync_channel_controls()
        self._on_units()

    def _selected_indices(self) -> np.ndarray:
        recording = self._session.recording
        ids = list(self._session.selected_channel_ids)
        if recording is None or not ids:
            return np.empty(0, dtype="int64")
        return np.asarray(recording.ids_to_indices(ids), dtype="int64")

    # ------------------------------------------------------------------ channels on screen
    def _on_rows_changed(self) -> None:
        self._sync_channel_controls()
        self._redraw()

    def _sync_channel_controls(self) -> None:
        rows = self._rows
        self.toolbar.set_channels(rows.channels_per_screen, rows.total)
        bar = self.channel_scrollbar
        with QSignalBlocker(bar):
            bar.setRange(0, max(rows.total - rows.count, 0))
            bar.setPageStep(max(rows.count, 1))
            bar.setSingleStep(max(rows.count // 8, 1))
            bar.setValue(rows.first)
        bar.setEnabled(rows.total > rows.count)

    def _on_channel_scrollbar(self, value: int) -> None:
        self._rows.scroll_to(value)
        self._redraw()

    def _zoom_channels(self, steps: int, anchor: float | None = None) -> None:
        self._rows_fit_height = False
        self._rows.zoom(steps, anchor)
        self._on_rows_changed()

    def _fit_rows_to_height(self) -> None:
        """Give rows at least `MIN_ROW_PX` pixels, while the user has not chosen a count."""
        height = self.plot_widget.view_box.height()
        if not self._rows_fit_height or self._rows.total == 0 or height < 2 * MIN_ROW_PX:
            return  # not laid out yet
        count = fitting_channels_per_screen(height, self._rows.total)
        if count != self._rows.channels_per_screen:
            self._rows.set_channels_per_screen(count, anchor=self._rows.first)
            if not self._rows.selected_only:
                self._rows.reveal_selection()
            self._sync_channel_controls()

    def _on_wheel(self, position: QPointF, steps: float, modifiers) -> None:
        if self._session.recording is None or not steps:
            return
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self._zoom_channels(1 if steps > 0 else -1, anchor=position.y())
        elif modifiers & Qt.KeyboardModifier.ShiftModifier:
            self.scroll_channels(int(round(steps * max(self._rows.count // 8, 1))))
        else:
            self._navigator.zoom_at(position.x(), steps)

    # ------------------------------------------------------------------ fetching and drawing
    def _style(self) -> TraceStyle:
        rows = self._rows
        return TraceStyle(
            mode=self._mode,
            height=self.plot_widget.pixel_size()[1],
            gain=self._gain,
            spacing=self._spacing,
            shown=rows.shown,
            first=rows.first,
            count=rows.count,
            # listing only the selected channels is the highlight: no colour on top of it
            selected=(
                np.empty(0, dtype="int64") if rows.selected_only else self._selected_indices()
            ),
            colors=(argb(self._theme.trace), argb(self._theme.selection)),
            spikes=self._spike_marker_style(),
            lut=self.plot_widget.heatmap_lut() if self._mode == HEATMAP else None,
            outline=argb(self._theme.foreground),
            dimmed=self._bad if self._bad_mode == DIM_BAD else np.empty(0, dtype="int64"),
            dim_color=argb(self._theme.bad_channel),
        )

    def _spike_marker_style(self) -> SpikeMarkerStyle | None:
        if self._marker_style_stale:
            sorting = self._session.sorting
            if sorting is not None and self._spike_index.sorting is not sorting:
                self._spike_index = SpikeTrainIndex(sorting)
            self._marker_style = spike_marker_style(
                self._session, self._theme, self._spike_index, self._marker_colors
            )
            self._marker_style_stale = False
        return self._marker_style

    def _request_window(self) -> None:
        session = self._session
        start, end = session.frame_window
        recording = session.recording
        if recording is None or end <= start or self._rows.count == 0 or self._closed:
            return
        style, ready, cache = self._style(), self._frame_ready, self._render_cache
        rate, fetcher = recording.sampling_frequency, self._fetcher

        def render(window: TraceWindow) -> None:  # on the worker thread: numpy only
            def sample_to_time(samples):
                return recording.sample_index_to_time(samples, segment_index=window.segment_index)

            def superseded() -> bool:
                return not fetcher.is_latest(window.request_id)

            frame = render_frame(window, style, rate, sample_to_time, cache.frame, superseded)
            if frame is not None:  # else a newer window is on its way
                cache.frame = frame
                ready.emit(frame)

        context = self._filtering.context(recording, session.segment_index, session.return_scaled)
        self._latest_request = self._fetcher.request(
            recording,
            session.segment_index,
            start,
            end,
            None,
            session.return_scaled,
            self.plot_widget.pixel_size()[0],
            render,
            overview=session.overview,
            display=context,
        )

    def _show_frame(self, frame: TraceFrame) -> None:
        if frame.window.request_id != self._latest_request:
            return  # a newer request is on its way
        self._shown_request = frame.window.request_id
        self._pending_shown = bool(frame.window.pending)
        if frame.window.error is not None or frame.window.pending:
            self._frame = None
            if frame.window.pending:  # the window waits for the overview: say so, read nothing
                self._show_pending(frame.window)
            else:
                self.plot_widget.show_error(f"Cannot read traces: {frame.window.error}")
            self.frame_drawn.emit(frame.window.request_id)
            return
        if self._auto_scale_pending and frame.pixels is not None and self._fit_scale(frame):
            self._redraw()  # paint again with the fitted spacing before showing anything
            return
        self._frame = frame
        window = frame.window
        start = float(window.times[0])
        duration = (window.end_frame - window.start_frame) / self._session.sampling_frequency
        notes = [window.note, self._filtering.note]
        self.plot_widget.show_frame(
            frame, (start, start + duration), self._unit(), "\n".join(n for n in notes if n)
        )
        self._show_labels()
        self._draw_events()
        self.frame_drawn.emit(window.request_id)

    def _show_pending(self, window: TraceWindow) -> None:
        session = self._session
        self.plot_widget.clear_layers()
        left = float(session.frame_to_time(window.start_frame))
        right = float(session.frame_to_time(max(window.end_frame, window.start_frame + 1)))
        self.plot_widget.view_box.setRange(xRange=(left, right), padding=0)
        self.plot_widget.show_error(window.pending)
        if session.overview.status == IDLE:
            session.request_overview()

    def _on_overview(self, state) -> None:
        # a window waiting for the overview is asked again (progress, then the window); once
        # the overview is ready, long windows come from it
        if self._pending_shown or state.status == READY:
            self._redraw()

    def _fit_scale(self, frame: TraceFrame) -> bool:
        """Fit the spacing to the noise of ``frame``'s channels that have any; whether it did.

        A window where every channel is flat (zeros before the acquisition started, a gap)
        has no noise to fit: the scale stays as it is and is fitted to the next window that
        has some (the automatic scale stays pending).
        """
        noise = frame.window.noise_levels
        noisy = noise[noise > 0]
        if noisy.size == 0:
            return False
        self._spacing = SPACING_IN_MADS * float(np.median(noisy))
        self._gain = 1.0
        self._auto_scale_pending = False
        self._show_scale()
        return True

    def _redraw(self) -> None:
        if self._session.recording is not None and not self._closed:
            self._request_timer.start()

    def _draw_events(self) -> None:
        frame = self._frame
        markers = self.plot_widget.event_markers
        if frame is None:
            markers.clear()
        else:
            markers.update(self._session.events, frame.window.segment_index, *frame.x_span)

    def _show_labels(self) -> None:
        frame = self._frame
        recording = self._session.recording
        if frame is None or recording is None:
            return
        style = frame.style
        height = self.plot_widget.view_box.height()
        key = (id(style.shown), style.first, style.count, self._depth_labels, height)
        if key == self._labels_key:
            return
        self._labels_key = key
        positions = np.arange(style.first, style.first + style.count)
        texts = channel_label_texts(recording, style.shown[positions], self._depth_labels)
        self.plot_widget.set_channel_labels(list(zip(positions.tolist(), texts)))

    def _show_scale(self) -> None:
        self.toolbar.set_scale(self._spacing, self._gain, self._unit())

    def _unit(self) -> str:
        return "µV" if self._session.return_scaled else ""

    # ------------------------------------------------------------------ mouse
    def _on_click(self, position: QPointF, modifiers) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        frame = self._frame
        row = None if frame is None else frame.row_at(position.y())
        if row is None or self._session.recording is None:
            return
        channel_ids = self._session.recording.channel_ids
        if modifiers & Qt.KeyboardModifier.ControlModifier:  # toggle the channel of the row
            channel_id = channel_ids[frame.style.shown[row]].item()
            selected = list(self._session.selected_channel_ids)
            if channel_id in selected:
                selected.remove(channel_id)
            else:
                selected.append(channel_id)
            self._session.select_channels(selected)
            return
        hit = frame.trace_at(position.x(), position.y(), CLICK_TOLERANCE_PX)
        if hit is not None:  # a plain click away from every trace keeps the selection
            self._session.select_channels([channel_ids[frame.style.shown[hit]].item()])

    def _on_mouse_moved(self, scene_position: QPointF) -> None:
        frame = self._frame
        view_box = self.plot_widget.view_box
        if frame is None or not view_box.sceneBoundingRect().contains(scene_position):
            return
        point = view_box.mapSceneToView(scene_position)
        found = frame.value_at(point.x(), point.y())
        if found is not None and self._session.recording is not None:
            row, value = found
            channel_id = self._session.recording.channel_ids[frame.style.shown[row]].item()
            self.cursor_moved.emit(float(point.x()), channel_id, value)

    def _on_resized(self) -> None:
        self._fit_rows_to_height()
        self._labels_key = None
        self._show_labels()
        frame = self._frame
        if frame is not None and frame.window.num_pixels != self.plot_widget.pixel_size()[0]:
            self._request_timer.start()
        self._redraw()


class _RenderCache:
    """The frame rendered last, touched only on the fetcher's worker thread."""

    frame: TraceFrame | None = None
