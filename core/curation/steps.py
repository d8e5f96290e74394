"""The steps of a curated sorting: labels, removal, merges, splits, each applied to a unit state.

A step is written as a small JSON dictionary (``op`` names it); that is what a `CuratedSorting`
records and what its ``to_dict`` holds:

``{"op": "labels", "label_definitions": {...}, "manual_labels": [...], "replace": bool}``
    Labels as properties (see `properties_with_labels`).
``{"op": "remove", "unit_ids": [...]}``
``{"op": "merge", "unit_groups": [[...], ...], "new_unit_ids": [...], "censor_ms": null}``
    With ``censor_ms``, a merged unit's spike closer than that to the spike before it (in the
    same segment) is dropped, as SpikeInterface does.
``{"op": "split", "splits": [{"unit_id": u, "indices": [[...], ...], "new_unit_ids": [...]}]}``
    ``indices`` share out all the unit's spikes (numbered along its train across segments).

A unit state holds, for each unit, the rows of its spikes in the base sorting's spike vector
(sorted): a step touches only the rows of the units it changes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .model import CurationFormatError, UnitId
from .parsing import (
    _as_list,
    _as_unit_id,
    _new_unit_id,
    _parse_label_definitions,
    _parse_manual_labels,
)
from .properties import (
    properties_after_merges,
    properties_after_removal,
    properties_after_splits,
    properties_with_labels,
)
from .spike_slots import SpikeSlotRegistry, SpikeSlots
from .unit_ids import (
    new_unit_ids_for_merges,
    new_unit_ids_for_splits,
    unit_ids_after_merges,
    unit_ids_after_splits,
)


@dataclass(frozen=True)
class UnitState:
    """Units of a curated sorting: ids in order, their spike rows, their properties.

    Parameters
    ----------
    unit_ids : tuple
        Python ints or strs, in order.
    rows : dict
        ``unit_id -> sorted rows`` of the unit's spikes in the base spike vector (read-only).
    properties : dict
        ``key -> values`` aligned with ``unit_ids``.
    """

    unit_ids: tuple[UnitId, ...]
    rows: Mapping[UnitId, np.ndarray]
    properties: Mapping[str, np.ndarray]

    def spike_counts(self) -> dict[UnitId, int]:
        """Spikes of each unit."""
        return {u: int(self.rows[u].size) for u in self.unit_ids}


class BaseSpikeIndex:
    """The base sorting's spike vector and each base unit's rows in it (computed once).

    Parameters
    ----------
    sorting : BaseSorting
    """

    def __init__(self, sorting) -> None:
        from ..sorting.spike_vector import segment_bounds

        spikes = sorting.to_spike_vector()
        self.spikes = spikes
        self.sample_index = spikes["sample_index"]
        num_units = sorting.get_num_units()
        # a compact copy: read whole for every curated spike vector
        self.base_unit_index = spikes["unit_index"].astype(
            "int16" if num_units < 2**15 else "int32" if num_units < 2**31 else "int64"
        )
        self.segment_index = spikes["segment_index"]
        self.num_segments = sorting.get_num_segments()
        self.sampling_frequency = sorting.sampling_frequency
        self.segment_bounds = segment_bounds(spikes, self.num_segments)
        self.row_dtype = np.dtype("int32") if spikes.size < 2**31 else np.dtype("int64")
        self.unit_ids = tuple(sorting.unit_ids.tolist())
        self._tie_runs: tuple[np.ndarray, np.ndarray] | None = None
        self._base_rows: dict[UnitId, np.ndarray] | None = None
        self._slots: SpikeSlotRegistry | None = None
        self._slots_lock = threading.Lock()

    def tie_runs(self) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the spikes sharing segment and sample with another, and a run number each.

        Only these can change order when units are renumbered (computed once).
        """
        if self._tie_runs is None:
            samples, segments = self.sample_index, self.segment_index
            same = (samples[1:] == samples[:-1]) & (segments[1:] == segments[:-1])
            in_run = np.zeros(samples.size, dtype=bool)
            in_run[1:] |= same
            in_run[:-1] |= same
            rows = np.flatnonzero(in_run)
            starts = np.ones(rows.size, dtype=bool)
            starts[1:] = ~same[rows[1:] - 1]  # a row continues a run if it equals the one before
            self._tie_runs = (rows, np.cumsum(starts))
        return self._tie_runs

    def base_rows(self) -> dict[UnitId, np.ndarray]:
        """``unit_id -> rows`` of each base unit (one stable sort of the unit indices, once)."""
        if self._base_rows is None:
            self._base_rows = self._sorted_base_rows()
        return self._base_rows

    def _sorted_base_rows(self) -> dict[UnitId, np.ndarray]:
        units = self.base_unit_index
        num_units = len(self.unit_ids)
        # a stable sort of 16-bit keys is a radix sort: ~10x faster than on int64
        order = np.argsort(units, kind="stable").astype(self.row_dtype)
        bounds = np.searchsorted(units[order], np.arange(num_units + 1))
        rows = {}
        for i, unit_id in enumerate(self.unit_ids):
            part = order[bounds[i] : bounds[i + 1]]
            part.flags.writeable = False
            rows[unit_id] = part
        return rows

    def spike_slots(self, state: UnitState) -> SpikeSlots:
        """Which unit of ``state`` holds each base spike, as slots patched from a recent
        state's (see `core.curation.spike_slots`)."""
        with self._slots_lock:
            if self._slots is None:
                self._slots = SpikeSlotRegistry(
                    self.unit_ids, self.base_rows(), self.base_unit_index
                )
        return self._slots.spike_slots(state)

    def rows_in_segment(self, rows: np.ndarray, segment_index: int) -> np.ndarray:
        """The part of sorted ``rows`` that lies in one segment."""
        lo, hi = np.searchsorted(
            rows, self.segment_bounds[segment_index : segment_index + 2], side="left"
        )
        return rows[lo:hi]


