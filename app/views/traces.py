"""Trace view: the session's time window of every channel, stacked by depth or as a heat map.

A `TraceFetcher` reads each window on its worker thread (newest request wins); the same thread
reduces it to what each pixel column shows and paints it (`prepare_frame`), and a queued signal
hands the finished frame to the GUI thread. Painting every trace into one image is an order of
magnitude faster than one vector curve per channel when there are hundreds of channels. The x
range always follows ``session.frame_window``: the wheel, the keyboard, the scrollbar and the
go-to box change it through session methods.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QScrollBar, QVBoxLayout, QWidget

import core as si
from app.model.trace_fetcher import TraceFetcher, TraceWindow
from app.model.trace_frame import (
    CENTRE_ROWS,
    HEATMAP,
    STACKED,
    TraceFrame,
    TraceStyle,
    paint_frame,
    prepare_frame,
)
from app.theme import current_theme
from app.views.trace_controls import TraceNavigator, TraceToolbar
from app.views.trace_overlays import TracePlot

#: Gain factor of Up/Down.
GAIN_STEP = 1.25
#: Auto-scale puts neighbouring traces this many median absolute deviations apart.
SPACING_IN_MADS = 16.0


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
        The display was redrawn (new window, mode, scale, selection or size).
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
        self._depth_order = np.empty(0, dtype="int64")  # recording indices, bottom to top
        self._rank_of_channel = np.empty(0, dtype="int64")
        self._request_timer = QTimer(self, singleShot=True, interval=0)
        self._request_timer.timeout.connect(self._request_window)
        self._build()
        self._frame_ready.connect(self._show_frame)
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
        data = frame.window.data
        sample = data[:: max(1, data.shape[0] // CENTRE_ROWS)]
        mad = float(np.median(np.median(np.abs(sample - frame.centres), axis=0)))
        self._spacing = SPACING_IN_MADS * mad if mad > 0 else 1.0
        self._gain = 1.0
        self._auto_scale_pending = False
        self._show_scale()
        self._redraw()

    def displayed_window(self) -> TraceWindow | None:
        """The window on display (all channels in recording order), or None."""
        return None if self._frame is None else self._frame.window

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
        """Channel ids from the bottom trace to the top one (by depth, then x)."""
        recording = self._session.recording
        return np.empty(0) if recording is None else recording.channel_ids[self._depth_order]

    def drawn_channel_count(self) -> int:
        """Number of channels in the frame on display."""
        frame = self._frame
        return 0 if frame is None or frame.pixels is None else frame.lo.shape[1]

    def stacked_pixels(self) -> np.ndarray | None:
        """Stacked mode: ``(rows, columns)`` ARGB32 on display, top row first (0: background)."""
        item = self.plot_widget.trace_item
        return item.pixels if item.isVisible() else None

    def heatmap_image(self) -> np.ndarray | None:
        """Heat-map mode: ``(columns, channels)`` image on display, channels by depth."""
        item = self.plot_widget.heatmap_item
        return item.image if item.isVisible() else None

    def error_message(self) -> str:
        """Why the window on display could not be read ("" when it could)."""
        return self.plot_widget.message.toPlainText()

    def shutdown(self) -> None:
        """Stop following the session and, if the view created it, stop the fetcher."""
        self._request_timer.stop()
        for name, slot in self._session_slots():
            getattr(self._session.signals, name).disconnect(slot)
        if self._owns_fetcher:
            self._fetcher.close()

    # ------------------------------------------------------------------ Qt events
    def closeEvent(self, event) -> None:
        """Stop the fetcher this view owns."""
        self.shutdown()
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left/Right scroll, PageUp/PageDown scroll a window, Home/End jump to the ends, +/-
        zoom, Up/Down change the gain."""
        gain_keys = {
            Qt.Key.Key_Up: lambda: self.set_gain(self._gain * GAIN_STEP),
            Qt.Key.Key_Down: lambda: self.set_gain(self._gain / GAIN_STEP),
        }
        action = self._navigator.key_action(event.key()) or gain_keys.get(event.key())
        if action is None or self._session.recording is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        theme = self._theme
        self.toolbar = TraceToolbar(theme)
        self.plot_widget = TracePlot(theme)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        self.scrollbar.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._navigator = TraceNavigator(self._session, self.scrollbar)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.scrollbar)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        toolbar, session = self.toolbar, self._session
        toolbar.heatmap_toggled.connect(lambda on: self.set_mode(HEATMAP if on else STACKED))
        toolbar.scaled_toggled.connect(session.set_return_scaled)
        toolbar.segment_chosen.connect(session.set_segment)
        toolbar.time_entered.connect(session.go_to_time)
        toolbar.spacing_changed.connect(self.set_spacing)
        toolbar.gain_changed.connect(self.set_gain)
        toolbar.auto_scale_clicked.connect(self.auto_scale)
        view_box = self.plot_widget.view_box
        view_box.wheel_turned.connect(self._navigator.zoom_at)
        view_box.clicked.connect(self._on_click)
        view_box.sigResized.connect(self._on_resized)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def _session_slots(self) -> list[tuple[str, object]]:
        return [
            ("recording", self._on_recording),
            ("segment_index", self._on_segment),
            ("frame_window", self._on_frame_window),
            ("return_scaled", self._on_return_scaled),
            ("selected_channel_ids", self._redraw),
            ("sorting", self._on_sorting),
            ("waveform_extractor", self._on_sorting),
            ("events", self._draw_events),
        ]

    # ------------------------------------------------------------------ session changes
    def _on_recording(self) -> None:
        recording = self._session.recording
        self._frame = None
        self.plot_widget.spike_markers.reset()
        self._auto_scale_pending = True
        self.plot_widget.clear_layers()
        if recording is None:
            self._fetcher.cancel()
            self._depth_order = self._rank_of_channel = np.empty(0, dtype="int64")
            self.toolbar.set_segments([])
            self.toolbar.set_scaled(False, False)
            return
        try:
            self._depth_order, self._rank_of_channel = si.order_channels_by_depth(recording)
        except ValueError:  # no channel locations: keep the recording's order
            self._depth_order = np.arange(recording.get_num_channels())
            self._rank_of_channel = self._depth_order.copy()
        self.toolbar.set_segments(
            [recording.get_duration(s) for s in range(recording.get_num_segments())]
        )
        self.plot_widget.set_channel_labels(self.channel_order())
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

    def _on_sorting(self) -> None:
        self.plot_widget.spike_markers.reset()
        self._draw_spikes()

    # ------------------------------------------------------------------ fetching and drawing
    def _style(self) -> TraceStyle:
        recording = self._session.recording
        ids = list(self._session.selected_channel_ids)
        selected = recording.ids_to_indices(ids) if recording is not None and ids else []
        return TraceStyle(
            mode=self._mode,
            height=self.plot_widget.pixel_size()[1],
            gain=self._gain,
            spacing=self._spacing,
            rank_of_channel=self._rank_of_channel,
            selected=np.asarray(selected, dtype="int64"),
            colors=(_argb(self._theme.trace), _argb(self._theme.selection)),
        )

    def _request_window(self) -> None:
        session = self._session
        start, end = session.frame_window
        if session.recording is None or end <= start:
            return
        style, rate, ready = self._style(), session.recording.sampling_frequency, self._frame_ready

        def prepare(window: TraceWindow) -> None:  # on the worker thread: numpy only
            ready.emit(prepare_frame(window, style, rate))

        self._latest_request = self._fetcher.request(
            session.recording,
            session.segment_index,
            start,
            end,
            None,
            session.return_scaled,
            self.plot_widget.pixel_size()[0],
            prepare,
        )

    def _show_frame(self, frame: TraceFrame) -> None:
        if frame.window.request_id != self._latest_request:
            return  # a newer request is on its way
        self._shown_request = frame.window.request_id
        if frame.window.error is not None:
            self._frame = None
            self.plot_widget.show_error(f"Cannot read traces: {frame.window.error}")
            self.frame_drawn.emit(frame.window.request_id)
            return
        self._frame = frame
        if self._auto_scale_pending:
            self.auto_scale()  # repaints with the new spacing
        else:
            self._redraw()
        self._draw_spikes()
        self._draw_events()

    def _redraw(self) -> None:
        frame = self._frame
        if frame is None:
            return
        style = self._style()
        if not frame.style.same_as(style):
            frame = self._frame = paint_frame(frame, style)
        window = frame.window
        start = float(window.times[0])
        duration = (window.end_frame - window.start_frame) / self._session.sampling_frequency
        self.plot_widget.show_frame(frame, (start, start + duration))
        self.frame_drawn.emit(window.request_id)

    def _draw_spikes(self) -> None:
        frame = self._frame
        markers = self.plot_widget.spike_markers
        if frame is None:
            markers.clear()
        else:
            markers.update(self._session, frame.window, frame.centres, self._rank_of_channel)

    def _draw_events(self) -> None:
        frame = self._frame
        markers = self.plot_widget.event_markers
        if frame is None:
            markers.clear()
        else:
            markers.update(self._session.events, frame.window.segment_index, *frame.x_span)

    def _show_scale(self) -> None:
        unit = "µV" if self._session.return_scaled else ""
        self.toolbar.set_scale(self._spacing, self._gain, unit)

    # ------------------------------------------------------------------ mouse
    def _rank_at(self, y: float) -> int | None:
        rank = int(round(y))
        return rank if 0 <= rank < len(self._depth_order) else None

    def _on_click(self, position: QPointF, modifiers) -> None:
        rank = self._rank_at(position.y())
        if rank is None:
            return
        channel_id = self.channel_order()[rank].item()
        selected = [c for c in self._session.selected_channel_ids if c != channel_id]
        if not modifiers & Qt.KeyboardModifier.ControlModifier:
            selected = [channel_id]
        elif len(selected) == len(self._session.selected_channel_ids):
            selected.append(channel_id)
        self._session.select_channels(selected)

    def _on_mouse_moved(self, scene_position: QPointF) -> None:
        frame = self._frame
        view_box = self.plot_widget.view_box
        if frame is None or not view_box.sceneBoundingRect().contains(scene_position):
            return
        point = view_box.mapSceneToView(scene_position)
        rank = self._rank_at(point.y())
        (left, right), columns = frame.x_span, frame.lo.shape[0]
        column = int((point.x() - left) / (right - left) * columns)
        if rank is None or not 0 <= column < columns:
            return
        channel = self._depth_order[rank]
        low, high, centre = (
            float(a)
            for a in (frame.lo[column, channel], frame.hi[column, channel], frame.centres[channel])
        )
        value = low if abs(low - centre) > abs(high - centre) else high
        self.cursor_moved.emit(float(point.x()), self.channel_order()[rank].item(), value)

    def _on_resized(self) -> None:
        self.plot_widget.set_channel_labels(self.channel_order())
        frame = self._frame
        if frame is not None and frame.window.num_pixels != self.plot_widget.pixel_size()[0]:
            self._request_timer.start()
        self._redraw()


def _argb(color: QColor) -> int:
    """Opaque ARGB32 value of a colour."""
    return 0xFF000000 | (color.red() << 16) | (color.green() << 8) | color.blue()
