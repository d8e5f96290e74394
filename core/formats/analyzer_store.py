"""Read access to the parts of a SpikeInterface SortingAnalyzer on disk, folder or zarr store.

A SortingAnalyzer (>= 0.101) is saved as a binary folder (FORMATS.md §9.1) or as a zarr store
(§9.3). Both hold the same parts under different names; `open_analyzer_store` returns an
`AnalyzerStore` that gives them to :mod:`core.formats.sorting_analyzer` in one form:

=====================  =========================================  ==================================
part                   binary folder                              zarr store (format v2)
=====================  =========================================  ==================================
settings               ``settings.json``                          root attribute ``settings``
sorting                ``sorting/`` (numpy folder)                group ``sorting`` (zarr sorting)
recording attributes   ``recording_info/recording_attributes``    ``recording_info`` attributes
                       ``.json`` and ``probegroup.json``          ``recording_attributes``,
                                                                  ``probegroup``
sparsity mask          ``sparsity_mask.npy``                      array ``sparsity_mask``
extension parameters   ``extensions/<name>/params.json``,         ``extensions/<name>`` attributes
and run information    ``run_info.json``                          ``params``, ``run_info``
extension arrays       ``extensions/<name>/<key>.npy``            arrays ``extensions/<name>/<key>``
=====================  =========================================  ==================================

Nothing is ever unpickled: ``.npy`` files are read with ``allow_pickle=False``, and zarr object
arrays (the ``recording`` and ``sorting_provenance`` descriptions, pickled extension data) are
never decoded. The zarr store is read from its per-node ``.zattrs`` / ``.zarray`` files
(:mod:`core.zarr_v2_raw`), not from the consolidated ``.zmetadata``: those files are
authoritative (SpikeInterface 0.101.0 did not re-consolidate after computing extensions), and
zarr-python 3 cannot parse the object arrays that ``.zmetadata`` describes.
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..json_io import read_json
from ..loading import load_extractor
from ..sorting.base import BaseSorting
from ..zarr_v2_raw import (
    codec_ids,
    group_members,
    holds_objects,
    is_array,
    is_group,
    read_array,
    read_array_metadata,
    read_attributes,
)

__all__ = ["AnalyzerStore", "BinaryAnalyzerStore", "ZarrAnalyzerStore", "open_analyzer_store"]

if TYPE_CHECKING:  # probeinterface is imported when a probe is read
    from probeinterface import ProbeGroup


class AnalyzerStore(ABC):
    """The parts of a SortingAnalyzer on disk, read-only.

    Every method raises ``ValueError`` naming the file, folder or array that is missing or
    unreadable.

    Parameters
    ----------
    path : Path
        The analyzer folder or ``.zarr`` store.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @abstractmethod
    def settings(self) -> dict | None:
        """The analyzer settings (``return_in_uV``...), or None when not stored."""

    @abstractmethod
    def settings_location(self) -> str:
        """Where the settings are stored (for messages)."""

    @abstractmethod
    def sorting(self) -> BaseSorting:
        """The analyzer's copy of the sorting."""

    @abstractmethod
    def recording_attributes(self) -> dict:
        """``channel_ids``, ``sampling_frequency``, ... of the recording, plus ``probegroup``."""

    @abstractmethod
    def extension_params(self, name: str) -> dict | None:
        """Parameters of extension ``name``, or None when the extension is absent."""

    @abstractmethod
    def extension_params_location(self, name: str) -> str:
        """Where the parameters of extension ``name`` are stored (for messages)."""

    @abstractmethod
    def extension_run_info(self, name: str) -> dict | None:
        """``run_info`` (``run_completed``, ``runtime_s``) of extension ``name``, or None."""

    @abstractmethod
    def array_location(self, *parts: str) -> Path:
        """The file (binary) or array folder (zarr) of array ``parts``, e.g. ``sparsity_mask``."""

    @abstractmethod
    def _has_array(self, location: Path) -> bool: ...

    @abstractmethod
    def _load_array(self, location: Path, what: str) -> np.ndarray: ...

    @abstractmethod
    def _array_names(self, folder: Path) -> list[str]: ...

    def sparsity_mask(self) -> np.ndarray | None:
        """The ``(num_units, num_channels)`` mask as stored, or None for a dense analyzer."""
        location = self.array_location("sparsity_mask")
        if not self._has_array(location):
            return None
        return self._load_array(location, "sparsity mask")

    def extension_array_names(self, name: str) -> list[str]:
        """Sorted names of the arrays of extension ``name`` (empty when it is absent)."""
        return self._array_names(self.path / "extensions" / name)

    def extension_array(self, name: str, key: str, what: str) -> np.ndarray:
        """Array ``key`` of extension ``name``; ``what`` describes it in errors."""
        location = self.array_location("extensions", name, key)
        if not self._has_array(location):
            raise ValueError(f"{location}: missing {what} of the SortingAnalyzer")
        return self._load_array(location, what)


