"""Writing a curation back into a phy / Kilosort folder, after a backup, as phy reads it."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from core.curation import CurationSession, apply_curation, phy_export, write_curation_to_phy
from core.formats.phy import read_kilosort, read_phy

PARAMS = "dat_path = 'recording.dat'\nn_channels_dat = 4\ndtype = 'int16'\noffset = 0\nsample_rate = 30000.\nhp_filtered = False\n"


def write_phy_folder(folder: Path, with_clusters: bool = True, seed: int = 0) -> Path:
    """A phy folder: 6 templates, clusters 0-6 (3 is listed but empty; 6 is noise)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    (folder / "params.py").write_text(PARAMS)
    n = 300
    times = np.sort(rng.integers(0, 300_000, n)).astype("uint64")
    times[10] = times[11]  # two clusters firing together
    templates = rng.choice([0, 1, 2, 4, 5, 6], n).astype("uint32")
    np.save(folder / "spike_times.npy", times[:, None])
    np.save(folder / "spike_templates.npy", templates[:, None])
    if with_clusters:
        np.save(folder / "spike_clusters.npy", templates.astype("int32"))
        (folder / "cluster_group.tsv").write_text(
            "cluster_id\tgroup\n0\tgood\n1\tmua\n2\tgood\n3\tgood\n4\tunsorted\n6\tnoise\n"
        )
    (folder / "cluster_KSLabel.tsv").write_text(
        "cluster_id\tKSLabel\n" + "".join(f"{c}\t{'good' if c % 2 else 'mua'}\n" for c in range(7))
    )
    (folder / "cluster_ContamPct.tsv").write_text(
        "cluster_id\tContamPct\n" + "".join(f"{c}\t{c * 1.5}\n" for c in range(7))
    )
    return folder


def read_tsv(path: Path) -> dict:
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file, delimiter="\t"))
    return {int(row["cluster_id"]): row for row in rows}


def spikes_of(folder: Path) -> dict:
    """``cluster -> sorted spike times`` from the files, as phy reads them."""
    times = np.load(folder / "spike_times.npy")[:, 0]
    clusters = np.load(folder / "spike_clusters.npy")
    return {int(c): sorted(times[clusters == c].tolist()) for c in np.unique(clusters)}


@pytest.fixture
def curated(tmp_path):
    folder = write_phy_folder(tmp_path / "phy")
    session = CurationSession(read_phy(folder, exclude_cluster_groups=["noise"]))
    session.label(0, "noise")
    merged = session.merge([1, 2])
    parts = session.split(4, indices=[[0, 1, 2]])
    session.remove([5])
    session.label(parts[0], "good")
    return folder, session, merged, parts


def test_files_are_backed_up_before_being_replaced(curated):
    folder, session, *_ = curated
    originals = {n: (folder / n).read_bytes() for n in ("spike_clusters.npy", "cluster_group.tsv")}
    result = write_curation_to_phy(session.sorting)
    assert result.backup_folder.parent == folder / "spikedesk_backups"
    for name, data in originals.items():
        assert (result.backup_folder / name).read_bytes() == data
    manifest = json.loads((result.backup_folder / "manifest.json").read_text())
    assert manifest["replaced"] == ["spike_clusters.npy", "cluster_group.tsv"]
    assert manifest["created"] == ["cluster_info.tsv"]
    assert (folder / "spike_clusters.npy").read_bytes() != originals["spike_clusters.npy"]
    again = CurationSession(read_phy(folder))
    again.remove([again.unit_ids[0]])
    second = write_curation_to_phy(again.sorting)  # a later write keeps the earlier backup
    assert second.backup_folder != result.backup_folder
    assert (result.backup_folder / "spike_clusters.npy").read_bytes() == originals[
        "spike_clusters.npy"
    ]


def test_a_curation_that_goes_on_is_written_back_again(curated):
    folder, session, merged, parts = curated
    originals = {n: (folder / n).read_bytes() for n in ("spike_clusters.npy", "cluster_group.tsv")}
    first = write_curation_to_phy(session.sorting)
    first_files = {n: (folder / n).read_bytes() for n in ("spike_clusters.npy", "cluster_info.tsv")}
    session.merge([merged, parts[1]])  # the curation goes on after the first write-back
    session.label(parts[0], "mua")
    second = write_curation_to_phy(session.sorting)
    assert second.backup_folder != first.backup_folder
    assert second.backup_folder.parent == first.backup_folder.parent
    for name, data in originals.items():  # the original files stay in the first backup
        assert (first.backup_folder / name).read_bytes() == data
    for name, data in first_files.items():  # and the first write-back's in the second
        assert (second.backup_folder / name).read_bytes() == data
    # the folder holds the whole curation, as if written once from the original files
    expected = spikes_of_sorting(session.sorting, second.cluster_ids)
    written = spikes_of(folder)
    assert {c: written.get(c, []) for c in expected} == expected
    groups = read_tsv(folder / "cluster_group.tsv")
    assert groups[second.cluster_ids[parts[0]]]["group"] == "mua"
    # new clusters never take an id the first write-back gave
    base_ids = set(session.base_sorting.unit_ids.tolist())
    new_units = [u for u in session.unit_ids.tolist() if u not in base_ids]
    assert min(second.cluster_ids[u] for u in new_units) > max(first.cluster_ids.values())
    assert read_phy(folder).get_num_units() == len(read_tsv(folder / "cluster_group.tsv"))


