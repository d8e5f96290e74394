"""Writing a curation back into the phy / Kilosort folder it was made on, in phy's own layout.

phy reads ``spike_clusters.npy`` (one cluster id per spike, in ``spike_times.npy`` order),
``cluster_group.tsv`` (``cluster_id``, ``group``) and, for information, ``cluster_info.tsv``
(one row per cluster; phy writes it on each save and does not read it back, SpikeInterface's
reader does). The files replaced are first copied to ``spikedesk_backups/<time>/`` in the folder,
with a ``manifest.json`` saying what was written; each new file is then written atomically, and
if writing fails the files already replaced are put back.

Cluster ids follow phy's rules: integers; a unit whose spikes did not change keeps its cluster
id; every new unit (a merge, a split part) gets a new id above every id the folder knows
(``spike_clusters``, ``spike_templates`` and the tables), so nothing phy cached for an old id is
ever reused for other spikes. phy cannot drop spikes: the spikes of removed units stay in the
file, in their original cluster (or, when only part of a cluster was removed, in a new one),
labelled ``noise``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..formats.phy import BasePhyKilosortSortingExtractor, _read_spikes, read_cluster_tables
from ..sorting.base import minimum_spike_dtype
from ..sorting.spike_vector import is_sorted_spike_vector
from .curated_sorting import CuratedSorting
from .safe_files import atomic_write_bytes, copy_durably, fsync_folder, timestamp, unique_path

BACKUP_FOLDER = "spikedesk_backups"
REPLACED_FILES = ("spike_clusters.npy", "cluster_group.tsv", "cluster_info.tsv")


@dataclass(frozen=True)
class PhyWriteBack:
    """What `write_curation_to_phy` did.

    Attributes
    ----------
    folder : Path
        The phy folder written.
    backup_folder : Path
        Where the replaced files were copied first.
    cluster_ids : dict
        ``unit_id -> cluster id`` of each unit of the curated sorting.
    removed_cluster_ids : list of int
        Clusters holding the spikes of removed units (labelled ``noise``).
    """

    folder: Path
    backup_folder: Path
    cluster_ids: dict
    removed_cluster_ids: list


def write_curation_to_phy(
    curated: CuratedSorting, folder: str | Path | None = None, label_key: str = "quality"
) -> PhyWriteBack:
    """Write a curated phy or Kilosort sorting back into its folder (after a backup).

    Parameters
    ----------
    curated : CuratedSorting
        A curation (e.g. ``CurationSession.sorting`` or ``apply_curation``'s result) of a sorting
        read with ``read_phy`` / ``read_kilosort``.
    folder : str | Path | None
        The folder to write; default: the one the sorting was read from.
    label_key : str
        The string property giving each unit's phy group (empty: ``unsorted``).

    Returns
    -------
    PhyWriteBack

    Raises
    ------
    TypeError
        If ``curated`` is not a curated phy / Kilosort sorting.
    ValueError
        If the folder's spikes are no longer those the sorting was read from.
    """
    if not isinstance(curated, CuratedSorting) or not isinstance(
        curated.base_sorting, BasePhyKilosortSortingExtractor
    ):
        raise TypeError(
            "write_curation_to_phy() needs a curation (CuratedSorting) of a sorting read with "
            "read_phy() or read_kilosort()"
        )
    folder = Path(curated.base_sorting._kwargs["folder_path"] if folder is None else folder)
    spike_times, current_clusters = _read_spikes(folder)
    spike_clusters, rows_to_spikes = _clusters_read_from(
        curated.base_sorting, folder, spike_times, current_clusters
    )
    listed_ids, columns = read_cluster_tables(folder)
    next_id = (
        max(
            _largest_known_id(folder, current_clusters, listed_ids),
            int(spike_clusters.max()) if spike_clusters.size else -1,
        )
        + 1
    )

    new_clusters = spike_clusters.astype("int64", copy=True)
    groups = {int(c): g for c, g in columns.get("group", {}).items()}
    base_rows = curated._index.base_rows()
    labels = curated.get_property(label_key)
    cluster_ids, changed = {}, set()
    for position, unit_id in enumerate(curated.unit_state.unit_ids):
        rows = curated.unit_state.rows[unit_id]
        unchanged = unit_id in base_rows and np.array_equal(rows, base_rows[unit_id])
        cluster = int(unit_id) if unchanged else next_id
        if not unchanged:
            next_id += 1
            changed.add(cluster)
        new_clusters[rows_to_spikes[rows]] = cluster
        cluster_ids[unit_id] = cluster
        label = "" if labels is None or labels.dtype.kind not in "US" else str(labels[position])
        groups[cluster] = label or "unsorted"
    removed = _clusters_of_removed_spikes(curated, base_rows, rows_to_spikes, new_clusters, next_id)
    for cluster in removed:
        groups[cluster] = "noise"
    changed.update(c for c in removed if c not in base_rows)

    present = set(np.unique(new_clusters).tolist()) | {
        c for c in cluster_ids.values()
    }  # empty units listed in the tables stay listed
    group_table = _table(
        ["cluster_id", "group"], [[c, groups.get(c, "unsorted")] for c in sorted(present)]
    )
    info_table = _cluster_info(
        sorted(present), columns, groups, new_clusters, changed, curated, cluster_ids
    )
    files = {
        "spike_clusters.npy": _npy_bytes(new_clusters, _clusters_dtype(folder)),
        "cluster_group.tsv": group_table,
        "cluster_info.tsv": info_table,
    }
    backup = _back_up(folder, cluster_ids, removed, files)
    _replace_files(folder, files, backup)
    return PhyWriteBack(folder, backup, cluster_ids, sorted(removed))


def _clusters_read_from(base, folder: Path, spike_times, current_clusters):
    """The cluster of each spike when ``base`` was read, and the position in the files of each
    row of its spike vector.

    That is the folder's ``spike_clusters`` unless SpikeDesk wrote the folder back since (a
    second write-back of a curation that goes on): then the spikes as they were are in one of
    the backups, and the folder must hold exactly what the last write-back wrote (else phy or
    something else changed it, and writing would lose that).
    """
    try:
        return current_clusters, _base_rows_in_file(base, spike_times, current_clusters, folder)
    except ValueError as error:
        changed = error
    backups = _write_backs(folder)
    if not backups or not _holds_what_was_written(folder, backups[0]):
        raise changed
    for backup in backups:
        clusters_file = backup / "spike_clusters.npy"
        if not clusters_file.is_file():
            clusters_file = folder / "spike_templates.npy"  # a Kilosort folder, before any
        if not clusters_file.is_file():
            continue
        original = np.asarray(np.load(clusters_file, allow_pickle=False)).reshape(-1)
        if original.size != spike_times.size:
            continue
        try:
            rows = _base_rows_in_file(base, spike_times, original.astype("int64"), folder)
        except ValueError:
            continue
        return original.astype("int64"), rows
    raise changed


def list_phy_backups(folder: str | Path) -> list[Path]:
    """The backup folders of earlier write-backs into a phy folder, newest first (the oldest
    holds the folder's original files)."""
    return _write_backs(Path(folder))


def _write_backs(folder: Path) -> list[Path]:
    """The backup folders of earlier write-backs, newest first."""
    root = folder / BACKUP_FOLDER
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if (p / "manifest.json").is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def _holds_what_was_written(folder: Path, backup: Path) -> bool:
    """Whether the folder's files are those the write-back of ``backup`` wrote."""
    try:
        written = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))["written"]
    except (OSError, ValueError, KeyError):
        return False
    for name, digest in written.items():
        path = folder / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            return False
    return bool(written)


