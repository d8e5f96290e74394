"""Unit aggregation: the units of several sortings side by side as one sorting (aggregate_units)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..argument_checks import sampling_frequency_mismatch
from ..errors import InvalidInputError
from ..registry import register_extractor_class
from ..segment_checks import check_extractor_list
from .base import BaseSorting, BaseSortingSegment
from .slicing import SpikeVectorViewSorting
from .spike_vector import is_sorted_spike_vector


def check_sorting_list(
    sorting_list: Sequence[BaseSorting], argument: str = "sorting_list", same_unit_ids: bool = False
) -> list[BaseSorting]:
    """Return ``sorting_list`` as a list after checking it holds at least one sorting.

    Parameters
    ----------
    sorting_list : list | tuple of BaseSorting
        The sortings to combine.
    argument : str
        Name of the argument, used in error messages.
    same_unit_ids : bool
        Also check that every sorting has the unit ids of the first, in the same order.

    Returns
    -------
    list of BaseSorting

    Raises
    ------
    TypeError
        If it is not a list or tuple of sortings.
    ValueError
        If it is empty, or unit ids differ when ``same_unit_ids``.
    """
    sorting_list = check_extractor_list(sorting_list, BaseSorting, "sorting", argument)
    if same_unit_ids:
        for index, sorting in enumerate(sorting_list[1:], start=1):
            problem = _unit_ids_difference(sorting.unit_ids, sorting_list[0].unit_ids)
            if problem:
                raise ValueError(
                    f"{argument}[{index}] {problem} in {argument}[0] (unit ids must be the same)"
                )
    return sorting_list


def sort_spike_runs(spikes: np.ndarray) -> np.ndarray:
    """Sort a spike vector made of runs that are each sorted by segment then sample.

    The sort is stable: simultaneous spikes keep their order. A stable sort of a few sorted runs
    costs little more than reading them, and an already sorted vector is returned as is.

    Parameters
    ----------
    spikes : np.ndarray
        ``minimum_spike_dtype`` vector, e.g. several sorted vectors concatenated.

    Returns
    -------
    np.ndarray
    """
    if is_sorted_spike_vector(spikes):
        return spikes
    stride = int(spikes["sample_index"].max()) + 1
    num_segments = int(spikes["segment_index"].max()) + 1
    if num_segments == 1:
        key = spikes["sample_index"]
    elif num_segments * stride < 2**62:
        key = spikes["segment_index"] * stride + spikes["sample_index"]
    else:  # the combined key would overflow int64
        return np.take(spikes, np.lexsort((spikes["sample_index"], spikes["segment_index"])))
    return np.take(spikes, np.argsort(key, kind="stable"))  # take: faster than fancy indexing


class UnitsAggregationSorting(SpikeVectorViewSorting):
    """The units of several sortings stacked into one lazy sorting.

    Unit ids become ``0..N-1`` (as in SpikeInterface 0.100) unless ``renamed_unit_ids`` is
    given, so ids repeated across sortings are no problem. An annotation is kept when every
    sorting has it with the same value. Properties are merged: a sorting without one gets the
    default missing value of its dtype kind (NaN, "", None); a property without such a default,
    or with different dtypes (as SpikeInterface: strings of different widths too) or shapes
    across sortings, is dropped with a warning.

    Parameters
    ----------
    sorting_list : list of BaseSorting
        Sortings with the same sampling frequency and segment count.
    renamed_unit_ids : array-like | None
        One unique id per unit of the result.
    """

    def __init__(
        self, sorting_list: Sequence[BaseSorting], renamed_unit_ids: ArrayLike | None = None
    ) -> None:
        sorting_list = check_sorting_list(sorting_list)
        _check_same_layout(sorting_list)
        num_units = sum(sorting.get_num_units() for sorting in sorting_list)
        unit_ids = _new_unit_ids(renamed_unit_ids, num_units)
        first = sorting_list[0]
        super().__init__(first.sampling_frequency, unit_ids)
        self._sortings = sorting_list
        sources = [
            (index, parent_id)
            for index, sorting in enumerate(sorting_list)
            for parent_id in sorting.unit_ids.tolist()
        ]
        unit_map = dict(zip(unit_ids.tolist(), sources))
        for segment_index in range(first.get_num_segments()):
            self.add_sorting_segment(
                UnitsAggregationSortingSegment(sorting_list, segment_index, unit_map)
            )
        self._set_aggregated_metadata(sorting_list)
        self._kwargs = {"sorting_list": sorting_list, "renamed_unit_ids": renamed_unit_ids}

    @property
    def sortings(self) -> list[BaseSorting]:
        """The aggregated sortings."""
        return self._sortings

    def _spike_vector_sources(self) -> list[BaseSorting]:
        return self._sortings

    def _derive_spike_vector(self, parts: list[np.ndarray]) -> np.ndarray:
        spikes = np.concatenate(parts)
        unit_offsets = np.cumsum([0] + [s.get_num_units() for s in self._sortings[:-1]])
        spikes["unit_index"] += np.repeat(unit_offsets, [part.size for part in parts])
        # simultaneous spikes stay in sorting order, hence in unit order
        return sort_spike_runs(spikes)

    def _set_aggregated_metadata(self, sorting_list: list[BaseSorting]) -> None:
        first = sorting_list[0]
        for key in first.get_annotation_keys():
            value = first.get_annotation(key, copy=False)
            if all(
                key in sorting.get_annotation_keys()
                and _same_value(sorting.get_annotation(key, copy=False), value)
                for sorting in sorting_list[1:]
            ):
                self.set_annotation(key, first.get_annotation(key), overwrite=True)
        keys = dict.fromkeys(key for sorting in sorting_list for key in sorting.get_property_keys())
        for key in keys:
            merged = _merge_property(key, sorting_list, self.default_missing_property_values)
            if merged is not None:
                self.set_property(key, merged)


class UnitsAggregationSortingSegment(BaseSortingSegment):
    """One segment whose units come from the same segment of several sortings.

    Parameters
    ----------
    sorting_list : list of BaseSorting
        Read through their (cached) ``get_unit_spike_train``.
    segment_index : int
    unit_map : dict
        New unit id -> (position in ``sorting_list``, unit id there).
    """

    def __init__(self, sorting_list: list[BaseSorting], segment_index: int, unit_map: dict) -> None:
        super().__init__(t_start=sorting_list[0]._sorting_segments[segment_index]._t_start)
        self._sortings = sorting_list
        self._segment_index = segment_index
        self._unit_map = unit_map

    def get_unit_spike_train(
        self, unit_id, start_frame: int | None, end_frame: int | None
    ) -> np.ndarray:
        index, parent_id = self._unit_map[unit_id]
        return self._sortings[index].get_unit_spike_train(
            parent_id,
            segment_index=self._segment_index,
            start_frame=start_frame,
            end_frame=end_frame,
        )


# SpikeInterface's function is the class itself (``si.aggregate_units`` is the class).
aggregate_units = UnitsAggregationSorting


def _check_same_layout(sorting_list: list[BaseSorting]) -> None:
    reference = sorting_list[0]
    for index, sorting in enumerate(sorting_list[1:], start=1):
        if sorting.sampling_frequency != reference.sampling_frequency:
            raise ValueError(
                sampling_frequency_mismatch(
                    f"sorting_list[{index}]",
                    sorting.sampling_frequency,
                    "sorting_list[0]",
                    reference.sampling_frequency,
                )
            )
        if sorting.get_num_segments() != reference.get_num_segments():
            raise ValueError(
                f"sorting_list[{index}] has {sorting.get_num_segments()} segments but "
                f"sorting_list[0] has {reference.get_num_segments()}"
            )


def _new_unit_ids(renamed_unit_ids: ArrayLike | None, num_units: int) -> np.ndarray:
    if renamed_unit_ids is None:
        return np.arange(num_units, dtype="int64")
    renamed = np.asarray(renamed_unit_ids)
    if renamed.ndim != 1 or renamed.size != num_units:
        raise ValueError(f"renamed_unit_ids has {renamed.size} ids for {num_units} units")
    if np.unique(renamed).size != renamed.size:
        raise InvalidInputError("renamed_unit_ids has duplicates: ids must be unique")
    return renamed


def _unit_ids_difference(ids: np.ndarray, reference: np.ndarray) -> str:
    if ids.size != reference.size:
        return f"has {ids.size} units, not {reference.size} as"
    different = np.flatnonzero(ids != reference)
    if different.size == 0:
        return ""
    position = int(different[0])
    return (
        f"has unit id {ids[position].item()!r} at position {position}, not "
        f"{reference[position].item()!r} as"
    )


def _same_value(a, b) -> bool:
    """Equality that also works for arrays and containers of arrays (False when undecidable)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(a, b))
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # containers of arrays compare ambiguously
        return False


