"""What the units table shows, one row per unit, without Qt: columns, values, sorting, filters.

The columns are the unit id; the metrics of `core.qualitymetrics`, under SpikeInterface's
names (``num_spikes``, ``firing_rate``, ``amplitude_median``, ``snr``,
``isi_violations_ratio``, ``presence_ratio``); where the unit sits on the probe (``depth``,
``channel``, ``shank``, from its extremum channel); its curation ``label``; and every property
the sorting carries (phy's ``KSLabel``, ``quality``...). Metric columns start *pending* (shown
"…") and are filled by `UnitTable.set_column` when their computation ends. The same names are
the words of filter expressions (`app.model.unit_filter`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.model.unit_filter import FilterResult, apply_filter

NUMBER, TEXT = "number", "text"
READY, PENDING, UNAVAILABLE = "ready", "pending", "unavailable"
#: Shown in a cell whose value is being computed.
PENDING_TEXT = "…"
#: Shown in a cell without a value (NaN, or a column that cannot be computed).
MISSING_TEXT = "–"
#: Sorting properties that hold a unit's curation label, the first one present wins.
LABEL_PROPERTIES = ("quality", "label", "KSLabel")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the units table.

    Attributes
    ----------
    key : str
        Name in filter expressions (SpikeInterface's metric name for metrics).
    title : str
        Header text.
    kind : {"number", "text"}
        Numbers sort numerically and align right.
    decimals : int
        Digits after the point when shown (numbers).
    description : str
        Header tooltip: what the column holds and where it comes from.
    source : str
        ``"sorting"``, ``"probe"`` (from the extremum channel), ``"spike_trains"`` or
        ``"traces"`` (metrics computed in the background) or ``"property"``.
    """

    key: str
    title: str
    kind: str
    decimals: int = 0
    description: str = ""
    source: str = "sorting"


#: Metric columns computed from the spike trains alone (fast: filled at once on open).
SPIKE_TRAIN_COLUMNS = (
    ColumnSpec(
        "num_spikes",
        "Spikes",
        NUMBER,
        0,
        "Number of spikes over all segments (core.qualitymetrics.compute_num_spikes)",
        "spike_trains",
    ),
    ColumnSpec(
        "firing_rate",
        "Rate Hz",
        NUMBER,
        2,
        "Mean firing rate: spikes / duration of the recording (compute_firing_rates)",
        "spike_trains",
    ),
    ColumnSpec(
        "isi_violations_ratio",
        "ISI viol",
        NUMBER,
        3,
        "Rate of inter-spike intervals < 1.5 ms relative to chance (Hill et al.; "
        "compute_isi_violations). 0 is clean; > 0.5 suggests contamination",
        "spike_trains",
    ),
    ColumnSpec(
        "presence_ratio",
        "Presence",
        NUMBER,
        2,
        "Fraction of 60 s bins of the recording in which the unit fires (compute_presence_ratios)",
        "spike_trains",
    ),
)
#: Metric columns that need the traces (waveforms of sampled spikes): computed in a job.
TRACE_COLUMNS = (
    ColumnSpec(
        "amplitude_median",
        "Amp µV",
        NUMBER,
        1,
        "Median absolute amplitude of sampled spikes at their peak on the extremum channel "
        "(compute_amplitude_medians)",
        "traces",
    ),
    ColumnSpec(
        "snr",
        "SNR",
        NUMBER,
        1,
        "Template peak on the extremum channel over that channel's noise level "
        "(median absolute deviation; compute_snrs)",
        "traces",
    ),
)
PROBE_KEYS = ("depth", "channel", "shank")
_LABEL_COLUMN = ColumnSpec(
    "label",
    "Label",
    TEXT,
    0,
    f"Curation label: the first of the sorting properties {', '.join(LABEL_PROPERTIES)}",
)
METRIC_KEYS = tuple(c.key for c in SPIKE_TRAIN_COLUMNS + TRACE_COLUMNS)
#: Common curation thresholds (e.g. the Allen Institute's): a unit past one is flagged.
#: ``{key: (comparison, threshold)}``; "above" flags values greater than the threshold.
QUALITY_THRESHOLDS = {
    "isi_violations_ratio": ("above", 0.5),
    "presence_ratio": ("below", 0.9),
}


