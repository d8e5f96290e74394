"""In-memory recordings: NumpyRecording and SharedMemoryRecording."""

from __future__ import annotations

from multiprocessing.shared_memory import SharedMemory

import numpy as np

from ..registry import register_extractor_class
from .base import BaseRecording, BaseRecordingSegment, checked_t_starts

_MISSING = object()


class NumpyRecording(BaseRecording):
    """A recording held in numpy arrays.

    Parameters
    ----------
    traces_list : np.ndarray | list of np.ndarray
        One ``(num_samples, num_channels)`` array per segment (all the same dtype).
    sampling_frequency : float
        Hz (required).
    t_starts : list of float | None
        Start time of each segment in seconds.
    channel_ids : array-like | None
        Defaults to ``0..num_channels-1``.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "Numpy"
    mode = "memory"
    name = "numpy"

    def __init__(
        self, traces_list=None, sampling_frequency=_MISSING, t_starts=None, channel_ids=None
    ) -> None:
        if sampling_frequency is _MISSING or sampling_frequency is None:
            raise TypeError("NumpyRecording() missing required argument: 'sampling_frequency'")
        if traces_list is None:
            raise TypeError("NumpyRecording() missing required argument: 'traces_list'")
        if isinstance(traces_list, np.ndarray) and traces_list.ndim == 2:
            traces_list = [traces_list]
        if not isinstance(traces_list, list | tuple):
            raise TypeError(
                "traces_list must be a 2-D (samples, channels) array or a list of them (one per "
                f"segment), got {type(traces_list).__name__} of shape {np.shape(traces_list)}"
            )
        traces_list = [np.asarray(traces) for traces in traces_list]
        if not traces_list:
            raise ValueError("traces_list is empty: give one array per segment")
        for index, traces in enumerate(traces_list):
            if traces.ndim != 2:
                raise ValueError(
                    f"traces_list[{index}] must be 2-D (samples, channels), "
                    f"got shape {traces.shape}"
                )
            if traces.dtype.kind not in "iuf":
                raise TypeError(
                    f"traces_list[{index}] must hold integers or floats, got dtype {traces.dtype}"
                )
        dtypes = {traces.dtype for traces in traces_list}
        if len(dtypes) != 1:
            raise ValueError(
                f"every segment must have the same dtype, got {sorted(map(str, dtypes))}"
            )
        channel_counts = {traces.shape[1] for traces in traces_list}
        if len(channel_counts) != 1:
            raise ValueError(
                f"every segment must have the same number of channels, got {sorted(channel_counts)}"
            )
        num_channels = channel_counts.pop()
        if channel_ids is None:
            channel_ids = np.arange(num_channels)
        if len(channel_ids) != num_channels:
            raise ValueError(f"channel_ids has {len(channel_ids)} ids for {num_channels} channels")
        t_starts = checked_t_starts(t_starts, len(traces_list))
        super().__init__(sampling_frequency, channel_ids, traces_list[0].dtype)
        for index, traces in enumerate(traces_list):
            t_start = None if t_starts is None else t_starts[index]
            self.add_recording_segment(
                NumpyRecordingSegment(traces, self.sampling_frequency, t_start)
            )
        self._serializability["json"] = False
        self._serializability["pickle"] = False
        self._kwargs = {
            "traces_list": traces_list,
            "sampling_frequency": self.sampling_frequency,
            "t_starts": t_starts,
            "channel_ids": self.channel_ids,
        }

    @staticmethod
    def from_recording(source_recording: BaseRecording, **job_kwargs) -> NumpyRecording:
        """Read every segment of ``source_recording`` into memory, metadata included."""
        traces_list = [
            source_recording.get_traces(segment_index=i)
            for i in range(source_recording.get_num_segments())
        ]
        recording = NumpyRecording(
            traces_list,
            source_recording.sampling_frequency,
            t_starts=_t_starts_of(source_recording),
            channel_ids=source_recording.channel_ids,
        )
        _copy_metadata_and_times(source_recording, recording)
        return recording


class NumpyRecordingSegment(BaseRecordingSegment):
    """A segment over one in-memory array."""

    def __init__(self, traces: np.ndarray, sampling_frequency: float, t_start) -> None:
        super().__init__(sampling_frequency=sampling_frequency, t_start=t_start)
        self._traces = traces

    def get_num_samples(self) -> int:
        return self._traces.shape[0]

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        traces = self._traces[start_frame:end_frame]
        if channel_indices is None:
            return traces
        return traces[:, channel_indices]


class SharedMemoryRecording(BaseRecording):
    """A recording whose traces live in shared memory blocks (fast to send to other processes).

    Parameters
    ----------
    shm_names : list of str
        One shared-memory block name per segment.
    shape_list : list of tuple
        ``(num_samples, num_channels)`` of each segment.
    dtype : numpy dtype-like
    sampling_frequency : float
    channel_ids : array-like | None
    t_starts : list of float | None
    main_shm_owner : bool
        The owner unlinks the blocks when it is deleted; copies made from its dictionary are not
        owners.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "SharedMemory"
    mode = "memory"
    name = "SharedMemory"

    def __init__(
        self,
        shm_names,
        shape_list,
        dtype,
        sampling_frequency,
        channel_ids=None,
        t_starts=None,
        main_shm_owner: bool = True,
    ) -> None:
        if len(shm_names) != len(shape_list):
            raise ValueError("shm_names and shape_list must have one entry per segment")
        num_channels = shape_list[0][1]
        if channel_ids is None:
            channel_ids = np.arange(num_channels)
        super().__init__(sampling_frequency, channel_ids, dtype)
        self._shms = []
        for index, (name, shape) in enumerate(zip(shm_names, shape_list)):
            shm = SharedMemory(name=name, create=False)
            self._shms.append(shm)
            traces = np.ndarray(tuple(shape), dtype=self.dtype, buffer=shm.buf)
            t_start = None if t_starts is None else t_starts[index]
            self.add_recording_segment(
                NumpyRecordingSegment(traces, self.sampling_frequency, t_start)
            )
        self.main_shm_owner = main_shm_owner
        self._serializability["json"] = False
        self._serializability["pickle"] = False
        self._kwargs = {
            "shm_names": list(shm_names),
            "shape_list": [list(s) for s in shape_list],
            "dtype": self.dtype.str,
            "sampling_frequency": self.sampling_frequency,
            "channel_ids": self.channel_ids,
            "t_starts": t_starts,
            "main_shm_owner": False,
        }

    @property
    def shms(self) -> list[SharedMemory]:
        """The shared memory blocks, one per segment (SpikeInterface's attribute)."""
        return self._shms

    def __del__(self) -> None:
        self._recording_segments = []
        for shm in getattr(self, "_shms", []):
            try:
                shm.close()
                if self.main_shm_owner:
                    shm.unlink()
            except (FileNotFoundError, BufferError):
                pass

    @staticmethod
    def from_recording(
        source_recording: BaseRecording, progress_callback=None, cancel_token=None, **job_kwargs
    ) -> SharedMemoryRecording:
        """Copy ``source_recording`` into shared memory (chunked, with job keyword arguments)."""
        from ..jobs import split_job_kwargs
        from .writing import write_traces_to_arrays

        _, job_kwargs = split_job_kwargs(job_kwargs)
        job_kwargs.update(progress_callback=progress_callback, cancel_token=cancel_token)
        dtype = source_recording.get_dtype()
        shms, arrays, shapes = [], [], []
        for index in range(source_recording.get_num_segments()):
            shape = (source_recording.get_num_samples(index), source_recording.get_num_channels())
            nbytes = max(int(np.prod(shape)) * dtype.itemsize, 1)
            shm = SharedMemory(create=True, size=nbytes)
            shms.append(shm)
            shapes.append(shape)
            arrays.append(np.ndarray(shape, dtype=dtype, buffer=shm.buf))
        try:
            write_traces_to_arrays(source_recording, arrays, **job_kwargs)
            recording = SharedMemoryRecording(
                [shm.name for shm in shms],
                shapes,
                dtype,
                source_recording.sampling_frequency,
                channel_ids=source_recording.channel_ids,
                t_starts=_t_starts_of(source_recording),
                main_shm_owner=True,
            )
        finally:
            del arrays
            for shm in shms:
                shm.close()
        _copy_metadata_and_times(source_recording, recording)
        return recording


def _t_starts_of(recording: BaseRecording) -> list | None:
    t_starts = [segment.t_start for segment in recording._recording_segments]
    return None if all(t is None for t in t_starts) else t_starts


def _copy_metadata_and_times(source: BaseRecording, target: BaseRecording) -> None:
    source.copy_metadata(target)
    for source_segment, target_segment in zip(
        source._recording_segments, target._recording_segments
    ):
        if source_segment.time_vector is not None:
            target_segment.time_vector = np.asarray(source_segment.time_vector).copy()
            target_segment.t_start = None


register_extractor_class(NumpyRecording, "spikeinterface.core.numpyextractors.NumpyRecording")
register_extractor_class(
    SharedMemoryRecording, "spikeinterface.core.numpyextractors.SharedMemoryRecording"
)