def _merge_property(key: str, sorting_list: list[BaseSorting], defaults: dict) -> np.ndarray | None:
    """The property of all units end to end, or None (with a warning) if it cannot be merged."""
    present = [s.get_property(key) for s in sorting_list if key in s.get_property_keys()]
    # as SpikeInterface: the dtypes must be equal (strings of different widths differ)
    dtypes = {values.dtype for values in present}
    shapes = {values.shape[1:] for values in present}
    if len(dtypes) > 1 or len(shapes) > 1:
        warnings.warn(
            f"aggregate_units(): property {key!r} is dropped: its dtypes "
            f"({', '.join(str(v.dtype) for v in present)}) or shapes differ between sortings",
            stacklevel=4,
        )
        return None
    shape, dtype = shapes.pop(), present[0].dtype
    kind = dtype.kind
    if len(present) < len(sorting_list) and kind not in defaults:
        warnings.warn(
            f"aggregate_units(): property {key!r} is dropped: some sortings lack it and its "
            f"dtype {dtype} has no default missing value",
            stacklevel=4,
        )
        return None
    pieces = [
        sorting.get_property(key)
        if key in sorting.get_property_keys()
        else np.full((sorting.get_num_units(), *shape), defaults.get(kind), dtype=dtype)
        for sorting in sorting_list
    ]
    return np.concatenate(pieces, axis=0)


register_extractor_class(
    UnitsAggregationSorting, "spikeinterface.core.unitsaggregationsorting.UnitsAggregationSorting"
)