# ---------------------------------------------------------------------- steps
@dataclass(frozen=True)
class LabelsStep:
    """Labels as properties."""

    definitions: Mapping
    manual_labels: tuple
    replace: bool

    def apply(self, state: UnitState, index: BaseSpikeIndex) -> UnitState:
        properties = properties_with_labels(
            state.properties, state.unit_ids, self.definitions, self.manual_labels, self.replace
        )
        return UnitState(state.unit_ids, state.rows, properties)


@dataclass(frozen=True)
class RemoveStep:
    """Units removed."""

    unit_ids: tuple

    def apply(self, state: UnitState, index: BaseSpikeIndex) -> UnitState:
        removed = set(self.unit_ids)
        keep = [i for i, u in enumerate(state.unit_ids) if u not in removed]
        unit_ids = tuple(state.unit_ids[i] for i in keep)
        rows = {u: state.rows[u] for u in unit_ids}
        properties = properties_after_removal(state.properties, np.array(keep, dtype="int64"))
        return UnitState(unit_ids, rows, properties)


@dataclass(frozen=True)
class MergeStep:
    """Groups of units merged, each into a unit with the given id."""

    unit_groups: tuple
    new_unit_ids: tuple
    censor_ms: float | None

    def apply(self, state: UnitState, index: BaseSpikeIndex) -> UnitState:
        rows = dict(state.rows)
        censor = None
        if self.censor_ms is not None:
            censor = int(index.sampling_frequency * self.censor_ms / 1000.0)
        for group, new_id in zip(self.unit_groups, self.new_unit_ids):
            merged = np.sort(np.concatenate([state.rows[u] for u in group]), kind="stable")
            if censor is not None:
                merged = _censored(merged, index, censor)
            merged.flags.writeable = False
            for unit_id in group:
                del rows[unit_id]
            rows[new_id] = merged
        unit_ids = tuple(
            unit_ids_after_merges(list(state.unit_ids), self.unit_groups, self.new_unit_ids)
        )
        properties = properties_after_merges(
            state.properties,
            state.unit_ids,
            unit_ids,
            self.unit_groups,
            self.new_unit_ids,
            state.spike_counts(),
        )
        return UnitState(unit_ids, rows, properties)


