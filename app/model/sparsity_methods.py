"""The sparsity methods the app offers, and computing one for what is open (no Qt).

With a waveform extractor open every method of `core.compute_sparsity` applies to its templates;
with only a recording and a sorting, ``radius`` and ``best_channels`` are estimated from a few
spikes per unit (`core.estimate_sparsity`) and ``by_property`` follows the sorting's property, or
the property of each unit's extremum channel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import core as si
from core.jobs import CancelToken


@dataclass(frozen=True)
class SparsityMethod:
    """One method of `core.compute_sparsity` and its parameter, as a form shows it.

    Attributes
    ----------
    key : str
        ``method`` of ``compute_sparsity``.
    label : str
        Shown in the method list.
    parameter : str
        Keyword of ``compute_sparsity`` the value goes to.
    parameter_label : str
    suffix : str
        Unit of the value (" µm"...).
    default, minimum, maximum : float
    decimals : int
        0 for a count.
    needs_extractor : bool
        Only computable from the templates of an open waveform extractor.
    """

    key: str
    label: str
    parameter: str
    parameter_label: str
    suffix: str = ""
    default: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0
    decimals: int = 1
    needs_extractor: bool = False

    def describe(self, value) -> str:
        """A short description of the method with ``value`` ("radius 100 µm")."""
        if self.key == "by_property":
            return f"by {value}"
        number = f"{value:g}" if self.decimals else f"{int(value)}"
        return {
            "radius": f"radius {number} µm",
            "best_channels": f"best {number} channels",
        }.get(self.key, f"{self.label} ≥ {number}")


METHODS: tuple[SparsityMethod, ...] = (
    SparsityMethod("radius", "Radius", "radius_um", "Radius", " µm", 100.0, 0.0, 10_000.0, 1),
    SparsityMethod(
        "best_channels", "Best channels", "num_channels", "Channels", "", 5, 1, 4096, 0
    ),
    SparsityMethod("snr", "SNR", "threshold", "Threshold", "", 5.0, 0.0, 1_000.0, 2, True),
    SparsityMethod("ptp", "Peak to peak", "threshold", "Threshold", " µV", 50.0, 0, 1e5, 1, True),
    SparsityMethod("energy", "Energy", "threshold", "Threshold", "", 5.0, 0.0, 1_000.0, 2, True),
    SparsityMethod("by_property", "By property", "by_property", "Property"),
)  # fmt: skip
PEAK_SIGNS = ("neg", "pos", "both")


def method(key: str) -> SparsityMethod:
    """The method named ``key``."""
    for candidate in METHODS:
        if candidate.key == key:
            return candidate
    raise ValueError(f"method must be one of {[m.key for m in METHODS]}, got {key!r}")


def available_methods(has_extractor: bool) -> list[SparsityMethod]:
    """Methods computable with (or without) an open waveform extractor."""
    return [m for m in METHODS if has_extractor or not m.needs_extractor]


def property_choices(recording, waveform_extractor=None) -> list[str]:
    """Channel properties a ``by_property`` sparsity can follow ("group" first)."""
    if recording is not None:
        keys = [k for k in recording.get_property_keys() if k not in _NOT_GROUPING]
    elif waveform_extractor is not None:
        try:
            keys = (
                ["group"] if waveform_extractor.get_recording_property("group") is not None else []
            )
        except ValueError:  # a store that kept no channel properties
            keys = []
    else:
        keys = []
    return sorted(keys, key=lambda k: (k != "group", k))


#: Channel properties that do not group channels.
_NOT_GROUPING = ("location", "contact_vector", "gain_to_uV", "offset_to_uV", "inter_sample_shift")


def compute_session_sparsity(
    key: str,
    value,
    peak_sign: str = "neg",
    waveform_extractor=None,
    recording=None,
    sorting=None,
    unit_channel_ids: dict | None = None,
    progress_callback: Callable[[int, int], None] | None = None,
    cancel_token: CancelToken | None = None,
) -> si.ChannelSparsity:
    """A sparsity of the open units by method ``key`` with its parameter ``value``.

    Parameters
    ----------
    key : str
        A method of `METHODS`.
    value : float, int or str
        Its parameter (a property name for ``by_property``).
    peak_sign : {"neg", "pos", "both"}
    waveform_extractor : WaveformExtractor or None
        Its templates are used when given.
    recording, sorting : BaseRecording, BaseSorting or None
        Otherwise: spikes are sampled from them.
    unit_channel_ids : dict or None
        Extremum channel per unit, for ``by_property`` without waveforms.
    progress_callback, cancel_token
        Passed on to the estimate.

    Raises
    ------
    ValueError
        If the method needs what is not open, or a property is unknown.
    """
    chosen = method(key)
    if peak_sign not in PEAK_SIGNS:
        raise ValueError(f"peak_sign must be one of {PEAK_SIGNS}, got {peak_sign!r}")
    if chosen.decimals == 0 and chosen.key != "by_property":
        value = int(value)
    if waveform_extractor is not None:
        return si.compute_sparsity(
            waveform_extractor, method=key, peak_sign=peak_sign, **{chosen.parameter: value}
        )
    if chosen.needs_extractor:
        raise ValueError(f"the {chosen.label} sparsity needs templates: extract waveforms first")
    if recording is None or sorting is None:
        raise ValueError("a sparsity needs waveforms, or a recording and a sorting")
    if key == "by_property":
        return _by_property(recording, sorting, str(value), unit_channel_ids or {})
    return si.estimate_sparsity(
        recording,
        sorting,
        method=key,
        peak_sign=peak_sign,
        progress_bar=False,
        progress_callback=progress_callback,
        cancel_token=cancel_token,
        **{chosen.parameter: value},
    )


def _by_property(recording, sorting, name: str, unit_channel_ids: dict) -> si.ChannelSparsity:
    """Each unit on the channels sharing its value of ``name`` (the sorting's value, else the
    value of its extremum channel)."""
    values = recording.get_property(name)
    if values is None:
        raise ValueError(f"the recording has no channel property {name!r}")
    unit_values = sorting.get_property(name)
    unit_ids = sorting.unit_ids
    if unit_values is None:
        missing = [u for u in unit_ids.tolist() if u not in unit_channel_ids]
        if missing:
            raise ValueError(
                f"units {missing[:10]} have no extremum channel yet (wait for 'Finding each "
                "unit's channel' to finish)"
            )
        indices = recording.ids_to_indices([unit_channel_ids[u] for u in unit_ids.tolist()])
        unit_values = values[indices]
    mask = np.asarray(unit_values)[:, None] == np.asarray(values)[None, :]
    return si.ChannelSparsity(mask, unit_ids, recording.channel_ids)
