"""Where a WaveformExtractor keeps its data: the `WaveformStore` protocol and what stores share.

A :class:`~core.waveforms.WaveformExtractor` is a facade: its waveforms, sampled indices,
parameters, templates and extension data live in one store, and the extractor never asks which
kind it is. One class per storage:

=====================================================  ==========================================
store                                                  storage
=====================================================  ==========================================
:class:`~.store_folder.BinaryFolderStore`              binary folder (FORMATS.md §8.1), ``.npy``
:class:`~.store_zarr.ZarrWaveformStore`                ``.zarr`` store (§8.2), zarr format 2
:class:`~.store_memory.MemoryStore`                    numpy arrays and dicts
:class:`~core.formats.sorting_analyzer.AnalyzerWaveformStore`  a SpikeInterface SortingAnalyzer
                                                       folder or zarr store, read as in §9.2
=====================================================  ==========================================

On-disk stores also describe themselves to openers: ``matches(path)`` says whether a path holds
one, ``read_description()`` gives the recording, sorting, recording attributes and sparsity
stored with it, and ``write(folder, content, ...)`` writes a whole new one from an
:class:`ExtractorContent`. :func:`open_waveform_store` picks the class of a path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from probeinterface import ProbeGroup

    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting
    from .sparsity import ChannelSparsity


@runtime_checkable
class WaveformStore(Protocol):
    """The storage of one WaveformExtractor: parameters, waveforms, templates, extension data.

    Attributes
    ----------
    format : str
        ``"binary"``, ``"zarr"`` or ``"memory"`` (``WaveformExtractor.format``).
    path : Path or None
        The folder or ``.zarr`` store; None in memory.
    """

    format: str
    path: Path | None

    def is_read_only(self) -> bool:
        """Whether nothing may be written (a folder without write permission)."""

    # ------------------------------------------------------------------ parameters and templates
    def read_params(self) -> dict:
        """The extraction parameters (empty before ``write_params``)."""

    def write_params(self, params: dict) -> None:
        """Store the extraction parameters."""

    def read_templates(self) -> dict[str, np.ndarray]:
        """Stored templates by name (``average``, ``percentile_5.0``...)."""

    def write_templates(self, name: str, values: np.ndarray) -> None:
        """Store (or replace) the templates ``name``."""

    # ------------------------------------------------------------------ waveforms
    def has_waveforms(self) -> bool:
        """Whether waveforms exist (extracted and not deleted)."""

    def reset_waveforms(self) -> None:
        """Delete waveforms, sampled indices and templates, ready for a new extraction.

        Raises ``NotImplementedError`` where waveforms cannot be extracted into the store,
        ``ValueError`` where it is read-only.
        """

    def delete_waveforms(self) -> None:
        """Delete waveforms and sampled indices (``ValueError`` where read-only)."""

    def write_sampled_indices(self, sampled_indices: dict[Any, np.ndarray]) -> None:
        """Store the sampled indices of every unit (before its waveforms are extracted)."""

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
        """Cut the waveforms of ``spikes`` into the store (see `extract_waveforms_to_buffers`)."""

    def read_waveforms(self, unit_id: Any, lazy: bool) -> np.ndarray:
        """Waveforms of one unit: lazily (memmap, zarr array) or as a numpy array."""

    def read_sampled_indices(self, unit_id: Any) -> np.ndarray:
        """Sampled indices of one unit."""

    # ------------------------------------------------------------------ extensions
    def has_extension(self, name: str) -> bool:
        """Whether extension ``name`` has stored parameters."""

    def extension_folder(self, name: str) -> Path | None:
        """The folder of extension ``name`` in a binary folder, else None."""

    def read_extension_params(self, name: str) -> dict:
        """Parameters of extension ``name`` (``FileNotFoundError`` if absent)."""

    def write_extension_params(self, name: str, params: dict) -> None:
        """Store the (JSON-ready) parameters of extension ``name``."""

    def read_extension_data(self, name: str) -> dict[str, Any]:
        """Data of extension ``name`` by item name."""

    def write_extension_data(self, name: str, data: dict[str, Any], compressor: Any = None) -> None:
        """Store the data of extension ``name`` (after ``reset_extension``)."""

    def reset_extension(self, name: str) -> None:
        """Empty the storage of extension ``name``."""

    def delete_extension(self, name: str) -> None:
        """Delete extension ``name`` (nothing happens if it is absent)."""


@dataclass
class StoredExtractor:
    """What a stored extractor describes besides its data: what the facade is built with."""

    recording: BaseRecording | None
    sorting: BaseSorting
    rec_attributes: dict | None
    sparsity: ChannelSparsity | None


@dataclass
class ExtractorContent:
    """Everything a new store is written from (a save, a selection of units).

    Attributes
    ----------
    params : dict
        Extraction parameters.
    recording : BaseRecording or None
        Described in the new store when given.
    sorting : BaseSorting
    rec_attributes : dict
        JSON-ready recording attributes (``recording_info``), without the probe group.
    probegroup : ProbeGroup or None
    sparsity : ChannelSparsity or None
        Sparsity of the waveforms written.
    templates : dict
        Dense templates by name.
    waveforms : callable or None
        Yields ``(unit_id, waveforms, sampled_index)`` for every unit; None without waveforms.
    """

    params: dict
    recording: BaseRecording | None
    sorting: BaseSorting
    rec_attributes: dict
    probegroup: ProbeGroup | None
    sparsity: ChannelSparsity | None
    templates: dict[str, np.ndarray]
    waveforms: Callable[[], Iterator[tuple[Any, np.ndarray, np.ndarray]]] | None


def open_waveform_store(path: str | Path, allow_pickle: bool = False) -> WaveformStore:
    """The store of a WaveformExtractor folder (``.zarr`` suffix: a zarr store).

    Parameters
    ----------
    path : str or Path
    allow_pickle : bool, default: False
        Let the store read pickled extension data (which can execute code).

    Returns
    -------
    BinaryFolderStore or ZarrWaveformStore
    """
    from .store_folder import BinaryFolderStore
    from .store_zarr import ZarrWaveformStore

    path = Path(path)
    store_class = ZarrWaveformStore if path.suffix == ".zarr" else BinaryFolderStore
    return store_class(path, allow_pickle=allow_pickle)
