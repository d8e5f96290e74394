"""Extractor dictionaries (FORMATS.md §1): paths, rebuilding through the class registry."""

from __future__ import annotations

import inspect
import os
import warnings
from pathlib import Path

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


def _map_paths(value, transform, key: str = ""):
    """Apply ``transform`` to every path (values of keys containing 'path') in kwargs."""
    if is_extractor_dict(value):
        out = dict(value)
        out["kwargs"] = {k: _map_paths(v, transform, k) for k, v in value["kwargs"].items()}
        return out
    if isinstance(value, dict):
        return {k: _map_paths(v, transform, k) for k, v in value.items()}
    if "path" in key:
        if isinstance(value, str | Path):
            return transform(str(value))
        if isinstance(value, list | tuple) and all(isinstance(v, str | Path) for v in value):
            return [transform(str(v)) for v in value]
    if isinstance(value, list | tuple):
        return [_map_paths(v, transform) for v in value]
    return value


def paths_relative_to(description: dict, base: Path) -> tuple[dict, bool]:
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
    def absolute(path: str) -> str:
        if "://" in path:
            return path
        return str((base / path.replace("\\", "/")).resolve())

    mapped = _map_paths(description, absolute)
    if "folder_metadata" in description:
        mapped["folder_metadata"] = absolute(description["folder_metadata"])
    return mapped


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
