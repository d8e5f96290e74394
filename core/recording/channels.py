"""BaseRecordingSnippets: channels, gains, locations, groups and probes (recordings and snippets)."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..argument_checks import (
    check_id_types,
    checked_numeric_dtype,
    checked_sampling_frequency,
)
from ..base import BaseExtractor
from ..errors import InvalidInputError

if TYPE_CHECKING:  # probeinterface is imported when a probe is used
    from probeinterface import Probe, ProbeGroup


class BaseRecordingSnippets(BaseExtractor):
    """Channel metadata and probe handling shared by recordings and snippets.

    Parameters
    ----------
    sampling_frequency : float
        Hz.
    channel_ids : array-like
        One id per channel.
    dtype : numpy dtype-like
        Dtype of the stored (raw) values.
    """

    _main_properties = ["group", "location", "gain_to_uV", "offset_to_uV"]
    _main_annotations = ["is_filtered"]
    #: SpikeInterface 0.100's flag (always False: locations are those set or of the probe).
    has_default_locations = False
    _ids_argument = "channel_ids"

    def __init__(self, sampling_frequency: float, channel_ids, dtype) -> None:
        sampling_frequency = checked_sampling_frequency(sampling_frequency)
        super().__init__(channel_ids)
        self._sampling_frequency = sampling_frequency
        self._dtype = checked_numeric_dtype(dtype)

    # ------------------------------------------------------------------ basic facts
    @property
    def channel_ids(self) -> np.ndarray:
        """Channel ids."""
        return self._main_ids

    def get_channel_ids(self) -> np.ndarray:
        """Channel ids."""
        return self._main_ids

    @property
    def sampling_frequency(self) -> float:
        """Sampling frequency in Hz."""
        return self._sampling_frequency

    def get_sampling_frequency(self) -> float:
        """Sampling frequency in Hz."""
        return self._sampling_frequency

    @property
    def dtype(self) -> np.dtype:
        """Dtype of the raw values."""
        return self._dtype

    def get_dtype(self) -> np.dtype:
        """Dtype of the raw values."""
        return self._dtype

    def get_num_channels(self) -> int:
        """Number of channels."""
        return len(self._main_ids)

    def has_scaled(self) -> bool:
        """Whether both ``gain_to_uV`` and ``offset_to_uV`` are set."""
        return "gain_to_uV" in self._properties and "offset_to_uV" in self._properties

    def has_probe(self) -> bool:
        """Whether a probe (``contact_vector`` property) is attached."""
        return "contact_vector" in self._properties

    def has_channel_location(self) -> bool:
        """Whether channel locations are known."""
        return self.has_probe() or "location" in self._properties

    def is_filtered(self) -> bool:
        """The ``is_filtered`` annotation (False if absent)."""
        return bool(self._annotations.get("is_filtered", False))

    # ------------------------------------------------------------------ per-channel properties
    def _set_per_channel(self, key: str, values, channel_ids=None) -> None:
        values = np.asarray(values)
        count = self.get_num_channels() if channel_ids is None else len(channel_ids)
        if values.ndim == 0:
            values = np.full(count, values.item(), dtype=values.dtype)
        self.set_property(key, values, ids=channel_ids)

    def set_channel_gains(self, gains, channel_ids=None) -> None:
        """Set ``gain_to_uV`` (a scalar applies to every channel)."""
        self._set_per_channel("gain_to_uV", _numbers(gains, "gains", float), channel_ids)

    def get_channel_gains(self, channel_ids=None) -> np.ndarray:
        """The ``gain_to_uV`` property."""
        return self.get_property("gain_to_uV", ids=channel_ids)

    def set_channel_offsets(self, offsets, channel_ids=None) -> None:
        """Set ``offset_to_uV`` (a scalar applies to every channel)."""
        self._set_per_channel("offset_to_uV", _numbers(offsets, "offsets", float), channel_ids)

    def get_channel_offsets(self, channel_ids=None) -> np.ndarray:
        """The ``offset_to_uV`` property."""
        return self.get_property("offset_to_uV", ids=channel_ids)

    def set_channel_groups(self, groups, channel_ids=None) -> None:
        """Set the ``group`` property (int64)."""
        if "contact_vector" in self._properties:
            warnings.warn("set_channel_groups(): a probe is attached; groups may disagree with it")
        self._set_per_channel("group", _numbers(groups, "groups", "int64"), channel_ids)

    def get_channel_groups(self, channel_ids=None) -> np.ndarray | None:
        """The ``group`` property."""
        return self.get_property("group", ids=channel_ids)

    def clear_channel_groups(self, channel_ids=None) -> None:
        """Set groups to 0."""
        count = self.get_num_channels() if channel_ids is None else len(channel_ids)
        self.set_property("group", np.zeros(count, dtype="int64"), ids=channel_ids)

    def set_channel_locations(self, locations, channel_ids=None) -> None:
        """Set the ``location`` property; not allowed while a probe is attached."""
        if self.has_probe():
            raise ValueError(
                "set_channel_locations() is not allowed when a probe is attached; "
                "set a new probe instead"
            )
        locations = _numbers(locations, "locations", "float64")
        if locations.ndim != 2 or locations.shape[1] not in (2, 3):
            raise ValueError(
                f"locations must have shape (num_channels, 2) or (num_channels, 3) in µm, got "
                f"shape {locations.shape}"
            )
        self.set_property("location", locations, ids=channel_ids)

    def clear_channel_locations(self, channel_ids=None) -> None:
        """Set locations to NaN."""
        count = self.get_num_channels() if channel_ids is None else len(channel_ids)
        self.set_property("location", np.full((count, 2), np.nan), ids=channel_ids)

    def get_channel_locations(self, channel_ids=None, axes: str = "xy") -> np.ndarray:
        """Channel positions in µm, shape ``(num_channels, len(axes))``.

        Raises
        ------
        ValueError
            If the object has neither a probe nor a ``location`` property.
        """
        indices = self.ids_to_indices(channel_ids)
        if self.has_probe():
            contact_vector = self._properties["contact_vector"]
            columns = [contact_vector[axis] for axis in axes if axis in contact_vector.dtype.names]
            if len(columns) != len(axes):
                raise ValueError(f"the probe has no {axes!r} coordinates")
            return np.stack(columns, axis=1)[indices].astype("float64")
        location = self._properties.get("location")
        if location is None:
            raise ValueError("There are no channel locations: set a probe or locations first")
        axis_index = {"x": 0, "y": 1, "z": 2}
        if any(axis_index[axis] >= location.shape[1] for axis in axes):
            raise ValueError(f"locations have {location.shape[1]} dimensions; asked for {axes!r}")
        return np.asarray(location[indices][:, [axis_index[a] for a in axes]], dtype="float64")

    def has_3d_locations(self) -> bool:
        """Whether locations have a z coordinate."""
        location = self._properties.get("location")
        return location is not None and location.shape[1] == 3

    def get_channel_property(self, channel_id, key: str):
        """One channel's value of property ``key``."""
        return self.get_property(key)[self.id_to_index(channel_id)]

    # ------------------------------------------------------------------ probes
    def set_probe(self, probe: Probe, group_mode: str = "by_probe", in_place: bool = False):
        """Attach a probeinterface ``Probe`` (see `set_probes`)."""
        from probeinterface import ProbeGroup

        probegroup = ProbeGroup()
        probegroup.add_probe(probe)
        return self.set_probes(probegroup, group_mode=group_mode, in_place=in_place)

    def set_probegroup(
        self, probegroup: ProbeGroup, group_mode: str = "by_probe", in_place: bool = False
    ):
        """Attach a probeinterface ``ProbeGroup`` (see `set_probes`)."""
        return self.set_probes(probegroup, group_mode=group_mode, in_place=in_place)

    def set_probes(self, probe_or_probegroup, group_mode: str = "by_probe", in_place: bool = False):
        """Attach one or several probes, wired by their ``device_channel_indices``.

        Channels whose contact is not wired are dropped (a channel slice is returned).

        Parameters
        ----------
        probe_or_probegroup : Probe | ProbeGroup | list of Probe
            Every probe needs ``device_channel_indices``.
        group_mode : {"by_probe", "by_shank"}
            How the ``group`` property is set.
        in_place : bool
            Modify this object (every channel must be wired, in order) instead of returning a new
            one.

        Returns
        -------
        BaseRecordingSnippets
            The object with the probe attached.
        """
        if group_mode not in ("by_probe", "by_shank"):
            raise ValueError(f"group_mode must be 'by_probe' or 'by_shank', got {group_mode!r}")
        probegroup = _as_probegroup(probe_or_probegroup)
        for i, probe in enumerate(probegroup.probes):
            if probe.device_channel_indices is None:
                raise ValueError(
                    f"probe {i} has no device_channel_indices (wiring): call "
                    "probe.set_device_channel_indices(...) first"
                )
        table = probegroup.to_numpy(complete=True)
        wired = table["device_channel_indices"] >= 0
        if not np.all(wired):
            warnings.warn(
                f"{np.sum(~wired)} contacts are not wired (device_channel_indices < 0) "
                "and are dropped"
            )
            table = table[wired]
        num_channels = self.get_num_channels()
        if table.size and table["device_channel_indices"].max() >= num_channels:
            raise ValueError(
                f"the probe wires device channel {table['device_channel_indices'].max()} but the "
                f"object has only {num_channels} channels"
            )
        if np.unique(table["device_channel_indices"]).size != table.size:
            raise ValueError("two contacts are wired to the same device channel")
        table = table[np.argsort(table["device_channel_indices"], kind="stable")]
        kept_indices = table["device_channel_indices"].copy()
        kept_ids = self.channel_ids[kept_indices]
        table["device_channel_indices"] = np.arange(table.size, dtype="int64")

        if in_place:
            if not np.array_equal(kept_indices, np.arange(num_channels)):
                raise ValueError("set_probe(in_place=True) needs every channel wired, in order")
            target = self
        elif kept_indices.size == num_channels:
            target = self.clone()
        else:
            target = self.channel_slice(kept_ids)

        target.set_property("contact_vector", table)
        for key in [
            k
            for k in target._annotations
            if k.startswith("probe_") and k.endswith("_planar_contour")
        ]:
            del target._annotations[key]
        for i, probe in enumerate(probegroup.probes):
            if probe.probe_planar_contour is not None:
                target.set_annotation(
                    f"probe_{i}_planar_contour", probe.probe_planar_contour, overwrite=True
                )
        ndim = probegroup.ndim
        target.set_property(
            "location", np.stack([table[axis] for axis in "xyz"[:ndim]], axis=1).astype("float64")
        )
        target.set_property("group", _groups_from_table(table, group_mode))
        target.annotate(probes_info=[copy.deepcopy(p.annotations) for p in probegroup.probes])
        return target

    def get_probegroup(self) -> ProbeGroup:
        """The attached probes, rebuilt from ``contact_vector`` (or a dummy probe from locations).

        Raises
        ------
        ValueError
            If there is neither a probe nor channel locations.
        """
        from probeinterface import ProbeGroup

        contact_vector = self._properties.get("contact_vector")
        if contact_vector is None:
            if "location" not in self._properties:
                raise ValueError("There is no probe and no channel location attached")
            warnings.warn("There is no probe attached: making a dummy probe from the locations")
            probe = self.create_dummy_probe_from_locations(self._properties["location"])
            probegroup = ProbeGroup()
            probegroup.add_probe(probe)
            return probegroup
        probegroup = ProbeGroup.from_numpy(contact_vector)
        probes_info = self._annotations.get("probes_info") or []
        for i, probe in enumerate(probegroup.probes):
            contour = self._annotations.get(f"probe_{i}_planar_contour")
            if contour is not None:
                probe.set_planar_contour(contour)
            if i < len(probes_info) and probes_info[i]:
                probe.annotate(**probes_info[i])
        return probegroup

    def get_probes(self) -> list[Probe]:
        """The attached probes as a list."""
        return self.get_probegroup().probes

    def get_probe(self) -> Probe:
        """The single attached probe; ``ValueError`` if there are several."""
        probes = self.get_probes()
        if len(probes) != 1:
            raise ValueError(f"there are {len(probes)} probes attached: use get_probegroup()")
        return probes[0]

    def create_dummy_probe_from_locations(
        self, locations, shape: str = "circle", shape_params: dict | None = None, axes: str = "xy"
    ) -> Probe:
        """A probe with one contact per channel at ``locations``, wired 0..n-1."""
        from probeinterface import Probe

        locations = np.asarray(locations, dtype="float64")
        shape_params = {"radius": 1} if shape_params is None else shape_params
        if locations.shape[1] == 3:
            probe = Probe(ndim=2, si_units="um")
            axis_index = ["xyz".index(a) for a in axes]
            probe.set_contacts(locations[:, axis_index], shapes=shape, shape_params=shape_params)
            probe = probe.to_3d(axes=axes)
            probe.contact_positions[:] = locations
        else:
            probe = Probe(ndim=2, si_units="um")
            probe.set_contacts(locations, shapes=shape, shape_params=shape_params)
        probe.set_device_channel_indices(np.arange(locations.shape[0]))
        return probe

    def set_dummy_probe_from_locations(
        self, locations, shape: str = "circle", shape_params: dict | None = None, axes: str = "xy"
    ) -> None:
        """Attach, in place, a dummy probe with contacts at ``locations``."""
        probe = self.create_dummy_probe_from_locations(locations, shape, shape_params, axes)
        self.set_probe(probe, in_place=True)

    def planarize(self, axes: str = "xy"):
        """A copy with a 2-D probe (the two ``axes`` of a 3-D probe)."""
        if self.get_channel_locations(axes="xy").shape[1] == 2 and not self.has_3d_locations():
            return self.clone()
        probe2d = self.get_probe().to_2d(axes=axes)
        return self.set_probe(probe2d, in_place=False)

    def save_probe_to_folder(self, folder: str | Path) -> None:
        """Write ``probe.json`` (probeinterface format) if a probe is attached."""
        if self.has_probe():
            from probeinterface import write_probeinterface

            write_probeinterface(Path(folder) / "probe.json", self.get_probegroup())

    def load_probe_from_folder(self, folder: str | Path) -> None:
        """Attach, in place, ``probe.json`` or ``probegroup.json`` of a saved folder if present."""
        for name in ("probe.json", "probegroup.json"):
            path = Path(folder) / name
            if path.is_file():
                from probeinterface import read_probeinterface

                probegroup = read_probeinterface(path)
                self.set_probegroup(probegroup, in_place=True)
                return

    # ------------------------------------------------------------------ views
    def channel_slice(self, channel_ids, renamed_channel_ids=None):
        """A lazy view on ``channel_ids`` (optionally renamed)."""
        raise NotImplementedError

    def remove_channels(self, remove_channel_ids=None, channel_ids=None):
        """A lazy view without ``remove_channel_ids`` (other channels in their order).

        ``channel_ids`` is accepted as another spelling of ``remove_channel_ids``.
        """
        if remove_channel_ids is None:
            remove_channel_ids = channel_ids
        if remove_channel_ids is None:
            raise TypeError("remove_channels() needs remove_channel_ids")
        self.ids_to_indices(list(remove_channel_ids))  # unknown ids raise
        keep = self.channel_ids[~np.isin(self.channel_ids, remove_channel_ids)]
        return self.channel_slice(keep)

    def split_by(self, property: str = "group", outputs: str = "dict"):
        """One channel slice per distinct value of ``property``.

        Returns
        -------
        dict | list
            Keyed by the value (sorted), or a list in that order.
        """
        if outputs not in ("dict", "list"):
            raise ValueError(f"outputs must be 'dict' or 'list', got {outputs!r}")
        values = self.get_property(property)
        if values is None:
            raise ValueError(f"split_by(): property {property!r} is not set")
        parts = {}
        for value in np.unique(values):
            parts[value.item() if hasattr(value, "item") else value] = self.channel_slice(
                self.channel_ids[values == value]
            )
        return parts if outputs == "dict" else list(parts.values())


