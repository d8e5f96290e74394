"""``load_extractor``: rebuild an extractor from a dictionary, a description file or a saved folder.

Paths go through the opener registry (:mod:`core.opening`), restricted to what SpikeInterface
saves: description files, saved folders (``si_folder.json``, legacy ``cached.*``), zarr stores,
and WaveformExtractor / SortingAnalyzer folders and stores (opened as a WaveformExtractor).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from .base import BaseExtractor
from .opening import OpenOptions, open_path

__all__ = [
    "load_extractor",
    "load_extractor_from_dict",
    "load_extractor_from_json",
    "load_extractor_from_path",
    "load_extractor_from_pickle",
]

_SAVED_OBJECTS = (
    "a saved extractor (expected a .json or .pkl description, a folder with si_folder.json or "
    "cached.json, a .zarr store, or a WaveformExtractor or SortingAnalyzer folder)"
)


def load_extractor_from_path(file_path, base_folder=None, allow_pickle: bool = False):
    """Load an extractor from a description file, a saved folder or a zarr store.

    See `BaseExtractor.load`. A WaveformExtractor whose recording cannot be loaded opens
    without it, with a warning; a description file that only holds a warning prints it and
    gives None.
    """
    options = OpenOptions(allow_pickle=allow_pickle, with_recording=None, base_folder=base_folder)
    found = open_path(file_path, options, saved_only=True, expected=_SAVED_OBJECTS)
    return next(iter(found.values()), None)


def load_extractor(file_or_folder_or_dict, base_folder=None, allow_pickle: bool = False):
    """Load an extractor from a dictionary, a JSON file or a saved folder.

    Parameters
    ----------
    file_or_folder_or_dict : dict | str | Path
        A ``to_dict`` dictionary, a ``.json`` description, a saved folder or a ``.zarr`` store;
        WaveformExtractor and SortingAnalyzer folders and stores open as a WaveformExtractor
        (analyzers read-only, without their recording; a WaveformExtractor whose recording
        cannot be loaded without it, with a warning), as SpikeInterface's ``load`` does.
    base_folder : str | Path | None
        Folder for relative paths in a dictionary or file.
    allow_pickle : bool
        Allow reading pickle files (they can execute code): only for files you trust.

    Returns
    -------
    BaseExtractor
    """
    if isinstance(file_or_folder_or_dict, dict):
        if isinstance(base_folder, bool):
            raise ValueError("base_folder must be a folder when loading a dictionary")
        return BaseExtractor.from_dict(file_or_folder_or_dict, base_folder=base_folder)
    return BaseExtractor.load(
        file_or_folder_or_dict, base_folder=base_folder, allow_pickle=allow_pickle
    )


def _deprecated(name: str) -> None:
    warnings.warn(f"{name}() is deprecated: use load_extractor()", stacklevel=3)


def load_extractor_from_dict(d: dict, base_folder=None) -> BaseExtractor:
    """Deprecated SpikeInterface name of ``load_extractor(d)``."""
    _deprecated("load_extractor_from_dict")
    return BaseExtractor.from_dict(d, base_folder=base_folder)


def load_extractor_from_json(json_file: str | Path, base_folder=None) -> BaseExtractor:
    """Deprecated SpikeInterface name of ``load_extractor(json_file)``."""
    _deprecated("load_extractor_from_json")
    return BaseExtractor.load(json_file, base_folder=base_folder)


def load_extractor_from_pickle(
    pkl_file: str | Path, base_folder=None, allow_pickle: bool = False
) -> BaseExtractor:
    """Deprecated SpikeInterface name of ``load_extractor(pkl_file)``.

    Unpickling can execute code: as everywhere in SpikeDesk, ``allow_pickle=True`` is needed.
    """
    _deprecated("load_extractor_from_pickle")
    return BaseExtractor.load(pkl_file, base_folder=base_folder, allow_pickle=allow_pickle)
