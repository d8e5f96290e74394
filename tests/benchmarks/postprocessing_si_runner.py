"""One side of ``compare_postprocessing_si.py``: run the postprocessing and metrics on a dataset.

Run as ``python postprocessing_si_runner.py SIDE DATA OUT`` where SIDE is ``core`` (SpikeDesk),
``si0100`` (SpikeInterface 0.100.8, numpy paths), ``si0100-numba`` (0.100.8 with numba, for the
metrics it needs numba for), ``si0105`` (SpikeInterface 0.105.3, SortingAnalyzer) or
``read-<side>`` (open the waveform folders the other sides wrote and dump their extensions).
Every result goes into ``OUT/results.npz`` (arrays, per-unit values in unit order, NaN for a
unit a dict leaves out), metric tables into ``OUT/<name>.csv`` and value types into
``OUT/types.json``. The script never imports both packages.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")

SIDE, DATA, OUT = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
OUT.mkdir(parents=True, exist_ok=True)
META = json.loads((DATA / "meta.json").read_text())

if SIDE in ("core", "core-full", "read-core"):
    import core as si
    import core.postprocessing as spost
    import core.qualitymetrics as sqm
else:
    import spikeinterface.core as si
    import spikeinterface.postprocessing as spost

    try:
        import spikeinterface.qualitymetrics as sqm
    except ImportError:  # SpikeInterface >= 0.104
        import spikeinterface.metrics.quality as sqm

    # SpikeInterface 0.100.8 writes a ProbeGroup dict as a zarr store's probegroup but reads a
    # Probe dict, so it cannot reopen a zarr WaveformExtractor with a probe (its own included):
    # accept both, to get to the extensions
    import probeinterface

    _probe_from_dict = probeinterface.Probe.from_dict

    def _from_probe_or_probegroup(d):
        if "probes" in d:
            return probeinterface.ProbeGroup.from_dict(d).probes[0]
        return _probe_from_dict(d)

    probeinterface.Probe.from_dict = staticmethod(_from_probe_or_probegroup)

results: dict[str, np.ndarray] = {}
types: dict[str, str] = {}
tables = {}


def load_dataset():
    from probeinterface import Probe

    fs = META["sampling_frequency"]
    recording = si.read_binary(
        [str(DATA / name) for name in META["trace_files"]],
        sampling_frequency=fs,
        dtype="int16",
        num_channels=META["num_channels"],
        gain_to_uV=META["gain_to_uV"],
        offset_to_uV=0.0,
    )
    probe = Probe(ndim=2, si_units="um")
    probe.set_contacts(
        positions=np.array(META["locations"]), shapes="circle", shape_params={"radius": 6}
    )
    probe.set_device_channel_indices(np.arange(META["num_channels"]))
    with_probe = recording.set_probe(probe)
    recording = recording if with_probe is None else with_probe  # 0.105 sets it in place
    recording.annotate(is_filtered=True)
    spikes = np.load(DATA / "spikes.npz")
    times = [spikes[f"times_{i}"] for i in range(len(META["trace_files"]))]
    labels = [spikes[f"labels_{i}"] for i in range(len(META["trace_files"]))]
    build = getattr(si.NumpySorting, "from_times_labels", None)
    if build is None:  # SpikeInterface >= 0.102
        build = si.NumpySorting.from_samples_and_labels
    sorting = build(times, labels, fs)
    # a sorting saved to a folder can be described in the waveform folder and zarr store
    saved = OUT / "sorting"
    if not saved.exists():
        sorting.save(folder=saved)
    load = getattr(si, "load_extractor", None) or si.load  # renamed in 0.102
    return recording, load(saved)


def store_spike_vector(sorting) -> None:
    """Sample and unit of every spike in spike-vector order (ties may be ordered either way)."""
    for i, spikes in enumerate(sorting.to_spike_vector(concatenated=False)):
        results[f"spike_vector_sample[{i}]"] = spikes["sample_index"]
        results[f"spike_vector_unit[{i}]"] = spikes["unit_index"]


def unit_values(name: str, values, unit_ids) -> None:
    """A per-unit dict as an array in unit order (NaN for missing units)."""
    if isinstance(values, dict):
        first = next(iter(values.values()), None)
        types[name] = type(first).__name__ + (f":{first.dtype}" if hasattr(first, "dtype") else "")
        results[name] = np.array([float(values.get(u, np.nan)) for u in unit_ids])
    else:
        for field, field_values in zip(values._fields, values):
            unit_values(f"{name}.{field}", field_values, unit_ids)


def store(name: str, value) -> None:
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        for i, item in enumerate(value):
            store(f"{name}[{i}]", item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            store(f"{name}[{i}]", item)
    else:
        array = np.asarray(value)
        types[name] = str(array.dtype)
        results[name] = array


def table(name: str, frame) -> None:
    frame.to_csv(OUT / f"{name}.csv")
    types[name] = json.dumps({column: str(dtype) for column, dtype in frame.dtypes.items()})
    tables[name] = list(frame.columns)


def run_waveform_extractor_side(numba_only: bool) -> None:
    recording, sorting = load_dataset()
    unit_ids = sorting.unit_ids
    store_spike_vector(sorting)
    folder = OUT / "waveforms"
    we = si.extract_waveforms(
        recording,
        sorting,
        folder=folder,
        ms_before=1.0,
        ms_after=2.0,
        max_spikes_per_unit=500,
        sparse=False,
        return_scaled=True,
        seed=0,
        overwrite=True,
        n_jobs=1,
        chunk_duration="1s",
        progress_bar=False,
    )
    if numba_only:
        spost.compute_spike_amplitudes(we, n_jobs=1, chunk_duration="1s", progress_bar=False)
        unit_values("rp_violation", sqm.compute_refrac_period_violations(we), unit_ids)
        unit_values(
            "rp_violation_2ms",
            sqm.compute_refrac_period_violations(
                we, refractory_period_ms=2.0, censored_period_ms=0.2
            ),
            unit_ids,
        )
        unit_values("sd_ratio", sqm.compute_sd_ratio(we), unit_ids)
        table("quality_metrics_default", sqm.compute_quality_metrics(we))
        we.save(folder=OUT / "waveforms_zarr", format="zarr")
        return

    store(
        "ccg_sorting_50_1",
        spost.compute_correlograms(sorting, window_ms=50.0, bin_ms=1.0, method="numpy"),
    )
    store(
        "ccg_we_100_5", spost.compute_correlograms(we, window_ms=100.0, bin_ms=5.0, method="numpy")
    )
    store(
        "ccg_sorting_7_0.3",
        spost.compute_correlograms(sorting, window_ms=7.0, bin_ms=0.3, method="numpy"),
    )
    store(
        "isi_sorting_50_1",
        spost.compute_isi_histograms(sorting, window_ms=50.0, bin_ms=1.0, method="numpy"),
    )
    store(
        "isi_we_100_5",
        spost.compute_isi_histograms(we, window_ms=100.0, bin_ms=5.0, method="numpy"),
    )
    unit_values("num_spikes", sqm.compute_num_spikes(we), unit_ids)
    unit_values("firing_rate", sqm.compute_firing_rates(we), unit_ids)
    unit_values("presence_ratio", sqm.compute_presence_ratios(we), unit_ids)
    unit_values(
        "presence_ratio_10s_0.8",
        sqm.compute_presence_ratios(we, bin_duration_s=10.0, mean_fr_ratio_thresh=0.8),
        unit_ids,
    )
    unit_values("isi_violation", sqm.compute_isi_violations(we), unit_ids)
    unit_values(
        "isi_violation_3_0.5",
        sqm.compute_isi_violations(we, isi_threshold_ms=3.0, min_isi_ms=0.5),
        unit_ids,
    )
    unit_values("firing_range", sqm.compute_firing_ranges(we), unit_ids)
    unit_values(
        "firing_range_2s",
        sqm.compute_firing_ranges(we, bin_size_s=2, percentiles=(10, 90)),
        unit_ids,
    )
    unit_values("synchrony", sqm.compute_synchrony_metrics(we, synchrony_sizes=(2, 3)), unit_ids)
    unit_values("sliding_rp_violation", sqm.compute_sliding_rp_violations(we), unit_ids)
    unit_values("snr", sqm.compute_snrs(we), unit_ids)
    unit_values(
        "snr_at_index_both", sqm.compute_snrs(we, peak_sign="both", peak_mode="at_index"), unit_ids
    )
    unit_values("amplitude_median_waveforms", sqm.compute_amplitude_medians(we), unit_ids)
    unit_values(
        "amplitude_cutoff_waveforms",
        sqm.compute_amplitude_cutoffs(we, num_histogram_bins=20, amplitudes_bins_min_ratio=5),
        unit_ids,
    )
    amplitudes = spost.compute_spike_amplitudes(
        we, n_jobs=1, chunk_duration="1s", progress_bar=False
    )
    store("spike_amplitudes", amplitudes)
    by_unit = spost.compute_spike_amplitudes(we, load_if_exists=True, outputs="by_unit")
    for segment_index, per_unit in enumerate(by_unit):
        for unit_id in unit_ids:
            store(f"spike_amplitudes_by_unit[{segment_index}][{unit_id}]", per_unit[unit_id])
    unit_values("amplitude_median", sqm.compute_amplitude_medians(we), unit_ids)
    unit_values("amplitude_cutoff", sqm.compute_amplitude_cutoffs(we), unit_ids)
    unit_values(
        "amplitude_cutoff_100", sqm.compute_amplitude_cutoffs(we, num_histogram_bins=100), unit_ids
    )
    unit_values("amplitude_cv", sqm.compute_amplitude_cv_metrics(we), unit_ids)
    unit_values(
        "amplitude_cv_20",
        sqm.compute_amplitude_cv_metrics(we, average_num_spikes_per_bin=20, min_num_bins=5),
        unit_ids,
    )
    names = [
        "num_spikes",
        "firing_rate",
        "presence_ratio",
        "snr",
        "isi_violation",
        "sliding_rp_violation",
        "amplitude_cutoff",
        "amplitude_median",
        "amplitude_cv",
        "synchrony",
        "firing_range",
    ]
    table("quality_metrics", sqm.compute_quality_metrics(we, metric_names=names))
    table(
        "quality_metrics_subset",
        sqm.compute_quality_metrics(
            we,
            metric_names=["snr", "firing_rate", "isi_violation", "num_spikes"],
            qm_params={"isi_violation": {"isi_threshold_ms": 2.0}},
            peak_sign="both",
        ),
    )
    store("noise_levels", spost.compute_noise_levels(we, seed=0))
    if SIDE == "core":
        we.save(folder=OUT / "waveforms_zarr", format="zarr")


def run_analyzer_side() -> None:
    recording, sorting = load_dataset()
    store_spike_vector(sorting)
    analyzer = si.create_sorting_analyzer(
        sorting, recording, format="memory", sparse=False, return_in_uV=True
    )
    analyzer.compute("random_spikes", method="uniform", max_spikes_per_unit=500, seed=0)
    analyzer.compute("waveforms", ms_before=1.0, ms_after=2.0, n_jobs=1)
    analyzer.compute("templates")
    analyzer.compute("noise_levels")
    store(
        "ccg_sorting_50_1",
        analyzer.compute("correlograms", window_ms=50.0, bin_ms=1.0, method="numpy").get_data(),
    )
    store(
        "ccg_sorting_7_0.3",
        spost.compute_correlograms(sorting, window_ms=7.0, bin_ms=0.3, method="numpy"),
    )
    store(
        "isi_sorting_50_1",
        analyzer.compute("isi_histograms", window_ms=50.0, bin_ms=1.0, method="numpy").get_data(),
    )
    amplitudes = analyzer.compute(
        "spike_amplitudes", n_jobs=1, chunk_duration="1s", progress_bar=False
    ).get_data()
    bounds = np.searchsorted(sorting.to_spike_vector()["segment_index"], [0, 1, 2])
    store("spike_amplitudes", [amplitudes[bounds[i] : bounds[i + 1]] for i in range(2)])
    metrics = analyzer.compute("quality_metrics", skip_pc_metrics=True).get_data()
    table("quality_metrics_0105", metrics)
    for column in metrics.columns:
        results[f"qm0105.{column}"] = metrics[column].to_numpy(dtype=float)


def read_folders() -> None:
    """Open the waveform folders (and zarr stores) of the other sides; dump their extensions."""
    _, sorting = load_dataset()
    # SpikeDesk reads SpikeInterface's folders, SpikeInterface reads SpikeDesk's
    pattern = "out_si0100*/waveforms*" if SIDE == "read-core" else "out_core*/waveforms*"
    for folder in sorted(DATA.parent.glob(pattern)):
        key = f"{folder.parent.name.removeprefix('out_')}/{folder.name}"
        try:
            we = si.load_waveforms(folder, with_recording=False, sorting=sorting)
        except Exception as error:  # reported in the table, not hidden
            types[f"{key}:error"] = f"{type(error).__name__}: {error}"
            continue
        for name in we.get_available_extension_names():
            try:
                extension = we.load_extension(name)
                data = extension.get_data()
            except Exception as error:  # reported in the table
                types[f"{key}/{name}:error"] = f"{type(error).__name__}: {error}"
                continue
            if name == "quality_metrics":
                table(f"{key.replace('/', '.')}.{name}", data)
            else:
                store(f"{key}/{name}", data)


if SIDE == "si0105":
    run_analyzer_side()
elif SIDE.startswith("read-"):
    read_folders()
else:
    run_waveform_extractor_side(numba_only=SIDE in ("si0100-numba", "core-full"))

np.savez(OUT / "results.npz", **results)
(OUT / "types.json").write_text(json.dumps(types, indent=1))
(OUT / "tables.json").write_text(json.dumps(tables, indent=1))
