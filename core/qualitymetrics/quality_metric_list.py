"""The quality metrics by name, and their default parameters (SpikeInterface 0.100.8)."""

from __future__ import annotations

from copy import deepcopy

from .amplitude_metrics import (
    compute_amplitude_cutoffs,
    compute_amplitude_cv_metrics,
    compute_amplitude_medians,
    compute_sd_ratio,
    compute_snrs,
)
from .refractory_metrics import compute_refrac_period_violations, compute_sliding_rp_violations
from .spike_train_metrics import (
    compute_firing_ranges,
    compute_firing_rates,
    compute_isi_violations,
    compute_num_spikes,
    compute_presence_ratios,
    compute_synchrony_metrics,
)

__all__ = [
    "METRIC_FUNCTIONS",
    "NOT_IMPLEMENTED_METRICS",
    "PC_METRIC_NAMES",
    "default_metric_params",
]

#: Metric name -> function, in SpikeInterface 0.100.8's order (without "drift").
METRIC_FUNCTIONS = {
    "num_spikes": compute_num_spikes,
    "firing_rate": compute_firing_rates,
    "presence_ratio": compute_presence_ratios,
    "snr": compute_snrs,
    "isi_violation": compute_isi_violations,
    "rp_violation": compute_refrac_period_violations,
    "sliding_rp_violation": compute_sliding_rp_violations,
    "amplitude_cutoff": compute_amplitude_cutoffs,
    "amplitude_median": compute_amplitude_medians,
    "amplitude_cv": compute_amplitude_cv_metrics,
    "synchrony": compute_synchrony_metrics,
    "firing_range": compute_firing_ranges,
    "sd_ratio": compute_sd_ratio,
}

#: Metrics from principal components (SpikeInterface's ``_possible_pc_metric_names``).
PC_METRIC_NAMES = (
    "isolation_distance",
    "l_ratio",
    "d_prime",
    "nearest_neighbor",
    "nn_isolation",
    "nn_noise_overlap",
    "silhouette",
)

#: SpikeInterface metrics SpikeDesk does not compute, and why.
NOT_IMPLEMENTED_METRICS = {
    "drift": "needs the spike_locations extension, which SpikeDesk does not compute",
    **{
        name: "needs the principal_components extension, which SpikeDesk does not compute"
        for name in PC_METRIC_NAMES
    },
}

_DEFAULT_PARAMS = {
    "presence_ratio": {"bin_duration_s": 60, "mean_fr_ratio_thresh": 0.0},
    "snr": {"peak_sign": "neg", "peak_mode": "extremum", "random_chunk_kwargs_dict": None},
    "isi_violation": {"isi_threshold_ms": 1.5, "min_isi_ms": 0},
    "rp_violation": {"refractory_period_ms": 1.0, "censored_period_ms": 0.0},
    "sliding_rp_violation": {
        "min_spikes": 0,
        "bin_size_ms": 0.25,
        "window_size_s": 1,
        "exclude_ref_period_below_ms": 0.5,
        "max_ref_period_ms": 10,
        "contamination_values": None,
    },
    "synchrony": {"synchrony_sizes": (2, 4, 8)},
    "firing_range": {"bin_size_s": 5, "percentiles": (5, 95)},
    "amplitude_cv": {
        "average_num_spikes_per_bin": 50,
        "percentiles": (5, 95),
        "min_num_bins": 10,
        "amplitude_extension": "spike_amplitudes",
    },
    "amplitude_cutoff": {
        "peak_sign": "neg",
        "num_histogram_bins": 100,
        "histogram_smoothing_value": 3,
        "amplitudes_bins_min_ratio": 5,
    },
    "amplitude_median": {"peak_sign": "neg"},
    "drift": {
        "interval_s": 60,
        "min_spikes_per_interval": 100,
        "direction": "y",
        "min_num_bins": 2,
    },
    "nearest_neighbor": {"max_spikes": 10000, "n_neighbors": 5},
    "nn_isolation": {
        "max_spikes": 10000,
        "min_spikes": 10,
        "min_fr": 0.0,
        "n_neighbors": 4,
        "n_components": 10,
        "radius_um": 100,
        "peak_sign": "neg",
    },
    "nn_noise_overlap": {
        "max_spikes": 10000,
        "min_spikes": 10,
        "min_fr": 0.0,
        "n_neighbors": 4,
        "n_components": 10,
        "radius_um": 100,
        "peak_sign": "neg",
    },
    "silhouette": {"method": ("simplified",)},
}


def default_metric_params() -> dict:
    """A fresh copy of SpikeInterface 0.100.8's ``get_default_qm_params()``.

    It also holds the parameters of the metrics SpikeDesk does not compute ("drift" and the
    principal-component metrics), so that scripts editing them keep working.
    """
    return deepcopy(_DEFAULT_PARAMS)
