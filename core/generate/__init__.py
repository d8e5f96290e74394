"""Toy and ground-truth data: lazy noise recordings, synthetic sortings and templates."""

from .ground_truth import generate_ground_truth_recording
from .injection import InjectTemplatesRecording, inject_templates
from .mistakes import (
    add_synchrony_to_sorting,
    inject_some_duplicate_units,
    inject_some_split_units,
    synthetize_spike_train_bad_isi,
)
from .noise import (
    NoiseGeneratorRecording,
    generate_recording,
    generate_recording_by_size,
    noise_generator_recording,
)
from .sorting import (
    clean_refractory_period,
    create_sorting_npz,
    generate_sorting,
    synthesize_random_firings,
)
from .templates import generate_templates, generate_unit_locations

__all__ = [
    "generate_sorting",
    "synthesize_random_firings",
    "clean_refractory_period",
    "create_sorting_npz",
    "inject_some_duplicate_units",
    "inject_some_split_units",
    "synthetize_spike_train_bad_isi",
    "add_synchrony_to_sorting",
    "generate_unit_locations",
    "generate_templates",
    "InjectTemplatesRecording",
    "inject_templates",
    "generate_ground_truth_recording",
    "NoiseGeneratorRecording",
    "noise_generator_recording",
    "generate_recording",
    "generate_recording_by_size",
]
