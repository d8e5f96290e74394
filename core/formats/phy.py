"""phy and Kilosort output folders: PhySortingExtractor (read_phy), KiloSortSortingExtractor.

A folder (RAW-FORMATS.md "phy / Kilosort output folders") holds ``params.py`` (literal
assignments, among them ``sample_rate``), ``spike_times.npy``, ``spike_clusters.npy`` (phy
curation) or else ``spike_templates.npy``, and per-cluster tables (``cluster_group.tsv``,
``cluster_KSLabel.tsv``, ``cluster_info.tsv``...). ``params.py`` is parsed with :mod:`ast` and
never run; ``.npy`` files are read with ``allow_pickle=False``; tables are read with :mod:`csv`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..opening import PRIORITY_SORTER_OUTPUT, OpenOptions, register_opener
from ..python_params import read_literal_assignments
from ..registry import register_extractor_class
from ..sorting.base import BaseSorting, minimum_spike_dtype
from ..sorting.numpy import SpikeVectorSortingSegment
from ..sorting.spike_vector import is_sorted_spike_vector, sort_spike_vector

#: params.py entries exposed in the ``phy_params`` annotation.
PHY_PARAMS_KEYS = ("dat_path", "sample_rate", "n_channels_dat", "dtype", "offset", "hp_filtered")

# Table columns with a property name of their own; every other column keeps its name.
_RENAMED_COLUMNS = {
    "group": "quality",
    "chan_grp": "group",
    "ch_group": "group",
}


class BasePhyKilosortSortingExtractor(BaseSorting):
    """Shared reader of phy and Kilosort output folders (one segment, unit ids = cluster ids).

    The clusters are those listed in the tables plus those with spikes (sorted, int64). Table
    columns become properties (see `column_values`); a cell missing for a cluster is NaN in a
    numeric column and ``""`` in a text column. The folder and the ``params.py`` entries of
    ``PHY_PARAMS_KEYS`` are the annotations ``phy_folder`` and ``phy_params``.

    Parameters
    ----------
    folder_path : str | Path
        The output folder.
    exclude_cluster_groups : str | list of str | None
        Drop clusters whose group (property ``quality``) is one of these, case-insensitively.
    keep_good_only : bool
        Keep only clusters whose ``KSLabel`` is ``"good"``.
    remove_empty_units : bool
        Drop clusters without spikes (else clusters listed in the tables are kept).
    load_all_cluster_properties : bool
        Set every table column as a property; else only ``quality``, ``group`` and
        ``original_cluster_id``.

    Raises
    ------
    FileNotFoundError
        If the folder, ``params.py``, ``spike_times.npy`` or both cluster files are missing.
    ValueError
        If a file is damaged: ``params.py`` holds a non-literal assignment or no valid
        ``sample_rate``, a ``.npy`` file is unreadable or holds no integer column, the spike
        files differ in length, or a table has bad cluster ids. Also if ``keep_good_only`` is
        set and no table has a ``KSLabel`` column.
    """

    def __init__(
        self,
        folder_path: str | Path,
        exclude_cluster_groups: str | list[str] | None = None,
        keep_good_only: bool = False,
        remove_empty_units: bool = False,
        load_all_cluster_properties: bool = True,
    ) -> None:
        folder = Path(folder_path)
        if not folder.is_dir():
            raise FileNotFoundError(f"folder_path: {folder} is not an existing folder")
        params = read_phy_params(folder / "params.py")
        sampling_frequency = _sampling_frequency(params, folder / "params.py")
        spike_times, spike_clusters = _read_spikes(folder)
        listed_ids, columns = read_cluster_tables(folder)
        cluster_ids, counts = np.unique(spike_clusters, return_counts=True)
        all_ids = np.union1d(listed_ids, cluster_ids)
        num_spikes = np.zeros(all_ids.size, dtype="int64")
        num_spikes[np.searchsorted(all_ids, cluster_ids)] = counts
        if not columns:  # no table: all unsorted, as in SpikeInterface
            columns = {"group": {int(c): "unsorted" for c in all_ids}}
        keep = _selected_clusters(all_ids, columns, exclude_cluster_groups, keep_good_only, folder)
        if remove_empty_units:
            keep &= num_spikes > 0
        unit_ids = all_ids[keep]

        super().__init__(sampling_frequency, unit_ids)
        spikes = _spike_vector(spike_times, spike_clusters, unit_ids)
        spikes.flags.writeable = False
        self.add_sorting_segment(SpikeVectorSortingSegment(spikes, 0, self.unit_ids))
        self._cached_spike_vector = spikes
        self.set_property("original_cluster_id", unit_ids.copy())
        for name, values in columns.items():
            if load_all_cluster_properties or name in _RENAMED_COLUMNS:
                self.set_property(
                    _RENAMED_COLUMNS.get(name, name),
                    column_values([values.get(int(c), "") for c in unit_ids]),
                )
        self.annotate(
            phy_folder=str(folder.resolve()),
            phy_params={k: params[k] for k in PHY_PARAMS_KEYS if k in params},
        )


class PhySortingExtractor(BasePhyKilosortSortingExtractor):
    """A phy folder (after manual curation): clusters listed in the tables are kept, even empty.

    Parameters
    ----------
    folder_path : str | Path
        The phy folder.
    exclude_cluster_groups : str | list of str | None
        Groups to drop, e.g. ``["noise", "mua"]`` (case-insensitive).
    load_all_cluster_properties : bool
        Set every column of the cluster tables as a unit property.
    """

    def __init__(
        self,
        folder_path: str | Path,
        exclude_cluster_groups: str | list[str] | None = None,
        load_all_cluster_properties: bool = True,
    ) -> None:
        super().__init__(
            folder_path,
            exclude_cluster_groups=exclude_cluster_groups,
            load_all_cluster_properties=load_all_cluster_properties,
        )
        self._kwargs = {
            "folder_path": str(Path(folder_path).absolute()),
            "exclude_cluster_groups": exclude_cluster_groups,
            "load_all_cluster_properties": load_all_cluster_properties,
        }


class KiloSortSortingExtractor(BasePhyKilosortSortingExtractor):
    """A Kilosort output folder: clusters without spikes are dropped by default.

    Parameters
    ----------
    folder_path : str | Path
        The Kilosort output folder.
    keep_good_only : bool
        Keep only clusters whose ``KSLabel`` is ``"good"``.
    remove_empty_units : bool
        Drop clusters without spikes.
    """

    def __init__(
        self,
        folder_path: str | Path,
        keep_good_only: bool = False,
        remove_empty_units: bool = True,
    ) -> None:
        super().__init__(
            folder_path, keep_good_only=keep_good_only, remove_empty_units=remove_empty_units
        )
        self._kwargs = {
            "folder_path": str(Path(folder_path).absolute()),
            "keep_good_only": keep_good_only,
            "remove_empty_units": remove_empty_units,
        }


read_phy = PhySortingExtractor
read_kilosort = KiloSortSortingExtractor


def read_phy_params(file_path: str | Path) -> dict:
    """Read the literal assignments of a phy ``params.py`` without running it.

    See `core.python_params.read_literal_assignments`: other statements are skipped with a
    warning naming their lines.

    Parameters
    ----------
    file_path : str | Path
        The ``params.py`` file.

    Returns
    -------
    dict
        ``name -> value``.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If it is not UTF-8 Python, or an assignment's value is not a literal.
    """
    file_path = Path(file_path)
    if not file_path.is_file():
        raise FileNotFoundError(f"{file_path}: missing (a phy folder needs params.py)")
    return read_literal_assignments(file_path)


def read_cluster_tables(folder: str | Path) -> tuple[np.ndarray, dict[str, dict[int, str]]]:
    """Read the per-cluster ``.tsv``/``.csv`` tables of a phy or Kilosort folder.

    When exactly one ``cluster_info`` table exists only it is read; otherwise every table with
    a ``cluster_id`` (or ``id``) column is merged (the first non-empty value of a column wins).

    Parameters
    ----------
    folder : str | Path
        The output folder.

    Returns
    -------
    listed_ids : np.ndarray
        Sorted int64 ids of every cluster listed in a table.
    columns : dict
        ``column name -> {cluster_id: text}``; empty cells are left out.
    """
    tables = sorted(p for p in Path(folder).iterdir() if p.suffix in (".tsv", ".csv"))
    info_tables = [p for p in tables if "cluster_info" in p.stem]
    if len(info_tables) == 1:
        tables = info_tables
    listed: set[int] = set()
    columns: dict[str, dict[int, str]] = {}
    for path in tables:
        for cluster_id, row in _table_rows(path):
            listed.add(cluster_id)
            for name, text in row.items():
                if text:
                    columns.setdefault(name, {}).setdefault(cluster_id, text)
    return np.array(sorted(listed), dtype="int64"), columns


def column_values(texts: list[str]) -> np.ndarray:
    """Convert the cells of a table column into a property array.

    Parameters
    ----------
    texts : list of str
        One cell per unit; ``""`` for an empty or missing cell.

    Returns
    -------
    np.ndarray
        int64 if every cell is an integer; float64 (NaN for empty cells) if every non-empty
        cell is a number; else strings (``""`` for empty cells).
    """
    filled = [text for text in texts if text]
    if filled and len(filled) == len(texts):
        try:
            return np.array([int(text) for text in texts], dtype="int64")
        except (ValueError, OverflowError):
            pass
    if filled:
        try:
            numbers = [float(text) for text in filled]
        except ValueError:
            pass
        else:
            values = np.full(len(texts), np.nan)
            values[[bool(text) for text in texts]] = numbers
            return values
    return np.array(texts, dtype=str)


def _table_rows(path: Path):
    """Yield ``(cluster_id, {column: text})`` for each row of a table with a cluster id column."""
    try:
        with open(path, newline="", encoding="utf-8") as file:
            rows = list(csv.reader(file, delimiter="\t" if path.suffix == ".tsv" else ","))
    except (UnicodeDecodeError, csv.Error) as err:
        raise ValueError(f"{path}: not a readable table ({err})") from None
    if not rows:
        return
    header = [name.strip() for name in rows[0]]
    key = "cluster_id" if "cluster_id" in header else "id" if "id" in header else None
    if key is None:
        return
    seen = set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ValueError(f"{path}: line {line} has {len(row)} cells for {len(header)} columns")
        cells = dict(zip(header, (cell.strip() for cell in row)))
        try:
            cluster_id = int(cells.pop(key, ""))
        except ValueError:
            raise ValueError(f"{path}: line {line}: {key} is not an integer") from None
        if cluster_id in seen:
            raise ValueError(f"{path}: line {line}: cluster {cluster_id} is listed twice")
        seen.add(cluster_id)
        yield cluster_id, cells


def _read_spikes(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Spike sample indices and their cluster (or, before curation, template) ids."""
    spike_times = _read_integer_column(folder / "spike_times.npy")
    clusters_file = folder / "spike_clusters.npy"
    if not clusters_file.is_file():
        clusters_file = folder / "spike_templates.npy"
        if not clusters_file.is_file():
            raise FileNotFoundError(
                f"{folder}: neither spike_clusters.npy nor spike_templates.npy is present"
            )
    spike_clusters = _read_integer_column(clusters_file)
    if spike_clusters.size != spike_times.size:
        raise ValueError(
            f"{clusters_file} has {spike_clusters.size} values but "
            f"{folder / 'spike_times.npy'} has {spike_times.size} spike times"
        )
    return spike_times, spike_clusters


