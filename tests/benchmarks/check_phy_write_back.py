"""Check that phy (phylib's TemplateModel) and SpikeInterface 0.105.3 read SpikeDesk's phy write-back.

Makes a small phy folder (templates, channel map, amplitudes, cluster groups), curates it with a
`CurationSession` (labels, merges, a split, a removal), writes the curation back with
`write_curation_to_phy`, then loads the folder with phylib and with SpikeInterface's
``read_phy`` in the SpikeInterface venv (phylib is installed there if missing) and compares
each cluster's spikes and group with what SpikeDesk wrote. Prints a table; exits with 1 on any
difference.

Usage: ``python tests/benchmarks/check_phy_write_back.py [--si0105 PATH]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

from core.curation import CurationSession, write_curation_to_phy
from core.formats.phy import read_phy

DEFAULT_SI = "/work/si-venvs/si0105/bin/python"

READER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from phylib.io.model import load_model
    import spikeinterface.extractors as se

    folder = sys.argv[1]
    model = load_model(folder + "/params.py")
    times = model.spike_samples
    phy = {
        "spikes": {str(c): np.sort(times[model.spike_clusters == c]).tolist()
                   for c in np.unique(model.spike_clusters)},
        "groups": {str(c): g for c, g in model.metadata.get("group", {}).items()},
    }
    sorting = se.read_phy(folder)
    si = {
        "spikes": {str(u): sorting.get_unit_spike_train(u).tolist() for u in sorting.unit_ids},
        "groups": {str(u): q for u, q in zip(sorting.unit_ids, sorting.get_property("quality"))},
    }
    print(json.dumps({"phy": phy, "si": si}))
    """
)


def write_phy_folder(folder: Path) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir()
    n_spikes, n_templates, n_channels = 2000, 6, 4
    (folder / "params.py").write_text(
        "dat_path = 'recording.dat'\nn_channels_dat = 4\ndtype = 'int16'\noffset = 0\n"
        "sample_rate = 30000.\nhp_filtered = True\n"
    )
    times = np.sort(rng.integers(0, 30_000 * 60, n_spikes)).astype("uint64")
    templates = rng.integers(0, n_templates, n_spikes).astype("uint32")
    np.save(folder / "spike_times.npy", times[:, None])
    np.save(folder / "spike_templates.npy", templates[:, None])
    np.save(folder / "spike_clusters.npy", templates.astype("int32"))
    np.save(folder / "amplitudes.npy", rng.random(n_spikes).astype("float32")[:, None])
    np.save(
        folder / "templates.npy", rng.normal(size=(n_templates, 30, n_channels)).astype("float32")
    )
    np.save(folder / "channel_map.npy", np.arange(n_channels, dtype="int32"))
    np.save(
        folder / "channel_positions.npy", np.c_[np.zeros(n_channels), np.arange(n_channels) * 20.0]
    )
    np.save(folder / "similar_templates.npy", np.eye(n_templates, dtype="float32"))
    np.save(folder / "whitening_mat.npy", np.eye(n_channels, dtype="float64"))
    (folder / "cluster_group.tsv").write_text(
        "cluster_id\tgroup\n0\tgood\n1\tgood\n2\tmua\n3\tnoise\n4\tunsorted\n5\tgood\n"
    )


def expected_from_files(folder: Path) -> dict:
    times = np.load(folder / "spike_times.npy")[:, 0]
    clusters = np.load(folder / "spike_clusters.npy")
    groups = {}
    for line in (folder / "cluster_group.tsv").read_text().splitlines()[1:]:
        cluster, group = line.split("\t")
        groups[cluster] = group
    return {
        "spikes": {str(c): np.sort(times[clusters == c]).tolist() for c in np.unique(clusters)},
        "groups": groups,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--si0105", default=DEFAULT_SI, help="python of a SpikeInterface 0.105 venv"
    )
    args = parser.parse_args()
    check = subprocess.run([args.si0105, "-c", "import phylib"], capture_output=True)
    if check.returncode != 0:
        subprocess.run([args.si0105, "-m", "pip", "install", "-q", "phylib"], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "phy"
        write_phy_folder(folder)
        session = CurationSession(read_phy(folder))
        session.label([0, 1], "good")
        merged = session.merge([0, 1])
        parts = session.split(2, indices=[list(range(0, 100))])
        session.label(parts[0], "noise")
        session.remove([4])
        session.label(5, "mua")
        result = write_curation_to_phy(session.sorting)
        ours = expected_from_files(folder)
        output = subprocess.run(
            [args.si0105, "-c", READER, str(folder)], capture_output=True, text=True
        )
        if output.returncode != 0:
            print(output.stderr)
            return 1
        theirs = json.loads(output.stdout.strip().splitlines()[-1])
    rows = []
    clusters = sorted(ours["spikes"], key=int)
    for name in ("phy", "si"):
        spikes = all(theirs[name]["spikes"].get(c) == ours["spikes"][c] for c in clusters)
        groups = all(
            theirs[name]["groups"].get(c, "unsorted") == ours["groups"].get(c, "unsorted")
            for c in clusters
        )
        rows.append((name, spikes, groups))
    print(
        f"cluster ids written: {result.cluster_ids} (merged unit {merged}, split parts {parts}); "
        f"removed clusters {result.removed_cluster_ids}"
    )
    print(f"{'reader':<32} {'same spikes per cluster':>24} {'same groups':>12}")
    for name, spikes, groups in rows:
        title = "phylib TemplateModel" if name == "phy" else "SpikeInterface 0.105.3 read_phy"
        print(
            f"{title:<32} {('yes' if spikes else 'DIFFERENT'):>24} "
            f"{('yes' if groups else 'DIFFERENT'):>12}"
        )
    return 0 if all(s and g for _, s, g in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
