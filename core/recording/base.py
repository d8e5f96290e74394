"""BaseRecording and BaseRecordingSegment: traces, samples, durations and times."""

from __future__ import annotations

import math
import numbers
import warnings
from pathlib import Path

import numpy as np

from ..argument_checks import checked_frame
from ..base import BaseSegment
from .channels import BaseRecordingSnippets


class BaseRecording(BaseRecordingSnippets):
    """A multi-channel, multi-segment recording whose traces are read lazily by segments.

    Parameters
    ----------
    sampling_frequency : float
        Hz.
    channel_ids : array-like
        One id per channel.
    dtype : numpy dtype-like
        Dtype of the raw traces.
    """

    _skip_properties = [
        "noise_level_mad_raw",
        "noise_level_std_raw",
        "noise_level_mad_scaled",
        "noise_level_std_scaled",
    ]

    def __init__(self, sampling_frequency: float, channel_ids, dtype) -> None:
        super().__init__(sampling_frequency, channel_ids, dtype)
        self._recording_segments: list[BaseRecordingSegment] = []
        self.annotate(is_filtered=False)

    def __repr__(self) -> str:
        num_segments = self.get_num_segments()
        if num_segments == 1:
            duration = f"{self.get_num_samples(0)} samples - {self.get_total_duration():.2f}s"
        else:
            duration = f"{num_segments} segments - {self.get_total_duration():.2f}s"
        return (
            f"{type(self).__name__}: {self.get_num_channels()} channels - "
            f"{self.sampling_frequency / 1000:.1f}kHz - {duration} - {self.dtype}"
        )

    # ------------------------------------------------------------------ segments and sizes
    def get_num_segments(self) -> int:
        """Number of segments."""
        return len(self._recording_segments)

    def add_recording_segment(self, recording_segment: BaseRecordingSegment) -> None:
        """Append a segment and make this object its parent.

        Raises
        ------
        ValueError
            If the segment's time vector does not hold one time per sample.
        """
        if recording_segment.time_vector is not None:
            checked_time_vector(
                recording_segment.time_vector,
                recording_segment.get_num_samples(),
                f"segment {len(self._recording_segments)}'s time_vector",
            )
        self._recording_segments.append(recording_segment)
        recording_segment.set_parent_extractor(self)

    def get_num_samples(self, segment_index: int | None = None) -> int:
        """Number of samples of a segment."""
        segment_index = self._check_segment_index(segment_index)
        return int(self._recording_segments[segment_index].get_num_samples())

    get_num_frames = get_num_samples

    def get_total_samples(self) -> int:
        """Samples summed over segments."""
        return sum(self.get_num_samples(i) for i in range(self.get_num_segments()))

    def get_duration(self, segment_index: int | None = None) -> float:
        """Duration of a segment in seconds (samples / sampling frequency)."""
        return self.get_num_samples(segment_index) / self.sampling_frequency

    def get_total_duration(self) -> float:
        """Duration summed over segments in seconds."""
        return self.get_total_samples() / self.sampling_frequency

    def get_memory_size(self, segment_index: int | None = None) -> int:
        """Bytes of a segment's raw traces."""
        return self.get_num_samples(segment_index) * self.get_num_channels() * self.dtype.itemsize

    def get_total_memory_size(self) -> int:
        """Bytes of all raw traces."""
        return self.get_total_samples() * self.get_num_channels() * self.dtype.itemsize

    def has_scaled_traces(self) -> bool:
        """Whether traces can be returned in µV."""
        return self.has_scaled()

    # ------------------------------------------------------------------ traces
    def get_traces(
        self,
        segment_index: int | None = None,
        start_frame: int | None = None,
        end_frame: int | None = None,
        channel_ids=None,
        order: str | None = None,
        return_scaled: bool = False,
        cast_unsigned: bool = False,
    ) -> np.ndarray:
        """Read traces of one segment.

        Parameters
        ----------
        segment_index : int | None
            Required for multi-segment recordings.
        start_frame, end_frame : int | None
            Sample range ``[start_frame, end_frame)``; ``end_frame`` past the end is clipped.
        channel_ids : list | np.ndarray | tuple | None
            Channels, in the order wanted; None for all.
        order : {"C", "F", None}
            Memory layout of the result (None: as read).
        return_scaled : bool
            Return float32 µV using ``gain_to_uV`` and ``offset_to_uV``.
        cast_unsigned : bool
            Shift unsigned data to the signed type of the same size.

        Returns
        -------
        np.ndarray
            ``(num_samples, num_channels)``; may be a view of a memmap.
        """
        segment_index = self._check_segment_index(segment_index)
        segment = self._recording_segments[segment_index]
        num_samples = segment.get_num_samples()
        start_frame, end_frame = _resolve_frames(start_frame, end_frame, num_samples)
        channel_indices = self.ids_to_indices(channel_ids, prefer_slice=True)
        traces = segment.get_traces(
            start_frame=start_frame, end_frame=end_frame, channel_indices=channel_indices
        )
        if order is not None:
            if order not in ("C", "F"):
                raise ValueError(f"order must be 'C', 'F' or None, got {order!r}")
            traces = np.asanyarray(traces, order=order)
        if return_scaled:
            if not self.has_scaled():
                raise ValueError(
                    "This recording does not support return_scaled=True (need gain_to_uV and "
                    "offset_to_uV properties)"
                )
            gains = self.get_property("gain_to_uV")[channel_indices].astype("float32")
            offsets = self.get_property("offset_to_uV")[channel_indices].astype("float32")
            traces = traces.astype("float32", copy=False) * gains + offsets
        elif cast_unsigned and traces.dtype.kind == "u":
            traces = _cast_unsigned_to_signed(traces)
        return traces

    # ------------------------------------------------------------------ times
    def _segment(self, segment_index: int | None) -> BaseRecordingSegment:
        return self._recording_segments[self._check_segment_index(segment_index)]

    def get_times(self, segment_index: int | None = None) -> np.ndarray:
        """Time in seconds of every sample of a segment (float64)."""
        return self._segment(segment_index).get_times()

    def has_time_vector(self, segment_index: int | None = None) -> bool:
        """Whether a segment has an explicit time vector."""
        return self._segment(segment_index).time_vector is not None

    def get_time_info(self, segment_index: int | None = None) -> dict:
        """``{"sampling_frequency", "t_start", "time_vector"}`` of a segment."""
        return self._segment(segment_index).get_times_kwargs()

    def set_times(self, times, segment_index: int | None = None, with_warning: bool = True) -> None:
        """Give a segment an explicit time vector (one time in seconds per sample)."""
        segment = self._segment(segment_index)
        times = checked_time_vector(times, segment.get_num_samples(), "times")
        segment.time_vector = np.array(times, copy=True)  # never the caller's array
        segment.t_start = None
        if with_warning:
            warnings.warn(
                "Setting times with recording.set_times() is not recommended: "
                "times are not always propagated across preprocessing; use this "
                "carefully!",
                stacklevel=2,
            )

    def reset_times(self) -> None:
        """Drop time vectors and start times of every segment."""
        for segment in self._recording_segments:
            segment.time_vector = None
            segment.t_start = None

    def sample_index_to_time(self, sample_ind, segment_index: int | None = None):
        """Time in seconds of sample index (or indices)."""
        return self._segment(segment_index).sample_index_to_time(sample_ind)

    def time_to_sample_index(self, time_s, segment_index: int | None = None):
        """Sample index of a time in seconds (or an array of times)."""
        return self._segment(segment_index).time_to_sample_index(time_s)

    # ------------------------------------------------------------------ binary description
    def is_binary_compatible(self) -> bool:
        """Whether the traces are plain binary files (no conversion needed to read them)."""
        return False

    def get_binary_description(self) -> dict:
        """``file_paths, dtype, num_channels, time_axis, file_offset`` of binary recordings."""
        raise NotImplementedError(f"{type(self).__name__} is not binary compatible")

    def binary_compatible_with(
        self, dtype=None, time_axis=None, file_paths_lenght=None, file_offset=None, file_suffix=None
    ) -> bool:
        """Whether the binary files fit the given constraints (None = any)."""
        if not self.is_binary_compatible():
            return False
        description = self.get_binary_description()
        if dtype is not None and np.dtype(description["dtype"]) != np.dtype(dtype):
            return False
        if time_axis is not None and description["time_axis"] != time_axis:
            return False
        if file_paths_lenght is not None and len(description["file_paths"]) != file_paths_lenght:
            return False
        if file_offset is not None and description["file_offset"] != file_offset:
            return False
        if file_suffix is not None and not all(
            Path(p).suffix == file_suffix for p in description["file_paths"]
        ):
            return False
        return True

    # ------------------------------------------------------------------ views
    def channel_slice(self, channel_ids, renamed_channel_ids=None):
        """A lazy view on ``channel_ids`` (optionally renamed)."""
        from .slicing import ChannelSliceRecording

        return ChannelSliceRecording(
            self, channel_ids=channel_ids, renamed_channel_ids=renamed_channel_ids
        )

    def rename_channels(self, new_channel_ids):
        """A lazy view with every channel renamed."""
        if len(new_channel_ids) != self.get_num_channels():
            raise ValueError(
                f"new_channel_ids has {len(new_channel_ids)} ids for "
                f"{self.get_num_channels()} channels"
            )
        return self.channel_slice(self.channel_ids, renamed_channel_ids=new_channel_ids)

    def frame_slice(self, start_frame: int | None, end_frame: int | None):
        """A lazy view on samples ``[start_frame, end_frame)`` of a mono-segment recording."""
        from .slicing import FrameSliceRecording

        return FrameSliceRecording(self, start_frame=start_frame, end_frame=end_frame)

    def select_segments(self, segment_indices):
        """A lazy view on some segments."""
        from .segments import SelectSegmentRecording

        return SelectSegmentRecording(self, segment_indices=segment_indices)

    def astype(self, dtype):
        """A lazy view casting traces to ``dtype``."""
        from .slicing import AstypeRecording

        return AstypeRecording(self, dtype=dtype)

    # ------------------------------------------------------------------ saving
    def _saved_folder_class_path(self) -> str:
        return "spikeinterface.core.binaryfolder.BinaryFolderRecording"

    def _save_data_to_folder(
        self,
        folder: Path,
        format: str | None = None,
        dtype=None,
        progress_callback=None,
        cancel_token=None,
        **job_kwargs,
    ) -> None:
        from ..jobs import split_job_kwargs
        from .binary import write_binary_folder_data

        if format not in (None, "binary"):
            raise ValueError(f"recordings save to 'binary', 'zarr' or 'memory', not {format!r}")
        _, job_kwargs = split_job_kwargs(job_kwargs)
        write_binary_folder_data(
            self,
            folder,
            dtype=dtype,
            progress_callback=progress_callback,
            cancel_token=cancel_token,
            **job_kwargs,
        )
        self.save_probe_to_folder(folder)
        self.save_times_to_folder(folder)

    def save_times_to_folder(self, folder: str | Path) -> None:
        """Write ``times_cached_seg{N}.npy`` for segments with a time vector."""
        for index, segment in enumerate(self._recording_segments):
            if segment.time_vector is not None:
                np.save(Path(folder) / f"times_cached_seg{index}.npy", segment.time_vector)

    def load_metadata_from_folder(self, folder_metadata, allow_pickle: bool = False) -> None:
        """Apply the probe, time vectors and property files of a saved folder."""
        folder = Path(folder_metadata)
        self.load_probe_from_folder(folder)
        for index, segment in enumerate(self._recording_segments):
            times_file = folder / f"times_cached_seg{index}.npy"
            if times_file.is_file():
                segment.time_vector = checked_time_vector(
                    np.load(times_file), segment.get_num_samples(), times_file
                )
                segment.t_start = None
        super().load_metadata_from_folder(folder, allow_pickle=allow_pickle)

    def _save_to_memory(self, sharedmem: bool = True, **save_kwargs):
        from .numpy import NumpyRecording, SharedMemoryRecording

        cls = SharedMemoryRecording if sharedmem else NumpyRecording
        return cls.from_recording(self, **save_kwargs)

    def save_to_zarr(
        self,
        name=None,
        folder=None,
        overwrite: bool = False,
        storage_options=None,
        channel_chunk_size=None,
        verbose: bool = True,
        **save_kwargs,
    ):
        """Write a zarr store and return the recording read from it.

        The folder name gets the ``.zarr`` suffix. ``compressor`` (default Blosc zstd level 5 with
        bit shuffle), ``filters``, ``compressor_by_dataset``/``filters_by_dataset``, ``dtype``,
        ``auto_cast_uint`` and job keyword arguments are accepted.
        """
        from .zarr import save_recording_to_zarr

        return save_recording_to_zarr(
            self,
            name=name,
            folder=folder,
            overwrite=overwrite,
            storage_options=storage_options,
            channel_chunk_size=channel_chunk_size,
            verbose=verbose,
            **save_kwargs,
        )


