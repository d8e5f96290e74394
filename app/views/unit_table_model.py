"""The Qt item model of the units table: a `UnitTable` in a sorted, filtered row order."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyledItemDelegate

from app.model.session import Session
from app.model.unit_table import (
    NUMBER,
    PENDING,
    QUALITY_THRESHOLDS,
    UNAVAILABLE,
    UnitTable,
)
from app.theme import Theme, current_theme

#: Background tint of the label column per label (phy's usual labels).
LABEL_TINTS = {"good": "#2e9e4f", "mua": "#d08a1f", "noise": "#8a8a8a"}
#: Item data role of a metric cell's bar: its value's place in the column's range (0..1).
BAR_ROLE = Qt.ItemDataRole.UserRole + 1
#: Sources of the columns drawn with bars.
BAR_SOURCES = ("spike_trains", "traces")
_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.BackgroundRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.CheckStateRole,
        Qt.ItemDataRole.UserRole,
        BAR_ROLE,
    }
)

_Index = QModelIndex | QPersistentModelIndex
# built once: combining Qt's enum flags in Python costs tens of µs, asked for every cell
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FIRST_CELL_FLAGS = _CELL_FLAGS | Qt.ItemFlag.ItemIsUserCheckable


class UnitTableModel(QAbstractTableModel):
    """Rows of a `UnitTable`, ordered by one column and restricted by a filter mask.

    Column 0 is the unit: its id, its colour (decoration) and a check box that shows or hides
    the unit in every view (``session.set_hidden_units``).

    Parameters
    ----------
    session : Session
        Colours and hidden units come from it.
    parent : QObject or None
    """

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self._session = session
        self._theme: Theme = current_theme()
        self.table: UnitTable | None = None
        self._order = np.empty(0, dtype=int)  # table rows, sorted
        self._mask = np.empty(0, dtype=bool)  # kept by the filter, per table row
        self._shown = np.empty(0, dtype=int)  # table rows on display
        self._sort_key: str | None = None
        self._descending = False
        self._ranges: dict[str, tuple[float, float] | None] = {}
        self._grey = QColor(self._theme.bad_channel)
        self._warning = QColor(self._theme.event)
        self._tints = {}
        for label, tint in LABEL_TINTS.items():
            color = QColor(tint)
            color.setAlpha(70)
            self._tints[label] = color
        self._alignments: list[int] = []
        self._hidden_rows = np.empty(0, dtype=bool)
        self._colors: list[QColor] = []
        self._faded_colors: list[QColor] = []

    # ------------------------------------------------------------------ content
    def set_table(self, table: UnitTable | None) -> None:
        """Show ``table`` (all rows, in the current sort order)."""
        self.beginResetModel()
        self.table = table
        self._ranges = {}
        self._alignments = [
            int(
                (Qt.AlignmentFlag.AlignRight if c.kind == NUMBER else Qt.AlignmentFlag.AlignLeft)
                | Qt.AlignmentFlag.AlignVCenter
            )
            for c in ([] if table is None else table.columns)
        ]
        self._restyle_rows()
        num = 0 if table is None else table.num_rows
        self._mask = np.ones(num, dtype=bool)
        if table is not None and self._sort_key not in table.keys:
            self._sort_key, self._descending = None, False
        self._order = self._sorted_rows()
        self._shown = self._order[self._mask[self._order]]
        self.endResetModel()

    def set_filter_mask(self, mask: np.ndarray) -> None:
        """Show only the table rows where ``mask`` is True."""
        if self.table is None:
            return
        self.beginResetModel()
        self._mask = np.asarray(mask, dtype=bool)
        self._shown = self._order[self._mask[self._order]]
        self.endResetModel()

    def columns_changed(self, keys) -> None:
        """Values of these columns changed: repaint them, re-sort when sorted by one."""
        if self.table is None:
            return
        keys = set(keys)
        for key in keys:
            self._ranges.pop(key, None)
        if self._sort_key in keys:
            self._resort()
        for key in keys & set(self.table.keys):
            column = self.table.keys.index(key)
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    def units_restyled(self) -> None:
        """Colours or hidden units changed: repaint every row."""
        self._restyle_rows()
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1)
            )

    # ------------------------------------------------------------------ rows
    @property
    def sort_key(self) -> str | None:
        """Key of the column the rows are sorted by (None: the sorting's unit order)."""
        return self._sort_key

    def unit_id(self, view_row: int):
        """The unit shown in ``view_row``."""
        return self.table.unit_ids[self._shown[view_row]].item()

    def view_row(self, unit_id) -> int | None:
        """Row showing ``unit_id`` (None when filtered out or unknown)."""
        if self.table is None:
            return None
        try:
            row = self.table.row_of(unit_id)
        except KeyError:
            return None
        found = np.flatnonzero(self._shown == row)
        return int(found[0]) if found.size else None

    def ordered_unit_ids(self) -> list:
        """Every unit (filtered out or not) in the current sort order."""
        return [] if self.table is None else self.table.unit_ids[self._order].tolist()

    def shown_unit_ids(self) -> list:
        """The units on display, top to bottom."""
        return [] if self.table is None else self.table.unit_ids[self._shown].tolist()

    # ------------------------------------------------------------------ Qt model
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() or self.table is None else len(self.table.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        # called for every role of every visible cell at each repaint: keep the common
        # paths short (painting 40 rows of 15 columns makes thousands of calls)
        if role not in _ROLES or self.table is None or not index.isValid():
            return None
        table = self.table
        row = int(self._shown[index.row()])
        column = index.column()
        spec = table.columns[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return table.text(row, spec.key)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return self._alignments[column]
        state = table.state(spec.key)
        hidden = bool(self._hidden_rows[row])
        pending = table.is_pending(row, spec.key)
        if role == Qt.ItemDataRole.ForegroundRole:
            if hidden or pending or state == UNAVAILABLE:
                return self._grey
            return self._warning if table.flagged(row, spec.key) else None
        if role == BAR_ROLE:
            return self._bar(row, spec)
        if role == Qt.ItemDataRole.BackgroundRole:
            if spec.key != "label":
                return None
            return self._tints.get(str(table.values("label")[row]).lower())
        if role == Qt.ItemDataRole.UserRole:
            return None if pending or state == UNAVAILABLE else table.values(spec.key)[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, spec, PENDING if pending else state)
        if column != 0:
            return None
        if role == Qt.ItemDataRole.DecorationRole:
            return self._faded_colors[row] if hidden else self._colors[row]
        # CheckStateRole
        return Qt.CheckState.Unchecked if hidden else Qt.CheckState.Checked

    def _tooltip(self, row: int, spec, state: str) -> str | None:
        if state == PENDING:
            return f"{spec.title}: being computed"
        if state == UNAVAILABLE:
            return f"{spec.title}: {self.table.reason(spec.key)}"
        rule = QUALITY_THRESHOLDS.get(spec.key)
        if rule is not None and self.table.flagged(row, spec.key):
            return f"{spec.key} {rule[0]} the usual threshold of {rule[1]:g}"
        return None

    def setData(self, index: _Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.column() != 0 or self.table is None:
            return False
        unit_id = self.unit_id(index.row())
        visible = Qt.CheckState(value) == Qt.CheckState.Checked
        self.set_units_visible([unit_id], visible)
        return True

    def set_units_visible(self, unit_ids, visible: bool) -> None:
        """Show or hide units in every view."""
        hidden = list(self._session.hidden_unit_ids)
        unit_ids = [u for u in unit_ids]
        if visible:
            hidden = [u for u in hidden if u not in set(unit_ids)]
        else:
            hidden += [u for u in unit_ids if u not in set(hidden)]
        self._session.set_hidden_units(hidden)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        return _FIRST_CELL_FLAGS if index.column() == 0 else _CELL_FLAGS

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or self.table is None:
            return None
        spec = self.table.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.title
        if role == Qt.ItemDataRole.ToolTipRole:
            state = self.table.state(spec.key)
            note = {PENDING: "\nBeing computed…", UNAVAILABLE: f"\n{self.table.reason(spec.key)}"}
            return f"<b>{spec.key}</b><br>{spec.description}{note.get(state, '')}".replace(
                "\n", "<br>"
            )
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self.table is None or not 0 <= column < len(self.table.columns):
            return
        self._sort_key = self.table.columns[column].key
        self._descending = order == Qt.SortOrder.DescendingOrder
        self._resort()

    # ------------------------------------------------------------------ helpers
    def _bar(self, row: int, spec) -> float | None:
        if spec.source not in BAR_SOURCES or self.table.is_pending(row, spec.key):
            return None
        if spec.key not in self._ranges:
            self._ranges[spec.key] = self.table.value_range(spec.key)
        value_range = self._ranges[spec.key]
        value = self.table.values(spec.key)[row]
        if value_range is None or not np.isfinite(value):
            return None
        low, high = min(value_range[0], 0.0), value_range[1]
        return 0.0 if high <= low else float((value - low) / (high - low))

    def _restyle_rows(self) -> None:
        """Cache each row's colour and whether its unit is hidden."""
        if self.table is None:
            self._hidden_rows, self._colors, self._faded_colors = np.empty(0, bool), [], []
            return
        unit_ids = self.table.unit_ids.tolist()
        hidden = set(self._session.hidden_unit_ids)
        self._hidden_rows = np.array([u in hidden for u in unit_ids], dtype=bool)
        self._colors = [self._theme.unit_color(self._session.unit_color_index(u)) for u in unit_ids]
        self._faded_colors = []
        for color in self._colors:
            faded = QColor(color)
            faded.setAlpha(60)
            self._faded_colors.append(faded)

    def _sorted_rows(self) -> np.ndarray:
        if self.table is None:
            return np.empty(0, dtype=int)
        if self._sort_key is None:
            return np.arange(self.table.num_rows)
        return self.table.sorted_rows(self._sort_key, self._descending)

    def _resort(self) -> None:
        self.layoutAboutToBeChanged.emit()
        before = self._shown
        self._order = self._sorted_rows()
        self._shown = self._order[self._mask[self._order]]
        position = np.empty(self.table.num_rows, dtype=int)
        position[self._shown] = np.arange(len(self._shown))
        persistent = self.persistentIndexList()
        moved = [
            self.index(int(position[before[index.row()]]), index.column()) for index in persistent
        ]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()


class MetricBarDelegate(QStyledItemDelegate):
    """Draws a faint bar behind a metric cell, as long as its value's place in the column."""

    def __init__(self, color: QColor, parent=None) -> None:
        super().__init__(parent)
        self._color = QColor(color)
        self._color.setAlpha(40)

    def paint(self, painter, option, index) -> None:
        fraction = index.data(BAR_ROLE)
        if fraction is not None and fraction > 0:
            rect = option.rect.adjusted(1, 3, -1, -3)
            rect.setWidth(max(1, int(rect.width() * min(fraction, 1.0))))
            painter.fillRect(rect, self._color)
        super().paint(painter, option, index)
