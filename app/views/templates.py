"""TemplateView: the selected units' templates, spread and waveforms, on the probe or flattened.

Each selected unit is drawn in its colour: the mean waveform (thick), a band of ± one standard
deviation, and up to N individual waveforms in a lighter shade, on the channels nearest its
extremum channel and on its sparsity channels. Channels in the unit's sparsity
(``session.sparsity``) are drawn solid on a tinted box; the others dashed. Data is read, placed
and turned into painter paths on a worker thread (`app.model.waveform_source`,
`app.views.template_drawing`), the newest request winning; the GUI thread hands the finished
paths to its items, and only the units whose drawing changed get new paths.

A unit a curation action merged from units on display is drawn at once from their templates,
and a part split off a unit on display from that unit's sampled waveforms that are its spikes
(`WaveformSource.provisional`), then again from its own spikes when they are read; the line
above the plot says when the first drawing is only an estimate (`PROVISIONAL_NOTE`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QEvent, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainterPath, QPen, QPixmapCache
from PySide6.QtWidgets import (
    QGraphicsItem,
    QLabel,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.model.latest_worker import LatestWorker, WorkResult
from app.model.session import Session
from app.model.template_geometry import Placement, contact_pitch
from app.model.waveform_source import WaveformSource
from app.theme import current_theme
from app.views.template_controls import (
    MODES,
    TemplateControls,
)
from app.views.template_drawing import DrawSettings, TemplateDrawing, UnitDrawing, plan_drawing
from app.views.template_items import (
    ChannelLabels,
    OneLineLabel,
    PathItem,
    TemplateViewBox,
    cosmetic_pen,
    depth_ticks,
    with_alpha,
)

#: Said of a unit drawn from a first estimate (a merged unit from its parts' templates, a split
#: part from its unit's sampled waveforms) until its own waveforms are read.
PROVISIONAL_NOTE = "provisional: estimated from the units before the action"
#: Units drawn at most (the first ones selected).
MAX_UNITS_DRAWN = 8
#: Individual waveforms are painted straight into the view, not into a pixmap cache, when the
#: drawn units' waveforms have at most this many points together: painting translucent
#: lines into a cache pixmap costs three times painting them into the view (9 ms against 3 ms
#: for two units of 20 waveforms on 16 channels), and a new drawing (a selection, a curation
#: action) is always painted afresh; more points are cached, so that a pan only blits them.
MAX_UNCACHED_WAVEFORM_POINTS = 150_000
#: Qt keeps the rendering of each cached item in the application's `QPixmapCache` (10 MB by
#: default), each as large as the plot at most: the items of eight units on a large plot need
#: more, and with too small a cache every paint renders every item again (86 ms instead of
#: 3 ms for eight units on a 446 x 409 plot). The view raises the limit to what its items
#: need, twice that (the renderings of the drawing before stay until they are evicted), up
#: to this many kB.
MAX_PIXMAP_CACHE_KB = 256 * 1024
#: Channel ids are written on the windows when at most this many channels are drawn.
MAX_LABELLED_CHANNELS = 96
# alpha of the parts of a unit's drawing
_WAVEFORM_ALPHA, _BAND_ALPHA, _OUTSIDE_ALPHA, _BOX_ALPHA = 40, 70, 150, 30
# the items of one unit's drawing
_UNIT_PARTS = ("halo", "mean", "outside", "band", "waveforms")


def _read_and_plan(
    source: WaveformSource,
    unit_ids: list,
    settings: DrawSettings,
    previous,
    early: Callable[[tuple], None],
) -> tuple:
    """Read every unit and plan their drawing (on the worker); a unit that fails is reported,
    not raised. Returns ``(source, units, errors, drawing or None)``.

    When the units still to be read all have a first estimate from units read before the
    last curation action (`WaveformSource.provisional`: merged units, split parts), the
    drawing with those estimates is handed to ``early`` first, in the same form.
    """
    count = settings.waveform_count
    ready = {u: source.cached(u, count) for u in unit_ids}
    missing = [u for u, unit in ready.items() if unit is None]
    if missing:
        combined = {u: source.provisional(u, count) for u in missing}
        if all(unit is not None for unit in combined.values()):
            units = [ready[u] or combined[u] for u in unit_ids]
            previous = plan_drawing(source.layout, units, settings, previous)
            early((source, units, [], previous))
    units, errors = [], []
    for unit_id in unit_ids:
        try:
            units.append(source.load(unit_id, settings.waveform_count))
        except (OSError, ValueError) as error:
            errors.append(f"unit {unit_id}: {error}")
    drawing = plan_drawing(source.layout, units, settings, previous) if units else None
    return source, units, errors, drawing


class _ResultEvent(QEvent):
    """A worker's result, posted to the view."""

    TYPE = QEvent.Type(QEvent.registerEventType())

    def __init__(self, result: WorkResult, final: bool = True) -> None:
        super().__init__(self.TYPE)
        self.result, self.final = result, final


