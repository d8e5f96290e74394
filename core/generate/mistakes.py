"""Sortings with the mistakes of spike sorters (duplicated, split, synchronous units), bad ISIs."""

from __future__ import annotations

import numpy as np

from ..sorting.base import BaseSorting
from ..sorting.numpy import NumpySorting
from ..sorting.spike_vector import sort_spike_vector
from .generated_sorting import GeneratedSorting, plain_values, sorting_builder
from .noise import _positive_int, ensure_seed
from .sorting import _unit_indices


def inject_some_duplicate_units(
    sorting: BaseSorting,
    num: int = 4,
    max_shift: int = 5,
    ratio: float | None = None,
    seed: int | None = None,
) -> NumpySorting:
    """The sorting plus ``num`` units duplicating its first ``num`` units, shifted in time.

    Parameters
    ----------
    sorting : BaseSorting
        Integer unit ids.
    num : int
        Duplicated units; their ids are ``max(unit_ids) + 1 ...``.
    max_shift : int
        Each duplicate is shifted by a random whole number of samples in
        ``[-max_shift, max_shift)``; a shift of 0 becomes ``max_shift``.
    ratio : float | None
        Keep only this fraction (in ``(0, 1]``) of each duplicate's spikes.
    seed : int | None
        Seed; None draws one.

    Returns
    -------
    GeneratedSorting
        Shifted spikes are clipped to ``[0, last spike of the original unit]`` per segment.
        Described in JSON by this call when ``sorting`` is.
    """
    arguments = {"sorting": sorting, "num": num, "max_shift": max_shift, "ratio": ratio}
    return GeneratedSorting(
        "inject_some_duplicate_units", plain_values({**arguments, "seed": ensure_seed(seed)})
    )


@sorting_builder("inject_some_duplicate_units")
def _build_duplicate_units(
    sorting: BaseSorting, num: int, max_shift: int, ratio: float | None, seed: int
) -> NumpySorting:
    """The sorting of `inject_some_duplicate_units` (arguments checked here)."""
    unit_ids = _integer_unit_ids(sorting)
    num = _positive_int(num, "num")
    if num > unit_ids.size:
        raise ValueError(f"num is {num} but the sorting has only {unit_ids.size} units")
    max_shift = _positive_int(max_shift, "max_shift")
    if ratio is not None and not 0.0 < ratio <= 1.0:
        raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
    rng = np.random.default_rng(seed)
    shifts = rng.integers(-max_shift, max_shift, size=num)
    shifts[shifts == 0] = max_shift
    parts = [sorting.to_spike_vector()]
    for segment_spikes in sorting.to_spike_vector(concatenated=False):
        for unit_index, shift in enumerate(shifts):
            original = segment_spikes[segment_spikes["unit_index"] == unit_index]
            if original.size == 0:
                continue
            duplicate = original.copy()
            if ratio is not None:
                chosen = rng.choice(original.size, int(original.size * ratio), replace=False)
                duplicate = duplicate[np.sort(chosen)]
            last = original["sample_index"][-1]
            duplicate["sample_index"] = np.clip(duplicate["sample_index"] + shift, 0, last)
            duplicate["unit_index"] = unit_ids.size + unit_index
            parts.append(duplicate)
    new_ids = np.arange(unit_ids.max() + 1, unit_ids.max() + 1 + num, dtype=unit_ids.dtype)
    return NumpySorting(
        sort_spike_vector(np.concatenate(parts)),
        sorting.sampling_frequency,
        np.concatenate([unit_ids, new_ids]),
        num_segments=sorting.get_num_segments(),
    )


def inject_some_split_units(
    sorting: BaseSorting,
    split_ids: list = [],  # noqa: B006  SpikeInterface default, never mutated
    num_split: int = 2,
    output_ids: bool = False,
    seed: int | None = None,
) -> NumpySorting | tuple[NumpySorting, dict]:
    """The sorting with each unit of ``split_ids`` replaced by ``num_split`` random parts.

    Parameters
    ----------
    sorting : BaseSorting
        Integer unit ids.
    split_ids : list
        Units to split.
    num_split : int
        Parts per split unit; each spike goes to a random part. New ids are
        ``max(unit_ids) + 1 ...`` in the order of ``split_ids``, placed where the split unit was.
    output_ids : bool
        Also return ``{split_id: new ids}``.
    seed : int | None
        Seed; None draws one.

    Returns
    -------
    GeneratedSorting | tuple of (GeneratedSorting, dict)
        The sorting is described in JSON by this call when ``sorting`` is.
    """
    arguments = {"sorting": sorting, "split_ids": split_ids, "num_split": num_split}
    split_sorting = GeneratedSorting(
        "inject_some_split_units", plain_values({**arguments, "seed": ensure_seed(seed)})
    )
    if not output_ids:
        return split_sorting
    unit_ids = _integer_unit_ids(sorting)
    return split_sorting, _split_unit_ids(unit_ids, split_ids, num_split)[0]


def _split_unit_ids(unit_ids: np.ndarray, split_ids, num_split: int) -> tuple[dict, np.ndarray]:
    """``{split_id: new ids}`` and the positions of the split units among ``unit_ids``."""
    num_split = _positive_int(num_split, "num_split")
    split_indices = _unit_indices(split_ids, unit_ids, "split_ids")
    next_id = unit_ids.max() + 1
    new_ids_of = {}
    for index in split_indices:
        new_ids_of[unit_ids[index].item()] = np.arange(
            next_id, next_id + num_split, dtype=unit_ids.dtype
        )
        next_id += num_split
    return new_ids_of, split_indices