def _base_rows_in_file(base, spike_times, spike_clusters, folder) -> np.ndarray:
    """Position in ``spike_times.npy`` of each row of the base sorting's spike vector."""
    unit_ids = base.unit_ids
    positions = np.flatnonzero(np.isin(spike_clusters, unit_ids))
    spikes = np.zeros(positions.size, dtype=minimum_spike_dtype)
    spikes["sample_index"] = spike_times[positions]
    spikes["unit_index"] = np.searchsorted(unit_ids, spike_clusters[positions])
    if not is_sorted_spike_vector(spikes):
        # the reader's order: by sample, then unit (stable)
        order = np.lexsort((spikes["unit_index"], spikes["sample_index"]))
        positions, spikes = positions[order], spikes[order]
    vector = base.to_spike_vector()
    if not (
        np.array_equal(vector["sample_index"], spikes["sample_index"])
        and np.array_equal(vector["unit_index"], spikes["unit_index"])
    ):
        raise ValueError(
            f"{folder}: the spikes in the folder are not those the sorting was read from (the "
            "folder changed since); open it again and redo the curation there"
        )
    return positions


def _largest_known_id(folder: Path, spike_clusters: np.ndarray, listed_ids: np.ndarray) -> int:
    known = [int(spike_clusters.max()) if spike_clusters.size else -1]
    if listed_ids.size:
        known.append(int(listed_ids.max()))
    templates = folder / "spike_templates.npy"
    if templates.is_file():
        values = np.load(templates, mmap_mode="r", allow_pickle=False)
        if values.size:
            known.append(int(values.max()))
    return max(known)


