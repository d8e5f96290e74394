"""Zarr sortings: ZarrSortingExtractor (read_zarr_sorting) and the zarr sorting writer.

Stores use the layout of SpikeInterface 0.100-0.105 (FORMATS.md §5.4), zarr format v2:

- root attributes ``sampling_frequency``, ``num_segments``, ``annotations``;
- ``unit_ids`` (int64 or fixed-width unicode, uncompressed);
- ``spikes/sample_index`` and ``spikes/unit_index`` (int64, spike-vector order, ``Delta`` filter
  and Blosc zstd 5 bit-shuffle compression);
- ``spikes/segment_slices`` (int64 ``(num_segments, 2)``: the ``[start, stop)`` rows of each
  segment);
- ``properties/<key>`` (uncompressed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import zarr
from numcodecs import Delta

from ..jobs import split_job_kwargs
from ..registry import register_extractor_class
from ..zarr_v2_store import (
    add_properties_and_annotations,
    create_array,
    get_default_zarr_compressor,
    open_root,
    read_properties,
    store_location,
    write_store,
    zarr_store_folder,
)
from .base import BaseSorting, BaseSortingSegment, minimum_spike_dtype
from .spike_vector import segment_bounds

_SPIKE_ARRAYS = ("spikes/sample_index", "spikes/unit_index", "spikes/segment_slices")


class ZarrSortingExtractor(BaseSorting):
    """A sorting stored in a zarr group (written by ``sorting.save(format="zarr")``).

    Opening reads only the unit ids, the segment bounds, the properties and the attributes;
    a segment reads its rows of the spike arrays on first use and the spike vector is built on
    first request.

    Parameters
    ----------
    folder_path : str | Path
        The ``.zarr`` folder, or a URL (``s3://...``) with ``storage_options``.
    storage_options : dict | None
        fsspec options for remote stores.
    zarr_group : str | None
        Path of the group holding the sorting inside the store (e.g. ``"sorting"`` in a
        SortingAnalyzer store); None: the root.

    Raises
    ------
    FileNotFoundError
        If the local folder does not exist.
    ValueError
        If the store is not a zarr sorting.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "ZarrSorting"
    mode = "folder"
    name = "zarr"

    def __init__(
        self,
        folder_path: str | Path,
        storage_options: dict | None = None,
        zarr_group: str | None = None,
    ) -> None:
        location = store_location(folder_path, storage_options)
        root = open_root(location, storage_options, saved_by="sorting")
        if zarr_group is not None:
            if zarr_group not in root:
                raise ValueError(f"{location}: no group {zarr_group!r} (zarr_group)")
            root = root[zarr_group]
            location = f"{location}/{zarr_group}"
        # SpikeInterface's attribute: the group the sorting is read from
        self._root = root
        for key in ("sampling_frequency", "num_segments"):
            if key not in root.attrs:
                raise ValueError(f"{location}: not a zarr sorting (no {key!r} attribute)")
        for name in ("unit_ids", *_SPIKE_ARRAYS):
            if name not in root:
                raise ValueError(f"{location}: not a zarr sorting (no {name!r} array)")
        unit_ids = np.asarray(root["unit_ids"][:])
        super().__init__(float(root.attrs["sampling_frequency"]), unit_ids)

        num_segments = int(root.attrs["num_segments"])
        self._sample_index = root["spikes/sample_index"]
        self._unit_index = root["spikes/unit_index"]
        self._segment_slices = _checked_segment_slices(
            np.asarray(root["spikes/segment_slices"][:], dtype="int64"),
            num_segments,
            self._sample_index.shape[0],
            location,
        )
        for start, stop in self._segment_slices:
            self.add_sorting_segment(
                ZarrSortingSegment(
                    self._sample_index, self._unit_index, int(start), int(stop), self.unit_ids
                )
            )
        read_properties(self, root)
        self._kwargs = {
            "folder_path": store_location(folder_path, storage_options),
            "storage_options": storage_options,
            "zarr_group": zarr_group,
        }

    def _compute_spike_vector(self) -> np.ndarray:
        spikes = np.zeros(self._sample_index.shape[0], dtype=minimum_spike_dtype)
        spikes["sample_index"] = self._sample_index[:]
        spikes["unit_index"] = self._unit_index[:]
        counts = self._segment_slices[:, 1] - self._segment_slices[:, 0]
        spikes["segment_index"] = np.repeat(np.arange(counts.size, dtype="int64"), counts)
        return spikes

    @staticmethod
    def write_sorting(
        sorting: BaseSorting,
        folder_path: str | Path,
        storage_options: dict | None = None,
        **kwargs: Any,
    ) -> None:
        """Write ``sorting`` to a zarr store at ``folder_path`` (no suffix is added).

        As in SpikeInterface, an existing store is replaced (pass ``overwrite=False`` to refuse);
        a local store is replaced only once the new one is complete.

        Parameters
        ----------
        sorting : BaseSorting
            Source.
        folder_path : str | Path
            Target folder, or a URL with ``storage_options``.
        storage_options : dict | None
            fsspec options for remote stores.
        **kwargs
            ``overwrite`` (default True) and the options of `add_sorting_to_zarr_group`.
        """
        overwrite = kwargs.pop("overwrite", True)
        _write_store(sorting, folder_path, storage_options, overwrite, kwargs)


class ZarrSortingSegment(BaseSortingSegment):
    """One segment of a zarr sorting: rows ``[start, stop)`` of the spike arrays.

    Parameters
    ----------
    sample_index, unit_index : zarr.Array
        The store's ``spikes/sample_index`` and ``spikes/unit_index``.
    start, stop : int
        Rows of this segment.
    unit_ids : np.ndarray
        Unit ids that ``unit_index`` indexes.
    """

    def __init__(
        self,
        sample_index: zarr.Array,
        unit_index: zarr.Array,
        start: int,
        stop: int,
        unit_ids: np.ndarray,
    ) -> None:
        super().__init__(t_start=None)
        self._arrays = (sample_index, unit_index)
        self._rows = slice(start, stop)
        self._unit_ids = unit_ids
        self._spikes: tuple[np.ndarray, np.ndarray] | None = None

    def _segment_spikes(self) -> tuple[np.ndarray, np.ndarray]:
        if self._spikes is None:
            sample_index, unit_index = self._arrays
            self._spikes = (
                np.asarray(sample_index[self._rows], dtype="int64"),
                np.asarray(unit_index[self._rows], dtype="int64"),
            )
        return self._spikes

    def get_unit_spike_train(
        self, unit_id, start_frame: int | None, end_frame: int | None
    ) -> np.ndarray:
        samples, units = self._segment_spikes()
        start = 0 if start_frame is None else np.searchsorted(samples, start_frame, "left")
        end = samples.size if end_frame is None else np.searchsorted(samples, end_frame, "left")
        unit_index = int(np.flatnonzero(self._unit_ids == unit_id)[0])
        return samples[start:end][units[start:end] == unit_index]


read_zarr_sorting = ZarrSortingExtractor


def add_sorting_to_zarr_group(sorting: BaseSorting, zarr_group: zarr.Group, **kwargs: Any) -> None:
    """Fill an empty zarr v2 group with the SpikeInterface 0.100 sorting layout.

    Parameters
    ----------
    sorting : BaseSorting
        Source.
    zarr_group : zarr.Group
        Group opened for writing with ``zarr_format=2``.
    **kwargs
        ``compressor``: codec of the spike arrays (default `get_default_zarr_compressor`; None
        for no compression).

    Raises
    ------
    TypeError
        If a keyword argument is unknown.
    """
    unknown = sorted(set(kwargs) - {"compressor"})
    if unknown:
        raise TypeError(f"unexpected keyword arguments for a zarr sorting: {', '.join(unknown)}")
    compressor = kwargs.get("compressor", get_default_zarr_compressor())
    num_segments = sorting.get_num_segments()
    zarr_group.update_attributes(
        {"sampling_frequency": float(sorting.sampling_frequency), "num_segments": int(num_segments)}
    )
    create_array(zarr_group, "unit_ids", _unit_ids_for_store(sorting.unit_ids), "auto")
    spikes_group = zarr_group.create_group("spikes")
    spikes = sorting.to_spike_vector()
    for field in ("sample_index", "unit_index"):
        values = np.ascontiguousarray(spikes[field], dtype="int64")
        create_array(spikes_group, field, values, "auto", compressor, [Delta(dtype="int64")])
    bounds = segment_bounds(spikes, num_segments)
    create_array(
        spikes_group,
        "segment_slices",
        np.stack([bounds[:-1], bounds[1:]], axis=1).astype("int64"),
        "auto",
    )
    add_properties_and_annotations(zarr_group, sorting)


def save_sorting_to_zarr(
    sorting: BaseSorting,
    name: str | None = None,
    folder: str | Path | None = None,
    overwrite: bool = False,
    storage_options: dict | None = None,
    verbose: bool = True,
    **save_kwargs: Any,
) -> ZarrSortingExtractor:
    """Write ``sorting`` to a zarr store and return the sorting read from it.

    A local store is written under a temporary name and moved into place when complete: a
    failed save leaves nothing named ``*.zarr``.

    Parameters
    ----------
    sorting : BaseSorting
        Source.
    name : str | None
        Store name inside the global temporary folder when ``folder`` is None (random if None).
    folder : str | Path | None
        Target; its suffix becomes ``.zarr``. Remote URLs (with ``storage_options``) are used
        as given.
    overwrite : bool
        Replace an existing store (only once the new one is complete, for local stores).
    storage_options : dict | None
        fsspec options for remote stores.
    verbose : bool
        Print the path of a store written to the temporary folder.
    **save_kwargs
        ``compressor`` (see `add_sorting_to_zarr_group`). Job keyword arguments are accepted,
        as SpikeInterface does, and unused: the spikes are written in one pass.

    Returns
    -------
    ZarrSortingExtractor

    Raises
    ------
    FileExistsError
        If the store exists and ``overwrite`` is False (nothing is written).
    TypeError
        If a keyword argument is unknown.
    """
    format_kwargs, _ = split_job_kwargs(save_kwargs)
    folder = zarr_store_folder(folder, name, storage_options, verbose)
    _write_store(sorting, folder, storage_options, overwrite, format_kwargs)
    return ZarrSortingExtractor(folder, storage_options=storage_options)


def _write_store(
    sorting: BaseSorting,
    folder_path: str | Path,
    storage_options: dict | None,
    overwrite: bool,
    kwargs: dict,
) -> None:
    """Write the store atomically (local) or directly (remote)."""
    write_store(
        folder_path,
        storage_options,
        overwrite,
        lambda root, _location, _options: add_sorting_to_zarr_group(sorting, root, **kwargs),
        sources={"sorting being saved": sorting},
    )


def _unit_ids_for_store(unit_ids: np.ndarray) -> np.ndarray:
    """int64 or fixed-width unicode, the two id dtypes SpikeInterface stores."""
    if unit_ids.dtype.kind in "iu" or unit_ids.size == 0:
        return unit_ids.astype("int64")
    return unit_ids.astype("U")


def _checked_segment_slices(
    slices: np.ndarray, num_segments: int, num_spikes: int, location: str
) -> np.ndarray:
    """``segment_slices`` if they cut ``[0, num_spikes)`` into ``num_segments`` runs in order."""
    if num_segments < 1 or slices.shape != (num_segments, 2):
        raise ValueError(
            f"{location}: spikes/segment_slices has shape {slices.shape}; expected "
            f"({num_segments}, 2) for num_segments {num_segments}"
        )
    starts, stops = slices[:, 0], slices[:, 1]
    if (
        starts[0] != 0
        or stops[-1] != num_spikes
        or np.any(stops < starts)
        or np.any(starts[1:] != stops[:-1])
    ):
        raise ValueError(
            f"{location}: spikes/segment_slices {slices.tolist()} do not split the "
            f"{num_spikes} spikes into consecutive segments"
        )
    return slices


register_extractor_class(
    ZarrSortingExtractor, "spikeinterface.core.zarrextractors.ZarrSortingExtractor"
)
