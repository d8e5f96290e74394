"""Atomic folder writes: build under ``<target>.partial-<id>``, then rename into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path


def partial_name(target: Path) -> Path:
    """A fresh temporary sibling of ``target`` (``<target>.partial-<id>``)."""
    return target.with_name(f"{target.name}.partial-{uuid.uuid4().hex[:8]}")


@contextlib.contextmanager
def atomic_folder(target: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``target`` only if the block completes.

    Parameters
    ----------
    target : str | Path
        Final folder.
    overwrite : bool
        Replace an existing ``target``; it is removed only after the new folder is complete.

    Raises
    ------
    FileExistsError
        If ``target`` exists and ``overwrite`` is False (checked before any writing).
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists (use overwrite=True to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(target)
    partial.mkdir()
    try:
        yield partial
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    replace_path(partial, target)


def replace_path(source: Path, target: Path) -> None:
    """Move ``source`` to ``target``, replacing ``target`` (a folder or file) if it exists.

    The old ``target`` is first renamed aside so that a folder named ``target`` is always either
    the old complete one or the new complete one.
    """
    if target.exists() or target.is_symlink():
        aside = partial_name(target)
        os.replace(target, aside)
        os.replace(source, target)
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink(missing_ok=True)
    else:
        os.replace(source, target)