def _clusters_of_removed_spikes(curated, base_rows, rows_to_spikes, new_clusters, next_id) -> list:
    """Give the spikes no curated unit holds a cluster: their own if all left, else a new one."""
    held = np.zeros(curated._index.spikes.size, dtype=bool)
    for rows in curated.unit_state.rows.values():
        held[rows] = True
    removed = []
    for unit_id, rows in base_rows.items():
        dropped = rows[~held[rows]]
        if dropped.size == 0:
            continue
        if dropped.size == rows.size and unit_id not in curated.unit_state.rows:
            cluster = int(unit_id)  # the whole cluster was removed: it keeps its id
        else:
            cluster, next_id = next_id, next_id + 1
        new_clusters[rows_to_spikes[dropped]] = cluster
        removed.append(cluster)
    return removed


def _cluster_info(clusters, columns, groups, new_clusters, changed, curated, cluster_ids) -> bytes:
    counts = dict(zip(*np.unique(new_clusters, return_counts=True)))
    names = [n for n in columns if n not in ("group", "n_spikes")]
    unit_of = {c: u for u, c in cluster_ids.items()}
    rows = []
    for cluster in clusters:
        row = [cluster]
        for name in names:
            if cluster not in changed:
                row.append(columns[name].get(cluster, ""))
            else:
                row.append(_property_text(curated, name, unit_of.get(cluster)))
        row += [groups.get(cluster, "unsorted"), int(counts.get(cluster, 0))]
        rows.append(row)
    return _table(["cluster_id", *names, "group", "n_spikes"], rows)


def _property_text(curated, name: str, unit_id) -> str:
    values = curated.get_property(name)
    if unit_id is None or values is None or values.ndim != 1:
        return ""
    value = values[curated.id_to_index(unit_id)]
    if values.dtype.kind == "f":
        return "" if np.isnan(value) else format(float(value), ".6g")
    return str(value.item() if isinstance(value, np.generic) else value)


def _table(header: list[str], rows: list[list]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter="\t", lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def _clusters_dtype(folder: Path) -> np.dtype:
    """The dtype of the folder's ``spike_clusters.npy`` (int32, phy's own, when there is none)."""
    path = folder / "spike_clusters.npy"
    if not path.is_file():
        return np.dtype("int32")
    return np.load(path, mmap_mode="r", allow_pickle=False).dtype


def _npy_bytes(clusters: np.ndarray, original_dtype: np.dtype) -> bytes:
    dtype = original_dtype if original_dtype.kind in "i" else np.dtype("int64")
    if clusters.size and clusters.max() > np.iinfo(dtype).max:
        dtype = np.dtype("int64")
    buffer = io.BytesIO()
    np.save(buffer, clusters.astype(dtype), allow_pickle=False)
    return buffer.getvalue()


def _back_up(folder: Path, cluster_ids: dict, removed: list, files: dict[str, bytes]) -> Path:
    backup = unique_path(folder / BACKUP_FOLDER / timestamp())
    backup.mkdir(parents=True)
    replaced = []
    for name in REPLACED_FILES:
        if (folder / name).is_file():
            copy_durably(folder / name, backup / name)
            replaced.append(name)
    manifest = {
        "written_by": "SpikeDesk curation write-back",
        "time": datetime.datetime.now().isoformat(timespec="seconds"),
        "replaced": replaced,
        "created": [name for name in REPLACED_FILES if name not in replaced],
        "cluster_ids": [[unit, cluster] for unit, cluster in cluster_ids.items()],
        "removed_cluster_ids": sorted(removed),
        "written": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    atomic_write_bytes(backup / "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))
    fsync_folder(backup.parent)
    return backup


def _replace_files(folder: Path, files: dict[str, bytes], backup: Path) -> None:
    written = []
    try:
        for name, data in files.items():
            atomic_write_bytes(folder / name, data)
            written.append(name)
    except BaseException:
        for name in written:  # put back what was replaced, remove what was created
            if (backup / name).is_file():
                atomic_write_bytes(folder / name, (backup / name).read_bytes())
            else:
                (folder / name).unlink(missing_ok=True)
        raise
