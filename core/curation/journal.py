"""The crash-safe journal of a curation session: one JSON line per action, undo or redo.

The first line is a header naming the sorting (a fingerprint: a hash of its description or, for
in-memory sortings, of its spikes, plus its unit ids and spike counts), the label categories and
the id strategy. Each later line is a record. Every line is written with one call, then flushed
and synced to disk before the session goes on, so a crash loses at most the record being
written; a torn last line is ignored when the journal is read (and cut off when a restored
session writes to it again).

Journal files are named ``spikedesk-curation-<sorting hash>-<time>-<random>.jsonl`` so that
journals of many sortings can share one folder and `find_journal` finds a sorting's quickly.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..json_io import to_jsonable
from .safe_files import fsync_folder, timestamp
from .unit_ids import as_python_ids

JOURNAL_KIND = "spikedesk-curation-journal"
JOURNAL_VERSION = 1
#: Records after the header: actions, undos, redos, and label categories added on the way.
RECORD_TYPES = ("action", "undo", "redo", "label_definition")
_PREFIX = "spikedesk-curation-"


def sorting_fingerprint(sorting) -> dict:
    """What identifies a sorting in a journal header.

    Returns
    -------
    dict
        ``identity`` (a SHA-256 of the sorting's description without version numbers, its unit
        ids, spike counts and per-unit sums of spike samples, sampling frequency and segment
        count; for a sorting held only in memory, of its whole spike vector instead of the
        description and sums), ``source`` (a file or folder it reads, if any), ``class``,
        ``unit_ids``, ``num_spikes``, ``sampling_frequency``, ``num_segments``.
    """
    unit_ids = as_python_ids(sorting.unit_ids)
    spikes = sorting.to_spike_vector()
    counts = np.bincount(spikes["unit_index"], minlength=len(unit_ids)).tolist()
    description = None
    if sorting.check_if_json_serializable():
        description = _without_versions(to_jsonable(sorting.to_dict(recursive=True)))
        # a cheap check of the spikes themselves: each unit's sum of sample indices
        sums = np.bincount(
            spikes["unit_index"], weights=spikes["sample_index"], minlength=len(unit_ids)
        )
        content = hashlib.sha256(sums.astype("float64").tobytes()).hexdigest()
    else:
        content = hashlib.blake2b(spikes.tobytes(), digest_size=32).hexdigest()
    identity = hashlib.sha256(
        json.dumps(
            {
                "description": description,
                "content": content,
                "unit_ids": unit_ids,
                "counts": counts,
                "sampling_frequency": sorting.sampling_frequency,
                "num_segments": sorting.get_num_segments(),
            },
            sort_keys=True,
        ).encode("utf-8")
    ).hexdigest()
    return {
        "identity": identity,
        "source": _source_of(description),
        "class": type(sorting).__name__,
        "unit_ids": unit_ids,
        "num_spikes": int(sum(counts)),
        "sampling_frequency": sorting.sampling_frequency,
        "num_segments": sorting.get_num_segments(),
    }


def _without_versions(value):
    if isinstance(value, dict):
        return {
            k: _without_versions(v)
            for k, v in value.items()
            if k not in ("version", "spikedesk_version")
        }
    if isinstance(value, list):
        return [_without_versions(v) for v in value]
    return value


def _source_of(description) -> str | None:
    """The first file or folder path in a description's arguments."""
    if isinstance(description, dict):
        for key, value in description.get("kwargs", description).items():
            if "path" in key and isinstance(value, str):
                return value
            found = _source_of(value)
            if found:
                return found
    elif isinstance(description, list):
        for value in description:
            found = _source_of(value)
            if found:
                return found
    return None


class CurationJournal:
    """An open journal file that records are appended to (each one synced to disk)."""

    def __init__(self, path: Path, file, size: int, count: int) -> None:
        self.path = path
        self._file = file
        self._size = size
        self._count = count

    @classmethod
    def create(cls, folder: str | Path, header: dict) -> CurationJournal:
        """Start a new journal in ``folder`` (created if needed) with ``header``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        identity = header["sorting"]["identity"]
        path = folder / f"{_PREFIX}{identity[:16]}-{timestamp()}-{uuid.uuid4().hex[:6]}.jsonl"
        line = _line(
            {
                "kind": JOURNAL_KIND,
                "version": JOURNAL_VERSION,
                "created": _now(),
                **header,
            }
        )
        file = open(path, "xb")
        try:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
        except BaseException:
            file.close()
            path.unlink(missing_ok=True)
            raise
        fsync_folder(folder)
        return cls(path, file, len(line), 0)

    @classmethod
    def reopen(cls, path: str | Path, valid_size: int) -> CurationJournal:
        """Open an existing journal for appending, cutting off a torn last line."""
        path = Path(path)
        file = open(path, "r+b")
        file.seek(0, os.SEEK_END)
        if file.tell() > valid_size:
            warnings.warn(f"{path}: an incomplete last line (a write cut short) was removed")
            file.truncate(valid_size)
            file.flush()
            os.fsync(file.fileno())
        file.seek(valid_size)
        _, records, _ = read_journal(path)
        return cls(path, file, valid_size, len(records))

    def append(self, record: dict) -> None:
        """Write one record and sync it to disk before returning.

        Raises
        ------
        OSError
            If the write fails (the partial line is removed; the journal is then closed).
        """
        if self._file is None:
            raise ValueError(f"{self.path}: the journal is closed")
        line = _line({"n": self._count + 1, "time": _now(), **record})
        try:
            self._file.write(line)
            self._file.flush()
            os.fsync(self._file.fileno())
        except BaseException:
            try:
                self._file.truncate(self._size)
            finally:
                self.close()
            raise
        self._size += len(line)
        self._count += 1

    def close(self) -> None:
        """Close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _line(record: dict) -> bytes:
    # records are plain JSON values already: the C encoder writes long split indices quickly
    text = json.dumps(record, separators=(",", ":"), default=_numpy_value)
    return (text + "\n").encode("utf-8")


