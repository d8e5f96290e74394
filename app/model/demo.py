"""The embedded demo dataset SpikeDesk opens when started without a path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import probeinterface as pi

import core as si

DEMO_SEED = 2024


@dataclass(frozen=True)
class DemoDataset:
    """Generated data that exercises every view."""

    recording: si.BaseRecording

    def summary(self) -> str:
        """A few lines describing the dataset."""
        recording = self.recording
        probe = recording.get_probe()
        shanks = len(np.unique(recording.get_channel_groups()))
        return "\n".join(
            [
                "SpikeDesk demo dataset",
                f"  recording: {recording}",
                f"  probe:     {probe.get_contact_count()} contacts on {shanks} shanks, "
                f"grouped by shank",
            ]
        )


def make_demo_dataset(
    num_channels_per_shank: int = 16, num_shanks: int = 4, duration_s: float = 60.0
) -> DemoDataset:
    """Build the demo dataset: a lazy multi-shank recording (nothing is computed until read)."""
    num_channels = num_channels_per_shank * num_shanks
    recording = si.generate_recording(
        num_channels=num_channels, durations=[duration_s], set_probe=False, seed=DEMO_SEED
    )
    probe = pi.generate_multi_shank(
        num_shank=num_shanks, num_columns=2, num_contact_per_column=num_channels_per_shank // 2
    )
    probe.set_device_channel_indices(np.arange(num_channels))
    recording = recording.set_probe(probe, group_mode="by_shank")
    return DemoDataset(recording=recording)
