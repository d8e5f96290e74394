"""Toy and ground-truth data: lazy noise recordings, synthetic sortings and templates.

This package is also SpikeInterface's ``spikeinterface.core.generate`` module path: it exports
that module's public names.
"""

from ..snippets.from_sorting import generate_snippets
from ..sorting.base import minimum_spike_dtype
from ..sorting.transform import TransformSorting
from .ground_truth import generate_ground_truth_recording
from .injection import InjectTemplatesRecording, InjectTemplatesRecordingSegment, inject_templates
from .mistakes import (
    add_synchrony_to_sorting,
    inject_some_duplicate_units,
    inject_some_split_units,
    synthetize_spike_train_bad_isi,
)
from .noise import (
    NoiseGeneratorRecording,
    NoiseGeneratorRecordingSegment,
    generate_recording,
    generate_recording_by_size,
    noise_generator_recording,
)
from .sorting import (
    clean_refractory_period,
    create_sorting_npz,
    generate_sorting,
    generate_sorting_to_inject,
    synthesize_poisson_spike_vector,
    synthesize_random_firings,
)
from .templates import (
    default_unit_params_range,
    exp_growth,
    generate_channel_locations,
    generate_single_fake_waveform,
    generate_templates,
    generate_unit_locations,
)

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
