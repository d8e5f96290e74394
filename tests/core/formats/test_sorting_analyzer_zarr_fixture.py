"""read_sorting_analyzer against a SortingAnalyzer zarr store written by SpikeInterface 0.105.3.

The store and its expected.json are in tests/data, written by
tests/data/make_sorting_analyzer_zarr.py (SpikeInterface 0.105.3, zarr 2.18): sparse (4 or 6 of
8 channels per unit), consolidated, with a JSON-coded ``recording`` description, and the
random_spikes, waveforms, templates (average, std, median, percentile 10) and noise_levels
extensions. expected.json holds what SpikeInterface itself reads back from the store.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import core as si
from core.formats.sorting_analyzer import read_sorting_analyzer
from core.opening import read_all

DATA = Path(__file__).resolve().parents[2] / "data"
EXPECTED = json.loads((DATA / "si_0.105.3_sorting_analyzer.expected.json").read_text())
STORE = DATA / EXPECTED["data_path"]


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def we():
    return read_sorting_analyzer(STORE)


def test_ids_and_recording_facts(we):
    assert we.unit_ids.tolist() == EXPECTED["unit_ids"]["values"]
    assert we.unit_ids.dtype.str == EXPECTED["unit_ids"]["numpy_dtype"]
    assert we.channel_ids.tolist() == EXPECTED["channel_ids"]["values"]
    assert we.sampling_frequency == EXPECTED["sampling_frequency"]
    assert we.get_num_segments() == EXPECTED["num_segments"]
    assert we.return_scaled is EXPECTED["return_in_uV"]
    assert not we.has_recording()
    assert we.format == "memory"
    assert we.get_probegroup().get_contact_count() == len(EXPECTED["channel_ids"]["values"])


def test_sparsity(we):
    assert we.is_sparse() is EXPECTED["is_sparse"]
    np.testing.assert_array_equal(we.sparsity.mask, np.array(EXPECTED["sparsity"]["mask"]))


def test_random_spikes(we):
    indices = we.random_spikes_indices
    assert indices.size == EXPECTED["random_spikes"]["num_selected"]
    assert indices[:10].tolist() == EXPECTED["random_spikes"]["first_indices"]
    assert _sha256(indices.astype("<i8")) == EXPECTED["random_spikes"]["sha256_int64"]
    assert (
        we._params["max_spikes_per_unit"]
        == EXPECTED["random_spikes"]["params"]["max_spikes_per_unit"]
    )


def test_waveforms_per_unit_as_spikeinterface_gives_them(we):
    exp = EXPECTED["waveforms"]
    assert (we.nbefore, we.nafter, we.dtype) == (exp["nbefore"], exp["nafter"], exp["dtype"])
    for unit_id in we.unit_ids:
        waveforms = we.get_waveforms(unit_id)
        unit = exp["per_unit"][unit_id]
        assert list(waveforms.shape) == unit["shape"]
        assert waveforms.dtype.str == unit["dtype"]
        assert _sha256(waveforms) == unit["sha256"]


def test_waveforms_rebuild_the_stored_array(we):
    """Rows in random-spikes order, zero-padded to the widest unit: the stored array again."""
    exp = EXPECTED["waveforms"]
    selected = we.sorting.to_spike_vector()[we.random_spikes_indices]
    padded = np.zeros(exp["shape"], dtype=exp["dtype"])
    for unit_index, unit_id in enumerate(we.unit_ids):
        rows = np.flatnonzero(selected["unit_index"] == unit_index)
        waveforms = we.get_waveforms(unit_id)
        padded[rows, :, : waveforms.shape[2]] = waveforms
    assert _sha256(padded) == exp["sha256"]
    np.testing.assert_allclose(padded[0, exp["nbefore"]], exp["first_spike_at_nbefore"], rtol=1e-6)


def test_dense_waveforms_put_channels_in_place(we):
    for unit_index, unit_id in enumerate(we.unit_ids):
        dense = we.get_waveforms(unit_id, force_dense=True)
        mask = np.array(EXPECTED["sparsity"]["mask"][unit_index])
        assert dense.shape[2] == mask.size
        np.testing.assert_array_equal(dense[:, :, mask], we.get_waveforms(unit_id))
        assert not dense[:, :, ~mask].any()


def test_sampled_indices_point_at_the_random_spikes(we):
    selected = we.sorting.to_spike_vector()[we.random_spikes_indices]
    for unit_index, unit_id in enumerate(we.unit_ids):
        sampled = we.get_sampled_indices(unit_id)
        mine = selected[selected["unit_index"] == unit_index]
        for segment_index in range(we.get_num_segments()):
            train = we.sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            in_segment = sampled["segment_index"] == segment_index
            np.testing.assert_array_equal(
                train[sampled["spike_index"][in_segment]],
                mine["sample_index"][mine["segment_index"] == segment_index],
            )


@pytest.mark.parametrize("operator", sorted(EXPECTED["templates"]["operators"]))
def test_templates(we, operator):
    exp = EXPECTED["templates"]["operators"][operator]
    if operator.startswith("percentile_"):
        templates = we.get_all_templates(
            mode="percentile", percentile=float(operator.split("_")[1])
        )
    else:
        templates = we.get_all_templates(mode=operator)
    assert list(templates.shape) == exp["shape"]
    assert templates.dtype.str == exp["dtype"]
    assert _sha256(templates) == exp["sha256"]
    np.testing.assert_allclose(
        templates[0, EXPECTED["templates"]["nbefore"]], exp["values_at_nbefore_unit0"], rtol=1e-6
    )
    assert (templates.min(), templates.max()) == pytest.approx((exp["min"], exp["max"]))


def test_noise_levels(we):
    np.testing.assert_allclose(we.noise_levels, EXPECTED["noise_levels"]["values"], rtol=1e-6)


def test_store_untouched():
    before = {p: p.stat().st_mtime_ns for p in STORE.rglob("*")}
    read_sorting_analyzer(STORE)
    assert {p: p.stat().st_mtime_ns for p in STORE.rglob("*")} == before


def test_same_without_consolidated_metadata(we, tmp_path):
    copy = tmp_path / STORE.name
    shutil.copytree(STORE, copy)
    (copy / ".zmetadata").unlink()
    again = read_sorting_analyzer(copy)
    for unit_id in we.unit_ids:
        np.testing.assert_array_equal(again.get_waveforms(unit_id), we.get_waveforms(unit_id))
    np.testing.assert_array_equal(again.get_all_templates(), we.get_all_templates())


def test_core_read_opens_it_as_waveform_extractor_and_sorting():
    found = read_all(STORE)
    assert set(found) == {"waveform_extractor", "sorting"}
    assert found["sorting"].unit_ids.tolist() == EXPECTED["unit_ids"]["values"]
    assert isinstance(si.read(STORE)["waveform_extractor"], si.WaveformExtractor)