@dataclass(frozen=True)
class PreparedColumn:
    """A number column computed for the units of a sorting, with its texts formatted
    (`prepare_columns`, off the GUI thread): the table takes it as it is
    (`UnitTable.set_prepared`).

    Attributes
    ----------
    unit_ids : np.ndarray
        The units, in the sorting's order.
    values : np.ndarray
        float64, one per unit (NaN: no value).
    present : np.ndarray
        bool, one per unit: whether the computation gave the unit a value (a metric leaves
        out units without spikes, say).
    texts : tuple of str
        What each cell shows.
    widest : str
        A longest of ``texts``, to size the column by.
    """

    unit_ids: np.ndarray
    values: np.ndarray
    present: np.ndarray
    texts: tuple[str, ...]
    widest: str

    def as_mapping(self) -> dict:
        """``{unit_id: value}`` of the units given a value, as the computation returned it."""
        ids = self.unit_ids[self.present].tolist()
        return dict(zip(ids, self.values[self.present].tolist(), strict=True))


def prepare_columns(columns: Mapping[str, Mapping], unit_ids) -> dict[str, Any]:
    """Metric columns (``{key: {unit_id: value}}`` of a computation over the units
    ``unit_ids``) as `PreparedColumn`s; other keys are left as they are.

    Run it where the metrics are computed: the GUI thread then only takes arrays and texts,
    instead of hundreds of values and texts per column.
    """
    specs = {c.key: c for c in SPIKE_TRAIN_COLUMNS + TRACE_COLUMNS}
    unit_ids = np.asarray(unit_ids)
    ids = unit_ids.tolist()
    prepared: dict[str, Any] = {}
    for key, values in columns.items():
        spec = specs.get(key)
        if spec is None:
            prepared[key] = values
            continue
        present = np.array([u in values for u in ids], dtype=bool)
        numbers = np.array(
            [_cell(values[u], NUMBER) if here else np.nan for u, here in zip(ids, present)],
            dtype=np.float64,
        )
        texts = tuple(_number_texts(numbers, spec.decimals))
        widest = max(texts, key=len, default="")
        prepared[key] = PreparedColumn(unit_ids, numbers, present, texts, widest)
    return prepared


