"""CuratedSorting: a lazy sorting made of a base sorting and curation steps.

Each unit is held as the rows of its spikes in the base sorting's spike vector, so a step costs
only what the units it touches cost: a merge sorts the merged units' rows, a split indexes the
split unit's rows, a removal or a label touches no spike at all. Nothing is copied from the base;
the curated sorting's own spike vector is built only when asked for.

Adding steps to a curated sorting (`CuratedSorting.with_steps`, or a `CuratedSorting` given as
the parent) keeps one flat list of steps over the same base, so ``to_dict()`` stays a plain JSON
description (the base sorting plus the steps) however long the curation.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence

import numpy as np

from ..registry import register_extractor_class
from ..sorted_lookup import positions_in_sorted
from ..sorting.base import BaseSorting, BaseSortingSegment
from .spike_slots import SpikeSlots
from .steps import BaseSpikeIndex, UnitState, parse_step
from .unit_ids import id_array

#: Guards the lazily computed labels of curated sortings (one lock: they take milliseconds).
_LABELS_LOCK = threading.Lock()
#: Held while a unit's train is read into a curated sorting's cache.
_TRAINS_LOCK = threading.RLock()


class CuratedSorting(BaseSorting):
    """A sorting after curation steps (labels, removals, merges, splits), computed lazily.

    Parameters
    ----------
    sorting : BaseSorting
        The sorting curated. A `CuratedSorting` is unfolded: its base and steps come first.
    steps : list of dict
        JSON steps (see `core.curation.steps`), applied in order.

    Raises
    ------
    ValueError
        Naming the step that does not fit the units it is applied to.
    """

    def __init__(self, sorting: BaseSorting, steps: Sequence[Mapping] = ()) -> None:
        if not isinstance(sorting, BaseSorting):
            raise TypeError(f"sorting must be a sorting, got {type(sorting).__name__}")
        if isinstance(sorting, CuratedSorting):
            base, index, state = sorting._base, sorting._index, sorting._state
            previous_steps = sorting._steps
            annotations = sorting._annotations
        else:
            base, index = sorting, BaseSpikeIndex(sorting)
            state = UnitState(index.unit_ids, index.base_rows(), dict(sorting._properties))
            previous_steps = []
            annotations = sorting._annotations
        steps = [_plain_step(step, f"steps[{i}]") for i, step in enumerate(steps)]
        for i, step in enumerate(steps):
            state = parse_step(step, state, f"steps[{len(previous_steps) + i}]").apply(state, index)
        self._build(base, index, state, previous_steps + steps, annotations)

    @classmethod
    def _from_state(
        cls, previous: CuratedSorting, state: UnitState, steps: list[dict]
    ) -> CuratedSorting:
        curated = cls.__new__(cls)
        curated._build(previous._base, previous._index, state, steps, previous._annotations)
        if state.rows is previous._state.rows and state.unit_ids == previous._state.unit_ids:
            # a labels step: the same spikes, so the same spike vector
            curated._cached_spike_vector = previous._cached_spike_vector
            curated._base_labels = previous.__dict__.get("_base_labels")
        # unchanged units keep their already-read spike trains; the others' trains may hold
        # a new unit's (a split part's)
        changed = {}
        for segment_index, trains in previous._cached_spike_trains.items():
            kept = {}
            for u, train in trains.items():
                if state.rows.get(u) is previous._state.rows.get(u):
                    kept[u] = train
                else:
                    changed.setdefault(u, {})[segment_index] = train
            if kept:
                curated._cached_spike_trains[segment_index] = kept
        curated._train_sources = [(previous._state.rows[u], t) for u, t in changed.items()]
        return curated

    def _build(self, base, index, state: UnitState, steps: list[dict], annotations) -> None:
        BaseSorting.__init__(
            self, base.sampling_frequency, id_array(list(state.unit_ids), base.unit_ids)
        )
        self._base = base
        self._index = index
        self._state = state
        self._steps = steps
        for segment_index in range(base.get_num_segments()):
            t_start = base._sorting_segments[segment_index]._t_start
            self.add_sorting_segment(CuratedSortingSegment(index, state, segment_index, t_start))
        self._annotations = copy.deepcopy(annotations)
        self._properties = {key: np.array(values) for key, values in state.properties.items()}
        if base.has_recording():
            self.register_recording(base._recording, check_spike_frames=False)
        self._kwargs = {"sorting": base, "steps": steps}
        self._train_sources: list = []  # (rows, {segment: train}) of units gone since the last step

    # ------------------------------------------------------------------ curation
    @property
    def base_sorting(self) -> BaseSorting:
        """The sorting the steps apply to."""
        return self._base

    @property
    def steps(self) -> list[dict]:
        """The JSON steps, in order (a copy)."""
        return _json(self._steps)

    def to_dict(self, *args, **kwargs) -> dict:
        """Describe the sorting: the base sorting and the steps as plain JSON values.

        Takes the arguments of `BaseExtractor.to_dict`.
        """
        description = super().to_dict(*args, **kwargs)
        description["kwargs"]["steps"] = _json(self._steps)
        return description

    @property
    def num_steps(self) -> int:
        """Number of steps."""
        return len(self._steps)

    def with_steps(self, steps: Sequence[Mapping]) -> CuratedSorting:
        """This curation followed by ``steps``: a new curated sorting, computed incrementally.

        Raises
        ------
        ValueError
            Naming the step that does not fit.
        """
        state = self._state
        new_steps = [_plain_step(step, f"steps[{i}]") for i, step in enumerate(steps)]
        for i, step in enumerate(new_steps):
            state = parse_step(step, state, f"steps[{len(self._steps) + i}]").apply(
                state, self._index
            )
        return CuratedSorting._from_state(self, state, self._steps + new_steps)

    def with_parsed_step(self, step, json_step: dict) -> CuratedSorting:
        """This curation followed by a step already parsed against it (no re-checking)."""
        state = step.apply(self._state, self._index)
        return CuratedSorting._from_state(self, state, [*self._steps, json_step])

    @property
    def unit_state(self) -> UnitState:
        """Ids, spike rows and properties of the units (read-only values)."""
        return self._state

    def same_spikes_as(self, other) -> bool:
        """Whether ``other`` is a curation of the same base with the same units holding the
        same spikes (they differ by labels at most)."""
        if not isinstance(other, CuratedSorting) or other._index is not self._index:
            return False
        mine, theirs = self._state, other._state
        if mine.unit_ids != theirs.unit_ids:
            return False
        return mine.rows is theirs.rows or all(
            mine.rows[u] is theirs.rows[u] for u in mine.unit_ids
        )

    def keeps_base_unit(self, unit_id) -> bool:
        """Whether ``unit_id`` is the base sorting's unit of that id with exactly its spikes
        (no step of the curation touched them; labels aside)."""
        rows = self._state.rows.get(_python_id(unit_id))
        return rows is not None and rows is self._index.base_rows().get(_python_id(unit_id))

    def base_unit_spike_rows(self, unit_id) -> np.ndarray:
        """Rows of a base sorting unit's spikes in the base sorting's spike vector (sorted,
        read-only), whatever the curation did to it."""
        rows = self._index.base_rows().get(_python_id(unit_id))
        if rows is None:
            raise KeyError(f"unit {unit_id!r} is not a unit of the base sorting")
        return rows

    def unit_spike_rows(self, unit_id) -> np.ndarray:
        """Rows of a unit's spikes in the base sorting's spike vector (sorted, read-only)."""
        self.id_to_index(unit_id)
        return self._state.rows[_python_id(unit_id)]

    # ------------------------------------------------------------------ fast paths
    def _cached_train(self, unit_id, segment_index: int) -> np.ndarray:
        cache = self._cached_spike_trains.setdefault(segment_index, {})
        key = _python_id(unit_id)
        train = cache.get(key)
        if train is None:
            # read once: after an action the views' threads ask for a new unit's train at
            # once, and each gathering it from the whole sorting's samples cost tens of ms
            with _TRAINS_LOCK:
                train = cache.get(key)
                if train is None:
                    train = self._train_from_sources(key, segment_index)
                    if train is None:
                        segment = self._sorting_segments[segment_index]
                        train = segment.get_unit_spike_train(key, None, None)
                    train.flags.writeable = False
                    cache[key] = train
        return train

    def _train_from_sources(self, unit_id, segment_index: int) -> np.ndarray | None:
        """A unit's train taken from the read train of a unit of the previous step that held
        all its spikes (a split part from its unit: a lookup in that unit's rows, instead of
        gathering its samples from the whole sorting's), or None."""
        rows = self._index.rows_in_segment(self._state.rows[unit_id], segment_index)
        if rows.size == 0:
            return None
        for source_rows, trains in self._train_sources:
            train = trains.get(segment_index)
            if train is None:
                continue
            source = self._index.rows_in_segment(source_rows, segment_index)
            at = positions_in_sorted(source, rows)
            if at is not None:
                return train[at]
        return None

    def count_num_spikes_per_unit(self, outputs: str = "dict"):
        """Spikes per unit over all segments: ``{unit_id: count}`` or an int64 array."""
        if outputs not in ("dict", "array"):
            raise ValueError(f"outputs must be 'dict' or 'array', got {outputs!r}")
        counts = np.array([self._state.rows[u].size for u in self._state.unit_ids], dtype="int64")
        if outputs == "array":
            return counts
        return dict(zip(self.unit_ids.tolist(), counts.tolist()))

    def count_total_num_spikes(self) -> int:
        """Number of spikes."""
        return int(sum(rows.size for rows in self._state.rows.values()))

    def base_spike_unit_indices(self) -> np.ndarray:
        """The unit index (in this sorting) of each spike of the base sorting's spike vector
        (``base_sorting.to_spike_vector()`` order), -1 for spikes no unit holds (removed or
        censored): a view indexed on the base's spikes follows a curation with this alone.
        Computed once (views ask for it from several threads) and read-only."""
        with _LABELS_LOCK:
            labels = self.__dict__.get("_base_labels")
            if labels is None:
                labels = self._compute_base_labels()
                labels.flags.writeable = False
                self._base_labels = labels
            return labels

    def base_spike_slots(self) -> SpikeSlots:
        """Which unit holds each spike of the base sorting's spike vector, as slots and a
        ``slot -> unit index`` table (see `core.curation.spike_slots`): what
        `base_spike_unit_indices` gives, without relabelling every spike. After an action only
        the rows of the units it made are written (on a copy of a recent curation's slots), so
        a view indexed on the base's spikes follows a curation in milliseconds."""
        return self._index.spike_slots(self._state)

    def _compute_base_labels(self) -> np.ndarray:
        index = self._index
        base_rows = index.base_rows()
        base_position = {u: i for i, u in enumerate(index.unit_ids)}
        # units still holding exactly a base unit's spikes are relabelled through a table (a
        # sequential pass); only the others (merged, split) write their rows one by one
        table = np.full(len(index.unit_ids), -1, dtype="int64")
        others = []
        for unit_index, unit_id in enumerate(self._state.unit_ids):
            rows = self._state.rows[unit_id]
            if rows is base_rows.get(unit_id):
                table[base_position[unit_id]] = unit_index
            else:
                others.append((unit_index, rows))
        labels = table[index.base_unit_index]
        for unit_index, rows in others:
            labels[rows] = unit_index
        return labels

    def spike_vector_base_rows(self) -> np.ndarray:
        """Rows in the base spike vector of the spikes of this sorting's vector, in its order."""
        keep, _, ties = self._vector_layout()
        rows = np.flatnonzero(keep)
        if ties is not None:
            positions, order = ties
            rows[positions] = rows[positions][order]
        return rows

    def _vector_layout(self):
        """Where this sorting's vector comes from in the base vector.

        Returns ``keep`` (the base rows kept), ``labels`` (each base row's unit index, -1 when
        not kept) and ``ties``: None, or ``(positions, order)`` re-ordering simultaneous spikes
        by unit (only the base's runs of simultaneous spikes can need it).
        """
        index = self._index
        labels = self.base_spike_unit_indices()
        keep = labels >= 0
        tie_rows, tie_runs = index.tie_runs()
        kept = keep[tie_rows]
        tie_rows, tie_runs = tie_rows[kept], tie_runs[kept]
        units = labels[tie_rows]
        if not np.any((tie_runs[1:] == tie_runs[:-1]) & (units[1:] < units[:-1])):
            return keep, labels, None
        # position in the kept spikes: the row, less the rows dropped before it
        dropped = np.flatnonzero(~keep)
        positions = tie_rows - np.searchsorted(dropped, tie_rows)
        return keep, labels, (positions, np.lexsort((units, tie_runs)))

    def _compute_spike_vector(self) -> np.ndarray:
        keep, labels, ties = self._vector_layout()
        if keep.all():
            spikes = self._index.spikes.copy()
            spikes["unit_index"] = labels
        else:
            spikes = self._index.spikes[keep]
            spikes["unit_index"] = labels[keep]
        if ties is not None:
            positions, order = ties
            spikes[positions] = spikes[positions][order]
        return spikes


class CuratedSortingSegment(BaseSortingSegment):
    """One segment of a curated sorting: a unit's train gathered from its rows.

    Parameters
    ----------
    index : BaseSpikeIndex
    state : UnitState
    segment_index : int
    t_start : float | None
    """

    def __init__(self, index: BaseSpikeIndex, state: UnitState, segment_index: int, t_start):
        super().__init__(t_start=t_start)
        self._index = index
        self._state = state
        self._segment_index = segment_index

    def get_unit_spike_train(self, unit_id, start_frame, end_frame) -> np.ndarray:
        rows = self._index.rows_in_segment(
            self._state.rows[_python_id(unit_id)], self._segment_index
        )
        samples = self._index.sample_index[rows]
        if start_frame is not None or end_frame is not None:
            lo = 0 if start_frame is None else np.searchsorted(samples, start_frame, "left")
            hi = samples.size if end_frame is None else np.searchsorted(samples, end_frame, "left")
            samples = samples[lo:hi]
        return samples.astype("int64", copy=False)


def _python_id(unit_id):
    return unit_id.item() if isinstance(unit_id, np.generic) else unit_id


def _plain_step(step: Mapping, where: str) -> dict:
    """A private copy of a step: numpy scalars as Python ones, index arrays as int64 arrays."""
    if not isinstance(step, Mapping):
        raise TypeError(f"{where}: a step is a dictionary, got {type(step).__name__}")
    return _plain(dict(step))


def _plain(value):
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.ndim == 1 and value.dtype.kind in "iu":
            array = value.astype("int64")  # a copy, kept compact (split indices can be long)
            array.flags.writeable = False
            return array
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _json(value):
    """Steps as plain JSON values (arrays as lists)."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


register_extractor_class(CuratedSorting)
