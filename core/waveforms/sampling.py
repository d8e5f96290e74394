"""Spike sampling: at most ``max_spikes_per_unit`` spikes per unit, drawn as SpikeInterface 0.100.

:func:`select_random_spikes_uniformly` and :func:`sample_spikes` make the same random draws as
SpikeInterface's ``select_random_spikes_uniformly`` for the same seed. :func:`sample_spikes` also
returns the selected rows of the spike vector (what
:func:`~core.waveforms.kernel.extract_waveforms_to_buffers` cuts) and, per unit, the
``sampled_index`` arrays a WaveformExtractor stores. :func:`random_spikes_selection` is the
draw that replaces it in SpikeInterface 0.100's sparsity estimation (positions in the spike
vector).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting

__all__ = [
    "random_spikes_selection",
    "sample_spikes",
    "sampled_index_dtype",
    "select_random_spikes_uniformly",
]

#: dtype of the per-unit ``sampled_index_<unit_id>.npy`` arrays.
sampled_index_dtype = np.dtype([("spike_index", "<i8"), ("segment_index", "<i8")])


def _num_samples_per_segment(recording: BaseRecording, num_segments: int) -> np.ndarray:
    if recording.get_num_segments() != num_segments:
        raise ValueError(
            f"recording has {recording.get_num_segments()} segments but the sorting has "
            f"{num_segments}"
        )
    return np.array([recording.get_num_samples(i) for i in range(num_segments)], dtype="int64")


def _check_window(nbefore: Any, nafter: Any) -> tuple[int, int]:
    for name, value in (("nbefore", nbefore), ("nafter", nafter)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    return int(nbefore), int(nafter)


def _check_max_spikes(max_spikes_per_unit: Any) -> int | None:
    if max_spikes_per_unit is None:
        return None
    if isinstance(max_spikes_per_unit, bool) or not isinstance(
        max_spikes_per_unit, int | np.integer
    ):
        raise TypeError(f"max_spikes_per_unit must be an int or None, got {max_spikes_per_unit!r}")
    if max_spikes_per_unit < 0:
        raise ValueError(f"max_spikes_per_unit must be >= 0, got {max_spikes_per_unit}")
    return int(max_spikes_per_unit)


@dataclass(frozen=True)
class _Selection:
    """Selected spikes as positions in the spike vector, grouped by unit."""

    vector_indices: np.ndarray  # per selected spike, its row in the spike vector
    unit_index: np.ndarray  # per selected spike, its unit index
    spike_index: np.ndarray  # per selected spike, its position in the unit's train of its segment
    segment_index: np.ndarray  # per selected spike, its segment
    unit_bounds: np.ndarray  # selected spikes of unit u are rows unit_bounds[u]:unit_bounds[u+1]


def _select_uniformly(
    spikes: np.ndarray,
    num_units: int,
    num_segments: int,
    num_samples: np.ndarray,
    max_spikes_per_unit: int | None,
    nbefore: int | None,
    nafter: int | None,
    seed: int | None,
) -> _Selection:
    """SpikeInterface 0.100's uniform selection, vectorised except for the per-unit draws.

    Per unit (in unit order), ``RandomState(seed).choice(total, max_spikes_per_unit,
    replace=False)`` draws among the unit's spikes counted across segments, as SpikeInterface
    does with the global numpy generator seeded by ``np.random.seed(seed)``; the global generator
    itself is left untouched here.
    """
    # Stable sort by unit keeps each unit's spikes in (segment, sample) order: the k-th spike of
    # a unit across segments is row by_unit[unit_start + k] of the spike vector.
    by_unit = np.argsort(spikes["unit_index"], kind="stable")
    counts = np.bincount(spikes["unit_index"], minlength=num_units)
    unit_starts = np.concatenate([[0], np.cumsum(counts)])
    per_segment = np.bincount(
        spikes["unit_index"] * num_segments + spikes["segment_index"],
        minlength=num_units * num_segments,
    ).reshape(num_units, num_segments)
    segment_starts = np.cumsum(per_segment, axis=1) - per_segment  # spikes before each segment

    rng = np.random.RandomState(None if seed is None else int(seed))
    chosen = []
    for unit_index in range(num_units):
        total = int(counts[unit_index])
        if max_spikes_per_unit is not None and total > max_spikes_per_unit:
            picks = np.sort(rng.choice(total, size=max_spikes_per_unit, replace=False))
        else:
            picks = np.arange(total)
        chosen.append(picks)
    sizes = np.array([c.size for c in chosen], dtype="int64")
    unit_index = np.repeat(np.arange(num_units, dtype="int64"), sizes)
    within_unit = np.concatenate(chosen).astype("int64") if chosen else np.zeros(0, "int64")
    vector_indices = by_unit[unit_starts[unit_index] + within_unit]
    segment_index = spikes["segment_index"][vector_indices]
    spike_index = within_unit - segment_starts[unit_index, segment_index]

    if max_spikes_per_unit is not None:
        # waveforms of sampled spikes must fit in their segment (same bounds as SpikeInterface)
        sample = spikes["sample_index"][vector_indices]
        keep = (sample >= nbefore) & (sample < num_samples[segment_index] - nafter)
        vector_indices, unit_index = vector_indices[keep], unit_index[keep]
        segment_index, spike_index = segment_index[keep], spike_index[keep]
    unit_bounds = np.searchsorted(unit_index, np.arange(num_units + 1))
    return _Selection(vector_indices, unit_index, spike_index, segment_index, unit_bounds)


def _selection_for(
    recording: BaseRecording,
    sorting: BaseSorting,
    max_spikes_per_unit: int | None,
    nbefore: int | None,
    nafter: int | None,
    seed: int | None,
) -> tuple[np.ndarray, _Selection]:
    max_spikes_per_unit = _check_max_spikes(max_spikes_per_unit)
    if max_spikes_per_unit is not None:
        if nbefore is None or nafter is None:
            raise ValueError("nbefore and nafter are required when max_spikes_per_unit is set")
        nbefore, nafter = _check_window(nbefore, nafter)
    num_segments = sorting.get_num_segments()
    num_samples = _num_samples_per_segment(recording, num_segments)
    spikes = sorting.to_spike_vector()
    selection = _select_uniformly(
        spikes,
        sorting.get_num_units(),
        num_segments,
        num_samples,
        max_spikes_per_unit,
        nbefore,
        nafter,
        seed,
    )
    return spikes, selection


def select_random_spikes_uniformly(
    recording: BaseRecording,
    sorting: BaseSorting,
    max_spikes_per_unit: int | None,
    nbefore: int | None = None,
    nafter: int | None = None,
    seed: int | None = None,
) -> dict[Any, list[np.ndarray]]:
    """Pick at most ``max_spikes_per_unit`` spikes per unit, uniformly across segments.

    The draws are those of SpikeInterface 0.100 for the same ``seed``. When
    ``max_spikes_per_unit`` is not None, sampled spikes whose waveform would not fit in their
    segment (``frame < nbefore`` or ``frame >= num_samples - nafter``) are dropped afterwards.

    Parameters
    ----------
    recording : BaseRecording
        Gives the number of samples of each segment.
    sorting : BaseSorting
        The spikes to sample from.
    max_spikes_per_unit : int or None
        Spikes kept per unit; None keeps every spike (border spikes included).
    nbefore, nafter : int or None, default: None
        Samples before and after a spike; required when ``max_spikes_per_unit`` is set.
    seed : int or None, default: None
        Seed of the random draws (None: fresh entropy).

    Returns
    -------
    dict
        ``{unit_id: [indices for segment 0, indices for segment 1, ...]}``: positions of the
        selected spikes in the unit's spike train of each segment, sorted.
    """
    _, selection = _selection_for(recording, sorting, max_spikes_per_unit, nbefore, nafter, seed)
    num_segments = sorting.get_num_segments()
    selected = {}
    for unit_index, unit_id in enumerate(sorting.unit_ids.tolist()):
        rows = slice(selection.unit_bounds[unit_index], selection.unit_bounds[unit_index + 1])
        spike_index = selection.spike_index[rows]
        segment_index = selection.segment_index[rows]
        selected[unit_id] = [
            spike_index[segment_index == segment] for segment in range(num_segments)
        ]
    return selected


def sample_spikes(
    recording: BaseRecording,
    sorting: BaseSorting,
    max_spikes_per_unit: int | None,
    nbefore: int | None = None,
    nafter: int | None = None,
    seed: int | None = None,
) -> tuple[np.ndarray, dict[Any, np.ndarray]]:
    """Sample spikes as :func:`select_random_spikes_uniformly` and describe the selection.

    Parameters
    ----------
    recording : BaseRecording
        Gives the number of samples of each segment.
    sorting : BaseSorting
        The spikes to sample from.
    max_spikes_per_unit : int or None
        Spikes kept per unit; None keeps every spike.
    nbefore, nafter : int or None, default: None
        Samples before and after a spike; required when ``max_spikes_per_unit`` is set.
    seed : int or None, default: None
        Seed of the random draws.

    Returns
    -------
    spikes : np.ndarray
        The selected rows of ``sorting.to_spike_vector()`` (same dtype and order).
    sampled_indices : dict
        ``{unit_id: structured array [("spike_index", "<i8"), ("segment_index", "<i8")]}``: for
        each waveform of the unit, in buffer order, the spike's position in the unit's train of
        its segment.
    """
    spikes, selection = _selection_for(
        recording, sorting, max_spikes_per_unit, nbefore, nafter, seed
    )
    sampled_indices = {}
    for unit_index, unit_id in enumerate(sorting.unit_ids.tolist()):
        rows = slice(selection.unit_bounds[unit_index], selection.unit_bounds[unit_index + 1])
        index = np.zeros(rows.stop - rows.start, dtype=sampled_index_dtype)
        index["spike_index"] = selection.spike_index[rows]
        index["segment_index"] = selection.segment_index[rows]
        sampled_indices[unit_id] = index
    selected = spikes[np.sort(selection.vector_indices)]
    return selected, sampled_indices


def random_spikes_selection(
    sorting: BaseSorting,
    num_samples: list[int] | None = None,
    method: str = "uniform",
    max_spikes_per_unit: int = 500,
    margin_size: int | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """Draw at most ``max_spikes_per_unit`` spikes per unit, as positions in the spike vector.

    The draws are SpikeInterface 0.100's (``numpy.random.default_rng(seed).choice`` per unit,
    in unit order) for the same seed.

    Parameters
    ----------
    sorting : BaseSorting
    num_samples : list of int or None, default: None
        Samples per segment; needed with ``margin_size``.
    method : {"uniform"}, default: "uniform"
    max_spikes_per_unit : int, default: 500
    margin_size : int or None, default: None
        Drop drawn spikes closer than this to either end of their segment (spikes with
        ``sample_index < margin_size`` or ``>= num_samples - margin_size``). SpikeInterface
        0.100 compares the left margin with the spike's position in the vector instead of its
        sample; this compares samples.
    seed : int or None, default: None

    Returns
    -------
    np.ndarray
        Sorted int64 positions in ``sorting.to_spike_vector()``.
    """
    if method != "uniform":
        raise ValueError(f"method must be 'uniform' (the only one implemented), got {method!r}")
    max_spikes_per_unit = _check_max_spikes(max_spikes_per_unit)
    if margin_size is not None and num_samples is None:
        raise ValueError("margin_size needs num_samples (the samples of each segment)")
    rng = np.random.default_rng(seed=seed)
    spikes = sorting.to_spike_vector()
    by_unit = np.argsort(spikes["unit_index"], kind="stable")
    bounds = np.searchsorted(spikes["unit_index"][by_unit], np.arange(sorting.get_num_units() + 1))
    selected = [np.zeros(0, dtype="int64")]
    for unit_index in range(sorting.get_num_units()):
        positions = by_unit[bounds[unit_index] : bounds[unit_index + 1]]
        size = min(max_spikes_per_unit, positions.size)
        selected.append(rng.choice(positions, size=size, replace=False, shuffle=False))
    selected = np.sort(np.concatenate(selected)).astype("int64", copy=False)
    if margin_size is not None:
        margin = int(margin_size)
        chosen = spikes[selected]
        limits = np.asarray(num_samples)[chosen["segment_index"]]
        keep = (chosen["sample_index"] >= margin) & (chosen["sample_index"] < limits - margin)
        selected = selected[keep]
    return selected
