"""WaveformExtractor: waveforms of sampled spikes of a sorting, cut from its recording.

The extractor is a facade over one :class:`~.store.WaveformStore` that keeps its waveforms,
sampled indices, parameters, templates and extension data: a binary folder (``.npy`` files read
lazily as memmaps; SpikeInterface 0.100's layout, FORMATS.md §8), a zarr store, memory, or a
SortingAnalyzer read as a WaveformExtractor. This module holds the class itself: its state,
creating and loading it, extraction parameters, running the extraction and reading waveforms
back. Its other parts are mixed in: recording facts (:mod:`.extractor_recording`), templates
(:mod:`.extractor_templates`), ``select_units``/``save`` (:mod:`.extractor_save`) and extensions
(:mod:`.extension`); they reach the data only through the store.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..atomic import atomic_folder
from ..errors import InvalidInputError
from ..source_files import check_save_target
from .extension import ExtensionHostMixin
from .extractor_recording import RecordingInfoMixin, check_spikes_in_recording
from .extractor_save import SavingMixin
from .extractor_templates import TemplatesMixin
from .sampling import sample_spikes
from .store import WaveformStore, open_waveform_store
from .store_folder import BinaryFolderStore
from .store_memory import MemoryStore

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting
    from .extension import BaseWaveformExtractorExtension
    from .sparsity import ChannelSparsity


class WaveformExtractor(RecordingInfoMixin, TemplatesMixin, SavingMixin, ExtensionHostMixin):
    """Waveforms of the spikes of ``sorting`` cut from ``recording``, and their templates.

    Build one with :func:`~core.extract_waveforms` or :meth:`create` + :meth:`set_params` +
    :meth:`run_extract_waveforms`; open one with :func:`~core.load_waveforms`.

    Parameters
    ----------
    recording : BaseRecording or None
        None for recordingless use: ``rec_attributes`` then describes the recording.
    sorting : BaseSorting
        The spikes.
    folder : str or Path or None, default: None
        Binary folder or ``.zarr`` store of an existing extractor; None for one in memory.
    rec_attributes : dict or None, default: None
        ``channel_ids``, ``sampling_frequency``, ``num_channels`` (required without recording),
        ``num_samples``, ``properties``, ``is_filtered``, ``probegroup`` (optional).
    allow_unfiltered : bool, default: False
        Accept a recording not annotated ``is_filtered=True``.
    sparsity : ChannelSparsity or None, default: None
        Channels of each unit's waveforms.
    store : WaveformStore or None, default: None
        Where the data lives, instead of ``folder`` (e.g. a prepared `MemoryStore`).

    Raises
    ------
    ValueError
        If the recording does not match the sorting, or is unfiltered without
        ``allow_unfiltered``, or ``rec_attributes`` lacks a required key.
    """

    def __init__(
        self,
        recording: BaseRecording | None,
        sorting: BaseSorting,
        folder: str | Path | None = None,
        rec_attributes: dict | None = None,
        allow_unfiltered: bool = False,
        sparsity: ChannelSparsity | None = None,
        *,
        store: WaveformStore | None = None,
    ) -> None:
        if store is None:
            store = MemoryStore() if folder is None else open_waveform_store(folder)
        elif folder is not None:
            raise ValueError("give folder or store, not both")
        self.sorting = sorting
        self._recording = None
        self._rec_attributes: dict | None = None
        self.set_recording(recording, rec_attributes, allow_unfiltered)
        self.sparsity = sparsity
        self.store = store
        self._waveforms: dict = {}
        self._params: dict = store.read_params()
        self._template_cache: dict[str, np.ndarray] = store.read_templates()
        self._loaded_extensions: dict[str, BaseWaveformExtractorExtension] = {}

    @property
    def folder(self) -> Path | None:
        """The folder or ``.zarr`` store; None in memory."""
        return self.store.path

    @property
    def format(self) -> str:
        """``"binary"``, ``"zarr"`` or ``"memory"``."""
        return self.store.format

    def __repr__(self) -> str:
        text = (
            f"{type(self).__name__}: {self.get_num_channels()} channels - "
            f"{self.sorting.get_num_units()} units - {self.get_num_segments()} segments"
        )
        if self._params:
            text += (
                f"\n  before:{self.nbefore} after:{self.nafter} "
                f"n_per_units:{self._params['max_spikes_per_unit']}"
            )
        if self.is_sparse():
            text += " - sparse"
        return text

    # ------------------------------------------------------------------ creation and loading
    @classmethod
    def create(
        cls,
        recording: BaseRecording,
        sorting: BaseSorting,
        folder: str | Path | None,
        mode: str = "folder",
        remove_if_exists: bool = False,
        use_relative_path: bool = False,
        allow_unfiltered: bool = False,
        sparsity: ChannelSparsity | None = None,
    ) -> WaveformExtractor:
        """A new extractor, without parameters or waveforms yet.

        Parameters
        ----------
        recording : BaseRecording
        sorting : BaseSorting
        folder : str or Path or None
            Folder to create (``mode="folder"``); written atomically.
        mode : {"folder", "memory"}, default: "folder"
        remove_if_exists : bool, default: False
            Replace an existing folder (else ``FileExistsError``).
        use_relative_path : bool, default: False
            Describe the recording and sorting with paths relative to the folder.
        allow_unfiltered : bool, default: False
        sparsity : ChannelSparsity or None, default: None

        Returns
        -------
        WaveformExtractor
        """
        if mode not in ("folder", "memory"):
            raise ValueError(f"mode must be 'folder' or 'memory', got {mode!r}")
        check_spikes_in_recording(recording, sorting)
        # built in memory first: a mismatched or unfiltered recording fails before any writing
        we = cls(recording, sorting, None, allow_unfiltered=allow_unfiltered, sparsity=sparsity)
        if mode == "memory":
            return we
        if folder is None:
            raise ValueError("folder is required with mode='folder'")
        folder = Path(folder)
        if remove_if_exists:
            check_save_target(folder, {"recording": recording, "sorting": sorting})
        with atomic_folder(folder, overwrite=remove_if_exists) as partial:
            BinaryFolderStore.create(partial, recording, sorting, use_relative_path, sparsity)
        return cls(recording, sorting, folder, allow_unfiltered=allow_unfiltered, sparsity=sparsity)

    @classmethod
    def load(
        cls,
        folder: str | Path,
        with_recording: bool = True,
        sorting: BaseSorting | None = None,
        allow_pickle: bool = False,
    ) -> WaveformExtractor:
        """Open a binary folder or a ``.zarr`` store (see :func:`~core.load_waveforms`)."""
        return cls.from_store(open_waveform_store(folder, allow_pickle), with_recording, sorting)

    @classmethod
    def load_from_folder(
        cls,
        folder: str | Path,
        with_recording: bool = True,
        sorting: BaseSorting | None = None,
        allow_pickle: bool = False,
    ) -> WaveformExtractor:
        """Open a binary folder written here or by SpikeInterface <= 0.100."""
        return cls.from_store(BinaryFolderStore(folder, allow_pickle), with_recording, sorting)

    @classmethod
    def load_from_zarr(
        cls,
        folder: str | Path,
        with_recording: bool = True,
        sorting: BaseSorting | None = None,
        allow_pickle: bool = False,
    ) -> WaveformExtractor:
        """Open a ``.zarr`` store written by :meth:`save` here or by SpikeInterface 0.100."""
        from .store_zarr import ZarrWaveformStore  # imports zarr

        return cls.from_store(ZarrWaveformStore(folder, allow_pickle), with_recording, sorting)

    @classmethod
    def from_store(
        cls, store, with_recording: bool = True, sorting: BaseSorting | None = None
    ) -> WaveformExtractor:
        """The extractor kept in ``store``, with the recording and sorting it describes.

        Parameters
        ----------
        store : WaveformStore
            A store that describes its extractor (``read_description``): a folder, a zarr store
            or a SortingAnalyzer.
        with_recording : bool, default: True
            Load the described recording; False uses the stored recording attributes.
        sorting : BaseSorting or None, default: None
            The sorting, instead of the described one.

        Returns
        -------
        WaveformExtractor
        """
        stored = store.read_description(with_recording, sorting)
        return cls(
            stored.recording,
            stored.sorting,
            rec_attributes=stored.rec_attributes,
            allow_unfiltered=True,
            sparsity=stored.sparsity,
            store=store,
        )

    # ------------------------------------------------------------------ basic facts
    @property
    def unit_ids(self) -> np.ndarray:
        """Unit ids of the sorting."""
        return self.sorting.unit_ids

    @property
    def sampling_frequency(self) -> float:
        """Sampling frequency of the sorting in Hz."""
        return self.sorting.get_sampling_frequency()

    def _param(self, key: str):
        if not self._params:
            raise ValueError("parameters are not set yet: call set_params() first")
        return self._params[key]

    @property
    def nbefore(self) -> int:
        """Samples before the spike: ``int(ms_before * fs / 1000)``."""
        return int(self._param("ms_before") * self.sampling_frequency / 1000.0)

    @property
    def nafter(self) -> int:
        """Samples after the spike: ``int(ms_after * fs / 1000)``."""
        return int(self._param("ms_after") * self.sampling_frequency / 1000.0)

    @property
    def nsamples(self) -> int:
        """Samples per waveform."""
        return self.nbefore + self.nafter

    @property
    def return_scaled(self) -> bool:
        """Whether waveforms are in µV."""
        return bool(self._param("return_scaled"))

    @property
    def dtype(self) -> str:
        """Waveform dtype string, e.g. ``"<f4"``."""
        return self._param("dtype")

    def is_read_only(self) -> bool:
        """Whether the folder cannot be written."""
        return self.store.is_read_only()

    def is_sparse(self) -> bool:
        """Whether waveforms hold only each unit's sparsity channels."""
        return self.sparsity is not None

    def get_num_segments(self) -> int:
        """Number of segments."""
        return self.sorting.get_num_segments()

    # ------------------------------------------------------------------ parameters and extraction
    def _reset(self) -> None:
        self.store.reset_waveforms()
        self._waveforms = {}
        self._template_cache = {}
        self._params = {}

    def set_params(
        self,
        ms_before: float = 1.0,
        ms_after: float = 2.0,
        max_spikes_per_unit: int | None = 500,
        return_scaled: bool = False,
        dtype=None,
    ) -> None:
        """Set the extraction parameters (deletes existing waveforms and templates).

        Parameters
        ----------
        ms_before, ms_after : float, default: 1.0, 2.0
            Window around each spike in ms.
        max_spikes_per_unit : int or None, default: 500
            Spikes sampled per unit, among those whose window fits in their segment; None
            takes all, padding windows that cross a segment border with zeros beyond it.
        return_scaled : bool, default: False
            Waveforms in µV; falls back to False (with a warning) without gains.
        dtype : numpy dtype-like or None, default: None
            The recording's dtype by default; float32 when scaling integer data.
        """
        if ms_before < 0 or ms_after < 0:
            raise ValueError(f"ms_before and ms_after must be >= 0, got {ms_before}, {ms_after}")
        self._reset()
        if dtype is None:
            dtype = self.recording.get_dtype()
        if return_scaled and not self.recording.has_scaled():
            warnings.warn(
                "the recording has no gain_to_uV/offset_to_uV: setting return_scaled=False",
                stacklevel=2,
            )
            return_scaled = False
        dtype = np.dtype(dtype)
        if return_scaled and dtype.kind in "iu":
            dtype = np.dtype("float32")
        if max_spikes_per_unit is not None:
            max_spikes_per_unit = int(max_spikes_per_unit)
        self._params = {
            "ms_before": float(ms_before),
            "ms_after": float(ms_after),
            "max_spikes_per_unit": max_spikes_per_unit,
            "return_scaled": bool(return_scaled),
            "dtype": dtype.str,
        }
        self.store.write_params(self._params)

    def sample_spikes(self, seed: int | None = None) -> dict[Any, list[np.ndarray]]:
        """Sample spikes (as SpikeInterface 0.100 for the same seed) and store their indices.

        Returns
        -------
        dict
            ``{unit_id: [sampled positions in the unit's train of each segment]}``.
        """
        _, sampled_indices = self._sample(seed)
        return {
            unit_id: [
                index["spike_index"][index["segment_index"] == s]
                for s in range(self.get_num_segments())
            ]
            for unit_id, index in sampled_indices.items()
        }

    def _sample(self, seed: int | None) -> tuple[np.ndarray, dict]:
        """Selected spike vector and per-unit sampled indices (written to the store)."""
        spikes, sampled_indices = sample_spikes(
            self.recording,
            self.sorting,
            self._param("max_spikes_per_unit"),
            self.nbefore,
            self.nafter,
            seed,
        )
        self.store.write_sampled_indices(sampled_indices)
        return spikes, sampled_indices

    def run_extract_waveforms(
        self, seed: int | None = None, precompute_average: bool = False, **job_kwargs
    ) -> None:
        """Sample spikes and extract their waveforms.

        Parameters
        ----------
        seed : int or None, default: None
            Seed of the spike sampling.
        precompute_average : bool, default: False
            Also compute the ``average`` templates while the waveforms are written (float32
            waveforms written by threads), instead of reading them back afterwards.
        **job_kwargs
            Job keyword arguments, plus ``progress_callback`` and ``cancel_token``.
        """
        spikes, _ = self._sample(seed)
        averages = {} if precompute_average else None
        self.store.extract_waveforms(
            self.recording,
            spikes,
            self.unit_ids,
            self.nbefore,
            self.nafter,
            averages=averages,
            return_scaled=self.return_scaled,
            dtype=self.dtype,
            sparsity_mask=None if self.sparsity is None else self.sparsity.mask,
            **job_kwargs,
        )
        if averages:
            self._set_average_templates(averages)

    # ------------------------------------------------------------------ waveforms
    def has_waveforms(self) -> bool:
        """Whether waveforms exist (extracted and not deleted)."""
        return self.store.has_waveforms()

    def delete_waveforms(self) -> None:
        """Delete the waveforms (the folder's ``waveforms/``, the zarr group or the arrays)."""
        if not self.has_waveforms():
            raise ValueError("this WaveformExtractor has no waveforms")
        self.store.delete_waveforms()
        self._waveforms = {}

    def _unit_index(self, unit_id) -> int:
        try:
            return self.sorting.id_to_index(unit_id)
        except ValueError:
            raise ValueError(f"unit_id {unit_id!r} is not a unit of the sorting") from None

    def _check_extra_sparsity(self, sparsity: ChannelSparsity | None) -> None:
        if sparsity is not None and self.is_sparse():
            raise ValueError("waveforms are already sparse: an additional sparsity cannot apply")

    def get_waveforms(
        self,
        unit_id,
        with_index: bool = False,
        cache: bool = False,
        lazy: bool = True,
        sparsity: ChannelSparsity | None = None,
        force_dense: bool = False,
    ):
        """Waveforms of one unit, ``(num_spikes, nsamples, num_channels_of_unit)``.

        Parameters
        ----------
        unit_id : int or str
        with_index : bool, default: False
            Also return the sampled indices (see :meth:`get_sampled_indices`).
        cache : bool, default: False
            Keep the array for the next calls.
        lazy : bool, default: True
            Memmap (binary) or zarr array instead of a numpy array.
        sparsity : ChannelSparsity or None, default: None
            Keep only these channels (dense extractors only).
        force_dense : bool, default: False
            Dense waveforms (zeros outside the sparsity) even when sparse.

        Returns
        -------
        np.ndarray or tuple
        """
        unit_index = self._unit_index(unit_id)
        self._check_extra_sparsity(sparsity)
        if not self.has_waveforms():
            raise InvalidInputError("waveforms were deleted or not extracted yet")
        waveforms = self._waveforms.get(unit_id)
        if waveforms is None:
            waveforms = self.store.read_waveforms(unit_id, lazy)
            if cache:
                self._waveforms[unit_id] = waveforms
        mask = None
        if sparsity is not None:
            mask = sparsity.mask[unit_index]
            waveforms = waveforms[:, :, mask]
        elif self.is_sparse():
            mask = self.sparsity.mask[unit_index]
        if force_dense and mask is not None:
            dense = np.zeros(waveforms.shape[:2] + (self.get_num_channels(),), waveforms.dtype)
            dense[:, :, mask] = waveforms
            waveforms = dense
        if with_index:
            return waveforms, self.get_sampled_indices(unit_id)
        return waveforms

    def get_sampled_indices(self, unit_id) -> np.ndarray:
        """Sampled spikes of a unit: ``[("spike_index", "<i8"), ("segment_index", "<i8")]``.

        ``spike_index`` is the spike's position in the unit's train of its segment.
        """
        self._unit_index(unit_id)
        if not self.has_waveforms():
            raise InvalidInputError("waveforms were deleted or not extracted yet")
        return self.store.read_sampled_indices(unit_id)

    def get_waveforms_segment(self, segment_index: int, unit_id, sparsity) -> np.ndarray:
        """Waveforms of one unit in one segment."""
        waveforms, index = self.get_waveforms(unit_id, with_index=True, sparsity=sparsity)
        return waveforms[index["segment_index"] == segment_index]