class BinaryAnalyzerStore(AnalyzerStore):
    """A SortingAnalyzer binary folder (FORMATS.md §9.1)."""

    def settings(self) -> dict | None:
        settings_file = self.path / "settings.json"
        return read_json(settings_file) if settings_file.is_file() else None

    def settings_location(self) -> str:
        return str(self.path / "settings.json")

    def sorting(self) -> BaseSorting:
        sorting_folder = self.path / "sorting"
        if not sorting_folder.is_dir():
            raise ValueError(f"{sorting_folder}: missing sorting folder of the SortingAnalyzer")
        return load_extractor(sorting_folder)

    def recording_attributes(self) -> dict:
        info = self.path / "recording_info"
        attributes = read_json(
            _required_file(info / "recording_attributes.json", "recording attributes")
        )
        probegroup_file = info / "probegroup.json"
        from probeinterface import read_probeinterface

        attributes["probegroup"] = (
            read_probeinterface(probegroup_file) if probegroup_file.is_file() else None
        )
        return attributes

    def extension_params(self, name: str) -> dict | None:
        params_file = self.path / "extensions" / name / "params.json"
        return read_json(params_file) if params_file.is_file() else None

    def extension_params_location(self, name: str) -> str:
        return str(self.path / "extensions" / name / "params.json")

    def extension_run_info(self, name: str) -> dict | None:
        run_info_file = self.path / "extensions" / name / "run_info.json"
        return read_json(run_info_file) if run_info_file.is_file() else None

    def array_location(self, *parts: str) -> Path:
        return self.path.joinpath(*parts[:-1], f"{parts[-1]}.npy")

    def _has_array(self, location: Path) -> bool:
        return location.is_file()

    def _load_array(self, location: Path, what: str) -> np.ndarray:
        try:
            return np.load(location, allow_pickle=False)
        except ValueError as error:
            raise ValueError(
                f"{location}: cannot read {what} without unpickling ({error})"
            ) from None

    def _array_names(self, folder: Path) -> list[str]:
        return sorted(path.stem for path in folder.glob("*.npy"))


