"""Synthetic units: positions in front of a probe and their extracellular spike templates.

The model: a unit is a point current source at ``(x, y, z)`` (``z`` is the distance to the probe
plane). Its spike is biphasic: a narrow negative trough (the depolarisation, a Gaussian of width
``depolarization_ms``) followed ``repolarization_ms`` later by a wider positive after-potential
(Gaussian of width ``recovery_ms`` and relative height ``positive_amplitude``). In a homogeneous
medium the potential of a monopole falls as ``1 / r``: a channel at distance ``r`` (µm) sees the
waveform scaled by ``alpha / r ** decay_power`` µV (``decay_power = 1`` by default).

SpikeInterface's parameters ``smooth_ms`` (a Gaussian smoothing of the waveform, applied exactly:
it widens both Gaussians) and ``propagation_speed`` (µm/ms: a channel farther than the nearest
one sees the spike later) are accepted too; by default neither applies.
"""

from __future__ import annotations

import warnings

import numpy as np

from .noise import _positive_int, ensure_seed

#: Parameters of one unit's template and the range each is drawn from (uniformly, per unit).
DEFAULT_UNIT_PARAMS_RANGE: dict[str, tuple[float, float] | None] = {
    "alpha": (5000.0, 8000.0),  # µV·µm: peak amplitude at distance r is about alpha / r
    "depolarization_ms": (0.09, 0.14),  # width (standard deviation) of the trough
    "repolarization_ms": (0.35, 0.6),  # delay from the trough to the positive peak
    "recovery_ms": (0.25, 0.45),  # width of the positive after-potential
    "positive_amplitude": (0.15, 0.35),  # height of the positive peak, relative to the trough
    "decay_power": (1.0, 1.0),  # exponent of the amplitude decay with distance
    "smooth_ms": (0.0, 0.0),  # width of a Gaussian smoothing of the waveform
    "propagation_speed": None,  # µm/ms; None: no propagation delay
}
#: SpikeInterface's name.
default_unit_params_range = DEFAULT_UNIT_PARAMS_RANGE

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

    distances = np.linalg.norm(units[:, None, :] - channels[None, :, :], axis=2)
    # Time (ms) from each unit's trough: (units, samples, channels, sub-sample versions).
    shifts = np.arange(factor) / factor
    t_ms = (np.arange(num_samples)[:, None] - nbefore - shifts[None, :]) * (
        1000.0 / sampling_frequency
    )
    t_ms = t_ms[None, :, None, :] - _propagation_delays_ms(distances, params)[:, None, :, None]
    p = {key: value[:, None, None, None] for key, value in params.items()}
    waveforms = _biphasic(t_ms, p)

    distances = np.maximum(distances, _MIN_DISTANCE_UM)
    gains = params["alpha"][:, None] / distances ** params["decay_power"][:, None]
    templates = waveforms * gains[:, None, :, None]
    if upsample_factor is None:
        templates = templates[..., 0]
    return templates.astype(dtype)


def _biphasic(t_ms: np.ndarray, p: dict) -> np.ndarray:
    """The unit waveform (trough -1) at times ``t_ms``, smoothed by a Gaussian of ``smooth_ms``.

    A Gaussian of width ``w`` convolved with a normalised one of width ``s`` is a Gaussian of
    width ``sqrt(w² + s²)`` and height ``w / sqrt(w² + s²)``.
    """
    smooth2 = p["smooth_ms"] ** 2
    trough_w = np.sqrt(p["depolarization_ms"] ** 2 + smooth2)
    after_w = np.sqrt(p["recovery_ms"] ** 2 + smooth2)
    trough = (p["depolarization_ms"] / trough_w) * np.exp(-0.5 * (t_ms / trough_w) ** 2)
    after = (p["recovery_ms"] / after_w) * np.exp(
        -0.5 * ((t_ms - p["repolarization_ms"]) / after_w) ** 2
    )
    return p["positive_amplitude"] * after - trough


def _propagation_delays_ms(distances: np.ndarray, params: dict) -> np.ndarray:
    """Per unit and channel, the delay (ms) after the nearest channel (0 without a speed)."""
    speed = params["propagation_speed"][:, None]
    extra = distances - distances.min(axis=1, keepdims=True)
    return np.where(np.isnan(speed), 0.0, extra / np.where(np.isnan(speed), 1.0, speed))