def test_a_second_write_back_is_refused_when_the_folder_changed_since(curated):
    folder, session, merged, parts = curated
    write_curation_to_phy(session.sorting)
    (folder / "cluster_group.tsv").write_text("cluster_id\tgroup\n0\tgood\n")  # phy saved
    session.remove([merged])
    with pytest.raises(ValueError, match="not those the sorting was read from"):
        write_curation_to_phy(session.sorting)
    assert len(list((folder / "spikedesk_backups").iterdir())) == 1


def spikes_of_sorting(sorting, cluster_ids: dict) -> dict:
    return {
        cluster_ids[u]: sorted(np.asarray(sorting.get_unit_spike_train(u)).tolist())
        for u in sorting.unit_ids.tolist()
    }


def test_spike_clusters_follow_phys_rules(curated):
    folder, session, merged, parts = curated
    before = np.load(folder / "spike_clusters.npy")
    result = write_curation_to_phy(session.sorting)
    after = np.load(folder / "spike_clusters.npy")
    assert after.shape == before.shape and after.dtype == np.int32  # one id per spike, ints
    # unchanged clusters keep their ids, new ones go above every id phy knows
    assert result.cluster_ids[0] == 0
    new_ids = [result.cluster_ids[u] for u in (merged, *parts)]
    assert min(new_ids) > 6 and len(set(new_ids)) == 3
    # clusters outside the curated sorting (noise, excluded) are untouched
    assert np.array_equal(after[before == 6], before[before == 6])
    assert result.removed_cluster_ids == [5]


def test_phy_and_our_reader_read_back_the_curation(curated):
    folder, session, merged, parts = curated
    result = write_curation_to_phy(session.sorting)
    spikes = spikes_of(folder)
    curated_sorting = session.sorting
    for unit_id, cluster in result.cluster_ids.items():
        assert spikes.get(cluster, []) == curated_sorting.get_unit_spike_train(unit_id).tolist()
    groups = {c: row["group"] for c, row in read_tsv(folder / "cluster_group.tsv").items()}
    assert groups[0] == "noise" and groups[5] == "noise"  # labelled noise, removed
    assert groups[result.cluster_ids[parts[0]]] == "good"
    assert groups[result.cluster_ids[merged]] == "unsorted"  # good + mua: no common label
    assert groups[6] == "noise" and groups[3] == "good"  # untouched
    reread = read_phy(folder, exclude_cluster_groups=["noise"])
    kept = {result.cluster_ids[u] for u in curated_sorting.unit_ids.tolist()} - {0}
    assert set(reread.unit_ids.tolist()) == kept


def test_cluster_info_has_a_row_per_cluster(curated):
    folder, session, merged, parts = curated
    result = write_curation_to_phy(session.sorting)
    info = read_tsv(folder / "cluster_info.tsv")
    clusters = np.load(folder / "spike_clusters.npy")
    assert set(info) == set(np.unique(clusters).tolist()) | {3}  # 3: listed, no spikes
    for cluster, row in info.items():
        assert int(row["n_spikes"]) == int(np.sum(clusters == cluster))
    split_part = result.cluster_ids[parts[0]]
    assert info[split_part]["ContamPct"] == "6"  # split parts inherit their unit's values
    assert info[6]["ContamPct"] == "9.0" and info[split_part]["group"] == "good"  # kept as written
    # our reader (and SpikeInterface's) read only cluster_info.tsv when there is one
    reread = read_phy(folder)
    assert (
        dict(zip(reread.unit_ids.tolist(), reread.get_property("quality").tolist()))[split_part]
        == "good"
    )


def test_kilosort_folder_without_spike_clusters_gets_one(tmp_path):
    folder = write_phy_folder(tmp_path / "ks", with_clusters=False)
    sorting = read_kilosort(folder)
    ids = sorting.unit_ids.tolist()
    curated = apply_curation(sorting, {"format_version": "2", "unit_ids": ids, "merges": [ids[:2]]})
    result = write_curation_to_phy(curated)
    assert json.loads((result.backup_folder / "manifest.json").read_text())["replaced"] == []
    assert np.load(folder / "spike_clusters.npy").dtype == np.int32
    assert spikes_of(folder)[result.cluster_ids[curated.unit_ids[-1].item()]] == (
        curated.get_unit_spike_train(curated.unit_ids[-1]).tolist()
    )


def test_a_folder_changed_since_reading_is_refused(curated):
    folder, session, *_ = curated
    np.save(folder / "spike_times.npy", np.load(folder / "spike_times.npy") + 1)
    with pytest.raises(ValueError, match="not those the sorting was read from"):
        write_curation_to_phy(session.sorting)
    assert not (folder / "spikedesk_backups").exists()


def test_a_failed_write_puts_the_originals_back(curated, monkeypatch):
    folder, session, *_ = curated
    originals = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    real = phy_export.atomic_write_bytes
    calls = []

    def failing(path, data):
        calls.append(Path(path).name)
        if Path(path).name == "cluster_info.tsv":
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(phy_export, "atomic_write_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        write_curation_to_phy(session.sorting)
    now = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert now == originals


def test_only_curations_of_phy_sortings_are_written(tmp_path):
    from .helpers import small_sorting

    with pytest.raises(TypeError, match="read_phy"):
        write_curation_to_phy(CurationSession(small_sorting()).sorting)
