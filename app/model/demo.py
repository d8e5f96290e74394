"""The embedded demo dataset SpikeDesk opens when started without a path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import probeinterface as pi

import core as si

DEMO_SEED = 2024
TTL_PERIOD_S = 2.0
TTL_DURATION_S = 0.5


@dataclass(frozen=True)
class DemoDataset:
    """Generated data that exercises every view: recording, ground-truth sorting, TTL events,
    snippets, all on a multi-shank probe."""

    recording: si.BaseRecording
    sorting: si.BaseSorting
    events: si.BaseEvent
    snippets: si.BaseSnippets

    def objects(self) -> dict:
        """The dataset by kind, as the session opens it."""
        return {
            "recording": self.recording,
            "sorting": self.sorting,
            "events": self.events,
            "snippets": self.snippets,
        }


def make_demo_probe(num_shanks: int = 4, contacts_per_shank: int = 16) -> pi.Probe:
    """A multi-shank probe (two staggered columns per shank), wired in contact order."""
    probe = pi.generate_multi_shank(
        num_shank=num_shanks, num_columns=2, num_contact_per_column=contacts_per_shank // 2
    )
    probe.set_device_channel_indices(np.arange(num_shanks * contacts_per_shank))
    return probe


def make_demo_events(duration_s: float) -> si.NumpyEvent:
    """Two TTL lines: a regular stimulus (epochs) and a reward pulse every third stimulus."""
    dtype = [("time", "<f8"), ("duration", "<f8"), ("label", "<U16")]
    onsets = np.arange(0.5, duration_s - TTL_DURATION_S, TTL_PERIOD_S)
    stimulus = np.array([(t, TTL_DURATION_S, "stim") for t in onsets], dtype=dtype)
    reward = np.array([(t + TTL_DURATION_S, 0.05, "reward") for t in onsets[::3]], dtype=dtype)
    return si.NumpyEvent.from_dict({"TTL1 stimulus": stimulus, "TTL2 reward": reward})


def make_demo_dataset(
    num_shanks: int = 4, contacts_per_shank: int = 16, duration_s: float = 60.0, num_units: int = 24
) -> DemoDataset:
    """Build the demo dataset. Lazy: traces are computed only when a view reads them."""
    probe = make_demo_probe(num_shanks, contacts_per_shank)
    recording, sorting = si.generate_ground_truth_recording(
        durations=[duration_s],
        sampling_frequency=30_000.0,
        num_channels=probe.get_contact_count(),
        num_units=num_units,
        probe=probe,
        generate_sorting_kwargs={"firing_rates": 8.0, "refractory_period_ms": 4.0},
        # small noise blocks: a view reading a few samples around a spike computes little noise
        noise_kwargs={"noise_level": 10.0, "strategy": "on_the_fly", "noise_block_size": 3000},
        seed=DEMO_SEED,
    )
    recording = recording.set_probe(probe, group_mode="by_shank")
    sorting.register_recording(recording)
    snippets = si.snippets_from_sorting(
        recording, sorting.select_units(sorting.unit_ids[:4]), nbefore=30, nafter=60, n_jobs=1
    )
    return DemoDataset(
        recording=recording, sorting=sorting, events=make_demo_events(duration_s), snippets=snippets
    )
