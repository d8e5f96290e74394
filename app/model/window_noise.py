"""The noise level of each channel of a trace window, estimated only when asked for (no Qt).

The trace view asks for it to fit its scale to the traces, a few times per session; reading a
window keeps only a small strided subsample of it (`NoiseSample`), and the medians are computed
the first time `NoiseSample.levels` is called: about 1 ms of every 1 s x 384-channel frame
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.model.decimation import column_medians

#: Samples per channel the noise level is estimated from.
NOISE_ROWS = 256


@dataclass(frozen=True)
class NoiseSample:
    """What a window's noise levels are estimated from.

    Attributes
    ----------
    rows : np.ndarray
        ``(rows, channels)``: samples of the window (`of_samples`), or the ranges of columns of
        ``column_frames`` samples each (`of_envelope`).
    column_frames : int
        0 for samples; else how many samples each range covers.
    gains : np.ndarray | None
        Factor of each channel (absolute gains, float32) when the window is scaled.
    """

    rows: np.ndarray
    column_frames: int = 0
    gains: np.ndarray | None = None

    @classmethod
    def of_samples(cls, traces: np.ndarray) -> NoiseSample:
        """Every `noise_step`-th row of ``traces``, copied."""
        return cls(np.array(traces[:: noise_step(traces.shape[0])]))

    @classmethod
    def of_envelope(cls, envelope: np.ndarray, column_frames: int) -> NoiseSample:
        """The ranges of a strided subsample of at least `NOISE_ROWS` columns of a min/max
        ``envelope`` (rows alternate min and max) whose columns cover ``column_frames``."""
        stride = 2 * max(1, envelope.shape[0] // (2 * NOISE_ROWS))
        ranges = envelope[1::stride].astype("float32") - envelope[0::stride].astype("float32")
        return cls(ranges, column_frames=max(int(column_frames), 1))

    def scaled(self, gains: np.ndarray) -> NoiseSample:
        """The same sample for a window scaled by ``gains`` (one per channel)."""
        return NoiseSample(self.rows, self.column_frames, np.abs(gains).astype("float32"))

    def levels(self) -> np.ndarray:
        """The median absolute deviation of each channel (float32, in the window's units)."""
        if self.column_frames:
            noise = envelope_noise(self.rows, self.column_frames)
        else:
            noise = noise_of_sample(self.rows)
        return noise if self.gains is None else noise * self.gains


def noise_step(num_samples: int) -> int:
    """The stride of the rows a window of ``num_samples`` is sampled at."""
    return max(1, num_samples // NOISE_ROWS)


def noise_of_sample(sample: np.ndarray) -> np.ndarray:
    """Median absolute deviation of each column of ``sample`` (float32)."""
    if sample.shape[0] == 0:
        return np.zeros(sample.shape[1], dtype="float32")
    sample = np.asarray(sample, dtype="float32")
    return column_medians(np.abs(sample - column_medians(sample))).astype("float32")


def envelope_noise(ranges: np.ndarray, column_frames: int) -> np.ndarray:
    """The noise (as a median absolute deviation) that columns of ``column_frames`` Gaussian
    samples with these ``ranges`` have: the median range over the expected range of that many
    samples, about ``2 sqrt(2 ln n)`` standard deviations."""
    expected_range = 2.0 * np.sqrt(2.0 * np.log(max(column_frames, 2)))
    return (column_medians(ranges) * (0.6745 / expected_range)).astype("float32")
