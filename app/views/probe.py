"""ProbeView: the probe's contacts in their real shapes, coloured by group or shank; click or
lasso contacts to select their channels."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from probeinterface import ProbeGroup
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QBrush, QColor, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsPathItem,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.model.probe_editor import ProbeEditor, apply_to_session
from app.model.probe_layouts import probegroup_wiring, shank_keys
from app.model.session import Session
from app.theme import current_theme
from app.views.probe_banner import EditedBanner
from app.views.probe_items import LabelLayer, LassoViewBox
from app.views.probe_overview import ProbeOverview

#: Channel ids are drawn once neighbouring contacts are at least this far apart on screen.
LABEL_MIN_PITCH_PX = 25.0
COLOR_MODES = ("group", "shank")
#: A probe whose contacts would be closer than this on screen when all shown is framed in part
#: (its width filling the view) with an overview beside it.
MIN_FIT_PITCH_PX = 8.0
#: Depth shown at least when a long probe is framed in part, in µm.
INITIAL_DEPTH_UM = 400.0
#: Alpha of the contacts of no selected unit while units are selected.
FADED_ALPHA = 80
#: Style inputs of a contact wired to no channel (its look never changes).
UNWIRED = "unwired"


@dataclass(frozen=True)
class _Contacts:
    """What is drawn: one entry per contact (probe after probe) and the channel metadata."""

    probegroup: ProbeGroup
    channel_index: np.ndarray  # recording channel of each contact, -1 when unwired
    shank: np.ndarray
    channel_ids: list
    groups: np.ndarray  # per recording channel
    bad: set


class ProbeView(QWidget):
    """The probe of the open recording (or of a `ProbeEditor`'s working copy).

    Click a contact to select its channel (Ctrl/Shift toggles it in the selection); drag with
    Shift, or in lasso mode, to select the contacts inside a freehand outline (Ctrl adds).

    With units selected, each one's channels (its sparsity in ``session.sparsity``, else its
    extremum channel) are filled in the unit's colour and the other contacts fade. A long probe
    (Neuropixels) is framed across its width around what is selected, with an overview of the
    whole probe beside it; Fit shows it all. Edits of the editor that are not applied yet are
    announced in a banner with Apply and Discard.

    Parameters
    ----------
    session : Session
        Selection goes through ``session.select_channels``.
    parent : QWidget | None
        Qt parent.
    editor : ProbeEditor | None
        When given, its working probe, groups and bad channels are drawn.
    """

    def __init__(
        self, session: Session, parent: QWidget | None = None, editor: ProbeEditor | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._editor = editor
        self._theme = current_theme()
        self._color_mode = "group"
        self._show_units = True
        self._contacts: _Contacts | None = None
        self._items: list[QGraphicsPathItem] = []
        self._item_styles: dict[int, tuple] = {}  # the look each contact item has now
        # what each contact's look was made from (its unit, extremum unit, selection, whether
        # units are shown), None for all when the contacts, colours or theme change: a restyle
        # makes only the contacts whose inputs changed (a curation action changes a few)
        self._style_inputs: list | None = None
        self._fills: list[QBrush] = []  # of the overview's dots
        self._contact_channels: list = []  # channel id of each contact, None if unwired
        self._contours: list[QGraphicsPathItem] = []
        self._geometry: bytes | None = None
        self._positions = np.zeros((0, 2))
        self._pitch = 1.0
        self._frame_pending = False
        self._long = False

        self.viewbox = LassoViewBox()
        self.plot_widget = pg.PlotWidget(viewBox=self.viewbox, background=self._theme.background)
        self.plot_widget.hideButtons()
        # plain micrometres: an SI prefix on a µm axis reads "kµm"
        for name, text in (("bottom", "x (µm)"), ("left", "y (µm)")):
            axis = self.plot_widget.getAxis(name)
            axis.enableAutoSIPrefix(False)
            axis.setLabel(text)
        self.viewbox.set_lasso_pen(_pen(self._theme.selection, 1.5, Qt.PenStyle.DashLine))
        self.viewbox.clicked.connect(lambda p, add: self.select_at(p.x(), p.y(), add))
        self.viewbox.lasso_finished.connect(
            lambda points, add: self.select_in_polygon([(p.x(), p.y()) for p in points], add)
        )
        self.viewbox.sigTransformChanged.connect(self._update_labels)
        self.viewbox.sigRangeChanged.connect(self._range_changed)
        self.viewbox.sigResized.connect(self._frame_if_pending)
        self._label_layer = LabelLayer(self._theme.foreground)
        self.viewbox.addItem(self._label_layer, ignoreBounds=True)
        self.overview = ProbeOverview(self._theme)
        self.overview.range_moved.connect(self._show_depths)
        self.overview.centre_requested.connect(self.centre_on)
        self.overview.hide()

        self._message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._banner = EditedBanner(self._theme.selection)
        self._banner.apply_button.clicked.connect(self._apply_edits)
        self._banner.discard_button.clicked.connect(lambda: self._editor.discard())
        plots = QHBoxLayout()
        plots.setContentsMargins(0, 0, 0, 0)
        plots.setSpacing(2)
        plots.addWidget(self.plot_widget, 1)
        plots.addWidget(self.overview)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._make_toolbar())
        layout.addWidget(self._banner)
        layout.addWidget(self._message)
        layout.addLayout(plots, 1)

        # the units' overlay follows several fields that change together (a curation action
        # sets the sorting, channels, hidden and selected units in a row): restyled once, after
        self._units_timer = QTimer(self, singleShot=True, interval=0)
        self._units_timer.timeout.connect(self._apply_units)
        signals = session.signals
        signals.recording.connect(self._refresh)
        signals.waveform_extractor.connect(self._refresh)
        signals.selected_channel_ids.connect(self._selection_changed)
        for name in ("selected_unit_ids", "hidden_unit_ids", "sparsity", "unit_channel_ids"):
            getattr(signals, name).connect(self._units_changed)
        if editor is not None:
            editor.changed.connect(self._refresh)
        self._refresh()

    # ------------------------------------------------------------------ public
    def set_color_mode(self, mode: str) -> None:
        """Colour contacts by channel ``"group"`` or by ``"shank"``."""
        if mode not in COLOR_MODES:
            raise ValueError(f"mode must be one of {COLOR_MODES}, got {mode!r}")
        self._color_mode = mode
        self._color_box.setCurrentIndex(COLOR_MODES.index(mode))
        self._style_inputs = None
        self._restyle()

    def set_units_shown(self, shown: bool) -> None:
        """Fill the selected units' channels in their colours (True) or show groups only."""
        self._show_units = bool(shown)
        self.units_action.setChecked(self._show_units)
        self._restyle()

    def set_lasso_mode(self, enabled: bool) -> None:
        """Make a plain left drag draw a lasso (instead of panning)."""
        self.viewbox.lasso_mode = bool(enabled)
        self.lasso_action.setChecked(bool(enabled))

    def zoom_to_fit(self) -> None:
        """Show every contact, and the probe contour near them (a long shank is cut)."""
        rect = self._contacts_rect()
        if rect.isEmpty():
            return
        margin = max(50.0, 0.25 * max(rect.width(), rect.height()))
        near = rect.adjusted(-margin, -margin, margin, margin)
        for contour in self._contours:
            rect = rect.united(contour.path().boundingRect().intersected(near))
        self.viewbox.setRange(rect, padding=0.05)

    def frame(self) -> None:
        """The default framing: every contact, or for a long probe its width filling the view
        around the selection (or the units) with the overview beside it."""
        self._frame_pending = False
        rect = self._contacts_rect()
        width, height = self.viewbox.width(), self.viewbox.height()
        if rect.isEmpty() or width < 10 or height < 10:
            self._frame_pending = not rect.isEmpty()
            return
        margin = max(20.0, self._pitch)
        whole = rect.adjusted(-margin, -margin, margin, margin)
        scale = min(width / whole.width(), height / whole.height())  # px per µm, all shown
        self._long = self._pitch * scale < MIN_FIT_PITCH_PX
        self.overview.setVisible(self._long)
        if not self._long:
            self.zoom_to_fit()
            return
        across = whole.width() * height / width  # depth shown when the width fills the view
        depth = min(max(across, INITIAL_DEPTH_UM), whole.height())
        centre = self._focus_depth(rect)
        low = min(max(centre - depth / 2, whole.top()), whole.bottom() - depth)
        self.viewbox.setRange(
            xRange=(whole.left(), whole.right()), yRange=(low, low + depth), padding=0
        )

    def centre_on(self, y: float) -> None:
        """Move the view to centre depth ``y`` (µm), keeping the zoom."""
        (_, _), (bottom, top) = self.viewbox.viewRange()
        half = (top - bottom) / 2
        self.viewbox.setYRange(y - half, y + half, padding=0)

    def select_at(self, x: float, y: float, add: bool = False) -> None:
        """Select the channel of the contact at ``(x, y)`` (µm); ``add`` toggles it instead.

        A click away from every contact clears the selection (unless ``add``).
        """
        index = self._contact_at(x, y)
        channel = None if index is None else self._channel_of(index)
        selected = list(self._session.selected_channel_ids)
        if channel is None:
            if not add:
                self._select([])
        elif not add:
            self._select([channel])
        elif channel in selected:
            self._select([c for c in selected if c != channel])
        else:
            self._select([*selected, channel])

    def select_in_polygon(self, points: Sequence[tuple[float, float]], add: bool = False) -> None:
        """Select the channels of the contacts whose centre is inside the polygon (µm)."""
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(x, y) for x, y in points]))
        path.closeSubpath()
        inside = [
            channel
            for i, (x, y) in enumerate(self._positions)
            if path.contains(QPointF(x, y)) and (channel := self._channel_of(i)) is not None
        ]
        previous = list(self._session.selected_channel_ids) if add else []
        self._select(previous + [c for c in inside if c not in previous])

    # ------------------------------------------------------------------ introspection
    def contact_count(self) -> int:
        """Number of contacts drawn."""
        return len(self._items)

    def contour_count(self) -> int:
        """Number of probe contours drawn."""
        return len(self._contours)

    def contact_colors(self) -> dict:
        """Fill colour of each wired contact, by channel id."""
        if self._units_timer.isActive():
            self._apply_units()
        return {
            self._channel_of(i): item.brush().color()
            for i, item in enumerate(self._items)
            if self._channel_of(i) is not None
        }

    def outlined_channel_ids(self) -> list:
        """Channels whose contact is outlined as selected."""
        selection = self._theme.selection.rgb()
        return [
            self._channel_of(i)
            for i, item in enumerate(self._items)
            if item.pen().color().rgb() == selection
        ]

    def unit_channel_ids(self, unit_id) -> list:
        """Channels filled in ``unit_id``'s colour (in contact order)."""
        overlay, _ = self._unit_overlay()
        wired = [self._channel_of(i) for i in range(len(self._items))]
        return [c for c in wired if c is not None and overlay.get(c) == unit_id]

    def labels_visible(self) -> bool:
        """Whether the channel id labels are shown."""
        return self._label_layer.isVisible()

    def banner_text(self) -> str:
        """The "edited, not applied" banner's text ("" when hidden)."""
        return self._banner.text()

    def depth_range(self) -> tuple[float, float]:
        """``(bottom, top)`` of the depths on display (µm)."""
        (_, _), (bottom, top) = self.viewbox.viewRange()
        return float(bottom), float(top)

    def contact_position(self, channel_id) -> tuple[float, float]:
        """Centre (µm) of the contact wired to ``channel_id``."""
        for i in range(len(self._items)):
            if self._channel_of(i) == channel_id:
                return tuple(self._positions[i].tolist())
        raise ValueError(f"channel {channel_id!r} is wired to no contact")

    def viewport_position(self, x: float, y: float) -> QPoint:
        """Where the point ``(x, y)`` (µm) is in ``plot_widget.viewport()`` coordinates."""
        return self.plot_widget.mapFromScene(self.viewbox.mapViewToScene(QPointF(x, y)))

    # ------------------------------------------------------------------ widgets
    def _make_toolbar(self) -> QToolBar:
        toolbar = QToolBar()
        self.lasso_action = QAction(qta.icon("mdi6.lasso"), "Lasso", self, checkable=True)
        self.lasso_action.setToolTip("Drag to select contacts inside an outline (or Shift+drag)")
        self.lasso_action.toggled.connect(self.set_lasso_mode)
        fit = QAction(qta.icon("mdi6.fit-to-screen-outline"), "Fit", self)
        fit.setToolTip("Show the whole probe")
        fit.triggered.connect(self.zoom_to_fit)
        self.units_action = QAction(qta.icon("mdi6.account-group"), "Units", self, checkable=True)
        self.units_action.setChecked(True)
        self.units_action.setToolTip("Fill the selected units' channels in their colours")
        self.units_action.toggled.connect(self.set_units_shown)
        self._color_box = QComboBox()
        self._color_box.addItems([f"Colour by {mode}" for mode in COLOR_MODES])
        self._color_box.currentIndexChanged.connect(
            lambda index: self.set_color_mode(COLOR_MODES[index])
        )
        toolbar.addAction(self.lasso_action)
        toolbar.addAction(fit)
        toolbar.addAction(self.units_action)
        toolbar.addWidget(self._color_box)
        return toolbar

    def _apply_edits(self) -> None:
        try:
            apply_to_session(self._editor, self._session)
        except (OSError, TypeError, ValueError) as err:
            QMessageBox.critical(self, "Probe", f"Could not apply the probe:\n{err}")

    def _update_banner(self) -> None:
        editor = self._editor
        modified = editor is not None and editor.recording is not None and editor.is_modified
        self._banner.show_edit((editor.undo_description or "edits") if modified else None)

    # ------------------------------------------------------------------ drawing
    def _read_contacts(self) -> _Contacts | None:
        if self._editor is not None:
            editor = self._editor
            group, recording = editor.probegroup, editor.recording
            if recording is None:
                return self._waveform_extractor_contacts()
            if group is None:
                return None
            groups, bad = editor.groups, editor.bad_channel_ids
        else:
            recording = self._session.recording
            if recording is None:
                return self._waveform_extractor_contacts()
            if not recording.has_channel_location():
                return None
            with warnings.catch_warnings():  # a dummy probe from locations is fine to draw
                warnings.simplefilter("ignore")
                group = recording.get_probegroup()
            groups = recording.get_channel_groups()
            groups = np.zeros(recording.get_num_channels(), "int64") if groups is None else groups
            flags = recording.get_property("bad_channel")
            bad = (
                set() if flags is None else set(recording.channel_ids[flags.astype(bool)].tolist())
            )
        return _Contacts(
            group, probegroup_wiring(group), shank_keys(group), recording.channel_ids.tolist(),
            np.asarray(groups), bad,
        )  # fmt: skip

    def _waveform_extractor_contacts(self) -> _Contacts | None:
        """The probe of open waveforms (or a SortingAnalyzer) whose recording is not open."""
        we = self._session.waveform_extractor
        try:
            group = None if we is None else we.get_probegroup()
        except (AttributeError, ValueError):  # no probe stored with the waveforms
            return None
        if group is None:
            return None
        channel_ids = we.channel_ids.tolist()
        groups = np.zeros(len(channel_ids), "int64")
        return _Contacts(
            group, probegroup_wiring(group), shank_keys(group), channel_ids, groups, set()
        )

    def _refresh(self, *_) -> None:
        self._update_banner()
        self._contacts = contacts = self._read_contacts()
        self._message.setVisible(contacts is None)
        self._message.setText(
            "No probe: use Probe ▸ Load probe file… or Generate layout…" if contacts is None else ""
        )
        probes = [] if contacts is None else contacts.probegroup.probes
        vertices = [v[:, :2] for probe in probes for v in probe.get_contact_vertices()]
        contours = [
            p.probe_planar_contour[:, :2] for p in probes if p.probe_planar_contour is not None
        ]
        geometry = b"".join(np.ascontiguousarray(a).tobytes() for a in [*vertices, *contours])
        if geometry != self._geometry:  # items are only replaced when the shapes change
            self._geometry = geometry
            self._replace_items(vertices, contours)
            self._positions = np.concatenate(
                [p.contact_positions[:, :2] for p in probes] or [np.zeros((0, 2))]
            )
            self._pitch = _contact_pitch(self._positions)
            self.overview.set_contacts(self._positions)
            self.frame()
        wired = [i for i in range(len(self._positions)) if self._channel_of(i) is not None]
        self._label_layer.set_labels(
            self._positions[wired], [str(self._channel_of(i)) for i in wired], self._pitch
        )
        self._style_inputs = None  # groups, bad channels or wiring may have changed
        self._restyle()
        self._update_labels()

    def _replace_items(self, vertices: list[np.ndarray], contours: list[np.ndarray]) -> None:
        for item in [*self._items, *self._contours]:
            self.viewbox.removeItem(item)
        self._contours = [QGraphicsPathItem(_polygon_path(c)) for c in contours]
        for item in self._contours:
            item.setPen(_pen(self._theme.foreground, 1.0, alpha=110))
            item.setBrush(_color(self._theme.foreground, 18))
            item.setZValue(-10)
            self.viewbox.addItem(item)
        self._items = [QGraphicsPathItem(_polygon_path(v)) for v in vertices]
        self._item_styles: dict[int, tuple] = {}
        for item in self._items:
            self.viewbox.addItem(item)

    def _restyle(self, *_) -> None:
        contacts = self._contacts
        if contacts is None:
            return
        selected = set(self._session.selected_channel_ids)
        overlay, extremum = self._unit_overlay()
        units_on = self._units_on()
        count = len(self._items)
        inputs = self._style_inputs
        if inputs is None or len(inputs) != count:
            inputs = self._style_inputs = [None] * count
            self._fills = [QBrush()] * count
            self._contact_channels = [
                contacts.channel_ids[index] if index >= 0 else None
                for index in contacts.channel_index[:count].tolist()
            ]
        # each pen made once per restyle, when first needed (hundreds of contacts share them)
        theme = self._theme
        pens = {
            "normal": cache(lambda: _pen(theme.foreground, 1.0, alpha=160)),
            "faint": cache(lambda: _pen(theme.foreground, 1.0, alpha=70)),
            "unwired": cache(lambda: _pen(theme.foreground, 1.0, Qt.PenStyle.DotLine, alpha=160)),
            "highlight": cache(lambda: _pen(theme.selection, 3.0)),
        }
        changed = False
        for i, channel in enumerate(self._contact_channels):
            key = (
                UNWIRED
                if channel is None
                else (overlay.get(channel), extremum.get(channel), channel in selected, units_on)
            )
            if inputs[i] == key:
                continue
            inputs[i] = key
            changed = True
            self._fills[i] = self._style_contact(i, channel, key, pens)
        if changed:
            self.overview.set_brushes(self._fills)

    def _style_contact(self, i: int, channel, key, pens) -> QBrush:
        """Give contact ``i`` (of ``channel``, None if unwired) the look of its ``key`` (see
        `_restyle`); return the brush of its overview dot."""
        contacts, theme = self._contacts, self._theme
        shank = int(contacts.shank[i])
        if channel is None:
            self._style_item(i, None, "unwired", 0, f"unwired contact (shank {shank})", pens)
            return QBrush(_color(theme.foreground, 40))
        unit, extremum_unit, selected, units_on = key
        group = int(contacts.groups[int(contacts.channel_index[i])])
        if channel in contacts.bad:
            fill = theme.bad_channel
        else:
            fill = theme.group_color(group if self._color_mode == "group" else shank)
        pen = "normal"
        if unit is not None:
            fill = self._unit_color(unit)
        elif units_on:
            fill, pen = _color(fill, FADED_ALPHA), "faint"
        if extremum_unit is not None:
            pen = ("extremum", self._unit_color(extremum_unit).darker(160).rgba())
        if selected:
            pen = "highlight"
        state = " (bad)" if channel in contacts.bad else ""
        of_unit = f" · unit {unit}" if unit is not None else ""
        tip = f"channel {channel}{state} · group {group} · shank {shank}{of_unit}"
        z = 1 if selected or unit is not None else 0
        self._style_item(i, QColor(fill), pen, z, tip, pens)
        return QBrush(fill)

    def _style_item(self, i: int, fill: QColor | None, pen, z: int, tip: str, pens) -> None:
        """Give contact ``i`` its look, touching the item only where it changes (hundreds of
        contacts are restyled on each selection or curation)."""
        key = (None if fill is None else fill.rgba(), pen, z, tip)
        if self._item_styles.get(i) == key:
            return
        self._item_styles[i] = key
        item = self._items[i]
        item.setBrush(QBrush(Qt.BrushStyle.NoBrush) if fill is None else QBrush(fill))
        if isinstance(pen, tuple):
            item.setPen(_pen(QColor.fromRgba(pen[1]), 2.5))
        else:
            item.setPen(pens[pen]())
        item.setZValue(z)
        item.setToolTip(tip)

    def _update_labels(self, *_) -> None:
        width, height = self.viewbox.viewPixelSize()
        visible = bool(width > 0 and self._pitch / max(width, height) >= LABEL_MIN_PITCH_PX)
        self._label_layer.setVisible(visible)

    # ------------------------------------------------------------------ units and following
    def _unit_overlay(self) -> tuple[dict, dict]:
        """``({channel: unit}, {extremum channel: unit})`` of the selected, visible units; the
        first selected unit wins a shared channel."""
        session = self._session
        if not self._show_units or self._contacts is None:
            return {}, {}
        hidden = set(session.hidden_unit_ids)
        units = [u for u in session.selected_unit_ids if u not in hidden]
        sparsity = session.sparsity
        sparse_units = [] if sparsity is None else sparsity.unit_ids.tolist()
        overlay, extremum = {}, {}
        for unit in reversed(units):
            if unit in sparse_units:
                row = sparsity.mask[sparse_units.index(unit)]
                channels = sparsity.channel_ids[row].tolist()
            elif unit in session.unit_channel_ids:
                channels = [session.unit_channel_ids[unit]]
            else:
                channels = []
            overlay.update(dict.fromkeys(channels, unit))
            if unit in session.unit_channel_ids:
                extremum[session.unit_channel_ids[unit]] = unit
        return overlay, extremum

    def _units_on(self) -> bool:
        """Whether selected units are shown (the other contacts fade), their channels known or
        not yet (a new unit of a curation action gets its channel a moment later: the contacts
        do not light up in between)."""
        session = self._session
        if not self._show_units or not session.selected_unit_ids:
            return False
        hidden = set(session.hidden_unit_ids)
        return any(u not in hidden for u in session.selected_unit_ids)

    def _unit_color(self, unit_id) -> QColor:
        return self._theme.unit_color(self._session.unit_color_index(unit_id))

    def _units_changed(self, *_) -> None:
        self._units_timer.start()

    def _apply_units(self) -> None:
        self._units_timer.stop()
        self._restyle()
        self._follow(self._first_unit_channels())

    def _first_unit_channels(self) -> list:
        """Channels of the first selected unit (the view follows it)."""
        overlay, _ = self._unit_overlay()
        units = [u for u in self._session.selected_unit_ids if u in set(overlay.values())]
        return [c for c, u in overlay.items() if units and u == units[0]]

    def _selection_changed(self, *_) -> None:
        self._restyle()
        self._follow(list(self._session.selected_channel_ids))

    def _follow(self, channel_ids: list) -> None:
        """Bring ``channel_ids`` into view (keeping the zoom) when none of them is visible."""
        wired = {self._channel_of(i): i for i in range(len(self._items))}
        indices = [wired[c] for c in channel_ids if c in wired]
        if not indices or self._frame_pending:
            return
        points = self._positions[indices]
        view = self.viewbox.viewRect()
        if any(view.contains(QPointF(x, y)) for x, y in points):
            return
        x, y = np.median(points, axis=0)
        self.viewbox.setRange(
            QRectF(x - view.width() / 2, y - view.height() / 2, view.width(), view.height()),
            padding=0,
        )

    def _focus_depth(self, rect: QRectF) -> float:
        """Depth to frame first: the selection, else the units' channels, else the middle."""
        session = self._session
        for channels in (
            self._first_unit_channels() + list(session.selected_channel_ids),
            list(session.unit_channel_ids.values()),
        ):
            wired = {self._channel_of(i): i for i in range(len(self._items))}
            indices = [wired[c] for c in channels if c in wired]
            if indices:
                return float(np.median(self._positions[indices, 1]))
        return rect.center().y()

    # ------------------------------------------------------------------ view range
    def _contacts_rect(self) -> QRectF:
        rect = QRectF()
        for item in self._items:
            rect = rect.united(item.path().boundingRect())
        return rect

    def _frame_if_pending(self, *_) -> None:
        if self._frame_pending:
            self.frame()

    def _range_changed(self, *_) -> None:
        if self.overview.isVisible():
            self.overview.show_range(*self.depth_range())

    def _show_depths(self, bottom: float, top: float) -> None:
        self.viewbox.setYRange(bottom, top, padding=0)

    # ------------------------------------------------------------------ helpers
    def _channel_of(self, index: int):
        channel_index = int(self._contacts.channel_index[index])
        return None if channel_index < 0 else self._contacts.channel_ids[channel_index]

    def _contact_at(self, x: float, y: float) -> int | None:
        if not self._positions.size:
            return None
        distances = np.hypot(*(self._positions - (x, y)).T)
        nearest = np.argsort(distances)[:4]
        for index in nearest:
            if self._items[index].path().contains(QPointF(x, y)):
                return int(index)
        return int(nearest[0]) if distances[nearest[0]] <= self._pitch / 2 else None

    def _select(self, channel_ids: list) -> None:
        recording = self._session.recording
        if recording is None:
            return
        known = set(recording.channel_ids.tolist())
        self._session.select_channels([c for c in channel_ids if c in known])


