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
from collections.abc import Mapping, Sequence

import numpy as np

from ..registry import register_extractor_class
from ..sorting.base import BaseSorting, BaseSortingSegment, minimum_spike_dtype
from .steps import BaseSpikeIndex, UnitState, parse_step
from .unit_ids import id_array


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
        # unchanged units keep their already-read spike trains
        for segment_index, trains in previous._cached_spike_trains.items():
            kept = {
                u: t for u, t in trains.items() if state.rows.get(u) is previous._state.rows.get(u)
            }
            if kept:
                curated._cached_spike_trains[segment_index] = kept
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
            train = self._sorting_segments[segment_index].get_unit_spike_train(key, None, None)
            train.flags.writeable = False
            cache[key] = train
        return train

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

    def spike_vector_base_rows(self) -> np.ndarray:
        """Rows in the base spike vector of the spikes of this sorting's vector, in its order."""
        return self._vector_rows()[0]

    def _vector_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Base rows of the spikes (in spike vector order) and their unit indices."""
        index = self._index
        unit_ids = self._state.unit_ids
        labels = np.full(index.spikes.size, -1, dtype="int32" if len(unit_ids) < 2**31 else "int64")
        for unit_index, unit_id in enumerate(unit_ids):
            labels[self._state.rows[unit_id]] = unit_index
        rows = np.flatnonzero(labels >= 0)
        units = labels[rows]
        order = ties_by_unit_order(index.sample_index[rows], index.segment_index[rows], units)
        if order is not None:
            rows, units = rows[order], units[order]
        return rows, units

    def _compute_spike_vector(self) -> np.ndarray:
        rows, units = self._vector_rows()
        spikes = np.empty(rows.size, dtype=minimum_spike_dtype)
        spikes["sample_index"] = self._index.sample_index[rows]
        spikes["segment_index"] = self._index.segment_index[rows]
        spikes["unit_index"] = units
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


def ties_by_unit_order(
    samples: np.ndarray, segments: np.ndarray, units: np.ndarray
) -> np.ndarray | None:
    """A permutation ordering simultaneous spikes (same segment and sample) by unit, or None.

    Spikes are already ordered by segment and sample; only runs of simultaneous spikes move.
    """
    if samples.size < 2:
        return None
    same = (samples[1:] == samples[:-1]) & (segments[1:] == segments[:-1])
    if not np.any(same & (units[1:] < units[:-1])):
        return None
    starts = np.ones(samples.size, dtype=bool)
    starts[1:] = ~same
    run = np.cumsum(starts)
    in_run = np.zeros(samples.size, dtype=bool)
    in_run[1:] |= same
    in_run[:-1] |= same
    tied = np.flatnonzero(in_run)
    order = np.arange(samples.size)
    order[tied] = tied[np.lexsort((units[tied], run[tied]))]
    return order


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
