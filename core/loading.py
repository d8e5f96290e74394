"""Loading extractors from description files, saved folders and zarr stores."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

from .base import BaseExtractor
from .extractor_dict import read_extractor_json

_LEGACY_CACHED = ("cached.json", "cached.pkl", "cached.pickle")


def _read_description(path: Path, allow_pickle: bool) -> dict:
    if path.suffix == ".json":
        return read_extractor_json(path)
    if path.suffix in (".pkl", ".pickle"):
        if not allow_pickle:
            raise ValueError(
                f"{path}: pickle files can execute code when read; pass allow_pickle=True only "
                "for files you trust"
            )
        return pickle.loads(path.read_bytes())
    raise ValueError(f"{path}: expected a .json, .pkl or .pickle extractor description")


def load_extractor_from_path(file_path, base_folder=None, allow_pickle: bool = False):
    """Load an extractor from a description file, a saved folder or a zarr store.

    See `BaseExtractor.load`.
    """
    path = Path(file_path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_file():
        description = _read_description(path, allow_pickle)
        if "warning" in description:
            print(f"{path}: {description['warning']}")
            return None
        if base_folder is True:
            base_folder = path.parent
        return BaseExtractor.from_dict(description, base_folder=base_folder)
    waveforms = _load_waveform_store(path, allow_pickle)
    if waveforms is not None:
        return waveforms
    if path.suffix == ".zarr" or (path / ".zgroup").exists() or (path / "zarr.json").exists():
        from .recording.zarr import read_zarr

        return read_zarr(path)
    if (path / "si_folder.json").is_file():
        return BaseExtractor.from_dict(
            read_extractor_json(path / "si_folder.json"), base_folder=path
        )
    for name in _LEGACY_CACHED:
        if (path / name).is_file():
            description = _read_description(path / name, allow_pickle)
            return BaseExtractor.from_dict(description, base_folder=path)
    raise ValueError(
        f"{path}: not a saved extractor folder (expected si_folder.json, cached.json or a .zarr "
        "store)"
    )


def _load_waveform_store(path: Path, allow_pickle: bool):
    """A WaveformExtractor or SortingAnalyzer folder/store, opened as a WaveformExtractor."""
    from .formats.detect import waveform_store_kind

    if waveform_store_kind(path) is None:
        return None
    from .waveforms import load_waveforms
    from .waveforms.extractor_io import RecordingUnavailableError

    try:
        return load_waveforms(path, allow_pickle=allow_pickle)
    except RecordingUnavailableError as error:
        warnings.warn(f"{error}: opened without its recording", stacklevel=3)
        return load_waveforms(path, with_recording=False, allow_pickle=allow_pickle)


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
