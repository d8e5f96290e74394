"""Raw binary recordings: BinaryRecordingExtractor (read_binary) and BinaryFolderRecording."""

from __future__ import annotations

import mmap
import warnings
from pathlib import Path

import numpy as np

from ..argument_checks import checked_numeric_dtype, checked_whole_number
from ..extractor_dict import read_extractor_json
from ..registry import register_extractor_class
from .base import BaseRecording, BaseRecordingSegment, checked_t_starts, checked_time_vector
from .file_reads import read_rows
from .mapped_file import check_file_not_truncated
from .writing import write_binary_recording

# Every page of a window is read anyway (channels are interleaved): populating the mapping in one
# call costs far less than one page fault per 4 kB page, and keeps threads off the fault path.
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
# Windows up to this size are read with one pread instead: a viewer reads many short windows
# (one per spike) scattered over hours, and a mapping populates uncached pages one fault at a
# time (~4 ms for a 69 kB window on a cold disk, 0.2 ms with one read). And Python holds the GIL
# through ``mmap.mmap`` (its MAP_POPULATE reads the whole window: 45 ms for 64 MB of a cold
# file, every other thread, the GUI thread included, waiting), where ``os.preadv`` releases it:
# the chunks of noise levels and extraction (a few MB) are read so.
_SMALL_READ_BYTES = 64 << 20


