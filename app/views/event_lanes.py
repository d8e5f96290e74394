"""Event lanes: one lane per event channel under the traces, synced with their time window.

Events are ticks, epochs are bars with their label; a click centres the traces on the event
under the mouse; ``[`` and ``]`` (and the buttons) jump to the previous and next event.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QToolButton, QVBoxLayout, QWidget

from app.model.session import Session
from app.theme import current_theme
from app.views.plot_parts import ClickOnlyViewBox, style_axes
from core.event.base import event_times

#: Epoch labels are drawn when the window holds at most this many epochs per lane.
MAX_LABELS = 60
#: More events than this in a lane's window are drawn as ticks only.
MAX_EVENTS = 20_000
#: Half the height of a tick or bar, in lanes.
HALF_HEIGHT = 0.32
#: A click this close to an event (in pixels) selects it.
CLICK_TOLERANCE_PX = 6
ALL_CHANNELS = "All channels"


class EventLanesView(QWidget):
    """The open events as lanes over the trace window.

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Attributes
    ----------
    channel_box : QComboBox
        Which channel ``[``/``]`` jump between (or all).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        theme = self._theme = current_theme()
        self._view_box = ClickOnlyViewBox()
        self.plot_widget = pg.PlotWidget(viewBox=self._view_box, background=theme.background)
        plot = self.plot_widget.getPlotItem()
        style_axes(plot, theme)
        plot.getAxis("left").setWidth(96)
        self._ticks = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(theme.event, width=1.5))
        self._bars = pg.BarGraphItem(x0=[], x1=[], y0=[], y1=[], brush=theme.epoch, pen=None)
        plot.addItem(self._bars)
        plot.addItem(self._ticks)
        self._labels: list[pg.TextItem] = []
        self._message = QLabel("No events open", alignment=Qt.AlignmentFlag.AlignCenter)

        self.channel_box = QComboBox()
        self.channel_box.setToolTip("Channel that Previous/Next event ([ and ]) jump between")
        previous = _button("mdi6.skip-previous", "Previous event ([)", theme)
        following = _button("mdi6.skip-next", "Next event (])", theme)
        previous.clicked.connect(lambda: self.go_to_event(-1))
        following.clicked.connect(lambda: self.go_to_event(+1))
        bar = QToolBar()  # overflows into a menu instead of widening the dock
        for widget in (QLabel("Jump between "), self.channel_box, previous, following):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self._message)
        layout.addWidget(self.plot_widget, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self._view_box.clicked.connect(self._on_click)
        signals = session.signals
        signals.events.connect(self._on_events)
        signals.frame_window.connect(self.refresh)
        signals.segment_index.connect(self.refresh)
        self._on_events()

    # ------------------------------------------------------------------ public
    def lane_names(self) -> list[str]:
        """Event channel of each lane, bottom to top."""
        events = self._session.events
        return [] if events is None else [str(c) for c in events.channel_ids.tolist()]

    def tick_times(self) -> np.ndarray:
        """Times of the ticks drawn (instant events), all lanes."""
        x, _ = self._ticks.getData()
        return np.empty(0) if x is None else np.asarray(x[0::2])

    def bar_spans(self) -> list[tuple[float, float]]:
        """``(start, end)`` of the epoch bars drawn."""
        opts = self._bars.opts
        return list(zip(np.asarray(opts["x0"]).tolist(), np.asarray(opts["x1"]).tolist()))

    def label_texts(self) -> list[str]:
        """Epoch labels drawn."""
        return [label.toPlainText() for label in self._labels]

    def go_to_event(self, direction: int) -> bool:
        """Centre the traces on the next (> 0) or previous event of the chosen channel."""
        choice = self.channel_box.currentText()
        channels = None if choice in ("", ALL_CHANNELS) else [self._channel_by_name(choice)]
        return self._session.go_to_event(direction, channels)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """``[`` and ``]``: previous and next event."""
        step = {Qt.Key.Key_BracketLeft: -1, Qt.Key.Key_BracketRight: +1}.get(event.key())
        if step is None:
            super().keyPressEvent(event)
            return
        self.go_to_event(step)
        event.accept()

    def refresh(self, *_) -> None:
        """Redraw the events of the session's time window."""
        session, events = self._session, self._session.events
        start, end = session.frame_window
        if events is None or end <= start or session.segment_index >= events.get_num_segments():
            self._draw([], [], [])
            return
        t0, t1 = float(session.frame_to_time(start)), float(session.frame_to_time(end))
        ticks, bars, labels = [], [], []
        for lane, channel_id in enumerate(events.channel_ids.tolist()):
            found = events.get_events(
                channel_id=channel_id,
                segment_index=session.segment_index,
                start_time=t0,
                end_time=t1,
                include_overlapping=True,
            )[:MAX_EVENTS]
            times = np.asarray(event_times(found), dtype="float64")
            names = found.dtype.names or ()
            durations = (
                np.nan_to_num(np.asarray(found["duration"], "float64"))
                if "duration" in names
                else np.zeros(times.size)
            )
            instant = durations <= 0
            ticks.append((times[instant], lane))
            bars.append((times[~instant], times[~instant] + durations[~instant], lane))
            if "label" in names and (~instant).sum() <= MAX_LABELS:
                for time, label in zip(times[~instant], found["label"][~instant]):
                    labels.append((max(float(time), t0), lane, str(label)))
        self._draw(ticks, bars, labels)
        self.plot_widget.getPlotItem().setXRange(t0, t1, padding=0)

    # ------------------------------------------------------------------ drawing
    def _on_events(self, *_) -> None:
        names = self.lane_names()
        self._message.setVisible(not names)
        self.plot_widget.setVisible(bool(names))
        self.channel_box.clear()
        if len(names) > 1:
            self.channel_box.addItem(ALL_CHANNELS)
        self.channel_box.addItems(names)
        axis = self.plot_widget.getPlotItem().getAxis("left")
        axis.setTicks([[(i, name) for i, name in enumerate(names)], []])
        self.plot_widget.getPlotItem().setYRange(-0.6, len(names) - 0.4, padding=0)
        self.refresh()

    def _draw(self, ticks, bars, labels) -> None:
        xs = [np.repeat(times, 2) for times, _ in ticks]
        ys = [
            np.tile([lane - HALF_HEIGHT, lane + HALF_HEIGHT], times.size) for times, lane in ticks
        ]
        self._ticks.setData(
            np.concatenate(xs) if xs else np.empty(0), np.concatenate(ys) if ys else np.empty(0)
        )
        x0 = np.concatenate([b[0] for b in bars]) if bars else np.empty(0)
        x1 = np.concatenate([b[1] for b in bars]) if bars else np.empty(0)
        lanes = np.concatenate([np.full(b[0].size, b[2]) for b in bars]) if bars else np.empty(0)
        self._bars.setOpts(x0=x0, x1=x1, y0=lanes - HALF_HEIGHT, y1=lanes + HALF_HEIGHT)
        plot = self.plot_widget.getPlotItem()
        for item in self._labels:
            plot.removeItem(item)
        self._labels = []
        for time, lane, text in labels:
            item = pg.TextItem(text, color=self._theme.foreground, anchor=(0, 0.5))
            item.setPos(time, lane)
            plot.addItem(item)
            self._labels.append(item)

    def _on_click(self, position: QPointF) -> None:
        names = self.lane_names()
        lane = int(round(position.y()))
        if not 0 <= lane < len(names):
            return
        channel = self._channel_by_name(names[lane])
        times = self._session.event_times([channel])
        if times.size == 0:
            return
        nearest = times[np.argmin(np.abs(times - position.x()))]
        seconds_per_pixel = self._view_box.viewPixelSize()[0]
        if abs(nearest - position.x()) <= CLICK_TOLERANCE_PX * seconds_per_pixel:
            self._session.go_to_time(float(nearest))

    def _channel_by_name(self, name: str):
        events = self._session.events
        return next(c for c in events.channel_ids.tolist() if str(c) == name)


def _button(icon: str, tip: str, theme) -> QToolButton:
    button = QToolButton()
    button.setIcon(qta.icon(icon, color=theme.foreground))
    button.setToolTip(tip)
    return button
