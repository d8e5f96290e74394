"""What makes a pyramid valid: the identity of a recording segment's samples (no Qt).

A pyramid is cached under a name derived from two digests of the recording:

* the *source* digest names the data whatever its version: the recording's description
  (``to_dict``: class, files, dtype, channel selection, ...) and the segment;
* the *identity* digest adds the size and modification time of every file the recording reads
  from, and the pyramid layout.

A file that changes (size or mtime) changes the identity digest but not the source digest: the new
pyramid gets a new name and the old one, same source, different identity, is known to be stale.

Properties and annotations (probe locations, groups, bad channels, gains) are left out of the
description: the pyramid holds raw sample values, which they do not change.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.extractor_dict import is_extractor_dict
from core.json_io import ExtractorJSONEncoder

#: Bumped whenever the on-disk pyramid format changes: older caches are then never read.
PYRAMID_FORMAT_VERSION = 1
#: Files and folders stat'ed inside a source folder (a zarr store holds many chunk files: its
#: folders' modification times change when chunks are rewritten, so two levels are enough).
FOLDER_DEPTH = 2
FOLDER_MAX_ENTRIES = 2000
#: Keys of an extractor description that do not change the sample values.
_IGNORED_KEYS = ("annotations", "properties", "version", "spikedesk_version", "folder_metadata")


@dataclass(frozen=True)
class PyramidIdentity:
    """The identity of one recording segment for the pyramid cache.

    Attributes
    ----------
    source_digest : str
        Hex digest of the description and segment (the same for every version of the files).
    digest : str
        Hex digest of everything in ``document``.
    document : dict
        The JSON-able identity: description, segment, shape, dtype, file stats, layout.
    """

    source_digest: str
    digest: str
    document: dict

    @property
    def folder_name(self) -> str:
        """Name of the cache folder of this pyramid (``<source>-<identity>``)."""
        return f"{self.source_digest[:16]}-{self.digest[:16]}"


def pyramid_identity(
    recording, segment_index: int, layout: dict, private_token: str | None = None
) -> PyramidIdentity | None:
    """The identity of ``recording``'s segment, or None when it has none that outlives the process.

    A recording that reads from files, or that a JSON description rebuilds (generated data), has
    an identity; an in-memory array (`NumpyRecording`) does not.

    Parameters
    ----------
    recording : BaseRecording
    segment_index : int
    layout : dict
        The pyramid layout parameters (a change of layout is a different pyramid).
    private_token : str | None
        Key the pyramid on this token instead of the recording's description and files: a
        pyramid that only its maker can find (for data that has no lasting identity).

    Returns
    -------
    PyramidIdentity | None
    """
    if private_token is not None:
        sources = []
        description = {"private": str(private_token)}
    else:
        sources = [Path(path) for path in recording.get_source_paths()]
        if not sources and not recording.check_if_json_serializable():
            return None
        description = _strip(recording.to_dict(recursive=True))
    source = {
        "format": PYRAMID_FORMAT_VERSION,
        "description": description,
        "segment_index": int(segment_index),
    }
    document = {
        **source,
        "num_samples": int(recording.get_num_samples(segment_index)),
        "channel_ids": [str(channel_id) for channel_id in recording.channel_ids],
        "dtype": str(recording.get_dtype()),
        "files": [entry for path in sources for entry in _stats(path)],
        "layout": dict(layout),
    }
    document = json.loads(_canonical(document))
    return PyramidIdentity(_digest(source), _digest(document), document)


def _strip(value: Any) -> Any:
    """An extractor description without what does not change the samples (at every depth)."""
    if is_extractor_dict(value):
        kept = {key: item for key, item in value.items() if key not in _IGNORED_KEYS}
        kept["kwargs"] = _strip(value["kwargs"])
        return kept
    if isinstance(value, dict):
        return {key: _strip(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_strip(item) for item in value]
    return value


def _stats(path: Path) -> Iterator[dict]:
    """Size and modification time of ``path``, and of what a folder holds (bounded)."""
    yield _stat_entry(path)
    if path.is_dir():
        count = 0
        for entry in _walk(path, FOLDER_DEPTH):
            if count >= FOLDER_MAX_ENTRIES:
                return
            count += 1
            yield _stat_entry(entry)


def _walk(folder: Path, depth: int) -> Iterator[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        yield entry
        if depth > 1 and entry.is_dir():
            yield from _walk(entry, depth - 1)


def _stat_entry(path: Path) -> dict:
    try:
        stat = os.stat(path)
    except OSError:
        return {"path": str(path), "missing": True}
    size = 0 if path.is_dir() else stat.st_size
    return {"path": str(path), "size": int(size), "mtime_ns": int(stat.st_mtime_ns)}


def _canonical(value: Any) -> str:
    return json.dumps(value, cls=ExtractorJSONEncoder, sort_keys=True, separators=(",", ":"))


def _digest(value: Any) -> str:
    return hashlib.sha256(_canonical(value).encode()).hexdigest()