class UnitTable:
    """The values of every column, one row per unit of a sorting, in the sorting's unit order.

    Parameters
    ----------
    unit_ids : array-like
        The rows.
    columns : sequence of ColumnSpec
        The columns, in display order (keys unique).
    values : mapping of str to array-like, optional
        Initial values by column key (others start pending).

    Notes
    -----
    Numbers are kept as float64 (NaN: no value), text as object arrays of str.
    """

    def __init__(self, unit_ids, columns, values: Mapping[str, Any] | None = None) -> None:
        self.unit_ids = np.asarray(unit_ids)
        self.columns = tuple(columns)
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"column keys must be unique, got {keys}")
        self._spec = {c.key: c for c in self.columns}
        self._row = {u: i for i, u in enumerate(self.unit_ids.tolist())}
        num = len(self.unit_ids)
        self._values = {
            c.key: np.full(num, np.nan) if c.kind == NUMBER else np.full(num, "", dtype=object)
            for c in self.columns
        }
        # per cell: a column can hold the values of some units while others are computed
        self._pending = {key: np.ones(num, dtype=bool) for key in keys}
        # whether any cell of a column is pending: asked for every cell painted
        self._any_pending = {key: num > 0 for key in keys}
        self._reason: dict[str, str] = {}
        # what each cell shows, formatted once per column change (painting only looks it up)
        self._texts = {key: [PENDING_TEXT] * num for key in keys}
        self._widest: dict[str, str] = {}  # of columns set prepared (see `set_prepared`)
        for key, column_values in (values or {}).items():
            self.set_column(key, column_values)

    # ------------------------------------------------------------------ columns
    @property
    def num_rows(self) -> int:
        """Number of units."""
        return len(self.unit_ids)

    @property
    def keys(self) -> tuple[str, ...]:
        """Column keys in display order."""
        return tuple(c.key for c in self.columns)

    def column(self, key: str) -> ColumnSpec:
        """The spec of column ``key`` (``KeyError`` if unknown)."""
        return self._spec[key]

    def values(self, key: str) -> np.ndarray:
        """The values of column ``key``: float64 (NaN: none) or object array of str."""
        return self._values[key]

    def state(self, key: str) -> str:
        """``"ready"``, ``"pending"`` (some cell is being computed) or ``"unavailable"``."""
        if key in self._reason:
            return UNAVAILABLE
        return PENDING if self._any_pending[key] else READY

    def is_pending(self, row: int, key: str) -> bool:
        """Whether cell ``(row, key)`` is being computed."""
        return bool(self._pending[key][row])

    def pending_rows(self, key: str) -> np.ndarray:
        """Whether each cell of column ``key`` is being computed, one bool per row (a copy)."""
        return self._pending[key].copy()

    def reason(self, key: str) -> str:
        """Why an unavailable column has no values ("" otherwise)."""
        return self._reason.get(key, "")

    def set_column(self, key: str, values, complete: bool = True) -> None:
        """Fill column ``key``.

        Parameters
        ----------
        key : str
        values : mapping or array-like
            ``{unit_id: value}`` or one value per row.
        complete : bool, default: True
            The computation of the column ended: units left out of a mapping keep the value
            they had (none if they had none) and nothing stays pending. With False only the
            units given stop being pending.
        """
        spec = self._spec[key]
        target = self._values[key].copy()
        pending = self._pending[key].copy()
        if isinstance(values, Mapping):
            for unit_id, value in values.items():
                row = self._row.get(unit_id.item() if hasattr(unit_id, "item") else unit_id)
                if row is not None:
                    target[row] = _cell(value, spec.kind)
                    pending[row] = False
        else:
            values = list(values)
            if len(values) != self.num_rows:
                raise ValueError(
                    f"column {key!r} needs {self.num_rows} values (one per unit), got {len(values)}"
                )
            target[:] = [_cell(v, spec.kind) for v in values]
            pending[:] = False
        if complete:
            pending[:] = False
        self._store(key, target, pending)

    def set_rows(
        self, key: str, rows: np.ndarray, values: np.ndarray, texts: list[str] | None = None
    ) -> None:
        """Fill the cells of ``rows`` in column ``key`` with ``values`` (cells as `values`
        gives them, e.g. another table's of the same column); they stop being pending, the
        other rows keep theirs. ``set_column(key, {unit: value}, complete=False)`` for many
        units at once.

        Parameters
        ----------
        key : str
        rows : numpy.ndarray of int
        values : numpy.ndarray
            One cell per row of ``rows``.
        texts : list of str or None
            What those cells show, when known (another table's `texts` of the same values):
            the other rows' texts are kept and nothing is formatted. None: formatted.
        """
        rows = np.asarray(rows, dtype=np.intp)
        if len(values) != rows.size:
            raise ValueError(f"set_rows: {rows.size} rows but {len(values)} values")
        if texts is not None and len(texts) != rows.size:
            raise ValueError(f"set_rows: {rows.size} rows but {len(texts)} texts")
        target = self._values[key].copy()
        target[rows] = values
        pending = self._pending[key].copy()
        pending[rows] = False
        if texts is None or key in self._reason:
            self._store(key, target, pending)
            return
        shown = list(self._texts[key])
        for row, text in zip(rows.tolist(), texts):
            shown[row] = text
        self._values[key] = target
        self._pending[key] = pending
        self._any_pending[key] = bool(pending.any())
        self._texts[key] = shown
        self._widest.pop(key, None)

    def _store(self, key: str, values: np.ndarray, pending: np.ndarray) -> None:
        self._values[key] = values
        self._pending[key] = pending
        self._any_pending[key] = bool(pending.any())
        self._reason.pop(key, None)
        self._texts[key] = self._format(key)
        self._widest.pop(key, None)

    def set_prepared(self, key: str, column: PreparedColumn) -> bool:
        """Fill number column ``key`` with a prepared column (nothing pending), as
        ``set_column(key, column.as_mapping())`` would; False (and nothing changed) when it
        cannot: prepared for other units, a text column, or a unit it has no value for holds
        one here (which `set_column` keeps)."""
        if self._spec[key].kind != NUMBER or not np.array_equal(column.unit_ids, self.unit_ids):
            return False
        if key in self._reason:
            kept = np.zeros(self.num_rows, dtype=bool)  # unavailable: every value was NaN
        else:
            kept = ~column.present & ~self._pending[key] & ~np.isnan(self._values[key])
        if kept.any():
            return False
        self._values[key] = column.values
        self._pending[key] = np.zeros(self.num_rows, dtype=bool)
        self._any_pending[key] = False
        self._reason.pop(key, None)
        self._texts[key] = list(column.texts)
        self._widest[key] = column.widest
        return True

    def set_unavailable(self, key: str, reason: str) -> None:
        """Mark column ``key`` as impossible to compute, with the reason shown to the user."""
        spec = self._spec[key]
        self._values[key] = (
            np.full(self.num_rows, np.nan)
            if spec.kind == NUMBER
            else np.full(self.num_rows, "", dtype=object)
        )
        self._pending[key] = np.zeros(self.num_rows, dtype=bool)
        self._any_pending[key] = False
        self._reason[key] = reason
        self._texts[key] = self._format(key)
        self._widest.pop(key, None)

    def select_columns(self, keys) -> UnitTable:
        """A table of the same rows with only the columns ``keys`` (in this table's order),
        sharing their values: a step of a row-by-row change of the table on display (see
        `app.views.unit_table_model.UnitTableModel.follow_table`). Neither table is changed
        after (`set_column` and `set_unavailable` replace a column's arrays, never write
        into them)."""
        keys = set(keys)
        unknown = keys - set(self.keys)
        if unknown:
            raise KeyError(f"unknown column(s) {sorted(unknown)}")
        part = UnitTable.__new__(UnitTable)
        part.unit_ids = self.unit_ids
        part.columns = tuple(c for c in self.columns if c.key in keys)
        part._spec = {c.key: c for c in part.columns}
        part._row = self._row
        for name in ("_values", "_pending", "_any_pending", "_texts"):
            table = getattr(self, name)
            setattr(part, name, {key: table[key] for key in part.keys})
        part._reason = {k: v for k, v in self._reason.items() if k in keys}
        part._widest = {k: v for k, v in self._widest.items() if k in keys}
        return part

    # ------------------------------------------------------------------ cells
    def text(self, row: int, key: str) -> str:
        """What cell ``(row, key)`` shows: the value, "…" while pending, "–" without one."""
        return self._texts[key][row]

    def texts(self, key: str) -> list[str]:
        """What every cell of column ``key`` shows, one text per row (see `text`); formatted
        once when the column changes. Do not modify."""
        return self._texts[key]

    def _format(self, key: str) -> list[str]:
        """The texts of column ``key``'s cells."""
        values, pending = self._values[key], self._pending[key]
        spec = self._spec[key]
        if spec.kind == TEXT:
            missing = MISSING_TEXT if key in self._reason else ""
            texts = [value if value != "" else missing for value in values.tolist()]
        else:
            texts = _number_texts(values, spec.decimals)
        for row in np.flatnonzero(pending).tolist():
            texts[row] = PENDING_TEXT
        return texts

    def flagged_rows(self, key: str) -> np.ndarray:
        """Whether each cell of column ``key`` is past the column's usual curation threshold
        (see `flagged`), one bool per row."""
        rule = QUALITY_THRESHOLDS.get(key)
        if rule is None or key in self._reason:
            return np.zeros(self.num_rows, dtype=bool)
        values = self._values[key]
        with np.errstate(invalid="ignore"):
            past = values > rule[1] if rule[0] == "above" else values < rule[1]
        return past & ~self._pending[key]

    def widest_text(self, key: str) -> str:
        """A longest text of column ``key``, to size the column by (a number column's cells are
        not all formatted: with fixed decimals the longest is the largest or the most negative
        value, or one of the texts of pending and missing values)."""
        if key in self._widest:
            return self._widest[key]
        if self._spec[key].kind == TEXT:
            candidates = np.arange(self.num_rows)
        else:
            values, pending = self._values[key], self._pending[key]
            finite = np.flatnonzero(np.isfinite(values) & ~pending)
            candidates = [] if finite.size == 0 else [
                finite[np.argmax(values[finite])], finite[np.argmin(values[finite])]
            ]  # fmt: skip
            for kind in (pending, np.isnan(values), values == np.inf, values == -np.inf):
                rows = np.flatnonzero(kind & ~pending if kind is not pending else kind)
                candidates += rows[:1].tolist()
            candidates = sorted(int(r) for r in candidates)
        return max((self.text(int(r), key) for r in candidates), key=len, default="")

    def flagged(self, row: int, key: str) -> bool:
        """Whether the cell's value is past the column's usual curation threshold."""
        rule = QUALITY_THRESHOLDS.get(key)
        if rule is None or key in self._reason or self._pending[key][row]:
            return False
        value = self._values[key][row]
        return bool(value > rule[1]) if rule[0] == "above" else bool(value < rule[1])

    def value_range(self, key: str) -> tuple[float, float] | None:
        """``(min, max)`` of a number column's finite values (None when it has none)."""
        values = self._values[key]
        if self._spec[key].kind != NUMBER or key in self._reason:
            return None  # pending cells are NaN: left out below
        finite = values[np.isfinite(values)]
        return (float(finite.min()), float(finite.max())) if finite.size else None

    def row_of(self, unit_id) -> int:
        """Row of ``unit_id`` (``KeyError`` if unknown)."""
        return self._row[unit_id.item() if hasattr(unit_id, "item") else unit_id]

    def rows_of(self, unit_ids: list) -> np.ndarray:
        """Row of each of ``unit_ids`` (Python ids), -1 for ids the table lacks."""
        row = self._row
        return np.fromiter((row.get(u, -1) for u in unit_ids), dtype=np.intp, count=len(unit_ids))

    # ------------------------------------------------------------------ order and filter
    def sorted_rows(self, key: str, descending: bool = False) -> np.ndarray:
        """Rows ordered by column ``key``; ties keep the unit order; no value sorts last.

        Numbers sort numerically, text case-insensitively (numbers within text naturally:
        "unit2" before "unit10").
        """
        values = self._values[key]
        rows = np.arange(self.num_rows)
        if self._spec[key].kind == NUMBER:
            missing = np.isnan(values)
            present = rows[~missing]
            keys = -values[present] if descending else values[present]
            order = present[np.lexsort((present, keys))]
            return np.concatenate([order, rows[missing]])
        missing = np.array([v == "" for v in values], dtype=bool)
        present = rows[~missing].tolist()
        # sorted() keeps equal keys in row order, reverse=True too
        order = sorted(present, key=lambda r: _natural_key(values[r]), reverse=descending)
        return np.concatenate([np.asarray(order, dtype=int), rows[missing]]).astype(int)

    def apply_filter(self, expression: str) -> FilterResult:
        """Rows kept by a filter expression (see `app.model.unit_filter.apply_filter`)."""
        return apply_filter(expression, self._values, self.num_rows)


