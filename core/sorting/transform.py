"""TransformSorting: a sorting plus added spikes (of its units or of new units), tracked.

SpikeInterface 0.100 uses it to build ground truth with injected or synchronous spikes
(``spikeinterface.core.generate.TransformSorting``). The spike vector holds the original spikes
and the added ones, sorted by segment then sample; two boolean masks over it say which spikes
were added to existing units and which belong to new units.
"""

from __future__ import annotations

import numpy as np

from ..registry import register_extractor_class
from .base import BaseSorting, minimum_spike_dtype
from .numpy import NumpySorting, SpikeVectorSortingSegment

__all__ = ["TransformSorting"]


def _checked_spikes(spikes, name: str) -> np.ndarray | None:
    if spikes is None or len(spikes) == 0:
        return None
    spikes = np.asarray(spikes)
    if spikes.dtype != minimum_spike_dtype:
        raise TypeError(
            f"{name} must be a spike vector (dtype {minimum_spike_dtype}), got {spikes.dtype}"
        )
    return spikes


def _id_kind(ids) -> str:
    """``"int"`` or ``"str"``: the kind of a list of unit ids."""
    return "str" if np.asarray(ids).dtype.kind in "US" else "int"


class TransformSorting(BaseSorting):
    """A sorting with spikes added to its units and/or to new units.

    Parameters
    ----------
    sorting : BaseSorting
        The original sorting (left unchanged).
    added_spikes_existing_units : np.ndarray or None, default: None
        Spike vector of spikes for units of ``sorting`` (``unit_index`` into its unit ids).
    added_spikes_new_units : np.ndarray or None, default: None
        Spike vector of spikes for the new units (``unit_index`` counts on after the existing
        units: ``len(sorting.unit_ids) + i`` is ``new_unit_ids[i]``).
    new_unit_ids : list or None, default: None
        Ids of the new units; none may exist in ``sorting``.
    refractory_period_ms : float or None, default: None
        If given, an added spike of an existing unit closer than this (``<=``) to the previous
        spike of that unit is dropped; original spikes always stay.
    """

    def __init__(
        self,
        sorting: BaseSorting,
        added_spikes_existing_units: np.ndarray | None = None,
        added_spikes_new_units: np.ndarray | None = None,
        new_unit_ids: list | None = None,
        refractory_period_ms: float | None = None,
    ) -> None:
        unit_ids = list(sorting.unit_ids)
        if new_unit_ids is not None:
            new_unit_ids = list(new_unit_ids)
            known = set(unit_ids)
            existing = [u for u in new_unit_ids if u in known]
            if existing:
                raise ValueError(
                    f"new_unit_ids {existing} already exist: add their spikes with "
                    "added_spikes_existing_units"
                )
            if new_unit_ids and unit_ids and _id_kind(new_unit_ids) != _id_kind(unit_ids):
                raise TypeError(
                    "new_unit_ids must be of the type of the sorting's unit ids "
                    f"({sorting.unit_ids.dtype}), got {np.asarray(new_unit_ids).dtype}"
                )
            unit_ids += new_unit_ids
        super().__init__(sorting.sampling_frequency, unit_ids)
        self.parent_unit_ids = sorting.unit_ids
        self.refractory_period_ms = refractory_period_ms

        parts = [sorting.to_spike_vector()]
        existing_mask = [np.zeros(parts[0].size, dtype=bool)]
        new_mask = [np.zeros(parts[0].size, dtype=bool)]
        for spikes, from_existing in (
            (_checked_spikes(added_spikes_existing_units, "added_spikes_existing_units"), True),
            (_checked_spikes(added_spikes_new_units, "added_spikes_new_units"), False),
        ):
            if spikes is None:
                continue
            if spikes["unit_index"].min() < 0 or spikes["unit_index"].max() >= len(unit_ids):
                raise ValueError(
                    f"added spikes refer to unit indices outside 0..{len(unit_ids) - 1}"
                )
            parts.append(spikes)
            existing_mask.append(np.full(spikes.size, from_existing))
            new_mask.append(np.full(spikes.size, not from_existing))
        spikes = np.concatenate(parts)
        # stable: an added spike at the sample of an original one comes after it
        order = np.lexsort((spikes["sample_index"], spikes["segment_index"]))
        self._cached_spike_vector = spikes[order]
        self.added_spikes_from_existing_mask = np.concatenate(existing_mask)[order]
        self.added_spikes_from_new_mask = np.concatenate(new_mask)[order]
        if refractory_period_ms is not None:
            self.clean_refractory_period()
        for segment_index in range(sorting.get_num_segments()):
            self.add_sorting_segment(
                SpikeVectorSortingSegment(self._cached_spike_vector, segment_index, self.unit_ids)
            )
        # spike vectors are not JSON values
        self._serializability["json"] = False
        self._kwargs = {
            "sorting": sorting,
            "added_spikes_existing_units": added_spikes_existing_units,
            "added_spikes_new_units": added_spikes_new_units,
            "new_unit_ids": new_unit_ids,
            "refractory_period_ms": refractory_period_ms,
        }

    # ------------------------------------------------------------------ what was added
    @property
    def added_spikes_mask(self) -> np.ndarray:
        """Per spike of the spike vector, whether it was added."""
        return self.added_spikes_from_existing_mask | self.added_spikes_from_new_mask

    def get_added_spikes_indices(self) -> np.ndarray:
        """Positions in the spike vector of the added spikes."""
        return np.flatnonzero(self.added_spikes_mask)

    def get_added_spikes_from_existing_indices(self) -> np.ndarray:
        """Positions in the spike vector of spikes added to existing units."""
        return np.flatnonzero(self.added_spikes_from_existing_mask)

    def get_added_spikes_from_new_indices(self) -> np.ndarray:
        """Positions in the spike vector of the spikes of new units."""
        return np.flatnonzero(self.added_spikes_from_new_mask)

    def get_added_units_inds(self) -> np.ndarray:
        """The ids of the new units (SpikeInterface's name says indices; it returns ids)."""
        return self.unit_ids[len(self.parent_unit_ids) :]

    def clean_refractory_period(self) -> None:
        """Drop the added spikes of existing units that follow the previous spike too closely.

        An added spike is dropped when the spike before it of the same unit and segment (in the
        spike vector as it is) is ``refractory_period_ms`` or less before it; original spikes
        and spikes of new units stay.
        """
        spikes = self._cached_spike_vector
        refractory = int(self.sampling_frequency * self.refractory_period_ms / 1000)
        by_unit = np.lexsort((spikes["unit_index"], spikes["segment_index"]))
        ordered = spikes[by_unit]
        gaps = np.diff(ordered["sample_index"])
        same_train = (np.diff(ordered["unit_index"]) == 0) & (
            np.diff(ordered["segment_index"]) == 0
        )
        too_close = np.zeros(spikes.size, dtype=bool)
        too_close[by_unit[1:]] = same_train & (gaps <= refractory)
        keep = ~(self.added_spikes_from_existing_mask & too_close)
        self._cached_spike_vector = spikes[keep]
        self.added_spikes_from_existing_mask = self.added_spikes_from_existing_mask[keep]
        self.added_spikes_from_new_mask = self.added_spikes_from_new_mask[keep]

    # ------------------------------------------------------------------ constructors
    @staticmethod
    def add_from_sorting(
        sorting1: BaseSorting, sorting2: BaseSorting, refractory_period_ms: float | None = None
    ) -> TransformSorting:
        """``sorting1`` plus the spikes of ``sorting2`` (units matched by id; others are new).

        Parameters
        ----------
        sorting1, sorting2 : BaseSorting
            Same sampling frequency and unit id type.
        refractory_period_ms : float or None, default: None
            See `TransformSorting`.

        Returns
        -------
        TransformSorting
        """
        if sorting1.sampling_frequency != sorting2.sampling_frequency:
            raise ValueError(
                f"the sortings have different sampling frequencies "
                f"({sorting1.sampling_frequency} and {sorting2.sampling_frequency})"
            )
        position_in_1 = {u: i for i, u in enumerate(sorting1.unit_ids.tolist())}
        exclusive_ids = [u for u in sorting2.unit_ids.tolist() if u not in position_in_1]
        position_in_1.update({u: len(sorting1.unit_ids) + i for i, u in enumerate(exclusive_ids)})
        # unit index in sorting2 -> unit index in the result
        remap = np.array([position_in_1[u] for u in sorting2.unit_ids.tolist()], dtype="int64")
        spikes = sorting2.to_spike_vector().copy()
        if spikes.size:
            spikes["unit_index"] = remap[spikes["unit_index"]]
        from_existing = spikes["unit_index"] < len(sorting1.unit_ids)
        return TransformSorting(
            sorting1,
            added_spikes_existing_units=spikes[from_existing],
            added_spikes_new_units=spikes[~from_existing],
            new_unit_ids=np.asarray(exclusive_ids, dtype=sorting2.unit_ids.dtype),
            refractory_period_ms=refractory_period_ms,
        )

    @staticmethod
    def add_from_unit_dict(
        sorting1: BaseSorting, units_dict_list, refractory_period_ms: float | None = None
    ) -> TransformSorting:
        """``sorting1`` plus the spike trains of ``units_dict_list`` (one dict per segment).

        Returns
        -------
        TransformSorting
        """
        sorting2 = NumpySorting.from_unit_dict(units_dict_list, sorting1.sampling_frequency)
        return TransformSorting.add_from_sorting(sorting1, sorting2, refractory_period_ms)

    @staticmethod
    def from_times_labels(
        sorting1: BaseSorting,
        times_list,
        labels_list,
        sampling_frequency: float,
        unit_ids=None,
        refractory_period_ms: float | None = None,
    ) -> TransformSorting:
        """``sorting1`` plus spikes given as frames and labels (lists for several segments).

        Returns
        -------
        TransformSorting
        """
        sorting2 = NumpySorting.from_times_labels(
            times_list, labels_list, sampling_frequency, unit_ids
        )
        return TransformSorting.add_from_sorting(sorting1, sorting2, refractory_period_ms)


register_extractor_class(TransformSorting, "spikeinterface.core.generate.TransformSorting")
