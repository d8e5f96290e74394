"""What the metric functions take: a WaveformExtractor, or a sorting for spike-train metrics.

SpikeInterface 0.100's metric functions take a WaveformExtractor. Those that need only spike
trains and the recording's duration also accept a sorting here, whose duration comes from its
registered recording (``sorting.register_recording(recording)``): the units table computes them
this way before any waveform exists.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..sorting.base import BaseSorting
from ..waveforms.extractor import WaveformExtractor

__all__ = [
    "amplitudes_by_unit",
    "check_peak_sign",
    "require_waveform_extractor",
    "selected_unit_ids",
    "sorting_of",
    "total_duration",
]


def sorting_of(source: Any, function_name: str) -> BaseSorting:
    """The sorting of a WaveformExtractor, or the sorting itself.

    Raises
    ------
    TypeError
        If ``source`` is neither.
    """
    if isinstance(source, WaveformExtractor):
        return source.sorting
    if isinstance(source, BaseSorting):
        return source
    raise TypeError(
        f"{function_name}() takes a WaveformExtractor or a sorting, got {type(source).__name__}"
    )


def _timing_error(function_name: str) -> ValueError:
    return ValueError(
        f"{function_name}() needs the recording's duration: give a WaveformExtractor, or a "
        "sorting with a registered recording (sorting.register_recording(recording))"
    )


def segment_lengths(source: Any, function_name: str) -> list[int]:
    """Samples of each segment of the recording behind ``source``."""
    sorting_of(source, function_name)
    if isinstance(source, BaseSorting) and not source.has_recording():
        raise _timing_error(function_name)
    return [int(source.get_num_samples(i)) for i in range(source.get_num_segments())]


def total_duration(source: Any, function_name: str) -> float:
    """Duration of the recording behind ``source`` in seconds, summed over segments."""
    return sum(segment_lengths(source, function_name)) / source.sampling_frequency


def require_waveform_extractor(source: Any, function_name: str) -> WaveformExtractor:
    """``source`` if it is a WaveformExtractor (``TypeError`` otherwise)."""
    if not isinstance(source, WaveformExtractor):
        raise TypeError(
            f"{function_name}() needs a WaveformExtractor (templates or waveforms), got "
            f"{type(source).__name__}"
        )
    return source


def selected_unit_ids(sorting: BaseSorting, unit_ids) -> tuple[np.ndarray, np.ndarray]:
    """The requested unit ids (all when None) and their indices in the sorting.

    Raises
    ------
    ValueError
        If a unit id is not in the sorting.
    """
    if unit_ids is None:
        return sorting.unit_ids, np.arange(len(sorting.unit_ids))
    unit_ids = np.asarray(unit_ids)
    try:
        indices = np.asarray(sorting.ids_to_indices(unit_ids), dtype="int64")
    except (KeyError, ValueError) as error:
        raise ValueError(f"unit_ids: {error}") from None
    return unit_ids, indices


def check_peak_sign(peak_sign: Any) -> None:
    """``ValueError`` unless ``peak_sign`` is "neg", "pos" or "both"."""
    if peak_sign not in ("neg", "pos", "both"):
        raise ValueError(f"peak_sign must be 'neg', 'pos' or 'both', got {peak_sign!r}")


def amplitudes_by_unit(
    we: WaveformExtractor, unit_ids, peak_sign: str
) -> tuple[dict[Any, np.ndarray], bool]:
    """Spike amplitudes of each unit, as SpikeInterface's amplitude metrics take them.

    From the ``spike_amplitudes`` extension when it exists (all spikes, segments
    concatenated), else from the waveforms: the sampled spikes' value at ``nbefore`` on the
    template's extremum channel.

    Returns
    -------
    amplitudes : dict
        ``{unit_id: amplitudes}``.
    positive_peaks : bool
        Whether the amplitudes come from positive peaks (the extension's ``peak_sign``, or
        ``peak_sign`` for waveforms), which amplitude cutoffs invert.
    """
    from ..waveforms.template_tools import get_template_extremum_channel

    if we.has_extension("spike_amplitudes"):
        extension = we.load_extension("spike_amplitudes")
        by_segment = extension.get_data(outputs="by_unit")
        amplitudes = {u: np.concatenate([seg[u] for seg in by_segment]) for u in unit_ids}
        return amplitudes, extension._params["peak_sign"] == "pos"
    channels = get_template_extremum_channel(we, peak_sign=peak_sign)
    # built once: the property makes a dict of every unit (500 units: 250,000 lookups per call)
    sparse_channels = we.sparsity.unit_id_to_channel_ids if we.is_sparse() else None
    amplitudes = {}
    for unit_id in unit_ids:
        waveforms = we.get_waveforms(unit_id)
        if sparse_channels is not None:
            unit_channels = sparse_channels[unit_id]
            channel_index = int(np.flatnonzero(unit_channels == channels[unit_id])[0])
        else:
            channel_index = int(we.channel_ids_to_indices([channels[unit_id]])[0])
        amplitudes[unit_id] = np.asarray(waveforms[:, we.nbefore, channel_index])
    return amplitudes, peak_sign == "pos"
