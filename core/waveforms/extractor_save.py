"""New WaveformExtractors from an existing one: ``select_units`` and ``save``.

:class:`SavingMixin` gives the extractor :meth:`~SavingMixin.select_units` (a subset of units, in
memory or in a new binary folder) and :meth:`~SavingMixin.save` (a binary folder or a zarr
store), carrying waveforms, templates and extensions over. Both describe what to write as an
:class:`~.store.ExtractorContent`; the store class of the target writes it atomically
(``<target>.partial-<id>``, then renamed), and the result is reopened with the same recording
object. Any extractor, whatever its store, can be saved or selected into any target.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..atomic import atomic_folder
from ..source_files import check_save_target
from .store import ExtractorContent
from .store_folder import BinaryFolderStore
from .store_memory import MemoryStore

if TYPE_CHECKING:
    from ..sorting.base import BaseSorting
    from .extractor import WaveformExtractor
    from .sparsity import ChannelSparsity

_STORE_FORMATS = ("binary", "zarr")


def _store_class(format: str) -> type:
    """The store class writing ``format`` (zarr is imported only when a zarr store is saved)."""
    if format == "zarr":
        from .store_zarr import ZarrWaveformStore

        return ZarrWaveformStore
    return BinaryFolderStore


class SavingMixin:
    """``select_units`` and ``save`` of a WaveformExtractor.

    Needs the WaveformExtractor API (``from_store``, ``sorting``, ``sparsity``, ``store``,
    ``recording_info()``, ``get_waveforms()``, ``get_all_templates()``, extensions...) and
    ``_params`` and ``_template_cache`` on the class it is mixed into.
    """

    def _content(
        self,
        sorting: BaseSorting,
        unit_indices: np.ndarray,
        sparsity: ChannelSparsity | None,
        new_sparsity: ChannelSparsity | None = None,
    ) -> ExtractorContent:
        """What a new store holding the units ``unit_indices`` is written from.

        ``sparsity`` is the sparsity of the result; a ``new_sparsity`` (of a dense extractor)
        zeroes the templates outside it and restricts the waveforms to it.
        """
        templates = {}
        for name, values in self._template_cache.items():
            values = np.array(values[unit_indices])
            if new_sparsity is not None:
                values[~np.broadcast_to(new_sparsity.mask[:, None, :], values.shape)] = 0
            templates[name] = values
        unit_ids = self.unit_ids[unit_indices].tolist()

        def waveforms():
            for position, unit_id in enumerate(unit_ids):
                values, index = self.get_waveforms(unit_id, with_index=True)
                values = np.asarray(values)
                if new_sparsity is not None:
                    values = values[:, :, new_sparsity.mask[position]]
                yield unit_id, values, index

        rec_attributes, probegroup = self.recording_info()
        return ExtractorContent(
            params=dict(self._params),
            recording=self.recording if self.has_recording() else None,
            sorting=sorting,
            rec_attributes=rec_attributes,
            probegroup=probegroup,
            sparsity=sparsity,
            templates=templates,
            waveforms=waveforms if self.has_waveforms() else None,
        )

    def select_units(
        self, unit_ids, new_folder: str | Path | None = None, use_relative_path: bool = False
    ) -> WaveformExtractor:
        """A new extractor with only ``unit_ids`` (waveforms, templates and extensions sliced).

        Parameters
        ----------
        unit_ids : array-like
        new_folder : str or Path or None, default: None
            Write a binary folder (atomically); None gives an extractor in memory.
        use_relative_path : bool, default: False
            Describe the recording and sorting relative to ``new_folder``.
        """
        from .sparsity import ChannelSparsity

        sorting = self.sorting.select_units(unit_ids)
        unit_indices = self.sorting.ids_to_indices(list(unit_ids))
        sparsity = None
        if self.is_sparse():
            sparsity = ChannelSparsity(self.sparsity.mask[unit_indices], unit_ids, self.channel_ids)
        if new_folder is not None:
            content = self._content(sorting, unit_indices, sparsity)
            we = self._write(Path(new_folder), BinaryFolderStore, content, use_relative_path, False)
        else:
            waveforms = sampled_indices = None
            if self.has_waveforms():
                waveforms = {u: np.asarray(self.get_waveforms(u)) for u in unit_ids}
                sampled_indices = {u: self.get_sampled_indices(u) for u in unit_ids}
            store = MemoryStore(
                params=self._params,
                templates={k: v[unit_indices] for k, v in self._template_cache.items()},
                waveforms=waveforms,
                sampled_indices=sampled_indices,
            )
            rec_attributes = None
            if not self.has_recording():
                rec_attributes, probegroup = self.recording_info()
                rec_attributes["probegroup"] = probegroup
            we = type(self)(
                self._recording,
                sorting,
                rec_attributes=rec_attributes,
                allow_unfiltered=True,
                sparsity=sparsity,
                store=store,
            )
        for name in self.get_available_extension_names():
            self.load_extension(name).select_units(unit_ids, new_waveform_extractor=we)
        return we

    def _write(
        self,
        folder: Path,
        store_class: type,
        content: ExtractorContent,
        use_relative_path: bool,
        overwrite: bool,
        **options,
    ) -> WaveformExtractor:
        """Write ``content`` atomically into ``folder``; reopen it with the same recording."""
        with atomic_folder(folder, overwrite=overwrite) as partial:
            store_class.write(partial, content, use_relative_path, **options)
        we = type(self).from_store(
            store_class(folder), with_recording=False, sorting=content.sorting
        )
        if self.has_recording():
            we.set_recording(self.recording, allow_unfiltered=True)
        return we

    def save(
        self,
        folder: str | Path,
        format: str = "binary",
        use_relative_path: bool = False,
        overwrite: bool = False,
        sparsity: ChannelSparsity | None = None,
        **kwargs,
    ) -> WaveformExtractor:
        """Write this extractor to a binary folder or a zarr store and return it reopened.

        Parameters
        ----------
        folder : str or Path
            Target; ``format="zarr"`` forces the ``.zarr`` suffix.
        format : {"binary", "zarr"}, default: "binary"
        use_relative_path : bool, default: False
            Describe the recording and sorting relative to the new folder.
        overwrite : bool, default: False
            Replace an existing target (only once the new one is complete).
        sparsity : ChannelSparsity or None, default: None
            Make a dense extractor sparse while saving.
        **kwargs
            ``compressor`` for zarr (default Blosc zstd).

        Returns
        -------
        WaveformExtractor

        Raises
        ------
        FileExistsError
            If the target exists and ``overwrite`` is False.
        ValueError
            If the target is, holds or lies inside this extractor's folder or a file of its
            recording or sorting (checked before anything is written).
        """
        if format not in _STORE_FORMATS:
            raise ValueError(f"format must be 'binary' or 'zarr', got {format!r}")
        self._check_extra_sparsity(sparsity)
        store_class = _store_class(format)
        folder = store_class.target_path(folder)
        if folder.exists() and not overwrite:
            raise FileExistsError(f"{folder} already exists (use overwrite=True to replace it)")
        check_save_target(folder, {"waveform extractor being saved": self})
        all_units = np.arange(len(self.unit_ids))
        content = self._content(self.sorting, all_units, sparsity or self.sparsity, sparsity)
        new_we = self._write(
            folder,
            store_class,
            content,
            use_relative_path,
            overwrite,
            compressor=kwargs.get("compressor"),
        )
        for name in self.get_available_extension_names():
            extension = self.load_extension(name)
            if sparsity is not None and extension.handle_sparsity:
                warnings.warn(
                    f"extension {name!r} is not copied: recompute it with the new sparsity",
                    stacklevel=2,
                )
                continue
            extension.copy(new_we)
        return new_we