def _read_integer_column(path: Path) -> np.ndarray:
    """One ``.npy`` column of non-negative integers (shape (n,) or (n, 1)), as int64."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing (needed to read the spikes)")
    try:
        values = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{path}: not a readable .npy file ({err})") from None
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"{path}: expected shape (n,) or (n, 1), got {values.shape}")
    if values.dtype.kind == "f" and np.all(np.mod(values, 1) == 0):
        values = values.astype("int64")  # some exporters write whole numbers as floats
    if values.dtype.kind not in "iu":
        raise ValueError(f"{path}: expected integers, got dtype {values.dtype}")
    if values.size and (values.min() < 0 or values.max() > np.iinfo("int64").max):
        raise ValueError(f"{path}: values out of range ({values.min()}..{values.max()})")
    return np.asarray(values, dtype="int64")


def _sampling_frequency(params: dict, file_path: Path) -> float:
    rate = params.get("sample_rate")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
        raise ValueError(f"{file_path}: sample_rate must be a positive number, got {rate!r}")
    return float(rate)


def _selected_clusters(
    cluster_ids: np.ndarray,
    columns: dict[str, dict[int, str]],
    exclude_cluster_groups: str | list[str] | None,
    keep_good_only: bool,
    folder: Path,
) -> np.ndarray:
    """Boolean mask of the clusters kept by ``exclude_cluster_groups`` and ``keep_good_only``."""
    keep = np.ones(cluster_ids.size, dtype=bool)
    if exclude_cluster_groups:
        if isinstance(exclude_cluster_groups, str):
            exclude_cluster_groups = [exclude_cluster_groups]
        excluded = {str(group).lower() for group in exclude_cluster_groups}
        groups = columns.get("group", {})
        keep &= np.array(
            [groups.get(int(c), "").lower() not in excluded for c in cluster_ids], dtype=bool
        )
    if keep_good_only:
        if "KSLabel" not in columns:
            raise ValueError(
                f"keep_good_only: no KSLabel column in the tables of {folder} "
                "(Kilosort writes it to cluster_KSLabel.tsv)"
            )
        labels = columns["KSLabel"]
        keep &= np.array([labels.get(int(c), "") == "good" for c in cluster_ids], dtype=bool)
    return keep


def _spike_vector(
    spike_times: np.ndarray, spike_clusters: np.ndarray, unit_ids: np.ndarray
) -> np.ndarray:
    """Spikes of the kept clusters, sorted by sample then unit index."""
    kept = np.isin(spike_clusters, unit_ids)
    spikes = np.zeros(int(kept.sum()), dtype=minimum_spike_dtype)
    spikes["sample_index"] = spike_times[kept]
    spikes["unit_index"] = np.searchsorted(unit_ids, spike_clusters[kept])
    return spikes if is_sorted_spike_vector(spikes) else sort_spike_vector(spikes)


register_extractor_class(
    PhySortingExtractor, "spikeinterface.extractors.phykilosortextractors.PhySortingExtractor"
)
register_extractor_class(
    KiloSortSortingExtractor,
    "spikeinterface.extractors.phykilosortextractors.KiloSortSortingExtractor",
)


def is_phy_folder(path: Path) -> bool:
    """Whether ``path`` is a phy or Kilosort output folder (``spike_times.npy``, ``params.py``)."""
    return (path / "spike_times.npy").is_file() and (path / "params.py").is_file()


def _open_phy(path: Path, options: OpenOptions) -> dict:
    return {"sorting": PhySortingExtractor(path)}


register_opener(
    "phy_folder",
    is_phy_folder,
    _open_phy,
    kinds=("sorting",),
    saved=False,
    priority=PRIORITY_SORTER_OUTPUT,
)
