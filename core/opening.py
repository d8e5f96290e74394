"""One registry of openers: what a path holds, and how to open it.

Every format registers an `Opener`: a ``matches(path)`` test that looks only at names and small
metadata files (never at code in the data) and an ``open(path, options)`` that returns what the
path holds, ``{kind: object}`` with the main object first. Openers are tried in priority order
and the first that matches opens the path. `load_extractor` (saved SpikeInterface objects
only), `read` / `read_all` (everything) and ``load_waveforms`` (WaveformExtractor and
SortingAnalyzer stores only) all walk this one list, so they agree on what a path is.

SpikeInterface's own saved objects are registered here: saved folders (``si_folder.json``),
the legacy ``cached.*`` folders, description files (``.json``, ``.pkl``) and zarr stores
(`read_zarr`). Other formats register themselves from their modules (WaveformExtractor folders
and stores, SortingAnalyzers, NPZ sortings, phy folders, raw acquisition files).
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import BaseExtractor
    from .recording.base import BaseRecording
    from .sorting.base import BaseSorting

__all__ = [
    "KINDS",
    "OpenOptions",
    "Opener",
    "find_opener",
    "kind_of",
    "open_path",
    "read",
    "read_all",
    "read_zarr",
    "register_opener",
]

#: Kinds of objects ``read_all`` returns, in the order a viewer shows them.
KINDS = ("recording", "sorting", "events", "snippets", "waveform_extractor")

#: Priorities of the openers (lower first): specific layouts before generic ones.
PRIORITY_ANALYZER = 10
PRIORITY_WAVEFORMS = 20
PRIORITY_ZARR = 30
PRIORITY_SAVED_FOLDER = 40
PRIORITY_LEGACY_FOLDER = 50
PRIORITY_FOLDER_MARKER = 35
PRIORITY_DESCRIPTION = 60
PRIORITY_SORTER_OUTPUT = 70
PRIORITY_RAW = 1000

#: Files of the folders SpikeInterface <= 0.94 saved (``cached.pkl`` and ``.pickle`` need
#: ``allow_pickle``).
LEGACY_CACHED_FILES = ("cached.json", "cached.pkl", "cached.pickle")
_PICKLE_SUFFIXES = (".pkl", ".pickle")


@dataclass(frozen=True)
class OpenOptions:
    """How to open a path.

    Attributes
    ----------
    allow_pickle : bool
        Read pickle files, which can execute code: only for files the user trusts.
    with_recording : bool or None
        For WaveformExtractors: load the recording described in the folder (True), use the
        stored recording attributes (False), or try and fall back with a warning (None).
    sorting : BaseSorting or None
        For WaveformExtractors: the sorting, when the one described cannot be loaded.
    base_folder : str, Path, bool or None
        For description files: folder of relative paths (True: the file's folder).
    """

    allow_pickle: bool = False
    with_recording: bool | None = True
    sorting: BaseSorting | None = None
    base_folder: str | Path | bool | None = None


@dataclass(frozen=True)
class Opener:
    """A format: how to recognise it and how to open it.

    Attributes
    ----------
    name : str
    matches : callable
        ``matches(path) -> bool`` on an existing path; reads names and small metadata only.
    open : callable
        ``open(path, options) -> {kind: object}``, the main object first.
    kinds : tuple of str
        Kinds ``open`` returns (of `KINDS`), the main one first.
    saved : bool
        A SpikeInterface saved object, which `load_extractor` opens.
    priority : int
        Lower is tried first.
    """

    name: str
    matches: Callable[[Path], bool]
    open: Callable[[Path, OpenOptions], dict[str, Any]]
    kinds: tuple[str, ...]
    saved: bool
    priority: int


_openers: dict[str, Opener] = {}

#: The modules that register openers besides this one (imported on the first `openers` call).
OPENER_MODULES = (
    "core.sorting.npz",
    "core.formats.neo_recording",
    "core.formats.sorting_analyzer",
    "core.formats.phy",
    "core.waveforms.api",
)


def register_opener(
    name: str,
    matches: Callable[[Path], bool],
    open: Callable[[Path, OpenOptions], dict[str, Any]],
    *,
    kinds: tuple[str, ...],
    saved: bool,
    priority: int,
) -> Opener:
    """Register (or replace) the opener called ``name``.

    Parameters
    ----------
    name : str
    matches, open, kinds, saved, priority
        See `Opener`.

    Returns
    -------
    Opener
    """
    unknown = [kind for kind in kinds if kind not in KINDS]
    if not kinds or unknown:
        raise ValueError(f"kinds must be a non-empty tuple of {KINDS}, got {kinds!r}")
    opener = Opener(name, matches, open, tuple(kinds), saved, priority)
    _openers[name] = opener
    return opener


def openers() -> list[Opener]:
    """Every registered opener, in the order they are tried."""
    for module in OPENER_MODULES:  # importing a module registers the formats it reads
        importlib.import_module(module)
    return sorted(_openers.values(), key=lambda opener: opener.priority)


def find_opener(
    path: str | Path, saved_only: bool = False, kind: str | None = None
) -> Opener | None:
    """The first opener that recognises ``path``.

    Parameters
    ----------
    path : str | Path
        An existing file or folder.
    saved_only : bool, default: False
        Only SpikeInterface saved objects (what `load_extractor` opens).
    kind : str or None, default: None
        Only openers whose main object is of this kind.

    Returns
    -------
    Opener or None
    """
    path = Path(path)
    for opener in openers():
        if saved_only and not opener.saved:
            continue
        if kind is not None and opener.kinds[0] != kind:
            continue
        if opener.matches(path):
            return opener
    return None


def open_path(
    path: str | Path,
    options: OpenOptions,
    saved_only: bool = False,
    kind: str | None = None,
    expected: str = "a file or folder SpikeDesk reads",
) -> dict[str, Any]:
    """Open ``path`` with the first opener that recognises it.

    Parameters
    ----------
    path : str | Path
    options : OpenOptions
    saved_only, kind
        See `find_opener`.
    expected : str
        What was expected, for the error message.

    Returns
    -------
    dict
        ``{kind: object}``, the main object first (empty for a description file that only
        holds a warning).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If no opener recognises it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    opener = find_opener(path, saved_only=saved_only, kind=kind)
    if opener is None:
        raise ValueError(f"{path}: not {expected}")
    return opener.open(path, options)


def kind_of(extractor) -> str:
    """The kind (one of `KINDS`) of an opened object."""
    from .event.base import BaseEvent
    from .recording.base import BaseRecording
    from .snippets.base import BaseSnippets
    from .sorting.base import BaseSorting

    for kind, cls in (
        ("recording", BaseRecording),
        ("sorting", BaseSorting),
        ("events", BaseEvent),
        ("snippets", BaseSnippets),
    ):
        if isinstance(extractor, cls):
            return kind
    return "waveform_extractor"


def read_all(path: str | Path, allow_pickle: bool = False) -> dict:
    """Open everything ``path`` holds.

    WaveformExtractors and SortingAnalyzers open without their recording (with their sorting).

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
    found = open_path(path, OpenOptions(allow_pickle=allow_pickle, with_recording=False))
    if not found:
        raise ValueError(f"{path}: the description holds no object (only a warning)")
    return {kind: found[kind] for kind in KINDS if kind in found}


def read(path: str | Path, allow_pickle: bool = False):
    """Open what ``path`` holds: one object, or a dict ``kind -> object`` when there are several.

    See `read_all` for what is recognised.
    """
    found = read_all(path, allow_pickle=allow_pickle)
    return next(iter(found.values())) if len(found) == 1 else found


# --------------------------------------------------------------------------- SpikeInterface's saved objects
def is_zarr_store(path: Path) -> bool:
    """Whether ``path`` is a zarr store folder (``.zarr`` suffix, ``.zgroup`` or ``zarr.json``)."""
    return path.is_dir() and (
        path.suffix == ".zarr" or (path / ".zgroup").is_file() or (path / "zarr.json").is_file()
    )


def read_zarr(
    folder_path: str | Path, storage_options: dict | None = None
) -> BaseRecording | BaseSorting:
    """Open a zarr store written by ``save(format="zarr")``: a recording or a sorting.

    Parameters
    ----------
    folder_path : str | Path
        The ``.zarr`` folder, or a URL with ``storage_options``.
    storage_options : dict | None
        fsspec options for remote stores.

    Returns
    -------
    ZarrRecordingExtractor | ZarrSortingExtractor
        A recording when the root has a ``channel_ids`` array, a sorting when it has
        ``unit_ids``.

    Raises
    ------
    FileNotFoundError
        If the local folder does not exist.
    ValueError
        If the store holds neither a recording nor a sorting.
    """
    from .recording.zarr import ZarrRecordingExtractor
    from .sorting.zarr import ZarrSortingExtractor
    from .zarr_v2_store import open_root, store_location

    location = store_location(folder_path, storage_options)
    root = open_root(location, storage_options)
    if "channel_ids" in root:
        return ZarrRecordingExtractor(folder_path, storage_options=storage_options)
    if "unit_ids" in root:
        return ZarrSortingExtractor(folder_path, storage_options=storage_options)
    raise ValueError(
        f"{location}: neither a zarr recording nor a zarr sorting (no 'channel_ids' or "
        "'unit_ids' array)"
    )


def read_description(path: Path, allow_pickle: bool) -> dict:
    """An extractor description from a ``.json`` or (with ``allow_pickle``) pickle file."""
    from .extractor_dict import read_extractor_json

    if path.suffix == ".json":
        return read_extractor_json(path)
    if path.suffix in _PICKLE_SUFFIXES:
        if not allow_pickle:
            raise ValueError(
                f"{path}: pickle files can execute code when read; pass allow_pickle=True only "
                "for files you trust"
            )
        return pickle.loads(path.read_bytes())
    raise ValueError(f"{path}: expected a .json, .pkl or .pickle extractor description")


def _extractor(extractor: BaseExtractor) -> dict[str, Any]:
    return {kind_of(extractor): extractor}


def _open_zarr(path: Path, options: OpenOptions) -> dict[str, Any]:
    return _extractor(read_zarr(path))


def _open_saved_folder(path: Path, options: OpenOptions) -> dict[str, Any]:
    from .base import BaseExtractor
    from .extractor_dict import read_extractor_json

    description = read_extractor_json(path / "si_folder.json")
    return _extractor(BaseExtractor.from_dict(description, base_folder=path))


def _is_legacy_folder(path: Path) -> bool:
    return path.is_dir() and any((path / name).is_file() for name in LEGACY_CACHED_FILES)


def _open_legacy_folder(path: Path, options: OpenOptions) -> dict[str, Any]:
    from .base import BaseExtractor

    name = next(name for name in LEGACY_CACHED_FILES if (path / name).is_file())
    description = read_description(path / name, options.allow_pickle)
    return _extractor(BaseExtractor.from_dict(description, base_folder=path))


def _is_description_file(path: Path) -> bool:
    """A ``.pkl``/``.pickle`` file, or a ``.json`` file that describes an extractor (or is
    damaged: opening it then says what is wrong)."""
    from .extractor_dict import is_extractor_dict
    from .json_io import read_json

    if not path.is_file():
        return False
    if path.suffix in _PICKLE_SUFFIXES:
        return True
    if path.suffix != ".json":
        return False
    try:
        description = read_json(path)
    except ValueError:
        return True
    return is_extractor_dict(description) or (
        isinstance(description, dict) and "warning" in description
    )


def _open_description(path: Path, options: OpenOptions) -> dict[str, Any]:
    from .base import BaseExtractor

    description = read_description(path, options.allow_pickle)
    if "warning" in description:
        print(f"{path}: {description['warning']}")
        return {}
    base_folder = path.parent if options.base_folder is True else options.base_folder
    return _extractor(BaseExtractor.from_dict(description, base_folder=base_folder))


#: Files that stand for the folder holding them: opening one opens the folder (what a file
#: manager hands over when the user double-clicks it).
FOLDER_MARKERS = ("si_folder.json", "structure.oebin")


def _is_folder_marker(path: Path) -> bool:
    return path.is_file() and path.name in FOLDER_MARKERS


def _open_marked_folder(path: Path, options: OpenOptions) -> dict[str, Any]:
    return open_path(path.parent, options)


_SAVED_KINDS = ("recording", "sorting", "events", "snippets")

register_opener(
    "zarr_extractor",
    is_zarr_store,
    _open_zarr,
    kinds=("recording", "sorting"),
    saved=True,
    priority=PRIORITY_ZARR,
)
register_opener(
    "saved_folder",
    lambda path: (path / "si_folder.json").is_file(),
    _open_saved_folder,
    kinds=_SAVED_KINDS,
    saved=True,
    priority=PRIORITY_SAVED_FOLDER,
)
register_opener(
    "folder_marker",
    _is_folder_marker,
    _open_marked_folder,
    kinds=_SAVED_KINDS,
    saved=False,
    priority=PRIORITY_FOLDER_MARKER,
)
register_opener(
    "legacy_cached_folder",
    _is_legacy_folder,
    _open_legacy_folder,
    kinds=_SAVED_KINDS,
    saved=True,
    priority=PRIORITY_LEGACY_FOLDER,
)
register_opener(
    "extractor_description",
    _is_description_file,
    _open_description,
    kinds=_SAVED_KINDS,
    saved=True,
    priority=PRIORITY_DESCRIPTION,
)
