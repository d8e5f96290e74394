"""RasterView: spikes of the visible units in the trace window, one row per unit, over an
overview of the whole segment (spikes by depth) to navigate hours.

The spike vector is split by segment and binned for the overview once per sorting on a worker
thread (`app.model.raster_data`); afterwards every redraw is a ``searchsorted`` and a numpy
paint into one pixel array the size of the plot (`RasterImage`), whatever the number of units.
Rows follow the units' depth (shallowest at the top), the units table's order
(``session.unit_order``) or the unit ids. Selected units are drawn on top over a highlighted row,
the others dimmed. Clicking a spike centres the time window on it and selects its unit; the
wheel zooms time. In the overview, the current window is marked; click or drag the marker to
move there.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.jobs import lower_thread_priority
from app.model.latest_worker import LatestWorker, WorkResult
from app.model.raster_data import (
    OverviewCounts,
    RasterStyle,
    SpikeIndex,
    curation_base,
    depth_positions,
    overview_picture,
    paint_raster,
    row_bounds,
    spike_at,
)
from app.model.session import Session
from app.theme import current_theme
from app.views.raster_items import (
    ClickViewBox,
    ClockAxis,
    RasterImage,
    blocked_signals,
    style_axes,
)

_log = logging.getLogger(__name__)

ORDER_DEPTH, ORDER_TABLE, ORDER_ID = "depth", "table", "id"
ORDER_TITLES = {ORDER_DEPTH: "Depth", ORDER_TABLE: "Table order", ORDER_ID: "Unit id"}
#: A click selects a spike within this many pixels of it.
CLICK_TOLERANCE_PX = 4
#: Smallest distance between unit labels, in pixels.
LABEL_SPACING_PX = 14
#: Width of the unit axis, in pixels.
UNIT_AXIS_WIDTH_PX = 56
#: Wheel zoom per notch.
ZOOM_STEP = 0.8


class RasterView(QWidget):
    """Rasters of the session's visible units in its time window, and a whole-segment overview.

    Parameters
    ----------
    session : Session
    parent : QWidget or None

    Signals
    -------
    drawn()
        The raster was repainted.
    overview_drawn()
        The overview image was repainted (its image is computed on a worker thread: it follows
        the raster by some milliseconds).
    """

    drawn = Signal()
    overview_drawn = Signal()
    _index_built = Signal(object)
    _overview_computed = Signal(object)

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self._theme = current_theme()
        self._rgba: dict[int, tuple[int, int, int, int]] = {}  # unit colour by colour index
        self._order = ORDER_DEPTH
        self._selected_only = False
        self._index: SpikeIndex | None = None
        self._overviews: list[OverviewCounts] = []
        self._worker: threading.Thread | None = None
        self._overview_worker: LatestWorker | None = None  # made on first use
        self._style: RasterStyle | None = None
        self._ordered_ids: list = []
        self._window = (0, 0, 0)  # segment, start, end frames on display
        self._unit_lines: list = []
        self._redraw_timer = QTimer(self, singleShot=True, interval=0)
        self._redraw_timer.timeout.connect(self.redraw)
        self._restyle_timer = QTimer(self, singleShot=True, interval=0)
        self._restyle_timer.timeout.connect(self._restyle)
        self._build()
        self._index_built.connect(self._on_index_built)
        self._overview_computed.connect(self._on_overview_computed)
        signals = session.signals
        signals.sorting.connect(self._on_sorting)
        signals.recording.connect(self._on_recording)
        signals.frame_window.connect(self._schedule_redraw)
        signals.segment_index.connect(self._on_segment)
        for name in ("hidden_unit_ids", "selected_unit_ids", "unit_channel_ids"):
            getattr(signals, name).connect(self._schedule_restyle)
        signals.unit_order.connect(self._on_unit_order)
        self._on_sorting()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        theme = self._theme
        self.order_box = QComboBox()
        for key, title in ORDER_TITLES.items():
            self.order_box.addItem(title, key)
        self.order_box.setToolTip(
            "Order of the rows: by depth (shallowest at the top), as in "
            "the units table, or by unit id"
        )
        self.order_box.currentIndexChanged.connect(
            lambda _i: self.set_order(self.order_box.currentData())
        )
        self.selected_only_box = QCheckBox("Selected only")
        self.selected_only_box.setToolTip("One row per selected unit (all units when none is)")
        self.selected_only_box.toggled.connect(self.set_selected_only)
        self.info_label = QLabel()
        self.hover_label = QLabel()
        tools = QHBoxLayout()
        tools.setContentsMargins(4, 0, 4, 0)
        tools.addWidget(QLabel("Rows:"))
        tools.addWidget(self.order_box)
        tools.addWidget(self.selected_only_box)
        tools.addStretch(1)
        tools.addWidget(self.hover_label)
        tools.addSpacing(12)
        tools.addWidget(self.info_label)

        self.raster_box = ClickViewBox()
        self.raster_plot = pg.PlotWidget(viewBox=self.raster_box, background=theme.background)
        item = self.raster_plot.getPlotItem()
        item.hideButtons()
        item.disableAutoRange()
        self.raster_box.invertY(True)
        # the time axis reads seconds like the traces above; no title, to give the rows room
        style_axes(item, theme, left="Unit", bottom="")
        item.getAxis("left").setWidth(UNIT_AXIS_WIDTH_PX)
        self.raster_image = RasterImage()
        item.addItem(self.raster_image)
        self.message = pg.TextItem(color=theme.foreground, anchor=(0.5, 0.5))
        item.addItem(self.message)
        self.raster_box.clicked.connect(self._on_raster_click)
        self.raster_box.wheel_turned.connect(self._on_wheel)
        self.raster_box.sigResized.connect(self._schedule_redraw)
        self.raster_plot.scene().sigMouseMoved.connect(self._on_mouse_moved)

        self.overview_box = ClickViewBox()
        self.overview_plot = pg.PlotWidget(
            viewBox=self.overview_box,
            background=theme.background,
            axisItems={"bottom": ClockAxis("bottom")},
        )
        overview = self.overview_plot.getPlotItem()
        overview.hideButtons()
        overview.disableAutoRange()
        style_axes(overview, theme, left="µm", bottom="")
        overview.getAxis("left").setWidth(UNIT_AXIS_WIDTH_PX)
        self.overview_image = pg.ImageItem(axisOrder="row-major")
        # no spikes: the background; many: the trace colour
        self.overview_image.setColorMap(pg.ColorMap([0.0, 1.0], [theme.background, theme.trace]))
        overview.addItem(self.overview_image)
        selection = QColor(theme.selection)
        selection.setAlpha(70)
        self.window_region = pg.LinearRegionItem(
            movable=False, brush=pg.mkBrush(selection), pen=pg.mkPen(theme.selection)
        )
        self.window_line = pg.InfiniteLine(
            angle=90,
            movable=True,
            pen=pg.mkPen(theme.selection, width=2),
            hoverPen=pg.mkPen(theme.selection, width=4),
        )
        self.window_line.setToolTip("Drag to move the time window")
        for marker in (self.window_region, self.window_line):
            marker.setZValue(10)
            overview.addItem(marker)
        self.window_line.sigDragged.connect(self._on_line_dragged)
        self.overview_box.clicked.connect(self._on_overview_click)
        self.overview_plot.setToolTip(
            "Spikes of the visible units over the whole segment, by depth (darker: more).\n"
            "Click to go there, or drag the marker of the time window."
        )

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.raster_plot)
        splitter.addWidget(self.overview_plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(tools)
        layout.addWidget(splitter, 1)

    # ------------------------------------------------------------------ public
    @property
    def order(self) -> str:
        """How rows are ordered: ``"depth"``, ``"table"`` or ``"id"``."""
        return self._order

    def set_order(self, order: str) -> None:
        """Order rows by ``"depth"``, ``"table"`` (the units table's order) or ``"id"``."""
        if order not in ORDER_TITLES:
            raise ValueError(f"order must be one of {tuple(ORDER_TITLES)}, got {order!r}")
        self._order = order
        self.order_box.setCurrentIndex(list(ORDER_TITLES).index(order))
        self._restyle()

    def set_selected_only(self, selected_only: bool) -> None:
        """Show only the selected units' rows (every visible unit's while none is selected)."""
        self._selected_only = bool(selected_only)
        with blocked_signals(self.selected_only_box):
            self.selected_only_box.setChecked(self._selected_only)
        self._restyle()

    def row_unit_ids(self) -> list:
        """Unit ids of the rows, top to bottom."""
        return list(self._ordered_ids)

    def is_ready(self) -> bool:
        """Whether the spikes of the session's sorting are indexed (the raster can draw)."""
        return self._index is not None and self._index.sorting is self._session.sorting

    def wait_until_idle(self, timeout: float | None = 30.0) -> bool:
        """Block until the spike index of the open sorting is built and the overview worker
        has nothing left to compute (tests, benchmarks; its result is shown once the event
        loop runs)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
            if worker.is_alive():
                return False
        overview = self._overview_worker
        return overview is None or overview.wait_until_idle(timeout)

    def shutdown(self) -> None:
        """Let the index worker finish (it cannot be interrupted; it holds no resources) and
        stop the overview worker."""
        self.wait_until_idle(5.0)
        if self._overview_worker is not None:
            self._overview_worker.close()
            self._overview_worker = None

    def spike_pixels(self) -> np.ndarray | None:
        """The raster's pixels on display (uint32 ARGB, top row first), or None."""
        return self.raster_image.pixels

    def row_pixel_span(self, row: int) -> tuple[int, int]:
        """``[top, bottom)`` pixel rows of raster row ``row`` in `spike_pixels`."""
        pixels = self.raster_image.pixels
        top, bottom = row_bounds(len(self._ordered_ids), 0 if pixels is None else pixels.shape[0])
        return int(top[row]), int(bottom[row])

    def spikes_in_window(self) -> tuple[np.ndarray, np.ndarray]:
        """``(sample_index, unit_index)`` of the spikes of the current window (all units)."""
        segment, start, end = self._window
        if self._index is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return self._index.window(segment, start, end)

    def overview_pixels(self) -> np.ndarray | None:
        """The overview's counts per (position, time bin) on display, or None."""
        return self.overview_image.image

    def data_to_raster_scene(self, time_s: float, row: float) -> QPointF:
        """Scene position of a (time, row) point of the raster plot."""
        return self.raster_box.mapViewToScene(QPointF(time_s, row))

    def _schedule_redraw(self, *_) -> None:
        self._redraw_timer.start()

    def _schedule_restyle(self, *_) -> None:
        self._restyle_timer.start()

    def _on_unit_order(self, *_) -> None:
        # rows in depth or id order do not follow the table (which shares its order again
        # after every curation action)
        if self._order == ORDER_TABLE:
            self._schedule_restyle()

    # ------------------------------------------------------------------ sorting
    def _on_sorting(self, *_) -> None:
        session = self._session
        previous, previous_overviews = self._index, self._overviews
        sorting = session.sorting
        follows = (
            sorting is not None
            and previous is not None
            and previous.base is not None
            and curation_base(sorting) is previous.base
        ) or (previous is not None and curation_base(sorting) is previous.sorting)
        if follows and previous.same_spikes(sorting):  # e.g. a label: the index stays
            self._index = previous.for_sorting(sorting)
            self._restyle()
            return
        if not follows:  # another sorting: nothing of the old one stays on screen
            previous, previous_overviews = None, []
            self._index, self._overviews = None, []
            self.raster_image.clear()
            self.overview_image.clear()
            if self._overview_worker is not None:
                self._overview_worker.cancel()  # an overview of the old sorting is dropped
        self._show_window_markers(sorting is not None)
        if sorting is None:
            self._show_message("No sorting open")
            return
        if not follows:
            self._show_message("Indexing spikes…")
        recording, fs = session.recording, sorting.sampling_frequency

        def build() -> None:
            if not follows:  # following a curation is quick, and the user waits for it
                lower_thread_priority()
            try:
                # a curation of what is on screen: the spike times are shared, the overview
                # counts of the units it left alone are copied
                index = SpikeIndex(sorting, previous)
                num_samples = [
                    _segment_samples(recording, sorting, s) for s in range(index.num_segments)
                ]
                if previous_overviews:
                    ids = previous.unit_ids.tolist()
                    overviews = [
                        o.follow_curation(ids, index, s) for s, o in enumerate(previous_overviews)
                    ]
                else:
                    overviews = [
                        OverviewCounts(
                            *index.segment(s), len(index.unit_ids), n, sampling_frequency=fs
                        )
                        for s, n in enumerate(num_samples)
                    ]
            except Exception:  # shown as a message, never raised in the worker
                _log.exception("indexing the spikes failed")
                index, overviews = None, []
            with contextlib.suppress(RuntimeError):  # the view was deleted meanwhile
                self._index_built.emit((sorting, index, overviews))

        self._worker = threading.Thread(target=build, name="RasterIndex", daemon=True)
        self._worker.start()

    def _on_recording(self, *_) -> None:
        recording, overviews = self._session.recording, self._overviews
        same_length = (
            recording is not None
            and self._index is not None
            and [o.num_samples for o in overviews]
            == [recording.get_num_samples(s) for s in range(recording.get_num_segments())]
        )
        if same_length:  # e.g. a new probe: only depths may change
            self._schedule_restyle()
        else:
            self._on_sorting()

    def _on_index_built(self, result) -> None:
        sorting, index, overviews = result
        if sorting is not self._session.sorting:
            return
        if index is None:
            self._show_message("The spikes could not be indexed (see the log)")
            return
        self._index, self._overviews = index, overviews
        self._restyle()

    def _on_segment(self, *_) -> None:
        self._update_overview()
        self._schedule_redraw()

    # ------------------------------------------------------------------ style
    def _restyle(self) -> None:
        self._restyle_timer.stop()
        session, index = self._session, self._index
        if index is None or session.sorting is None or index.sorting is not session.sorting:
            return  # (the previous curation stays drawn until the new one is indexed)
        unit_ids = index.unit_ids.tolist()
        hidden = set(session.hidden_unit_ids)
        ordered = [u for u in self._ordering(unit_ids) if u not in hidden]
        chosen = set(session.selected_unit_ids)
        if self._selected_only and chosen & set(ordered):
            ordered = [u for u in ordered if u in chosen]
        position = {u: i for i, u in enumerate(unit_ids)}
        row_of_unit = np.full(len(unit_ids), -1, dtype=np.int64)
        row_of_unit[[position[u] for u in ordered]] = np.arange(len(ordered))
        selected = np.zeros(len(unit_ids), dtype=bool)
        selected[[position[u] for u in session.selected_unit_ids if u in position]] = True
        colors = np.array(
            [self._unit_rgba(session.unit_color_index(u)) for u in unit_ids], dtype=np.uint8
        ).reshape(-1, 4)
        highlight = QColor(self._theme.selection)
        self._ordered_ids = ordered
        self._style = RasterStyle(
            row_of_unit, len(ordered), colors, selected, (*highlight.getRgb()[:3], 45)
        )
        self._update_labels()
        self._update_overview()
        self.redraw()

    def _unit_rgba(self, color_index: int) -> tuple[int, int, int, int]:
        # kept per colour index: a QColor made for each of hundreds of units on every restyle
        # is GUI-thread time
        rgba = self._rgba.get(color_index)
        if rgba is None:
            rgba = self._rgba[color_index] = self._theme.unit_color(color_index).getRgb()
        return rgba

    def _ordering(self, unit_ids: list) -> list:
        if self._order == ORDER_TABLE:
            return self._session.ordered_unit_ids()
        if self._order == ORDER_DEPTH:
            depths = self._depths(unit_ids)
            if np.isfinite(depths).any():
                # shallowest (largest y) at the top; unknown depths last, in id order
                keys = np.where(np.isfinite(depths), -depths, np.inf)
                return [unit_ids[i] for i in np.argsort(keys, kind="stable")]
        return list(unit_ids)

    def _depths(self, unit_ids: list) -> np.ndarray:
        session = self._session
        recording = session.recording
        depths = np.full(len(unit_ids), np.nan)
        if (
            recording is None
            or not session.unit_channel_ids
            or not recording.has_channel_location()
        ):
            return depths
        locations = recording.get_channel_locations()
        index = {c: i for i, c in enumerate(recording.channel_ids.tolist())}
        for k, unit_id in enumerate(unit_ids):
            channel = session.unit_channel_ids.get(unit_id)
            if channel in index:
                depths[k] = locations[index[channel], 1]
        return depths

    # ------------------------------------------------------------------ drawing
    def redraw(self) -> None:
        """Paint the spikes of the session's window (called for you when anything changes)."""
        self._redraw_timer.stop()
        session, index, style = self._session, self._index, self._style
        if index is None or style is None:
            return
        start, end = session.frame_window
        if end <= start:
            self._show_message("Open a recording to see the spikes of a time window")
            return
        segment = session.segment_index
        self._window = (segment, start, end)
        samples, units = index.window(segment, start, end)
        width, height = self._pixel_size()
        pixels = paint_raster(samples, units, start, end, width, height, style)
        t0, t1 = float(session.frame_to_time(start)), float(session.frame_to_time(end))
        rows = max(style.num_rows, 1)
        self.raster_image.set_pixels(pixels, QRectF(t0, -0.5, t1 - t0, rows))
        self.raster_box.setRange(xRange=(t0, t1), yRange=(-0.5, rows - 0.5), padding=0)
        self._show_message("" if style.num_rows else "Every unit is hidden")
        visible = int(np.count_nonzero(style.row_of_unit[units] >= 0))
        self.info_label.setText(f"{style.num_rows} units · {visible:,} spikes in window")
        self._mark_window(t0, t1)
        self.drawn.emit()

    def _pixel_size(self) -> tuple[int, int]:
        ratio = self.raster_plot.devicePixelRatioF()
        return (
            max(int(round(self.raster_box.width() * ratio)), 1),
            max(int(round(self.raster_box.height() * ratio)), 1),
        )

    def _update_labels(self) -> None:
        """Unit ids on the row axis: every selected unit, and others as space allows."""
        ids = self._ordered_ids
        height = max(self.raster_box.height(), 1.0)
        rows_per_label = len(ids) * LABEL_SPACING_PX / height
        step = max(1, int(np.ceil(rows_per_label)))
        selected = set(self._session.selected_unit_ids)
        taken = [row for row, u in enumerate(ids) if u in selected]
        rows = list(taken)
        for row in range(0, len(ids), step):
            if all(abs(row - other) >= rows_per_label for other in taken):
                rows.append(row)
        ticks = [(row, str(ids[row])) for row in sorted(rows)]
        self.raster_plot.getPlotItem().getAxis("left").setTicks([ticks])

    def _update_overview(self) -> None:
        """Ask the overview worker for the image of the visible units (by depth when the
        units' channels are known, else by raster row); `_on_overview_computed` shows it."""
        session, index = self._session, self._index
        segment = session.segment_index
        if index is None or not 0 <= segment < len(self._overviews):
            return
        overview = self._overviews[segment]
        unit_ids = index.unit_ids.tolist()
        hidden = set(session.hidden_unit_ids)
        visible = np.array([u not in hidden for u in unit_ids], dtype=bool)
        depths = self._depths(unit_ids)
        if np.isfinite(depths).any():
            positions, (low, high), num_positions = depth_positions(depths, visible)
            y0, span, label = low, high - low, "µm"
            heights = depths
        else:  # rows as in the raster, the top one at the top
            rows = {u: r for r, u in enumerate(self._ordered_ids)}
            num_positions = max(len(rows), 1)
            positions = np.array(
                [num_positions - 1 - rows[u] if u in rows else -1 for u in unit_ids],
                dtype=np.int64,
            )
            y0, span, label = -0.5, float(num_positions), "Row"
            heights = positions.astype(float)
        t_start = float(session.frame_to_time(0)) if session.recording is not None else 0.0
        placement = _OverviewPlacement(
            index,
            unit_ids,
            heights,
            label,
            t_start,
            overview.num_samples / session.sampling_frequency,
            y0,
            span,
        )
        if self._overview_worker is None:
            self._overview_worker = LatestWorker("RasterOverview")

        def deliver(result: WorkResult) -> None:
            with contextlib.suppress(RuntimeError):  # the view was deleted meanwhile
                self._overview_computed.emit((result, placement))

        self._overview_worker.submit(
            lambda: overview_picture(overview, positions, num_positions), deliver
        )

    def _on_overview_computed(self, delivered) -> None:
        result, placement = delivered
        worker = self._overview_worker
        if worker is None or result.request_id != worker.latest_id:
            return  # a newer overview was asked for
        if placement.index is not self._index:
            return  # computed for another sorting
        if result.error is not None:
            _log.warning("the overview could not be computed: %s", result.error)
            return
        shown, top = result.value
        self.overview_plot.getPlotItem().getAxis("left").setLabel(placement.label)
        self._mark_selected_units(placement.unit_ids, placement.heights)
        self.overview_image.setImage(shown, levels=(0.0, top))
        y0, span = placement.y0, placement.span
        t_start, duration = placement.t_start, placement.duration
        self.overview_image.setRect(QRectF(t_start, y0, duration, span))
        self.overview_box.setRange(
            xRange=(t_start, t_start + duration), yRange=(y0, y0 + span), padding=0
        )
        self.overview_drawn.emit()

    def _mark_selected_units(self, unit_ids: list, heights: np.ndarray) -> None:
        """A line in the unit's colour across the overview at each selected unit's depth."""
        plot = self.overview_plot.getPlotItem()
        for line in self._unit_lines:
            plot.removeItem(line)
        self._unit_lines = []
        position = {u: i for i, u in enumerate(unit_ids)}
        for unit_id in self._session.selected_unit_ids:
            index = position.get(unit_id)
            if index is None or not np.isfinite(heights[index]) or heights[index] < 0:
                continue
            color = QColor(self._theme.unit_color(self._session.unit_color_index(unit_id)))
            color.setAlpha(200)
            line = pg.InfiniteLine(float(heights[index]), angle=0, pen=pg.mkPen(color, width=2))
            line.setZValue(5)
            plot.addItem(line)
            self._unit_lines.append(line)

    def _show_window_markers(self, shown: bool) -> None:
        """The overview marks the time window only when it has spikes to show it among."""
        for marker in (self.window_region, self.window_line):
            marker.setVisible(shown)

    def _mark_window(self, t0: float, t1: float) -> None:
        self.window_region.setRegion((t0, t1))
        with blocked_signals(self.window_line):
            self.window_line.setValue((t0 + t1) / 2)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        if text:
            rect = self.raster_box.viewRect()
            self.message.setPos(rect.center())

    # ------------------------------------------------------------------ interaction
    def _on_raster_click(self, position: QPointF, modifiers) -> None:
        style, index = self._style, self._index
        segment, start, end = self._window
        if style is None or not self.is_ready() or end <= start or style.num_rows == 0:
            return
        row = int(round(position.y()))
        if not 0 <= row < style.num_rows:
            return
        session = self._session
        frame = session.time_to_frame(position.x())
        width, _ = self._pixel_size()
        tolerance = CLICK_TOLERANCE_PX * (end - start) / width
        samples, units = index.window(segment, start, end)
        found = spike_at(samples, units, style.row_of_unit, row, frame, tolerance)
        if found is None:
            return
        unit_id = index.unit_ids[units[found]].item()
        selected = [unit_id]
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            others = [u for u in session.selected_unit_ids if u != unit_id]
            selected = others if unit_id in session.selected_unit_ids else [*others, unit_id]
        session.select_units(selected)
        session.go_to_time(float(session.frame_to_time(int(samples[found]))))

    def _on_mouse_moved(self, scene_position) -> None:
        """Name the unit of the row under the mouse (rows are thin when there are hundreds)."""
        if not self.raster_box.sceneBoundingRect().contains(scene_position):
            self.hover_label.setText("")
            return
        point = self.raster_box.mapSceneToView(scene_position)
        row = int(round(point.y()))
        if 0 <= row < len(self._ordered_ids):
            self.hover_label.setText(f"unit {self._ordered_ids[row]} · {point.x():.3f} s")
        else:
            self.hover_label.setText("")

    def _on_wheel(self, x: float, steps: float) -> None:
        session = self._session
        if session.recording is None:
            return
        session.zoom(ZOOM_STEP**steps, anchor_frame=session.time_to_frame(x))

    def _on_overview_click(self, position: QPointF, _modifiers) -> None:
        if self._session.recording is not None:
            self._session.go_to_time(position.x())

    def _on_line_dragged(self, line) -> None:
        if self._session.recording is not None:
            self._session.go_to_time(line.value())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._update_labels()


@dataclass(frozen=True, eq=False)
class _OverviewPlacement:
    """Where an overview image computed on the worker goes, and for which index."""

    index: SpikeIndex
    unit_ids: list
    heights: np.ndarray  # y of each unit (its depth or row), for the selected units' lines
    label: str
    t_start: float
    duration: float
    y0: float
    span: float


def _segment_samples(recording, sorting, segment: int) -> int:
    if recording is not None:
        return recording.get_num_samples(segment)
    if sorting.has_recording():
        return sorting.get_num_samples(segment)
    trains = sorting.to_spike_vector(concatenated=False)[segment]
    return int(trains["sample_index"][-1]) + 1 if trains.size else 1
