"""phy and Kilosort output folders written in tmp_path: PhySortingExtractor, KiloSortSortingExtractor."""

import pickle
from pathlib import Path

import numpy as np
import pytest

from core.base import BaseExtractor
from core.formats.phy import (
    KiloSortSortingExtractor,
    PhySortingExtractor,
    column_values,
    read_kilosort,
    read_phy,
    read_phy_params,
)

PARAMS = """\
dat_path = 'recording.dat'
n_channels_dat = 4
dtype = 'int16'
offset = 0
sample_rate = 30000.
hp_filtered = False
"""
SPIKE_TIMES = [10, 20, 30, 40, 50, 60, 70]
SPIKE_CLUSTERS = [0, 1, 0, 2, 1, 0, 5]
SPIKE_TEMPLATES = [0, 1, 0, 2, 1, 1, 1]
# cluster 3 is listed but has no spike; cluster 5 spikes but is in cluster_group.tsv only
CLUSTER_GROUP = "cluster_id\tgroup\n0\tgood\n1\tmua\n2\tnoise\n3\tgood\n5\tunsorted\n"
CLUSTER_KSLABEL = "cluster_id\tKSLabel\n0\tgood\n1\tmua\n2\tgood\n3\tgood\n4\tmua\n"


def write_folder(folder: Path, clusters: bool = True, tables: bool = True) -> Path:
    """A Kilosort 2 folder (spike_times (n, 1) uint64, templates), curated in phy if ``clusters``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "params.py").write_text(PARAMS)
    np.save(folder / "spike_times.npy", np.array(SPIKE_TIMES, dtype="uint64")[:, None])
    np.save(folder / "spike_templates.npy", np.array(SPIKE_TEMPLATES, dtype="uint32")[:, None])
    if clusters:
        np.save(folder / "spike_clusters.npy", np.array(SPIKE_CLUSTERS, dtype="int32"))
    if tables:
        (folder / "cluster_group.tsv").write_text(CLUSTER_GROUP)
        (folder / "cluster_KSLabel.tsv").write_text(CLUSTER_KSLABEL)
    return folder


def trains(sorting) -> dict:
    return {int(u): sorting.get_unit_spike_train(u).tolist() for u in sorting.unit_ids}


# --------------------------------------------------------------------------- phy
def test_phy_keeps_every_listed_and_spiking_cluster(tmp_path):
    sorting = read_phy(write_folder(tmp_path / "phy"))
    assert sorting.unit_ids.dtype == np.int64
    assert sorting.unit_ids.tolist() == [0, 1, 2, 3, 4, 5]
    assert sorting.sampling_frequency == 30000.0
    assert trains(sorting) == {0: [10, 30, 60], 1: [20, 50], 2: [40], 3: [], 4: [], 5: [70]}


def test_phy_properties_from_merged_tables(tmp_path):
    sorting = read_phy(write_folder(tmp_path / "phy"))
    assert sorting.get_property("quality").tolist() == [
        "good",
        "mua",
        "noise",
        "good",
        "",
        "unsorted",
    ]
    assert sorting.get_property("KSLabel").tolist() == ["good", "mua", "good", "good", "mua", ""]
    original = sorting.get_property("original_cluster_id")
    assert original.dtype == np.int64
    assert original.tolist() == [0, 1, 2, 3, 4, 5]


def test_phy_params_annotation(tmp_path):
    sorting = read_phy(write_folder(tmp_path / "phy"))
    assert sorting.get_annotation("phy_params") == {
        "dat_path": "recording.dat",
        "sample_rate": 30000.0,
        "n_channels_dat": 4,
        "dtype": "int16",
        "offset": 0,
        "hp_filtered": False,
    }


def test_phy_without_spike_clusters_uses_templates(tmp_path):
    sorting = read_phy(write_folder(tmp_path / "phy", clusters=False, tables=False))
    assert trains(sorting) == {0: [10, 30], 1: [20, 50, 60, 70], 2: [40]}


def test_phy_without_tables_marks_units_unsorted(tmp_path):
    sorting = read_phy(write_folder(tmp_path / "phy", tables=False))
    assert sorting.unit_ids.tolist() == [0, 1, 2, 5]
    assert sorting.get_property("quality").tolist() == ["unsorted"] * 4


@pytest.mark.parametrize("exclude", [["NOISE"], "noise", ["noise", "Unsorted"]])
def test_phy_exclude_cluster_groups_is_case_insensitive(tmp_path, exclude):
    sorting = read_phy(write_folder(tmp_path / "phy"), exclude_cluster_groups=exclude)
    assert 2 not in sorting.unit_ids
    assert 40 not in sorting.to_spike_vector()["sample_index"]
    assert "noise" not in sorting.get_property("quality")


def test_phy_reads_only_cluster_info_when_present(tmp_path):
    folder = write_folder(tmp_path / "phy")
    (folder / "cluster_info.tsv").write_text(
        "cluster_id\tAmplitude\tch\tdepth\tgroup\tn_spikes\tnote\n"
        "0\t50.5\t1\t20.0\tmua\t3\tnice\n"
        "1\t60\t2\t\tgood\t2\t\n"
        "2\t70.25\t3\t40.0\tnoise\t1\tx\n"
        "5\t80\t0\t0.0\tgood\t1\ty\n"
    )
    sorting = read_phy(folder)
    assert sorting.unit_ids.tolist() == [0, 1, 2, 5]
    assert "KSLabel" not in sorting.get_property_keys()
    assert sorting.get_property("quality").tolist() == ["mua", "good", "noise", "good"]
    assert sorting.get_property("ch").dtype == np.int64
    assert sorting.get_property("Amplitude").tolist() == [50.5, 60.0, 70.25, 80.0]
    depth = sorting.get_property("depth")
    assert depth.dtype == np.float64 and np.isnan(depth[1])
    assert sorting.get_property("note").tolist() == ["nice", "", "x", "y"]


def test_phy_merges_csv_tables(tmp_path):
    folder = write_folder(tmp_path / "phy")
    (folder / "cluster_snr.csv").write_text("cluster_id,snr\n0,5.5\n1,2\n")
    (folder / "notes.tsv").write_text("no cluster column\n1\n")
    snr = read_phy(folder).get_property("snr")
    assert snr[:2].tolist() == [5.5, 2.0]
    assert np.all(np.isnan(snr[2:]))


def test_phy_load_all_cluster_properties_false(tmp_path):
    sorting = read_phy(write_folder(tmp_path / "phy"), load_all_cluster_properties=False)
    assert sorting.get_property_keys() == ["original_cluster_id", "quality"]


def test_phy_sorts_unsorted_spike_times(tmp_path):
    folder = write_folder(tmp_path / "phy", tables=False)
    np.save(folder / "spike_times.npy", np.array([70, 10, 30, 20, 60, 50, 40], dtype="uint64"))
    samples = read_phy(folder).to_spike_vector()["sample_index"]
    assert samples.tolist() == sorted(samples.tolist())


def test_phy_round_trips_through_dict_and_pickle(tmp_path):
    sorting = read_phy(write_folder(tmp_path / "phy"), exclude_cluster_groups=["noise"])
    description = sorting.to_dict(include_annotations=True, include_properties=True)
    assert description["class"].endswith("phykilosortextractors.PhySortingExtractor")
    for copy in (BaseExtractor.from_dict(description), pickle.loads(pickle.dumps(sorting))):
        assert isinstance(copy, PhySortingExtractor)
        assert trains(copy) == trains(sorting)
        assert copy.get_property("quality").tolist() == sorting.get_property("quality").tolist()


# --------------------------------------------------------------------------- params.py safety
def test_params_code_is_never_run(tmp_path):
    folder = write_folder(tmp_path / "phy")
    pwned = tmp_path / "pwned"
    with open(folder / "params.py", "a") as file:
        file.write(f'import os; os.system("touch {pwned}")\n')
    with pytest.warns(UserWarning, match=r"line\(s\) \[7\] skipped"):
        sorting = read_phy(folder)
    assert not pwned.exists()
    assert sorting.sampling_frequency == 30000.0


def test_params_non_literal_assignment_is_rejected(tmp_path):
    folder = write_folder(tmp_path / "phy")
    (folder / "params.py").write_text(PARAMS + 'dtype = __import__("os").getcwd()\n')
    with pytest.raises(
        ValueError, match=r"params\.py: line 7: the value of 'dtype' is not a literal"
    ):
        read_phy(folder)


@pytest.mark.parametrize(
    ("text", "match"),
    [("sample_rate = (\n", "not a readable params.py"), ("offset = 0\n", "sample_rate must be")],
)
def test_params_damaged_or_incomplete(tmp_path, text, match):
    folder = write_folder(tmp_path / "phy")
    (folder / "params.py").write_text(text)
    with pytest.raises(ValueError, match=match):
        read_phy(folder)


def test_read_phy_params_keeps_annotated_assignments_and_skips_docstrings(tmp_path):
    path = tmp_path / "params.py"
    path.write_text('"""Written by a tool."""\nsample_rate: float = 2.5e4\nchannels = [1, 2]\n')
    assert read_phy_params(path) == {"sample_rate": 25000.0, "channels": [1, 2]}


# --------------------------------------------------------------------------- Kilosort
def test_kilosort_drops_empty_units_by_default(tmp_path):
    sorting = read_kilosort(write_folder(tmp_path / "ks"))
    assert isinstance(sorting, KiloSortSortingExtractor)
    assert sorting.unit_ids.tolist() == [0, 1, 2, 5]
    assert sorting.get_num_units() == len(sorting.get_non_empty_unit_ids())


def test_kilosort_remove_empty_units_false_keeps_listed_clusters(tmp_path):
    sorting = read_kilosort(write_folder(tmp_path / "ks"), remove_empty_units=False)
    assert sorting.unit_ids.tolist() == [0, 1, 2, 3, 4, 5]


def test_kilosort_keep_good_only(tmp_path):
    sorting = read_kilosort(write_folder(tmp_path / "ks", clusters=False), keep_good_only=True)
    assert sorting.unit_ids.tolist() == [0, 2]
    assert set(sorting.get_property("KSLabel")) == {"good"}
    assert trains(sorting) == {0: [10, 30], 2: [40]}


def test_kilosort_keep_good_only_needs_kslabel(tmp_path):
    folder = write_folder(tmp_path / "ks")
    (folder / "cluster_KSLabel.tsv").unlink()
    with pytest.raises(ValueError, match="keep_good_only: no KSLabel column"):
        read_kilosort(folder, keep_good_only=True)


def test_kilosort_round_trips_through_dict(tmp_path):
    sorting = read_kilosort(write_folder(tmp_path / "ks"), keep_good_only=True)
    copy = BaseExtractor.from_dict(sorting.to_dict())
    assert isinstance(copy, KiloSortSortingExtractor)
    assert trains(copy) == trains(sorting)


# --------------------------------------------------------------------------- damaged folders
def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="folder_path"):
        read_phy(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "name", ["params.py", "spike_times.npy", "spike_clusters.npy+spike_templates.npy"]
)
def test_missing_file_is_named(tmp_path, name):
    folder = write_folder(tmp_path / "phy")
    for part in name.split("+"):
        (folder / part).unlink()
    with pytest.raises(FileNotFoundError, match=name.split("+")[0]):
        read_phy(folder)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"garbage", "not a readable .npy file"),
        (np.zeros((7, 2), dtype="uint64"), r"expected shape \(n,\) or \(n, 1\)"),
        (np.array([{}] * 7, dtype=object), "not a readable .npy file"),
        (np.arange(7) * 1.5, "expected integers"),
        (np.arange(7) - 3, "out of range"),
        (np.arange(3, dtype="uint64"), "has 7 values but"),
    ],
)
def test_damaged_spike_times_are_named(tmp_path, content, match):
    folder = write_folder(tmp_path / "phy")
    path = folder / "spike_times.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content, allow_pickle=True)
    with pytest.raises(ValueError, match=match) as error:
        read_phy(folder)
    assert "spike_times.npy" in str(error.value)


def test_bad_cluster_id_in_table_is_named(tmp_path):
    folder = write_folder(tmp_path / "phy")
    (folder / "cluster_group.tsv").write_text("cluster_id\tgroup\nzero\tgood\n")
    with pytest.raises(
        ValueError, match=r"cluster_group\.tsv: line 2: cluster_id is not an integer"
    ):
        read_phy(folder)


def test_column_values_types():
    assert column_values(["1", "2"]).dtype == np.int64
    assert column_values(["1", ""]).tolist()[0] == 1.0
    assert column_values(["good", ""]).tolist() == ["good", ""]
    assert column_values(["", ""]).tolist() == ["", ""]