def _censored(rows: np.ndarray, index: BaseSpikeIndex, censor_samples: int) -> np.ndarray:
    """Drop each spike closer than ``censor_samples`` to the previous one of the same segment."""
    if rows.size < 2:
        return rows
    samples = index.sample_index[rows]
    segments = index.segment_index[rows]
    too_close = (np.diff(samples) < censor_samples) & (np.diff(segments) == 0)
    keep = np.concatenate([[True], ~too_close])
    return rows[keep]


@dataclass(frozen=True)
class SplitStep:
    """Units split, each into parts given by spike indices along its train."""

    unit_ids: tuple
    parts: tuple  # per split: tuple of sorted int64 index arrays (a partition)
    new_unit_ids: tuple

    def apply(self, state: UnitState, index: BaseSpikeIndex) -> UnitState:
        rows = dict(state.rows)
        for unit_id, parts, new_ids in zip(self.unit_ids, self.parts, self.new_unit_ids):
            source = state.rows[unit_id]
            if sum(p.size for p in parts) != source.size:
                raise ValueError(
                    f"split of unit {unit_id!r}: the parts hold {sum(p.size for p in parts)} "
                    f"spikes but the unit has {source.size}"
                )
            del rows[unit_id]
            for part, new_id in zip(parts, new_ids):
                part_rows = source[part]
                part_rows.flags.writeable = False
                rows[new_id] = part_rows
        unit_ids = tuple(
            unit_ids_after_splits(list(state.unit_ids), self.unit_ids, self.new_unit_ids)
        )
        properties = properties_after_splits(
            state.properties, state.unit_ids, unit_ids, self.unit_ids, self.new_unit_ids
        )
        return UnitState(unit_ids, rows, properties)


