"""Saved sorting folders: NumpyFolderSorting (``numpy_folder``) and NpzFolderSorting (``npz_folder``).

Both are saved-extractor folders (FORMATS.md §2) written by ``sorting.save(folder=...)``:
``si_folder.json``, ``provenance.json`` and ``properties/`` plus the data files of the format
(FORMATS.md §5.1 and §5.3). ``numpy_folder`` is the default since SpikeInterface 0.99.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..extractor_dict import read_extractor_json
from ..json_io import read_json, write_json
from ..recording.mapped_file import check_file_not_truncated
from ..registry import register_extractor_class
from .base import BaseSorting, minimum_spike_dtype
from .npz import NpzSortingExtractor
from .numpy import SpikeVectorSortingSegment

_INFO_FILE = "numpysorting_info.json"
_SPIKES_FILE = "spikes.npy"
_NPZ_FILE = "sorting_cached.npz"
_NPZ_JSON = "npz.json"
_INFO_KEYS = ("sampling_frequency", "unit_ids", "num_segments")
_MMAP_MODES = ("r", None)

_CLASS_PATHS = {
    "numpy_folder": "spikeinterface.core.sortingfolder.NumpyFolderSorting",
    "npz_folder": "spikeinterface.core.sortingfolder.NpzFolderSorting",
}


class SavedSortingFolder:
    """How the saved sorting folder formats write a sorting into a folder.

    Each format names the file that marks a folder as holding one of its sortings
    (``_data_file``) and writes its data files (``_write_data_files``).
    """

    _data_file: str

    @classmethod
    def write_sorting(cls, sorting: BaseSorting, save_path: str | Path) -> None:
        """Write the data files of this folder format into ``save_path``.

        Parameters
        ----------
        sorting : BaseSorting
            Source.
        save_path : str | Path
            Folder (created if needed; it may hold other files).

        Raises
        ------
        FileExistsError
            If the folder already holds this format's data file (``numpysorting_info.json`` for
            ``numpy_folder``, ``sorting_cached.npz`` for ``npz_folder``).
        """
        save_path = Path(save_path)
        save_path.mkdir(parents=True, exist_ok=True)
        data_file = save_path / cls._data_file
        if data_file.exists():
            raise FileExistsError(f"{data_file} already exists: save_path holds a saved sorting")
        cls._write_data_files(sorting, save_path)

    @staticmethod
    def _write_data_files(sorting: BaseSorting, save_path: Path) -> None:
        raise NotImplementedError("each sorting folder format writes its own data files")


class NumpyFolderSorting(SavedSortingFolder, BaseSorting):
    """A sorting saved as a ``numpy_folder``: ``spikes.npy`` plus ``numpysorting_info.json``.

    The spike vector is memory-mapped, so opening reads no spikes; it is also the object's
    spike-vector cache.

    Parameters
    ----------
    folder_path : str | Path
        The saved folder.
    mmap_mode : {"r", None}, default: "r"
        ``"r"`` maps ``spikes.npy`` read-only; None reads it into memory. SpikeInterface 0.105
        writes ``mmap_mode: null`` into its folders, so their spikes are read into memory, as
        0.105 does. Not recorded by ``to_dict`` (SpikeInterface 0.100 does not take it).

    Raises
    ------
    FileNotFoundError
        If ``numpysorting_info.json`` or ``spikes.npy`` is missing.
    ValueError
        If a file does not hold what the format says.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "NumpyFolderSorting"
    mode = "folder"
    name = "NumpyFolder"

    _data_file = _INFO_FILE

    def __init__(self, folder_path: str | Path, mmap_mode: str | None = "r") -> None:
        if mmap_mode not in _MMAP_MODES:
            raise ValueError(f"mmap_mode must be 'r' or None, got {mmap_mode!r}")
        folder_path = Path(folder_path)
        info_file = folder_path / _INFO_FILE
        info = read_json(info_file)
        missing = [key for key in _INFO_KEYS if key not in info]
        if missing:
            raise ValueError(f"{info_file}: missing keys {missing} (expected {list(_INFO_KEYS)})")
        unit_ids = np.array(info["unit_ids"])
        if unit_ids.size == 0:
            unit_ids = unit_ids.astype("int64")
        num_segments = int(info["num_segments"])
        if num_segments < 1:
            raise ValueError(f"{info_file}: num_segments is {num_segments}; expected at least 1")
        super().__init__(info["sampling_frequency"], unit_ids)

        spikes = _load_spike_vector(folder_path / _SPIKES_FILE, mmap_mode)
        # the last row is the only one read: it bounds the segments without loading the file
        if spikes.size and int(spikes["segment_index"][-1]) >= num_segments:
            raise ValueError(
                f"{folder_path / _SPIKES_FILE}: spikes reach segment "
                f"{int(spikes['segment_index'][-1])} but {info_file} has num_segments "
                f"{num_segments}"
            )
        for segment_index in range(num_segments):
            self.add_sorting_segment(
                SpikeVectorSortingSegment(spikes, segment_index, self.unit_ids)
            )
        self._cached_spike_vector = spikes
        self._spikes_file = folder_path / _SPIKES_FILE
        # bytes the map reads; None when the file was read into memory
        self._spikes_file_bytes = spikes.offset + spikes.nbytes if mmap_mode else None
        self.load_metadata_from_folder(folder_path)
        self._kwargs = {"folder_path": str(folder_path.absolute())}

    def _check_spikes_file(self) -> None:
        """Refuse to read a memory-mapped ``spikes.npy`` that shrank since it was opened."""
        if self._spikes_file_bytes is not None:
            check_file_not_truncated(self._spikes_file, self._spikes_file_bytes)

    def get_unit_spike_train(
        self,
        unit_id,
        segment_index: int | None = None,
        start_frame: int | None = None,
        end_frame: int | None = None,
        return_times: bool = False,
        use_cache: bool = True,
    ) -> np.ndarray:
        """See `BaseSorting.get_unit_spike_train`; first checks ``spikes.npy`` is whole."""
        self._check_spikes_file()
        return super().get_unit_spike_train(
            unit_id, segment_index, start_frame, end_frame, return_times, use_cache
        )

    def to_spike_vector(
        self,
        concatenated: bool = True,
        extremum_channel_inds: dict | None = None,
        use_cache: bool = True,
    ):
        """See `BaseSorting.to_spike_vector`; first checks ``spikes.npy`` is whole."""
        self._check_spikes_file()
        return super().to_spike_vector(concatenated, extremum_channel_inds, use_cache)

    @staticmethod
    def _write_data_files(sorting: BaseSorting, save_path: Path) -> None:
        """Write ``numpysorting_info.json`` and ``spikes.npy``."""
        info_file = save_path / _INFO_FILE
        info = {
            "sampling_frequency": float(sorting.sampling_frequency),
            "unit_ids": sorting.unit_ids.tolist(),
            "num_segments": int(sorting.get_num_segments()),
        }
        write_json(info_file, info, indent=None)
        spikes = np.ascontiguousarray(sorting.to_spike_vector(), dtype=minimum_spike_dtype)
        np.save(save_path / _SPIKES_FILE, spikes, allow_pickle=False)


