"""ZarrWaveformStore: a WaveformExtractor in a ``.zarr`` store (zarr format 2, FORMATS.md §8.2).

The store holds what a binary folder holds: the parameters, the recording and sorting
descriptions and the sparsity as root attributes, ``recording_info`` as a group's attributes,
``templates_<mode>`` arrays, a ``waveforms`` group and one group per extension (attribute
``params``, data as :func:`~.zarr_io.write_zarr_extension_data` writes it). Extractors are saved
to zarr (:meth:`ZarrWaveformStore.write`), never extracted into it. Stores of SpikeInterface 0.100
open too.
"""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import zarr

from ..json_io import to_jsonable
from ..loading import load_extractor
from ..zarr_v2_raw import is_group, read_array, read_attributes
from ..zarr_v2_store import create_array, get_default_zarr_compressor
from .extractor_io import (
    RecordingUnavailableError,
    folder_is_read_only,
    is_template_name,
    load_recording,
)
from .store import ExtractorContent, StoredExtractor
from .zarr_io import (
    extractor_dict,
    open_zarr,
    probegroup_dict,
    read_zarr_extension_data,
    read_zarr_recording_info,
    write_zarr_extension_data,
    zarr_sparsity,
)

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting

_NOT_EXTRACTABLE = (
    "waveforms cannot be extracted into a zarr store: extract into a folder or in memory, then "
    "save(format='zarr')"
)


