"""Channel sparsity: which channels carry each unit's waveforms.

`ChannelSparsity` holds a boolean ``(num_units, num_channels)`` mask; `compute_sparsity` builds one
from templates (``"best_channels"``, ``"radius"``) or from a `WaveformExtractor` (``"snr"``,
``"ptp"``, ``"energy"``, ``"by_property"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import InvalidInputError
from ..recording.tools import get_noise_levels
from .template_tools import (
    PeakSign,
    _amplitude_array,
    _check_choice,
    _dense_templates,
    _extremum_indices,
)

_PEAK_SIGNS = ("neg", "pos", "both")
# each method and the compute_sparsity argument it needs
_METHOD_PARAMETERS = {
    "best_channels": "num_channels",
    "radius": "radius_um",
    "snr": "threshold",
    "ptp": "threshold",
    "energy": "threshold",
    "by_property": "by_property",
}
# the SpikeInterface documentation calls the SNR method "threshold"
_METHOD_ALIASES = {"threshold": "snr"}
_TEMPLATE_METHODS = ("best_channels", "radius")
_DICT_KEYS = ("unit_id_to_channel_ids", "channel_ids", "unit_ids")


def _require_waveform_extractor(we: Any, method: str, needs_recording: bool) -> None:
    """Raise unless ``we`` looks like a WaveformExtractor (with its recording if needed)."""
    if not hasattr(we, "get_all_templates") or not hasattr(we, "sorting"):
        raise TypeError(
            f"sparsity method {method!r} needs a WaveformExtractor as we, got {type(we).__name__}"
        )
    if needs_recording and not we.has_recording():
        raise ValueError(
            f"sparsity method {method!r} needs the recording to estimate noise levels, "
            "but this WaveformExtractor has none (load it with its recording)"
        )


def _noise_levels(we: Any) -> np.ndarray:
    return np.asarray(get_noise_levels(we.recording, return_scaled=we.return_scaled))


def _positions(values: Iterable[Any], among: np.ndarray, name: str, of: str) -> np.ndarray:
    """Index of each of ``values`` in ``among``, with a ValueError naming unknown ones."""
    lookup = {value: index for index, value in enumerate(among.tolist())}
    values = [value.item() if isinstance(value, np.generic) else value for value in values]
    unknown = [value for value in values if value not in lookup]
    if unknown:
        raise ValueError(f"{name} holds ids that are not in {of}: {unknown}")
    return np.array([lookup[value] for value in values], dtype=np.int64)


class ChannelSparsity:
    """Per-unit subsets of channels.

    Parameters
    ----------
    mask : array-like of bool
        ``(num_units, num_channels)``; True where a channel is kept for a unit.
    unit_ids : array-like
        Ids of the mask's rows.
    channel_ids : array-like
        Ids of the mask's columns.

    Raises
    ------
    ValueError
        If ``mask`` does not have shape ``(len(unit_ids), len(channel_ids))``.
    """

    def __init__(self, mask, unit_ids, channel_ids) -> None:
        self.unit_ids = np.asarray(unit_ids)
        self.channel_ids = np.asarray(channel_ids)
        self.mask = np.asarray(mask, dtype=bool)
        if self.unit_ids.ndim != 1:
            raise ValueError(f"unit_ids must be 1-D, got shape {self.unit_ids.shape}")
        if self.channel_ids.ndim != 1:
            raise ValueError(f"channel_ids must be 1-D, got shape {self.channel_ids.shape}")
        expected = (self.unit_ids.size, self.channel_ids.size)
        if self.mask.shape != expected:
            raise InvalidInputError(
                f"mask must have shape (num_units, num_channels) = {expected}, "
                f"got {self.mask.shape}"
            )
        self.num_units = int(self.unit_ids.size)
        self.num_channels = int(self.channel_ids.size)
        self.max_num_active_channels = int(self.mask.sum(axis=1).max(initial=0))
        self._unit_indices = {unit_id: index for index, unit_id in enumerate(self.unit_ids)}

    def __repr__(self) -> str:
        density = float(self.mask.mean()) if self.mask.size else 0.0
        return (
            f"ChannelSparsity - units: {self.num_units} - channels: {self.num_channels} "
            f"- density, P(x=1): {density:0.2f}"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ChannelSparsity):
            return NotImplemented
        return (
            np.array_equal(self.unit_ids, other.unit_ids)
            and np.array_equal(self.channel_ids, other.channel_ids)
            and np.array_equal(self.mask, other.mask)
        )

    __hash__ = None  # mutable arrays: equal objects need not stay equal

    @property
    def unit_id_to_channel_ids(self) -> dict[Any, np.ndarray]:
        """``{unit_id: array of channel ids}`` in channel order."""
        return {unit_id: self.channel_ids[row] for unit_id, row in zip(self.unit_ids, self.mask)}

    @property
    def unit_id_to_channel_indices(self) -> dict[Any, np.ndarray]:
        """``{unit_id: array of channel indices}``, ready to slice arrays with."""
        return {unit_id: np.flatnonzero(row) for unit_id, row in zip(self.unit_ids, self.mask)}

    def _active_channels(self, unit_id: Any) -> np.ndarray:
        try:
            unit_index = self._unit_indices[unit_id]
        except (KeyError, TypeError):
            raise ValueError(f"unit_id {unit_id!r} is not one of this sparsity's units") from None
        return np.flatnonzero(self.mask[unit_index])

    # ------------------------------------------------------------------ waveforms
    def are_waveforms_dense(self, waveforms: np.ndarray) -> bool:
        """Whether the last axis of ``waveforms`` (``(..., channels)``) spans all channels."""
        return waveforms.shape[-1] == self.num_channels

    def are_waveforms_sparse(self, waveforms: np.ndarray, unit_id: Any) -> bool:
        """Whether ``waveforms`` hold the unit's ``k`` active channels first and only zeros after.

        Parameters
        ----------
        waveforms : np.ndarray
            ``(..., channels)``; sparse arrays may be zero-padded beyond ``k`` columns (as when
            units of different sparsity share one array).
        unit_id : hashable
            The unit; a ValueError if unknown.

        Returns
        -------
        bool
            At least ``k`` columns, and every value beyond the first ``k`` is zero.
        """
        num_active = self._active_channels(unit_id).size
        if waveforms.shape[-1] < num_active:
            return False
        return not np.any(waveforms[..., num_active:])

    def sparsify_waveforms(self, waveforms: np.ndarray, unit_id: Any) -> np.ndarray:
        """Keep the unit's active channels of dense ``(..., num_channels)`` waveforms.

        Parameters
        ----------
        waveforms : np.ndarray
            Dense waveforms; ones that already look sparse are returned unchanged.
        unit_id : hashable
            The unit; a ValueError if unknown.

        Returns
        -------
        np.ndarray
            ``(..., k)`` with ``k`` the unit's number of active channels.

        Raises
        ------
        ValueError
            If ``waveforms`` are neither sparse nor dense.
        """
        if self.are_waveforms_sparse(waveforms, unit_id):
            return waveforms
        if not self.are_waveforms_dense(waveforms):
            raise ValueError(
                f"waveforms must have {self.num_channels} channels on their last axis (dense) "
                f"or look sparse for unit {unit_id!r}, got shape {waveforms.shape}"
            )
        return waveforms[..., self._active_channels(unit_id)]

    def sparsify_templates(self, templates_array: np.ndarray) -> np.ndarray:
        """Dense templates made sparse: each unit's active channels first, zeros after.

        Parameters
        ----------
        templates_array : np.ndarray
            ``(num_units, num_samples, num_channels)``.

        Returns
        -------
        np.ndarray
            ``(num_units, num_samples, max_num_active_channels)``, of the input dtype.
        """
        templates_array = np.asarray(templates_array)
        if templates_array.ndim != 3 or templates_array.shape[0] != self.num_units:
            raise ValueError(
                f"templates_array must have shape ({self.num_units}, num_samples, "
                f"{self.num_channels}), got {templates_array.shape}"
            )
        sparse = np.zeros(
            templates_array.shape[:2] + (self.max_num_active_channels,), templates_array.dtype
        )
        for unit_index, unit_id in enumerate(self.unit_ids):
            active = self.sparsify_waveforms(templates_array[unit_index], unit_id)
            sparse[unit_index, :, : active.shape[-1]] = active
        return sparse

    #: SpikeInterface 0.100's spelling.
    sparisfy_templates = sparsify_templates

    def densify_waveforms(self, waveforms: np.ndarray, unit_id: Any) -> np.ndarray:
        """Spread a unit's sparse waveforms over all channels, zeros elsewhere.

        Parameters
        ----------
        waveforms : np.ndarray
            ``(..., k_or_more)``: the unit's ``k`` active channels first, zero-padded after.
        unit_id : hashable
            The unit; a ValueError if unknown.

        Returns
        -------
        np.ndarray
            ``(..., num_channels)``, same dtype.

        Raises
        ------
        ValueError
            If ``waveforms`` do not look sparse for ``unit_id``.
        """
        active = self._active_channels(unit_id)
        if not self.are_waveforms_sparse(waveforms, unit_id):
            raise ValueError(
                f"waveforms do not look sparse for unit {unit_id!r}: expected its {active.size} "
                f"active channels first and zeros after, got shape {waveforms.shape}"
            )
        dense = np.zeros(waveforms.shape[:-1] + (self.num_channels,), dtype=waveforms.dtype)
        dense[..., active] = waveforms[..., : active.size]
        return dense

    # ------------------------------------------------------------------ dictionaries
    @classmethod
    def from_unit_id_to_channel_ids(
        cls, unit_id_to_channel_ids: Mapping[Any, Any], unit_ids, channel_ids
    ) -> ChannelSparsity:
        """Build from ``{unit_id: channel ids}``; units missing from the mapping get none.

        Parameters
        ----------
        unit_id_to_channel_ids : Mapping
            Active channel ids per unit; unknown unit or channel ids raise a ValueError.
        unit_ids, channel_ids : array-like
            All ids, in order.

        Returns
        -------
        ChannelSparsity
        """
        unit_ids = np.asarray(unit_ids)
        channel_ids = np.asarray(channel_ids)
        mask = np.zeros((unit_ids.size, channel_ids.size), dtype=bool)
        rows = _positions(unit_id_to_channel_ids, unit_ids, "unit_id_to_channel_ids", "unit_ids")
        for row, chan_ids in zip(rows, unit_id_to_channel_ids.values()):
            columns = _positions(chan_ids, channel_ids, "unit_id_to_channel_ids", "channel_ids")
            mask[row, columns] = True
        return cls(mask, unit_ids, channel_ids)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able description, the layout of SpikeInterface's ``sparsity.json``.

        Returns
        -------
        dict
            ``{"unit_id_to_channel_ids": {unit_id: [ids]}, "channel_ids": [...],
            "unit_ids": [...]}`` with Python scalars.
        """
        return {
            "unit_id_to_channel_ids": {
                unit_id: self.channel_ids[row].tolist()
                for unit_id, row in zip(self.unit_ids.tolist(), self.mask)
            },
            "channel_ids": self.channel_ids.tolist(),
            "unit_ids": self.unit_ids.tolist(),
        }

    @classmethod
    def from_dict(cls, dictionary: Mapping[str, Any]) -> ChannelSparsity:
        """Inverse of `to_dict`, also after a JSON round trip (unit-id keys become strings).

        Parameters
        ----------
        dictionary : Mapping
            With keys ``unit_id_to_channel_ids``, ``channel_ids`` and ``unit_ids`` (a ValueError
            names a missing key or a unit without an entry).

        Returns
        -------
        ChannelSparsity
        """
        missing = [key for key in _DICT_KEYS if key not in dictionary]
        if missing:
            raise ValueError(f"dictionary lacks the keys {missing}")
        unit_ids = np.asarray(dictionary["unit_ids"])
        by_unit = dictionary["unit_id_to_channel_ids"]
        restored = {}
        for unit_id in unit_ids.tolist():
            # JSON turns every key into a string: look each unit up both ways
            key = unit_id if unit_id in by_unit else str(unit_id)
            if key not in by_unit:
                raise ValueError(f"dictionary['unit_id_to_channel_ids'] lacks unit {unit_id!r}")
            restored[unit_id] = by_unit[key]
        return cls.from_unit_id_to_channel_ids(restored, unit_ids, dictionary["channel_ids"])

    # ------------------------------------------------------------------ constructors
    @classmethod
    def create_dense(cls, we: Any) -> ChannelSparsity:
        """Every channel for every unit of ``we`` (a WaveformExtractor or a Templates)."""
        mask = np.ones((len(we.unit_ids), len(we.channel_ids)), dtype=bool)
        return cls(mask, we.unit_ids, we.channel_ids)

    @classmethod
    def from_best_channels(
        cls, templates_or_we: Any, num_channels: int, peak_sign: PeakSign = "neg"
    ) -> ChannelSparsity:
        """Each unit's ``num_channels`` channels of largest absolute template amplitude.

        Parameters
        ----------
        templates_or_we : WaveformExtractor | Templates
            Source of the templates.
        num_channels : int
            Positive; channels per unit (all of them if larger than their number).
        peak_sign : {"neg", "pos", "both"}, default: "neg"
            See `get_template_amplitudes` (``mode="extremum"``).

        Returns
        -------
        ChannelSparsity
        """
        if (
            isinstance(num_channels, bool)
            or not isinstance(num_channels, int | np.integer)
            or num_channels < 1
        ):
            raise ValueError(f"num_channels must be a positive int, got {num_channels!r}")
        _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
        templates = _dense_templates(templates_or_we)
        amplitudes = _amplitude_array(templates, templates_or_we.nbefore, peak_sign, "extremum")
        # descending order as the reverse of numpy's default argsort: SpikeInterface's tie order
        best = np.argsort(np.abs(amplitudes), axis=1)[:, ::-1][:, :num_channels]
        mask = np.zeros(amplitudes.shape, dtype=bool)
        np.put_along_axis(mask, best, True, axis=1)
        return cls(mask, templates_or_we.unit_ids, templates_or_we.channel_ids)

    @classmethod
    def from_radius(
        cls, templates_or_we: Any, radius_um: float, peak_sign: PeakSign = "neg"
    ) -> ChannelSparsity:
        """Channels within ``radius_um`` (``<=``, Euclidean) of each unit's extremum channel.

        Parameters
        ----------
        templates_or_we : WaveformExtractor | Templates
            Source of the templates and of ``get_channel_locations()``.
        radius_um : float
            Non-negative radius in µm.
        peak_sign : {"neg", "pos", "both"}, default: "neg"
            Chooses the extremum channel (see `get_template_extremum_channel`).

        Returns
        -------
        ChannelSparsity
        """
        if radius_um is None or radius_um < 0:
            raise ValueError(f"radius_um must be a non-negative number, got {radius_um!r}")
        _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
        templates = _dense_templates(templates_or_we)
        extremum = _extremum_indices(templates, templates_or_we.nbefore, peak_sign, "extremum")
        locations = np.asarray(templates_or_we.get_channel_locations(), dtype=float)
        offsets = locations[extremum][:, np.newaxis, :] - locations[np.newaxis, :, :]
        mask = np.linalg.norm(offsets, axis=2) <= radius_um
        return cls(mask, templates_or_we.unit_ids, templates_or_we.channel_ids)

    @classmethod
    def from_snr(cls, we: Any, threshold: float, peak_sign: PeakSign = "neg") -> ChannelSparsity:
        """Channels where ``|template amplitude| / noise >= threshold``.

        Noise comes from `get_noise_levels` on ``we.recording`` with ``we.return_scaled``.

        Parameters
        ----------
        we : WaveformExtractor
            With its recording (TypeError otherwise, ValueError when recordingless).
        threshold : float
            Minimum signal-to-noise ratio.
        peak_sign : {"neg", "pos", "both"}, default: "neg"
            See `get_template_amplitudes` (``mode="extremum"``).

        Returns
        -------
        ChannelSparsity
        """
        _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
        _require_waveform_extractor(we, "snr", needs_recording=True)
        amplitudes = _amplitude_array(_dense_templates(we), we.nbefore, peak_sign, "extremum")
        mask = np.abs(amplitudes) / _noise_levels(we) >= threshold
        return cls(mask, we.unit_ids, we.channel_ids)

    @classmethod
    def from_ptp(cls, we: Any, threshold: float) -> ChannelSparsity:
        """Channels where ``template peak-to-peak / noise >= threshold``.

        Parameters
        ----------
        we : WaveformExtractor
            With its recording, as for `from_snr`.
        threshold : float
            Minimum ratio.

        Returns
        -------
        ChannelSparsity
        """
        _require_waveform_extractor(we, "ptp", needs_recording=True)
        peak_to_peak = np.ptp(_dense_templates(we), axis=1)
        mask = peak_to_peak / _noise_levels(we) >= threshold
        return cls(mask, we.unit_ids, we.channel_ids)

    @classmethod
    def from_energy(cls, we: Any, threshold: float) -> ChannelSparsity:
        """Channels where the waveforms' root mean square over the noise reaches ``threshold``.

        Parameters
        ----------
        we : WaveformExtractor
            With its recording, as for `from_snr`; every unit's waveforms are read.
        threshold : float
            Minimum ``sqrt(mean(waveforms ** 2)) / noise``, the mean over spikes and samples.
            Units without waveforms get no channel.

        Returns
        -------
        ChannelSparsity
        """
        _require_waveform_extractor(we, "energy", needs_recording=True)
        noise = _noise_levels(we)
        mask = np.zeros((len(we.unit_ids), len(we.channel_ids)), dtype=bool)
        for unit_index, unit_id in enumerate(we.unit_ids):
            waveforms = np.asarray(we.get_waveforms(unit_id))
            if waveforms.shape[0] == 0:
                continue
            if we.is_sparse():
                waveforms = we.sparsity.densify_waveforms(waveforms, unit_id)
            rms = np.sqrt(np.mean(np.square(waveforms, dtype=np.float64), axis=(0, 1)))
            mask[unit_index] = rms / noise >= threshold
        return cls(mask, we.unit_ids, we.channel_ids)

    @classmethod
    def from_property(
        cls, we: Any, by_property: str, peak_sign: PeakSign = "neg"
    ) -> ChannelSparsity:
        """Channels whose recording property equals the unit's value (e.g. "group").

        A unit's value is the sorting's property when the sorting has it; otherwise the value
        of the unit's extremum channel (the usual case for tetrodes: groups are set on channels
        only).

        Parameters
        ----------
        we : WaveformExtractor
            Its recording (or recording attributes) must hold the property; a ValueError names
            it when missing, or units whose value no channel has.
        by_property : str
            Property name.
        peak_sign : {"neg", "pos", "both"}, default: "neg"
            Chooses the extremum channel when the sorting lacks the property (see
            `get_template_extremum_channel`).

        Returns
        -------
        ChannelSparsity
        """
        _require_waveform_extractor(we, "by_property", needs_recording=False)
        channel_values = we.get_recording_property(by_property)
        if channel_values is None:
            raise ValueError(f"by_property {by_property!r} is not a property of the recording")
        unit_values = we.sorting.get_property(by_property)
        if unit_values is None:
            _check_choice(peak_sign, "peak_sign", _PEAK_SIGNS)
            extremum = _extremum_indices(_dense_templates(we), we.nbefore, peak_sign, "extremum")
            unit_values = np.asarray(channel_values)[extremum]
        mask = np.asarray(unit_values)[:, np.newaxis] == np.asarray(channel_values)[np.newaxis, :]
        if mask.ndim > 2:  # a property with several values per id (e.g. "location")
            mask = mask.reshape(mask.shape[0], mask.shape[1], -1).all(axis=2)
        orphans = np.asarray(we.unit_ids)[~mask.any(axis=1)]
        if orphans.size:
            raise ValueError(
                f"units {orphans.tolist()} have a {by_property!r} value that no channel has"
            )
        return cls(mask, we.unit_ids, we.channel_ids)


