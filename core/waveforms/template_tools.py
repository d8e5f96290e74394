"""Template tools: per-channel amplitudes, extremum channels, peak shifts and amplitudes.

Every function takes a `WaveformExtractor` (its dense average templates,
``get_all_templates(mode="average")``) or a `Templates` (``get_dense_templates()``) and returns a
dict keyed by unit id, in unit order. The work is vectorised over units.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

PeakSign = Literal["neg", "pos", "both"]
AmplitudeMode = Literal["extremum", "at_index"]

_PEAK_SIGNS = ("neg", "pos", "both")
_MODES = ("extremum", "at_index")
_OUTPUTS = ("id", "index")


def _check_choice(value: Any, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        expected = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name} must be one of {expected}, got {value!r}")


def _dense_templates(templates_or_waveform_extractor: Any) -> np.ndarray:
    """The dense average templates of a `WaveformExtractor` or a `Templates`.

    Parameters
    ----------
    templates_or_waveform_extractor : WaveformExtractor | Templates
        Source of the templates.

    Returns
    -------
    np.ndarray
        ``(num_units, num_samples, num_channels)``, zeros outside a sparsity.

    Raises
    ------
    TypeError
        If ``templates_or_waveform_extractor`` is neither.
    """
    # duck-typed so that any object with the WaveformExtractor interface works
    if hasattr(templates_or_waveform_extractor, "get_dense_templates"):
        return np.asarray(templates_or_waveform_extractor.get_dense_templates())
    if hasattr(templates_or_waveform_extractor, "get_all_templates"):
        return np.asarray(templates_or_waveform_extractor.get_all_templates(mode="average"))
    raise TypeError(
        "templates_or_waveform_extractor must be a WaveformExtractor or a Templates, "
        f"got {type(templates_or_waveform_extractor).__name__}"
    )


def _amplitude_array(templates: np.ndarray, nbefore: int, peak_sign: str, mode: str) -> np.ndarray:
    """``(num_units, num_channels)`` amplitudes (see `get_template_amplitudes`)."""
    if mode == "extremum":
        if peak_sign == "neg":
            return -np.min(templates, axis=1)
        if peak_sign == "pos":
            return np.max(templates, axis=1)
        return np.max(np.abs(templates), axis=1)
    values = templates[:, nbefore, :]
    if peak_sign == "neg":
        return -values
    if peak_sign == "pos":
        return values.copy()
    return np.abs(values)


def _source_amplitudes(source: Any, peak_sign: str, mode: str) -> np.ndarray:
    """``(num_units, num_channels)`` amplitudes of a WaveformExtractor or a Templates.

    A sparse WaveformExtractor's come from each unit's sparse template (zeros elsewhere, as
    in its dense templates): no dense copy of every template (hundreds of units on hundreds
    of channels are tens of MB, copied while holding the GIL).
    """
    is_sparse = getattr(source, "is_sparse", None)
    if callable(is_sparse) and is_sparse() and hasattr(source, "precompute_templates"):
        source.precompute_templates(modes=["average"], n_jobs=1)  # the cache they come from
        mask = source.sparsity.mask
        amplitudes = None
        for row, unit_id in enumerate(source.unit_ids):
            template = np.asarray(source.get_template(unit_id, mode="average"))
            values = _amplitude_array(template[np.newaxis], source.nbefore, peak_sign, mode)[0]
            if amplitudes is None:
                amplitudes = np.zeros(mask.shape, dtype=values.dtype)
            amplitudes[row, mask[row]] = values
        if amplitudes is not None:
            return amplitudes
    templates = _dense_templates(source)
    return _amplitude_array(templates, source.nbefore, peak_sign, mode)


def _extremum_indices(templates: np.ndarray, nbefore: int, peak_sign: str, mode: str) -> np.ndarray:
    """Per unit, the index of the channel with the largest absolute amplitude (first on ties)."""
    amplitudes = _amplitude_array(templates, nbefore, peak_sign, mode)
    return np.argmax(np.abs(amplitudes), axis=1)


def get_template_amplitudes(
    templates_or_waveform_extractor: Any,
    peak_sign: PeakSign = "neg",
    mode: AmplitudeMode = "extremum",
) -> dict[Any, np.ndarray]:
    """Amplitude of each unit's template on every channel.

    Parameters
    ----------
    templates_or_waveform_extractor : WaveformExtractor | Templates
        Source of the templates.
    peak_sign : {"neg", "pos", "both"}, default: "neg"
        ``"neg"``: the trough, as a positive number; ``"pos"``: the peak; ``"both"``: the largest
        absolute value.
    mode : {"extremum", "at_index"}, default: "extremum"
        ``"extremum"``: over the whole template; ``"at_index"``: at sample ``nbefore`` (the spike
        time).

    Returns
    -------
    dict
        ``{unit_id: (num_channels,) array}``.

    Raises
    ------
    ValueError
        If ``peak_sign`` or ``mode`` is unknown.
    TypeError
        If ``templates_or_waveform_extractor`` is neither a WaveformExtractor nor a Templates.
    """
    _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
    _check_choice(mode, "mode", _MODES)
    amplitudes = _source_amplitudes(templates_or_waveform_extractor, peak_sign, mode)
    return dict(zip(templates_or_waveform_extractor.unit_ids, amplitudes))


def get_template_extremum_channel(
    templates_or_waveform_extractor: Any,
    peak_sign: PeakSign = "neg",
    mode: AmplitudeMode = "extremum",
    outputs: Literal["id", "index"] = "id",
) -> dict[Any, Any]:
    """The channel where each unit's template is largest.

    Parameters
    ----------
    templates_or_waveform_extractor : WaveformExtractor | Templates
        Source of the templates.
    peak_sign : {"neg", "pos", "both"}, default: "neg"
        See `get_template_amplitudes`.
    mode : {"extremum", "at_index"}, default: "extremum"
        See `get_template_amplitudes`.
    outputs : {"id", "index"}, default: "id"
        Return channel ids or channel indices.

    Returns
    -------
    dict
        ``{unit_id: channel_id}`` (or ``{unit_id: channel_index}``): the channel with the largest
        absolute amplitude; the first such channel on ties.

    Raises
    ------
    ValueError
        If ``peak_sign``, ``mode`` or ``outputs`` is unknown.
    TypeError
        If ``templates_or_waveform_extractor`` is neither a WaveformExtractor nor a Templates.
    """
    _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
    _check_choice(mode, "mode", _MODES)
    _check_choice(outputs, "outputs", _OUTPUTS)
    amplitudes = _source_amplitudes(templates_or_waveform_extractor, peak_sign, mode)
    indices = np.argmax(np.abs(amplitudes), axis=1)
    if outputs == "id":
        values = np.asarray(templates_or_waveform_extractor.channel_ids)[indices]
    else:
        values = indices
    return dict(zip(templates_or_waveform_extractor.unit_ids, values))


def get_template_extremum_channel_peak_shift(
    templates_or_waveform_extractor: Any, peak_sign: PeakSign = "neg"
) -> dict[Any, int]:
    """Offset of each unit's peak from ``nbefore`` on its extremum channel.

    Parameters
    ----------
    templates_or_waveform_extractor : WaveformExtractor | Templates
        Source of the templates.
    peak_sign : {"neg", "pos", "both"}, default: "neg"
        Which peak: the minimum, the maximum or the largest absolute value. Also used to find
        the extremum channel (``mode="extremum"``).

    Returns
    -------
    dict
        ``{unit_id: int}``: peak sample minus ``nbefore`` (negative when the peak comes early).

    Raises
    ------
    ValueError
        If ``peak_sign`` is unknown.
    TypeError
        If ``templates_or_waveform_extractor`` is neither a WaveformExtractor nor a Templates.
    """
    _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
    templates = _dense_templates(templates_or_waveform_extractor)
    nbefore = templates_or_waveform_extractor.nbefore
    channels = _extremum_indices(templates, nbefore, peak_sign, "extremum")
    traces = templates[np.arange(templates.shape[0]), :, channels]  # (num_units, num_samples)
    if peak_sign == "neg":
        peaks = np.argmin(traces, axis=1)
    elif peak_sign == "pos":
        peaks = np.argmax(traces, axis=1)
    else:
        peaks = np.argmax(np.abs(traces), axis=1)
    return {
        unit_id: int(peak) - nbefore
        for unit_id, peak in zip(templates_or_waveform_extractor.unit_ids, peaks)
    }


def get_template_extremum_amplitude(
    templates_or_waveform_extractor: Any,
    peak_sign: PeakSign = "neg",
    mode: AmplitudeMode = "at_index",
) -> dict[Any, float]:
    """Amplitude of each unit's template on its extremum channel.

    Parameters
    ----------
    templates_or_waveform_extractor : WaveformExtractor | Templates
        Source of the templates.
    peak_sign : {"neg", "pos", "both"}, default: "neg"
        See `get_template_amplitudes`.
    mode : {"extremum", "at_index"}, default: "at_index"
        See `get_template_amplitudes`; used both to choose the channel and to read the amplitude.
        Note the default, ``"at_index"``, differs from the other functions'.

    Returns
    -------
    dict
        ``{unit_id: float}``.

    Raises
    ------
    ValueError
        If ``peak_sign`` or ``mode`` is unknown.
    TypeError
        If ``templates_or_waveform_extractor`` is neither a WaveformExtractor nor a Templates.
    """
    _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
    _check_choice(mode, "mode", _MODES)
    templates = _dense_templates(templates_or_waveform_extractor)
    amplitudes = _amplitude_array(
        templates, templates_or_waveform_extractor.nbefore, peak_sign, mode
    )
    channels = np.argmax(np.abs(amplitudes), axis=1)
    values = amplitudes[np.arange(amplitudes.shape[0]), channels]
    return {
        unit_id: float(value)
        for unit_id, value in zip(templates_or_waveform_extractor.unit_ids, values)
    }


def get_template_channel_sparsity(
    templates_or_waveform_extractor: Any,
    method: str = "radius",
    peak_sign: PeakSign = "neg",
    num_channels: int | None = 5,
    radius_um: float | None = 100.0,
    threshold: float | None = 5,
    by_property: str | None = None,
    outputs: Literal["id", "index"] = "id",
) -> dict[Any, np.ndarray]:
    """Deprecated: use `compute_sparsity` and its ``unit_id_to_channel_ids``.

    Parameters
    ----------
    templates_or_waveform_extractor : WaveformExtractor | Templates
        Source of the templates.
    method, peak_sign, num_channels, radius_um, threshold, by_property
        As in `compute_sparsity`.
    outputs : {"id", "index"}, default: "id"
        Return channel ids (``unit_id_to_channel_ids``) or indices
        (``unit_id_to_channel_indices``).

    Returns
    -------
    dict
        ``{unit_id: array of channel ids or indices}``.

    Raises
    ------
    ValueError
        If ``outputs`` is unknown, or as `compute_sparsity`.
    """
    warnings.warn(
        "get_template_channel_sparsity() is deprecated: use compute_sparsity(), then "
        "sparsity.unit_id_to_channel_ids or sparsity.unit_id_to_channel_indices",
        DeprecationWarning,
        stacklevel=2,
    )
    _check_choice(outputs, "outputs", _OUTPUTS)
    # imported here: the sparsity module builds on this one
    from .sparsity import compute_sparsity

    sparsity = compute_sparsity(
        templates_or_waveform_extractor,
        method=method,
        peak_sign=peak_sign,
        num_channels=num_channels,
        radius_um=radius_um,
        threshold=threshold,
        by_property=by_property,
    )
    if outputs == "id":
        return sparsity.unit_id_to_channel_ids
    return sparsity.unit_id_to_channel_indices
