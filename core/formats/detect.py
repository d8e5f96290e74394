"""``read``: recognise what a path holds and open it with the right reader.

Detection looks only at names and small metadata files (never at code in the data): saved
SpikeInterface folders and zarr stores, WaveformExtractor and SortingAnalyzer folders and zarr
stores, NPZ sortings, phy/Kilosort folders, and raw acquisition files that neo reads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..extractor_dict import read_extractor_json
from ..zarr_v2_raw import read_attributes

#: Kinds of objects ``read_all`` returns, in the order a viewer shows them.
KINDS = ("recording", "sorting", "events", "snippets", "waveform_extractor")


def kind_of(extractor) -> str:
    """The kind (one of `KINDS`) of an opened object."""
    from ..event.base import BaseEvent
    from ..recording.base import BaseRecording
    from ..snippets.base import BaseSnippets
    from ..sorting.base import BaseSorting

    for kind, cls in (
        ("recording", BaseRecording),
        ("sorting", BaseSorting),
        ("events", BaseEvent),
        ("snippets", BaseSnippets),
    ):
        if isinstance(extractor, cls):
            return kind
    return "waveform_extractor"


def _is_waveform_folder(path: Path) -> bool:
    return (path / "params.json").is_file() and (
        (path / "recording_info").is_dir() or (path / "waveforms").is_dir()
    )


def _is_analyzer_folder(path: Path) -> bool:
    info = path / "spikeinterface_info.json"
    return info.is_file() and '"SortingAnalyzer"' in info.read_text(encoding="utf8")


def _is_phy_folder(path: Path) -> bool:
    return (path / "spike_times.npy").is_file() and (path / "params.py").is_file()


def _read_waveforms(path: Path, allow_pickle: bool) -> dict:
    from ..waveforms import load_waveforms

    try:
        we = load_waveforms(path, with_recording=False, allow_pickle=allow_pickle)
    except FileNotFoundError as error:
        raise FileNotFoundError(
            f"{path}: waveform folder whose sorting is missing ({error}); it was probably written "
            "with absolute paths on another machine: open it with "
            "load_waveforms(folder, with_recording=False, sorting=<the sorting>)"
        ) from None
    return {"waveform_extractor": we, "sorting": we.sorting}


def _read_analyzer(path: Path, allow_pickle: bool) -> dict:
    from .sorting_analyzer import read_sorting_analyzer

    we = read_sorting_analyzer(path)
    return {"waveform_extractor": we, "sorting": we.sorting}


def _read_saved_folder(path: Path, allow_pickle: bool) -> dict:
    from ..loading import load_extractor

    extractor = load_extractor(path, allow_pickle=allow_pickle)
    return {kind_of(extractor): extractor}


def _read_phy(path: Path, allow_pickle: bool) -> dict:
    from .phy import PhySortingExtractor

    return {"sorting": PhySortingExtractor(path)}


def _read_npz(path: Path, allow_pickle: bool) -> dict:
    from ..sorting.npz import NpzSortingExtractor

    return {"sorting": NpzSortingExtractor(path)}


def _read_raw(path: Path, allow_pickle: bool) -> dict:
    from .neo_recording import read_neo_all

    return read_neo_all(path)


def waveform_store_kind(path: Path) -> str | None:
    """``"analyzer"`` or ``"waveforms"`` if ``path`` is a SortingAnalyzer or WaveformExtractor.

    Folders and zarr stores are both recognised, from their metadata files only.
    """
    path = Path(path)
    if not path.is_dir():
        return None
    if _is_analyzer_folder(path):
        return "analyzer"
    if _is_waveform_folder(path):
        return "waveforms"
    if _is_zarr_store(path):
        attributes = read_attributes(path)
        info = attributes.get("spikeinterface_info")
        if isinstance(info, dict) and info.get("object") == "SortingAnalyzer":
            return "analyzer"
        if "params" in attributes:
            return "waveforms"
    return None


def _is_zarr_store(path: Path) -> bool:
    return path.suffix == ".zarr" or (path / ".zgroup").is_file()


def _folder_reader(path: Path) -> Callable[[Path, bool], dict] | None:
    kind = waveform_store_kind(path)
    if kind == "analyzer":
        return _read_analyzer
    if kind == "waveforms":
        return _read_waveforms
    if _is_zarr_store(path):
        return _read_saved_folder
    if (path / "si_folder.json").is_file() or any(
        (path / name).is_file() for name in ("cached.json", "cached.pkl", "cached.pickle")
    ):
        return _read_saved_folder
    if _is_phy_folder(path):
        return _read_phy
    return _read_raw


def _file_reader(path: Path) -> Callable[[Path, bool], dict]:
    if path.suffix == ".npz":
        return _read_npz
    if path.suffix == ".json":
        description = read_extractor_json(path)
        if "class" in description:
            return _read_saved_folder
    return _read_raw


def read_all(path: str | Path, allow_pickle: bool = False) -> dict:
    """Open everything ``path`` holds.

    Parameters
    ----------
    path : str | Path
        A file or folder: SpikeInterface folders/stores/JSON, WaveformExtractor or
        SortingAnalyzer folders and zarr stores, NPZ sortings, phy/Kilosort folders, raw
        acquisition files.
    allow_pickle : bool
        Allow reading pickle files (they can execute code): only for files you trust.

    Returns
    -------
    dict
        ``kind -> object`` for the kinds found (see `KINDS`).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If ``path`` is of no kind SpikeDesk reads; the message says what was expected.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    reader = _folder_reader(path) if path.is_dir() else _file_reader(path)
    found = reader(path, allow_pickle)
    return {kind: found[kind] for kind in KINDS if kind in found}


def read(path: str | Path, allow_pickle: bool = False):
    """Open what ``path`` holds: one object, or a dict ``kind -> object`` when there are several.

    See `read_all` for what is recognised.
    """
    found = read_all(path, allow_pickle=allow_pickle)
    return next(iter(found.values())) if len(found) == 1 else found
