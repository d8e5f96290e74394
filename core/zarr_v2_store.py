"""Zarr format 2 stores opened and written with zarr-python 3, laid out as SpikeInterface 0.100.

The recording and sorting zarr modules (FORMATS.md §4, §5.4) and the WaveformExtractor store
(§8.2) share what is done here: the default compressor, where a store lives (local folder or
fsspec URL) and how it is opened, the atomic write of a whole store, v2 arrays with chunk keys
``i.j`` that keep every chunk (as zarr 2 does), and the ``properties`` group and ``annotations``
attribute of an extractor. Nodes that zarr-python 3 cannot read or write (object arrays) are
handled from their files by :mod:`core.zarr_v2_raw`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import zarr
from numcodecs import Blosc

from .atomic import atomic_folder
from .base import random_folder_name
from .jobs import get_global_tmp_folder
from .json_io import to_jsonable
from .source_files import check_save_target

if TYPE_CHECKING:
    from .base import BaseExtractor

__all__ = [
    "add_properties_and_annotations",
    "resolve_zarr_path",
    "ARRAY_CONFIG",
    "V2_CHUNK_KEYS",
    "create_array",
    "get_default_zarr_compressor",
    "is_remote",
    "open_root",
    "read_properties",
    "store_location",
    "write_properties",
    "write_store",
    "zarr_store_folder",
]

_REMOTE_PREFIXES = ("s3:", "gcs:", "gs:")
#: Chunk keys ``i.j`` as zarr 2 writes them (zarr-python 3 defaults to ``i/j``).
V2_CHUNK_KEYS = {"name": "v2", "separator": "."}
#: zarr 2 (SpikeInterface's writer) stores every chunk, even one equal to the fill value; zarr 3
#: would skip those by default.
ARRAY_CONFIG = {"write_empty_chunks": True}


def get_default_zarr_compressor(clevel: int = 5) -> Blosc:
    """The compressor used for traces when none is given: Blosc Zstandard with bit shuffle.

    Parameters
    ----------
    clevel : int, default: 5
        Compression level (0-9).

    Returns
    -------
    numcodecs.Blosc
    """
    return Blosc(cname="zstd", clevel=clevel, shuffle=Blosc.BITSHUFFLE)


# --------------------------------------------------------------------------- locations
def is_remote(folder_path: str | Path, storage_options: dict | None) -> bool:
    """Whether ``folder_path`` names a store handled by fsspec rather than a local folder."""
    if storage_options is not None:
        return True
    text = str(folder_path)
    return "://" in text or text.startswith(_REMOTE_PREFIXES)


def resolve_zarr_path(folder_path: str | Path) -> tuple[str | Path, str]:
    """A store location and the form written into dictionaries (SpikeInterface's helper).

    Parameters
    ----------
    folder_path : str | Path

    Returns
    -------
    tuple
        ``(folder_path, folder_path)`` for a remote URL; ``(Path, resolved path string)`` for a
        local folder.
    """
    if is_remote(folder_path, None):
        return folder_path, folder_path
    return Path(folder_path), str(Path(folder_path).resolve())


def store_location(folder_path: str | Path, storage_options: dict | None) -> str:
    """The path or URL handed to zarr: absolute for local folders, as given for remote ones."""
    if is_remote(folder_path, storage_options):
        return str(folder_path)
    return str(Path(folder_path).absolute())


def zarr_store_folder(
    folder: str | Path | None, name: str | None, storage_options: dict | None, verbose: bool
) -> str | Path:
    """Where ``save_*_to_zarr`` writes: ``folder`` with suffix ``.zarr``, or a temporary store.

    Parameters
    ----------
    folder : str | Path | None
        Target; a local one gets the suffix ``.zarr``, a remote URL is used as given. None: the
        store ``<name>.zarr`` inside the global temporary folder.
    name : str | None
        Store name when ``folder`` is None (random if None).
    storage_options : dict | None
        fsspec options for remote stores.
    verbose : bool
        Print the path of a store placed in the temporary folder.

    Returns
    -------
    str | Path
    """
    if folder is None:
        if name is None:
            name = random_folder_name()
        folder = Path(get_global_tmp_folder()) / f"{name}.zarr"
        if verbose:
            print(f"Use zarr_path={folder}")
        return folder
    if is_remote(folder, storage_options):
        return folder
    folder = Path(folder)
    return folder.parent / f"{folder.stem}.zarr"


# --------------------------------------------------------------------------- opening and writing
def open_root(
    location: str, storage_options: dict | None, saved_by: str = "recording"
) -> zarr.Group:
    """Open the root group read-only, with errors that name the store.

    Parameters
    ----------
    location : str
        Absolute local path or URL (see `store_location`).
    storage_options : dict | None
        fsspec options for remote stores.
    saved_by : str, default: "recording"
        The object whose ``save(format='zarr')`` writes such stores, for the error message.

    Returns
    -------
    zarr.Group

    Raises
    ------
    FileNotFoundError
        If the local folder does not exist.
    ValueError
        If it is not a zarr group.
    """
    if not is_remote(location, storage_options) and not Path(location).exists():
        raise FileNotFoundError(
            f"{location}: no such zarr store (expected a folder written by "
            f"{saved_by}.save(format='zarr'))"
        )
    try:
        return zarr.open_group(location, mode="r", storage_options=storage_options)
    except FileNotFoundError:
        raise ValueError(
            f"{location}: not a zarr store (expected a zarr group with .zgroup or zarr.json)"
        ) from None


def write_store(
    folder_path: str | Path,
    storage_options: dict | None,
    overwrite: bool,
    fill: Callable[[zarr.Group, str, dict | None], None],
    sources: Mapping[str, Any] | None = None,
) -> None:
    """Create a zarr v2 store and fill it: atomically for a local folder, directly for a URL.

    Parameters
    ----------
    folder_path : str | Path
        Target folder, or a URL with ``storage_options``.
    storage_options : dict | None
        fsspec options for remote stores.
    overwrite : bool
        Replace an existing store (a local one only once the new one is complete).
    fill : callable
        ``fill(root, location, storage_options)`` writes the content into the empty root group;
        ``location`` and ``storage_options`` reopen the store being written (a local store is
        written under a temporary name).
    sources : mapping of str to extractor | None
        What ``fill`` reads from, by name: an existing local target must not be, hold or lie
        inside one of their files (see `check_save_target`).

    Raises
    ------
    FileExistsError
        If the store exists and ``overwrite`` is False (nothing is written).
    ValueError
        If replacing the store would delete a file that one of ``sources`` reads from.
    """
    if is_remote(folder_path, storage_options):
        try:
            root = zarr.open_group(
                str(folder_path),
                mode="w" if overwrite else "w-",
                zarr_format=2,
                storage_options=storage_options,
            )
        except (zarr.errors.ContainsGroupError, zarr.errors.ContainsArrayError):
            raise FileExistsError(
                f"{folder_path} already exists (use overwrite=True to replace it)"
            ) from None
        fill(root, str(folder_path), storage_options)
        return
    check_save_target(folder_path, sources or {})
    with atomic_folder(folder_path, overwrite=overwrite) as partial:
        root = zarr.open_group(str(partial), mode="w", zarr_format=2)
        fill(root, str(partial.absolute()), None)  # absolute: Dask workers reopen it


def create_array(
    group: zarr.Group,
    name: str,
    values: np.ndarray,
    chunks: tuple[int, ...] | Literal["auto"] | None = None,
    compressor: Any = None,
    filters: list | None = None,
) -> None:
    """Create a v2 array holding ``values``.

    Parameters
    ----------
    group : zarr.Group
        Parent group, opened for writing (``zarr_format=2`` for the stores SpikeInterface
        0.100 reads; a format 3 group gets format 3 arrays, see `codecs_for`).
    name : str
        Array name.
    values : np.ndarray
        Content (numeric or fixed-width strings).
    chunks : tuple of int | "auto" | None
        Chunk shape; None: one chunk; ``"auto"``: zarr's guess, as zarr 2 chunks
        ``create_dataset(data=...)``.
    compressor : numcodecs codec | None
        None for no compression.
    filters : list | None
        numcodecs filters applied before the compressor.
    """
    compressors, filters = codecs_for(group, compressor, filters)
    array = group.create_array(
        name,
        shape=values.shape,
        dtype=values.dtype,
        chunks=tuple(max(size, 1) for size in values.shape) if chunks is None else chunks,
        compressors=compressors,
        filters=filters,
        chunk_key_encoding=V2_CHUNK_KEYS,
        config=ARRAY_CONFIG,
    )
    if values.size:
        array[...] = values


def codecs_for(group: zarr.Group, compressor: Any, filters: list | None) -> tuple[Any, Any]:
    """``compressors`` and ``filters`` arguments of ``create_array`` in ``group``.

    Codecs are numcodecs objects, as zarr 2 (and SpikeInterface 0.100) take them. A zarr format
    2 group uses them as they are; a format 3 group (``zarr.open(path, mode="w")`` with
    zarr-python 3) needs them wrapped as zarr 3 codecs, which is done here.
    """
    if group.metadata.zarr_format == 2:
        return compressor, filters
    compressors = None if compressor is None else [_zarr3_codec(compressor)]
    return compressors, None if filters is None else [_zarr3_codec(f) for f in filters]


def _zarr3_codec(codec: Any) -> Any:
    """A numcodecs codec as the zarr 3 codec wrapping it (``zarr.codecs.numcodecs``)."""
    import zarr.codecs.numcodecs as wrappers

    config = {k: v for k, v in codec.get_config().items() if k != "id"}
    wrapper = getattr(wrappers, type(codec).__name__, None)
    if wrapper is None:
        raise ValueError(f"{codec!r} has no zarr format 3 equivalent: use a zarr format 2 group")
    with warnings.catch_warnings():
        # "numcodecs codecs are not in the zarr 3 specification": known and accepted here
        warnings.simplefilter("ignore")
        return wrapper(**config)


# --------------------------------------------------------------------------- properties
def write_properties(extractor: BaseExtractor, root: zarr.Group) -> None:
    """A ``properties`` group with one uncompressed array per property of ``extractor``.

    Object-dtype properties cannot be stored: each is skipped with a warning.
    """
    group = root.create_group("properties")
    for key in extractor.get_property_keys():
        values = extractor.get_property(key)
        if values.dtype.kind == "O":
            warnings.warn(
                f"property {key!r} holds Python objects and is not saved to zarr", stacklevel=2
            )
            continue
        create_array(group, key, values)


def add_properties_and_annotations(zarr_group: zarr.Group, recording_or_sorting) -> None:
    """Write an extractor's ``properties`` group and ``annotations`` attribute into a group.

    Parameters
    ----------
    zarr_group : zarr.Group
        Open for writing, without a ``properties`` member yet.
    recording_or_sorting : BaseExtractor
    """
    write_properties(recording_or_sorting, zarr_group)
    zarr_group.attrs["annotations"] = to_jsonable(recording_or_sorting._annotations)


def read_properties(extractor: BaseExtractor, root: zarr.Group) -> None:
    """Set the properties (``properties`` group) and annotations (attribute) of a store."""
    if "properties" in root:
        properties = root["properties"]
        for key in sorted(properties.array_keys()):
            extractor.set_property(key, properties[key][:])
    extractor.annotate(**(root.attrs.get("annotations") or {}))