class NpzFolderSorting(SavedSortingFolder, NpzSortingExtractor):
    """A sorting saved as an ``npz_folder``: ``sorting_cached.npz`` described by ``npz.json``.

    The default format of SpikeInterface up to 0.98.

    Parameters
    ----------
    folder_path : str | Path
        The saved folder.

    Raises
    ------
    FileNotFoundError
        If ``npz.json`` or the archive it names is missing.
    ValueError
        If ``npz.json`` does not describe an ``NpzSortingExtractor``.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "NpzFolder"
    mode = "folder"
    name = "npzfolder"

    _data_file = _NPZ_FILE

    def __init__(self, folder_path: str | Path) -> None:
        folder_path = Path(folder_path)
        description_file = folder_path / _NPZ_JSON
        description = read_extractor_json(description_file)
        if not str(description.get("class", "")).endswith(".NpzSortingExtractor"):
            raise ValueError(
                f"{description_file}: describes {description.get('class')!r}, "
                "not an NpzSortingExtractor"
            )
        file_path = (description.get("kwargs") or {}).get("file_path")
        if not isinstance(file_path, str):
            raise ValueError(f"{description_file}: kwargs.file_path must be a path string")
        super().__init__(
            _saved_file(folder_path, file_path, bool(description.get("relative_paths")))
        )
        self.load_metadata_from_folder(folder_path)
        self._kwargs = {"folder_path": str(folder_path.absolute())}

    @staticmethod
    def _write_data_files(sorting: BaseSorting, save_path: Path) -> None:
        """Write ``sorting_cached.npz`` and ``npz.json`` (with a relative path)."""
        npz_file = save_path / _NPZ_FILE
        NpzSortingExtractor.write_sorting(sorting, npz_file)
        NpzSortingExtractor(npz_file).dump_to_json(save_path / _NPZ_JSON, relative_to=save_path)


read_numpy_sorting_folder = NumpyFolderSorting
read_npz_folder = NpzFolderSorting

_WRITERS = {"numpy_folder": NumpyFolderSorting, "npz_folder": NpzFolderSorting}


def write_sorting_folder_data(sorting: BaseSorting, folder: Path, format: str | None = None) -> str:
    """Write the data files of a saved sorting folder (not ``si_folder.json``/``properties/``).

    Parameters
    ----------
    sorting : BaseSorting
        Source.
    folder : Path
        The (temporary) folder being saved.
    format : {"numpy_folder", "npz_folder"} | None
        None means ``"numpy_folder"``.

    Returns
    -------
    str
        The format written.

    Raises
    ------
    ValueError
        If ``format`` is not a folder format of sortings.
    """
    format = "numpy_folder" if format is None else format
    if format not in _WRITERS:
        raise ValueError(
            f"format {format!r} is not a sorting format; choose 'numpy_folder' (default), "
            "'npz_folder', 'zarr' or 'memory'"
        )
    _WRITERS[format].write_sorting(sorting, folder)
    return format


def saved_folder_class_path(format: str) -> str:
    """SpikeInterface class path that ``si_folder.json`` names for a sorting folder ``format``.

    Raises
    ------
    ValueError
        If ``format`` is not ``"numpy_folder"`` or ``"npz_folder"``.
    """
    if format not in _CLASS_PATHS:
        raise ValueError(f"format must be 'numpy_folder' or 'npz_folder', got {format!r}")
    return _CLASS_PATHS[format]


def _load_spike_vector(spikes_file: Path, mmap_mode: str | None) -> np.ndarray:
    """``spikes.npy`` as a read-only spike vector (memory-mapped with ``mmap_mode="r"``)."""
    try:
        spikes = np.load(spikes_file, mmap_mode=mmap_mode, allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{spikes_file}: file not found") from None
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{spikes_file}: not a .npy spike vector ({err})") from None
    if spikes.ndim != 1 or spikes.dtype != minimum_spike_dtype:
        raise ValueError(
            f"{spikes_file}: expected a 1-D array of dtype {minimum_spike_dtype.descr}, "
            f"got shape {spikes.shape} and dtype {spikes.dtype}"
        )
    spikes.flags.writeable = False
    return spikes


def _saved_file(folder: Path, path: str, relative: bool) -> Path:
    """Resolve a path of a saved folder's JSON: relative to the folder, or absolute if it
    exists, else the file of that name inside the folder (the folder was moved)."""
    path = path.replace("\\", "/")
    if relative:
        return folder / path
    return Path(path) if Path(path).is_file() else folder / Path(path).name


register_extractor_class(NumpyFolderSorting, _CLASS_PATHS["numpy_folder"])
register_extractor_class(
    NpzFolderSorting, _CLASS_PATHS["npz_folder"], "spikeinterface.core.npzfolder.NpzFolderSorting"
)