@sorting_builder("inject_some_split_units")
def _build_split_units(
    sorting: BaseSorting, split_ids: list, num_split: int, seed: int
) -> NumpySorting:
    """The sorting of `inject_some_split_units` (arguments checked here)."""
    unit_ids = _integer_unit_ids(sorting)
    new_ids_of, split_indices = _split_unit_ids(unit_ids, split_ids, num_split)
    num_split = _positive_int(num_split, "num_split")
    first_new_index = np.zeros(unit_ids.size, dtype="int64")
    output_unit_ids = []
    for index, unit_id in enumerate(unit_ids.tolist()):
        first_new_index[index] = len(output_unit_ids)
        output_unit_ids.extend(new_ids_of.get(unit_id, [unit_id]))
    rng = np.random.default_rng(seed)
    spikes = sorting.to_spike_vector().copy()
    new_unit_index = first_new_index[spikes["unit_index"]]
    for index in split_indices:
        mask = spikes["unit_index"] == index
        new_unit_index[mask] += rng.integers(0, num_split, size=int(mask.sum()))
    spikes["unit_index"] = new_unit_index
    return NumpySorting(
        sort_spike_vector(spikes),
        sorting.sampling_frequency,
        np.asarray(output_unit_ids, dtype=unit_ids.dtype),
        num_segments=sorting.get_num_segments(),
    )


def add_synchrony_to_sorting(
    sorting: BaseSorting, sync_event_ratio: float = 0.3, seed: int | None = None
) -> NumpySorting:
    """The sorting plus synchronous copies of a fraction of its spikes given to other units.

    Parameters
    ----------
    sorting : BaseSorting
        At least two units when any spike is to be copied.
    sync_event_ratio : float
        Fraction in ``[0, 1]`` of the spikes copied, each to a random other unit at the same
        sample; a copy landing on an existing spike of that unit is dropped.
    seed : int | None
        Seed; None draws one.

    Returns
    -------
    GeneratedSorting
        Described in JSON by this call when ``sorting`` is.
    """
    arguments = {"sorting": sorting, "sync_event_ratio": sync_event_ratio}
    return GeneratedSorting(
        "add_synchrony_to_sorting", plain_values({**arguments, "seed": ensure_seed(seed)})
    )


@sorting_builder("add_synchrony_to_sorting")
def _build_synchrony(sorting: BaseSorting, sync_event_ratio: float, seed: int) -> NumpySorting:
    """The sorting of `add_synchrony_to_sorting` (arguments checked here)."""
    if not 0.0 <= sync_event_ratio <= 1.0:
        raise ValueError(f"sync_event_ratio must be in [0, 1], got {sync_event_ratio!r}")
    spikes = sorting.to_spike_vector()
    num_copies = int(sync_event_ratio * spikes.size)
    num_units = sorting.get_num_units()
    if num_copies > 0 and num_units < 2:
        raise ValueError("add_synchrony_to_sorting needs a sorting with at least 2 units")
    rng = np.random.default_rng(seed)
    copies = spikes[np.sort(rng.choice(spikes.size, num_copies, replace=False))].copy()
    # Adding 1..num_units-1 modulo num_units picks uniformly among the other units.
    steps = rng.integers(1, num_units, num_copies)
    copies["unit_index"] = (copies["unit_index"] + steps) % num_units
    merged = sort_spike_vector(np.concatenate([spikes, copies]))
    fields = ("segment_index", "sample_index", "unit_index")
    repeated = np.all([np.diff(merged[name]) == 0 for name in fields], axis=0)
    merged = merged[np.concatenate(([True], ~repeated))]
    return NumpySorting(
        merged,
        sorting.sampling_frequency,
        sorting.unit_ids,
        num_segments=sorting.get_num_segments(),
    )


def synthetize_spike_train_bad_isi(
    duration: float, baseline_rate: float, num_violations: int, violation_delta: float = 1e-5
) -> np.ndarray:
    """A regular spike train (seconds) with ``num_violations`` refractory-period violations.

    Parameters
    ----------
    duration : float
        Seconds.
    baseline_rate : float
        Hz: spikes at ``k / baseline_rate`` for ``k = 1 .. int(duration * baseline_rate)``.
    num_violations : int
        The first ``num_violations`` spikes get a twin ``violation_delta`` later (twins at or
        after ``duration`` are dropped).
    violation_delta : float
        Seconds between a spike and its twin.

    Returns
    -------
    np.ndarray
        float64 sorted times.
    """
    if not duration > 0:
        raise ValueError(f"duration must be positive, got {duration!r}")
    if not baseline_rate > 0:
        raise ValueError(f"baseline_rate must be positive, got {baseline_rate!r}")
    if int(num_violations) < 0:
        raise ValueError(f"num_violations must be >= 0, got {num_violations!r}")
    train = np.arange(1, int(duration * baseline_rate) + 1) / baseline_rate
    twins = train[: int(num_violations)] + violation_delta
    return np.sort(np.concatenate([train, twins[twins < duration]]))


# ---------------------------------------------------------------------- argument checks
def _integer_unit_ids(sorting: BaseSorting) -> np.ndarray:
    unit_ids = np.asarray(sorting.unit_ids)
    if unit_ids.size == 0:
        raise ValueError("sorting has no units")
    if unit_ids.dtype.kind not in "iu":
        raise TypeError(f"sorting must have integer unit ids, got {unit_ids.dtype} ids")
    return unit_ids