def compute_sparsity(
    templates_or_waveform_extractor: Any,
    method: str = "radius",
    peak_sign: PeakSign = "neg",
    num_channels: int | None = 5,
    radius_um: float | None = 100.0,
    threshold: float | None = 5,
    by_property: str | None = None,
) -> ChannelSparsity:
    """Compute a `ChannelSparsity` with one of several methods.

    Parameters
    ----------
    templates_or_waveform_extractor : WaveformExtractor | Templates
        ``"best_channels"`` and ``"radius"`` accept both; the others need a WaveformExtractor.
    method : {"radius", "best_channels", "snr", "ptp", "energy", "by_property"}, default: "radius"
        ``"threshold"`` is another name for ``"snr"``. See the ``ChannelSparsity.from_*``
        constructors.
    peak_sign : {"neg", "pos", "both"}, default: "neg"
        For ``"best_channels"``, ``"radius"``, ``"snr"`` and ``"by_property"`` (when the
        sorting lacks the property, each unit takes its extremum channel's value).
    num_channels : int, default: 5
        For ``"best_channels"``.
    radius_um : float, default: 100.0
        For ``"radius"``.
    threshold : float, default: 5
        For ``"snr"``, ``"ptp"`` and ``"energy"``.
    by_property : str | None
        For ``"by_property"``.

    Returns
    -------
    ChannelSparsity

    Raises
    ------
    ValueError
        If ``method`` is unknown, needs a WaveformExtractor that was not given, or its parameter
        is None.
    """
    method = _METHOD_ALIASES.get(method, method)
    if method not in _METHOD_PARAMETERS:
        raise ValueError(
            f"method must be one of {', '.join(repr(name) for name in _METHOD_PARAMETERS)} "
            f"(or 'threshold' for 'snr'), got {method!r}"
        )
    source = templates_or_waveform_extractor
    if method not in _TEMPLATE_METHODS and not hasattr(source, "get_all_templates"):
        raise ValueError(
            f"method {method!r} needs a WaveformExtractor; with Templates use "
            f"{' or '.join(repr(name) for name in _TEMPLATE_METHODS)}"
        )
    parameter = _METHOD_PARAMETERS[method]
    values = {"num_channels": num_channels, "radius_um": radius_um, "threshold": threshold}
    if values.get(parameter, by_property) is None:
        raise ValueError(f"method {method!r} needs {parameter}, got None")
    if method == "best_channels":
        return ChannelSparsity.from_best_channels(source, num_channels, peak_sign=peak_sign)
    if method == "radius":
        return ChannelSparsity.from_radius(source, radius_um, peak_sign=peak_sign)
    if method == "snr":
        return ChannelSparsity.from_snr(source, threshold, peak_sign=peak_sign)
    if method == "ptp":
        return ChannelSparsity.from_ptp(source, threshold)
    if method == "energy":
        return ChannelSparsity.from_energy(source, threshold)
    return ChannelSparsity.from_property(source, by_property, peak_sign=peak_sign)
