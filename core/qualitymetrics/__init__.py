"""Quality metrics of sorted units (SpikeInterface 0.100's ``spikeinterface.qualitymetrics``).

The metric functions keep SpikeInterface's names, signatures and results; those that need only
spike trains also take a sorting (with a registered recording for the duration), vectorised over
the spike vector so that a units table of 500 units and 10 M spikes fills in well under a second.
:func:`compute_quality_metrics` gathers them in a pandas DataFrame kept as the
``quality_metrics`` extension of a WaveformExtractor. Not computed: "drift" and the metrics
from principal components (see :mod:`.quality_metric_calculator`).
"""

from .amplitude_metrics import (
    amplitude_cutoff,
    compute_amplitude_cutoffs,
    compute_amplitude_cv_metrics,
    compute_amplitude_medians,
    compute_sd_ratio,
    compute_snrs,
)
from .quality_metric_calculator import (
    QualityMetricCalculator,
    compute_quality_metrics,
    get_default_qm_params,
    get_quality_metric_list,
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