class BaseRecordingSegment(BaseSegment):
    """One continuous piece of a recording.

    Subclasses implement ``get_num_samples()`` and ``get_traces(start_frame, end_frame,
    channel_indices)``.

    Parameters
    ----------
    sampling_frequency : float | None
        Hz; may be None only when ``time_vector`` is given.
    t_start : float | None
        Time of the first sample in seconds.
    time_vector : np.ndarray | None
        Time of every sample in seconds.
    """

    def __init__(
        self,
        sampling_frequency: float | None = None,
        t_start: float | None = None,
        time_vector: np.ndarray | None = None,
    ) -> None:
        if sampling_frequency is None and time_vector is None:
            raise ValueError("a segment needs sampling_frequency or time_vector")
        if time_vector is not None:
            time_vector = np.asarray(time_vector, dtype="float64")
            if time_vector.ndim != 1:
                raise ValueError("time_vector must be one-dimensional")
        self.sampling_frequency = sampling_frequency
        self.t_start = t_start
        self.time_vector = time_vector

    def get_num_samples(self) -> int:
        """Number of samples."""
        raise NotImplementedError

    def get_traces(
        self, start_frame: int | None = None, end_frame: int | None = None, channel_indices=None
    ) -> np.ndarray:
        """Traces ``(end_frame - start_frame, num_selected_channels)``."""
        raise NotImplementedError

    def get_times_kwargs(self) -> dict:
        """``{"sampling_frequency", "t_start", "time_vector"}``."""
        return {
            "sampling_frequency": self.sampling_frequency,
            "t_start": self.t_start,
            "time_vector": self.time_vector,
        }

    def get_times(self) -> np.ndarray:
        """Time of every sample in seconds."""
        if self.time_vector is not None:
            return np.asarray(self.time_vector, dtype="float64")
        times = np.arange(self.get_num_samples(), dtype="float64") / self.sampling_frequency
        return times + (self.t_start or 0.0)

    def sample_index_to_time(self, sample_ind):
        """Time in seconds of sample index (or indices)."""
        if self.time_vector is not None:
            return self.time_vector[sample_ind]
        return np.divide(sample_ind, self.sampling_frequency) + (self.t_start or 0.0)

    def time_to_sample_index(self, time_s):
        """Index of the last sample at or before ``time_s`` (scalars or arrays)."""
        if self.time_vector is not None:
            index = np.searchsorted(self.time_vector, time_s, side="right") - 1
        else:
            index = np.floor(
                (np.asarray(time_s, dtype="float64") - (self.t_start or 0.0))
                * self.sampling_frequency
                + 1e-9
            ).astype("int64")
        return int(index) if np.ndim(index) == 0 else index