class ZarrWaveformStore:
    """A WaveformExtractor ``.zarr`` store (a `WaveformStore`).

    Parameters
    ----------
    path : str or Path
        An existing store.
    allow_pickle : bool, default: False
        Read pickled extension data (it can execute code).

    Raises
    ------
    FileNotFoundError
        If ``path`` is not a folder.
    """

    format = "zarr"

    def __init__(self, path: str | Path, allow_pickle: bool = False) -> None:
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"{path}: no such zarr folder")
        self.path = path
        self.allow_pickle = allow_pickle
        self._read_only = folder_is_read_only(path)
        self._root: zarr.Group | None = None
        self._root_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"

    @classmethod
    def matches(cls, path: str | Path) -> bool:
        """Whether ``path`` is a WaveformExtractor zarr store (root attribute ``params``)."""
        path = Path(path)
        if not is_group(path):
            return False
        attributes = read_attributes(path)
        return "params" in attributes and "spikeinterface_info" not in attributes

    def is_read_only(self) -> bool:
        """Whether the store must not be changed."""
        return self._read_only

    def _root_group(self) -> zarr.Group:
        """The root, opened read-only once (threads read waveforms through it)."""
        with self._root_lock:
            if self._root is None:
                self._root = open_zarr(self.path)
            return self._root

    def _writable_root(self) -> zarr.Group:
        """The root opened for writing; the read-only root is reopened on next use."""
        with self._root_lock:
            self._root = None
        return open_zarr(self.path, mode="r+")

    # ------------------------------------------------------------------ creating and opening
    @staticmethod
    def target_path(folder: str | Path) -> Path:
        """Where ``save(folder, format="zarr")`` writes: ``folder`` with the ``.zarr`` suffix."""
        folder = Path(folder)
        return folder if folder.suffix == ".zarr" else folder.parent / f"{folder.name}.zarr"

    @classmethod
    def write(
        cls,
        folder: Path,
        content: ExtractorContent,
        use_relative_path: bool,
        compressor: Any = None,
        **options: Any,
    ) -> None:
        """Write a whole extractor as a zarr v2 store into ``folder``, an existing empty folder.

        Parameters
        ----------
        folder : Path
        content : ExtractorContent
        use_relative_path : bool
            Describe the recording and sorting relative to ``folder``.
        compressor : numcodecs codec or None, default: None
            Compressor of every array (None: Blosc zstd, `get_default_zarr_compressor`).
        **options
            Ignored (symmetry with the binary folder store).
        """
        compressor = compressor if compressor is not None else get_default_zarr_compressor()
        relative_to = folder if use_relative_path else None
        root = open_zarr(folder, mode="w")
        attrs = {"params": to_jsonable(content.params)}
        if content.recording is not None:
            description = extractor_dict(content.recording, relative_to)
            if description is not None:
                attrs["recording"] = description
        description = extractor_dict(content.sorting, relative_to)
        if description is None:
            warnings.warn(
                "the sorting is not JSON-serializable: loading the store will need sorting=",
                stacklevel=4,
            )
        else:
            attrs["sorting"] = description
        if content.sparsity is not None:
            attrs["sparsity"] = to_jsonable(content.sparsity.to_dict())
        root.update_attributes(attrs)
        info_attrs = {"recording_attributes": to_jsonable(content.rec_attributes)}
        if content.probegroup is not None:
            info_attrs["probegroup"] = probegroup_dict(content.probegroup)
        root.create_group("recording_info").update_attributes(info_attrs)
        for name, values in content.templates.items():
            create_array(root, f"templates_{name}", values, compressor=compressor)
        if content.waveforms is not None:
            group = root.create_group("waveforms")
            for unit_id, waveforms, index in content.waveforms():
                create_array(group, f"waveforms_{unit_id}", waveforms, compressor=compressor)
                create_array(group, f"sampled_index_{unit_id}", index, compressor=compressor)

    def read_description(
        self, with_recording: bool, sorting: BaseSorting | None
    ) -> StoredExtractor:
        """Recording (or its attributes), sorting and sparsity described in the store.

        Raises
        ------
        FileNotFoundError
            If the sorting is not described and not given.
        ValueError
            If the recording cannot be loaded (the message suggests ``with_recording=False``).
        """
        folder, root = self.path, self._root_group()
        recording, rec_attributes = None, None
        if with_recording:
            description = root.attrs.get("recording")
            if description is None:
                raise RecordingUnavailableError(
                    f"{folder}: the recording is not described in this store; use "
                    "with_recording=False"
                )
            recording = load_recording(
                folder, lambda: load_extractor(description, base_folder=folder)
            )
        else:
            rec_attributes = read_zarr_recording_info(root, folder)
        if sorting is None:
            description = root.attrs.get("sorting")
            if description is None:
                raise FileNotFoundError(f"{folder}: the sorting is not described; pass sorting=")
            sorting = load_extractor(description, base_folder=folder)
        return StoredExtractor(recording, sorting, rec_attributes, zarr_sparsity(root))

    # ------------------------------------------------------------------ parameters and templates
    def read_params(self) -> dict:
        """Root attribute ``params``."""
        return dict(self._root_group().attrs.get("params", {}))

    def write_params(self, params: dict) -> None:
        """Root attribute ``params``."""
        self._writable_root().attrs["params"] = to_jsonable(params)

    def read_templates(self) -> dict[str, np.ndarray]:
        """Every ``templates_<name>`` array."""
        names = [
            key.removeprefix("templates_")
            for key in self._root_group().keys()
            if key.startswith("templates_")
        ]
        return {
            name: read_array(self.path / f"templates_{name}")
            for name in sorted(names)
            if is_template_name(name)
        }

    def write_templates(self, name: str, values: np.ndarray) -> None:
        """Array ``templates_<name>`` (replaced if present), compressed as the default."""
        root = self._writable_root()
        if f"templates_{name}" in root:
            del root[f"templates_{name}"]
        create_array(root, f"templates_{name}", values, compressor=get_default_zarr_compressor())

    # ------------------------------------------------------------------ waveforms
    def has_waveforms(self) -> bool:
        """Whether the ``waveforms`` group exists."""
        return "waveforms" in self._root_group()

    def reset_waveforms(self) -> None:
        """Refused: waveforms are saved into zarr stores, never extracted into them."""
        raise NotImplementedError(_NOT_EXTRACTABLE)

    def delete_waveforms(self) -> None:
        """Delete the ``waveforms`` group."""
        if self._read_only:
            raise ValueError(f"{self.path} is read-only: its waveforms cannot be deleted")
        del self._writable_root()["waveforms"]

    def write_sampled_indices(self, sampled_indices: dict[Any, np.ndarray]) -> None:
        """Refused, as :meth:`reset_waveforms`."""
        raise NotImplementedError(_NOT_EXTRACTABLE)

    def extract_waveforms(
        self,
        recording: BaseRecording,
        spikes: np.ndarray,
        unit_ids: np.ndarray,
        nbefore: int,
        nafter: int,
        averages: dict | None = None,
        **kernel_kwargs: Any,
    ) -> None:
        """Refused, as :meth:`reset_waveforms`."""
        raise NotImplementedError(_NOT_EXTRACTABLE)

    def read_waveforms(self, unit_id: Any, lazy: bool) -> np.ndarray | zarr.Array:
        """Array ``waveforms/waveforms_<unit_id>`` (the zarr array when ``lazy``)."""
        group = self._root_group()["waveforms"]
        name = f"waveforms_{unit_id}"
        if name not in group:
            raise ValueError(f"{self.path}: no waveforms for unit {unit_id!r}")
        return group[name] if lazy else group[name][...]

    def read_sampled_indices(self, unit_id: Any) -> np.ndarray:
        """Array ``waveforms/sampled_index_<unit_id>``."""
        return self._root_group()["waveforms"][f"sampled_index_{unit_id}"][...]

    # ------------------------------------------------------------------ extensions
    def has_extension(self, name: str) -> bool:
        """Whether group ``name`` exists with a ``params`` attribute."""
        root = self._root_group()
        return name in root and "params" in root[name].attrs

    def extension_folder(self, name: str) -> None:
        """None: extensions are groups of the store."""
        return None

    def read_extension_params(self, name: str) -> dict:
        """Attribute ``params`` of group ``name``."""
        if not self.has_extension(name):
            raise FileNotFoundError(f"{self.path}: extension {name!r} not found")
        return dict(self._root_group()[name].attrs["params"])

    def write_extension_params(self, name: str, params: dict) -> None:
        """Attribute ``params`` of group ``name`` (created if needed)."""
        self._writable_root().require_group(name).attrs["params"] = params

    def read_extension_data(self, name: str) -> dict[str, Any]:
        """The arrays of group ``name`` (see :func:`~.zarr_io.read_zarr_extension_data`)."""
        return read_zarr_extension_data(self.path / name, self.allow_pickle)

    def write_extension_data(self, name: str, data: dict[str, Any], compressor: Any = None) -> None:
        """The arrays of group ``name`` (see :func:`~.zarr_io.write_zarr_extension_data`)."""
        write_zarr_extension_data(self.path / name, data, compressor)
        with self._root_lock:
            self._root = None

    def reset_extension(self, name: str) -> None:
        """Replace group ``name`` by an empty group."""
        self._writable_root().create_group(name, overwrite=True)

    def delete_extension(self, name: str) -> None:
        """Delete group ``name``."""
        root = self._writable_root()
        if name in root:
            del root[name]
