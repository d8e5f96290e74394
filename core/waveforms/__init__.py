"""Waveforms and templates: extraction, the WaveformExtractor, sparsity and template tools."""

from .api import estimate_sparsity, extract_waveforms, load_waveforms, precompute_sparsity
from .extension import BaseWaveformExtractorExtension
from .extractor import WaveformExtractor
from .kernel import estimate_templates_average, extract_waveforms_to_buffers
from .sampling import sample_spikes, sampled_index_dtype, select_random_spikes_uniformly
from .sparsity import ChannelSparsity, compute_sparsity
from .template_tools import (
    get_template_amplitudes,
    get_template_channel_sparsity,
    get_template_extremum_amplitude,
    get_template_extremum_channel,
    get_template_extremum_channel_peak_shift,
)
from .templates import Templates

__all__ = [
    "WaveformExtractor",
    "BaseWaveformExtractorExtension",
    "extract_waveforms",
    "load_waveforms",
    "precompute_sparsity",
    "estimate_sparsity",
    "extract_waveforms_to_buffers",
    "select_random_spikes_uniformly",
    "sample_spikes",
    "sampled_index_dtype",
    "estimate_templates_average",
    "ChannelSparsity",
    "Templates",
    "compute_sparsity",
    "get_template_amplitudes",
    "get_template_channel_sparsity",
    "get_template_extremum_amplitude",
    "get_template_extremum_channel",
    "get_template_extremum_channel_peak_shift",
]
