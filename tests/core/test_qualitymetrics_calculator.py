"""compute_quality_metrics: SpikeInterface 0.100.8's DataFrame, kept as an extension."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core import load_waveforms
from core.jobs import CancelToken, JobCancelled
from core.postprocessing import compute_spike_amplitudes
from core.qualitymetrics import (
    QualityMetricCalculator,
    compute_firing_rates,
    compute_isi_violations,
    compute_quality_metrics,
    compute_snrs,
    get_default_qm_params,
    get_quality_metric_list,
)

from .postprocessing_data import recording_with_spikes, sorting_of, waveform_extractor

# SpikeInterface 0.100.8's columns for its default metrics (without spike locations or PCs)
DEFAULT_COLUMNS = [
    "amplitude_cutoff",
    "amplitude_cv_median",
    "amplitude_cv_range",
    "amplitude_median",
    "firing_range",
    "firing_rate",
    "isi_violations_ratio",
    "isi_violations_count",
    "num_spikes",
    "presence_ratio",
    "rp_contamination",
    "rp_violations",
    "sd_ratio",
    "sliding_rp_violation",
    "snr",
    "sync_spike_2",
    "sync_spike_4",
    "sync_spike_8",
]
SUBSET = ["snr", "num_spikes", "isi_violation", "firing_rate"]


def make_we(folder=None, unit_ids=("a", "b")):
    rng = np.random.default_rng(0)
    trains = {
        "a": np.sort(rng.choice(np.arange(10, 5990), 120, replace=False)),
        "b": np.sort(rng.choice(np.arange(10, 5990), 60, replace=False)),
    }
    sorting = sorting_of(trains, {"a": [30, 31], "b": [50]}, unit_ids=unit_ids)
    recording = recording_with_spikes(sorting, [12_000, 11_000], noise=5)
    return waveform_extractor(recording, sorting, folder)


@pytest.mark.filterwarnings("ignore:invalid value encountered in sqrt:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:Bin duration of 60s:UserWarning")
@pytest.mark.filterwarnings("ignore:Units .* have too few spikes:UserWarning")
def test_default_metrics_give_spikeinterface_columns():
    we = make_we()
    compute_spike_amplitudes(we, progress_bar=False, n_jobs=1)
    metrics = compute_quality_metrics(we)
    assert isinstance(metrics, pd.DataFrame)
    assert metrics.columns.tolist() == DEFAULT_COLUMNS
    assert metrics.index.tolist() == ["a", "b"]
    assert metrics.loc["a", "num_spikes"] == 122
    assert metrics.loc["b", "firing_rate"] == compute_firing_rates(we)["b"]
    assert (
        metrics.loc["a", "isi_violations_ratio"]
        == compute_isi_violations(we).isi_violations_ratio["a"]
    )


def test_without_spike_amplitudes_amplitude_cv_is_one_nan_column():
    we = make_we()
    with pytest.warns(UserWarning):
        metrics = compute_quality_metrics(we)
    assert "amplitude_cv" in metrics.columns and "amplitude_cv_median" not in metrics.columns
    assert metrics["amplitude_cv"].isna().all() and metrics["sd_ratio"].isna().all()


def test_subset_in_alphabetical_order_with_parameters():
    we = make_we()
    metrics = compute_quality_metrics(
        we,
        metric_names=SUBSET,
        qm_params={"isi_violation": {"isi_threshold_ms": 3.0}},
        peak_sign="both",
    )
    assert metrics.columns.tolist() == [
        "firing_rate",
        "isi_violations_ratio",
        "isi_violations_count",
        "num_spikes",
        "snr",
    ]
    expected = compute_isi_violations(we, isi_threshold_ms=3.0).isi_violations_count
    assert metrics["isi_violations_count"].tolist() == [expected["a"], expected["b"]]
    assert metrics.loc["b", "snr"] == compute_snrs(we, peak_sign="both")["b"]
    params = we.load_extension("quality_metrics")._params
    assert params["metric_names"] == sorted(SUBSET)
    assert params["qm_params"]["snr"]["peak_sign"] == "both"
    assert params["qm_params"]["isi_violation"] == {"isi_threshold_ms": 3.0, "min_isi_ms": 0}


def test_empty_units_get_nan_rows():
    we = make_we(unit_ids=("a", "empty", "b"))
    with pytest.warns(UserWarning, match=r"Units \['empty'\] are empty"):
        metrics = compute_quality_metrics(we, metric_names=SUBSET)
    assert metrics.loc["empty"].isna().all()
    assert metrics.loc["a", "num_spikes"] == 122


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["snr", "bogus"], "unknown metric 'bogus'"),
        (["drift"], "spike_locations"),
        (["l_ratio"], "principal_components"),
    ],
)
def test_metrics_not_available_are_named(names, message):
    with pytest.raises(ValueError, match=message):
        compute_quality_metrics(make_we(), metric_names=names)


def test_pc_metrics_are_skipped_when_asked():
    metrics = compute_quality_metrics(
        make_we(), metric_names=["num_spikes", "l_ratio"], skip_pc_metrics=True
    )
    assert metrics.columns.tolist() == ["num_spikes"]


def test_metric_list_and_default_parameters():
    assert get_quality_metric_list() == [
        "num_spikes", "firing_rate", "presence_ratio", "snr", "isi_violation", "rp_violation",
        "sliding_rp_violation", "amplitude_cutoff", "amplitude_median", "amplitude_cv",
        "synchrony", "firing_range", "sd_ratio",
    ]  # fmt: skip
    params = get_default_qm_params()
    assert params["amplitude_cutoff"]["num_histogram_bins"] == 100
    assert params["synchrony"] == {"synchrony_sizes": (2, 4, 8)}
    assert "drift" in params and "nn_isolation" in params
    params["snr"]["peak_sign"] = "pos"
    assert get_default_qm_params()["snr"]["peak_sign"] == "neg"


def test_saved_as_csv_and_reloaded(tmp_path):
    we = make_we(tmp_path / "we")
    metrics = compute_quality_metrics(we, metric_names=SUBSET)
    folder = tmp_path / "we" / "quality_metrics"
    assert sorted(p.name for p in folder.iterdir()) == ["metrics.csv", "params.json"]
    params = json.loads((folder / "params.json").read_text())
    assert params["metric_names"] == sorted(SUBSET) and params["sparsity"] is None
    reloaded = load_waveforms(tmp_path / "we", with_recording=False, sorting=we.sorting)
    assert isinstance(reloaded.load_extension("quality_metrics"), QualityMetricCalculator)
    stored = compute_quality_metrics(reloaded, load_if_exists=True, metric_names=["snr"])
    assert stored.columns.tolist() == metrics.columns.tolist()
    np.testing.assert_allclose(stored.to_numpy(float), metrics.to_numpy(float))


def test_zarr_store_holds_an_xarray_dataframe_group(tmp_path):
    we = make_we(tmp_path / "we")
    metrics = compute_quality_metrics(we, metric_names=SUBSET)
    with pytest.warns(UserWarning, match="not JSON-serializable"):
        we.save(folder=tmp_path / "copy", format="zarr")
    group = tmp_path / "copy.zarr" / "quality_metrics" / "metrics"
    assert json.loads((group / ".zattrs").read_text()) == {"dataframe": True}
    for array in ("index", "snr", "isi_violations_count"):
        attrs = json.loads((group / array / ".zattrs").read_text())
        assert attrs == {"_ARRAY_DIMENSIONS": ["index"]}
    assert json.loads((group / "snr" / ".zarray").read_text())["fill_value"] == "NaN"
    reloaded = load_waveforms(tmp_path / "copy.zarr", with_recording=False, sorting=we.sorting)
    stored = reloaded.load_extension("quality_metrics").get_data()
    assert stored.columns.tolist() == metrics.columns.tolist()
    assert stored.index.tolist() == ["a", "b"]
    np.testing.assert_array_equal(stored.to_numpy(float), metrics.to_numpy(float))
    selected = reloaded.select_units(["b"])
    assert selected.load_extension("quality_metrics").get_data().index.tolist() == ["b"]


def test_progress_and_cancel(tmp_path):
    we = make_we(tmp_path / "we")
    calls = []
    compute_quality_metrics(
        we, metric_names=SUBSET, progress_callback=lambda d, t: calls.append((d, t))
    )
    assert calls == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        compute_quality_metrics(we, metric_names=["num_spikes"], cancel_token=token)
    reloaded = load_waveforms(tmp_path / "we", with_recording=False, sorting=we.sorting)
    assert reloaded.load_extension("quality_metrics")._params["metric_names"] == sorted(SUBSET)


def test_needs_a_waveform_extractor():
    with pytest.raises(TypeError, match="WaveformExtractor"):
        compute_quality_metrics(sorting_of({"a": [1]}))


def test_sorting_analyzer_folder_gets_metrics_in_memory(si_fixtures):
    from core import read_sorting_analyzer

    folder = si_fixtures / "si_0.105.3" / "sorting_analyzer_binary_folder" / "analyzer"
    we = read_sorting_analyzer(folder)
    metrics = compute_quality_metrics(we, metric_names=["num_spikes", "snr", "firing_rate"])
    expected = json.loads((folder.parent / "expected.json").read_text())
    noise = np.array(expected["noise_levels"]["values"])
    templates = we.get_all_templates()
    for index, unit_id in enumerate(we.unit_ids):
        trough = -templates[index].min(axis=0)
        channel = np.argmax(np.abs(trough))
        assert metrics.loc[unit_id, "snr"] == pytest.approx(trough[channel] / noise[channel])
    assert metrics["num_spikes"].tolist() == we.sorting.count_num_spikes_per_unit("array").tolist()
    assert not (folder / "quality_metrics").exists() and we.has_extension("quality_metrics")
