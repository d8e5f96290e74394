"""Postprocessing of a sorting (SpikeInterface 0.100's ``spikeinterface.postprocessing``).

Correlograms, ISI histograms, spike amplitudes and noise levels, with SpikeInterface's names,
signatures and results. Given a WaveformExtractor, each result is kept as an extension in its
folder or zarr store (SpikeInterface 0.100's layout: JSON and ``.npy``, never pickle) and
``load_if_exists=True`` reloads it; correlograms and ISI histograms also take a plain sorting.
Everything is vectorised numpy (no numba).
"""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "ComputedExtension": ".computed_extension",
    "CorrelogramsCalculator": ".correlograms",
    "compute_correlograms": ".correlograms",
    "compute_correlograms_numpy": ".correlograms",
    "correlogram_for_one_segment": ".correlograms",
    "ISIHistogramsCalculator": ".isi",
    "compute_isi_histograms": ".isi",
    "compute_isi_histograms_numpy": ".isi",
    "NoiseLevelsCalculator": ".noise_level",
    "compute_noise_levels": ".noise_level",
    "SpikeAmplitudesCalculator": ".spike_amplitudes",
    "compute_spike_amplitudes": ".spike_amplitudes",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "ComputedExtension",
    "CorrelogramsCalculator",
    "ISIHistogramsCalculator",
    "NoiseLevelsCalculator",
    "SpikeAmplitudesCalculator",
    "compute_correlograms",
    "compute_correlograms_numpy",
    "compute_isi_histograms",
    "compute_isi_histograms_numpy",
    "compute_noise_levels",
    "compute_spike_amplitudes",
    "correlogram_for_one_segment",
]
