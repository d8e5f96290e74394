"""The pyramids in a cache folder: their size, clearing them, and keeping them under a limit (no Qt).

A pyramid takes about 3 % of its recording (5.5 GB for 2 hours of 384 channels): a user who opens
many long recordings would fill the disk with them. After each build the cache is trimmed to
`default_cache_limit` (at most `CACHE_LIMIT_BYTES`, at most `CACHE_LIMIT_SHARE` of the cache's
file system): the pyramids used least recently are removed first, never the one just built or
one being built. A pyramid counts as used when it is opened (`mark_used` sets its folder's
modification time).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from app.model.display_pyramid.builder import BUILDING_SUFFIX
from app.model.display_pyramid.files import is_locked

#: Names of the folders the pyramids take in a cache folder (nothing else there is touched).
ENTRY_NAME = re.compile(r"^[0-9a-f]{16}-[0-9a-f]{16}(\.building)?$")
#: The cache is kept under this many bytes...
CACHE_LIMIT_BYTES = 50 << 30
#: ... and under this share of the size of the file system that holds it.
CACHE_LIMIT_SHARE = 0.2


def default_cache_limit(cache_dir: str | Path) -> int:
    """Bytes the pyramids in ``cache_dir`` may take: `CACHE_LIMIT_BYTES`, or `CACHE_LIMIT_SHARE`
    of the file system's size when that is smaller."""
    folder = Path(cache_dir)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the cache folder may not be made yet
    try:
        size = shutil.disk_usage(folder).total
    except OSError:
        return CACHE_LIMIT_BYTES
    return int(min(CACHE_LIMIT_BYTES, CACHE_LIMIT_SHARE * size))


def mark_used(folder: Path) -> None:
    """Record that the pyramid in ``folder`` was used now (for `trim_pyramid_cache`)."""
    with contextlib.suppress(OSError):  # a read-only cache: never trimmed first, that is all
        os.utime(folder)


def trim_pyramid_cache(
    cache_dir: str | Path, max_bytes: int, keep: Iterable[str | Path] = ()
) -> int:
    """Remove the complete pyramids of ``cache_dir`` used least recently until all of them take
    at most ``max_bytes``; return the bytes freed.

    Parameters
    ----------
    cache_dir : str | Path
        The cache folder.
    max_bytes : int
        What the pyramids may take (partial builds count, but are never removed).
    keep : iterable of path
        Pyramid folders never removed (e.g. the one just built), even when they alone exceed
        ``max_bytes``.

    Returns
    -------
    int
        Bytes freed.
    """
    entries = cache_entries(Path(cache_dir))
    sizes = {entry: folder_bytes(entry) for entry in entries}
    total = sum(sizes.values())
    kept = {Path(path).resolve() for path in keep}
    removable = [
        entry
        for entry in entries
        if not entry.name.endswith(BUILDING_SUFFIX) and entry.resolve() not in kept
    ]
    freed = 0
    for entry in sorted(removable, key=_last_used):
        if total <= max_bytes:
            break
        if remove_entry(entry):
            total -= sizes[entry]
            freed += sizes[entry]
    return freed


def clear_pyramid_cache(cache_dir: str | Path) -> int:
    """Remove every pyramid in ``cache_dir`` except those being built; return the bytes freed.

    Only folders named as pyramids are touched; anything else in ``cache_dir`` stays.
    """
    freed = 0
    for entry in cache_entries(Path(cache_dir)):
        size = folder_bytes(entry)
        if remove_entry(entry):
            freed += size
    return freed


def pyramid_cache_bytes(cache_dir: str | Path) -> int:
    """Bytes used by the pyramids in ``cache_dir`` (allocated blocks of complete and partial)."""
    return sum(folder_bytes(entry) for entry in cache_entries(Path(cache_dir)))


def cache_entries(cache_dir: Path) -> list[Path]:
    """The pyramid folders (complete or being built) in ``cache_dir``."""
    try:
        return [
            entry
            for entry in cache_dir.iterdir()
            if entry.is_dir() and not entry.is_symlink() and ENTRY_NAME.match(entry.name)
        ]
    except OSError:
        return []


def remove_entry(entry: Path) -> bool:
    """Remove a pyramid folder unless a build holds it; whether it was removed."""
    if entry.name.endswith(BUILDING_SUFFIX) and is_locked(entry):
        return False
    shutil.rmtree(entry, ignore_errors=True)
    return not entry.exists()


def folder_bytes(folder: Path) -> int:
    """Bytes allocated to the files of ``folder`` (their size where blocks are not reported)."""
    total = 0
    for path in folder.rglob("*"):
        try:
            stat = path.stat()
        except OSError:
            continue
        blocks = getattr(stat, "st_blocks", None)
        total += stat.st_size if blocks is None else blocks * 512
    return total


def _last_used(entry: Path) -> float:
    try:
        return entry.stat().st_mtime
    except OSError:
        return 0.0
