"""Noise level of each channel kept with a WaveformExtractor (``compute_noise_levels``)."""

from __future__ import annotations

import numpy as np

from ..recording.tools import get_noise_levels
from ..waveforms.extractor import WaveformExtractor
from .computed_extension import ComputedExtension

__all__ = ["NoiseLevelsCalculator", "compute_noise_levels"]


class NoiseLevelsCalculator(ComputedExtension):
    """Noise levels kept as the ``noise_levels`` extension (``noise_levels.npy``).

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    """

    extension_name = "noise_levels"

    @classmethod
    def _check_params(
        cls,
        waveform_extractor: WaveformExtractor,
        num_chunks_per_segment: int = 20,
        chunk_size: int = 10000,
        seed: int | None = None,
    ) -> dict:
        for value, name in (
            (num_chunks_per_segment, "num_chunks_per_segment"),
            (chunk_size, "chunk_size"),
        ):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        return dict(
            num_chunks_per_segment=int(num_chunks_per_segment),
            chunk_size=int(chunk_size),
            seed=None if seed is None else int(seed),
        )

    @classmethod
    def _compute_data(cls, waveform_extractor: WaveformExtractor, params: dict) -> dict:
        if not waveform_extractor.has_recording():
            raise ValueError(
                "compute_noise_levels() needs the recording: this WaveformExtractor was loaded "
                "without it (with_recording=False); use set_recording()"
            )
        noise_levels = get_noise_levels(
            waveform_extractor.recording, return_scaled=waveform_extractor.return_scaled, **params
        )
        return {"noise_levels": np.asarray(noise_levels)}

    def _select_extension_data(self, unit_ids) -> dict:
        return dict(self._extension_data)

    def get_data(self) -> np.ndarray:
        """The noise level of each channel (µV when the waveforms are scaled)."""
        self._require_data("noise_levels")
        return self._extension_data["noise_levels"]

    @staticmethod
    def get_extension_function():
        """:func:`compute_noise_levels`."""
        return compute_noise_levels


WaveformExtractor.register_extension(NoiseLevelsCalculator)


def compute_noise_levels(
    waveform_extractor: WaveformExtractor, load_if_exists: bool = False, **params
) -> np.ndarray:
    """Noise level of each channel (:func:`~core.get_noise_levels`), kept as an extension.

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
        Its recording is sampled; levels are in µV when its waveforms are scaled.
    load_if_exists : bool, default: False
        Return the stored extension if there is one.
    **params
        ``num_chunks_per_segment`` (20), ``chunk_size`` (10000), ``seed`` (None) of the random
        chunks. As in SpikeInterface, levels already cached in the recording's
        ``noise_level_mad_*`` property are returned as they are.

    Returns
    -------
    np.ndarray
        One value per channel.
    """
    if not isinstance(waveform_extractor, WaveformExtractor):
        raise TypeError(
            "waveform_extractor must be a WaveformExtractor, got "
            f"{type(waveform_extractor).__name__}"
        )
    return NoiseLevelsCalculator.compute(waveform_extractor, load_if_exists, params).get_data()