class TemplateView(QWidget):
    """Templates and waveforms of the selected units.

    Parameters
    ----------
    session : Session
        Draws ``selected_unit_ids`` (not hidden) from ``waveform_extractor``, or cut from
        ``recording`` and ``sorting``; marks ``sparsity``. The unit arrows select through
        ``session.select_units``.
    parent : QWidget | None
    compute_sparsity : callable or None
        Run by the toolbar's Sparsity button (the window's Units ▸ Compute Sparsity…).

    Signals
    -------
    drawn()
        The drawing was replaced (after new data arrived, or the display changed).
    """

    drawn = Signal()

    def __init__(
        self,
        session: Session,
        parent: QWidget | None = None,
        compute_sparsity: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._theme = current_theme()
        self._mode = "probe"
        self._gain = 1.0
        self._show_std = True
        self._source: WaveformSource | None = None
        self._source_error = ""
        self._pitch = None
        self._pitch_of = None  # the recording the pitch was measured on
        self._units: list = []
        self._errors: list[str] = []
        self._drawing: TemplateDrawing | None = None
        self._placement: Placement | None = None
        self._awaited: int | None = None  # the worker request whose drawing is wanted
        self._fit_pending = False
        # per unit drawn: its items ({"halo", "mean", "outside", "band", "waveforms"}), the
        # `UnitDrawing` they show and their style; items of units no longer drawn wait hidden
        self._unit_items: dict = {}
        self._spare_items: list[dict] = []
        self._labels_of: tuple = ()  # the placement (and mode) the channel labels show
        self._axes_placement: Placement | None = None  # the placement the axes show
        self._axes_of: tuple = ()
        self._break_lines: list = []
        self._channel_labels: ChannelLabels | None = None  # made with the view box below
        self._worker = LatestWorker("TemplateWorker")
        self._reset_timer = QTimer(self, singleShot=True, interval=0)
        self._reset_timer.timeout.connect(self._reset_source)

        self.viewbox = TemplateViewBox()
        self.viewbox.gain_wheel.connect(lambda steps: self.set_gain(self._gain * 1.25**steps))
        self.viewbox.clicked.connect(self._clicked)
        self.plot_widget = pg.PlotWidget(viewBox=self.viewbox, background=self._theme.background)
        self.plot_widget.setMinimumHeight(240)  # the templates keep their room in a crowded column
        self.plot_widget.hideButtons()
        self.plot_widget.setMenuEnabled(False)
        for name in ("left", "bottom"):
            axis = self.plot_widget.getAxis(name)
            axis.enableAutoSIPrefix(False)
            axis.setPen(self._theme.foreground)
            axis.setTextPen(self._theme.foreground)
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF() * 0.8, 6.0))
        self._channel_labels = self._add(
            ChannelLabels(with_alpha(self._theme.foreground, 150), font), 20
        )
        self._boxes = self._add(PathItem(), -20)
        self._bar = self._add(PathItem(cosmetic_pen(self._theme.foreground, 2.0)), 30)
        self._bar_labels = [
            self._add(pg.TextItem("", color=self._theme.foreground, anchor=anchor), 30)
            for anchor in ((0, 0), (1, 0.5))
        ]
        self._hint = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._hint.setMargin(16)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._hint)
        self._stack.addWidget(self.plot_widget)
        self._info = OneLineLabel()
        self._info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._info.setContentsMargins(6, 0, 6, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.controls = TemplateControls(with_sparsity=compute_sparsity is not None)
        controls = self.controls
        controls.step_unit.connect(self.select_next_unit)
        controls.mode_chosen.connect(self.set_mode)
        controls.waveforms_changed.connect(lambda _count: self._request())
        controls.channels_changed.connect(lambda _count: self._request(fit=True))
        controls.gain_changed.connect(self._set_gain)
        controls.std_toggled.connect(self._set_std)
        controls.fit_requested.connect(self.fit)
        if compute_sparsity is not None:
            controls.sparsity_requested.connect(lambda: compute_sparsity())
        self._waveform_box, self._channel_box = controls.waveform_box, controls.channel_box
        self._gain_box, self._std_action = controls.gain_box, controls.std_action
        self._mode_actions = controls.mode_actions
        layout.addWidget(controls)
        layout.addWidget(self._info)
        layout.addWidget(self._stack, 1)

        self._slots = [
            *((name, self._schedule_reset)
              for name in ("recording", "sorting", "waveform_extractor", "return_scaled")),
            ("selected_unit_ids", self._request),
            ("hidden_unit_ids", self._request),
            ("sparsity", self._sparsity_changed),
        ]  # fmt: skip
        for name, slot in self._slots:
            getattr(session.signals, name).connect(slot)
        self._reset_source()

    # ------------------------------------------------------------------ public
    @property
    def mode(self) -> str:
        """``"probe"`` (windows at the contacts' positions) or ``"flat"`` (side by side)."""
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Draw on the probe layout (``"probe"``) or flattened across channels (``"flat"``)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self._mode = mode
        self._mode_actions[mode].setChecked(True)
        self._request(fit=True)

    def set_waveform_count(self, count: int) -> None:
        """Draw up to ``count`` individual waveforms per unit (0: none)."""
        self._waveform_box.setValue(int(count))

    def set_channel_count(self, count: int) -> None:
        """Draw the ``count`` channels nearest each unit's extremum (plus its sparsity)."""
        self._channel_box.setValue(int(count))

    def set_gain(self, gain: float) -> None:
        """Multiply the vertical scale of the probe layout."""
        self._gain_box.setValue(float(gain))

    def set_std_visible(self, visible: bool) -> None:
        """Show or hide the ± std band."""
        self._std_action.setChecked(bool(visible))

    def select_next_unit(self, step: int = 1) -> None:
        """Select the visible unit after (``step`` > 0) or before the first selected one."""
        visible = self._session.visible_unit_ids()
        if not visible:
            return
        selected = [u for u in self._session.selected_unit_ids if u in visible]
        if not selected:
            index = 0 if step > 0 else len(visible) - 1
        else:
            index = (visible.index(selected[0]) + step) % len(visible)
        self._session.select_units([visible[index]])

    def fit(self) -> None:
        """Show every drawn window and the scale bars."""
        rect = getattr(self, "_extent", None)
        if rect is not None and not rect.isEmpty():
            self.viewbox.setRange(rect, padding=0.03)

    def channel_at(self, x: float, y: float):
        """The channel whose window is drawn at ``(x, y)`` (view coordinates), or None."""
        drawing = self._drawing
        if drawing is None:
            return None
        centre = 0.5 * (drawing.t_first + drawing.t_last)
        return drawing.placement.channel_at(x, y, centre, drawing.settings.mode == "flat")

    def wait_until_idle(self, timeout: float = 10.0) -> bool:
        """Block until the worker has nothing left to read (tests)."""
        return self._worker.wait_until_idle(timeout)

    def shutdown(self) -> None:
        """Stop following the session and stop the worker thread (the window calls this on
        close)."""
        for name, slot in self._slots:
            getattr(self._session.signals, name).disconnect(slot)
        self._reset_timer.stop()
        self._worker.close()

    # ------------------------------------------------------------------ introspection
    def hint_text(self) -> str:
        """The message shown instead of the plot ("" while drawing units)."""
        return self._hint.text() if self._stack.currentIndex() == 0 else ""

    def info_text(self) -> str:
        """The line above the plot (what is drawn, from where)."""
        return self._info.full_text()

    def drawn_unit_ids(self) -> list:
        """Units drawn, in selection order."""
        return [unit.unit_id for unit in self._units]

    def shown_channel_ids(self) -> list:
        """Channels drawn, in drawing order."""
        return [] if self._placement is None else self._placement.channel_ids.tolist()

    def marked_channel_ids(self, unit_id) -> list:
        """Channels drawn as part of ``unit_id``'s sparsity."""
        drawing = self._unit_drawing(unit_id)
        marked = () if drawing is None else drawing.marked
        return sorted(marked, key=self.shown_channel_ids().index)

    def channel_anchor(self, channel_id) -> tuple[float, float]:
        """Where ``channel_id``'s window has its spike time (x) and zero (y)."""
        index = self._placement.index()[channel_id]
        return float(self._placement.x0[index]), float(self._placement.y0[index])

    def unit_curve(self, unit_id, part: str = "mean") -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of a drawn part of a unit: ``"mean"`` (sparsity channels, or all),
        ``"outside"`` (mean off the sparsity) or ``"waveforms"`` (NaN between pieces)."""
        curve = getattr(self._unit_items[unit_id]["drawing"], part)
        return curve.x, curve.y

    def template_values(self, unit_id, channel_id) -> np.ndarray:
        """The template drawn for ``unit_id`` on ``channel_id``, in data values (µV or raw)."""
        _, y = self._unit_items[unit_id]["drawing"].channels[channel_id]
        return (y - self.channel_anchor(channel_id)[1]) / self._placement.y_per_value

    def is_provisional(self, unit_id) -> bool:
        """Whether ``unit_id`` is drawn from a first estimate (a merged unit from its parts' templates,
        a split part from its unit's sampled waveforms), its own not read yet."""
        return bool(self._unit_items[unit_id]["drawing"].data.provisional)

    def num_spikes(self, unit_id) -> int:
        """Spikes behind the template drawn for ``unit_id`` (its waveforms averaged)."""
        return int(self._unit_items[unit_id]["drawing"].data.num_spikes)

    def waveform_count(self, unit_id) -> int:
        """Individual waveforms drawn for ``unit_id``."""
        return int(self._unit_items[unit_id]["drawing"].waveform_count)

    def band_path(self, unit_id) -> QPainterPath:
        """The ± std band of ``unit_id``."""
        return self._unit_items[unit_id]["band"].path()

    def channel_labels(self) -> dict:
        """``{channel id: (text, x, y)}`` of the channel labels on display."""
        return self._channel_labels.labels()

    def scale_bar_texts(self) -> tuple[str, str]:
        """Labels of the time and value scale bars."""
        return ("", "") if self._drawing is None else self._drawing.bars.texts

    def unit_color(self, unit_id) -> QColor:
        """The colour ``unit_id`` is drawn in (the same in every view)."""
        return self._theme.unit_color(self._session.unit_color_index(unit_id))

    # ------------------------------------------------------------------ reactions
    def _clicked(self, point) -> None:
        """A click on a channel's window selects that channel (the other views follow)."""
        channel = self.channel_at(point.x(), point.y())
        if channel is not None and self._session.recording is not None:
            if channel in set(self._session.recording.channel_ids.tolist()):
                self._session.select_channels([channel])

    def _sparsity_changed(self, *_) -> None:
        self._request()

    def _set_gain(self, gain: float) -> None:
        self._gain = float(gain)
        self._request()

    def _set_std(self, visible: bool) -> None:
        self._show_std = bool(visible)
        self._request()

    # ------------------------------------------------------------------ data
    def _schedule_reset(self, *_) -> None:
        # session.add sets several fields in a row: rebuild the source once, after them
        self._reset_timer.start()

    def _reset_source(self) -> None:
        self._errors = []
        previous = self._source
        try:
            self._source = WaveformSource.from_session(self._session)
        except (OSError, ValueError) as error:
            self._source, self._source_error = None, str(error)
        else:
            self._source_error = ""
            if previous is not None and self._source is not None:
                # after a curation action the units it left are not read again
                self._source.keep_units_of(previous)
        if self._source is None:
            self._pitch = None
        elif self._pitch is None or self._pitch_of is not self._session.recording:
            # the probe's pitch is kept while the recording stays (curation actions)
            self._pitch = contact_pitch(self._source.layout)
            self._pitch_of = self._session.recording
        if self._source is not None and not self._wanted_units():
            # nothing to draw yet: index the spikes meanwhile (seconds on 10 M spikes)
            self._worker.submit(self._source.prepare, lambda _result: None)
        self._request()

    def _wanted_units(self) -> list:
        visible = set(self._session.visible_unit_ids())
        return [u for u in self._session.selected_unit_ids if u in visible][:MAX_UNITS_DRAWN]

    def _settings(self) -> DrawSettings:
        return DrawSettings(
            mode=self._mode,
            gain=self._gain,
            show_std=self._show_std,
            channel_count=self._channel_box.value(),
            waveform_count=self._waveform_box.value(),
            pitch=self._pitch,
            sparsity=self._session.sparsity,
        )

    def _request(self, *_, fit: bool = False) -> None:
        """Ask the worker for the drawing of the wanted units with the current settings."""
        if self._reset_timer.isActive():
            # the sorting or the recording just changed (e.g. a curation action) and now the
            # selection: make the new source at once (it asks), nothing is asked of the old
            self._fit_pending = self._fit_pending or fit
            self._reset_timer.stop()
            self._reset_source()
            return
        units = self._wanted_units()
        if self._source is None or not units:
            self._awaited, self._errors = None, []
            self._show_nothing()
            self.drawn.emit()
            return
        self._fit_pending = self._fit_pending or fit
        if units != self.drawn_unit_ids():
            reading = f"Reading unit{'s' if len(units) > 1 else ''} {', '.join(map(str, units))}…"
            self._info.set_full_text(reading)
            if self._stack.currentIndex() == 0:
                self._hint.setText(reading)
        source, settings, previous = self._source, self._settings(), self._drawing
        # the id the request gets (only this thread submits): the early drawing carries it
        request_id = self._worker.latest_id + 1

        def early(value: tuple) -> None:
            self._post_result(WorkResult(request_id, value), final=False)

        self._awaited = self._worker.submit(
            lambda: _read_and_plan(source, units, settings, previous, early), self._post_result
        )

    def _post_result(self, result: WorkResult, final: bool = True) -> None:
        """From the worker: hand ``result`` to the GUI thread ahead of the events waiting there
        (showing a finished drawing takes a millisecond; other views' work may take many).
        A result not ``final`` (a provisional drawing) leaves the request awaited."""
        priority = Qt.EventPriority.HighEventPriority.value
        QCoreApplication.postEvent(self, _ResultEvent(result, final), priority)

    def event(self, event: QEvent) -> bool:
        if event.type() == _ResultEvent.TYPE:
            self._on_result(event.result, event.final)
            return True
        return super().event(event)

    def _on_result(self, result: WorkResult, final: bool = True) -> None:
        if result.request_id != self._awaited:
            return  # a newer request was made meanwhile (or its final drawing came first)
        if final:
            self._awaited = None
        if result.error is not None:
            self._errors = [result.error]
            self._show_nothing()
            self.drawn.emit()
            return
        source, _units, errors, drawing = result.value
        if source is not self._source:
            return
        self._errors = errors
        if drawing is None:
            self._show_nothing()
            self.drawn.emit()
            return
        new_units = [u.unit_id for u in drawing.units] != self.drawn_unit_ids()
        fit = self._fit_pending or new_units or self._drawing is None
        self._fit_pending = False
        self._show(drawing)
        if fit:
            self.fit()
        self.drawn.emit()

    # ------------------------------------------------------------------ drawing
    def _add(self, item, z: float):
        item.setZValue(z)
        self.viewbox.addItem(item)
        return item

    def _unit_drawing(self, unit_id) -> UnitDrawing | None:
        if self._drawing is None:
            return None
        return self._drawing.unit_drawings.get(unit_id)

    def _hide_labels(self) -> None:
        self._labels_of = ()
        self._channel_labels.set_labels({})

    def _show_hint(self, text: str) -> None:
        self._hint.setText(text)
        self._stack.setCurrentIndex(0)
        self._info.set_full_text("; ".join(self._errors))

    def _show_nothing(self) -> None:
        """Take the drawing down and say why (no source, no selection, or errors)."""
        for unit_id in list(self._unit_items):
            self._retire(unit_id)
        self._drawing, self._units, self._placement = None, [], None
        self._hide_labels()
        self._boxes.set_path(QPainterPath(), QRectF())
        for item in (self._bar, *self._bar_labels, *self._break_lines):
            item.setVisible(False)
        if self._source is None:
            self._show_hint(
                f"Templates cannot be drawn: {self._source_error}"
                if self._source_error
                else "Open a sorting with its recording, or a waveform folder, to see templates."
            )
        elif not self._wanted_units():
            self._show_hint(
                "Select units to see their templates and waveforms\n"
                "(in the units table, or with the ‹ › arrows above)."
            )
        elif self._errors:
            self._show_hint("Nothing to draw:\n" + "\n".join(self._errors))

    def _show(self, drawing: TemplateDrawing) -> None:
        """Hand a finished drawing to the items: only units whose drawing changed get paths."""
        previous = self._drawing
        self._drawing, self._units, self._placement = drawing, drawing.units, drawing.placement
        self._stack.setCurrentIndex(1)
        for unit_id in [u for u in self._unit_items if u not in drawing.unit_drawings]:
            self._retire(unit_id)
        mode = drawing.settings.mode
        for order, unit in enumerate(drawing.units):
            unit_drawing = drawing.unit_drawings[unit.unit_id]
            items = self._unit_items.get(unit.unit_id)
            if items is None:
                items = self._spare_items.pop() if self._spare_items else self._new_unit_items()
                self._unit_items[unit.unit_id] = items
                for name in _UNIT_PARTS:
                    items[name].setVisible(True)
            self._style(items, unit.unit_id, order, mode)
            if items["drawing"] is not unit_drawing:
                mean, band = unit_drawing.mean, unit_drawing.band
                items["halo"].set_path(mean.path, mean.rect)
                items["mean"].set_path(mean.path, mean.rect)
                items["outside"].set_path(unit_drawing.outside.path, unit_drawing.outside.rect)
                items["band"].set_path(band, unit_drawing.band_rect)
                waveforms = unit_drawing.waveforms
                items["waveforms"].set_path(waveforms.path, waveforms.rect)
                items["drawing"] = unit_drawing
        self._cache_waveforms(drawing)
        self._fit_pixmap_cache()
        if previous is None or previous.boxes is not drawing.boxes:
            self._boxes.set_path(drawing.boxes, drawing.boxes.controlPointRect())
        first = self.unit_color(drawing.units[0].unit_id)
        if self._boxes.brush().color() != with_alpha(first, _BOX_ALPHA):
            self._boxes.setBrush(QBrush(with_alpha(first, _BOX_ALPHA)))
        if self._labels_of[:1] != (mode,) or self._labels_of[1] is not drawing.placement:
            self._draw_labels(drawing.placement, drawing.t_first, drawing.t_last, mode)
        self._draw_scale_bars(drawing)
        axes = (mode, drawing.scaled, round(self.viewbox.width()))
        if self._axes_placement is not drawing.placement or self._axes_of != axes:
            self._set_axes(drawing.placement, drawing.t_first, drawing.t_last, drawing.scaled, mode)
            self._axes_placement, self._axes_of = drawing.placement, axes
        bars = drawing.bars.extent(QFontMetrics(self.font()), self.viewbox.width())
        self._extent = QRectF(drawing.extent).united(bars)
        self._info.set_full_text(self._describe(drawing))

    def _cache_waveforms(self, drawing: TemplateDrawing) -> None:
        """Cache the individual waveforms' rendering only when there are many of them
        (`MAX_UNCACHED_WAVEFORM_POINTS`)."""
        points = sum(d.waveforms.x.size for d in drawing.unit_drawings.values())
        cache = (
            QGraphicsItem.CacheMode.NoCache
            if points <= MAX_UNCACHED_WAVEFORM_POINTS
            else QGraphicsItem.CacheMode.DeviceCoordinateCache
        )
        for items in self._unit_items.values():
            if items["waveforms"].cacheMode() != cache:
                items["waveforms"].setCacheMode(cache)

    def _fit_pixmap_cache(self) -> None:
        """Raise the application's pixmap cache to hold the renderings of the cached items
        (`MAX_PIXMAP_CACHE_KB`)."""
        viewport = self.plot_widget.viewport()
        ratio = viewport.devicePixelRatioF()
        item_kb = viewport.width() * viewport.height() * ratio * ratio * 4 / 1024
        cached = 2 + sum(  # the sparsity boxes and the scale bars, and the units' items
            1
            for items in self._unit_items.values()
            for name in _UNIT_PARTS
            if items[name].cacheMode() != QGraphicsItem.CacheMode.NoCache
        )
        needed = min(int(2 * cached * item_kb) + 1, MAX_PIXMAP_CACHE_KB)
        if QPixmapCache.cacheLimit() < needed:
            QPixmapCache.setCacheLimit(needed)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_pixmap_cache()

    def _new_unit_items(self) -> dict:
        items = {name: self._add(PathItem(), 0) for name in _UNIT_PARTS}
        items["band"].setPen(QPen(Qt.PenStyle.NoPen))
        items["drawing"], items["style"] = None, None
        return items

    def _retire(self, unit_id) -> None:
        """Hide a unit's items and keep them for the next unit drawn."""
        items = self._unit_items.pop(unit_id)
        for name in _UNIT_PARTS:
            items[name].setVisible(False)
        self._spare_items.append(items)

    def _style(self, items: dict, unit_id, order: int, mode: str) -> None:
        """Pens, brush and stacking of a unit's items (set only when they change)."""
        color = self.unit_color(unit_id)
        style = (color.rgba(), order, mode)
        if items["style"] == style:
            return
        items["style"] = style
        alpha = _WAVEFORM_ALPHA if mode == "probe" else _WAVEFORM_ALPHA // 2
        # a dark outline under the mean keeps it readable over its own waveforms
        items["halo"].setPen(cosmetic_pen(self._theme.foreground, 3.4, alpha=80))
        items["mean"].setPen(cosmetic_pen(color, 2.2))
        items["outside"].setPen(cosmetic_pen(color, 1.4, Qt.PenStyle.DashLine, _OUTSIDE_ALPHA))
        items["band"].setBrush(QBrush(with_alpha(color, _BAND_ALPHA)))
        items["waveforms"].setPen(cosmetic_pen(color, 1.0, alpha=alpha))
        for name, z in (
            ("halo", 10 + 2 * order), ("mean", 11 + 2 * order), ("outside", 9), ("band", 0),
            ("waveforms", -5),
        ):  # fmt: skip
            items[name].setZValue(z)

    def _draw_labels(self, placement: Placement, t_first: float, t_last: float, mode: str) -> None:
        """Each drawn channel's id at the top left of its window (probe layout)."""
        labels = {}
        if mode == "probe" and placement.channel_ids.size <= MAX_LABELLED_CHANNELS:
            left = placement.x0 + t_first * placement.x_per_ms
            top = placement.y0 + 0.45 * placement.row_height
            for channel, x, y in zip(placement.channel_ids.tolist(), left, top):
                labels[channel] = (str(channel), float(x), float(y))
        self._channel_labels.set_labels(labels)
        self._labels_of = (mode, placement)

    def _draw_scale_bars(self, drawing: TemplateDrawing) -> None:
        bars = drawing.bars
        path = bars.path()
        self._bar.set_path(path, path.controlPointRect())
        self._bar.setVisible(True)
        places = ((bars.x, bars.y), (bars.x, bars.y + 0.5 * bars.height))
        for label, text, (x, y) in zip(self._bar_labels, bars.texts, places):
            if label.textItem.toPlainText() != text:
                label.setText(text)
            if label.pos().x() != x or label.pos().y() != y:
                label.setPos(x, y)
            if label.isVisible() != bool(text):
                label.setVisible(bool(text))

    def _set_axes(self, placement: Placement, t_first, t_last, scaled: bool, mode: str) -> None:
        plot = self.plot_widget.getPlotItem()
        bottom = plot.getAxis("bottom")
        for line in self._break_lines:
            line.setVisible(False)
        if mode == "probe":
            plot.setLabel("left", "depth (µm)")
            plot.hideAxis("bottom")
            bottom.setTicks(None)
            plot.getAxis("left").setTicks(depth_ticks(placement))
            for index, y in enumerate(placement.breaks):
                # where a stretch of probe without drawn channels was cut
                if index == len(self._break_lines):
                    pen = cosmetic_pen(self._theme.foreground, 1.0, Qt.PenStyle.DashLine, 90)
                    self._break_lines.append(self._add(pg.InfiniteLine(angle=0, pen=pen), -30))
                self._break_lines[index].setPos(y)
                self._break_lines[index].setVisible(True)
            return
        plot.getAxis("left").setTicks(None)
        plot.showAxis("bottom")
        plot.setLabel("left", "amplitude (µV)" if scaled else "amplitude (raw)")
        plot.setLabel("bottom", "channel")
        centre = 0.5 * (t_first + t_last)
        ticks = [(float(x0 + centre), str(c)) for c, x0 in zip(placement.channel_ids, placement.x0)]
        longest = max(len(text) for _, text in ticks)
        fitting = max(1, int(self.viewbox.width() / (8 * longest + 14)))
        step = max(1, int(np.ceil(len(ticks) / fitting)))
        bottom.setTicks([ticks[::step], ticks])

    def _describe(self, drawing: TemplateDrawing) -> str:
        estimated = [str(u.unit_id) for u in drawing.units if u.provisional and not u.complete]
        # first: the line is elided at the right
        parts = [f"unit {', '.join(estimated)}: {PROVISIONAL_NOTE}"] if estimated else []
        for unit in drawing.units:
            origin = "waveforms" if unit.from_extractor else "spikes cut from the recording"
            text = f"unit {unit.unit_id}: {unit.num_spikes} {origin}"
            marked = drawing.unit_drawings[unit.unit_id].marked
            if marked:
                text += f", sparsity {len(marked)} ch"
            parts.append(text)
        parts.extend(self._errors)
        return " · ".join(parts)
