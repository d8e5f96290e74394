"""Lazy white-noise recordings of any size: NoiseGeneratorRecording and its constructors.

Noise is produced block by block (``noise_block_size`` samples x all channels) from seeds derived
from one stored seed, exactly as SpikeInterface 0.100 derives them: a dictionary written by either
describes the same signal. Reading a window generates only the blocks it touches.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from probeinterface import generate_linear_probe

from ..argument_checks import checked_sampling_frequency
from ..recording.base import BaseRecording, BaseRecordingSegment
from ..registry import register_extractor_class

_STRATEGIES = ("tile_pregenerated", "on_the_fly")
_DTYPES = ("float32", "float64")
_SEED_BOUND = 2**63


def ensure_seed(seed: int | None) -> int:
    """``seed`` as an int, or a freshly drawn one when None.

    A drawn seed is stored in the object's kwargs, so that every ``seed=None`` call gives a new
    signal while ``to_dict``/``from_dict`` (and pickling to worker processes) reproduce it.

    Parameters
    ----------
    seed : int | None
        A non-negative integer, or None to draw one.

    Returns
    -------
    int
        In ``[0, 2**63)`` when drawn.

    Raises
    ------
    ValueError
        If ``seed`` is negative or not an integer.
    """
    if seed is None:
        return int(np.random.default_rng().integers(0, _SEED_BOUND))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
    return int(seed)


class NoiseGeneratorRecording(BaseRecording):
    """A lazy recording of Gaussian white noise, deterministic for a seed.

    Nothing is generated at construction: a recording of any size costs nothing until read.

    Parameters
    ----------
    num_channels : int
        Channels, with ids ``0..num_channels-1``.
    sampling_frequency : float
        Hz.
    durations : list of float
        Seconds per segment; segment ``i`` has ``int(durations[i] * sampling_frequency)``
        samples.
    noise_level : float
        Standard deviation of the noise.
    dtype : {"float32", "float64"}
        Dtype of the traces.
    seed : int | None
        Seed of the whole signal; None draws one (kept in the kwargs so a copy is identical).
    strategy : {"tile_pregenerated", "on_the_fly"}
        ``"tile_pregenerated"``: each segment repeats one block of noise (generated on first
        read), fast to read; ``"on_the_fly"``: every block is different, generated from a seed
        derived from the segment and block index, so any window is reproducible however it is
        read.
    noise_block_size : int
        Samples per block.

    Raises
    ------
    ValueError
        On a dtype other than float32/float64, an unknown strategy, or non-positive sizes.
    """

    def __init__(
        self,
        num_channels: int,
        sampling_frequency: float,
        durations: list[float],
        noise_level: float = 1.0,
        dtype="float32",
        seed: int | None = None,
        strategy: Literal["tile_pregenerated", "on_the_fly"] = "tile_pregenerated",
        noise_block_size: int = 30000,
    ) -> None:
        sampling_frequency = checked_sampling_frequency(sampling_frequency)
        num_channels = _positive_int(num_channels, "num_channels")
        noise_block_size = _positive_int(noise_block_size, "noise_block_size")
        durations = _checked_durations(durations)
        noise_level = _checked_noise_level(noise_level)
        dtype = _checked_dtype(dtype)
        if strategy not in _STRATEGIES:
            raise ValueError(
                f"strategy must be 'tile_pregenerated' or 'on_the_fly', got {strategy!r}"
            )
        super().__init__(sampling_frequency, np.arange(num_channels), dtype)
        seed = ensure_seed(seed)
        rng = np.random.default_rng(seed)
        for duration in durations:
            segment = NoiseGeneratorRecordingSegment(
                num_samples=int(duration * self.sampling_frequency),
                num_channels=num_channels,
                sampling_frequency=self.sampling_frequency,
                noise_block_size=noise_block_size,
                noise_level=noise_level,
                dtype=dtype,
                seed=int(rng.integers(0, _SEED_BOUND)),
                strategy=strategy,
            )
            self.add_recording_segment(segment)
        self._kwargs = {
            "num_channels": num_channels,
            "durations": durations,
            "sampling_frequency": self.sampling_frequency,
            "noise_level": noise_level,
            "dtype": dtype,
            "seed": seed,
            "strategy": strategy,
            "noise_block_size": noise_block_size,
        }


class NoiseGeneratorRecordingSegment(BaseRecordingSegment):
    """One segment of noise, generated block by block from the segment's seed.

    Parameters
    ----------
    num_samples, num_channels : int
        Shape of the segment.
    sampling_frequency : float
        Hz.
    noise_block_size : int
        Samples per block.
    noise_level : float
        Standard deviation.
    dtype : str
        ``"float32"`` or ``"float64"``.
    seed : int
        Seed of this segment.
    strategy : {"tile_pregenerated", "on_the_fly"}
        One block repeated, or one block per ``block_index`` seeded by ``(seed, block_index)``.
    """

    def __init__(
        self,
        num_samples: int,
        num_channels: int,
        sampling_frequency: float,
        noise_block_size: int,
        noise_level: float,
        dtype: str,
        seed: int,
        strategy: str,
    ) -> None:
        super().__init__(sampling_frequency=sampling_frequency)
        self._num_samples = num_samples
        self._num_channels = num_channels
        self._block_size = noise_block_size
        self._noise_level = noise_level
        self._dtype = np.dtype(dtype)
        self._seed = seed
        self._strategy = strategy
        self._tile: np.ndarray | None = None

    def get_num_samples(self) -> int:
        return self._num_samples

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        start = 0 if start_frame is None else max(int(start_frame), 0)
        end = self._num_samples if end_frame is None else min(int(end_frame), self._num_samples)
        end = max(end, start)
        channels = slice(None) if channel_indices is None else channel_indices
        num_selected = np.empty((0, self._num_channels))[:, channels].shape[1]
        traces = np.empty((end - start, num_selected), dtype=self._dtype)
        position = start
        while position < end:
            block_index, offset = divmod(position, self._block_size)
            stop = min(end, (block_index + 1) * self._block_size)
            piece = self._block(block_index)[offset : offset + stop - position]
            traces[position - start : stop - start] = piece[:, channels]
            position = stop
        return traces

    def _block(self, block_index: int) -> np.ndarray:
        """The noise of block ``block_index`` (the same tile for every block when tiling)."""
        if self._strategy == "on_the_fly":
            return self._generate_block((self._seed, block_index))
        if self._tile is None:  # generated on first read; a race only computes it twice
            self._tile = self._generate_block(self._seed)
        return self._tile

    def _generate_block(self, seed) -> np.ndarray:
        rng = np.random.default_rng(seed)
        block = rng.standard_normal(size=(self._block_size, self._num_channels), dtype=self._dtype)
        block *= self._noise_level
        return block


noise_generator_recording = NoiseGeneratorRecording


def generate_recording(
    num_channels: int = 2,
    sampling_frequency: float = 30000.0,
    durations: list[float] = [5.0, 2.5],  # noqa: B006  SpikeInterface default, never mutated
    set_probe: bool = True,
    ndim: int = 2,
    seed: int | None = None,
) -> NoiseGeneratorRecording:
    """A lazy float32 white-noise recording (std 1) with a linear probe.

    Parameters
    ----------
    num_channels : int
        Channels, ids ``0..num_channels-1``.
    sampling_frequency : float
        Hz.
    durations : list of float
        Seconds per segment.
    set_probe : bool
        Attach a linear probe (one column, 20 µm pitch) wired ``0..num_channels-1``.
    ndim : {2, 3}
        Dimensions of the probe.
    seed : int | None
        Seed of the noise; None draws one (stored, so copies are identical).

    Returns
    -------
    NoiseGeneratorRecording
        Annotated ``is_filtered=True``; no gains or offsets (read noise levels with
        ``return_scaled=False``).

    Raises
    ------
    ValueError
        If ``ndim`` is not 2 or 3 (or on the checks of `NoiseGeneratorRecording`).
    """
    if ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 or 3, got {ndim!r}")
    sampling_frequency = checked_sampling_frequency(sampling_frequency)
    recording = NoiseGeneratorRecording(
        num_channels=num_channels,
        sampling_frequency=sampling_frequency,
        durations=durations,
        dtype="float32",
        seed=ensure_seed(seed),
        strategy="tile_pregenerated",
        noise_block_size=int(sampling_frequency),  # one-second blocks, as SpikeInterface
    )
    recording.annotate(is_filtered=True)
    if set_probe:
        probe = generate_linear_probe(num_elec=num_channels, ypitch=20)
        if ndim == 3:
            probe = probe.to_3d()
        probe.set_device_channel_indices(np.arange(num_channels))
        recording.set_probe(probe, in_place=True)
    return recording


def generate_recording_by_size(
    full_traces_size_GiB: float,
    num_channels: int = 384,
    seed: int | None = None,
    strategy: Literal["tile_pregenerated", "on_the_fly"] = "tile_pregenerated",
) -> NoiseGeneratorRecording:
    """A lazy float32 noise recording at 30 kHz whose traces take ``full_traces_size_GiB``.

    Parameters
    ----------
    full_traces_size_GiB : float
        Size of all traces in GiB (one segment).
    num_channels : int
        Channels (SpikeInterface 0.100 ignores this and always uses 384; here it is honoured).
    seed : int | None
        Seed of the noise.
    strategy : {"tile_pregenerated", "on_the_fly"}
        See `NoiseGeneratorRecording`.

    Returns
    -------
    NoiseGeneratorRecording
        ``floor(size_bytes / (num_channels * 4))`` samples.

    Raises
    ------
    ValueError
        If the size is negative or ``num_channels`` is not positive.
    """
    num_channels = _positive_int(num_channels, "num_channels")
    if not full_traces_size_GiB >= 0:
        raise ValueError(f"full_traces_size_GiB must be >= 0, got {full_traces_size_GiB!r}")
    sampling_frequency = 30_000.0
    itemsize = np.dtype("float32").itemsize
    num_samples = int(full_traces_size_GiB * 1024**3) // (num_channels * itemsize)
    return NoiseGeneratorRecording(
        num_channels=num_channels,
        sampling_frequency=sampling_frequency,
        durations=[_duration_of(num_samples, sampling_frequency)],
        dtype="float32",
        seed=seed,
        strategy=strategy,
    )


def _duration_of(num_samples: int, sampling_frequency: float) -> float:
    """The duration ``d`` whose ``int(d * sampling_frequency)`` is exactly ``num_samples``."""
    duration = num_samples / sampling_frequency
    while int(duration * sampling_frequency) < num_samples:  # float rounding fell just short
        duration = float(np.nextafter(duration, np.inf))
    return duration


# ---------------------------------------------------------------------- argument checks
def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def _checked_durations(durations) -> list[float]:
    if not isinstance(durations, list | tuple | np.ndarray) or len(durations) == 0:
        raise ValueError(f"durations must be a non-empty list of seconds, got {durations!r}")
    values = [float(d) for d in durations]
    if not all(d >= 0 for d in values):
        raise ValueError(f"durations must be >= 0 seconds, got {values}")
    return values


def _checked_noise_level(noise_level) -> float:
    if isinstance(noise_level, bool) or not isinstance(noise_level, int | float | np.number):
        raise TypeError(f"noise_level must be a number, got {noise_level!r}")
    if not noise_level >= 0:
        raise ValueError(f"noise_level must be >= 0, got {noise_level}")
    return float(noise_level)


def _checked_dtype(dtype) -> str:
    name = np.dtype(dtype).name
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {name!r}")
    return name


register_extractor_class(
    NoiseGeneratorRecording, "spikeinterface.core.generate.NoiseGeneratorRecording"
)