def _number_texts(values: np.ndarray, decimals: int) -> list[str]:
    """Each value with ``decimals`` digits after the point ("–" for NaN, "∞" or "-∞")."""
    pattern = f"{{:.{decimals}f}}".format
    return [
        pattern(value) if math.isfinite(value) else _non_finite_text(value)
        for value in values.tolist()
    ]


def _non_finite_text(value: float) -> str:
    return MISSING_TEXT if math.isnan(value) else ("∞" if value > 0 else "-∞")


def _natural_key(text: str) -> tuple:
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", text)
        if part
    )


def _cell(value, kind: str):
    if kind == NUMBER:
        try:
            return float(value)
        except (TypeError, ValueError):
            return np.nan
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return ", ".join(_short(v) for v in value.ravel().tolist())
    return _short(value.item() if hasattr(value, "item") else value)


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def filter_name(name: str) -> str:
    """A property name as a filter expression can write it (letters, digits, underscores)."""
    cleaned = re.sub(r"\W", "_", str(name))
    return f"_{cleaned}" if not cleaned or cleaned[0].isdigit() else cleaned


def build_unit_table(
    sorting,
    recording=None,
    unit_channel_ids: Mapping | None = None,
    label_definitions: Mapping | None = None,
) -> UnitTable:
    """The table of ``sorting``'s units: ids, probe position, label and properties filled,
    metric columns pending.

    Parameters
    ----------
    sorting : BaseSorting
    recording : BaseRecording or None
        Gives the extremum channels' positions and groups (depth, shank).
    unit_channel_ids : mapping or None
        ``{unit_id: extremum channel id}`` (``session.unit_channel_ids``); without it the
        probe columns stay pending.
    label_definitions : mapping or None
        The curation's label categories (``session.label_definitions``): one text column
        each (a unit's options of the category, comma-separated), in place of the properties
        the category is stored as.

    Returns
    -------
    UnitTable
    """
    unit_ids = sorting.unit_ids
    id_kind = NUMBER if unit_ids.dtype.kind in "iu" else TEXT
    columns = [ColumnSpec("unit_id", "Unit", id_kind, 0, "Unit id in the sorting")]
    columns += [*SPIKE_TRAIN_COLUMNS[:2], *TRACE_COLUMNS, *SPIKE_TRAIN_COLUMNS[2:]]
    columns += [*_probe_columns(recording, sorting), _LABEL_COLUMN]
    taken = {c.key for c in columns}
    property_values = {}
    stored_as_labels = set()
    for name, definition in (label_definitions or {}).items():
        key = filter_name(name)
        if key in taken:
            key = f"label_{key}"
        taken.add(key)
        several = "one per unit" if definition.exclusive else "several per unit"
        options = ", ".join(definition.label_options)
        columns.append(
            ColumnSpec(
                key, name, TEXT, 0, f"Label category {name!r}: {options} ({several})", "label"
            )
        )
        property_values[key] = [", ".join(o) for o in category_options(sorting, definition)]
        stored_as_labels.update(_label_properties(sorting, definition))
    for name in sorting.get_property_keys():
        if name in stored_as_labels:
            continue
        values = sorting.get_property(name)
        key = filter_name(name)
        if key in taken:
            key = f"sorting_{key}"
        taken.add(key)
        kind = NUMBER if values.ndim == 1 and values.dtype.kind in "iufb" else TEXT
        decimals = 0 if values.dtype.kind in "iub" else 3
        columns.append(
            ColumnSpec(key, str(name), kind, decimals, f"Sorting property {name!r}", "property")
        )
        property_values[key] = values
    table = UnitTable(unit_ids, columns)
    table.set_column("unit_id", unit_ids.tolist())
    for key, values in property_values.items():
        table.set_column(key, list(values))
    table.set_column("label", _labels(sorting))
    if unit_channel_ids:
        set_probe_columns(table, recording, unit_channel_ids, sorting)
    elif recording is None:
        for key in PROBE_KEYS:
            table.set_unavailable(key, "needs the recording (channel positions)")
    return table


