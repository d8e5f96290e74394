"""The Qt item model of the units table: a `UnitTable` in a sorted, filtered row order."""

from __future__ import annotations

import operator

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QLinearGradient

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
#: Opacity (0-255) of the bars behind metric cells.
BAR_ALPHA = 40
#: Bars are drawn to the nearest 1/BAR_STEPS of the cell's width.
BAR_STEPS = 200
#: Width of a column whose width the view did not tell (`UnitTableModel.column_resized`).
DEFAULT_BAR_WIDTH = 100
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

_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_DECORATION = Qt.ItemDataRole.DecorationRole.value
_CHECK_STATE = Qt.ItemDataRole.CheckStateRole.value

_Index = QModelIndex | QPersistentModelIndex


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
        self._bar_color = QColor(self._theme.trace)
        self._bar_color.setAlpha(BAR_ALPHA)
        self._bar_brushes: dict[tuple[int, int], QBrush] = {}
        self._widths: dict[int, int] = {}  # of the view's columns, for the bars
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
        self._color_pairs: dict[int, tuple[QColor, QColor]] = {}  # by colour index
        # per column: {role: one value per table row} of the roles a paint asks for, made
        # once per change of the column (a paint then only looks values up)
        self._cells: dict[int, dict[int, list]] = {}

    # ------------------------------------------------------------------ content
    def set_table(self, table: UnitTable | None) -> None:
        """Show ``table`` (all rows, in the current sort order)."""
        self.beginResetModel()
        self.table = table
        self._cells = {}
        self._set_alignments()
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
        if self.table is None or np.array_equal(mask, self._mask):
            return
        self._follow_rows(self.table, np.asarray(mask, dtype=bool))

    def follow_table(self, table: UnitTable, mask: np.ndarray | None = None) -> None:
        """Show ``table``, the next state of the table on display (after a curation action:
        units gone, new or relabelled, property columns added or dropped), change by change:
        the rows of units no longer shown are removed, rows of new units inserted where the
        sort order puts them, the cells that changed repainted, columns dropped and added.
        The other rows stay (with their selection) in the current sort order. A table whose
        common columns come in another order is shown afresh (`set_table`).

        Parameters
        ----------
        table : UnitTable
        mask : numpy.ndarray of bool or None
            The rows of ``table`` the filter keeps (None: every row).
        """
        mask = np.ones(table.num_rows, dtype=bool) if mask is None else np.asarray(mask, bool)
        old = self.table
        if old is None or not _compatible_columns(old, table):
            self.set_table(table)
            self.set_filter_mask(mask)
            return
        widths = {old.columns[c].key: w for c, w in self._widths.items() if c < len(old.columns)}
        common = [k for k in old.keys if k in set(table.keys)]
        for key in reversed(old.keys):
            if key not in common:
                column = self.table.keys.index(key)
                self.beginRemoveColumns(QModelIndex(), column, column)
                self._set_columns(self.table.select_columns(set(self.table.keys) - {key}), widths)
                self.endRemoveColumns()
        added = [k for k in table.keys if k not in set(common)]
        self._follow_rows(table.select_columns(common) if added else table, mask)
        for key in added:
            column = table.keys.index(key)
            self.beginInsertColumns(QModelIndex(), column, column)
            shown = set(self.table.keys) | {key}
            self._set_columns(table if key == added[-1] else table.select_columns(shown), widths)
            self.endInsertColumns()

    def _set_columns(self, table: UnitTable, widths: dict[str, int]) -> None:
        """Swap in a table of the same rows and other columns (between beginInsertColumns
        or beginRemoveColumns and their end)."""
        self.table = table
        self._cells = {}
        self._set_alignments()
        self._widths = {c: widths[k] for c, k in enumerate(table.keys) if k in widths}
        if self._sort_key not in table.keys:
            self._sort_key, self._descending = None, False

    def _follow_rows(self, table: UnitTable, mask: np.ndarray) -> None:
        """`follow_table` for a table of the same columns as the one on display."""
        old = self.table
        if self._sort_key is None:
            order = np.arange(table.num_rows)
        else:
            order = table.sorted_rows(self._sort_key, self._descending)
        shown = order[mask[order]]
        new_ids = table.unit_ids[shown]
        # 1. rows of units no longer shown, last first (each removal keeps the rows above)
        gone = np.flatnonzero(~np.isin(old.unit_ids[self._shown], new_ids))
        for first, last in reversed(_runs(gone)):
            self.beginRemoveRows(QModelIndex(), first, last)
            self._shown = np.delete(self._shown, np.s_[first : last + 1])
            self.endRemoveRows()
        # 2. the table's values: the rows left, now in the new table's order
        kept_ids = old.unit_ids[self._shown]
        kept = np.isin(new_ids, kept_ids)
        old_rows = old.rows_of(new_ids[kept].tolist())
        old_cells = [self._current_cells(c) for c in range(len(old.columns))]
        moved = not np.array_equal(kept_ids, new_ids[kept])
        if moved:
            self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList() if moved else []
        before = [kept_ids[index.row()] for index in persistent]
        self._order, self._mask, self._shown = order, mask, shown[kept]
        if table is not old:
            self.table = table
            self._cells = {}
            self._restyle_rows()
        if moved:
            place = {u: i for i, u in enumerate(new_ids[kept].tolist())}
            after = [self.index(place[u.item()], i.column()) for u, i in zip(before, persistent)]
            self.changePersistentIndexList(persistent, after)
            self.layoutChanged.emit()
        for column in range(len(table.columns)):
            changed = _changed_rows(
                old_cells[column], self._current_cells(column), old_rows, self._shown
            )
            for first, last in _runs(np.flatnonzero(changed)):
                self.dataChanged.emit(self.index(first, column), self.index(last, column))
        # 3. rows of new units, top first (each insertion is at its final place)
        positions = np.arange(len(shown))
        for first, last in _runs(np.flatnonzero(~kept)):
            self.beginInsertRows(QModelIndex(), first, last)
            self._shown = shown[kept | (positions <= last)]
            self.endInsertRows()

    def columns_changed(self, keys) -> None:
        """Values of these columns changed: repaint them, re-sort when sorted by one."""
        if self.table is None:
            return
        keys = set(keys)
        for key in keys:
            if key in self.table.keys:
                self._cells.pop(self.table.keys.index(key), None)
        if self._sort_key in keys:
            self._resort()
        for key in keys & set(self.table.keys):
            column = self.table.keys.index(key)
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    def units_restyled(self) -> None:
        """Colours or hidden units changed: repaint every row."""
        self._restyle_rows()
        self._cells = {}
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

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Qt's own index() asks rowCount and columnCount: two calls into Python for every
        # cell painted, each waiting for the GIL while a job computes; this is one.
        # (flags() is Qt's own for the same reason: the unit column's check box is toggled
        # by the view's delegate, see `app.views.units_table`.)
        if (
            parent.isValid()
            or self.table is None
            or not 0 <= row < len(self._shown)
            or not 0 <= column < len(self.table.columns)
        ):
            return QModelIndex()
        return self.createIndex(row, column)

    def multiData(self, index: _Index, role_data_span) -> None:
        """Every role a paint asks of a cell in one call (Qt's item delegates ask for seven
        roles at once): one entry into Python per cell instead of one per role, each of
        which waits for the GIL while a job computes."""
        if self.table is None or not index.isValid():
            return
        row = self._shown[index.row()]
        cells = self._current_cells(index.column())
        # Qt's delegates reuse one span for every cell: each role is set or cleared
        for role_data in role_data_span:
            values = cells.get(role_data.role())
            value = None if values is None else values[row]
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in _ROLES or self.table is None or not index.isValid():
            return None
        table = self.table
        row = int(self._shown[index.row()])
        column = index.column()
        cells = self._current_cells(column)
        values = cells.get(role.value if isinstance(role, Qt.ItemDataRole) else int(role))
        if values is not None:
            return values[row]
        spec = table.columns[column]
        state = table.state(spec.key)
        pending = table.is_pending(row, spec.key)
        if role == Qt.ItemDataRole.UserRole:
            return None if pending or state == UNAVAILABLE else table.values(spec.key)[row]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, spec, PENDING if pending else state)
        return None

    def _current_cells(self, column: int) -> dict[int, list]:
        """The painted roles of ``column``, made again when its texts changed (a column set
        without `columns_changed` is never painted stale)."""
        cells = self._cells.get(column)
        if cells is None or cells[_DISPLAY] is not self.table.texts(self.table.columns[column].key):
            cells = self._column_cells(column)
        return cells

    def _column_cells(self, column: int) -> dict[int, list]:
        """``{role: one value per table row}`` of the roles painted in ``column`` (cached)."""
        table = self.table
        key = table.columns[column].key
        num = table.num_rows
        grey = self._hidden_rows | table.pending_rows(key) | (table.state(key) == UNAVAILABLE)
        flagged = table.flagged_rows(key) & ~grey
        foreground: list = [None] * num
        for row in np.flatnonzero(grey).tolist():
            foreground[row] = self._grey
        for row in np.flatnonzero(flagged).tolist():
            foreground[row] = self._warning
        cells = {
            _DISPLAY: table.texts(key),
            _ALIGNMENT: [self._alignments[column]] * num,
            _FOREGROUND: foreground,
        }
        if table.columns[column].source in BAR_SOURCES:
            cells[BAR_ROLE] = bars = self._bars(key)
            cells[_BACKGROUND] = self._bar_backgrounds(bars, self._widths.get(column))
        if key == "label":
            labels = table.values("label").tolist()
            cells[_BACKGROUND] = [self._tints.get(str(label).lower()) for label in labels]
        if column == 0:
            hidden = self._hidden_rows.tolist()
            cells[_DECORATION] = [
                faded if h else color
                for h, color, faded in zip(hidden, self._colors, self._faded_colors)
            ]
            cells[_CHECK_STATE] = [
                Qt.CheckState.Unchecked if h else Qt.CheckState.Checked for h in hidden
            ]
        self._cells[column] = cells
        return cells

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
    def _bars(self, key: str) -> list[float | None]:
        """Each cell's place in its column's range of values (None: no bar)."""
        table = self.table
        value_range = table.value_range(key)
        if value_range is None:
            return [None] * table.num_rows
        values = table.values(key)
        low, high = min(value_range[0], 0.0), value_range[1]
        if high <= low:
            fractions = np.zeros(table.num_rows)
        else:
            fractions = (values - low) / (high - low)
        fractions[~np.isfinite(values) | table.pending_rows(key)] = np.nan
        return [None if f != f else f for f in fractions.tolist()]

    def column_resized(self, column: int, width: int) -> None:
        """The view's column ``column`` is now ``width`` pixels wide: its bars are redrawn to
        that width."""
        if self._widths.get(column) == width:
            return
        self._widths[column] = width
        if self.table is None or not 0 <= column < len(self.table.columns):
            return
        if self.table.columns[column].source in BAR_SOURCES:
            self._cells.pop(column, None)
            if self.rowCount():
                self.dataChanged.emit(
                    self.index(0, column), self.index(self.rowCount() - 1, column)
                )

    def _bar_backgrounds(self, bars: list, width: int | None) -> list[QBrush | None]:
        """The background brush of each cell of a column of ``bars`` (`_bar_brush`), the
        brush of each bar length looked up once."""
        width = DEFAULT_BAR_WIDTH if width is None else width
        fractions = np.array([np.nan if f is None else f for f in bars], dtype=float)
        steps = np.zeros(fractions.size, dtype=np.int64)
        positive = fractions > 0  # (NaN compares False)
        steps[positive] = np.maximum(
            1, np.rint(np.minimum(fractions[positive], 1.0) * BAR_STEPS).astype(np.int64)
        )
        brushes = {0: None}
        for step in np.unique(steps[positive]).tolist():
            brushes[step] = self._bar_brush(step / BAR_STEPS, width)
        return [brushes[step] for step in steps.tolist()]

    def _bar_brush(self, fraction: float, width: int) -> QBrush | None:
        """A cell's background: the bar colour from the left edge to ``fraction`` of the
        cell's ``width``, then nothing. Qt paints it without calling Python (item views fill
        the background with the brush's origin at the cell's top left)."""
        if not fraction > 0:
            return None
        steps = max(1, round(min(fraction, 1.0) * BAR_STEPS))
        brush = self._bar_brushes.get((width, steps))
        if brush is None:
            end = steps / BAR_STEPS
            gradient = QLinearGradient(0.0, 0.0, float(width), 0.0)
            clear = QColor(self._bar_color)
            clear.setAlpha(0)
            gradient.setColorAt(0.0, self._bar_color)
            gradient.setColorAt(end, self._bar_color)
            if end < 1.0:
                gradient.setColorAt(min(end + 1e-6, 1.0), clear)
                gradient.setColorAt(1.0, clear)
            brush = self._bar_brushes[(width, steps)] = QBrush(gradient)
        return brush

    def _set_alignments(self) -> None:
        self._alignments = [
            int(
                (Qt.AlignmentFlag.AlignRight if c.kind == NUMBER else Qt.AlignmentFlag.AlignLeft)
                | Qt.AlignmentFlag.AlignVCenter
            )
            for c in ([] if self.table is None else self.table.columns)
        ]

    def _restyle_rows(self) -> None:
        """Cache each row's colour and whether its unit is hidden."""
        if self.table is None:
            self._hidden_rows, self._colors, self._faded_colors = np.empty(0, bool), [], []
            return
        unit_ids = self.table.unit_ids.tolist()
        hidden = set(self._session.hidden_unit_ids)
        self._hidden_rows = np.array([u in hidden for u in unit_ids], dtype=bool)
        pairs = [self._color_pair(self._session.unit_color_index(u)) for u in unit_ids]
        self._colors = [color for color, _ in pairs]
        self._faded_colors = [faded for _, faded in pairs]

    def _color_pair(self, color_index: int) -> tuple[QColor, QColor]:
        """A unit colour and its faded version (hidden units), made once per colour index
        (a curation action restyles every row: hundreds of QColors otherwise)."""
        pair = self._color_pairs.get(color_index)
        if pair is None:
            color = self._theme.unit_color(color_index)
            faded = QColor(color)
            faded.setAlpha(60)
            pair = self._color_pairs[color_index] = (color, faded)
        return pair

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


