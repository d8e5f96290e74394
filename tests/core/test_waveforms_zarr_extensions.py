"""WaveformExtractor zarr stores whose extensions hold what SpikeInterface 0.100 writes with zarr 2.

The stores are saved here, then given extension groups laid out as
``BaseWaveformExtractorExtension._save`` of SpikeInterface 0.100 writes them (FORMATS.md §8.3):
a dict as a 1-element JSON-codec object array with attribute ``dict``, a DataFrame as an xarray
group with attribute ``dataframe``, other objects as pickle-codec object arrays. zarr-python 3
can write none of the object arrays, so they are written file by file; with ``consolidated``, a
``.zmetadata`` lists them, as in users' stores.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import zarr

from core.waveforms.api import load_waveforms
from core.waveforms.extension import BaseWaveformExtractorExtension
from core.waveforms.extractor import WaveformExtractor

from .formats.analyzer_zarr_writer import consolidate, write_object_array
from .test_waveform_extractor import extract, make_recording, make_sorting

SUMMARY = {"label_by_unit": {"a": "good", "b": "mua", "c": "good"}, "threshold": 2.5}
VALUES = np.linspace(0.0, 1.0, 6, dtype="float32")
SNR = np.array([4.5, 12.25, np.nan])
MODEL = {"weights": [0.5, -1.0], "name": "plain python objects"}


class _Trap:
    """Unpickling it creates ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def registered():
    classes = [
        type(f"Stored_{name}", (BaseWaveformExtractorExtension,), {"extension_name": name})
        for name in ("si_like", "pickled", "trapped")
    ]
    for extension_class in classes:
        WaveformExtractor.register_extension(extension_class)
    yield
    for extension_class in classes:
        WaveformExtractor.extensions.remove(extension_class)


def _extension_group(root: zarr.Group, name: str, params: dict) -> Path:
    root.create_group(name).attrs["params"] = params
    return Path(root.store.root) / name


def _write_store(folder: Path, consolidated: bool) -> Path:
    we = extract(make_recording(folder / "recording"), make_sorting(folder / "sorting"))
    store = we.save(folder=folder / "we", format="zarr").folder
    root = zarr.open_group(str(store), mode="r+")

    si_like = _extension_group(root, "si_like", {"method": "test"})
    root["si_like"].create_array("values", data=VALUES)
    write_object_array(si_like, "summary", SUMMARY, "json")
    (si_like / "summary" / ".zattrs").write_text(json.dumps({"dict": True}))
    metrics = root["si_like"].create_group("metrics")
    metrics.attrs["dataframe"] = True
    index = metrics.create_array("index", shape=(3,), dtype=str)
    index[:] = np.array(["a", "b", "c"])
    metrics.create_array("snr", data=SNR)
    for array in ("index", "snr"):
        metrics[array].attrs["_ARRAY_DIMENSIONS"] = ["index"]

    write_object_array(_extension_group(root, "pickled", {}), "model", MODEL, "pickle")
    write_object_array(
        _extension_group(root, "trapped", {}), "model", _Trap(folder / "unpickled"), "pickle"
    )
    if consolidated:
        consolidate(store)
    return store


@pytest.fixture(params=[True, False], ids=["consolidated", "plain"])
def store(request, tmp_path, registered) -> Path:
    return _write_store(tmp_path, request.param)


def test_store_opens_and_lists_its_extensions(store):
    we = load_waveforms(store, with_recording=False)
    assert we.unit_ids.tolist() == ["a", "b", "c"]
    assert we.get_available_extension_names() == ["si_like", "pickled", "trapped"]


def test_arrays_json_dicts_and_dataframes_load(store):
    extension = load_waveforms(store).load_extension("si_like")
    assert extension._params == {"method": "test"}
    data = extension._extension_data
    assert sorted(data) == ["metrics", "summary", "values"]
    np.testing.assert_array_equal(data["values"], VALUES)
    assert data["values"].dtype == VALUES.dtype
    assert data["summary"] == SUMMARY
    assert sorted(data["metrics"]) == ["index", "snr"]
    assert data["metrics"]["index"].tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(data["metrics"]["snr"], SNR)


def test_pickled_data_is_refused_when_its_extension_is_requested(store, tmp_path):
    we = load_waveforms(store)
    with pytest.raises(ValueError, match="pickle codec") as error:
        we.load_extension("trapped")
    assert str(store / "trapped" / "model") in str(error.value)
    assert "allow_pickle=True" in str(error.value)
    assert not (tmp_path / "unpickled").exists()
    assert "trapped" not in we._loaded_extensions
    assert we.load_extension("si_like")._extension_data["summary"] == SUMMARY


def test_pickled_data_loads_with_allow_pickle(store):
    we = load_waveforms(store, allow_pickle=True)
    assert we.load_extension("pickled")._extension_data == {"model": [MODEL]}


def test_a_group_that_is_not_a_dataframe_is_skipped_by_name(store):
    (store / "si_like" / "unknown").mkdir()
    (store / "si_like" / "unknown" / ".zgroup").write_text('{"zarr_format": 2}')
    with pytest.warns(UserWarning, match=r"si_like/unknown: a group that is not a DataFrame"):
        data = load_waveforms(store).load_extension("si_like")._extension_data
    assert "unknown" not in data and data["summary"] == SUMMARY


def test_damaged_zarray_is_named(store):
    (store / "si_like" / "summary" / ".zarray").write_text('{"zarr_format": 2, "shape": [1')
    we = load_waveforms(store)
    with pytest.raises(ValueError, match=r"si_like/summary/\.zarray: not valid JSON") as error:
        we.load_extension("si_like")
    assert str(store) in str(error.value)
    assert "si_like" not in we._loaded_extensions


def test_dict_attribute_on_an_array_that_is_not_a_dict_is_named(store):
    shutil.rmtree(store / "si_like" / "summary")
    write_object_array(store / "si_like", "summary", "not a dict", "json")
    (store / "si_like" / "summary" / ".zattrs").write_text(json.dumps({"dict": True}))
    with pytest.raises(ValueError, match=r"si_like/summary: attribute 'dict' is set"):
        load_waveforms(store).load_extension("si_like")
