"""Synthetic units: positions in front of a probe and their extracellular spike templates.

The model: a unit is a point current source at ``(x, y, z)`` (``z`` is the distance to the probe
plane). Its spike is biphasic: a narrow negative trough (the depolarisation, a Gaussian of width
``depolarization_ms``) followed ``repolarization_ms`` later by a wider positive after-potential
(Gaussian of width ``recovery_ms`` and relative height ``positive_amplitude``). In a homogeneous
medium the potential of a monopole falls as ``1 / r``: a channel at distance ``r`` (µm) sees the
waveform scaled by ``alpha / r ** decay_power`` µV (``decay_power = 1`` by default).
"""

from __future__ import annotations

import warnings

import numpy as np

from .noise import _positive_int, ensure_seed

#: Parameters of one unit's template and the range each is drawn from (uniformly, per unit).
DEFAULT_UNIT_PARAMS_RANGE: dict[str, tuple[float, float]] = {
    "alpha": (5000.0, 8000.0),  # µV·µm: peak amplitude at distance r is about alpha / r
    "depolarization_ms": (0.09, 0.14),  # width (standard deviation) of the trough
    "repolarization_ms": (0.35, 0.6),  # delay from the trough to the positive peak
    "recovery_ms": (0.25, 0.45),  # width of the positive after-potential
    "positive_amplitude": (0.15, 0.35),  # height of the positive peak, relative to the trough
    "decay_power": (1.0, 1.0),  # exponent of the amplitude decay with distance
}

_MIN_DISTANCE_UM = 1.0  # closer channels count as this far: no infinite amplitudes


def generate_unit_locations(
    num_units: int,
    channel_locations: np.ndarray,
    margin_um: float = 20.0,
    minimum_z: float = 5.0,
    maximum_z: float = 40.0,
    minimum_distance: float | None = 20.0,
    max_iteration: int = 100,
    distance_strict: bool = False,
    seed: int | None = None,
) -> np.ndarray:
    """Random unit positions around a probe.

    Parameters
    ----------
    num_units : int
        Units.
    channel_locations : array-like
        ``(num_channels, 2)`` or ``(num_channels, 3)`` µm; the first two columns are used.
    margin_um : float
        ``x`` and ``y`` are drawn uniformly in the channels' bounding box grown by this margin.
    minimum_z, maximum_z : float
        Range of ``z`` (distance to the probe plane), drawn uniformly.
    minimum_distance : float | None
        Units are placed one after the other, each at the first of ``max_iteration`` random
        candidates that is at least this far from the units already placed (None: no
        constraint); when no candidate is far enough, the farthest one is taken, and then units
        that are too close push each other apart (inside the bounds) for up to
        ``max_iteration`` rounds.
    max_iteration : int
        Candidates drawn per unit, and rounds of pushing apart.
    distance_strict : bool
        Raise instead of warn when ``minimum_distance`` cannot be met.
    seed : int | None
        Seed; None draws one.

    Returns
    -------
    np.ndarray
        ``(num_units, 3)`` float64 µm.

    Raises
    ------
    ValueError
        On bad ranges, or (with ``distance_strict``) when the distance cannot be met.
    """
    num_units = _positive_int(num_units, "num_units")
    channels = np.asarray(channel_locations, dtype="float64")
    if channels.ndim != 2 or channels.shape[0] == 0 or channels.shape[1] not in (2, 3):
        raise ValueError(
            f"channel_locations must have shape (num_channels, 2 or 3), got {channels.shape}"
        )
    if not 0 <= minimum_z <= maximum_z:
        raise ValueError(f"need 0 <= minimum_z <= maximum_z, got {minimum_z}, {maximum_z}")
    low = np.append(channels[:, :2].min(axis=0) - margin_um, minimum_z)
    high = np.append(channels[:, :2].max(axis=0) + margin_um, maximum_z)
    rng = np.random.default_rng(ensure_seed(seed))
    if minimum_distance is None:
        return rng.uniform(low, high, size=(num_units, 3))
    max_iteration = _positive_int(max_iteration, "max_iteration")
    units = np.empty((num_units, 3))
    for index in range(num_units):
        candidates = rng.uniform(low, high, size=(max_iteration, 3))
        if index == 0:
            units[0] = candidates[0]
            continue
        gaps = np.linalg.norm(candidates[:, None, :] - units[None, :index], axis=2).min(axis=1)
        far_enough = np.flatnonzero(gaps >= minimum_distance)
        units[index] = candidates[far_enough[0] if far_enough.size else np.argmax(gaps)]
    num_too_close = _push_apart(units, minimum_distance, low, high, max_iteration)
    if num_too_close:
        message = (
            f"generate_unit_locations(): {num_too_close} units are still closer than "
            f"minimum_distance={minimum_distance} µm to another after {max_iteration} iterations"
        )
        if distance_strict:
            raise ValueError(message)
        warnings.warn(message)
    return units


