"""UnitsTableView: one row per unit with its metrics, sortable, filterable, selectable.

Selecting rows selects the units in every view (``session.select_units``) and the table follows
selections made elsewhere; double-clicking a unit centres the traces on its next spike. The check box of each unit shows or hides it everywhere
(``session.set_hidden_units``). Sorting by a column shares the row order through
``session.set_unit_order``. Metric columns fill in from background jobs
(`app.unit_metrics_runner`), shown "…" meanwhile; the table stays usable throughout.
"""

from __future__ import annotations

import numpy as np
import qtawesome as qta
from PySide6.QtCore import (
    QEvent,
    QItemSelection,
    QItemSelectionModel,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.jobs import JobManager
from app.model.raster_data import curation_base
from app.model.session import Session
from app.model.unit_filter import FilterError
from app.model.unit_table import (
    METRIC_KEYS,
    PROBE_KEYS,
    UNAVAILABLE,
    PreparedColumn,
    UnitTable,
    build_unit_table,
    category_options,
    set_probe_columns,
)
from app.theme import current_theme
from app.unit_metrics_runner import SPIKE_TRAIN_KEYS, TRACE_KEYS, UnitMetricsRunner
from app.views.unit_table_model import UnitTableModel

#: Widest a column is made to fit its text, in pixels.
MAX_COLUMN_WIDTH = 240
#: Milliseconds between the last key press in the filter box and applying it.
FILTER_DELAY_MS = 300
FILTER_HELP = (
    "<b>Filter units</b> with conditions on the columns, for example<br>"
    "<code>snr &gt; 5 and firing_rate &gt; 0.5</code><br>"
    '<code>label == "good"</code><br>'
    '<code>num_spikes &gt;= 100 or KSLabel == "good"</code><br>'
    "<code>isi_violations_ratio &lt; 0.2 and 200 &lt; depth &lt; 1500</code><br>"
    "Operators: == != &lt; &lt;= &gt; &gt;= in, and or not, + - * /. Text in quotes.<br>"
    "Columns: {columns}"
)


class UnitsTableView(QWidget):
    """The units of the open sorting, one row each.

    Parameters
    ----------
    session : Session
    job_manager : JobManager or None
        Runs the metric jobs (shown in the jobs panel); a private one when None.
    parent : QWidget or None

    Signals
    -------
    values_changed(tuple keys)
        These columns received values (or were found unavailable).
    label_requested(list unit_ids, str category, object option)
        The user chose an option of an exclusive label category for the units in the context
        menu (None: clear it).
    label_toggled(list unit_ids, str category, str option, bool on)
        The user ticked or unticked an option of a non-exclusive category.
    add_category_requested()
        The user chose "Add Label Category…" in the context menu.
    """

    values_changed = Signal(tuple)
    label_requested = Signal(list, str, object)
    label_toggled = Signal(list, str, str, bool)
    add_category_requested = Signal()

    def __init__(
        self, session: Session, job_manager: JobManager | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._owns_jobs = job_manager is None
        self._job_manager = JobManager(self) if job_manager is None else job_manager
        self._theme = current_theme()
        self._syncing_selection = False
        self._filter_error: str | None = None
        self._filter_columns: tuple[str, ...] = ()
        self._hidden_columns: set[str] = set()  # kept when another sorting opens
        self.model = UnitTableModel(session, self)
        self._runner = UnitMetricsRunner(
            session, self._job_manager, self._on_values, self._on_unavailable, self._on_reuse
        )
        self._previous_table: UnitTable | None = None  # values kept through a curation
        self._table_sorting = None  # the sorting the table was built for
        self._rebuild_timer = QTimer(self, singleShot=True, interval=0)
        self._rebuild_timer.timeout.connect(self._rebuild)
        self._filter_timer = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self._build()
        signals = session.signals
        for name in ("sorting", "recording", "waveform_extractor", "label_definitions"):
            getattr(signals, name).connect(self._schedule_rebuild)
        signals.unit_channel_ids.connect(self._on_unit_channels)
        signals.selected_unit_ids.connect(self._follow_selection)
        signals.hidden_unit_ids.connect(self._on_hidden)
        self._rebuild()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter: snr > 5 and firing_rate > 0.5")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.addAction(
            qta.icon("mdi6.filter-outline"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.filter_edit.textEdited.connect(lambda _text: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.show_all_button = self._tool_button("mdi6.eye", "Show all units", self.show_all)
        self.hide_all_button = self._tool_button("mdi6.eye-off", "Hide all units", self.hide_all)
        self.only_matching_button = self._tool_button(
            "mdi6.eye-check",
            "Show only the units the filter keeps (hide the others)",
            self.show_only_matching,
        )
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table_view = _TableView(self)
        self.table_view.setModel(self.model)
        self._check_box_delegate = _CheckBoxDelegate(self.table_view)
        self.table_view.setItemDelegateForColumn(0, self._check_box_delegate)
        self.table_view.setSortingEnabled(True)
        self.table_view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the sorting's order
        self.table_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table_view.setAlternatingRowColors(True)
        self.table_view.setShowGrid(False)
        self.table_view.setWordWrap(False)
        self.table_view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table_view.verticalHeader().hide()
        self.table_view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionsMovable(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        header.sortIndicatorChanged.connect(lambda *_: self._share_order())
        header.sectionResized.connect(
            lambda column, _old, width: self.model.column_resized(column, width)
        )
        self.table_view.selectionModel().selectionChanged.connect(self._on_rows_selected)
        self.table_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table_view.customContextMenuRequested.connect(self._row_menu)
        self.table_view.toggle_visibility.connect(self._toggle_selected_visibility)
        self.table_view.doubleClicked.connect(
            lambda index: self.go_to_next_spike(self.model.unit_id(index.row()))
        )
        self.table_view.setToolTip(
            "Click to select units (Ctrl/Shift for several), double-click to show the unit's "
            "next spike in the traces, Space to hide or show the selected units"
        )
        focus_filter = QAction(self)
        focus_filter.setShortcut(QKeySequence.StandardKey.Find)
        focus_filter.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        focus_filter.triggered.connect(self.filter_edit.setFocus)
        self.addAction(focus_filter)

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.setSpacing(2)
        tools.addWidget(self.filter_edit, 1)
        for button in (self.only_matching_button, self.show_all_button, self.hide_all_button):
            tools.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addLayout(tools)
        layout.addWidget(self.status_label)
        layout.addWidget(self.table_view, 1)

    def _tool_button(self, icon: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(qta.icon(icon))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # ------------------------------------------------------------------ public
    @property
    def table(self) -> UnitTable | None:
        """The values on display (None without a sorting)."""
        return self.model.table

    @property
    def metric_jobs(self) -> list:
        """Metric jobs still running for the open data."""
        return self._runner.jobs

    @property
    def filter_error(self) -> str | None:
        """Why the filter text cannot be applied (None when it applies)."""
        return self._filter_error

    def set_filter(self, expression: str) -> None:
        """Type ``expression`` into the filter box and apply it."""
        self.filter_edit.setText(expression)
        self.apply_filter()

    def apply_filter(self) -> None:
        """Apply the filter box's text; an invalid one leaves the rows as they were."""
        self._filter_timer.stop()
        table = self.table
        if table is None:
            return
        try:
            result = table.apply_filter(self.filter_edit.text())
        except FilterError as error:
            self._filter_error = str(error)
            self._filter_columns = ()
            self.filter_edit.setStyleSheet(
                f"QLineEdit {{ border: 1px solid {self._error_color()} }}"
            )
            self._update_status()
            return
        self._filter_error = None
        self._filter_columns = result.columns
        self.filter_edit.setStyleSheet("")
        self.model.set_filter_mask(result.mask)
        self._follow_selection()
        self._update_status()

    def sort_by(self, key: str, descending: bool = False) -> None:
        """Sort the rows by column ``key``."""
        column = self.table.keys.index(key)
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        self.table_view.sortByColumn(column, order)

    def show_all(self) -> None:
        """Show every unit in every view."""
        self._session.set_hidden_units(())

    def hide_all(self) -> None:
        """Hide every unit from every view."""
        if self._session.sorting is not None:
            self._session.set_hidden_units(self._session.sorting.unit_ids.tolist())

    def show_only_matching(self) -> None:
        """Hide the units the filter leaves out, show the ones it keeps."""
        if self.table is None:
            return
        shown = set(self.model.shown_unit_ids())
        self._session.set_hidden_units([u for u in self.table.unit_ids.tolist() if u not in shown])

    def set_column_visible(self, key: str, visible: bool) -> None:
        """Show or hide column ``key`` (also from the header's context menu)."""
        if visible:
            self._hidden_columns.discard(key)
        else:
            self._hidden_columns.add(key)
        if self.table is not None and key in self.table.keys:
            column = self.table.keys.index(key)
            self.table_view.horizontalHeader().setSectionHidden(column, not visible)

    def visible_columns(self) -> list[str]:
        """Keys of the columns on display, in display order."""
        header = self.table_view.horizontalHeader()
        keys = self.table.keys if self.table is not None else ()
        columns = sorted(
            (header.visualIndex(c), key)
            for c, key in enumerate(keys)
            if not header.isSectionHidden(c)
        )
        return [key for _, key in columns]

    def go_to_next_spike(self, unit_id) -> bool:
        """Centre the time window on the unit's first spike after the window's centre (its
        first spike after the last one). Returns whether the unit has a spike to go to."""
        session = self._session
        if session.recording is None or session.sorting is None:
            return False
        train = session.sorting.get_unit_spike_train(unit_id, segment_index=session.segment_index)
        if train.size == 0:
            return False
        start, end = session.frame_window
        after = int(np.searchsorted(train, (start + end) // 2, side="right"))
        frame = int(train[after] if after < train.size else train[0])
        session.go_to_time(float(session.frame_to_time(frame)))
        return True

    def selected_rows_unit_ids(self) -> list:
        """Unit ids of the selected rows, top to bottom."""
        rows = sorted(index.row() for index in self.table_view.selectionModel().selectedRows())
        return [self.model.unit_id(row) for row in rows]

    def shutdown(self) -> None:
        """Cancel the metric jobs (the main window calls this on close); wait for them when
        the view runs its own jobs."""
        self._runner.shutdown()
        if self._owns_jobs:
            self._job_manager.shutdown(30_000)

    # ------------------------------------------------------------------ session
    def _schedule_rebuild(self, *_) -> None:
        self._rebuild_timer.start()

    def _rebuild(self) -> None:
        session = self._session
        self._rebuild_timer.stop()
        if session.sorting is None:
            self._runner.shutdown()
            self.model.set_table(None)
            self._update_status()
            return
        table = build_unit_table(
            session.sorting, session.recording, session.unit_channel_ids, session.label_definitions
        )
        keep_metrics = self.table is not None and self._runner.is_current()
        kept_units = None if keep_metrics else self._units_kept_by_curation(table)
        follow = kept_units is not None  # a curation action: its rows change, not the others
        reuse = (
            self.table is not None
            and not keep_metrics
            and (kept_units is not None or self._runner.can_reuse())
        )
        if kept_units is not None:  # every value of the units an action left, at once
            self._keep_values(table, (*SPIKE_TRAIN_KEYS, *TRACE_KEYS), kept_units)
        self._previous_table = self.table if reuse else None
        if keep_metrics:  # e.g. a new probe: the metrics stay, positions are redone
            self._keep_values(table, METRIC_KEYS, table.unit_ids.tolist())
        if follow:
            self.model.follow_table(table, self._filter_mask(table))
        else:
            self.model.set_table(table)
        header = self.table_view.horizontalHeader()
        for column, spec in enumerate(table.columns):
            if header.isSectionHidden(column) != (spec.key in self._hidden_columns):
                header.setSectionHidden(column, spec.key in self._hidden_columns)
        self.apply_filter()
        self._share_order()
        self._fit_columns(table.keys)
        if not keep_metrics:
            self._runner.refresh(reuse=reuse, kept_units=kept_units)
        self._table_sorting = session.sorting

    def _filter_mask(self, table: UnitTable) -> np.ndarray | None:
        """The rows of ``table`` the filter box's text keeps (None: all, or an invalid
        filter, which `apply_filter` reports)."""
        try:
            return table.apply_filter(self.filter_edit.text()).mask
        except FilterError:
            return None

    def _units_kept_by_curation(self, table: UnitTable) -> list | None:
        """The units a curation action left as they were (same id in a curation of the same
        sorting, over the same recording), or None when the sorting is another one."""
        before, now = self._table_sorting, self._session.sorting
        if self.table is None or before is None or now is None:
            return None
        if not self._runner.can_follow_curation():
            return None
        if (curation_base(before) or before) is not (curation_base(now) or now):
            return None
        previous = self.table
        keys = [k for k in (*SPIKE_TRAIN_KEYS, *TRACE_KEYS) if previous.state(k) != UNAVAILABLE]
        known = set(previous.unit_ids.tolist())
        # a unit whose values were still being computed is computed again (values an
        # earlier action kept and the table on display has not copied yet count as known)
        unit_ids = table.unit_ids.tolist()
        kept = np.fromiter((u in known for u in unit_ids), dtype=bool, count=len(unit_ids))
        for key in keys:
            kept &= self._known_values(unit_ids, key)[0]
        return np.asarray(unit_ids, dtype=object)[kept].tolist()

    def _known_values(
        self, unit_ids: list, key: str
    ) -> tuple[np.ndarray, np.ndarray | None, list | None]:
        """Whether each unit of ``unit_ids`` has a computed cell of ``key`` in the table on
        display, or else in the table before the last curation action (values it keeps but
        has not copied yet), those cells and their texts: ``(found, values, texts)``
        (``values`` and ``texts`` None when no table has the column; a text per unit, None
        where not found)."""
        found = np.zeros(len(unit_ids), dtype=bool)
        values = texts = None
        for source in (self.table, self._previous_table):
            if source is None or source.state(key) == UNAVAILABLE:
                continue
            rows = source.rows_of(unit_ids)
            here = (rows >= 0) & ~found
            here[here] = ~source.pending_rows(key)[rows[here]]
            column = source.values(key)
            if values is None:
                values = np.empty(len(unit_ids), dtype=column.dtype)
                texts = [None] * len(unit_ids)
            values[here] = column[rows[here]]
            shown = source.texts(key)
            for at, row in zip(np.flatnonzero(here).tolist(), rows[here].tolist()):
                texts[at] = shown[row]
            found |= here
        return found, values, texts

    def _keep_values(self, table: UnitTable, keys, unit_ids: list) -> None:
        """Copy the values the table on display (or the one before the last curation action)
        has of ``unit_ids`` (those computed) into ``table``; the running jobs fill in the
        rest."""
        previous = self.table
        rows = table.rows_of(unit_ids)
        for key in keys:
            if previous.state(key) == UNAVAILABLE:
                table.set_unavailable(key, previous.reason(key))
                continue
            found, values, texts = self._known_values(unit_ids, key)
            found &= rows >= 0
            # the same values show the same texts: copied, not formatted again
            texts = [texts[i] for i in np.flatnonzero(found).tolist()]
            table.set_rows(key, rows[found], values[found], texts)

    def _on_unit_channels(self, *_) -> None:
        session, table = self._session, self.table
        if table is None:
            return
        # a rebuild is due (a curation action drops its old units' channels before the table
        # is rebuilt): it fills the probe columns, the table on display is not refilled first
        if session.unit_channel_ids and not self._rebuild_timer.isActive():
            set_probe_columns(table, session.recording, session.unit_channel_ids, session.sorting)
            self._columns_changed(PROBE_KEYS)
        self._runner.channels_changed()

    def _on_values(self, columns: dict) -> None:
        table = self.table
        if table is None:
            return
        for key, values in columns.items():
            if key not in table.keys:
                continue
            if isinstance(values, PreparedColumn):
                if not table.set_prepared(key, values):  # prepared for other units
                    table.set_column(key, values.as_mapping())
            else:
                table.set_column(key, values)
        self._columns_changed(tuple(columns))

    def _on_reuse(self, unit_ids: list) -> None:
        """Units a curation left as they were keep their amplitude and SNR."""
        table, previous = self.table, self._previous_table
        if table is None or previous is None:
            return
        for key in TRACE_KEYS:
            kept = {}
            for unit_id in unit_ids:
                try:
                    row = previous.row_of(unit_id)
                except KeyError:
                    continue
                if not previous.is_pending(row, key) and previous.state(key) != UNAVAILABLE:
                    kept[unit_id] = previous.values(key)[row]
            table.set_column(key, kept, complete=False)
        self._previous_table = None
        self._columns_changed(TRACE_KEYS)

    def _on_unavailable(self, keys: tuple, reason: str) -> None:
        table = self.table
        if table is None:
            return
        for key in keys:
            table.set_unavailable(key, reason)
        self._columns_changed(keys)

    def _columns_changed(self, keys: tuple) -> None:
        self.model.columns_changed(keys)
        if set(keys) & set(self._filter_columns):
            self.apply_filter()
        if self.model.sort_key in keys:
            self._share_order()
        self._fit_columns(keys)
        self._update_status()
        self.values_changed.emit(tuple(keys))

    def _fit_columns(self, keys) -> None:
        """Size columns to their widest text (computed here: Qt's resize-to-contents asks the
        model for every role of every cell, far too slow for hundreds of units)."""
        table = self.table
        metrics = self.table_view.fontMetrics()
        header = self.table_view.horizontalHeader()
        title_metrics = header.fontMetrics()
        for key in keys:
            if key not in table.keys:
                continue
            column = table.keys.index(key)
            widest = table.widest_text(key)
            width = metrics.horizontalAdvance(widest) + 14
            if column == 0:  # check box and colour swatch before the id
                width += self._check_and_swatch_width()
            title = title_metrics.horizontalAdvance(table.column(key).title) + 22
            header.resizeSection(column, min(max(width, title), MAX_COLUMN_WIDTH))

    def _check_and_swatch_width(self) -> int:
        style = self.table_view.style()
        indicator = style.pixelMetric(QStyle.PixelMetric.PM_IndicatorWidth)
        swatch = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        return indicator + swatch + 24  # the cell's margins and gaps between the three

    def _on_hidden(self, *_) -> None:
        self.model.units_restyled()
        self._update_status()

    def _share_order(self) -> None:
        if self.table is not None and self._session.sorting is not None:
            self._session.set_unit_order(self.model.ordered_unit_ids())

    # ------------------------------------------------------------------ selection
    def _on_rows_selected(self, *_) -> None:
        if self._syncing_selection or self.table is None:
            return
        self._session.select_units(self.selected_rows_unit_ids())

    def _follow_selection(self, *_) -> None:
        if self.table is None:
            return
        selection = QItemSelection()
        last_column = self.model.columnCount() - 1
        for unit_id in self._session.selected_unit_ids:
            row = self.model.view_row(unit_id)
            if row is not None:
                selection.select(self.model.index(row, 0), self.model.index(row, last_column))
        self._syncing_selection = True
        try:
            flags = (
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows
            )
            self.table_view.selectionModel().select(selection, flags)
        finally:
            self._syncing_selection = False
        if not selection.isEmpty():
            first = selection.indexes()[0]
            with QSignalBlocker(self.table_view.selectionModel()):
                self.table_view.selectionModel().setCurrentIndex(
                    first, QItemSelectionModel.SelectionFlag.NoUpdate
                )
            self.table_view.scrollTo(first)

    def _toggle_selected_visibility(self) -> None:
        unit_ids = self.selected_rows_unit_ids()
        if not unit_ids:
            return
        hidden = set(self._session.hidden_unit_ids)
        self.model.set_units_visible(unit_ids, visible=all(u in hidden for u in unit_ids))

    # ------------------------------------------------------------------ status
    def _update_status(self) -> None:
        table = self.table
        if table is None:
            self.status_label.setText("No sorting open")
            return
        if self._filter_error is not None:
            self.status_label.setText(
                f"<span style='color:{self._error_color()}'>{_escape(self._filter_error)}</span>"
            )
            return
        total = table.num_rows
        shown = self.model.rowCount()
        hidden = len(self._session.hidden_unit_ids)
        parts = [f"{total} units" if shown == total else f"{shown} of {total} units match"]
        if hidden:
            parts.append(f"{hidden} hidden")
        pending = [c.title for c in table.columns if table.state(c.key) == "pending"]
        if pending:
            parts.append(f"computing {', '.join(pending)}…")
        self.status_label.setText(" · ".join(parts))

    def _error_color(self) -> str:
        return "#ff6b5b" if self._theme.dark else "#c0392b"

    def _on_filter_text(self, text: str) -> None:
        self.filter_edit.setToolTip(
            FILTER_HELP.format(columns=", ".join(self.table.keys) if self.table else "")
        )
        if not text:
            self.apply_filter()

    def label_menu(self, unit_ids: list) -> QMenu:
        """The context menu of ``unit_ids``: every option of every label category (ticked when
        all of them have it), and "Add Label Category…"."""
        menu = QMenu(self)
        unit_labels = self._unit_labels(unit_ids)
        for name, definition in self._session.label_definitions.items():
            section = menu.addMenu(f"Label {name}")
            for option in definition.label_options:
                action = section.addAction(option)
                action.setCheckable(True)
                action.setChecked(
                    bool(unit_ids) and all(option in c.get(name, ()) for c in unit_labels)
                )
                if definition.exclusive:
                    action.triggered.connect(
                        lambda _=False, n=name, o=option: self.label_requested.emit(
                            list(unit_ids), n, o
                        )
                    )
                else:
                    action.toggled.connect(
                        lambda on, n=name, o=option: self.label_toggled.emit(
                            list(unit_ids), n, o, on
                        )
                    )
            if definition.exclusive:
                section.addSeparator()
                section.addAction("Clear").triggered.connect(
                    lambda _=False, n=name: self.label_requested.emit(list(unit_ids), n, None)
                )
            section.setEnabled(bool(unit_ids))
        menu.addSeparator()
        menu.addAction(qta.icon("mdi6.tag-plus-outline"), "Add Label Category…").triggered.connect(
            self.add_category_requested.emit
        )
        return menu

    def _unit_labels(self, unit_ids: list) -> list[dict]:
        """``{category: options}`` of each unit of the session's sorting."""
        sorting = self._session.sorting
        if sorting is None or not unit_ids:
            return []
        rows = sorting.ids_to_indices(unit_ids)
        by_category = {
            name: category_options(sorting, definition)
            for name, definition in self._session.label_definitions.items()
        }
        return [{name: options[row] for name, options in by_category.items()} for row in rows]

    def _row_menu(self, position) -> None:
        if self.table is None:
            return
        index = self.table_view.indexAt(position)
        if index.isValid():
            unit_id = self.model.unit_id(index.row())
            if unit_id not in self._session.selected_unit_ids:
                self._session.select_units([unit_id])
        unit_ids = list(self._session.selected_unit_ids)
        self.label_menu(unit_ids).exec(self.table_view.viewport().mapToGlobal(position))

    def _header_menu(self, position) -> None:
        if self.table is None:
            return
        header = self.table_view.horizontalHeader()
        menu = QMenu(self)
        for column, spec in enumerate(self.table.columns):
            if column == 0:
                continue
            action = QAction(spec.title, menu, checkable=True)
            action.setChecked(not header.isSectionHidden(column))
            action.toggled.connect(
                lambda checked, key=spec.key: self.set_column_visible(key, checked)
            )
            menu.addAction(action)
        menu.exec(header.mapToGlobal(position))


class _TableView(QTableView):
    """A table view where Space shows or hides the selected units."""

    toggle_visibility = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            self.toggle_visibility.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class _CheckBoxDelegate(QStyledItemDelegate):
    """The unit column's delegate: a click on a unit's check box shows or hides the unit.

    Qt toggles check boxes of cells whose flags say ``ItemIsUserCheckable``; the model leaves
    ``flags()`` to Qt (a call into Python for every cell painted otherwise), so the click is
    handled here. Painting stays Qt's own.
    """

    def editorEvent(self, event, model, option, index) -> bool:
        kinds = (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick)
        if event.type() not in kinds or event.button() != Qt.MouseButton.LeftButton:
            return super().editorEvent(event, model, option, index)
        state = index.data(Qt.ItemDataRole.CheckStateRole)
        if state is None:
            return False
        styled = QStyleOptionViewItem(option)
        self.initStyleOption(styled, index)
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        box = style.subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, styled, widget)
        if not box.contains(event.position().toPoint()):
            return False
        if event.type() == QEvent.Type.MouseButtonRelease:
            checked = Qt.CheckState(state) == Qt.CheckState.Checked
            toggled = Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked
            model.setData(index, toggled.value, Qt.ItemDataRole.CheckStateRole)
        return True  # a double click on the box does not also go to the unit's spike


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
