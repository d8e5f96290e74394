"""New WaveformExtractors from an existing one: ``select_units`` and ``save``.

:class:`SavingMixin` gives the extractor :meth:`~SavingMixin.select_units` (a subset of units, in
memory or in a new binary folder) and :meth:`~SavingMixin.save` (a binary folder or a zarr
store), carrying waveforms, templates and extensions over. Targets are written atomically
(``<target>.partial-<id>``, then renamed) by :mod:`.folder_io` and :mod:`.zarr_io`, then reopened
with the same recording object.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..atomic import atomic_folder
from ..source_files import check_save_target
from .folder_io import write_binary, write_selection
from .zarr_io import write_zarr

if TYPE_CHECKING:
    from ..sorting.base import BaseSorting
    from .extractor import WaveformExtractor
    from .sparsity import ChannelSparsity


class SavingMixin:
    """``select_units`` and ``save`` of a WaveformExtractor.

    Needs the WaveformExtractor API (``load``, ``sorting``, ``folder``, ``format``,
    ``get_waveforms()``, extensions...) and its ``_recording``, ``_rec_attributes``, ``_params``,
    ``_template_cache`` and ``_memory_objects`` on the class it is mixed into.
    """

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
        if new_folder is not None and self.folder is not None:
            if self.format == "zarr":
                raise NotImplementedError(
                    "select_units(new_folder=...) is not supported for zarr: select in memory "
                    "(new_folder=None), then save(format='zarr')"
                )
            new_folder = Path(new_folder)
            write_selection(
                self, new_folder, unit_ids, unit_indices, sorting, sparsity, use_relative_path
            )
            we = self._reopen(new_folder, sorting)
        else:
            we = type(self)(
                self._recording,
                sorting,
                None,
                rec_attributes=self._rec_attributes,
                allow_unfiltered=True,
                sparsity=sparsity,
            )
            we._params = dict(self._params)
            we._template_cache = {k: v[unit_indices] for k, v in self._template_cache.items()}
            if self.has_waveforms():
                we._memory_objects = {
                    "wfs_arrays": {u: np.asarray(self.get_waveforms(u)) for u in unit_ids},
                    "sampled_indices": {u: self.get_sampled_indices(u) for u in unit_ids},
                }
        for name in self.get_available_extension_names():
            self.load_extension(name).select_units(unit_ids, new_waveform_extractor=we)
        return we

    def _reopen(self, folder: Path, sorting: BaseSorting) -> WaveformExtractor:
        """Open a folder just written from this extractor, with the same recording object."""
        we = type(self).load(folder, with_recording=False, sorting=sorting)
        if self.has_recording():
            we.set_recording(self._recording, allow_unfiltered=True)
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
        if format not in ("binary", "zarr"):
            raise ValueError(f"format must be 'binary' or 'zarr', got {format!r}")
        self._check_extra_sparsity(sparsity)
        folder = Path(folder)
        if format == "zarr" and folder.suffix != ".zarr":
            folder = folder.parent / f"{folder.name}.zarr"
        if folder.exists() and not overwrite:
            raise FileExistsError(f"{folder} already exists (use overwrite=True to replace it)")
        check_save_target(folder, {"waveform extractor being saved": self})
        with atomic_folder(folder, overwrite=overwrite) as partial:
            if format == "binary":
                write_binary(self, partial, use_relative_path, sparsity)
            else:
                write_zarr(self, partial, use_relative_path, sparsity, kwargs.get("compressor"))
        new_we = self._reopen(folder, self.sorting)
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