def _probe_columns(recording, sorting) -> list[ColumnSpec]:
    """depth, channel and shank, numbers when the recording's ids and groups are numbers."""

    def kind(values) -> str:
        return NUMBER if values is not None and np.asarray(values).dtype.kind in "iuf" else TEXT

    channel_ids = None if recording is None else recording.channel_ids
    groups = None
    if recording is not None and "group" in recording.get_property_keys():
        groups = recording.get_channel_groups()
    elif "group" in sorting.get_property_keys():
        groups = sorting.get_property("group")
    return [
        ColumnSpec("depth", "Depth µm", NUMBER, 0, "y position of the extremum channel", "probe"),
        ColumnSpec("channel", "Ch", kind(channel_ids), 0, "Extremum channel id", "probe"),
        ColumnSpec(
            "shank", "Shank", kind(groups), 0, "Group (shank) of the extremum channel", "probe"
        ),
    ]


def _label_properties(sorting, definition) -> list[str]:
    """The properties a label category is stored as (see core.curation.labels)."""
    keys = set(sorting.get_property_keys())
    if definition.exclusive:
        return [definition.name] if definition.name in keys else []
    return [
        o
        for o in definition.label_options
        if o in keys and sorting.get_property(o).dtype.kind == "b"
    ]


def category_options(sorting, definition) -> list[tuple[str, ...]]:
    """Each unit's options of a label category (``definition``, a LabelDefinition), read from
    the properties it is stored as; ``()`` for none."""
    num_units = sorting.get_num_units()
    if definition.exclusive:
        if definition.name not in sorting.get_property_keys():
            return [()] * num_units
        return [
            (v,) if v in definition.label_options else ()
            for v in map(str, sorting.get_property(definition.name))
        ]
    chosen = [[] for _ in range(num_units)]
    for option in _label_properties(sorting, definition):
        for row in np.flatnonzero(sorting.get_property(option)):
            chosen[row].append(option)
    return [tuple(options) for options in chosen]