def _numbers(values, argument: str, dtype) -> np.ndarray:
    """``values`` as an array of ``dtype``; TypeError naming ``argument`` if they are not numbers."""
    try:
        array = np.asarray(values)
        if array.dtype.kind not in "iufb":
            raise TypeError
        return array.astype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{argument} must be numbers, got {values!r}"[:200]) from None


def resolve_channel_slice(parent: BaseRecordingSnippets, channel_ids, renamed_channel_ids):
    """Checked ``(channel_ids, parent_indices, renamed_channel_ids)`` of a channel slice.

    Raises
    ------
    ValueError
        If ids repeat, are unknown, or the renamed ids do not match them in number.
    """
    if channel_ids is None:
        channel_ids = parent.channel_ids
    parent_indices = parent.ids_to_indices(channel_ids)  # refuses scalars and unknown ids
    channel_ids = np.asarray(channel_ids)
    if np.unique(channel_ids).size != channel_ids.size:
        raise InvalidInputError("channel_slice(): channel_ids must be unique")
    if renamed_channel_ids is not None:
        check_id_types(renamed_channel_ids, "renamed_channel_ids")
    renamed = np.asarray(channel_ids if renamed_channel_ids is None else renamed_channel_ids)
    if renamed.ndim != 1 or renamed.size != channel_ids.size:
        raise ValueError(
            f"renamed_channel_ids has {renamed.size} ids for {channel_ids.size} channels"
        )
    return channel_ids, parent_indices, renamed