# ---------------------------------------------------------------------- reading steps
def parse_step(step: Mapping, state: UnitState, where: str):
    """A step value from its JSON dictionary, checked against the units of ``state``.

    Raises
    ------
    ValueError
        Naming the step (``where``) and what is wrong.
    """
    if not isinstance(step, Mapping):
        raise TypeError(f"{where}: a step is a dictionary, got {type(step).__name__}")
    op = step.get("op")
    try:
        if op == "labels":
            return _parse_labels(step, state)
        if op == "remove":
            return _parse_remove(step, state)
        if op == "merge":
            return _parse_merge(step, state)
        if op == "split":
            return _parse_split(step, state)
    except (CurationFormatError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None
    raise ValueError(f"{where}: op must be 'labels', 'remove', 'merge' or 'split', got {op!r}")


def _kind(state: UnitState) -> str | None:
    if not state.unit_ids:
        return None
    return "integer" if isinstance(state.unit_ids[0], int) else "string"


def _existing(value, where: str, present: set) -> UnitId:
    unit_id = _as_unit_id(value, where)
    if unit_id not in present:
        raise ValueError(f"{where}: unit {unit_id!r} is not a unit of the sorting at this step")
    return unit_id


def _parse_labels(step: Mapping, state: UnitState) -> LabelsStep:
    definitions = _parse_label_definitions(step.get("label_definitions"))
    labels = _parse_manual_labels(
        step.get("manual_labels"), definitions, set(state.unit_ids), _kind(state)
    )
    return LabelsStep(definitions, labels, bool(step.get("replace", False)))


def _parse_remove(step: Mapping, state: UnitState) -> RemoveStep:
    present = set(state.unit_ids)
    ids = [
        _existing(u, f"unit_ids[{i}]", present)
        for i, u in enumerate(_as_list(step.get("unit_ids"), "unit_ids"))
    ]
    if len(set(ids)) != len(ids):
        raise ValueError("unit_ids: a unit is listed twice")
    return RemoveStep(tuple(ids))


def _parse_merge(step: Mapping, state: UnitState) -> MergeStep:
    present = set(state.unit_ids)
    groups = []
    seen = set()
    for i, group in enumerate(_as_list(step.get("unit_groups"), "unit_groups")):
        ids = [
            _existing(u, f"unit_groups[{i}][{j}]", present)
            for j, u in enumerate(_as_list(group, f"unit_groups[{i}]", allow_none=False))
        ]
        if len(ids) < 2:
            raise ValueError(f"unit_groups[{i}]: a merge needs at least two units")
        if seen & set(ids) or len(set(ids)) != len(ids):
            raise ValueError(f"unit_groups[{i}]: a unit is in two merges or twice in one")
        seen |= set(ids)
        groups.append(tuple(ids))
    new_ids = [
        _new_unit_id(u, f"new_unit_ids[{i}]", _kind(state))
        for i, u in enumerate(_as_list(step.get("new_unit_ids"), "new_unit_ids", allow_none=False))
    ]
    new_ids = new_unit_ids_for_merges(list(state.unit_ids), groups, new_unit_ids=new_ids)
    if len(set(new_ids)) != len(new_ids):
        raise ValueError("new_unit_ids: two merges have the same new id")
    censor_ms = step.get("censor_ms")
    if censor_ms is not None and (
        isinstance(censor_ms, bool) or not isinstance(censor_ms, int | float) or censor_ms < 0
    ):
        raise ValueError(f"censor_ms must be None or a number >= 0, got {censor_ms!r}")
    return MergeStep(tuple(groups), tuple(new_ids), censor_ms)


def _parse_split(step: Mapping, state: UnitState) -> SplitStep:
    present = set(state.unit_ids)
    unit_ids, all_parts, all_new = [], [], []
    for i, entry in enumerate(_as_list(step.get("splits"), "splits")):
        where = f"splits[{i}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where}: expected a dictionary")
        unit_id = _existing(entry.get("unit_id"), f"{where}.unit_id", present)
        if unit_id in unit_ids:
            raise ValueError(f"{where}: unit {unit_id!r} is split twice")
        num_spikes = state.rows[unit_id].size
        parts = tuple(
            partition_part(p, f"{where}.indices[{j}]")
            for j, p in enumerate(
                _as_list(entry.get("indices"), f"{where}.indices", allow_none=False)
            )
        )
        check_partition(parts, num_spikes, f"{where} (unit {unit_id!r})")
        unit_ids.append(unit_id)
        all_parts.append(parts)
        all_new.append(
            [
                _new_unit_id(u, f"{where}.new_unit_ids[{j}]", _kind(state))
                for j, u in enumerate(
                    _as_list(entry.get("new_unit_ids"), f"{where}.new_unit_ids", allow_none=False)
                )
            ]
        )
    new_ids = new_unit_ids_for_splits(
        list(state.unit_ids),
        unit_ids,
        [len(p) for p in all_parts],
        new_unit_ids=all_new,
    )
    flat = [u for ids in new_ids for u in ids]
    if len(set(flat)) != len(flat):
        raise ValueError("new_unit_ids: two new units have the same id")
    return SplitStep(tuple(unit_ids), tuple(all_parts), tuple(tuple(n) for n in new_ids))


def partition_part(value, where: str) -> np.ndarray:
    """A sorted, read-only int64 array of spike indices."""
    array = np.asarray(value)
    if array.size == 0:
        array = np.zeros(0, dtype="int64")
    if array.ndim != 1 or array.dtype.kind not in "iu":
        raise ValueError(f"{where}: expected a list of integer spike indices")
    array = np.sort(array.astype("int64"))
    array.flags.writeable = False
    return array


def check_partition(parts: Sequence[np.ndarray], num_spikes: int, where: str) -> None:
    """The parts must share out exactly the spikes ``0 .. num_spikes - 1``, in two parts at least.

    Raises
    ------
    ValueError
    """
    if len(parts) < 2:
        raise ValueError(f"{where}: a split needs at least two parts, got {len(parts)}")
    every = np.concatenate(parts)
    if every.size and (every.min() < 0 or every.max() >= num_spikes):
        bad = int(every.min()) if every.min() < 0 else int(every.max())
        raise ValueError(
            f"{where}: spike index {bad} is out of range (the unit has {num_spikes} spikes)"
        )
    counts = np.bincount(every, minlength=num_spikes) if num_spikes else np.zeros(0, "int64")
    if np.any(counts > 1):
        raise ValueError(f"{where}: spike {int(np.argmax(counts > 1))} is in two parts")
    if np.any(counts == 0):
        raise ValueError(
            f"{where}: spike {int(np.argmax(counts == 0))} is in no part (the parts must share "
            "out every spike of the unit)"
        )
