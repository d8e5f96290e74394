"""Extractor dictionaries (FORMATS.md §1): paths, rebuilding through the class registry.

Also SpikeInterface's helpers for these dictionaries (``spikeinterface.core.core_tools``):
`is_dict_extractor`, `recursive_path_modifier`, `make_paths_relative`, `make_paths_absolute`,
`check_paths_relative`, `recursive_key_finder`, `add_suffix`.
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .json_io import read_json
from .registry import extractor_class_from_path


def copy_containers(value):
    """Copy dicts and lists (so callers' dictionaries are never mutated) but share arrays."""
    if isinstance(value, dict):
        return {k: copy_containers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_containers(v) for v in value]
    return value


def is_extractor_dict(value) -> bool:
    """Whether ``value`` is an extractor description (FORMATS.md §1)."""
    return isinstance(value, dict) and "class" in value and "kwargs" in value and "module" in value


def _map_paths(value, transform, key: str = "", target: str = "path"):
    """Apply ``transform`` to every path (values of keys containing ``target``) in kwargs."""
    if is_extractor_dict(value):
        out = dict(value)
        out["kwargs"] = {k: _map_paths(v, transform, k, target) for k, v in value["kwargs"].items()}
        return out
    if isinstance(value, dict):
        return {k: _map_paths(v, transform, k, target) for k, v in value.items()}
    if target in key:
        if isinstance(value, str | Path):
            return transform(str(value))
        if isinstance(value, list | tuple) and all(isinstance(v, str | Path) for v in value):
            return [transform(str(v)) for v in value]
    if isinstance(value, list | tuple):
        return [_map_paths(v, transform, "", target) for v in value]
    return value


def paths_relative_to(description: dict, base: Path) -> tuple[dict, bool]:
    """``description`` with paths relative to ``base`` (POSIX style), and whether all could be.

    A URL, or a path on another Windows drive, stays as it is.
    """
    all_relative = True

    def relative(path: str) -> str:
        nonlocal all_relative
        if "http" in path or "://" in path:
            all_relative = False
            return path
        try:
            return Path(os.path.relpath(Path(path).resolve(), base)).as_posix()
        except ValueError:  # another drive on Windows
            all_relative = False
            return path

    mapped = _map_paths(description, relative)
    if "folder_metadata" in description:
        mapped["folder_metadata"] = relative(description["folder_metadata"])
    return mapped, all_relative


def paths_absolute_from(description: dict, base: Path) -> dict:
    """``description`` with relative paths joined to ``base`` (URLs stay as they are)."""

    def absolute(path: str) -> str:
        if "://" in path:
            return path
        return str((base / path.replace("\\", "/")).resolve())

    mapped = _map_paths(description, absolute)
    if "folder_metadata" in description:
        mapped["folder_metadata"] = absolute(description["folder_metadata"])
    return mapped


# --------------------------------------------------------------------------- SpikeInterface helpers
def is_dict_extractor(d: Any) -> bool:
    """Whether ``d`` is an extractor dictionary as SpikeInterface checks it.

    Parameters
    ----------
    d : Any

    Returns
    -------
    bool
        True for a dict with ``module``, ``class``, ``version`` and ``annotations`` keys.
    """
    return isinstance(d, dict) and all(
        k in d for k in ("module", "class", "version", "annotations")
    )


def recursive_path_modifier(
    d: dict, func: Callable[[str], Any], target: str = "path", copy: bool = True
) -> dict:
    """Apply ``func`` to every path of an extractor dictionary, nested extractors included.

    Paths are the values (a string, or a list of strings) of keys containing ``target``.

    Parameters
    ----------
    d : dict
        An extractor dictionary (or any dict with a ``kwargs`` entry).
    func : callable
        Called with each path as a string; returns the new path.
    target : str, default: "path"
        Keys containing this string hold paths.
    copy : bool, default: True
        Return a new dictionary; False changes ``d`` in place (and returns it).

    Returns
    -------
    dict
    """
    modified = _map_paths(d, func, target=target)
    if copy:
        return modified
    d.clear()
    d.update(modified)
    return d


def make_paths_relative(input_dict: dict, relative_folder: str | Path) -> dict:
    """A copy of an extractor dictionary with every path relative to ``relative_folder``.

    Parameters
    ----------
    input_dict : dict
        From ``to_dict()``.
    relative_folder : str | Path

    Returns
    -------
    dict
        Paths as POSIX strings (``sub/file.raw``); URLs and paths on another drive unchanged.
    """
    return paths_relative_to(input_dict, Path(relative_folder).resolve())[0]


def make_paths_absolute(input_dict: dict, base_folder: str | Path) -> dict:
    """A copy of an extractor dictionary with relative paths joined to ``base_folder``.

    Parameters
    ----------
    input_dict : dict
        From ``to_dict()`` (with relative paths).
    base_folder : str | Path

    Returns
    -------
    dict
        Resolved absolute paths (POSIX style).
    """

    def absolute(path: str) -> str:
        if "://" in path:
            return path
        return (Path(base_folder) / path.replace("\\", "/")).resolve().absolute().as_posix()

    return _map_paths(input_dict, absolute)


def check_paths_relative(input_dict: dict, relative_folder: str | Path) -> bool:
    """Whether every path of an extractor dictionary can be made relative to a folder.

    Parameters
    ----------
    input_dict : dict
        From ``to_dict()``.
    relative_folder : str | Path

    Returns
    -------
    bool
        False if some path is a URL or lies on another drive (Windows).
    """
    return paths_relative_to(input_dict, Path(relative_folder).resolve())[1]


def recursive_key_finder(d: dict, key) -> Iterator[Any]:
    """Yield the value of every ``key`` in ``d`` and in the dictionaries nested in it.

    Parameters
    ----------
    d : dict
    key : hashable

    Yields
    ------
    Any
        Values of ``key`` at any depth (dictionaries themselves are searched, not yielded).
    """
    for k, v in d.items():
        if isinstance(v, dict):
            yield from recursive_key_finder(v, key)
        elif k == key:
            yield v


def add_suffix(file_path: str | Path, possible_suffix: str | list[str]) -> Path:
    """``file_path``, with the first of ``possible_suffix`` added unless it has one of them.

    Parameters
    ----------
    file_path : str | Path
    possible_suffix : str | list of str
        Suffixes with or without the dot (``"json"`` or ``".json"``).

    Returns
    -------
    Path
    """
    suffixes = [possible_suffix] if isinstance(possible_suffix, str) else list(possible_suffix)
    suffixes = [s if s.startswith(".") else "." + s for s in suffixes]
    file_path = Path(file_path)
    if file_path.suffix in suffixes:
        return file_path
    return file_path.parent / (file_path.name + suffixes[0])


def _rebuild_kwargs(value):
    if is_extractor_dict(value):
        return rebuild_extractor(value)
    if isinstance(value, dict):
        return {k: _rebuild_kwargs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebuild_kwargs(v) for v in value]
    return value


def _known_kwargs(cls: type, kwargs: dict) -> dict:
    """Drop (with a warning) arguments that newer writers add and this class does not take."""
    parameters = inspect.signature(cls.__init__).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    unknown = [k for k in kwargs if k not in parameters]
    if unknown:
        warnings.warn(f"{cls.__name__}: ignoring arguments {unknown} written by another version")
    return {k: v for k, v in kwargs.items() if k in parameters}


def rebuild_extractor(dictionary: dict) -> object:
    cls = extractor_class_from_path(dictionary["class"])
    kwargs = _known_kwargs(cls, _rebuild_kwargs(dictionary["kwargs"]))
    extractor = cls(**kwargs)
    extractor._annotations.update(dictionary.get("annotations") or {})
    for key, values in (dictionary.get("properties") or {}).items():
        extractor.set_property(key, values)
    if dictionary.get("folder_metadata"):
        extractor.load_metadata_from_folder(dictionary["folder_metadata"])
    return extractor


def read_extractor_json(path: str | Path) -> dict:
    """Read an extractor description from JSON, checking it has the required keys."""
    description = read_json(path)
    if not is_extractor_dict(description) and "warning" not in description:
        raise ValueError(f"{path}: not an extractor description (no 'class'/'kwargs' keys)")
    return description