def exp_growth(
    start_amp: float,
    end_amp: float,
    duration_ms: float,
    tau_ms: float,
    sampling_frequency: float,
    flip: bool = False,
) -> np.ndarray:
    """An exponential ramp from ``start_amp`` towards ``end_amp`` (SpikeInterface's helper).

    Parameters
    ----------
    start_amp, end_amp : float
    duration_ms : float
        ``int(duration_ms * sampling_frequency / 1000)`` samples are returned.
    tau_ms : float
        Time constant of ``exp(t / tau_ms)``.
    sampling_frequency : float
    flip : bool, default: False
        Grow from ``end_amp``'s side instead: the ramp is mirrored in time.

    Returns
    -------
    np.ndarray
        float64; the first value is ``start_amp``, and the next one after the last would be
        ``end_amp``.
    """
    if flip:
        start_amp, end_amp = end_amp, start_amp
    size = int(duration_ms * sampling_frequency / 1000.0)
    curve = np.exp(np.arange(size + 1) / sampling_frequency * 1000.0 / tau_ms)
    ramp = (curve - curve[0]) / (curve[-1] - curve[0]) * (end_amp - start_amp) + start_amp
    return ramp[::-1][:-1] if flip else ramp[:-1]


def generate_single_fake_waveform(
    sampling_frequency: float | None = None,
    ms_before: float = 1.0,
    ms_after: float = 3.0,
    negative_amplitude: float = -1,
    positive_amplitude: float = 0.15,
    depolarization_ms: float = 0.1,
    repolarization_ms: float = 0.6,
    recovery_ms: float = 1.1,
    smooth_ms: float = 0.05,
    dtype="float32",
) -> np.ndarray:
    """One spike waveform of this module's model, trough at sample ``nbefore``.

    Parameters
    ----------
    sampling_frequency : float
        Hz (required).
    ms_before, ms_after : float, default: 1.0, 3.0
        ``int(ms * fs / 1000)`` samples before the trough and from it on.
    negative_amplitude : float, default: -1
        Depth of the trough component (the after-potential's tail and smoothing make the
        waveform's minimum a little shallower).
    positive_amplitude : float, default: 0.15
        Height of the after-potential component, in the same unit.
    depolarization_ms, repolarization_ms, recovery_ms, smooth_ms : float
        The model's widths and delay (see the module description).
    dtype : numpy dtype-like, default: "float32"

    Returns
    -------
    np.ndarray
        ``(nbefore + nafter,)``.
    """
    if sampling_frequency is None:
        raise TypeError("generate_single_fake_waveform() needs sampling_frequency")
    nbefore = int(sampling_frequency * ms_before / 1000.0)
    nafter = int(sampling_frequency * ms_after / 1000.0)
    t_ms = (np.arange(nbefore + nafter) - nbefore) * (1000.0 / sampling_frequency)
    params = {
        "depolarization_ms": depolarization_ms,
        "repolarization_ms": repolarization_ms,
        "recovery_ms": recovery_ms,
        "smooth_ms": smooth_ms,
        "positive_amplitude": positive_amplitude / abs(negative_amplitude),
    }
    if not (depolarization_ms > 0 and recovery_ms > 0 and smooth_ms >= 0):
        raise ValueError("depolarization_ms and recovery_ms must be > 0, smooth_ms >= 0")
    return (abs(negative_amplitude) * _biphasic(t_ms, params)).astype(dtype)


def generate_channel_locations(
    num_channels: int, num_columns: int, contact_spacing_um: float
) -> np.ndarray:
    """Channel positions on a grid of ``num_columns`` columns (SpikeInterface's toy layout).

    Parameters
    ----------
    num_channels : int
    num_columns : int
        Must divide ``num_channels`` when above 1; channels fill column after column.
    contact_spacing_um : float
        Pitch in x and y.

    Returns
    -------
    np.ndarray
        ``(num_channels, 2)`` float64 µm.
    """
    num_channels = _positive_int(num_channels, "num_channels")
    num_columns = _positive_int(num_columns, "num_columns")
    if num_channels % num_columns:
        raise ValueError(f"num_columns ({num_columns}) must divide num_channels ({num_channels})")
    per_column = num_channels // num_columns
    index = np.arange(num_channels)
    return np.column_stack(
        [(index // per_column) * contact_spacing_um, (index % per_column) * contact_spacing_um]
    ).astype("float64")


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
        given_range = unit_params_range.get(key, default_range)
        if given_range is None:
            params[key] = np.full(num_units, np.nan)
            continue
        bounds = np.asarray(given_range, dtype="float64")
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
    if not np.all(params["smooth_ms"] >= 0):
        raise ValueError("smooth_ms must be >= 0")
    speed = params["propagation_speed"]
    if not np.all(np.isnan(speed) | (speed > 0)):
        raise ValueError("propagation_speed must be positive (or None: no delay)")
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
        # a hair beyond the minimum, so that rounding never leaves a pair just below it
        missing = np.clip(minimum_distance * (1 + 1e-9) - distances, 0.0, None)
        if not missing.any() or round_index == rounds:
            break
        directions = offsets / np.maximum(distances, 1e-9)[..., None]
        units += 0.505 * (directions * missing[..., None]).sum(axis=1)
        np.clip(units, low, high, out=units)
    return int(np.count_nonzero(missing.any(axis=1)))