def generate_templates(
    channel_locations: np.ndarray,
    units_locations: np.ndarray,
    sampling_frequency: float,
    ms_before: float,
    ms_after: float,
    seed: int | None = None,
    dtype="float32",
    upsample_factor: int | None = None,
    unit_params: dict = dict(),  # noqa: B006  SpikeInterface default, never mutated
    unit_params_range: dict = dict(),  # noqa: B006  SpikeInterface default, never mutated
) -> np.ndarray:
    """Extracellular spike templates of point-source units (see the module description).

    Parameters
    ----------
    channel_locations : array-like
        ``(num_channels, 2)`` µm (the probe plane, ``z = 0``) or ``(num_channels, 3)``.
    units_locations : array-like
        ``(num_units, 3)`` µm, as from `generate_unit_locations`.
    sampling_frequency : float
        Hz.
    ms_before, ms_after : float
        Template span around the trough: ``int(ms_before * fs / 1000)`` samples before it,
        ``int(ms_after * fs / 1000)`` from it on.
    seed : int | None
        Seed of the per-unit parameters; None draws one.
    dtype : numpy dtype-like
        Dtype of the result.
    upsample_factor : int | None
        Also return ``upsample_factor`` versions of each template, version ``k`` with its trough
        ``k / upsample_factor`` of a sample later (sub-sample jitter for injection).
    unit_params : dict
        Fixed values of some parameters of `DEFAULT_UNIT_PARAMS_RANGE`: one number, or one per
        unit.
    unit_params_range : dict
        ``(low, high)`` ranges replacing the default ones. All parameters are drawn before the
        fixed ones replace theirs, so fixing one parameter leaves the others unchanged.

    Returns
    -------
    np.ndarray
        ``(num_units, num_samples, num_channels)``, or with a last axis of size
        ``upsample_factor``.

    Raises
    ------
    ValueError
        On mismatched shapes, unknown parameter names, bad ranges or an empty template span.
    """
    channels = np.asarray(channel_locations, dtype="float64")
    units = np.asarray(units_locations, dtype="float64")
    if channels.ndim != 2 or channels.shape[1] not in (2, 3):
        raise ValueError(
            f"channel_locations must have shape (num_channels, 2 or 3), got {channels.shape}"
        )
    if units.ndim != 2 or units.shape[1] != 3:
        raise ValueError(f"units_locations must have shape (num_units, 3), got {units.shape}")
    if channels.shape[1] == 2:
        channels = np.hstack([channels, np.zeros((channels.shape[0], 1))])
    if not (ms_before >= 0 and ms_after >= 0):
        raise ValueError(f"ms_before and ms_after must be >= 0, got {ms_before}, {ms_after}")
    nbefore = int(ms_before * sampling_frequency / 1000.0)
    num_samples = nbefore + int(ms_after * sampling_frequency / 1000.0)
    if num_samples == 0:
        raise ValueError("ms_before and ms_after give templates of 0 samples")
    factor = 1 if upsample_factor is None else _positive_int(upsample_factor, "upsample_factor")
    rng = np.random.default_rng(ensure_seed(seed))
    params = _unit_parameters(rng, units.shape[0], unit_params, unit_params_range)

    # Time (ms) from each unit's trough, per sample and per sub-sample version: (samples, factor).
    shifts = np.arange(factor) / factor
    t_ms = (np.arange(num_samples)[:, None] - nbefore - shifts[None, :]) * (
        1000.0 / sampling_frequency
    )
    p = {key: value[:, None, None] for key, value in params.items()}
    trough = np.exp(-0.5 * (t_ms / p["depolarization_ms"]) ** 2)
    after = np.exp(-0.5 * ((t_ms - p["repolarization_ms"]) / p["recovery_ms"]) ** 2)
    waveforms = p["positive_amplitude"] * after - trough  # (units, samples, factor)

    distances = np.linalg.norm(units[:, None, :] - channels[None, :, :], axis=2)
    distances = np.maximum(distances, _MIN_DISTANCE_UM)
    gains = params["alpha"][:, None] / distances ** params["decay_power"][:, None]
    templates = waveforms[:, :, None, :] * gains[:, None, :, None]
    if upsample_factor is None:
        templates = templates[..., 0]
    return templates.astype(dtype)


