"""Write ``si_0.105.3_sorting_analyzer.zarr`` and its ``expected.json`` with the real SpikeInterface.

Needs SpikeInterface 0.105.3 in a separate environment (it is not a dependency of SpikeDesk, and
the tests never run this script)::

    python3 -m venv /tmp/si105venv
    /tmp/si105venv/bin/pip install spikeinterface==0.105.3 numpy==2.4.6 zarr==2.18.7 \
        numcodecs==0.15.2 probeinterface==0.4.2
    /tmp/si105venv/bin/python tests/data/make_sorting_analyzer_zarr.py

The versions are those of ``/work/shared/fixtures/spikeinterface/si_0.105.3`` (zarr 2: the store is
zarr format v2, consolidated, as users' analyzer stores are). A ground-truth recording (8 channels,
4 units, two segments of 3 s and 2 s, fixed seed) is saved as a binary folder next to the store,
so that the store's ``recording`` array is a JSON-coded description with a relative path (that
folder is not kept: the store is read without its recording). A sparse SortingAnalyzer is created
with ``format="zarr"`` and ``random_spikes``, ``waveforms``, ``templates`` (average, std, median,
percentile 10) and ``noise_levels`` are computed. ``expected.json`` holds what the store must
read back as, taken from SpikeInterface itself after loading the store again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import spikeinterface
import spikeinterface.core as si

HERE = Path(__file__).resolve().parent
STORE_NAME = "si_0.105.3_sorting_analyzer.zarr"
SEED = 2502
CONFIG = {
    "seed": SEED,
    "sampling_frequency": 30000.0,
    "durations": [3.0, 2.0],
    "num_channels": 8,
    "num_units": 4,
    "firing_rates": 8.0,
    "max_spikes_per_unit": 12,
    "ms_before": 1.0,
    "ms_after": 2.0,
    "operators": ["average", "std", "median", ["percentile", 10]],
    "sparsity": {"method": "radius", "radius_um": 30.0},
}
CALL = (
    "create_sorting_analyzer(sorting, recording, format='zarr', folder=..., sparse=True, "
    "return_in_uV=True, seed=0, method='radius', radius_um=30.0); compute('random_spikes', method='uniform', "
    "max_spikes_per_unit=12, seed=0); compute('waveforms', ms_before=1.0, ms_after=2.0); "
    "compute('templates', operators=['average', 'std', 'median', ('percentile', 10)]); "
    "compute('noise_levels', random_slices_kwargs={'seed': 0})"
)


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _ids(values: np.ndarray) -> dict:
    return {"values": values.tolist(), "numpy_dtype": values.dtype.str}


def _floats(values: np.ndarray) -> list:
    return [float(v) for v in np.asarray(values).ravel()]


def _make_analyzer(work: Path) -> Path:
    recording, sorting = si.generate_ground_truth_recording(
        durations=CONFIG["durations"],
        sampling_frequency=CONFIG["sampling_frequency"],
        num_channels=CONFIG["num_channels"],
        num_units=CONFIG["num_units"],
        generate_sorting_kwargs={
            "firing_rates": CONFIG["firing_rates"],
            "refractory_period_ms": 4.0,
        },
        seed=SEED,
    )
    recording = recording.save(folder=work / "recording_binary", format="binary", n_jobs=1)
    unit_ids = np.array([f"u{i}" for i in range(CONFIG["num_units"])])
    sorting = sorting.rename_units(unit_ids)
    sorting.annotate(sorter="generated")

    store = work / STORE_NAME
    analyzer = si.create_sorting_analyzer(
        sorting,
        recording,
        format="zarr",
        folder=store,
        sparse=True,
        return_in_uV=True,
        seed=0,
        **CONFIG["sparsity"],
    )
    analyzer.compute(
        "random_spikes",
        method="uniform",
        max_spikes_per_unit=CONFIG["max_spikes_per_unit"],
        seed=0,
    )
    analyzer.compute("waveforms", ms_before=CONFIG["ms_before"], ms_after=CONFIG["ms_after"])
    analyzer.compute("templates", operators=["average", "std", "median", ("percentile", 10)])
    analyzer.compute("noise_levels", random_slices_kwargs={"seed": 0})
    return store


def _expected(store: Path) -> dict:
    analyzer = si.load_sorting_analyzer(store, load_extensions=True)
    sparsity = analyzer.sparsity
    random_spikes = analyzer.get_extension("random_spikes")
    indices = np.asarray(random_spikes.get_data()).astype("<i8")
    waveforms_ext = analyzer.get_extension("waveforms")
    waveforms = np.asarray(waveforms_ext.get_data())
    nbefore, nafter = waveforms_ext.nbefore, waveforms_ext.nafter
    templates_ext = analyzer.get_extension("templates")
    noise_ext = analyzer.get_extension("noise_levels")

    per_unit = {}
    for unit_id in analyzer.unit_ids:
        unit_waveforms = np.asarray(waveforms_ext.get_waveforms_one_unit(unit_id))
        per_unit[str(unit_id)] = {
            "shape": list(unit_waveforms.shape),
            "dtype": unit_waveforms.dtype.str,
            "sha256": _sha256(unit_waveforms),
        }
    operators = {}
    for name, values in templates_ext.data.items():
        values = np.asarray(values)
        operators[name] = {
            "shape": list(values.shape),
            "dtype": values.dtype.str,
            "sha256": _sha256(values),
            "values_at_nbefore_unit0": _floats(values[0, nbefore]),
            "min": float(values.min()),
            "max": float(values.max()),
        }
    return {
        "unit_ids": _ids(analyzer.unit_ids),
        "channel_ids": _ids(analyzer.channel_ids),
        "sampling_frequency": float(analyzer.sampling_frequency),
        "num_segments": int(analyzer.get_num_segments()),
        "return_in_uV": bool(analyzer.return_in_uV),
        "is_sparse": bool(analyzer.is_sparse()),
        "sparsity": {
            "mask": sparsity.mask.tolist(),
            "num_active_channels_per_unit": sparsity.mask.sum(axis=1).tolist(),
        },
        "extensions": sorted(analyzer.get_saved_extension_names()),
        "random_spikes": {
            "params": random_spikes.params,
            "num_selected": int(indices.size),
            "first_indices": indices[:10].tolist(),
            "sha256_int64": _sha256(indices),
        },
        "waveforms": {
            "params": waveforms_ext.params,
            "shape": list(waveforms.shape),
            "dtype": waveforms.dtype.str,
            "sha256": _sha256(waveforms),
            "nbefore": int(nbefore),
            "nafter": int(nafter),
            "first_spike_at_nbefore": _floats(waveforms[0, nbefore]),
            "per_unit": per_unit,
        },
        "templates": {
            "params": templates_ext.params,
            "nbefore": int(nbefore),
            "operators": operators,
        },
        "noise_levels": {
            "params": noise_ext.params,
            "values": _floats(noise_ext.get_data()),
        },
        "config": CONFIG,
        "call": CALL,
        "data_path": STORE_NAME,
        "written_by": f"spikeinterface {spikeinterface.__version__}",
    }


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> int:
    if spikeinterface.__version__ != "0.105.3":
        print(f"needs spikeinterface 0.105.3, found {spikeinterface.__version__}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        store = _make_analyzer(Path(tmp))
        expected = _expected(store)
        target = HERE / STORE_NAME
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(store, target)
    (HERE / "si_0.105.3_sorting_analyzer.expected.json").write_text(
        json.dumps(expected, indent=1) + "\n", encoding="utf8"
    )
    print(f"{target}: {_size(target)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
