"""WaveformExtractor zarr store, zarr recording and zarr sorting written by SpikeInterface 0.100.8.

The stores and their expected.json are in tests/data/si_0.100.8_waveforms_zarr, written by
tests/data/make_waveforms_zarr.py (SpikeInterface 0.100.8, zarr 2.17): a sparse WaveformExtractor
store whose sorting is the ``sorting.zarr`` next to it, with array, JSON-dict, DataFrame and
pickled extension data and a consolidated ``.zmetadata`` that lists the JSON and pickle object
arrays (which zarr-python 3 cannot parse). expected.json holds what SpikeInterface itself reads
back.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

import core as si
from core.waveforms.api import load_waveforms
from core.waveforms.extension import EXTENSION_MODULES, BaseWaveformExtractorExtension
from core.waveforms.extractor import WaveformExtractor
from core.zarr_v2_raw import read_array

FOLDER = Path(__file__).resolve().parents[1] / "data" / "si_0.100.8_waveforms_zarr"
EXPECTED = json.loads((FOLDER / "expected.json").read_text())
STORE = FOLDER / EXPECTED["waveforms_store"]
ARRAY_EXTENSIONS = ("noise_levels", "spike_amplitudes", "similarity", "correlograms")
PICKLED = "principal_components"


def _sha256(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def _described(array: np.ndarray) -> dict:
    return {"shape": list(array.shape), "dtype": array.dtype.str, "sha256": _sha256(array)}


@pytest.fixture(scope="module")
def registered():
    """Bare extension classes under the names SpikeInterface used that SpikeDesk does not
    implement (loading needs no _run); the others (correlograms, quality_metrics...) are
    SpikeDesk's own classes."""
    known = {extension.extension_name for extension in WaveformExtractor.extensions}
    known |= set(EXTENSION_MODULES)  # imported when first loaded
    classes = [
        type(f"Stored_{name}", (BaseWaveformExtractorExtension,), {"extension_name": name})
        for name in EXPECTED["extensions"]
        if name not in known
    ]
    for extension_class in classes:
        WaveformExtractor.register_extension(extension_class)
    yield
    for extension_class in classes:
        WaveformExtractor.extensions.remove(extension_class)


def _load(**kwargs) -> WaveformExtractor:
    # SpikeInterface's save() keeps only 3 recording attributes: the loader says what is missing
    with pytest.warns(UserWarning, match="rec_attributes lacks"):
        return load_waveforms(STORE, with_recording=False, **kwargs)


@pytest.fixture
def we(registered):
    return _load()


def test_store_carries_consolidated_object_arrays():
    """The case this fixture exists for: .zmetadata lists JSON and pickle object arrays."""
    listed = json.loads((STORE / ".zmetadata").read_text())["metadata"]
    dtypes = {key: value.get("dtype") for key, value in listed.items() if key.endswith(".zarray")}
    assert dtypes["unit_labels/labels/.zarray"] == "|O"
    assert dtypes[f"{PICKLED}/pca_model_by_channel_local_0/.zarray"] == "|O"


def test_ids_params_and_sparsity(we):
    expected = EXPECTED["waveforms"]
    assert we.unit_ids.tolist() == expected["unit_ids"]["values"]
    assert we.unit_ids.dtype.str == expected["unit_ids"]["numpy_dtype"]
    assert we.channel_ids.tolist() == expected["channel_ids"]["values"]
    assert we.sampling_frequency == expected["sampling_frequency"]
    assert we.get_num_segments() == expected["num_segments"]
    assert (we.nbefore, we.nafter) == (expected["nbefore"], expected["nafter"])
    assert we._params == expected["params"]
    assert we.is_sparse() is expected["is_sparse"]
    np.testing.assert_array_equal(we.sparsity.mask, np.array(expected["sparsity_mask"]))


def test_sorting_comes_from_the_relative_zarr_sorting(we):
    assert we.sorting.unit_ids.tolist() == EXPECTED["sorting_store"]["unit_ids"]["values"]
    assert we.sorting.to_spike_vector().size == EXPECTED["sorting_store"]["num_spikes"]


def test_waveforms_and_sampled_indices(we):
    for unit_id, expected in EXPECTED["waveforms"]["per_unit"].items():
        waveforms, sampled = we.get_waveforms(unit_id, with_index=True)
        assert _described(np.asarray(waveforms)) == {
            key: expected[key] for key in ("shape", "dtype", "sha256")
        }
        assert sampled["spike_index"].tolist() == expected["sampled_index"]["spike_index"]
        assert sampled["segment_index"].tolist() == expected["sampled_index"]["segment_index"]