def _numpy_value(value):
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _now() -> str:
    return datetime.datetime.now().isoformat(timespec="milliseconds")


def read_journal(path: str | Path) -> tuple[dict, list[tuple[int, dict]], int]:
    """Read a journal.

    Returns
    -------
    header : dict
    records : list of (line number, record)
    valid_size : int
        Bytes up to the end of the last complete record (a torn last line lies beyond).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not a curation journal, or a line other than the last is damaged.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"journal: {path} does not exist")
    data = path.read_bytes()
    lines = data.split(b"\n")
    # every record ends with a newline: what follows the last one is a torn write (or nothing)
    complete, offset, parsed = lines[:-1], 0, []
    for number, raw in enumerate(complete, start=1):
        try:
            parsed.append((number, json.loads(raw.decode("utf-8")), offset + len(raw) + 1))
        except (UnicodeDecodeError, json.JSONDecodeError):
            if number != len(complete):
                raise ValueError(f"{path}: line {number} is damaged (not JSON)") from None
            break  # a last line that is not JSON: cut short by a crash
        offset += len(raw) + 1
    if not parsed or not isinstance(parsed[0][1], dict) or parsed[0][1].get("kind") != JOURNAL_KIND:
        raise ValueError(f"{path}: not a SpikeDesk curation journal (no header line)")
    header = parsed[0][1]
    if header.get("version") != JOURNAL_VERSION:
        raise ValueError(f"{path}: journal version {header.get('version')!r} is not supported")
    records = [(number, record) for number, record, _ in parsed[1:]]
    for number, record in records:
        if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
            raise ValueError(f"{path}: line {number} is not a journal record")
    return header, records, parsed[-1][2]


@dataclass(frozen=True)
class JournalSummary:
    """What a journal holds, for offering to restore it.

    Attributes
    ----------
    path : Path
    created : str
        ISO time of the session start.
    modified : float
        Last write (seconds since the epoch).
    num_records : int
        Actions, undos and redos recorded.
    num_actions : int
        Actions in effect at the end.
    source : str | None
        The file or folder of the sorting.
    """

    path: Path
    created: str
    modified: float
    num_records: int
    num_actions: int
    source: str | None


def journal_summary(path: str | Path) -> JournalSummary:
    """Summarise a journal (see `JournalSummary`)."""
    header, records, _ = read_journal(path)
    position = length = 0
    for _, record in records:
        if record["type"] == "action":
            position += 1
            length = position
        elif record["type"] == "undo":
            position = max(position - 1, 0)
        elif record["type"] == "redo":
            position = min(position + 1, length)
    return JournalSummary(
        Path(path),
        header.get("created", ""),
        Path(path).stat().st_mtime,
        len(records),
        position,
        header["sorting"].get("source"),
    )


def list_journals(sorting, folder: str | Path) -> list[Path]:
    """Journals of ``sorting`` in ``folder``, newest first (damaged ones are skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    identity = sorting_fingerprint(sorting)["identity"]
    found = []
    for path in folder.glob(f"{_PREFIX}{identity[:16]}-*.jsonl"):
        try:
            header, _, _ = read_journal(path)
        except (ValueError, OSError):
            continue
        if header.get("sorting", {}).get("identity") == identity:
            found.append((header.get("created", ""), path.stat().st_mtime, path))
    return [path for *_, path in sorted(found, reverse=True)]


def find_journal(sorting, folder: str | Path) -> Path | None:
    """The newest journal of ``sorting`` in ``folder`` that recorded something, or None.

    Parameters
    ----------
    sorting : BaseSorting
        The sorting being opened.
    folder : str | Path
        Where its sessions keep their journals.
    """
    for path in list_journals(sorting, folder):
        if journal_summary(path).num_records > 0:
            return path
    return None
