"""Graphics items of the probe view: a ViewBox that picks and lassos, and a layer of labels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsObject, QGraphicsPathItem


class LassoViewBox(pg.ViewBox):
    """A ViewBox where a left click picks and a lasso drag (Shift, or lasso mode) encloses."""

    clicked = Signal(QPointF, bool)  # position in view coordinates, add to the selection
    lasso_finished = Signal(object, bool)  # list of QPointF, add to the selection

    def __init__(self) -> None:
        super().__init__(lockAspect=True)
        self.lasso_mode = False
        self._lasso: list[QPointF] | None = None
        self._lasso_item = QGraphicsPathItem()
        self._lasso_item.setZValue(10)
        self.addItem(self._lasso_item, ignoreBounds=True)

    def set_lasso_pen(self, pen: QPen) -> None:
        """Pen of the lasso outline."""
        self._lasso_item.setPen(pen)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            super().mouseClickEvent(ev)
            return
        ev.accept()
        modifiers = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        self.clicked.emit(self.mapToView(ev.pos()), bool(ev.modifiers() & modifiers))

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.isStart() and ev.button() == Qt.MouseButton.LeftButton and axis is None:
            shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._lasso = [self.mapToView(ev.buttonDownPos())] if self.lasso_mode or shift else None
        if self._lasso is None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        self._lasso.append(self.mapToView(ev.pos()))
        path = QPainterPath()
        path.addPolygon(QPolygonF(self._lasso))
        self._lasso_item.setPath(path)
        self._lasso_item.show()
        if ev.isFinish():
            points, self._lasso = self._lasso, None
            self._lasso_item.hide()
            add = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.lasso_finished.emit(points, add)


class LabelLayer(QGraphicsObject):
    """Channel ids at the contact centres, in one item (text keeps its size on screen)."""

    def __init__(self, color: QColor) -> None:
        super().__init__()
        self._color = color
        self._positions = np.zeros((0, 2))
        self._texts: list[str] = []
        self._rect = QRectF()
        self.setZValue(5)

    def set_labels(self, positions: np.ndarray, texts: list[str], margin: float) -> None:
        """Draw ``texts`` centred on ``positions`` (µm); ``margin`` pads the bounds."""
        self.prepareGeometryChange()
        self._positions, self._texts = positions, texts
        if len(positions):
            low, high = positions.min(axis=0) - margin, positions.max(axis=0) + margin
            self._rect = QRectF(*low, *(high - low))
        else:
            self._rect = QRectF()
        self.update()

    def boundingRect(self) -> QRectF:  # Qt API
        return self._rect

    def paint(self, painter, option, widget=None) -> None:  # Qt API
        transform = painter.transform()
        painter.resetTransform()
        painter.setPen(self._color)
        for (x, y), text in zip(self._positions.tolist(), self._texts):
            centre = transform.map(QPointF(x, y))
            box = QRectF(centre.x() - 40, centre.y() - 10, 80, 20)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
