"""Toy and ground-truth data: lazy noise recordings, synthetic sortings and templates.

This package is also SpikeInterface's ``spikeinterface.core.generate`` module path: it exports
that module's public names.
"""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "generate_snippets": "..snippets.from_sorting",
    "minimum_spike_dtype": "..sorting.base",
    "TransformSorting": "..sorting.transform",
    "generate_ground_truth_recording": ".ground_truth",
    "InjectTemplatesRecording": ".injection",
    "InjectTemplatesRecordingSegment": ".injection",
    "inject_templates": ".injection",
    "add_synchrony_to_sorting": ".mistakes",
    "inject_some_duplicate_units": ".mistakes",
    "inject_some_split_units": ".mistakes",
    "synthetize_spike_train_bad_isi": ".mistakes",
    "NoiseGeneratorRecording": ".noise",
    "NoiseGeneratorRecordingSegment": ".noise",
    "generate_recording": ".noise",
    "generate_recording_by_size": ".noise",
    "noise_generator_recording": ".noise",
    "clean_refractory_period": ".sorting",
    "create_sorting_npz": ".sorting",
    "generate_sorting": ".sorting",
    "generate_sorting_to_inject": ".sorting",
    "synthesize_poisson_spike_vector": ".sorting",
    "synthesize_random_firings": ".sorting",
    "default_unit_params_range": ".templates",
    "exp_growth": ".templates",
    "generate_channel_locations": ".templates",
    "generate_single_fake_waveform": ".templates",
    "generate_templates": ".templates",
    "generate_unit_locations": ".templates",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "minimum_spike_dtype",
    "generate_recording",
    "generate_sorting",
    "add_synchrony_to_sorting",
    "generate_sorting_to_inject",
    "TransformSorting",
    "create_sorting_npz",
    "generate_snippets",
    "synthesize_poisson_spike_vector",
    "synthesize_random_firings",
    "clean_refractory_period",
    "inject_some_duplicate_units",
    "inject_some_split_units",
    "synthetize_spike_train_bad_isi",
    "NoiseGeneratorRecording",
    "NoiseGeneratorRecordingSegment",
    "noise_generator_recording",
    "generate_recording_by_size",
    "exp_growth",
    "generate_single_fake_waveform",
    "default_unit_params_range",
    "generate_templates",
    "InjectTemplatesRecording",
    "InjectTemplatesRecordingSegment",
    "inject_templates",
    "generate_channel_locations",
    "generate_unit_locations",
    "generate_ground_truth_recording",
]
