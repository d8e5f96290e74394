"""Dict extension data in WaveformExtractor zarr stores written here (FORMATS.md §8.3).

A dict is stored as SpikeInterface 0.100 stores it (the ``unit_labels/labels`` array of
tests/data/si_0.100.8_waveforms_zarr, written by SpikeInterface itself): a 1-element ``"|O"``
array coded by the ``json2`` filter, with attribute ``dict: true``. Stores written by earlier
versions of SpikeDesk held a ``uint8`` array whose ``dict`` attribute was the dict itself; they
still load.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import zarr

from core.waveforms.api import load_waveforms
from core.waveforms.extension import BaseWaveformExtractorExtension
from core.waveforms.extractor import WaveformExtractor

from .test_waveform_extractor import extract, make_recording, make_sorting

SI_ARRAY = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "si_0.100.8_waveforms_zarr"
    / "waveforms.zarr"
    / "unit_labels"
    / "labels"
)
EXTRA = {"nested": {"values": [1, 2.5, None], "flag": True}, "text": "é"}


class UnitLabels(BaseWaveformExtractorExtension):
    """A dict and an array, like the ``unit_labels`` extension of the SpikeInterface fixture."""

    extension_name = "unit_labels"

    def _set_params(self, label: str = "good") -> dict:
        return {"label": label}

    def _run(self) -> None:
        unit_ids = self.waveform_extractor.unit_ids
        self._extension_data["labels"] = {
            "label_by_unit": {str(u): self._params["label"] for u in unit_ids},
            "num_units": len(unit_ids),
            **EXTRA,
        }
        self._extension_data["order"] = np.arange(len(unit_ids), dtype="int64")

    def _select_extension_data(self, unit_ids) -> dict:
        labels = self._extension_data["labels"]
        kept = {u: labels["label_by_unit"][u] for u in unit_ids}
        return {"labels": {**labels, "label_by_unit": kept, "num_units": len(kept)}}


@pytest.fixture
def registered():
    WaveformExtractor.register_extension(UnitLabels)
    yield
    WaveformExtractor.extensions.remove(UnitLabels)


@pytest.fixture
def store(registered, tmp_path) -> Path:
    """A zarr store whose ``unit_labels`` extension was computed on the store itself."""
    we = extract(make_recording(tmp_path / "recording"), make_sorting(tmp_path / "sorting"))
    we = we.save(folder=tmp_path / "we", format="zarr")
    extension = UnitLabels(we)
    extension.set_params(label="mua")
    extension.run()
    return we.folder


def _expected_labels(label: str = "mua") -> dict:
    return {
        "label_by_unit": {"a": label, "b": label, "c": label},
        "num_units": 3,
        **EXTRA,
    }


def test_dict_array_has_the_metadata_spikeinterface_writes(store):
    ours = store / "unit_labels" / "labels"
    metadata = json.loads((ours / ".zarray").read_text())
    assert metadata == json.loads((SI_ARRAY / ".zarray").read_text())
    assert metadata["dtype"] == "|O" and [f["id"] for f in metadata["filters"]] == ["json2"]
    assert json.loads((ours / ".zattrs").read_text()) == {"dict": True}
    assert sorted(p.name for p in ours.iterdir()) == [".zarray", ".zattrs", "0"]


def test_dict_array_is_one_json_dict_for_zarr_readers(store):
    """What SpikeInterface 0.100 does (``group[name][0]``), with numcodecs as zarr 2 decodes."""
    import numcodecs

    ours = store / "unit_labels" / "labels"
    metadata = json.loads((ours / ".zarray").read_text())
    data = numcodecs.get_codec(metadata["compressor"]).decode((ours / "0").read_bytes())
    values = numcodecs.get_codec(metadata["filters"][0]).decode(data)
    assert values.shape == (1,) and values[0] == _expected_labels()


def test_dict_round_trips_through_a_computed_store(store):
    data = load_waveforms(store).load_extension("unit_labels")._extension_data
    assert sorted(data) == ["labels", "order"]
    assert data["labels"] == _expected_labels()
    np.testing.assert_array_equal(data["order"], np.arange(3))


def test_dict_round_trips_through_save_format_zarr(registered, tmp_path):
    we = extract(make_recording(tmp_path / "recording"), make_sorting(tmp_path / "sorting"))
    extension = UnitLabels(we)
    extension.set_params(label="good")
    extension.run()
    we.save(folder=tmp_path / "copy", format="zarr")
    loaded = load_waveforms(tmp_path / "copy.zarr").load_extension("unit_labels")
    assert loaded._params == {"label": "good"}
    assert loaded._extension_data["labels"] == _expected_labels("good")
    # and on to a second store, read from the first one's files
    load_waveforms(tmp_path / "copy.zarr").save(folder=tmp_path / "again", format="zarr")
    again = load_waveforms(tmp_path / "again.zarr").load_extension("unit_labels")
    assert again._extension_data["labels"] == _expected_labels("good")


def test_extension_holding_a_dict_is_recomputed_and_deleted(store):
    we = load_waveforms(store)
    extension = UnitLabels(we)
    extension.set_params(label="noise")
    extension.run()
    reloaded = load_waveforms(store).load_extension("unit_labels")
    assert reloaded._extension_data["labels"] == _expected_labels("noise")
    we = load_waveforms(store)
    we.delete_extension("unit_labels")
    assert not (store / "unit_labels").exists()
    assert not load_waveforms(store).has_extension("unit_labels")


def test_old_layout_with_the_dict_in_the_attribute_still_loads(store):
    """SpikeDesk's former layout: a uint8 array whose ``dict`` attribute is the dict."""
    group = zarr.open_group(str(store / "unit_labels"), mode="r+", use_consolidated=False)
    del group["labels"]
    array = group.create_array("labels", shape=(1,), dtype="uint8")
    array.attrs["dict"] = _expected_labels("old")
    data = load_waveforms(store).load_extension("unit_labels")._extension_data
    assert data["labels"] == _expected_labels("old")
    np.testing.assert_array_equal(data["order"], np.arange(3))
