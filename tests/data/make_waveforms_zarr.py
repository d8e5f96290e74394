"""Write ``si_0.100.8_waveforms_zarr/`` and its ``expected.json`` with the real SpikeInterface.

Needs SpikeInterface 0.100.8 in a separate environment (it is not a dependency of SpikeDesk, and
the tests never run this script)::

    python3 -m venv /tmp/z2venv
    /tmp/z2venv/bin/pip install spikeinterface==0.100.8 numpy==1.26.4 zarr==2.17.2 \
        numcodecs==0.12.1 probeinterface==0.2.21 "scikit-learn<1.6" "scipy<1.14" "pandas<2.3" \
        "xarray<2024.11"
    /tmp/z2venv/bin/python tests/data/make_waveforms_zarr.py

(pandas and xarray are what SpikeInterface 0.100 needs to store quality metrics in zarr,
scikit-learn what it needs for principal components.)

A ground-truth recording (8 channels, 4 units ``u0``...``u3``, 3 s, fixed seed) is generated. The
folder written holds three zarr v2 stores, all written by SpikeInterface with zarr 2:

``sorting.zarr``
    ``sorting.save(format="zarr")`` with a string property ``quality``; the WaveformExtractor
    describes its sorting by this relative path.
``recording.zarr``
    The first 1500 samples of the recording, ``save(format="zarr")``, with a string property
    ``brain_area`` (an object-dtype property cannot be saved: SpikeInterface 0.100 raises
    "missing object_codec for object array"; the message is kept in ``expected.json``).
``waveforms.zarr``
    A dense in-memory WaveformExtractor saved with ``save(format="zarr", sparsity=<radius 30
    um>)``, so that the store's waveforms are sparse (the 0.100 zarr format holds no other way to
    get a sparse store). The extensions are then computed on the store itself, so that their data
    is written the way SpikeInterface writes it: arrays (``noise_levels``, ``spike_amplitudes``,
    ``similarity``, ``correlograms``, the projections of ``principal_components``), pickled objects
    (the ``principal_components`` PCA models: Pickle-codec object arrays), a JSON dict (the
    custom ``unit_labels`` extension defined below: no 0.100 extension stores a dict, and this one
    goes through SpikeInterface's own ``_save``, so the dict is a 1-element JSON-codec object
    array with attribute ``dict``) and a DataFrame (``quality_metrics``: an xarray group with
    attribute ``dataframe``). Quality metrics are computed last: xarray consolidates the whole
    store when it writes them, so the store's ``.zmetadata`` lists the pickle and JSON object
    arrays, as users' stores do.

SpikeInterface 0.100.8 has two defects in ``WaveformExtractor.load_from_zarr``: with
``with_recording=False`` it reads the ``probegroup`` attribute (a ProbeGroup dict) with
``Probe.from_dict`` and fails with ``KeyError: 'ndim'`` (the message is kept in ``expected.json``),
and it leaves the ``sparsity`` attribute a dict, so that ``get_template`` and the extensions fail on
``sparsity.mask``. This script therefore loads the store with its recording (the temporary binary
folder, which is not kept) and turns the dict into a ``ChannelSparsity`` after each load, as the
binary-folder loader does. ``expected.json`` holds what the stores must read back as, taken from
SpikeInterface itself after loading them again.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import spikeinterface
import spikeinterface.core as si
import spikeinterface.postprocessing as spost
import spikeinterface.qualitymetrics as sqm
from spikeinterface.core.waveform_extractor import (
    BaseWaveformExtractorExtension,
    WaveformExtractor,
)

HERE = Path(__file__).resolve().parent
FOLDER_NAME = "si_0.100.8_waveforms_zarr"
SEED = 2503
CONFIG = {
    "seed": SEED,
    "durations": [3.0],
    "num_channels": 8,
    "num_units": 4,
    "unit_ids": ["u0", "u1", "u2", "u3"],
    "max_spikes_per_unit": 10,
    "ms_before": 0.5,
    "ms_after": 1.0,
    "sparsity": {"method": "radius", "radius_um": 30.0},
    "recording_zarr_num_samples": 1500,
    "quality_metrics": ["num_spikes", "firing_rate", "snr", "isi_violation"],
}
CALLS = [
    "generate_ground_truth_recording(durations=[3.0], num_channels=8, num_units=4, seed=2503)",
    "recording.save(format='binary') (a temporary folder, not kept)",
    "sorting.rename_units(['u0', 'u1', 'u2', 'u3']); set_property('quality', [...]); "
    "save(format='zarr', folder='sorting.zarr')",
    "recording.frame_slice(0, 1500); set_property('brain_area', [...]); "
    "save(format='zarr', folder='recording.zarr')",
    "extract_waveforms(recording, sorting, mode='memory', sparse=False, max_spikes_per_unit=10, "
    "ms_before=0.5, ms_after=1.0, seed=0)",
    "we.save(folder='waveforms.zarr', format='zarr', use_relative_path=True, "
    "sparsity=compute_sparsity(we, method='radius', radius_um=30.0))",
    "we = load_waveforms('waveforms.zarr'); we.sparsity = ChannelSparsity.from_dict(we.sparsity)",
    "compute_noise_levels(we, seed=0)",
    "compute_spike_amplitudes(we, n_jobs=1)",
    "compute_template_similarity(we)",
    "compute_correlograms(we, window_ms=20.0, bin_ms=2.0)",
    "compute_principal_components(we, n_components=3, mode='by_channel_local', n_jobs=1)",
    "UnitLabels(we).set_params(label='good'); run()  (custom extension storing a dict)",
    "compute_quality_metrics(we, metric_names=['num_spikes', 'firing_rate', 'snr', "
    "'isi_violation'])",
]


class UnitLabels(BaseWaveformExtractorExtension):
    """A one-dict extension: 0.100 ships none, but its ``_save`` stores dicts as JSON arrays."""

    extension_name = "unit_labels"
    handle_sparsity = False

    def _set_params(self, label="good"):
        return {"label": label}

    def _run(self):
        unit_ids = self.waveform_extractor.unit_ids
        self._extension_data["labels"] = {
            "label_by_unit": {str(u): self._params["label"] for u in unit_ids},
            "num_units": len(unit_ids),
        }

    def _select_extension_data(self, unit_ids):
        labels = self._extension_data["labels"]["label_by_unit"]
        return {"labels": {"label_by_unit": {u: labels[u] for u in unit_ids}}}


WaveformExtractor.register_extension(UnitLabels)


def _sha256(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(np.asarray(array)).tobytes()).hexdigest()


def _ids(values) -> dict:
    values = np.asarray(values)
    return {"values": values.tolist(), "numpy_dtype": values.dtype.str}


def _json_float(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def _array(values) -> dict:
    values = np.asarray(values)
    return {"shape": list(values.shape), "dtype": values.dtype.str, "sha256": _sha256(values)}


def _load(store: Path) -> WaveformExtractor:
    we = si.load_waveforms(store, with_recording=True)
    if isinstance(we.sparsity, dict):  # SpikeInterface 0.100.8 leaves it as a dict
        we.sparsity = si.ChannelSparsity.from_dict(we.sparsity)
    return we


def _make(work: Path) -> tuple[Path, dict]:
    recording, sorting = si.generate_ground_truth_recording(
        durations=CONFIG["durations"],
        num_channels=CONFIG["num_channels"],
        num_units=CONFIG["num_units"],
        seed=SEED,
    )
    recording = recording.save(folder=work / "recording_binary", format="binary", n_jobs=1)
    folder = work / FOLDER_NAME
    folder.mkdir()

    sorting = sorting.rename_units(np.array(CONFIG["unit_ids"]))
    sorting.set_property("quality", np.array(["good", "mua", "good", "noise"]))
    sorting = sorting.save(folder=folder / "sorting.zarr", format="zarr")

    short = recording.frame_slice(0, CONFIG["recording_zarr_num_samples"])
    short.set_property("brain_area", np.array(["CA1"] * 4 + ["CA3"] * 4))
    short.save(folder=folder / "recording.zarr", format="zarr", n_jobs=1)
    short.set_property("note", np.array([{"ok": True}] * 8, dtype=object))
    try:
        short.save(folder=work / "object_property.zarr", format="zarr", n_jobs=1)
        object_property = "saved"
    except ValueError as error:
        object_property = f"ValueError: {error}"

    we = si.extract_waveforms(
        recording,
        sorting,
        mode="memory",
        sparse=False,
        max_spikes_per_unit=CONFIG["max_spikes_per_unit"],
        ms_before=CONFIG["ms_before"],
        ms_after=CONFIG["ms_after"],
        seed=0,
        n_jobs=1,
    )
    sparsity = si.compute_sparsity(we, **CONFIG["sparsity"])
    store = folder / "waveforms.zarr"
    we.save(folder=store, format="zarr", use_relative_path=True, sparsity=sparsity)

    we = _load(store)
    spost.compute_noise_levels(we, seed=0)
    spost.compute_spike_amplitudes(we, n_jobs=1)
    spost.compute_template_similarity(we)
    spost.compute_correlograms(we, window_ms=20.0, bin_ms=2.0)
    spost.compute_principal_components(we, n_components=3, mode="by_channel_local", n_jobs=1)
    labels = UnitLabels(we)
    labels.set_params(label="good")
    labels.run()
    sqm.compute_quality_metrics(we, metric_names=CONFIG["quality_metrics"])
    return folder, {"object_property_save": object_property}


def _extension_data(we: WaveformExtractor, name: str) -> dict:
    extension = we.load_extension(name)
    data = {}
    for key, value in extension._extension_data.items():
        if isinstance(value, dict):
            data[key] = {"kind": "dict", "value": value}
        elif type(value).__name__ == "DataFrame":
            data[key] = {
                "kind": "dataframe",
                "index": [str(i) for i in value.index],
                "columns": [str(c) for c in value.columns],
                "dtypes": {str(c): value[c].dtype.str for c in value.columns},
                "values": {
                    str(c): [_json_float(v) for v in value[c].to_numpy()] for c in value.columns
                },
            }
        elif hasattr(value, "shape") and hasattr(value, "dtype") and value.dtype != object:
            data[key] = {"kind": "array", **_array(value)}
        else:
            value = np.asarray(value)[()] if hasattr(value, "shape") else value
            item = {"kind": "pickle", "type": f"{type(value).__module__}.{type(value).__name__}"}
            components = getattr(value, "components_", None)
            if components is not None:
                item["components_"] = _array(components)
            data[key] = item
    return {"params": _params(extension._params), "data": data}


def _params(params: dict) -> dict:
    params = dict(params)
    if isinstance(params.get("sparsity"), si.ChannelSparsity):
        params["sparsity"] = params["sparsity"].to_dict()
    return json.loads(json.dumps(params, default=str))


def _expected(folder: Path, extra: dict) -> dict:
    store = folder / "waveforms.zarr"
    we = _load(store)
    try:
        si.load_waveforms(store, with_recording=False)
        without_recording = "loaded"
    except KeyError as error:
        without_recording = f"KeyError: {error}"
    per_unit = {}
    for unit_id in we.unit_ids:
        waveforms, sampled_index = we.get_waveforms(unit_id, with_index=True)
        waveforms = np.asarray(waveforms)
        per_unit[str(unit_id)] = {
            **_array(waveforms),
            "first_spike_at_nbefore": [float(v) for v in waveforms[0, we.nbefore]],
            "sampled_index": {
                "spike_index": np.asarray(sampled_index["spike_index"]).tolist(),
                "segment_index": np.asarray(sampled_index["segment_index"]).tolist(),
            },
        }
    templates = np.asarray(we.get_all_templates(mode="average"))
    stored_templates = np.asarray(we._template_cache["average"])
    extensions = sorted(we.get_available_extension_names())

    recording = si.read_zarr(folder / "recording.zarr")
    traces = recording.get_traces(segment_index=0)
    sorting = si.read_zarr(folder / "sorting.zarr")
    spikes = sorting.to_spike_vector()
    return {
        "written_by": f"spikeinterface {spikeinterface.__version__}",
        "config": CONFIG,
        "calls": CALLS,
        "waveforms_store": "waveforms.zarr",
        "waveforms": {
            "unit_ids": _ids(we.unit_ids),
            "channel_ids": _ids(we.channel_ids),
            "sampling_frequency": float(we.sampling_frequency),
            "num_segments": int(we.get_num_segments()),
            "params": we._params,
            "nbefore": int(we.nbefore),
            "nafter": int(we.nafter),
            "is_sparse": bool(we.is_sparse()),
            "sparsity_mask": we.sparsity.mask.tolist(),
            "per_unit": per_unit,
            "templates_average": {
                "get_all_templates": _array(templates),
                "stored": _array(stored_templates),
            },
        },
        "extensions": {name: _extension_data(we, name) for name in extensions},
        "consolidated_metadata_lists": sorted(
            key.rsplit("/", 1)[0]
            for key in json.loads((store / ".zmetadata").read_text())["metadata"]
            if key.endswith(".zarray")
        ),
        "recording_store": {
            "path": "recording.zarr",
            "channel_ids": _ids(recording.channel_ids),
            "sampling_frequency": float(recording.sampling_frequency),
            "num_samples": int(recording.get_num_samples(0)),
            "dtype": np.dtype(recording.get_dtype()).str,
            "traces": _array(traces),
            "properties": {
                key: _ids(recording.get_property(key))
                for key in sorted(recording.get_property_keys())
                if key != "contact_vector"
            },
        },
        "sorting_store": {
            "path": "sorting.zarr",
            "unit_ids": _ids(sorting.unit_ids),
            "sampling_frequency": float(sorting.sampling_frequency),
            "num_spikes": int(spikes.size),
            "spike_vector_sha256": {
                field: _sha256(spikes[field].astype("<i8"))
                for field in ("sample_index", "unit_index", "segment_index")
            },
            "properties": {
                key: _ids(sorting.get_property(key)) for key in sorted(sorting.get_property_keys())
            },
        },
        "load_waveforms_with_recording_false": without_recording,
        **extra,
    }


def _size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> int:
    if spikeinterface.__version__ != "0.100.8":
        print(f"needs spikeinterface 0.100.8, found {spikeinterface.__version__}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder, extra = _make(Path(tmp))
        (folder / "expected.json").write_text(
            json.dumps(_expected(folder, extra), indent=1) + "\n", encoding="utf8"
        )
        target = HERE / FOLDER_NAME
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(folder, target)
    print(f"{target}: {_size(target)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
