"""Session-wide folders: the cache folder for temporary saves and the dataset download folder.

Unlike SpikeInterface 0.100, where ``get_global_tmp_folder()`` creates a new directory on every
call until a folder is set, the default cache folder here is created once (lazily) and reused
for the rest of the session, until :func:`reset_global_tmp_folder`.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

__all__ = [
    "get_global_dataset_folder",
    "get_global_tmp_folder",
    "is_set_global_dataset_folder",
    "is_set_global_tmp_folder",
    "reset_global_tmp_folder",
    "set_global_dataset_folder",
    "set_global_tmp_folder",
]

_lock = threading.Lock()
_tmp_folder: Path | None = None
_tmp_folder_set = False
_dataset_folder: Path = Path.home() / "spikeinterface_datasets"
_dataset_folder_set = False


def _new_default_tmp_folder() -> Path:
    """Create a fresh directory under ``<tempdir>/spikeinterface_cache``."""
    base = Path(tempfile.gettempdir()) / "spikeinterface_cache"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=base))


def get_global_tmp_folder() -> Path:
    """Return the folder where objects saved without a folder go.

    Returns
    -------
    pathlib.Path
        The folder given to :func:`set_global_tmp_folder` (created if needed), or else one
        directory created under ``<tempdir>/spikeinterface_cache`` on first use and returned
        by every later call.
    """
    global _tmp_folder
    with _lock:
        if _tmp_folder is None:
            _tmp_folder = _new_default_tmp_folder()
        _tmp_folder.mkdir(parents=True, exist_ok=True)
        return _tmp_folder


def set_global_tmp_folder(folder: str | Path) -> None:
    """Set the folder returned by :func:`get_global_tmp_folder`.

    Parameters
    ----------
    folder : str or Path
        The folder; it is created when first requested.
    """
    global _tmp_folder, _tmp_folder_set
    with _lock:
        _tmp_folder = Path(folder)
        _tmp_folder_set = True


def is_set_global_tmp_folder() -> bool:
    """Return whether :func:`set_global_tmp_folder` was called (and not reset since).

    Returns
    -------
    bool
    """
    return _tmp_folder_set


def reset_global_tmp_folder() -> None:
    """Forget the set folder; the next :func:`get_global_tmp_folder` call makes a new temp dir."""
    global _tmp_folder, _tmp_folder_set
    with _lock:
        _tmp_folder = None
        _tmp_folder_set = False


def get_global_dataset_folder() -> Path:
    """Return the folder where datasets are downloaded.

    Returns
    -------
    pathlib.Path
        ``~/spikeinterface_datasets`` unless :func:`set_global_dataset_folder` was called;
        created if needed.
    """
    with _lock:
        folder = _dataset_folder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def set_global_dataset_folder(folder: str | Path) -> None:
    """Set the folder returned by :func:`get_global_dataset_folder`.

    Parameters
    ----------
    folder : str or Path
        The folder; it is created when first requested.
    """
    global _dataset_folder, _dataset_folder_set
    with _lock:
        _dataset_folder = Path(folder)
        _dataset_folder_set = True


def is_set_global_dataset_folder() -> bool:
    """Return whether :func:`set_global_dataset_folder` was called.

    Returns
    -------
    bool
    """
    return _dataset_folder_set
