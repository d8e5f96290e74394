"""NPZ sortings: NpzSortingExtractor (read_npz_sorting), SpikeInterface's single-file format.

The archive (FORMATS.md §5.2) is a ``numpy.savez`` file holding ``unit_ids``, ``num_segment``,
``sampling_frequency`` and, per segment N, ``spike_indexes_segN`` (sample indices) with
``spike_labels_segN`` (the unit id of each spike). It is read with ``allow_pickle=False``.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import partial_name
from ..opening import PRIORITY_SORTER_OUTPUT, OpenOptions, register_opener
from ..registry import register_extractor_class
from ..source_files import check_save_target
from .base import BaseSorting, minimum_spike_dtype
from .numpy import SpikeVectorSortingSegment
from .spike_vector import sort_spike_vector

_NPZ_KEYS = "unit_ids, num_segment, sampling_frequency, spike_indexes_seg<N>, spike_labels_seg<N>"


class NpzSortingExtractor(BaseSorting):
    """A sorting stored in one ``.npz`` archive (SpikeInterface's ``NpzSortingExtractor``).

    The whole archive is read when the object is built; spikes are kept as a spike vector.

    Parameters
    ----------
    file_path : str | Path
        The ``.npz`` file.

    Raises
    ------
    FileNotFoundError
        If ``file_path`` does not exist.
    ValueError
        If the file is not an npz archive, lacks a key, holds Python objects, or has labels that
        are not among its unit ids.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "NpzSortingExtractor"
    mode = "file"
    name = "npz"

    def __init__(self, file_path: str | Path) -> None:
        file_path = Path(file_path)
        unit_ids, sampling_frequency, frames, labels = _read_archive(file_path)
        super().__init__(sampling_frequency, unit_ids)
        parts = []
        for segment_index, (segment_frames, segment_labels) in enumerate(zip(frames, labels)):
            spikes = np.zeros(segment_frames.size, dtype=minimum_spike_dtype)
            spikes["sample_index"] = segment_frames
            spikes["unit_index"] = _unit_indices(
                segment_labels, self.unit_ids, file_path, f"spike_labels_seg{segment_index}"
            )
            spikes["segment_index"] = segment_index
            parts.append(spikes)
        spikes = sort_spike_vector(np.concatenate(parts))
        spikes.flags.writeable = False
        for segment_index in range(len(frames)):
            self.add_sorting_segment(
                SpikeVectorSortingSegment(spikes, segment_index, self.unit_ids)
            )
        self._cached_spike_vector = spikes
        self._kwargs = {"file_path": str(file_path.absolute())}

    @staticmethod
    def write_sorting(sorting: BaseSorting, save_path: str | Path) -> None:
        """Write ``sorting`` to an uncompressed ``.npz`` archive.

        The archive is written under a temporary name and renamed when complete, so
        ``save_path`` is never left half-written. Properties and annotations are not stored
        (the format has no place for them).

        Parameters
        ----------
        sorting : BaseSorting
            Source.
        save_path : str | Path
            Target file; ``.npz`` is appended unless the name already ends with it (as
            ``numpy.savez`` does). Missing parent folders are created.
        """
        save_path = Path(save_path)
        if not save_path.name.endswith(".npz"):
            save_path = save_path.with_name(save_path.name + ".npz")
        check_save_target(save_path, {"sorting being written": sorting}, argument="save_path")
        arrays = _archive_arrays(sorting)
        save_path.parent.mkdir(parents=True, exist_ok=True)
        partial = partial_name(save_path)
        try:
            with open(partial, "wb") as file:
                np.savez(file, **arrays)
            os.replace(partial, save_path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


read_npz_sorting = NpzSortingExtractor


def _read_archive(
    file_path: Path,
) -> tuple[np.ndarray, float, list[np.ndarray], list[np.ndarray]]:
    """Unit ids, sampling frequency and per-segment frames and labels of an npz sorting."""
    if not file_path.is_file():
        raise FileNotFoundError(f"{file_path}: no such npz file")
    try:
        archive = np.load(file_path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"{file_path}: not an npz archive ({err})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{file_path}: not an npz archive (it is a single .npy array)")
    with archive:

        def read(key: str) -> np.ndarray:
            if key not in archive.files:
                raise ValueError(
                    f"{file_path}: key {key!r} is missing (an npz sorting holds {_NPZ_KEYS})"
                )
            try:
                return archive[key]
            except ValueError:
                raise ValueError(
                    f"{file_path}: {key!r} holds Python objects, which are not read "
                    "(unpickling can execute code)"
                ) from None

        unit_ids = read("unit_ids")
        num_segments = _single_value(read("num_segment"), file_path, "num_segment", int)
        sampling_frequency = _single_value(
            read("sampling_frequency"), file_path, "sampling_frequency", float
        )
        if num_segments < 1:
            raise ValueError(f"{file_path}: num_segment is {num_segments}; expected at least 1")
        frames, labels = [], []
        for segment_index in range(num_segments):
            key = f"spike_indexes_seg{segment_index}"
            segment_frames = read(key)
            if segment_frames.size and segment_frames.dtype.kind not in "iu":
                raise ValueError(
                    f"{file_path}: {key!r} must hold integer sample indices, "
                    f"got {segment_frames.dtype}"
                )
            segment_labels = read(f"spike_labels_seg{segment_index}")
            if segment_labels.shape != segment_frames.shape or segment_frames.ndim != 1:
                raise ValueError(
                    f"{file_path}: segment {segment_index} has {segment_frames.shape} spike "
                    f"indexes but {segment_labels.shape} labels"
                )
            frames.append(segment_frames.astype("int64", copy=False))
            labels.append(segment_labels)
    if unit_ids.size == 0:
        unit_ids = unit_ids.astype("int64")
    return unit_ids, sampling_frequency, frames, labels


def _single_value(values: np.ndarray, file_path: Path, key: str, kind: type) -> int | float:
    if values.size != 1:
        raise ValueError(f"{file_path}: {key!r} must hold one value, got shape {values.shape}")
    return kind(values.reshape(-1)[0])


def _unit_indices(
    labels: np.ndarray, unit_ids: np.ndarray, file_path: Path, key: str
) -> np.ndarray:
    """Position of each label in ``unit_ids`` (one sort of the ids, one binary search)."""
    if labels.size == 0:
        return np.zeros(0, dtype="int64")
    same_kind = labels.dtype.kind == unit_ids.dtype.kind or (
        labels.dtype.kind in "iu" and unit_ids.dtype.kind in "iu"
    )
    if unit_ids.size == 0 or not same_kind:
        raise ValueError(
            f"{file_path}: {key!r} holds {labels.dtype} labels but unit_ids are {unit_ids.dtype}"
        )
    order = np.argsort(unit_ids, kind="stable")
    positions = np.clip(np.searchsorted(unit_ids, labels, sorter=order), 0, unit_ids.size - 1)
    indices = order[positions]
    unknown = unit_ids[indices] != labels
    if np.any(unknown):
        raise ValueError(
            f"{file_path}: {key!r} has label {labels[np.argmax(unknown)].item()!r}, "
            "which is not in unit_ids"
        )
    return indices


def _archive_arrays(sorting: BaseSorting) -> dict[str, np.ndarray]:
    """The arrays of an npz sorting, in SpikeInterface's key order."""
    unit_ids = np.asarray(sorting.unit_ids)
    arrays = {
        "unit_ids": unit_ids,
        "num_segment": np.array([sorting.get_num_segments()], dtype="int64"),
        "sampling_frequency": np.array([sorting.sampling_frequency], dtype="float64"),
    }
    for segment_index, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
        arrays[f"spike_indexes_seg{segment_index}"] = spikes["sample_index"].astype("int64")
        arrays[f"spike_labels_seg{segment_index}"] = (
            unit_ids[spikes["unit_index"]] if spikes.size else np.zeros(0, dtype="int64")
        )
    return arrays


register_extractor_class(
    NpzSortingExtractor, "spikeinterface.core.npzsortingextractor.NpzSortingExtractor"
)


def _open_npz(path: Path, options: OpenOptions) -> dict:
    return {"sorting": NpzSortingExtractor(path)}


register_opener(
    "npz_sorting",
    lambda path: path.is_file() and path.suffix == ".npz",
    _open_npz,
    kinds=("sorting",),
    saved=False,
    priority=PRIORITY_SORTER_OUTPUT,
)
