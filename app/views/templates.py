"""TemplateView: the selected units' templates, spread and waveforms, on the probe or flattened.

Each selected unit is drawn in its colour: the mean waveform (thick), a band of ± one standard
deviation, and up to N individual waveforms in a lighter shade, on the channels nearest its
extremum channel and on its sparsity channels. Channels in the unit's sparsity
(``session.sparsity``) are drawn solid on a tinted box; the others dashed. Data is read on a
worker thread (`app.model.waveform_source`), the newest request winning.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.model.latest_worker import LatestWorker, WorkResult
from app.model.session import Session
from app.model.template_geometry import (
    FLAT_GAP,
    Placement,
    contact_pitch,
    flat_placement,
    probe_placement,
)
from app.model.waveform_source import UnitWaveforms, WaveformSource
from app.theme import current_theme
from app.views.template_controls import (
    MODES,
    TemplateControls,
)
from app.views.template_items import (
    ScaleBars,
    TemplateViewBox,
    band_path,
    cosmetic_pen,
    curve,
    depth_ticks,
    with_alpha,
)

#: Units drawn at most (the first ones selected).
MAX_UNITS_DRAWN = 8
#: Channel ids are written on the windows when at most this many channels are drawn.
MAX_LABELLED_CHANNELS = 96
# alpha of the parts of a unit's drawing
_WAVEFORM_ALPHA, _BAND_ALPHA, _OUTSIDE_ALPHA, _BOX_ALPHA = 40, 70, 150, 30


def _load_units(source: WaveformSource, unit_ids: list, num_waveforms: int):
    """Read every unit (on the worker); a unit that fails is reported, not raised."""
    units, errors = [], []
    for unit_id in unit_ids:
        try:
            units.append(source.load(unit_id, num_waveforms))
        except (OSError, ValueError) as error:
            errors.append(f"unit {unit_id}: {error}")
    return source, units, errors


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
    _result_ready = Signal(object)

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
        self._units: list[UnitWaveforms] = []
        self._errors: list[str] = []
        self._requested: tuple = ()
        self._placement: Placement | None = None
        self._marked: dict = {}
        self._items: list = []
        self._unit_items: dict = {}
        self._drawn_waveforms = 0  # the waveform count of the drawing on display
        self._bar_texts = ("", "")
        # channel id -> its label, kept from one drawing to the next (hidden when not drawn):
        # making a text item costs milliseconds, and a drawing has dozens
        self._channel_labels: dict = {}
        self._worker = LatestWorker("TemplateWorker")
        self._result_ready.connect(self._on_result)
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
        self._hint = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._hint.setMargin(16)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._hint)
        self._stack.addWidget(self.plot_widget)
        self._info = QLabel(wordWrap=True)
        self._info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
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
        controls.channels_changed.connect(lambda _count: self._redraw(fit=True))
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
        self._redraw(fit=True)

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
        placement, units = self._placement, self._units
        if placement is None or not units:
            return None
        times = units[0].times_ms()
        centre = 0.5 * (times[0] + times[-1])
        dx = np.abs(x - (placement.x0 + centre * placement.x_per_ms)) / placement.box_width
        if self._mode == "probe":
            dy = np.abs(y - placement.y0) / placement.row_height
            inside = (dx <= 0.5) & (dy <= 0.5)
            distance = np.hypot(dx, dy)
        else:
            inside = dx <= 0.5 * (1 + FLAT_GAP)
            distance = dx
        if not inside.any():
            return None
        best = np.flatnonzero(inside)[np.argmin(distance[inside])]
        return placement.channel_ids[best].item()

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
        return self._info.text()

    def drawn_unit_ids(self) -> list:
        """Units drawn, in selection order."""
        return [unit.unit_id for unit in self._units]

    def shown_channel_ids(self) -> list:
        """Channels drawn, in drawing order."""
        return [] if self._placement is None else self._placement.channel_ids.tolist()

    def marked_channel_ids(self, unit_id) -> list:
        """Channels drawn as part of ``unit_id``'s sparsity."""
        return sorted(self._marked.get(unit_id, ()), key=self.shown_channel_ids().index)

    def channel_anchor(self, channel_id) -> tuple[float, float]:
        """Where ``channel_id``'s window has its spike time (x) and zero (y)."""
        index = self._placement.index()[channel_id]
        return float(self._placement.x0[index]), float(self._placement.y0[index])

    def unit_curve(self, unit_id, part: str = "mean") -> tuple[np.ndarray, np.ndarray]:
        """Coordinates of a drawn part of a unit: ``"mean"`` (sparsity channels, or all),
        ``"outside"`` (mean off the sparsity) or ``"waveforms"`` (NaN between pieces)."""
        item = self._unit_items[unit_id][part]
        x, y = item.getData()
        return (np.empty(0), np.empty(0)) if x is None else (x, y)

    def template_values(self, unit_id, channel_id) -> np.ndarray:
        """The template drawn for ``unit_id`` on ``channel_id``, in data values (µV or raw)."""
        _, y = self._unit_items[unit_id]["channels"][channel_id]
        return (y - self.channel_anchor(channel_id)[1]) / self._placement.y_per_value

    def waveform_count(self, unit_id) -> int:
        """Individual waveforms drawn for ``unit_id``."""
        return int(self._unit_items[unit_id]["count"])

    def band_path(self, unit_id) -> QPainterPath:
        """The ± std band of ``unit_id``."""
        return self._unit_items[unit_id]["band"].path()

    def channel_labels(self) -> dict:
        """``{channel id: (text, x, y)}`` of the channel labels on display."""
        return {
            channel: (label.toPlainText(), label.pos().x(), label.pos().y())
            for channel, label in self._channel_labels.items()
            if label.isVisible()
        }

    def scale_bar_texts(self) -> tuple[str, str]:
        """Labels of the time and value scale bars."""
        return self._bar_texts

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
        self._redraw(fit=False)

    def _set_gain(self, gain: float) -> None:
        self._gain = float(gain)
        self._redraw(fit=False)

    def _set_std(self, visible: bool) -> None:
        self._show_std = bool(visible)
        self._redraw(fit=False)

    # ------------------------------------------------------------------ data
    def _schedule_reset(self, *_) -> None:
        # session.add sets several fields in a row: rebuild the source once, after them
        self._reset_timer.start()

    def _reset_source(self) -> None:
        self._units, self._errors, self._requested = [], [], ()
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

    def _request(self, *_) -> None:
        units = self._wanted_units()
        count = self._waveform_box.value()
        if self._source is None or not units:
            self._units, self._errors, self._requested = [], [], ()
            self._redraw(fit=True)
            return
        self._requested = (tuple(units), count)
        reading = f"Reading unit{'s' if len(units) > 1 else ''} {', '.join(map(str, units))}…"
        self._info.setText(reading)
        if self._stack.currentIndex() == 0:
            self._hint.setText(reading)
        source = self._source
        self._worker.submit(lambda: _load_units(source, units, count), self._result_ready.emit)

    def _on_result(self, result: WorkResult) -> None:
        if result.error is not None:
            self._units, self._errors = [], [result.error]
            self._redraw(fit=True)
            return
        source, units, errors = result.value
        if source is not self._source:
            return
        if self._drawing_of(units) and not errors and not self._errors:
            # the same units' data as on display (a label, or a curation action that left
            # the selected units): the drawing holds
            self._units = units
            self.drawn.emit()
            return
        new_units = [u.unit_id for u in units] != self.drawn_unit_ids()
        self._units, self._errors = units, errors
        self._redraw(fit=new_units or self._placement is None)

    def _drawing_of(self, units: list[UnitWaveforms]) -> bool:
        """Whether the drawing on display is of exactly these units' data."""
        drawn = self._unit_items
        return (
            self._placement is not None
            and self._drawn_waveforms == self._waveform_box.value()
            and [u.unit_id for u in units] == list(drawn)
            and all(drawn[u.unit_id]["data"] is u for u in units)
        )

    # ------------------------------------------------------------------ drawing
    def _clear(self) -> None:
        # channel labels stay: `_draw_labels` shows, moves or hides each (making one visible
        # again costs pyqtgraph a transform update)
        for item in self._items:
            self.viewbox.removeItem(item)
        self._items, self._unit_items, self._marked = [], {}, {}
        self._placement = None
        self._bar_texts = ("", "")

    def _add(self, item, z: float):
        item.setZValue(z)
        self.viewbox.addItem(item)
        self._items.append(item)
        return item

    def _hide_labels(self) -> None:
        for label in self._channel_labels.values():
            if label.isVisible():
                label.setVisible(False)

    def _show_hint(self, text: str) -> None:
        self._hide_labels()
        self._hint.setText(text)
        self._stack.setCurrentIndex(0)
        self._info.setText("; ".join(self._errors))

    def _redraw(self, *_, fit: bool = False) -> None:
        self._clear()
        units = [u for u in self._units if u.unit_id in set(self._wanted_units())]
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
        elif not units:
            self._hide_labels()
            if self._errors:
                self._show_hint("Nothing to draw:\n" + "\n".join(self._errors))
        else:
            self._stack.setCurrentIndex(1)
            self._draw(units)
            if fit:
                self.fit()
        self.drawn.emit()

    def _unit_channels(self, unit: UnitWaveforms) -> set:
        """The channels a unit is drawn on: those nearest its extremum, and its sparsity.

        Flattened, a unit with a sparsity is drawn on its sparsity only (side by side, every
        channel takes width).
        """
        with_data = set(unit.channel_ids.tolist())
        sparse = {c for c in self._sparsity_channels(unit.unit_id) if c in with_data}
        if self._mode == "flat" and sparse:
            return sparse
        nearest = self._source.layout.nearest(
            unit.extremum_channel_id(), self._channel_box.value(), among=unit.channel_ids
        )
        return set(nearest.tolist()) | sparse

    def _shown_channels(self, own: dict) -> np.ndarray:
        wanted = set().union(*own.values())
        return np.array([c for c in self._source.layout.channel_ids.tolist() if c in wanted])

    def _sparsity_channels(self, unit_id) -> set:
        sparsity = self._session.sparsity
        if sparsity is None:
            return set()
        units = sparsity.unit_ids.tolist()
        if unit_id not in units:
            return set()
        return set(sparsity.channel_ids[sparsity.mask[units.index(unit_id)]].tolist())

    def _draw(self, units: list[UnitWaveforms]) -> None:
        layout = self._source.layout
        own = {unit.unit_id: self._unit_channels(unit) for unit in units}
        channels = self._shown_channels(own)
        times = units[0].times_ms()
        t_first, t_last = float(times[0]), float(times[-1])
        largest = max(_peak_to_peak(u, np.array(list(own[u.unit_id]))) for u in units)
        if self._mode == "probe":
            placement = probe_placement(
                layout, channels, self._pitch, t_first, t_last, largest, self._gain
            )
        else:
            placement = flat_placement(layout, channels, t_first, t_last, largest)
        self._placement = placement
        self._drawn_waveforms = self._waveform_box.value()
        index = placement.index()
        low, high = np.inf, -np.inf
        for order, unit in enumerate(units):
            color = self.unit_color(unit.unit_id)
            columns = {c: i for i, c in enumerate(unit.channel_ids.tolist())}
            on = [c for c in columns if c in own[unit.unit_id]]
            data_columns = np.array([columns[c] for c in on], dtype="int64")
            positions = np.array([index[c] for c in on], dtype="int64")
            sparse = self._sparsity_channels(unit.unit_id)
            inside = np.array([not sparse or c in sparse for c in on], dtype=bool)
            self._marked[unit.unit_id] = {c for c in on if c in sparse}
            times_u = unit.times_ms()
            template = unit.template[:, data_columns]
            x, y = placement.xy(times_u, template, positions)
            # a dark outline under the mean keeps it readable over its own waveforms
            halo = cosmetic_pen(self._theme.foreground, 3.4, alpha=80)
            self._add(curve(x[inside], y[inside], halo), 10 + 2 * order)
            mean = self._add(curve(x[inside], y[inside], cosmetic_pen(color, 2.2)), 11 + 2 * order)
            outside = self._add(
                curve(
                    x[~inside],
                    y[~inside],
                    cosmetic_pen(color, 1.4, Qt.PenStyle.DashLine, _OUTSIDE_ALPHA),
                ),
                9,
            )
            std = unit.std[:, data_columns]
            band = self._add(QGraphicsPathItem(), 0)
            if self._show_std and np.isfinite(std).all():
                _, upper = placement.xy(times_u, template + std, positions)
                _, lower = placement.xy(times_u, template - std, positions)
                band.setPath(band_path(x, upper, lower))
                band.setBrush(QBrush(with_alpha(color, _BAND_ALPHA)))
                band.setPen(QPen(Qt.PenStyle.NoPen))
                low, high = min(low, float(lower.min())), max(high, float(upper.max()))
            low, high = min(low, float(y.min())), max(high, float(y.max()))
            waves, count = self._waveform_item(unit, placement, own[unit.unit_id], color)
            self._add(waves, -5)
            self._unit_items[unit.unit_id] = {
                "mean": mean, "outside": outside, "band": band, "waveforms": waves, "count": count,
                "channels": dict(zip(on, zip(x, y))), "data": unit,
            }  # fmt: skip
        self._draw_sparsity_boxes(units[0], placement, t_first, t_last)
        self._draw_labels(placement, t_first, t_last)
        bars = self._draw_scale_bars(placement, t_first, t_last, units[0].scaled, low)
        self._set_axes(placement, t_first, t_last, units[0].scaled)
        left, bottom, right, top = placement.bounds(t_first, t_last)
        if self._mode == "flat":
            bottom, top = low, high
        else:
            bottom, top = min(bottom, low), max(top, high)
        rect = QRectF(left, bottom, right - left, top - bottom).united(bars)
        self._extent = rect
        self._info.setText(self._describe(units))

    def _waveform_item(self, unit: UnitWaveforms, placement: Placement, own: set, color):
        count = min(self._waveform_box.value(), unit.waveforms.shape[0])
        index = placement.index()
        columns = {c: i for i, c in enumerate(unit.waveform_channel_ids.tolist()) if c in own}
        on = list(columns)
        if count == 0 or not on:
            return curve(np.empty((0, 0)), np.empty((0, 0)), cosmetic_pen(color, 1.0)), 0
        positions = np.array([index[c] for c in on], dtype="int64")
        columns = np.array([columns[c] for c in on], dtype="int64")
        values = unit.waveforms[:count][:, :, columns]
        x, y = placement.xy(unit.times_ms(), values, positions)
        alpha = _WAVEFORM_ALPHA if self._mode == "probe" else _WAVEFORM_ALPHA // 2
        return curve(x, y, cosmetic_pen(color, 1.0, alpha=alpha)), count

    def _draw_sparsity_boxes(self, unit, placement: Placement, t_first, t_last) -> None:
        marked = self._marked.get(unit.unit_id, set())
        if not marked:
            return
        path = QPainterPath()
        index = placement.index()
        half = 0.5 * placement.row_height
        for channel in marked:
            i = index[channel]
            left = placement.x0[i] + t_first * placement.x_per_ms
            width = (t_last - t_first) * placement.x_per_ms
            if self._mode == "probe":
                path.addRect(QRectF(left, placement.y0[i] - half, width, 2 * half))
            else:
                span = 2 * placement.row_height
                path.addRect(QRectF(left, -span, width, 2 * span))
        item = self._add(QGraphicsPathItem(path), -20)
        item.setBrush(QBrush(with_alpha(self.unit_color(unit.unit_id), _BOX_ALPHA)))
        item.setPen(QPen(Qt.PenStyle.NoPen))

    def _draw_labels(self, placement: Placement, t_first: float, t_last: float) -> None:
        """Each drawn channel's id at the top left of its window (probe layout)."""
        shown = set()
        if self._mode == "probe" and placement.channel_ids.size <= MAX_LABELLED_CHANNELS:
            for channel, x0, y0 in zip(placement.channel_ids.tolist(), placement.x0, placement.y0):
                label = self._channel_labels.get(channel)
                if label is None:
                    label = self._new_label(channel)
                x, y = x0 + t_first * placement.x_per_ms, y0 + 0.45 * placement.row_height
                if label.pos().x() != x or label.pos().y() != y:
                    label.setPos(x, y)
                if not label.isVisible():
                    label.setVisible(True)
                shown.add(channel)
        for channel, label in self._channel_labels.items():
            if channel not in shown and label.isVisible():
                label.setVisible(False)

    def _new_label(self, channel) -> pg.TextItem:
        label = pg.TextItem(
            str(channel), color=with_alpha(self._theme.foreground, 150), anchor=(0, 1)
        )
        font = label.textItem.font()
        font.setPointSizeF(max(font.pointSizeF() * 0.8, 6.0))
        label.setFont(font)
        label.setZValue(20)
        self.viewbox.addItem(label)
        self._channel_labels[channel] = label
        return label

    def _draw_scale_bars(
        self, placement: Placement, t_first: float, t_last: float, scaled: bool, low: float
    ) -> QRectF:
        bars = ScaleBars(self._mode, placement, t_first, t_last, scaled, low)
        for item in bars.items(self._theme.foreground):
            self._add(item, 30)
        self._bar_texts = bars.texts
        return bars.extent(QFontMetrics(self.font()), self.viewbox.width())

    def _set_axes(self, placement: Placement, t_first, t_last, scaled: bool) -> None:
        plot = self.plot_widget.getPlotItem()
        bottom = plot.getAxis("bottom")
        if self._mode == "probe":
            plot.setLabel("left", "depth (µm)")
            plot.hideAxis("bottom")
            bottom.setTicks(None)
            plot.getAxis("left").setTicks(depth_ticks(placement))
            for y in placement.breaks:  # where a stretch of probe without drawn channels was cut
                line = pg.InfiniteLine(
                    pos=y,
                    angle=0,
                    pen=cosmetic_pen(self._theme.foreground, 1.0, Qt.PenStyle.DashLine, 90),
                )
                self._add(line, -30)
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

    def _describe(self, units: list[UnitWaveforms]) -> str:
        parts = []
        for unit in units:
            origin = "waveforms" if unit.from_extractor else "spikes cut from the recording"
            text = f"unit {unit.unit_id}: {unit.num_spikes} {origin}"
            marked = self._marked.get(unit.unit_id)
            if marked:
                text += f", sparsity {len(marked)} ch"
            parts.append(text)
        parts.extend(self._errors)
        return " · ".join(parts)


def _peak_to_peak(unit: UnitWaveforms, channels: np.ndarray) -> float:
    columns = np.isin(unit.channel_ids, channels)
    if not columns.any():
        return 0.0
    template = unit.template[:, columns]
    return float(np.max(template.max(axis=0) - template.min(axis=0)))