def _contact_pitch(positions: np.ndarray) -> float:
    """Smallest distance between two distinct contact centres (µm), chunked to bound memory."""
    unique = np.unique(positions, axis=0)
    if len(unique) < 2:
        return 20.0
    best = np.inf
    for start in range(0, len(unique), 512):
        block = unique[start : start + 512]
        distances = np.hypot(*(block[:, None, :] - unique[None, :, :]).transpose(2, 0, 1))
        best = min(best, distances[distances > 0].min())
    return float(best)


def _polygon_path(vertices: np.ndarray) -> QPainterPath:
    # built from the arrays in one call: a point at a time took 0.2-0.3 s for 384 round
    # contacts of 360 vertices each (probeinterface's circles), on the GUI thread
    vertices = np.asarray(vertices, dtype=np.float64)
    path = pg.arrayToQPath(
        np.ascontiguousarray(vertices[:, 0]), np.ascontiguousarray(vertices[:, 1]), connect="all"
    )
    path.closeSubpath()
    return path


def _color(color: QColor, alpha: int) -> QColor:
    color = QColor(color)
    color.setAlpha(alpha)
    return color


def _pen(
    color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine, alpha: int = 255
) -> QPen:
    pen = QPen(_color(color, alpha), width, style)
    pen.setCosmetic(True)
    return pen