def test_templates(we):
    expected = EXPECTED["waveforms"]["templates_average"]
    assert _described(we.get_all_templates(mode="average")) == expected["get_all_templates"]
    assert _described(we._template_cache["average"]) == expected["stored"]


@pytest.mark.parametrize("name", ARRAY_EXTENSIONS)
def test_array_extensions(we, name):
    expected = EXPECTED["extensions"][name]
    extension = we.load_extension(name)
    assert extension._params == expected["params"]
    assert sorted(extension._extension_data) == sorted(expected["data"])
    for key, item in expected["data"].items():
        assert _described(extension._extension_data[key]) == {
            k: item[k] for k in ("shape", "dtype", "sha256")
        }


def test_json_dict_extension(we):
    expected = EXPECTED["extensions"]["unit_labels"]
    extension = we.load_extension("unit_labels")
    assert extension._params == expected["params"]
    assert extension._extension_data == {"labels": expected["data"]["labels"]["value"]}


def test_dataframe_extension_loads_as_the_metrics_dataframe(we):
    expected = EXPECTED["extensions"]["quality_metrics"]["data"]["metrics"]
    metrics = we.load_extension("quality_metrics").get_data()
    # SpikeInterface's metric order (isi_violations_ratio before its count), not xarray's
    assert metrics.columns.tolist() == [
        "firing_rate",
        "isi_violations_ratio",
        "isi_violations_count",
        "num_spikes",
        "snr",
    ]
    assert sorted(metrics.columns) == sorted(expected["columns"])
    assert metrics.index.tolist() == expected["index"]
    for name in expected["columns"]:
        assert metrics[name].dtype.str == expected["dtypes"][name]
        values = [None if math.isnan(v) else float(v) for v in metrics[name]]
        np.testing.assert_allclose(
            np.array(values, dtype=float), np.array(expected["values"][name], dtype=float)
        )


def test_pickled_extension_is_refused_only_when_requested(we):
    with pytest.raises(ValueError, match="pickle") as error:
        we.load_extension(PICKLED)
    message = str(error.value)
    assert str(STORE) in message and "pca_model_by_channel_local_0" in message
    assert "allow_pickle=True" in message
    assert PICKLED not in we._loaded_extensions
    assert we.load_extension("similarity") is not None


def test_pickled_extension_with_allow_pickle(registered):
    we = _load(allow_pickle=True)
    expected = EXPECTED["extensions"][PICKLED]["data"]
    if importlib.util.find_spec("sklearn") is None:
        # the models are scikit-learn objects: unpickling is attempted and names what is missing
        with pytest.raises(ValueError, match="pca_model_by_channel_local_0.*sklearn"):
            we.load_extension(PICKLED)
        return
    data = we.load_extension(PICKLED)._extension_data
    for key, item in expected.items():
        if item["kind"] == "pickle":
            assert _described(data[key].components_) == item["components_"]
        else:
            assert _described(data[key])["sha256"] == item["sha256"]


def test_pca_projections_are_plain_arrays():
    for key, item in EXPECTED["extensions"][PICKLED]["data"].items():
        if item["kind"] == "array":
            values = read_array(STORE / PICKLED / key)
            assert _described(values) == {k: item[k] for k in ("shape", "dtype", "sha256")}


def test_zarr_recording_with_string_property():
    expected = EXPECTED["recording_store"]
    recording = si.read_zarr(FOLDER / expected["path"])
    assert recording.channel_ids.tolist() == expected["channel_ids"]["values"]
    assert recording.get_num_samples(0) == expected["num_samples"]
    assert _described(recording.get_traces(segment_index=0)) == expected["traces"]
    for key, values in expected["properties"].items():
        stored = recording.get_property(key)
        assert stored.tolist() == values["values"]
        assert stored.dtype.str == values["numpy_dtype"]


def test_zarr_sorting_with_string_property():
    expected = EXPECTED["sorting_store"]
    sorting = si.read_zarr(FOLDER / expected["path"])
    assert sorting.unit_ids.tolist() == expected["unit_ids"]["values"]
    spikes = sorting.to_spike_vector()
    for field, digest in expected["spike_vector_sha256"].items():
        assert _sha256(spikes[field].astype("<i8")) == digest
    for key, values in expected["properties"].items():
        stored = sorting.get_property(key)
        assert stored.dtype.str == values["numpy_dtype"]
        np.testing.assert_array_equal(stored, np.array(values["values"], dtype=stored.dtype))
