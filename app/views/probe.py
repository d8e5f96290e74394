"""ProbeView: the probe's contacts in their real shapes, coloured by group or shank; click or
lasso contacts to select their channels."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import qtawesome as qta
from probeinterface import ProbeGroup
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QAction, QBrush, QColor, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsPathItem,
    QLabel,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.model.probe_editor import ProbeEditor
from app.model.probe_layouts import probegroup_wiring, shank_keys
from app.model.session import Session
from app.theme import current_theme
from app.views.probe_items import LabelLayer, LassoViewBox

#: Channel ids are drawn once neighbouring contacts are at least this far apart on screen.
LABEL_MIN_PITCH_PX = 25.0
COLOR_MODES = ("group", "shank")


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
        self._contacts: _Contacts | None = None
        self._items: list[QGraphicsPathItem] = []
        self._contours: list[QGraphicsPathItem] = []
        self._geometry: bytes | None = None
        self._positions = np.zeros((0, 2))
        self._pitch = 1.0

        self.viewbox = LassoViewBox()
        self.plot_widget = pg.PlotWidget(viewBox=self.viewbox, background=self._theme.background)
        self.plot_widget.hideButtons()
        self.plot_widget.setLabel("bottom", "x", units="µm")
        self.plot_widget.setLabel("left", "y", units="µm")
        self.viewbox.set_lasso_pen(_pen(self._theme.selection, 1.5, Qt.PenStyle.DashLine))
        self.viewbox.clicked.connect(lambda p, add: self.select_at(p.x(), p.y(), add))
        self.viewbox.lasso_finished.connect(
            lambda points, add: self.select_in_polygon([(p.x(), p.y()) for p in points], add)
        )
        self.viewbox.sigTransformChanged.connect(self._update_labels)
        self._label_layer = LabelLayer(self._theme.foreground)
        self.viewbox.addItem(self._label_layer, ignoreBounds=True)

        self._message = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._make_toolbar())
        layout.addWidget(self._message)
        layout.addWidget(self.plot_widget, 1)

        signals = session.signals
        signals.recording.connect(self._refresh)
        signals.selected_channel_ids.connect(self._restyle)
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
        self._restyle()

    def set_lasso_mode(self, enabled: bool) -> None:
        """Make a plain left drag draw a lasso (instead of panning)."""
        self.viewbox.lasso_mode = bool(enabled)
        self.lasso_action.setChecked(bool(enabled))

    def zoom_to_fit(self) -> None:
        """Show every contact, and the probe contour near them (a long shank is cut)."""
        rect = QRectF()
        for item in self._items:
            rect = rect.united(item.path().boundingRect())
        if rect.isEmpty():
            return
        margin = max(50.0, 0.25 * max(rect.width(), rect.height()))
        near = rect.adjusted(-margin, -margin, margin, margin)
        for contour in self._contours:
            rect = rect.united(contour.path().boundingRect().intersected(near))
        self.viewbox.setRange(rect, padding=0.05)

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

    def labels_visible(self) -> bool:
        """Whether the channel id labels are shown."""
        return self._label_layer.isVisible()

    def contact_position(self, channel_id) -> tuple[float, float]:
        """Centre (µm) of the contact wired to ``channel_id``."""
        for i in range(len(self._items)):
            if self._channel_of(i) == channel_id:
                return tuple(self._positions[i].tolist())
        raise ValueError(f"channel {channel_id!r} is wired to no contact")

    def viewport_position(self, x: float, y: float) -> QPoint:
        """Where the point ``(x, y)`` (µm) is in ``plot_widget.viewport()`` coordinates."""
        return self.plot_widget.mapFromScene(self.viewbox.mapViewToScene(QPointF(x, y)))

    # ------------------------------------------------------------------ drawing
    def _make_toolbar(self) -> QToolBar:
        toolbar = QToolBar()
        self.lasso_action = QAction(qta.icon("mdi6.lasso"), "Lasso", self, checkable=True)
        self.lasso_action.setToolTip("Drag to select contacts inside an outline (or Shift+drag)")
        self.lasso_action.toggled.connect(self.set_lasso_mode)
        fit = QAction(qta.icon("mdi6.fit-to-screen-outline"), "Fit", self)
        fit.setToolTip("Show every contact")
        fit.triggered.connect(self.zoom_to_fit)
        self._color_box = QComboBox()
        self._color_box.addItems([f"Colour by {mode}" for mode in COLOR_MODES])
        self._color_box.currentIndexChanged.connect(
            lambda index: self.set_color_mode(COLOR_MODES[index])
        )
        toolbar.addAction(self.lasso_action)
        toolbar.addAction(fit)
        toolbar.addWidget(self._color_box)
        return toolbar

    def _read_contacts(self) -> _Contacts | None:
        if self._editor is not None:
            editor = self._editor
            group, recording = editor.probegroup, editor.recording
            if group is None or recording is None:
                return None
            groups, bad = editor.groups, editor.bad_channel_ids
        else:
            recording = self._session.recording
            if recording is None or not recording.has_channel_location():
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

    def _refresh(self, *_) -> None:
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
            self.zoom_to_fit()
        wired = [i for i in range(len(self._positions)) if self._channel_of(i) is not None]
        self._label_layer.set_labels(
            self._positions[wired], [str(self._channel_of(i)) for i in wired], self._pitch
        )
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
        for item in self._items:
            self.viewbox.addItem(item)

    def _restyle(self, *_) -> None:
        contacts = self._contacts
        if contacts is None:
            return
        theme = self._theme
        selected = set(self._session.selected_channel_ids)
        normal = _pen(theme.foreground, 1.0, alpha=160)
        unwired = _pen(theme.foreground, 1.0, Qt.PenStyle.DotLine, alpha=160)
        highlight = _pen(theme.selection, 3.0)
        for i, item in enumerate(self._items):
            index = int(contacts.channel_index[i])
            shank = int(contacts.shank[i])
            if index < 0:
                item.setPen(unwired)
                item.setBrush(QBrush(Qt.BrushStyle.NoBrush))
                item.setToolTip(f"unwired contact (shank {shank})")
                continue
            channel, group = contacts.channel_ids[index], int(contacts.groups[index])
            if channel in contacts.bad:
                fill = theme.bad_channel
            else:
                fill = theme.group_color(group if self._color_mode == "group" else shank)
            item.setBrush(QBrush(fill))
            item.setPen(highlight if channel in selected else normal)
            item.setZValue(1 if channel in selected else 0)
            state = " (bad)" if channel in contacts.bad else ""
            item.setToolTip(f"channel {channel}{state} · group {group} · shank {shank}")

    def _update_labels(self, *_) -> None:
        width, height = self.viewbox.viewPixelSize()
        visible = bool(width > 0 and self._pitch / max(width, height) >= LABEL_MIN_PITCH_PX)
        self._label_layer.setVisible(visible)

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
    path = QPainterPath()
    path.addPolygon(QPolygonF([QPointF(x, y) for x, y in vertices]))
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
