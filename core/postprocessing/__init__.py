"""Postprocessing of a sorting (SpikeInterface 0.100's ``spikeinterface.postprocessing``).

Correlograms, ISI histograms, spike amplitudes and noise levels, with SpikeInterface's names,
signatures and results. Given a WaveformExtractor, each result is kept as an extension in its
folder or zarr store (SpikeInterface 0.100's layout: JSON and ``.npy``, never pickle) and
``load_if_exists=True`` reloads it; correlograms and ISI histograms also take a plain sorting.
Everything is vectorised numpy (no numba).
"""

from .computed_extension import ComputedExtension
from .correlograms import (
    CorrelogramsCalculator,
    compute_correlograms,
    compute_correlograms_numpy,
    correlogram_for_one_segment,
)
from .isi import ISIHistogramsCalculator, compute_isi_histograms, compute_isi_histograms_numpy
from .noise_level import NoiseLevelsCalculator, compute_noise_levels
from .spike_amplitudes import SpikeAmplitudesCalculator, compute_spike_amplitudes

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