def _labels(sorting) -> list[str]:
    keys = sorting.get_property_keys()
    for name in LABEL_PROPERTIES:
        if name in keys:
            return [_cell(v, TEXT) for v in sorting.get_property(name)]
    return [""] * sorting.get_num_units()


def set_probe_columns(table: UnitTable, recording, unit_channel_ids: Mapping, sorting) -> None:
    """Fill ``depth``, ``channel`` and ``shank`` from each unit's extremum channel.

    Shanks come from the recording's channel groups, else from the sorting's ``group``
    property (phy's ``chan_grp``).
    """
    channels = {u: unit_channel_ids.get(u) for u in table.unit_ids.tolist()}
    table.set_column("channel", {u: c for u, c in channels.items() if c is not None})
    if recording is None:
        table.set_unavailable("depth", "needs the recording (channel positions)")
        return
    index = {c: i for i, c in enumerate(recording.channel_ids.tolist())}
    rows = {u: index[c] for u, c in channels.items() if c in index}
    if recording.has_channel_location():
        locations = recording.get_channel_locations()
        table.set_column("depth", {u: locations[i, 1] for u, i in rows.items()})
    else:
        table.set_unavailable("depth", "the recording has no probe (channel positions)")
    groups = recording.get_channel_groups() if "group" in recording.get_property_keys() else None
    sorting_groups = "group" in sorting.get_property_keys()
    if groups is not None and (len(np.unique(groups)) > 1 or not sorting_groups):
        table.set_column("shank", {u: groups[i] for u, i in rows.items()})
    elif sorting_groups:
        table.set_column("shank", list(sorting.get_property("group")))
    else:
        table.set_unavailable("shank", "the recording has no channel groups")
