"""Waveforms and templates: extraction, the WaveformExtractor, sparsity and template tools."""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "estimate_sparsity": ".api",
    "extract_waveforms": ".api",
    "load_waveforms": ".api",
    "precompute_sparsity": ".api",
    "BaseWaveformExtractorExtension": ".extension",
    "WaveformExtractor": ".extractor",
    "estimate_templates_average": ".kernel",
    "extract_waveforms_to_buffers": ".kernel",
    "sample_spikes": ".sampling",
    "sampled_index_dtype": ".sampling",
    "select_random_spikes_uniformly": ".sampling",
    "ChannelSparsity": ".sparsity",
    "compute_sparsity": ".sparsity",
    "get_template_amplitudes": ".template_tools",
    "get_template_channel_sparsity": ".template_tools",
    "get_template_extremum_amplitude": ".template_tools",
    "get_template_extremum_channel": ".template_tools",
    "get_template_extremum_channel_peak_shift": ".template_tools",
    "Templates": ".templates",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