class ZarrAnalyzerStore(AnalyzerStore):
    """A SortingAnalyzer zarr store (FORMATS.md §9.3), zarr format v2 as SpikeInterface writes.

    Raises
    ------
    ValueError
        If ``path`` is not a zarr v2 group whose root attribute ``spikeinterface_info`` names a
        SortingAnalyzer.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        if not is_group(path):
            if (path / "zarr.json").is_file():
                raise ValueError(
                    f"{path}: zarr format 3 store; SortingAnalyzer stores are zarr format 2 "
                    "(.zgroup, .zattrs), as SpikeInterface writes them"
                )
            raise ValueError(f"{path}: not a zarr store (no .zgroup)")
        self._attrs = read_attributes(path)
        info = self._attrs.get("spikeinterface_info")
        if not isinstance(info, dict) or info.get("object") != "SortingAnalyzer":
            raise ValueError(
                f"{path / '.zattrs'}: not a SortingAnalyzer store (root attribute "
                f"'spikeinterface_info' is {json.dumps(info)}; expected "
                '{"object": "SortingAnalyzer", ...})'
            )

    def settings(self) -> dict | None:
        return self._attrs.get("settings")

    def settings_location(self) -> str:
        return f"{self.path / '.zattrs'} (attribute 'settings')"

    def sorting(self) -> BaseSorting:
        group = self.path / "sorting"
        if not is_group(group):
            raise ValueError(f"{group}: missing sorting group of the SortingAnalyzer store")
        from ..sorting.zarr import ZarrSortingExtractor  # imports zarr

        return ZarrSortingExtractor(group)

    def recording_attributes(self) -> dict:
        group = self.path / "recording_info"
        if not is_group(group):
            raise ValueError(f"{group}: missing recording_info group of the SortingAnalyzer store")
        attrs = read_attributes(group)
        attributes = attrs.get("recording_attributes")
        if not isinstance(attributes, dict):
            raise ValueError(
                f"{group / '.zattrs'}: missing recording attributes (attribute "
                "'recording_attributes') of the SortingAnalyzer store"
            )
        attributes = copy.deepcopy(attributes)
        attributes["probegroup"] = _probegroup(attrs.get("probegroup"), group / ".zattrs")
        return attributes

    def extension_params(self, name: str) -> dict | None:
        group = self.path / "extensions" / name
        if not is_group(group):
            return None
        return read_attributes(group).get("params")

    def extension_params_location(self, name: str) -> str:
        return f"{self.path / 'extensions' / name / '.zattrs'} (attribute 'params')"

    def extension_run_info(self, name: str) -> dict | None:
        group = self.path / "extensions" / name
        return read_attributes(group).get("run_info") if is_group(group) else None

    def array_location(self, *parts: str) -> Path:
        return self.path.joinpath(*parts)

    def _has_array(self, location: Path) -> bool:
        return is_array(location)

    def _load_array(self, location: Path, what: str) -> np.ndarray:
        metadata = read_array_metadata(location)
        if holds_objects(metadata["dtype"]) or "pickle" in codec_ids(metadata):
            raise ValueError(
                f"{location}: {what} is stored as Python objects (codecs "
                f"{codec_ids(metadata)}), which are never decoded here (pickled objects can "
                "execute code); expected a numeric array"
            )
        try:
            return read_array(location)
        except ValueError as error:
            raise ValueError(f"{location}: cannot read {what} ({error})") from None

    def _array_names(self, folder: Path) -> list[str]:
        return group_members(folder)[1] if is_group(folder) else []


def _required_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ValueError(f"{path}: missing {what} of the SortingAnalyzer folder")
    return path


def _probegroup(description: Any, where: Path) -> ProbeGroup | None:
    if description is None:
        return None
    from probeinterface import ProbeGroup

    try:
        return ProbeGroup.from_dict(copy.deepcopy(description))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{where}: attribute 'probegroup' is not a ProbeGroup ({error!r})"
        ) from None


def open_analyzer_store(path: str | Path) -> AnalyzerStore:
    """The `AnalyzerStore` of a SortingAnalyzer folder or ``.zarr`` store.

    Parameters
    ----------
    path : str or Path
        A binary folder, or a zarr store (recognised by ``.zgroup`` / ``zarr.json`` or by its
        ``.zarr`` suffix).

    Returns
    -------
    AnalyzerStore

    Raises
    ------
    ValueError
        If ``path`` is not a folder, or is a zarr store that is not a SortingAnalyzer.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"{path}: not a SortingAnalyzer folder or zarr store")
    is_zarr = path.suffix == ".zarr" or any(
        (path / name).is_file() for name in (".zgroup", "zarr.json")
    )
    return ZarrAnalyzerStore(path) if is_zarr else BinaryAnalyzerStore(path)