def _compatible_columns(old: UnitTable, new: UnitTable) -> bool:
    """Whether the columns both tables have are the same and in the same order."""
    common = set(old.keys) & set(new.keys)
    before = [c for c in old.columns if c.key in common]
    return before == [c for c in new.columns if c.key in common]


def _runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """``(first, last)`` of each run of consecutive numbers in sorted ``rows``."""
    if rows.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [rows.size - 1]])
    return list(zip(rows[starts].tolist(), rows[ends].tolist()))


def _changed_rows(before: dict, after: dict, rows_before: np.ndarray, rows_after: np.ndarray):
    """Whether each cell (``rows_before[i]`` of ``before``, ``rows_after[i]`` of ``after``,
    painted roles of one column) shows something else."""
    changed = np.zeros(len(rows_after), dtype=bool)
    if not len(rows_after):
        return changed
    for role in set(before) | set(after):
        if role not in before or role not in after:
            changed[:] = True
            break
        old = _gather(before[role], rows_before)
        new = _gather(after[role], rows_after)
        if old == new:
            continue
        changed |= np.fromiter(
            (a is not b and (a is None or b is None or a != b) for a, b in zip(old, new)),
            dtype=bool,
            count=len(new),
        )
    return changed


def _gather(values: list, rows: np.ndarray) -> list:
    """``[values[r] for r in rows]``, gathered in C."""
    if rows.size == 0:
        return []
    picked = operator.itemgetter(*rows.tolist())(values)
    return list(picked) if rows.size > 1 else [picked]
