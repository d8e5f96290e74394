"""read_sorting_analyzer against the SpikeInterface 0.105.3 SortingAnalyzer fixture."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.formats.sorting_analyzer import read_sorting_analyzer
from tests.conftest import FIXTURES_ROOT

FIXTURE = FIXTURES_ROOT / "si_0.105.3" / "sorting_analyzer_binary_folder"

pytestmark = pytest.mark.skipif(
    not (FIXTURE / "expected.json").is_file(),
    reason=f"SpikeInterface SortingAnalyzer fixture not found at {FIXTURE}",
)


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads((FIXTURE / "expected.json").read_text())


@pytest.fixture(scope="module")
def folder(expected) -> Path:
    return FIXTURE / expected["data_path"]


@pytest.fixture(scope="module")
def we(folder):
    return read_sorting_analyzer(folder)


def _padded_waveforms(we, expected) -> np.ndarray:
    """waveforms.npy rebuilt from the per-unit arrays: rows in random-spikes order, zero-padded."""
    spikes = we.sorting.to_spike_vector()
    selected = spikes[we.random_spikes_indices]
    shape = tuple(expected["waveforms"]["shape"])
    out = np.zeros(shape, dtype=expected["waveforms"]["dtype"])
    for unit_index, unit_id in enumerate(we.unit_ids):
        rows = np.flatnonzero(selected["unit_index"] == unit_index)
        waveforms = np.asarray(we.get_waveforms(unit_id))
        out[rows, :, : waveforms.shape[2]] = waveforms
    return out


def test_ids_and_recording_facts(we, expected):
    assert we.unit_ids.tolist() == expected["unit_ids"]["values"]
    assert we.channel_ids.tolist() == expected["channel_ids"]["values"]
    assert we.sampling_frequency == expected["sampling_frequency"]
    assert we.get_num_segments() == expected["num_segments"]
    assert we.return_scaled is expected["return_in_uV"]
    assert not we.has_recording()
    assert we.format == "memory"
    assert we.get_probegroup() is not None


def test_sparsity(we, expected):
    assert we.is_sparse() is expected["is_sparse"]
    np.testing.assert_array_equal(we.sparsity.mask, np.array(expected["sparsity"]["mask"]))
    assert (
        we.sparsity.mask.sum(axis=1).tolist()
        == expected["sparsity"]["num_active_channels_per_unit"]
    )


def test_random_spikes(we, expected):
    indices = we.random_spikes_indices
    assert indices.size == expected["random_spikes"]["num_selected"]
    assert indices[:10].tolist() == expected["random_spikes"]["first_indices"]
    assert _sha256(indices.astype("<i8")) == expected["random_spikes"]["sha256_int64"]


def test_waveforms(we, expected):
    exp = expected["waveforms"]
    assert we.nbefore == exp["nbefore"]
    assert we.nafter == exp["nafter"]
    assert we.dtype == exp["dtype"]
    for unit_index, unit_id in enumerate(we.unit_ids):
        waveforms = we.get_waveforms(unit_id)
        n_active = expected["sparsity"]["num_active_channels_per_unit"][unit_index]
        assert waveforms.shape[1:] == (exp["nbefore"] + exp["nafter"], n_active)
        assert waveforms.dtype == np.dtype(exp["dtype"])
        dense = we.get_waveforms(unit_id, force_dense=True)
        assert dense.shape[2] == len(expected["channel_ids"]["values"])
    padded = _padded_waveforms(we, expected)
    assert _sha256(padded) == exp["sha256"]
    np.testing.assert_array_equal(
        padded[0, exp["nbefore"]], np.array(exp["first_spike_at_nbefore"], dtype=padded.dtype)
    )
    total = sum(we.get_waveforms(u).shape[0] for u in we.unit_ids)
    assert total == expected["random_spikes"]["num_selected"]


def test_sampled_indices(we):
    spikes = we.sorting.to_spike_vector()
    selected = spikes[we.random_spikes_indices]
    for unit_index, unit_id in enumerate(we.unit_ids):
        sampled = we.get_sampled_indices(unit_id)
        assert sampled.dtype.names == ("spike_index", "segment_index")
        mine = selected[selected["unit_index"] == unit_index]
        assert sampled.size == mine.size
        np.testing.assert_array_equal(sampled["segment_index"], mine["segment_index"])
        for segment_index in range(we.get_num_segments()):
            train = we.sorting.get_unit_spike_train(unit_id, segment_index=segment_index)
            in_segment = sampled["segment_index"] == segment_index
            np.testing.assert_array_equal(
                train[sampled["spike_index"][in_segment]],
                mine["sample_index"][in_segment],
            )
        _, index = we.get_waveforms(unit_id, with_index=True)
        np.testing.assert_array_equal(index, sampled)


def test_templates(we, expected):
    exp = expected["templates"]
    assert we.nbefore == exp["nbefore"]
    for name, values in exp["operators"].items():
        templates = we.get_all_templates(mode=name)
        assert list(templates.shape) == values["shape"]
        assert templates.dtype == np.dtype(values["dtype"])
        assert _sha256(templates) == values["sha256"]
        np.testing.assert_allclose(
            templates[0, exp["nbefore"]], values["values_at_nbefore_unit0"], rtol=1e-6
        )
        assert templates.min() == pytest.approx(values["min"], rel=1e-6)
        assert templates.max() == pytest.approx(values["max"], rel=1e-6)
        unit0 = we.get_template(we.unit_ids[0], mode=name)
        assert unit0.shape[1] == expected["sparsity"]["num_active_channels_per_unit"][0]


def test_noise_levels(we, expected):
    np.testing.assert_allclose(we.noise_levels, expected["noise_levels"]["values"], rtol=1e-6)


def test_folder_untouched(folder):
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    read_sorting_analyzer(folder)
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before


@pytest.fixture
def copy(folder, tmp_path) -> Path:
    target = tmp_path / "analyzer"
    shutil.copytree(folder, target)
    return target


@pytest.mark.parametrize(
    "relative",
    [
        "extensions/waveforms/waveforms.npy",
        "extensions/waveforms/params.json",
        "extensions/random_spikes/random_spikes_indices.npy",
        "recording_info/recording_attributes.json",
    ],
)
def test_missing_file_raises_naming_it(copy, relative):
    (copy / relative).unlink()
    with pytest.raises(ValueError, match=Path(relative).name.replace(".", r"\.")):
        read_sorting_analyzer(copy)


def test_missing_sorting_raises(copy):
    shutil.rmtree(copy / "sorting")
    with pytest.raises(ValueError, match="sorting"):
        read_sorting_analyzer(copy)


def test_pickled_npy_refused(copy):
    path = copy / "extensions" / "noise_levels" / "noise_levels.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="noise_levels.npy"):
        read_sorting_analyzer(copy)


def test_without_sparsity_mask_is_dense(copy, expected):
    (copy / "sparsity_mask.npy").unlink()
    dense = read_sorting_analyzer(copy)
    assert not dense.is_sparse()
    for unit_id in dense.unit_ids:
        assert dense.get_waveforms(unit_id).shape[2] == len(expected["channel_ids"]["values"])


def test_optional_extensions_absent(copy):
    shutil.rmtree(copy / "extensions" / "noise_levels")
    shutil.rmtree(copy / "extensions" / "templates")
    (copy / "settings.json").unlink()
    we = read_sorting_analyzer(copy)
    assert we.noise_levels is None
    assert we.return_scaled is True
    # templates are then computed from the waveforms
    assert we.get_all_templates().shape == (len(we.unit_ids), we.nsamples, 16)


def test_old_percentile_spelling(copy, folder):
    average = np.load(folder / "extensions" / "templates" / "average.npy")
    np.save(copy / "extensions" / "templates" / "pencentile_5.0.npy", average)
    we = read_sorting_analyzer(copy)
    np.testing.assert_array_equal(we.get_all_templates(mode="percentile", percentile=5.0), average)


def test_incomplete_extension_is_not_read(copy):
    (copy / "extensions" / "noise_levels" / "run_info.json").write_text(
        json.dumps({"run_completed": False, "runtime_s": 0.0})
    )
    with pytest.warns(UserWarning, match="noise_levels extension did not complete"):
        we = read_sorting_analyzer(copy)
    assert we.noise_levels is None
