"""Synthetic sortings: Poisson spike trains with a refractory period, and a test NPZ file.

Spike trains are renewal processes in whole samples: each inter-spike interval is the refractory
period (rounded up to a whole sample) plus a geometric wait, so no two spikes of a unit are closer
than the refractory period and the mean rate is exactly the requested one. Trains are drawn in
vectorised chunks; every function is deterministic for a given seed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..argument_checks import checked_sampling_frequency
from ..sorting.base import BaseSorting
from ..sorting.numpy import NumpySorting
from ..sorting.spike_vector import spike_vector_from_trains
from .generated_sorting import GeneratedSorting, plain_values, sorting_builder
from .noise import _checked_durations, _positive_int, ensure_seed


def generate_sorting(
    num_units: int = 5,
    sampling_frequency: float = 30000.0,
    durations: list[float] = [10.325, 3.5],  # noqa: B006  SpikeInterface default, never mutated
    firing_rates: float | np.ndarray = 3.0,
    empty_units: list[int] | None = None,
    refractory_period_ms: float = 4.0,
    add_spikes_on_borders: bool = False,
    num_spikes_per_border: int = 3,
    border_size_samples: int = 20,
    seed: int | None = None,
    firing_rate: float | np.ndarray | None = None,
    refractory_period: float | None = None,
) -> NumpySorting:
    """A sorting of Poisson spike trains with a refractory period.

    Parameters
    ----------
    num_units : int
        Units, with ids ``0..num_units-1``.
    sampling_frequency : float
        Hz.
    durations : list of float
        Seconds per segment; segment ``i`` spans ``int(durations[i] * sampling_frequency)``
        samples (as the recordings of `generate_recording`). Trailing empty segments are kept.
    firing_rates : float | array-like
        Mean rate in Hz, one for all units or one per unit. ``firing_rate`` is accepted too.
    empty_units : list of int | None
        Units left without any spike.
    refractory_period_ms : float
        Minimum interval between two spikes of a unit, in ms. ``refractory_period`` (ms) is
        accepted too.
    add_spikes_on_borders : bool
        Per segment, add ``num_spikes_per_border`` spikes in the first and in the last
        ``border_size_samples`` samples, given to random non-empty units (they may break the
        refractory period: they exist to test edge handling).
    num_spikes_per_border : int
        Spikes per border.
    border_size_samples : int
        Width of each border in samples.
    seed : int | None
        Seed; None draws one.
    firing_rate, refractory_period
        Aliases of ``firing_rates`` and ``refractory_period_ms`` (the user documentation's names).

    Returns
    -------
    GeneratedSorting
        A NumpySorting described in JSON by this call (seed included).

    Raises
    ------
    TypeError
        If an alias is given with a non-default value of its argument.
    ValueError
        On a negative or unreachable rate (mean interval shorter than the refractory period),
        unknown ``empty_units``, or borders that do not fit a segment.
    """
    firing_rates = _resolve_alias(firing_rates, 3.0, firing_rate, "firing_rates", "firing_rate")
    refractory_period_ms = _resolve_alias(
        refractory_period_ms, 4.0, refractory_period, "refractory_period_ms", "refractory_period"
    )
    generator_kwargs = {
        "num_units": num_units,
        "sampling_frequency": sampling_frequency,
        "durations": durations,
        "firing_rates": firing_rates,
        "empty_units": empty_units,
        "refractory_period_ms": refractory_period_ms,
        "add_spikes_on_borders": add_spikes_on_borders,
        "num_spikes_per_border": num_spikes_per_border,
        "border_size_samples": border_size_samples,
        "seed": ensure_seed(seed),
    }
    return GeneratedSorting("generate_sorting", plain_values(generator_kwargs))


@sorting_builder("generate_sorting")
def _build_sorting(
    num_units: int,
    sampling_frequency: float,
    durations: list[float],
    firing_rates: float | list[float],
    empty_units: list[int] | None,
    refractory_period_ms: float,
    add_spikes_on_borders: bool,
    num_spikes_per_border: int,
    border_size_samples: int,
    seed: int,
) -> NumpySorting:
    """The spikes of `generate_sorting` (arguments checked here)."""
    num_units = _positive_int(num_units, "num_units")
    durations = _checked_durations(durations)
    sampling_frequency = checked_sampling_frequency(sampling_frequency)
    rates = _unit_rates(firing_rates, num_units, "firing_rates")
    if empty_units is not None:
        rates[_unit_indices(empty_units, num_units, "empty_units")] = 0.0
    refractory_samples = _refractory_samples(refractory_period_ms, sampling_frequency)
    rng = np.random.default_rng(seed)
    trains_per_segment = []
    for duration in durations:
        num_samples = int(duration * sampling_frequency)
        trains = [
            _poisson_train(rng, rate, num_samples, sampling_frequency, refractory_samples)
            for rate in rates
        ]
        if add_spikes_on_borders:
            active = np.flatnonzero(rates > 0)
            _add_border_spikes(
                rng, trains, active, num_samples, num_spikes_per_border, border_size_samples
            )
        trains_per_segment.append(trains)
    spikes = spike_vector_from_trains(trains_per_segment)
    return NumpySorting(
        spikes, sampling_frequency, np.arange(num_units), num_segments=len(durations)
    )


def synthesize_random_firings(
    num_units: int = 20,
    sampling_frequency: float = 30000.0,
    duration: float = 60,
    refractory_period_ms: float = 4.0,
    firing_rates: float | np.ndarray = 3.0,
    add_shift_shuffle: bool = False,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Spike times and labels of ``num_units`` Poisson units in one segment.

    Parameters
    ----------
    num_units : int
        Units, labelled ``0..num_units-1``.
    sampling_frequency : float
        Hz.
    duration : float
        Seconds.
    refractory_period_ms : float
        Minimum interval between two spikes of a unit, in ms.
    firing_rates : float | array-like
        Hz, one for all units or one per unit.
    add_shift_shuffle : bool
        Delay half of each unit's spikes by 1 to 20 refractory periods (short delays more
        likely), giving the autocorrelograms a shoulder; spikes then closer than the refractory
        period are removed.
    seed : int | None
        Seed; None draws one.

    Returns
    -------
    times : np.ndarray
        int64 sample indices, sorted.
    labels : np.ndarray
        int64 unit label of each spike.
    """
    num_units = _positive_int(num_units, "num_units")
    rates = _unit_rates(firing_rates, num_units, "firing_rates")
    num_samples = int(_checked_durations([duration])[0] * sampling_frequency)
    refractory_samples = _refractory_samples(refractory_period_ms, sampling_frequency)
    rng = np.random.default_rng(ensure_seed(seed))
    trains = []
    for rate in rates:
        train = _poisson_train(rng, rate, num_samples, sampling_frequency, refractory_samples)
        if add_shift_shuffle:
            train = _shift_half(rng, train, refractory_samples, num_samples)
        trains.append(train)
    times = np.concatenate(trains)
    labels = np.repeat(np.arange(num_units, dtype="int64"), [t.size for t in trains])
    order = np.argsort(times, kind="stable")
    return times[order], labels[order]


def synthesize_poisson_spike_vector(
    num_units: int = 20,
    sampling_frequency: float = 30000.0,
    duration: float = 60.0,
    refractory_period_ms: float = 4.0,
    firing_rates: float | np.ndarray = 3.0,
    seed: int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Spike frames and unit indices of ``num_units`` Poisson units with a refractory period.

    SpikeInterface's ``synthesize_poisson_spike_vector``: as `synthesize_random_firings`
    without the shift shuffle, with seed 0 by default.

    Parameters
    ----------
    num_units : int, default: 20
    sampling_frequency : float, default: 30000.0
        Hz.
    duration : float, default: 60.0
        Seconds.
    refractory_period_ms : float, default: 4.0
    firing_rates : float | array-like, default: 3.0
        Hz, one for all units or one per unit.
    seed : int | None, default: 0

    Returns
    -------
    spike_frames : np.ndarray
        int64 sample indices, sorted.
    unit_indices : np.ndarray
        int64 unit index of each spike.
    """
    return synthesize_random_firings(
        num_units=num_units,
        sampling_frequency=sampling_frequency,
        duration=duration,
        refractory_period_ms=refractory_period_ms,
        firing_rates=firing_rates,
        seed=seed,
    )


def generate_sorting_to_inject(
    sorting: BaseSorting,
    num_samples: list[int],
    max_injected_per_unit: int = 1000,
    injected_rate: float = 0.05,
    refractory_period_ms: float = 1.5,
    seed: int | None = None,
) -> NumpySorting:
    """Spikes that can be added to ``sorting`` without breaking any unit's refractory period.

    Per unit and segment, about ``injected_rate`` times the unit's spike count (at most
    ``max_injected_per_unit``) uniformly random spikes are drawn over the segment; those closer
    than the refractory period to one another or to a spike of the unit are dropped.

    Parameters
    ----------
    sorting : BaseSorting
    num_samples : list of int
        Samples of each segment.
    max_injected_per_unit : int, default: 1000
    injected_rate : float, default: 0.05
        Injected spikes per existing spike.
    refractory_period_ms : float, default: 1.5
    seed : int | None, default: None

    Returns
    -------
    NumpySorting
        Same unit ids and segments as ``sorting``; each unit has at most as many spikes to
        inject as it has spikes.
    """
    num_segments = sorting.get_num_segments()
    if len(num_samples) != num_segments:
        raise ValueError(
            f"num_samples must give one length per segment ({num_segments}), got {len(num_samples)}"
        )
    refractory = int(round(refractory_period_ms * sorting.sampling_frequency * 1e-3))
    rng = np.random.default_rng(ensure_seed(seed))
    trains_per_segment = []
    for segment_index in range(num_segments):
        trains = {}
        for unit_id in sorting.unit_ids:
            existing = sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            wanted = min(max_injected_per_unit, int(round(injected_rate * existing.size)))
            drawn = int(wanted + 10 * np.sqrt(wanted))
            train = np.sort(rng.integers(0, max(int(num_samples[segment_index]), 1), drawn))
            train = np.delete(train, np.flatnonzero(np.diff(train) < refractory))
            if existing.size and train.size:
                # distance to the nearest existing spike
                after = np.clip(np.searchsorted(existing, train), 0, existing.size - 1)
                before = np.clip(after - 1, 0, existing.size - 1)
                nearest = np.minimum(
                    np.abs(existing[after] - train), np.abs(train - existing[before])
                )
                train = train[nearest >= refractory]
            if train.size > wanted:
                train = np.sort(rng.choice(train, wanted, replace=False))
            trains[unit_id] = train
        trains_per_segment.append(trains)
    return NumpySorting.from_unit_dict(trains_per_segment, sorting.sampling_frequency)


def clean_refractory_period(times: np.ndarray, refractory_period: float) -> np.ndarray:
    """Sorted ``times`` without the spikes that follow the previous kept one too closely.

    A spike is removed when its gap to the previous *kept* spike is ``<= refractory_period``
    (so of a burst, the first spike and then every spike far enough from the last kept one stay).

    Parameters
    ----------
    times : array-like
        Spike times or sample indices of one unit.
    refractory_period : float
        In the unit of ``times``.

    Returns
    -------
    np.ndarray
    """
    times = np.sort(np.asarray(times))
    while times.size > 1:
        violating = np.diff(times) <= refractory_period  # entry i: spike i + 1 is too close
        if not violating.any():
            break
        # A spike whose own gap is long is kept whatever happens before it, so the spikes right
        # after it that are too close are certainly removed; later ones wait for the next pass.
        previous_kept = np.concatenate(([True], ~violating[:-1]))
        keep = np.ones(times.size, dtype=bool)
        keep[1:][violating & previous_kept] = False
        times = times[keep]
    return times


def create_sorting_npz(num_seg: int, file_path: str | Path) -> None:
    """Write a small test sorting as an NPZ file (``NpzSortingExtractor`` layout).

    Three units (ids 0, 1, 2) at 30 kHz; every segment has 100 spikes at samples
    ``0, 10, ... 990`` labelled 0, 1, 2, 0, 1, 2...

    Parameters
    ----------
    num_seg : int
        Segments written (``num_segment`` holds this number).
    file_path : str | Path
        Target; ``numpy.savez`` adds ``.npz`` when the name has another suffix.
    """
    num_seg = _positive_int(num_seg, "num_seg")
    spike_indexes = np.arange(0, 1000, 10, dtype="int64")
    spike_labels = np.arange(spike_indexes.size, dtype="int64") % 3
    arrays = {
        "unit_ids": np.array([0, 1, 2], dtype="int64"),
        "num_segment": np.array([num_seg], dtype="int64"),
        "sampling_frequency": np.array([30000.0], dtype="float64"),
    }
    for segment_index in range(num_seg):
        arrays[f"spike_indexes_seg{segment_index}"] = spike_indexes
        arrays[f"spike_labels_seg{segment_index}"] = spike_labels
    np.savez(file_path, **arrays)


# ---------------------------------------------------------------------- spike trains
def _poisson_train(
    rng: np.random.Generator,
    rate: float,
    num_samples: int,
    sampling_frequency: float,
    refractory_samples: float,
) -> np.ndarray:
    """Sorted sample indices in ``[0, num_samples)`` of a Poisson train with dead time."""
    if rate == 0 or num_samples == 0:
        return np.zeros(0, dtype="int64")
    mean_isi = sampling_frequency / rate
    min_isi = max(int(np.ceil(refractory_samples)), 1)
    if mean_isi < min_isi:
        raise ValueError(
            f"firing_rates: {rate} Hz is impossible with a refractory period of "
            f"{min_isi} samples at {sampling_frequency} Hz"
        )
    p = 1.0 / (mean_isi - min_isi + 1)  # interval = min_isi - 1 + geometric, mean = mean_isi
    expected = num_samples / mean_isi
    chunk = int(expected + 5 * np.sqrt(expected) + 10)
    start = int(rng.geometric(p)) - 1
    parts = []
    while start < num_samples:
        isis = (min_isi - 1) + rng.geometric(p, size=chunk)
        times = start + np.concatenate(([0], np.cumsum(isis[:-1])))
        parts.append(times)
        start = int(times[-1] + isis[-1])
    if not parts:
        return np.zeros(0, dtype="int64")
    train = np.concatenate(parts).astype("int64", copy=False)
    return train[train < num_samples]


def _add_border_spikes(
    rng: np.random.Generator,
    trains: list[np.ndarray],
    active_units: np.ndarray,
    num_samples: int,
    num_spikes_per_border: int,
    border_size_samples: int,
) -> None:
    """Add spikes at both ends of a segment to random units of ``active_units`` (in place)."""
    if active_units.size == 0 or num_spikes_per_border == 0:
        return
    if not num_spikes_per_border <= border_size_samples <= num_samples:
        raise ValueError(
            f"border_size_samples ({border_size_samples}) must be between "
            f"num_spikes_per_border ({num_spikes_per_border}) and the segment's "
            f"{num_samples} samples"
        )
    first = rng.choice(border_size_samples, num_spikes_per_border, replace=False)
    last = (
        num_samples
        - border_size_samples
        + rng.choice(border_size_samples, num_spikes_per_border, replace=False)
    )
    samples = np.concatenate([first, last]).astype("int64")
    units = rng.choice(active_units, size=samples.size)
    for unit_index in np.unique(units):
        trains[unit_index] = np.union1d(trains[unit_index], samples[units == unit_index])


def _shift_half(
    rng: np.random.Generator, train: np.ndarray, refractory_samples: float, num_samples: int
) -> np.ndarray:
    """Delay a random half of the spikes by 1-20 refractory periods, then re-clean the train."""
    moved = rng.choice(train.size, train.size // 2, replace=False)
    low = max(refractory_samples, 1.0)
    delays = low + (19 * low) * rng.random(moved.size) ** 2
    shifted = train.copy()
    shifted[moved] += delays.astype("int64")
    shifted = shifted[shifted < num_samples]
    return clean_refractory_period(shifted, refractory_samples)


# ---------------------------------------------------------------------- argument checks
def _resolve_alias(value, default, alias, name: str, alias_name: str):
    """``alias`` when given (then ``value`` must still be its default), else ``value``."""
    if alias is None:
        return value
    if not (np.ndim(value) == 0 and value == default):
        raise TypeError(f"give {name} or its alias {alias_name}, not both")
    return alias


def _unit_rates(firing_rates, num_units: int, name: str) -> np.ndarray:
    rates = np.asarray(firing_rates, dtype="float64")
    if rates.ndim == 0:
        rates = np.full(num_units, rates.item())
    if rates.shape != (num_units,):
        raise ValueError(f"{name} must be one number or {num_units} (one per unit)")
    if not np.all(np.isfinite(rates) & (rates >= 0)):
        raise ValueError(f"{name} must be finite and >= 0 Hz, got {rates.tolist()}")
    return rates


def _refractory_samples(refractory_period_ms: float, sampling_frequency: float) -> float:
    if not refractory_period_ms >= 0:
        raise ValueError(f"refractory_period_ms must be >= 0, got {refractory_period_ms!r}")
    return refractory_period_ms * sampling_frequency / 1000.0


def _unit_indices(ids, unit_ids, name: str) -> np.ndarray:
    """Positions of ``ids`` among ``unit_ids`` (an array, or a count for ``0..n-1``)."""
    unit_ids = np.arange(unit_ids) if isinstance(unit_ids, int) else np.asarray(unit_ids)
    ids = np.asarray(ids).ravel()
    if np.unique(ids).size != ids.size:
        raise ValueError(f"{name} has repeated ids: {ids.tolist()}")
    unknown = ids[~np.isin(ids, unit_ids)]
    if unknown.size:
        raise ValueError(f"{name}: unknown unit ids {unknown.tolist()}")
    return np.array([np.flatnonzero(unit_ids == i)[0] for i in ids], dtype="int64")