def copy_sliced_metadata(
    parent: BaseRecordingSnippets, view: BaseRecordingSnippets, channel_ids: np.ndarray
) -> None:
    """Copy ``parent``'s metadata for ``channel_ids`` onto ``view``, re-wiring the probe 0..k-1."""
    parent.copy_metadata(view, ids=channel_ids)
    contact_vector = view.get_property("contact_vector")
    if contact_vector is not None:
        contact_vector = contact_vector.copy()
        contact_vector["device_channel_indices"] = np.arange(channel_ids.size, dtype="int64")
        view.set_property("contact_vector", contact_vector)


class ChannelSliceSelection:
    """How a segment of a channel slice reads its parent segment's channels.

    Parameters
    ----------
    parent_indices : np.ndarray
        Position in the parent of each channel of the slice, in the slice's order.
    """

    def __init__(self, parent_indices: np.ndarray) -> None:
        self.parent_indices = parent_indices
        consecutive = parent_indices.size > 0 and np.all(np.diff(parent_indices) == 1)
        # a slice lets the parent read a contiguous block instead of gathering channels
        self._all_channels = (
            slice(int(parent_indices[0]), int(parent_indices[-1]) + 1)
            if consecutive
            else parent_indices
        )

    def parent_channel_indices(
        self, channel_indices: slice | np.ndarray | None
    ) -> slice | np.ndarray:
        """The parent's ``channel_indices`` for the slice's ``channel_indices`` (None: all)."""
        if channel_indices is None or (
            isinstance(channel_indices, slice) and channel_indices == slice(None)
        ):
            return self._all_channels
        return self.parent_indices[channel_indices]


def _as_probegroup(probe_or_probegroup) -> ProbeGroup:
    from probeinterface import Probe, ProbeGroup

    if isinstance(probe_or_probegroup, ProbeGroup):
        return probe_or_probegroup
    probes = (
        [probe_or_probegroup] if isinstance(probe_or_probegroup, Probe) else probe_or_probegroup
    )
    if not isinstance(probes, list) or not all(isinstance(p, Probe) for p in probes):
        raise TypeError("expected a probeinterface Probe, ProbeGroup or list of Probe")
    probegroup = ProbeGroup()
    for probe in probes:
        probegroup.add_probe(probe)
    return probegroup


def _groups_from_table(table: np.ndarray, group_mode: str) -> np.ndarray:
    if group_mode == "by_probe":
        return table["probe_index"].astype("int64")
    if "shank_ids" not in table.dtype.names:
        raise ValueError("group_mode='by_shank' needs shank ids on the probe")
    keys = np.char.add(table["probe_index"].astype("U"), np.char.add("/", table["shank_ids"]))
    _, groups = np.unique(keys, return_inverse=True)
    return groups.astype("int64")