def checked_t_starts(t_starts, num_segments: int) -> list[float | None] | None:
    """Start times in seconds, one per segment (None entries allowed), or None.

    Raises
    ------
    TypeError
        If it is not a list of numbers (or None).
    ValueError
        If it does not hold one value per segment, or a value is not finite.
    """
    if t_starts is None:
        return None
    if isinstance(t_starts, str) or np.ndim(t_starts) != 1:
        raise TypeError(f"t_starts must be a list of start times in seconds, got {t_starts!r}")
    if len(t_starts) != num_segments:
        raise ValueError(f"t_starts has {len(t_starts)} values for {num_segments} segments")
    checked = []
    for value in t_starts:
        if value is None:
            checked.append(None)
            continue
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            raise TypeError(f"t_starts must hold numbers of seconds, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"t_starts must hold finite numbers of seconds, got {value}")
        checked.append(float(value))
    return checked


def checked_time_vector(times, num_samples: int, source) -> np.ndarray:
    """``times`` as float64 seconds, one per sample of a segment of ``num_samples`` samples.

    Parameters
    ----------
    times : array-like
        Candidate time vector.
    num_samples : int
        Samples of the segment it belongs to.
    source : str | Path
        The argument or file it comes from, for messages.

    Returns
    -------
    np.ndarray

    Raises
    ------
    TypeError
        If the values are not numbers.
    ValueError
        If it is not one-dimensional or its length is not ``num_samples``.
    """
    times = np.asarray(times)
    if times.dtype.kind not in "iuf":
        raise TypeError(f"{source}: times must be numbers (seconds), got dtype {times.dtype}")
    if times.ndim != 1:
        raise ValueError(f"{source}: times must be one-dimensional, got shape {times.shape}")
    if times.size != num_samples:
        raise ValueError(
            f"{source}: {times.size} times for a segment of {num_samples} samples "
            "(one time per sample expected)"
        )
    return times.astype("float64", copy=False)


def _resolve_frames(start_frame, end_frame, num_samples: int) -> tuple[int, int]:
    start_frame = checked_frame(start_frame, "start_frame")
    end_frame = checked_frame(end_frame, "end_frame")
    start_frame = 0 if start_frame is None else start_frame
    end_frame = num_samples if end_frame is None else min(end_frame, num_samples)
    if start_frame < 0:
        raise ValueError(f"start_frame {start_frame} is negative")
    if start_frame > num_samples:
        raise ValueError(
            f"start_frame {start_frame} is past the end of the segment ({num_samples} samples)"
        )
    if end_frame < start_frame:
        raise ValueError(f"end_frame {end_frame} is before start_frame {start_frame}")
    return start_frame, end_frame


def _cast_unsigned_to_signed(traces: np.ndarray) -> np.ndarray:
    if traces.dtype.itemsize == 8:
        raise TypeError("uint64 traces cannot be cast to a signed type of the same size")
    signed = np.dtype(f"int{traces.dtype.itemsize * 8}")
    shift = 2 ** (traces.dtype.itemsize * 8 - 1)
    return (traces.astype(np.int64) - shift).astype(signed)
