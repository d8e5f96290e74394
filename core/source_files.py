"""Files an object reads from, and the guard that keeps a save from replacing them.

A save with ``overwrite=True`` replaces its target once the new copy is complete. If the object
being saved, or any object it is built from, reads from a file inside that target (a ``.raw``
file in the folder, the zarr store itself, a waveform folder being re-saved onto itself), the
replacement would delete the user's data. Every save asks `check_save_target` first, before
writing anything.

The files an extractor reads from are found in its description (``to_dict``): every value of a
key naming a path (``file_path``, ``file_paths``, ``folder_path``, ``file_or_folder_path``...),
in the object and in every extractor it is built from.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .base import BaseExtractor
from .extractor_dict import is_extractor_dict


def source_paths(source: Any) -> list[Path]:
    """The files and folders ``source`` reads its data from, resolved (symlinks followed).

    Parameters
    ----------
    source : BaseExtractor | WaveformExtractor
        An extractor (its own files and those of every extractor it is built from), or a
        waveform extractor (its folder or store, and the files of its recording and sorting).

    Returns
    -------
    list of Path
        Unique local paths, in the order found; remote stores (URLs) are left out.
    """
    found: dict[Path, None] = {}
    for path in _raw_source_paths(source):
        if "://" in path:
            continue
        found.setdefault(Path(path).expanduser().resolve(), None)
    return list(found)


def _raw_source_paths(source: Any) -> Iterator[str]:
    if isinstance(source, BaseExtractor):
        yield from _paths_in(source.to_dict(recursive=True))
        return
    # a WaveformExtractor (or a reader with the same attributes): its folder and both extractors
    folder = getattr(source, "folder", None)
    if folder is not None:
        yield str(folder)
    has_recording = getattr(source, "has_recording", None)
    if has_recording is not None and has_recording():
        yield from _raw_source_paths(source.recording)
    sorting = getattr(source, "sorting", None)
    if sorting is not None:
        yield from _raw_source_paths(sorting)


def _paths_in(value: Any, key: str = "") -> Iterator[str]:
    """Path values of an extractor description: kwargs whose name says path, at any depth."""
    if is_extractor_dict(value):
        if value.get("folder_metadata"):
            yield str(value["folder_metadata"])
        yield from _paths_in(value["kwargs"])
    elif isinstance(value, Mapping):
        for item_key, item in value.items():
            yield from _paths_in(item, str(item_key))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _paths_in(item, key)
    elif isinstance(value, str | Path) and "path" in key:
        yield str(value)


def check_save_target(
    target: str | Path, sources: Mapping[str, Any], argument: str = "folder"
) -> None:
    """Refuse a save target whose replacement would delete a file that a source reads from.

    Only an existing target can be replaced, so only an existing one is checked: it must not
    be, hold, or lie inside a file or folder that one of ``sources`` reads from.

    Parameters
    ----------
    target : str | Path
        The folder or file the save would create or replace.
    sources : mapping of str to BaseExtractor | WaveformExtractor
        What the save reads from, by the name messages give it (``{"recording": recording}``).
    argument : str
        Name of the target argument, for messages.

    Raises
    ------
    ValueError
        Naming the source file and the object that reads it.
    """
    target = Path(target).expanduser()
    if not (target.exists() or target.is_symlink()):
        return
    resolved = target.resolve()
    for name, source in sources.items():
        for path in source_paths(source):
            relation = _relation(resolved, path)
            if relation is not None:
                raise ValueError(
                    f"{argument}={str(target)!r} {relation} {str(path)!r}, which the {name} "
                    "reads from: replacing it would delete that data. Save to another "
                    f"{argument} (nothing was written)."
                )


def _relation(target: Path, source: Path) -> str | None:
    """How ``target`` overlaps ``source`` (for messages), or None if they are apart."""
    if target == source or _same_file(target, source):
        return "is"
    if target in source.parents:
        return "holds"
    if source in target.parents:
        return "lies inside"
    return None


def _same_file(first: Path, second: Path) -> bool:
    """Whether two existing paths are one file (hard links, case-insensitive file systems)."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False
