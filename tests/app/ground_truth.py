"""Generated data shared by the templates view tests."""

from __future__ import annotations

import core as si
from app.model.demo import make_demo_probe


def two_shank_ground_truth():
    """A 3 s ground-truth recording on 16 channels over two shanks (grouped by shank) and its
    5-unit sorting."""
    probe = make_demo_probe(num_shanks=2, contacts_per_shank=8)
    recording, sorting = si.generate_ground_truth_recording(
        durations=[3.0], num_channels=16, num_units=5, probe=probe, seed=7
    )
    return recording.set_probe(probe, group_mode="by_shank"), sorting
