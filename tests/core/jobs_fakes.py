"""Picklable fakes for the job-tool tests.

They live in an importable module (not the test file) so that worker processes started with
"spawn" can unpickle them.
"""

from __future__ import annotations

import numpy as np


class FakeRecording:
    """The smallest recording the job tools accept, with deterministic traces.

    Sample ``t`` of channel ``c`` in segment ``s`` is ``1000 * s + 10 * t + c``.
    """

    def __init__(
        self,
        num_samples: tuple[int, ...] = (100, 37),
        num_channels: int = 2,
        sampling_frequency: float = 1000.0,
        dtype: str = "int32",
        memory_serializable: bool = True,
        preferred_mp_context: str | None = None,
    ) -> None:
        self._num_samples = tuple(num_samples)
        self._num_channels = num_channels
        self.sampling_frequency = float(sampling_frequency)
        self._dtype = np.dtype(dtype)
        self._memory_serializable = memory_serializable
        self._preferred_mp_context = preferred_mp_context

    def get_num_segments(self) -> int:
        return len(self._num_samples)

    def get_num_samples(self, segment_index: int) -> int:
        return self._num_samples[segment_index]

    def get_num_channels(self) -> int:
        return self._num_channels

    def get_dtype(self) -> np.dtype:
        return self._dtype

    def check_serializability(self, type: str) -> bool:
        return self._memory_serializable

    def get_preferred_mp_context(self) -> str | None:
        return self._preferred_mp_context

    def get_traces(self, segment_index: int, start_frame: int, end_frame: int) -> np.ndarray:
        frames = np.arange(start_frame, end_frame, dtype=self._dtype)[:, np.newaxis]
        channels = np.arange(self._num_channels, dtype=self._dtype)[np.newaxis, :]
        return 1000 * segment_index + 10 * frames + channels


class ChunkFailed(Exception):
    """Raised by the failing worker functions below."""


def init_with_recording(recording: FakeRecording) -> dict:
    """Worker context holding the recording."""
    return {"recording": recording}


def init_failing(recording: FakeRecording) -> dict:
    """An init_func that always fails."""
    raise ChunkFailed("init failed")


def chunk_bounds(segment_index: int, start_frame: int, end_frame: int, worker_ctx: dict) -> tuple:
    """Return the chunk itself."""
    return (segment_index, start_frame, end_frame)


def chunk_traces_sum(segment_index: int, start_frame: int, end_frame: int, worker_ctx: dict) -> int:
    """Read the chunk's traces from the recording in the worker context."""
    traces = worker_ctx["recording"].get_traces(segment_index, start_frame, end_frame)
    return int(traces.sum())


def chunk_max_threads(segment_index: int, start_frame: int, end_frame: int, worker_ctx: dict):
    """Return the thread limit the executor put in the worker context."""
    return worker_ctx["max_threads_per_process"]


def chunk_fails_in_segment_1(
    segment_index: int, start_frame: int, end_frame: int, worker_ctx: dict
) -> int:
    """Fail on the second segment."""
    if segment_index == 1:
        raise ChunkFailed(f"chunk {segment_index}:{start_frame} failed")
    return start_frame


def spike_train_in_child(sorting, unit_id):
    """Runs in a worker process: read a spike train of a sorting sent there."""
    return sorting.get_unit_spike_train(unit_id).tolist()


def traces_sum_in_child(recording):
    """Runs in a worker process: sum the traces of a recording sent there."""
    return float(recording.get_traces().astype("float64").sum())
