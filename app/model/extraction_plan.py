"""How large a waveform extraction will be, and where it fits (no Qt).

The Extract Waveforms dialog shows the size of what ``extract_waveforms`` would write (or keep
in memory) for the options chosen, next to the free space of the target folder's disk or the
available memory, and refuses what does not fit.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Above this share of the free space the dialog warns; above 1 it refuses.
WARN_SHARE = 0.8


def channels_per_unit(recording, sparse: bool, key: str, value) -> tuple[float, bool]:
    """Average channels per unit an extraction keeps, and whether that is exact or a bound.

    Dense: every channel. ``radius``: the average number of channels within the radius of a
    channel; ``best_channels``: the count; ``by_property``: the average size of a channel's
    property group; the threshold methods depend on the data (bounded by every channel).
    """
    num_channels = recording.get_num_channels()
    if not sparse:
        return float(num_channels), True
    if key == "best_channels":
        return float(min(int(value), num_channels)), True
    if key == "radius":
        locations = np.asarray(recording.get_channel_locations(), dtype="float64")[:, :2]
        counts = [
            np.count_nonzero(np.hypot(*(locations - point).T) <= float(value))
            for point in locations
        ]
        return float(np.mean(counts)), True
    if key == "by_property":
        values = recording.get_property(str(value))
        if values is not None:
            _, sizes = np.unique(np.asarray(values), return_counts=True)
            return float(np.sum(sizes.astype("float64") ** 2) / num_channels), True
    return float(num_channels), False


def waveform_bytes(
    spike_counts: np.ndarray,
    max_spikes_per_unit: int | None,
    num_samples: int,
    channels: float,
    itemsize: int,
) -> int:
    """Bytes of the waveforms of every unit (``max_spikes_per_unit`` None: every spike)."""
    counts = np.asarray(spike_counts, dtype="int64")
    if max_spikes_per_unit is not None:
        counts = np.minimum(counts, int(max_spikes_per_unit))
    return int(counts.sum() * num_samples * channels * itemsize)


def free_bytes(folder: str | Path) -> int:
    """Free space of the disk ``folder`` would be written to (its nearest existing parent)."""
    path = Path(folder).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return int(shutil.disk_usage(path).free)


def available_memory() -> int | None:
    """Memory the system can give without swapping, in bytes (None when unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


@dataclass(frozen=True)
class Fit:
    """Whether an output of ``needed`` bytes fits ``available`` bytes.

    Attributes
    ----------
    needed : int
    available : int or None
        None when unknown.
    exact : bool
        Whether ``needed`` is an estimate (False: an upper bound).
    """

    needed: int
    available: int | None
    exact: bool = True

    @property
    def fits(self) -> bool:
        """Whether it fits (unknown space counts as fitting)."""
        return self.available is None or self.needed <= self.available

    @property
    def tight(self) -> bool:
        """Whether it takes more than `WARN_SHARE` of the space."""
        return self.available is not None and self.needed > WARN_SHARE * self.available


def human_bytes(count: float) -> str:
    """``1.2 GB`` style (powers of 1000, as file managers show sizes)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"
