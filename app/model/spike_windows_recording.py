"""A lazy recording made of the windows around chosen spikes of another recording, end to end.

`core.extract_waveforms` walks its recording chunk by chunk: on an hour-long recording, the
chunks holding 50 spikes of each of 500 units are nearly all of them, so it reads the whole file.
Given `SpikeWindowsRecording` instead, with a sorting whose spikes sit at the centre of each
window (`windows_sorting`), the same extraction reads only those windows (each with
`core.waveforms.spike_windows.read_spike_windows`): kilobytes per spike instead of gigabytes.
"""

from __future__ import annotations

import numpy as np

import core as si
from core.recording.base import BaseRecording, BaseRecordingSegment
from core.recording.channels import copy_sliced_metadata
from core.waveforms.spike_windows import read_spike_windows, spike_position_dtype


class SpikeWindowsRecording(BaseRecording):
    """Windows ``[sample - nbefore, sample + nafter)`` of ``parent`` around ``spikes``, laid end
    to end in one segment (window ``k`` is samples ``k * width`` to ``(k + 1) * width``).

    Parameters
    ----------
    parent : BaseRecording
        Where the windows are read; channels, gains, probe and properties are the parent's.
    spikes : np.ndarray
        Structured with ``sample_index`` and ``segment_index`` (of the parent), in the order
        the windows are laid.
    nbefore, nafter : int
        Samples before and from each spike (``nafter`` > 0).
    """

    def __init__(self, parent: BaseRecording, spikes: np.ndarray, nbefore: int, nafter: int):
        if nbefore < 0 or nafter <= 0:
            raise ValueError(f"nbefore must be >= 0 and nafter > 0, got {nbefore} and {nafter}")
        missing = {"sample_index", "segment_index"} - set(spikes.dtype.names or ())
        if missing:
            raise ValueError(f"spikes lacks the fields {sorted(missing)}")
        super().__init__(parent.sampling_frequency, parent.channel_ids, parent.get_dtype())
        positions = np.zeros(spikes.size, dtype=spike_position_dtype)
        positions["sample_index"] = spikes["sample_index"]
        positions["segment_index"] = spikes["segment_index"]
        self.add_recording_segment(
            _SpikeWindowsSegment(parent, positions, int(nbefore), int(nafter))
        )
        copy_sliced_metadata(parent, self, parent.channel_ids)
        self._kwargs = {"parent": parent, "spikes": positions, "nbefore": nbefore, "nafter": nafter}

    def is_binary_compatible(self) -> bool:
        return False


class _SpikeWindowsSegment(BaseRecordingSegment):
    def __init__(self, parent: BaseRecording, spikes: np.ndarray, nbefore: int, nafter: int):
        super().__init__(sampling_frequency=parent.sampling_frequency)
        self._parent = parent
        self._spikes = spikes
        self._nbefore, self._nafter = nbefore, nafter
        self._width = nbefore + nafter

    def get_num_samples(self) -> int:
        return int(self._spikes.size * self._width)

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        total = self.get_num_samples()
        start = 0 if start_frame is None else int(start_frame)
        end = total if end_frame is None else int(end_frame)
        first, last = start // self._width, -(-end // self._width)
        channel_ids = None
        if channel_indices is not None:
            channel_ids = self._parent.channel_ids[
                np.arange(len(self._parent.channel_ids))[channel_indices]
            ]
        windows = read_spike_windows(
            self._parent, self._spikes[first:last], self._nbefore, self._nafter, channel_ids
        )
        flat = windows.reshape(-1, windows.shape[-1])
        offset = first * self._width
        return flat[start - offset : end - offset]


def windows_sorting(
    spikes: np.ndarray, unit_ids, nbefore: int, nafter: int, sampling_frequency: float
) -> si.NumpySorting:
    """The sorting of `SpikeWindowsRecording`: spike ``k`` of ``spikes`` at ``k * width +
    nbefore``, with its ``unit_index`` into ``unit_ids``."""
    width = int(nbefore) + int(nafter)
    vector = np.zeros(spikes.size, dtype=si.minimum_spike_dtype)
    vector["sample_index"] = np.arange(spikes.size, dtype="int64") * width + int(nbefore)
    vector["unit_index"] = spikes["unit_index"]
    return si.NumpySorting(vector, sampling_frequency, np.asarray(unit_ids))
