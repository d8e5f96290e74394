"""Writing files without ever losing the old ones: atomic replacement and timestamped backups."""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import uuid
from pathlib import Path


def fsync_folder(folder: Path) -> None:
    """Make a folder's entries (new or renamed files) durable, where the system allows it."""
    with contextlib.suppress(OSError):  # not possible on Windows; harmless to skip there
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``path`` so that it is always either the old complete file or the new one.

    The data go to a temporary sibling, are flushed to disk, and the file is renamed into place.
    """
    path = Path(path)
    temporary = path.with_name(f"{path.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_folder(path.parent)


def atomic_write_text(path: str | Path, text: str) -> None:
    """`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def timestamp() -> str:
    """Local time as ``YYYYmmdd-HHMMSS`` (sorts in time order)."""
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def unique_path(path: Path) -> Path:
    """``path``, or ``path`` with ``-1``, ``-2``... appended when it exists."""
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}-{n}")
        n += 1
    return candidate


def backup_file(path: Path) -> Path:
    """Copy ``path`` to ``<name>.bak-<timestamp>`` next to it (flushed) and return the copy."""
    backup = unique_path(path.with_name(f"{path.name}.bak-{timestamp()}"))
    copy_durably(path, backup)
    return backup


def copy_durably(source: Path, target: Path) -> None:
    """Copy a file with its times and flush the copy to disk."""
    shutil.copy2(source, target)
    with open(target, "rb+") as file:
        os.fsync(file.fileno())
    fsync_folder(target.parent)


def write_with_backup(path: str | Path, data: bytes, overwrite: bool) -> Path | None:
    """Write ``path`` atomically; an existing file is first copied to a timestamped backup.

    Parameters
    ----------
    path : str | Path
    data : bytes
    overwrite : bool
        Replace an existing file (after the backup); if False an existing file is an error.

    Returns
    -------
    Path | None
        The backup, when there was a file to replace.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    backup = None
    if path.exists():
        if not overwrite:
            raise FileExistsError(f"{path} already exists (use overwrite=True to replace it)")
        backup = backup_file(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data)
    return backup
