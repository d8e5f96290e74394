"""Toy and ground-truth data: lazy noise recordings, synthetic sortings and templates."""

from .noise import (
    NoiseGeneratorRecording,
    generate_recording,
    generate_recording_by_size,
    noise_generator_recording,
)

__all__ = [
    "NoiseGeneratorRecording",
    "noise_generator_recording",
    "generate_recording",
    "generate_recording_by_size",
]
