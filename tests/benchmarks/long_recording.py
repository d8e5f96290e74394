"""Long Neuropixels-like recordings for the benchmarks: SpikeInterface binary folders that
``spikedesk FOLDER`` opens without a dialog.

`make_recording_folder` writes a folder of ``duration_s`` of 384 int16 channels at 30 kHz with a
linear probe (20 µm pitch). Its raw file is made with ``truncate`` (sparse: it takes no disk space
and reads as zeros) and then filled with synthetic content - noise and spikes of units at fixed
depths that drift slowly and fire at rates that change over minutes - either everywhere
(``fill=1``) or in short blocks spread evenly (``fill=0.01``: 1 % of the file, so a two-hour
file of 166 GB needs 1.7 GB of disk).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import probeinterface as pi

import core as si

NUM_CHANNELS = 384
SAMPLING_FREQUENCY = 30_000.0
GAIN_TO_UV = 0.195
FRAME_BYTES = NUM_CHANNELS * 2
#: Frames of one written block.
BLOCK_FRAMES = 1200
NUM_UNITS = 60
NOISE_UV = 6.0


def make_recording_folder(
    folder: Path, duration_s: float, fill: float = 1.0, seed: int = 0
) -> Path:
    """A binary folder of ``duration_s`` seconds, ``fill`` of it written (the rest zeros).

    Parameters
    ----------
    folder : Path
        Created (replaced if it exists).
    duration_s : float
    fill : float
        Fraction of the file holding content, in blocks of `BLOCK_FRAMES` spread evenly.
    seed : int

    Returns
    -------
    Path
        ``folder``.
    """
    if folder.exists():
        shutil.rmtree(folder)
    probe = pi.generate_linear_probe(num_elec=NUM_CHANNELS, ypitch=20)
    probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
    tiny = si.NumpyRecording([np.zeros((1, NUM_CHANNELS), dtype="int16")], SAMPLING_FREQUENCY)
    tiny.set_channel_gains(GAIN_TO_UV)
    tiny.set_channel_offsets(0.0)
    tiny = tiny.set_probe(probe)
    tiny.save(folder=folder, format="binary", verbose=False)  # metadata, probe, binary.json
    raw = folder / "traces_cached_seg0.raw"
    num_frames = int(duration_s * SAMPLING_FREQUENCY)
    with open(raw, "r+b") as file:
        file.truncate(num_frames * FRAME_BYTES)
        content = SyntheticContent(num_frames, seed)
        num_blocks = max(1, int(round(num_frames * fill / BLOCK_FRAMES)))
        step = num_frames / num_blocks
        for index in range(num_blocks):
            start = min(int(index * step), num_frames - BLOCK_FRAMES)
            file.seek(start * FRAME_BYTES)
            file.write(content.block(start, BLOCK_FRAMES).tobytes())
    return folder


class SyntheticContent:
    """Noise and the spikes of `NUM_UNITS` units, as a function of the frame (deterministic)."""

    def __init__(self, num_frames: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.num_frames = num_frames
        self.seed = seed
        self.depth = rng.uniform(10, NUM_CHANNELS - 10, NUM_UNITS)  # in channels
        self.drift = rng.normal(0, 4, NUM_UNITS)  # channels over the whole recording
        self.amplitude_uv = rng.uniform(60, 300, NUM_UNITS)
        self.rate_hz = rng.uniform(2, 20, NUM_UNITS)
        self.period_s = rng.uniform(120, 1800, NUM_UNITS)
        self.phase = rng.uniform(0, 2 * np.pi, NUM_UNITS)
        time = np.arange(-15, 30) / SAMPLING_FREQUENCY
        self.waveform = -np.exp(-((time / 2.5e-4) ** 2)) + 0.35 * np.exp(
            -(((time - 5e-4) / 4e-4) ** 2)
        )
        self.channels = np.arange(NUM_CHANNELS)

    def block(self, start: int, num_frames: int) -> np.ndarray:
        """Frames ``[start, start + num_frames)`` as raw int16."""
        rng = np.random.default_rng([self.seed, start])
        traces = rng.normal(0, NOISE_UV, (num_frames, NUM_CHANNELS)).astype("float32")
        t = start / SAMPLING_FREQUENCY
        progress = start / max(self.num_frames, 1)
        rates = self.rate_hz * (1 + np.sin(2 * np.pi * t / self.period_s + self.phase))
        counts = rng.poisson(rates * num_frames / SAMPLING_FREQUENCY)
        width = self.waveform.size
        for unit in np.flatnonzero(counts):
            centre = self.depth[unit] + self.drift[unit] * progress
            footprint = np.exp(-(((self.channels - centre) / 2.5) ** 2))
            near = np.flatnonzero(footprint > 0.02)
            spike = np.outer(self.waveform, footprint[near] * self.amplitude_uv[unit])
            for onset in rng.integers(0, num_frames - width, counts[unit]):
                traces[onset : onset + width, near[0] : near[-1] + 1] += spike
        return np.round(traces / GAIN_TO_UV).astype("int16")
