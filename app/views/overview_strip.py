"""Overview strip: activity by depth over the whole segment, the trace window marked; click or
drag to move the traces there."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from app.model.latest_worker import LatestWorker, WorkResult
from app.model.overview_image import OverviewImage, compute_overview
from app.model.session import Session
from app.model.window_source import BUILDING, IDLE, READY, REQUESTED
from app.theme import current_theme
from app.views.plot_parts import style_axes

#: Most image columns computed (a wider strip stretches them).
MAX_COLUMNS = 4000
#: Milliseconds after the last resize before the image is recomputed for the new width.
RESIZE_DELAY_MS = 300
#: Colour map of the image.
COLORMAP = "inferno"


class NavigationViewBox(pg.ViewBox):
    """A view box that reports where the left button is clicked or dragged (data x), and never
    pans or zooms."""

    moved_to = Signal(float)

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=False, y=False)

    def mouseClickEvent(self, ev) -> None:
        """Report a left click."""
        if ev.button() == Qt.MouseButton.LeftButton:
            self.moved_to.emit(float(self.mapToView(ev.pos()).x()))
            ev.accept()

    def mouseDragEvent(self, ev, axis=None) -> None:
        """Report every position of a left drag."""
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        self.moved_to.emit(float(self.mapToView(QPointF(ev.pos())).x()))

    def wheelEvent(self, ev, axis=None) -> None:
        """Ignore the wheel."""
        ev.ignore()


class TimeAxis(pg.AxisItem):
    """Seconds shown as ``h:mm:ss`` (or ``m:ss``) for long segments."""

    def tickStrings(self, values, scale, spacing):
        """Labels of the ticks."""
        if spacing < 1.0:
            return super().tickStrings(values, scale, spacing)
        labels = []
        for value in values:
            seconds = int(round(value))
            sign = "-" if seconds < 0 else ""
            hours, rest = divmod(abs(seconds), 3600)
            minutes, secs = divmod(rest, 60)
            labels.append(
                f"{sign}{hours}:{minutes:02d}:{secs:02d}"
                if hours
                else f"{sign}{minutes}:{secs:02d}"
            )
        return labels


class OverviewStrip(QWidget):
    """The whole segment at a glance, from the display pyramid (`Session.overview`).

    Each row of the image is a channel, from the probe tip (bottom) up; each column a stretch of
    time; the colour the mean peak-to-peak range of the traces in short bins (spikes and noise),
    so that active depths, quiet stretches and broken channels stand out. The trace window is
    marked; a click or a drag moves it there. While the pyramid is built the strip shows the
    progress; a pyramid not built can be built from here.

    Parameters
    ----------
    session : Session
    parent : QWidget | None

    Signals
    -------
    drawn()
        A new image is on display.
    """

    drawn = Signal()
    _ready = Signal(object)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._theme = theme = current_theme()
        self._worker = LatestWorker(name="OverviewStripWorker")
        self._image: OverviewImage | None = None
        self._requested: tuple | None = None
        self._asked_for: object | None = None  # the pyramid this strip asked to build, once

        self.message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(240)
        self.progress.setTextVisible(True)
        self.build_button = QPushButton("Build overview")
        self.build_button.setToolTip(
            "Read the whole recording once in the background to browse it at any zoom"
        )
        status = QHBoxLayout()
        status.setContentsMargins(6, 2, 6, 2)
        status.addStretch(1)
        status.addWidget(self.message)
        status.addWidget(self.progress)
        status.addWidget(self.build_button)
        status.addStretch(1)
        self.status_row = QWidget()
        self.status_row.setLayout(status)

        self._view_box = NavigationViewBox()
        self.plot_widget = pg.PlotWidget(
            viewBox=self._view_box,
            background=theme.background,
            axisItems={"bottom": TimeAxis("bottom")},
        )
        plot = self.plot_widget.getPlotItem()
        style_axes(plot, theme)
        plot.hideAxis("left")
        plot.setMinimumHeight(40)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setColorMap(pg.colormap.get(COLORMAP))
        plot.addItem(self.image_item)
        color = theme.selection
        self.window_region = pg.LinearRegionItem(
            movable=False,
            brush=pg.mkBrush(color.red(), color.green(), color.blue(), 50),
            pen=pg.mkPen(color, width=1),
        )
        # a window narrower than a pixel is still seen: a line at its centre
        self.window_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(color, width=2))
        plot.addItem(self.window_region)
        plot.addItem(self.window_line)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.status_row)
        layout.addWidget(self.plot_widget, 1)

        self._resize_timer = QTimer(self, singleShot=True, interval=RESIZE_DELAY_MS)
        self._resize_timer.timeout.connect(self.refresh)
        self._ready.connect(self._show)
        self.build_button.clicked.connect(session.request_overview)
        self._view_box.moved_to.connect(self._go_to)
        signals = session.signals
        for name in ("overview", "segment_index", "return_scaled", "recording"):
            getattr(signals, name).connect(self.refresh)
        signals.frame_window.connect(self._mark_window)
        self.refresh()

    # ------------------------------------------------------------------ state for tests
    @property
    def image(self) -> OverviewImage | None:
        """The image on display."""
        return self._image

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until the newest image has been computed and handed over (tests)."""
        return self._worker.wait_until_idle(timeout)

    def shutdown(self) -> None:
        """Stop the worker."""
        self._worker.close()

    # ------------------------------------------------------------------ drawing
    def refresh(self, *_) -> None:
        """Show what the session's overview state allows: the image, progress, or a message."""
        session = self._session
        state = session.overview
        if session.recording is None:
            self._show_status("Open a recording to see an overview of the whole segment.")
            return
        if state.status in (BUILDING, REQUESTED):
            self._show_status("Building overview…", progress=state.fraction)
            return
        if state.status == IDLE:
            self._show_status("No overview of this recording yet.", build=True)
            self._ask_for_build_once(state.pyramid)
            return
        if state.status != READY or state.pyramid is None:
            self._show_status("No overview.")
            return
        pyramid, segment = state.pyramid, session.segment_index
        if not pyramid.factors(segment):
            self._show_status("The segment is short: the traces show all of it.")
            return
        width = self.plot_widget.width() or 800
        columns = int(min(max(width, 100), MAX_COLUMNS))
        request = (pyramid, segment, columns, session.return_scaled)
        if request == self._requested and self._image is not None:
            return
        self._requested = request
        scaled = session.return_scaled
        worker = self._worker
        request_id = worker.latest_id + 1  # the id submit gives (both run on the GUI thread)
        worker.submit(
            lambda: compute_overview(
                pyramid,
                segment,
                columns,
                return_scaled=scaled,
                cancelled=lambda: worker.latest_id != request_id,
            ),
            self._ready.emit,
        )

    def _ask_for_build_once(self, pyramid) -> None:
        """On screen, the strip needs the pyramid: ask for it once (a cancelled build stays so)."""
        if not self.isVisible() or pyramid is None or pyramid is self._asked_for:
            return
        self._asked_for = pyramid
        QTimer.singleShot(0, self._session.request_overview)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh()

    def _show_status(self, text: str, progress: float | None = None, build: bool = False) -> None:
        self._worker.cancel()
        self._image = None
        self._requested = None
        self.image_item.clear()
        self.message.setText(text)
        self.progress.setVisible(progress is not None)
        if progress is not None:
            self.progress.setValue(int(progress * 100))
        self.build_button.setVisible(build)
        self.status_row.show()
        self._show_segment_span()

    def _show_segment_span(self) -> None:
        """The x axis spans the whole segment, image or not: the window marker stays meaningful."""
        session = self._session
        if session.recording is None:
            self._mark_window()
            return
        start = float(session.frame_to_time(0))
        duration = session.num_samples / session.sampling_frequency
        self.plot_widget.getPlotItem().setXRange(start, start + max(duration, 1e-6), padding=0)
        self._mark_window()

    def _show(self, result: WorkResult) -> None:
        if result.request_id != self._worker.latest_id:
            return
        if result.error is not None:
            self._show_status(f"Cannot compute the overview: {result.error}")
            return
        image = result.value
        if image is None:  # cancelled by a newer request
            return
        self._image = image
        self.status_row.hide()
        session = self._session
        start = float(session.frame_to_time(0))
        # the last column may span fewer frames: the image spans whole columns
        span = image.values.shape[0] * image.column_frames / session.sampling_frequency
        self.image_item.setImage(image.values.T, levels=image.levels(), autoLevels=False)
        self.image_item.setRect(start, 0.0, span, float(image.values.shape[1]))
        self.plot_widget.getPlotItem().setYRange(0, image.values.shape[1], padding=0)
        self._show_segment_span()
        self.drawn.emit()

    def _mark_window(self, *_) -> None:
        session = self._session
        start, end = session.frame_window
        shown = session.recording is not None and end > start
        self.window_region.setVisible(shown)
        self.window_line.setVisible(shown)
        if not shown:
            return
        left, right = float(session.frame_to_time(start)), float(session.frame_to_time(end))
        self.window_region.setRegion((left, right))
        self.window_line.setValue((left + right) / 2)

    def _go_to(self, time_s: float) -> None:
        if self._image is not None:
            self._session.go_to_time(time_s)

    def resizeEvent(self, event) -> None:
        """Recompute the image for the new width, once resizing pauses."""
        super().resizeEvent(event)
        self._resize_timer.start()