class BinaryRecordingExtractor(BaseRecording):
    """A recording stored in headerless binary files, one per segment, read through memmaps.

    Parameters
    ----------
    file_paths : str | Path | list
        One file per segment.
    sampling_frequency : float
        Hz.
    dtype : numpy dtype-like
        Dtype of the stored values.
    num_channels : int
        Channels interleaved in the file.
    t_starts : list of float | None
        Start time of each segment in seconds.
    channel_ids : array-like | None
        Defaults to ``0..num_channels-1``.
    time_axis : {0, 1}
        0: file is ``(samples, channels)``; 1: ``(channels, samples)``.
    file_offset : int
        Header bytes to skip.
    gain_to_uV, offset_to_uV : float | array-like | None
        Scaling to µV (scalar or per channel).
    is_filtered : bool | None
        Sets the ``is_filtered`` annotation when not None.
    num_chan : int | None
        Deprecated spelling of ``num_channels``.
    file_timestamps_paths : list | None
        One ``.npy`` time vector per segment (written by SpikeInterface >= 0.105).
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "BinaryRecording"
    mode = "file"
    name = "binary"

    def __init__(
        self,
        file_paths,
        sampling_frequency,
        dtype,
        num_channels=None,
        t_starts=None,
        channel_ids=None,
        time_axis=0,
        file_offset=0,
        gain_to_uV=None,
        offset_to_uV=None,
        is_filtered=None,
        num_chan=None,
        file_timestamps_paths=None,
    ) -> None:
        if num_chan is not None:
            warnings.warn(
                "num_chan is deprecated: use num_channels", DeprecationWarning, stacklevel=2
            )
            num_channels = num_chan if num_channels is None else num_channels
        if num_channels is None:
            raise TypeError("read_binary() needs num_channels")
        num_channels = checked_whole_number(num_channels, "num_channels")
        if num_channels <= 0:
            raise ValueError(f"num_channels must be positive, got {num_channels}")
        if isinstance(time_axis, bool) or time_axis not in (0, 1):
            raise ValueError(f"time_axis must be 0 or 1, got {time_axis!r}")
        file_offset = checked_whole_number(file_offset, "file_offset")
        if file_offset < 0:
            raise ValueError(f"file_offset must be >= 0 (header bytes to skip), got {file_offset}")
        file_paths = _checked_file_paths(file_paths)
        if channel_ids is None:
            channel_ids = list(range(num_channels))
        if np.ndim(channel_ids) != 1 or len(channel_ids) != num_channels:
            raise ValueError(
                f"channel_ids must hold one id per channel ({num_channels}), got {channel_ids!r}"
            )
        t_starts = checked_t_starts(t_starts, len(file_paths))
        dtype = checked_numeric_dtype(dtype)
        super().__init__(sampling_frequency, channel_ids, dtype)
        for index, path in enumerate(file_paths):
            t_start = None if t_starts is None else t_starts[index]
            self.add_recording_segment(
                BinaryRecordingSegment(
                    path,
                    self.sampling_frequency,
                    t_start,
                    num_channels,
                    dtype,
                    time_axis,
                    file_offset,
                )
            )
        if file_timestamps_paths is not None:
            if len(file_timestamps_paths) != len(file_paths):
                raise ValueError(
                    f"file_timestamps_paths has {len(file_timestamps_paths)} files "
                    f"for {len(file_paths)} segments"
                )
            for segment, times_path in zip(self._recording_segments, file_timestamps_paths):
                if times_path is not None:
                    segment.time_vector = checked_time_vector(
                        np.load(times_path), segment.get_num_samples(), times_path
                    )
                    segment.t_start = None
        if is_filtered is not None:
            self.annotate(is_filtered=bool(is_filtered))
        if gain_to_uV is not None:
            self.set_channel_gains(gain_to_uV)
        if offset_to_uV is not None:
            self.set_channel_offsets(offset_to_uV)
        self._kwargs = {
            "file_paths": [str(p.absolute()) for p in file_paths],
            "sampling_frequency": self.sampling_frequency,
            "t_starts": t_starts,
            "num_channels": num_channels,
            "dtype": dtype.str,
            "channel_ids": self.channel_ids,
            "time_axis": time_axis,
            "file_offset": file_offset,
            "gain_to_uV": _list_or_none(gain_to_uV),
            "offset_to_uV": _list_or_none(offset_to_uV),
            "is_filtered": is_filtered,
        }
        if file_timestamps_paths is not None:
            self._kwargs["file_timestamps_paths"] = [
                None if p is None else str(Path(p).absolute()) for p in file_timestamps_paths
            ]

    @staticmethod
    def write_recording(recording: BaseRecording, file_paths, dtype=None, **job_kwargs):
        """Write ``recording`` to binary files (see `write_binary_recording`)."""
        return write_binary_recording(recording, file_paths, dtype=dtype, **job_kwargs)

    def is_binary_compatible(self) -> bool:
        return True

    def get_binary_description(self) -> dict:
        first = self._recording_segments[0]
        return {
            "file_paths": [str(s.file_path) for s in self._recording_segments],
            "dtype": self.dtype,
            "num_channels": self.get_num_channels(),
            "time_axis": first.time_axis,
            "file_offset": first.file_offset,
        }


class BinaryRecordingSegment(BaseRecordingSegment):
    """One binary file, memory-mapped on each read (no file handle is kept open)."""

    def __init__(
        self,
        file_path: Path,
        sampling_frequency: float,
        t_start,
        num_channels: int,
        dtype: np.dtype,
        time_axis: int,
        file_offset: int,
    ) -> None:
        super().__init__(sampling_frequency=sampling_frequency, t_start=t_start)
        if file_path.is_dir():
            raise FileNotFoundError(
                f"{file_path} is a folder: file_paths takes the raw files themselves "
                "(read_binary_folder opens a folder saved with save())"
            )
        if not file_path.is_file():
            raise FileNotFoundError(f"{file_path}: binary file not found")
        self.file_path = file_path
        self.num_channels = num_channels
        self.dtype = dtype
        self.time_axis = time_axis
        self.file_offset = file_offset
        file_size = file_path.stat().st_size
        if file_size < file_offset:
            raise ValueError(
                f"{file_path}: file_offset {file_offset} is past the end of the "
                f"file ({file_size} bytes)"
            )
        frame_bytes = num_channels * dtype.itemsize
        data_bytes = file_size - file_offset
        self._num_samples = data_bytes // frame_bytes
        if data_bytes % frame_bytes:
            raise ValueError(
                f"{file_path}: {data_bytes} data bytes (after file_offset {file_offset}) is not "
                f"a whole number of frames of {num_channels} channels x {dtype.itemsize} bytes "
                f"({dtype}): {data_bytes % frame_bytes} bytes left over. Check dtype, "
                "num_channels and file_offset."
            )

    def get_num_samples(self) -> int:
        return self._num_samples

    def get_traces(self, start_frame=None, end_frame=None, channel_indices=None) -> np.ndarray:
        start = 0 if start_frame is None else start_frame
        end = self._num_samples if end_frame is None else end_frame
        self._check_file_size()
        if self.time_axis == 0:
            traces = self._memmap_rows(start, end)
            return traces if channel_indices is None else traces[:, channel_indices]
        full = np.memmap(
            self.file_path,
            dtype=self.dtype,
            mode="r",
            offset=self.file_offset,
            shape=(self.num_channels, self._num_samples),
        )
        traces = full[:, start:end].T
        return traces if channel_indices is None else traces[:, channel_indices]

    def _check_file_size(self) -> None:
        """Refuse to read a file that shrank since it was opened (reading it would crash)."""
        expected = self.file_offset + self._num_samples * self.num_channels * self.dtype.itemsize
        check_file_not_truncated(self.file_path, expected)

    def _memmap_rows(self, start: int, end: int) -> np.ndarray:
        frame_bytes = self.num_channels * self.dtype.itemsize
        if end <= start:
            return np.zeros((0, self.num_channels), dtype=self.dtype)
        byte_start = self.file_offset + start * frame_bytes
        if (end - start) * frame_bytes <= _SMALL_READ_BYTES:
            return self._read_rows(byte_start, end - start)
        # mmap offsets must be page-aligned: map from the page before and skip the remainder
        aligned = byte_start - byte_start % mmap.ALLOCATIONGRANULARITY
        length = byte_start - aligned + (end - start) * frame_bytes
        with open(self.file_path, "rb") as file:
            mapped = mmap.mmap(
                file.fileno(), length, flags=_MAP_FLAGS, prot=mmap.PROT_READ, offset=aligned
            )
        return np.ndarray(
            (end - start, self.num_channels),
            dtype=self.dtype,
            buffer=mapped,
            offset=byte_start - aligned,
        )

    def _read_rows(self, byte_start: int, num_rows: int) -> np.ndarray:
        return read_rows(self.file_path, byte_start, num_rows, self.num_channels, self.dtype)


class BinaryFolderRecording(BinaryRecordingExtractor):
    """A recording saved by ``save(format="binary")``: ``binary.json`` plus raw files.

    Parameters
    ----------
    folder_path : str | Path
        The saved folder.
    """

    # SpikeInterface 0.100's descriptive class attributes
    extractor_name = "BinaryFolder"
    mode = "folder"
    name = "binaryfolder"

    def __init__(self, folder_path) -> None:
        folder_path = Path(folder_path)
        description = read_extractor_json(folder_path / "binary.json")
        kwargs = dict(description["kwargs"])
        resolve = (
            _relative_to(folder_path)
            if description.get("relative_paths")
            else _existing_or_local(folder_path)
        )
        kwargs["file_paths"] = [resolve(p) for p in kwargs["file_paths"]]
        if kwargs.get("file_timestamps_paths") is not None:
            kwargs["file_timestamps_paths"] = [
                None if p is None else resolve(p) for p in kwargs["file_timestamps_paths"]
            ]
        super().__init__(**kwargs)
        self.load_metadata_from_folder(folder_path)
        self._kwargs = {"folder_path": str(folder_path.absolute())}


def _relative_to(folder: Path):
    """Resolve a relative path (either separator) against ``folder``."""
    return lambda path: str(folder / path.replace("\\", "/"))


def _existing_or_local(folder: Path):
    """Keep an absolute path that exists; else use the file of that name inside ``folder``."""
    return lambda path: (
        path if Path(path).is_file() else str(folder / Path(path.replace("\\", "/")).name)
    )


def _checked_file_paths(file_paths) -> list[Path]:
    """One path per segment, at least one."""
    if isinstance(file_paths, str | Path):
        return [Path(file_paths)]
    if not isinstance(file_paths, list | tuple):
        raise TypeError(
            f"file_paths must be a path or a list of paths (one per segment), got "
            f"{type(file_paths).__name__}"
        )
    if len(file_paths) == 0:
        raise ValueError("file_paths is empty: give one binary file per segment")
    for path in file_paths:
        if not isinstance(path, str | Path):
            raise TypeError(f"file_paths must hold paths, got {path!r}")
    return [Path(p) for p in file_paths]


def _list_or_none(values):
    if values is None:
        return None
    values = np.asarray(values, dtype=float)
    return values.tolist() if values.ndim else float(values)


def write_binary_folder_data(
    recording: BaseRecording, folder: Path, dtype=None, **job_kwargs
) -> None:
    """Write ``traces_cached_seg{N}.raw`` and ``binary.json`` of a binary recording folder."""
    file_names = [f"traces_cached_seg{i}.raw" for i in range(recording.get_num_segments())]
    write_binary_recording(
        recording, [folder / name for name in file_names], dtype=dtype, **job_kwargs
    )
    saved_dtype = recording.get_dtype() if dtype is None else np.dtype(dtype)
    t_starts = [segment.t_start for segment in recording._recording_segments]
    from ..json_io import write_json
    from ..version import SPIKEINTERFACE_COMPAT_VERSION, __version__

    gains = recording.get_channel_gains()
    offsets = recording.get_channel_offsets()
    description = {
        "class": "spikeinterface.core.binaryrecordingextractor.BinaryRecordingExtractor",
        "module": "spikeinterface",
        "kwargs": {
            "file_paths": file_names,
            "sampling_frequency": recording.sampling_frequency,
            "t_starts": None if all(t is None for t in t_starts) else t_starts,
            "num_channels": recording.get_num_channels(),
            "dtype": saved_dtype.str,
            "channel_ids": recording.channel_ids,
            "time_axis": 0,
            "file_offset": 0,
            "gain_to_uV": None if gains is None else gains.astype(float),
            "offset_to_uV": None if offsets is None else offsets.astype(float),
            "is_filtered": None,
        },
        "version": SPIKEINTERFACE_COMPAT_VERSION,
        "spikedesk_version": __version__,
        "annotations": {"is_filtered": recording.is_filtered()},
        "properties": {
            "group": None,
            "location": None,
            "gain_to_uV": None if gains is None else gains.astype(float),
            "offset_to_uV": None if offsets is None else offsets.astype(float),
        },
        "relative_paths": True,
    }
    write_json(folder / "binary.json", description)


register_extractor_class(
    BinaryRecordingExtractor,
    "spikeinterface.core.binaryrecordingextractor.BinaryRecordingExtractor",
)
register_extractor_class(
    BinaryFolderRecording, "spikeinterface.core.binaryfolder.BinaryFolderRecording"
)

read_binary = BinaryRecordingExtractor
read_binary_folder = BinaryFolderRecording
