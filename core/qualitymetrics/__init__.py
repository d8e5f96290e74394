"""Quality metrics of sorted units (SpikeInterface 0.100's ``spikeinterface.qualitymetrics``).

The metric functions keep SpikeInterface's names, signatures and results; those that need only
spike trains also take a sorting (with a registered recording for the duration), vectorised over
the spike vector so that a units table of 500 units and 10 M spikes fills in well under a second.
:func:`compute_quality_metrics` gathers them in a pandas DataFrame kept as the
``quality_metrics`` extension of a WaveformExtractor. Not computed: "drift" and the metrics
from principal components (see :mod:`.quality_metric_calculator`).
"""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "amplitude_cutoff": ".amplitude_metrics",
    "compute_amplitude_cutoffs": ".amplitude_metrics",
    "compute_amplitude_cv_metrics": ".amplitude_metrics",
    "compute_amplitude_medians": ".amplitude_metrics",
    "compute_sd_ratio": ".amplitude_metrics",
    "compute_snrs": ".amplitude_metrics",
    "QualityMetricCalculator": ".quality_metric_calculator",
    "compute_quality_metrics": ".quality_metric_calculator",
    "get_default_qm_params": ".quality_metric_calculator",
    "get_quality_metric_list": ".quality_metric_calculator",
    "compute_refrac_period_violations": ".refractory_metrics",
    "compute_sliding_rp_violations": ".refractory_metrics",
    "compute_firing_ranges": ".spike_train_metrics",
    "compute_firing_rates": ".spike_train_metrics",
    "compute_isi_violations": ".spike_train_metrics",
    "compute_num_spikes": ".spike_train_metrics",
    "compute_presence_ratios": ".spike_train_metrics",
    "compute_synchrony_metrics": ".spike_train_metrics",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "QualityMetricCalculator",
    "amplitude_cutoff",
    "compute_amplitude_cutoffs",
    "compute_amplitude_cv_metrics",
    "compute_amplitude_medians",
    "compute_firing_ranges",
    "compute_firing_rates",
    "compute_isi_violations",
    "compute_num_spikes",
    "compute_presence_ratios",
    "compute_quality_metrics",
    "compute_refrac_period_violations",
    "compute_sd_ratio",
    "compute_sliding_rp_violations",
    "compute_snrs",
    "compute_synchrony_metrics",
    "get_default_qm_params",
    "get_quality_metric_list",
]
