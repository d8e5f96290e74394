"""`Templates`: an array of unit templates with its sampling, ids, optional sparsity and probe."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from probeinterface import Probe

from ..atomic import atomic_folder
from ..json_io import ExtractorJSONEncoder
from ..zarr_v2_store import V2_CHUNK_KEYS
from .sparsity import ChannelSparsity


@dataclass(eq=False)
class Templates:
    """Unit templates, dense or sparse, with what is needed to interpret them.

    Parameters
    ----------
    templates_array : np.ndarray
        ``(num_units, num_samples, num_channels)`` dense, or, with ``sparsity_mask``,
        ``(num_units, num_samples, k)``: each unit's active channels first, zero-padded after.
    sampling_frequency : float
        Hz.
    nbefore : int
        Samples before the spike time (the spike is at sample ``nbefore``).
    sparsity_mask : np.ndarray | None
        Bool ``(num_units, num_channels)``; None for dense templates.
    channel_ids, unit_ids : array-like | None
        Default ``0..num_channels-1`` and ``0..num_units-1``.
    probe : probeinterface.Probe | None
        Gives channel locations (its contacts in channel order).
    check_for_consistent_sparsity : bool, default: True
        With a mask, check that every template looks sparse for its unit.

    Attributes
    ----------
    num_units, num_samples, num_channels, nafter : int
    ms_before, ms_after : float
    sparsity : ChannelSparsity | None
        Built from ``sparsity_mask``.

    Raises
    ------
    ValueError
        If shapes, ids, ``nbefore`` or the sparsity are inconsistent.
    TypeError
        If ``probe`` is not a probeinterface ``Probe``.
    """

    templates_array: np.ndarray
    sampling_frequency: float
    nbefore: int
    sparsity_mask: np.ndarray | None = None
    channel_ids: np.ndarray | None = None
    unit_ids: np.ndarray | None = None
    probe: Probe | None = None
    check_for_consistent_sparsity: bool = True

    num_units: int = field(init=False)
    num_samples: int = field(init=False)
    num_channels: int = field(init=False)
    nafter: int = field(init=False)
    ms_before: float = field(init=False)
    ms_after: float = field(init=False)
    sparsity: ChannelSparsity | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.templates_array = np.asarray(self.templates_array)
        if self.templates_array.ndim != 3:
            raise ValueError(
                "templates_array must be 3-D (num_units, num_samples, num_channels), "
                f"got shape {self.templates_array.shape}"
            )
        self.num_units, self.num_samples, width = self.templates_array.shape
        if self.sampling_frequency is None or not self.sampling_frequency > 0:
            raise ValueError(f"sampling_frequency must be positive, got {self.sampling_frequency}")
        self.sampling_frequency = float(self.sampling_frequency)
        if not isinstance(self.nbefore, int | np.integer) or not (
            0 <= self.nbefore <= self.num_samples
        ):
            raise ValueError(
                f"nbefore must be an int in [0, {self.num_samples}], got {self.nbefore!r}"
            )
        self.nbefore = int(self.nbefore)
        if self.sparsity_mask is None:
            self.num_channels = width
        else:
            self.sparsity_mask = np.asarray(self.sparsity_mask, dtype=bool)
            if self.sparsity_mask.ndim != 2 or self.sparsity_mask.shape[0] != self.num_units:
                raise ValueError(
                    f"sparsity_mask must have shape ({self.num_units}, num_channels), "
                    f"got {self.sparsity_mask.shape}"
                )
            self.num_channels = self.sparsity_mask.shape[1]
        self.channel_ids = self._ids(self.channel_ids, self.num_channels, "channel_ids")
        self.unit_ids = self._ids(self.unit_ids, self.num_units, "unit_ids")
        if self.probe is not None and not isinstance(self.probe, Probe):
            raise TypeError(
                f"probe must be a probeinterface Probe, got {type(self.probe).__name__}"
            )
        self.nafter = self.num_samples - self.nbefore
        self.ms_before = self.nbefore / self.sampling_frequency * 1000.0
        self.ms_after = self.nafter / self.sampling_frequency * 1000.0
        if self.sparsity_mask is not None:
            self.sparsity = ChannelSparsity(self.sparsity_mask, self.unit_ids, self.channel_ids)
            if width > self.num_channels:
                raise ValueError(
                    f"templates_array has {width} channels, more than the {self.num_channels} "
                    "of sparsity_mask"
                )
            if self.check_for_consistent_sparsity and not self._are_passed_templates_sparse():
                raise ValueError(
                    "Sparsity mask passed but the templates are not sparse: each unit's "
                    "template must hold its active channels first and zeros after"
                )

    @staticmethod
    def _ids(ids: Any, size: int, name: str) -> np.ndarray:
        if ids is None:
            return np.arange(size)
        ids = np.asarray(ids)
        if ids.shape != (size,):
            raise ValueError(f"{name} must hold {size} ids, got shape {ids.shape}")
        return ids

    def _are_passed_templates_sparse(self) -> bool:
        return all(
            self.sparsity.are_waveforms_sparse(template, unit_id)
            for unit_id, template in zip(self.unit_ids, self.templates_array)
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Templates):
            return NotImplemented
        if (self.sparsity_mask is None) != (other.sparsity_mask is None):
            return False
        if (self.probe is None) != (other.probe is None):
            return False
        return (
            self.sampling_frequency == other.sampling_frequency
            and self.nbefore == other.nbefore
            and np.array_equal(self.templates_array, other.templates_array)
            and np.array_equal(self.unit_ids, other.unit_ids)
            and np.array_equal(self.channel_ids, other.channel_ids)
            and (
                self.sparsity_mask is None
                or np.array_equal(self.sparsity_mask, other.sparsity_mask)
            )
            and (self.probe is None or _probe_dict(self.probe) == _probe_dict(other.probe))
        )

    __hash__ = None  # mutable arrays: equal objects need not stay equal

    # ------------------------------------------------------------------ dense views
    def are_templates_sparse(self) -> bool:
        """Whether a sparsity mask was given.

        Returns
        -------
        bool
        """
        return self.sparsity is not None

    def get_one_template_dense(self, unit_index: int) -> np.ndarray:
        """One unit's template on all channels.

        Parameters
        ----------
        unit_index : int
            Position of the unit (not its id).

        Returns
        -------
        np.ndarray
            ``(num_samples, num_channels)``; zeros outside the sparsity.
        """
        template = self.templates_array[unit_index]
        if self.sparsity is None:
            return template
        return self.sparsity.densify_waveforms(template, self.unit_ids[unit_index])

    def get_dense_templates(self) -> np.ndarray:
        """All templates on all channels.

        Returns
        -------
        np.ndarray
            ``(num_units, num_samples, num_channels)``; zeros outside the sparsity.
        """
        if self.sparsity is None:
            return self.templates_array
        units, channels = np.nonzero(self.sparsity_mask)
        # position of each active channel within its unit's sparse columns
        first = np.searchsorted(units, units, side="left")
        columns = np.arange(units.size) - first
        dense = np.zeros(
            (self.num_units, self.num_samples, self.num_channels), dtype=self.templates_array.dtype
        )
        dense[units, :, channels] = self.templates_array[units, :, columns]
        return dense

    def get_channel_locations(self) -> np.ndarray:
        """Channel locations from the probe.

        Returns
        -------
        np.ndarray
            ``(num_channels, ndim)`` contact positions.

        Raises
        ------
        ValueError
            If there is no probe, or its contact count differs from ``num_channels``.
        """
        if self.probe is None:
            raise ValueError("Templates.get_channel_locations() needs a probe (probe=...)")
        positions = np.asarray(self.probe.contact_positions)
        if positions.shape[0] != self.num_channels:
            raise ValueError(
                f"probe has {positions.shape[0]} contacts but the templates have "
                f"{self.num_channels} channels"
            )
        return positions

    # ------------------------------------------------------------------ dict and JSON
    def to_dict(self) -> dict[str, Any]:
        """The constructor's arguments (arrays as arrays, probe as a dict).

        Returns
        -------
        dict
            Keys ``templates_array``, ``sparsity_mask``, ``channel_ids``, ``unit_ids``,
            ``sampling_frequency``, ``nbefore``, ``probe``.
        """
        return {
            "templates_array": self.templates_array,
            "sparsity_mask": self.sparsity_mask,
            "channel_ids": self.channel_ids,
            "unit_ids": self.unit_ids,
            "sampling_frequency": self.sampling_frequency,
            "nbefore": self.nbefore,
            "probe": None if self.probe is None else _probe_dict(self.probe),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Templates:
        """Inverse of `to_dict` (also accepts its JSON-decoded form, with lists).

        Parameters
        ----------
        data : dict
            As returned by `to_dict`; ``sparsity_mask``, ``channel_ids``, ``unit_ids`` and
            ``probe`` may be missing.

        Returns
        -------
        Templates

        Raises
        ------
        ValueError
            If ``templates_array``, ``sampling_frequency`` or ``nbefore`` is missing.
        """
        missing = [
            key for key in ("templates_array", "sampling_frequency", "nbefore") if key not in data
        ]
        if missing:
            raise ValueError(f"data lacks the keys {missing}")
        probe = data.get("probe")
        return cls(
            templates_array=np.asarray(data["templates_array"]),
            sampling_frequency=data["sampling_frequency"],
            nbefore=data["nbefore"],
            sparsity_mask=_optional_array(data.get("sparsity_mask")),
            channel_ids=_optional_array(data.get("channel_ids")),
            unit_ids=_optional_array(data.get("unit_ids")),
            probe=None if probe is None else Probe.from_dict(probe),
        )

    def to_json(self) -> str:
        """`to_dict` as a JSON string.

        Returns
        -------
        str
        """
        return json.dumps(self.to_dict(), cls=ExtractorJSONEncoder)

    @classmethod
    def from_json(cls, json_str: str) -> Templates:
        """Inverse of `to_json`.

        Parameters
        ----------
        json_str : str
            As returned by `to_json`.

        Returns
        -------
        Templates
        """
        return cls.from_dict(json.loads(json_str))

    # ------------------------------------------------------------------ zarr
    def add_templates_to_zarr_group(self, zarr_group: zarr.Group) -> None:
        """Write into an open, empty zarr group (the inverse of `from_zarr_group`).

        Arrays ``templates_array``, ``channel_ids``, ``unit_ids`` and, if sparse,
        ``sparsity_mask``; attributes ``sampling_frequency``, ``nbefore`` and, with a probe,
        ``probe`` (the probeinterface dict).

        Parameters
        ----------
        zarr_group : zarr.Group
            Open for writing (zarr format 2 for SpikeInterface 0.100 readers).
        """
        _write_array(zarr_group, "templates_array", self.templates_array)
        _write_array(zarr_group, "channel_ids", _ids_for_store(self.channel_ids))
        _write_array(zarr_group, "unit_ids", _ids_for_store(self.unit_ids))
        if self.sparsity_mask is not None:
            _write_array(zarr_group, "sparsity_mask", self.sparsity_mask)
        attributes = {"sampling_frequency": self.sampling_frequency, "nbefore": self.nbefore}
        if self.probe is not None:
            attributes["probe"] = _probe_dict(self.probe)
        zarr_group.update_attributes(attributes)

    def to_zarr(self, folder_path: str | Path) -> None:
        """Write to a zarr (format v2) folder, replacing an existing Templates store atomically.

        See `add_templates_to_zarr_group` for the layout.

        Parameters
        ----------
        folder_path : str | Path
            Target folder: new, empty, or a Templates zarr store written before.

        Raises
        ------
        ValueError
            If `folder_path` exists and is something else (a file, a recording's folder...):
            it is never replaced.
        """
        target = Path(folder_path)
        if target.exists() and not _replaceable_templates_store(target):
            raise ValueError(
                f"Templates.to_zarr: {target} exists and is not a Templates zarr store; "
                "it is not replaced (choose another folder_path, or remove it yourself)"
            )
        with atomic_folder(target, overwrite=True) as partial:
            self.add_templates_to_zarr_group(zarr.open_group(str(partial), mode="w", zarr_format=2))

    @classmethod
    def from_zarr_group(cls, zarr_group: zarr.Group) -> Templates:
        """Read an open zarr group written by `add_templates_to_zarr_group`.

        Parameters
        ----------
        zarr_group : zarr.Group

        Returns
        -------
        Templates

        Raises
        ------
        ValueError
            If the group holds no ``templates_array``.
        """
        if "templates_array" not in zarr_group:
            raise ValueError(
                f"{zarr_group.store_path}: not a Templates zarr group (no 'templates_array' array)"
            )
        attributes = zarr_group.attrs.asdict()
        probe = attributes.get("probe")
        return cls(
            templates_array=zarr_group["templates_array"][...],
            sampling_frequency=attributes["sampling_frequency"],
            nbefore=attributes["nbefore"],
            sparsity_mask=(
                zarr_group["sparsity_mask"][...] if "sparsity_mask" in zarr_group else None
            ),
            channel_ids=zarr_group["channel_ids"][...],
            unit_ids=zarr_group["unit_ids"][...],
            probe=None if probe is None else Probe.from_dict(probe),
        )

    @classmethod
    def from_zarr(cls, folder_path: str | Path) -> Templates:
        """Read a folder written by `to_zarr`.

        Parameters
        ----------
        folder_path : str | Path
            The zarr folder.

        Returns
        -------
        Templates

        Raises
        ------
        FileNotFoundError
            If the folder does not exist.
        ValueError
            If it is not a Templates zarr store.
        """
        path = Path(folder_path)
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such zarr folder")
        return cls.from_zarr_group(zarr.open_group(str(path), mode="r"))


def _probe_dict(probe: Probe) -> dict[str, Any]:
    return probe.to_dict(array_as_list=True)


def _optional_array(values: Any) -> np.ndarray | None:
    return None if values is None else np.asarray(values)


def _ids_for_store(ids: np.ndarray) -> np.ndarray:
    """int64 or fixed-width unicode: id dtypes every zarr v2 reader understands."""
    return ids.astype("int64") if ids.dtype.kind in "iu" else ids.astype("U")


def _write_array(group: zarr.Group, name: str, values: np.ndarray) -> None:
    """A one-chunk v2 array holding ``values``."""
    array = group.create_array(
        name,
        shape=values.shape,
        dtype=values.dtype,
        chunks=tuple(max(size, 1) for size in values.shape),
        chunk_key_encoding=V2_CHUNK_KEYS,
    )
    array[...] = values


def _replaceable_templates_store(path: Path) -> bool:
    """An empty folder, or a zarr group holding a ``templates_array``."""
    if not path.is_dir():
        return False
    if not any(path.iterdir()):
        return True
    is_group = (path / ".zgroup").is_file() or (path / "zarr.json").is_file()
    return is_group and (path / "templates_array").is_dir()