def _unit_parameters(
    rng: np.random.Generator, num_units: int, unit_params: dict, unit_params_range: dict
) -> dict[str, np.ndarray]:
    """One value per unit of every template parameter (drawn, then fixed ones applied)."""
    for argument, given in (("unit_params", unit_params), ("unit_params_range", unit_params_range)):
        unknown = sorted(set(given) - set(DEFAULT_UNIT_PARAMS_RANGE))
        if unknown:
            raise ValueError(
                f"{argument}: unknown parameters {unknown}; known: {list(DEFAULT_UNIT_PARAMS_RANGE)}"
            )
    params = {}
    for key, default_range in DEFAULT_UNIT_PARAMS_RANGE.items():
        bounds = np.asarray(unit_params_range.get(key, default_range), dtype="float64")
        if bounds.shape != (2,) or not bounds[0] <= bounds[1]:
            raise ValueError(f"unit_params_range[{key!r}] must be (low, high) with low <= high")
        params[key] = rng.uniform(bounds[0], bounds[1], size=num_units)
    for key, value in unit_params.items():
        values = np.asarray(value, dtype="float64")
        if values.ndim == 0:
            values = np.full(num_units, values.item())
        if values.shape != (num_units,):
            raise ValueError(f"unit_params[{key!r}] must be one number or {num_units} numbers")
        params[key] = values
    for key in ("depolarization_ms", "recovery_ms"):
        if not np.all(params[key] > 0):
            raise ValueError(f"{key} must be positive")
    return params


def _push_apart(
    units: np.ndarray, minimum_distance: float, low: np.ndarray, high: np.ndarray, rounds: int
) -> int:
    """Move units closer than ``minimum_distance`` away from each other, in place.

    Each round, every unit moves away from each too-close neighbour by half the missing
    distance (a little more, to converge), then is clipped into ``[low, high]``.

    Returns
    -------
    int
        Units still too close to another one.
    """
    for round_index in range(rounds + 1):
        offsets = units[:, None, :] - units[None, :, :]
        distances = np.linalg.norm(offsets, axis=2)
        np.fill_diagonal(distances, np.inf)
        missing = np.clip(minimum_distance - distances, 0.0, None)
        if not missing.any() or round_index == rounds:
            break
        directions = offsets / np.maximum(distances, 1e-9)[..., None]
        units += 0.505 * (directions * missing[..., None]).sum(axis=1)
        np.clip(units, low, high, out=units)
    return int(np.count_nonzero(missing.any(axis=1)))
