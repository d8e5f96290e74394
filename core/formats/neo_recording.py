"""Recordings of any format neo's ``rawio`` layer reads: NeoRecording, read_neo, read_neo_all.

Opening parses headers only; traces are read window by window. Streams that neo describes as
plain interleaved raw files (SpikeGLX, Open Ephys binary) are read through the same memory maps
as a bare ``np.memmap``; every other stream goes through ``get_analogsignal_chunk``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..opening import PRIORITY_RAW, OpenOptions, register_opener
from ..recording.base import BaseRecording, BaseRecordingSegment
from ..recording.mapped_file import MappedRawFile
from ..registry import register_extractor_class
from .neo_rawio import detect_rawio_class, open_rawio, select_stream

if TYPE_CHECKING:  # neo is imported when a file is opened: `import core` stays quick
    from neo.rawio.baserawio import BaseRawIO

_TO_MICROVOLTS = {"V": 1e6, "Volt": 1e6, "volt": 1e6, "mV": 1e3, "uV": 1.0, "µV": 1.0, "μV": 1.0}
# rawios whose "raw" buffers list channels in file-column order, so columns can be memory-mapped
_BINARY_RAWIOS = ("SpikeGLXRawIO", "OpenEphysBinaryRawIO")


class NeoRecording(BaseRecording):
    """A lazy recording of one signal stream of anything neo's rawio layer reads.

    Parameters
    ----------
    file_or_folder_path : str | Path
        File or folder of the recording.
    stream_id, stream_name : str | None
        The stream to read; required (one of them) when there are several.
    block_index : int
        neo block (e.g. Open Ephys experiment); its segments become the recording's segments.
    rawio_class : str | None
        Name of a class in ``neo.rawio.rawiolist``; guessed from the path if None.
    all_annotations : bool
        Also copy neo's stream annotations (as annotations) and per-channel array annotations
        (as properties).

    Notes
    -----
    Channel ids are neo's channel ids (SpikeGLX ``"imec0.ap#AP0"``, Intan ``"A-000"``). Voltage
    channels get ``gain_to_uV``/``offset_to_uV`` in µV; other channels keep neo's gains (to their
    own unit). The ``physical_unit`` property says which unit scaled traces are in.
    """

    def __init__(
        self,
        file_or_folder_path: str | Path,
        stream_id: str | None = None,
        stream_name: str | None = None,
        block_index: int = 0,
        rawio_class: str | None = None,
        all_annotations: bool = False,
    ) -> None:
        path = Path(file_or_folder_path)
        rawio = open_rawio(path, rawio_class)
        index = select_stream(rawio, path, stream_id, stream_name)
        self._init_streams(rawio, path, block_index, [index], all_annotations)
        self._kwargs = {
            "file_or_folder_path": str(path.absolute()),
            "stream_id": self.stream_id,
            "stream_name": stream_name,
            "block_index": block_index,
            "rawio_class": type(rawio).__name__,
            "all_annotations": all_annotations,
        }

    def _init_streams(
        self,
        rawio: BaseRawIO,
        path: Path,
        block_index: int,
        stream_indices: list[int],
        all_annotations: bool,
    ) -> None:
        """Build the recording from the channels of ``stream_indices`` (same rate, same buffer)."""
        if not 0 <= block_index < rawio.block_count():
            raise ValueError(
                f"{path}: block_index {block_index} out of range ({rawio.block_count()} blocks)"
            )
        streams = rawio.header["signal_streams"]
        all_channels = rawio.header["signal_channels"]
        channels = np.concatenate(
            [all_channels[all_channels["stream_id"] == streams["id"][i]] for i in stream_indices]
        )
        self.neo_reader = rawio
        self.stream_id = str(streams["id"][stream_indices[0]])
        self.stream_name = str(streams["name"][stream_indices[0]])
        sampling_frequency = rawio.get_signal_sampling_rate(stream_indices[0])
        BaseRecording.__init__(
            self, sampling_frequency, channels["id"].astype(str), channels["dtype"][0]
        )
        for seg_index in range(rawio.segment_count(block_index)):
            self.add_recording_segment(
                _make_segment(
                    rawio, block_index, seg_index, stream_indices, channels, sampling_frequency
                )
            )
        units = channels["units"].astype(str)
        scale = np.array([_TO_MICROVOLTS.get(u, 1.0) for u in units])
        self.set_channel_gains(channels["gain"] * scale)
        self.set_channel_offsets(channels["offset"] * scale)
        self.set_property(
            "physical_unit", np.where([u in _TO_MICROVOLTS for u in units], "uV", units)
        )
        self.set_property("channel_names", channels["name"].astype(str))
        if all_annotations:
            self._copy_neo_annotations(block_index, stream_indices[0])

    def _copy_neo_annotations(self, block_index: int, stream_index: int) -> None:
        annotations = self.neo_reader.raw_annotations["blocks"][block_index]["segments"][0][
            "signals"
        ][stream_index]
        for key, value in annotations.items():
            if key == "__array_annotations__":
                for name, values in value.items():
                    if len(values) == self.get_num_channels() and name != "channel_ids":
                        self.set_property(name, np.asarray(values))
            elif isinstance(value, str | int | float | bool | np.generic):
                self.annotate(**{key: value})


def _make_segment(
    rawio: BaseRawIO,
    block_index: int,
    seg_index: int,
    stream_indices: list[int],
    channels: np.ndarray,
    sampling_frequency: float,
) -> BaseRecordingSegment:
    stream_index = stream_indices[0]
    t_start = float(rawio.get_signal_t_start(block_index, seg_index, stream_index))
    buffer = _raw_buffer(rawio, block_index, seg_index, stream_indices, channels)
    if buffer is not None:
        return NeoBinaryRecordingSegment(
            sampling_frequency=sampling_frequency, t_start=t_start, **buffer
        )
    if len(stream_indices) > 1:
        raise ValueError("streams can be read together only when they share one raw buffer file")
    return NeoRecordingSegment(
        rawio,
        block_index,
        seg_index,
        stream_index,
        sampling_frequency=sampling_frequency,
        t_start=t_start,
        num_samples=int(rawio.get_signal_size(block_index, seg_index, stream_index)),
        num_channels=len(channels),
        dtype=np.dtype(channels["dtype"][0]),
    )


def _raw_buffer(
    rawio: BaseRawIO,
    block_index: int,
    seg_index: int,
    stream_indices: list[int],
    channels: np.ndarray,
) -> dict | None:
    """File, layout and columns of the streams when they are columns of one interleaved raw file."""
    streams = rawio.header["signal_streams"]
    buffer_ids = {str(streams["buffer_id"][i]) for i in stream_indices}
    if type(rawio).__name__ not in _BINARY_RAWIOS or len(buffer_ids) != 1:
        return None
    buffer_id = buffer_ids.pop()
    description = rawio.get_analogsignal_buffer_description(block_index, seg_index, buffer_id)
    if (
        description["type"] != "raw"
        or description.get("time_axis", 0) != 0
        or description["order"] != "C"
    ):
        return None
    buffer_channel_ids = rawio.header["signal_channels"]
    buffer_channel_ids = list(
        buffer_channel_ids["id"][buffer_channel_ids["buffer_id"] == buffer_id]
    )
    return {
        "file_path": Path(description["file_path"]),
        "num_samples": int(description["shape"][0]),
        "num_channels": int(description["shape"][1]),
        "dtype": np.dtype(description["dtype"]),
        "file_offset": int(description["file_offset"]),
        "columns": np.array([buffer_channel_ids.index(c) for c in channels["id"]]),
    }


class NeoRecordingSegment(BaseRecordingSegment):
    """One neo segment of one stream, read with ``get_analogsignal_chunk``."""

    def __init__(
        self,
        rawio: BaseRawIO,
        block_index: int,
        seg_index: int,
        stream_index: int,
        sampling_frequency: float,
        t_start: float,
        num_samples: int,
        num_channels: int,
        dtype: np.dtype,
    ) -> None:
        super().__init__(sampling_frequency=sampling_frequency, t_start=t_start)
        self._rawio = rawio
        self._where = {
            "block_index": block_index,
            "seg_index": seg_index,
            "stream_index": stream_index,
        }
        self._num_samples = num_samples
        self._num_channels = num_channels
        self._dtype = dtype

    def get_num_samples(self) -> int:
        return self._num_samples

    def get_traces(
        self, start_frame: int, end_frame: int, channel_indices: slice | np.ndarray | None
    ) -> np.ndarray:
        if end_frame <= start_frame:  # neo would read everything: it takes i_stop=0 as "no bound"
            selected = np.arange(self._num_channels)[
                slice(None) if channel_indices is None else channel_indices
            ]
            return np.zeros((0, selected.size), dtype=self._dtype)
        return self._rawio.get_analogsignal_chunk(
            **self._where, i_start=start_frame, i_stop=end_frame, channel_indexes=channel_indices
        )


class NeoBinaryRecordingSegment(BaseRecordingSegment):
    """Some columns of an interleaved raw file that neo describes, read through one memory map.

    Read through a `MappedRawFile`, like `BinaryRecordingExtractor`.
    """

    def __init__(
        self,
        file_path: Path,
        sampling_frequency: float,
        t_start: float,
        num_samples: int,
        num_channels: int,
        dtype: np.dtype,
        file_offset: int,
        columns: np.ndarray,
    ) -> None:
        super().__init__(sampling_frequency=sampling_frequency, t_start=t_start)
        self.file_path = file_path
        self.num_channels = num_channels
        self.dtype = dtype
        self.file_offset = file_offset
        self._num_samples = num_samples
        self._columns = columns
        contiguous = columns.size > 0 and np.array_equal(
            columns, np.arange(columns[0], columns[0] + columns.size)
        )
        self._column_range = range(columns[0], columns[-1] + 1) if contiguous else None
        self._rows = MappedRawFile(file_path, dtype, num_channels, file_offset, num_samples)

    def get_num_samples(self) -> int:
        return self._num_samples

    def get_traces(
        self, start_frame: int, end_frame: int, channel_indices: slice | np.ndarray | None
    ) -> np.ndarray:
        rows = self._rows.rows(start_frame, end_frame)
        if channel_indices is None:
            channel_indices = slice(None)
        if isinstance(channel_indices, slice) and self._column_range is not None:
            selected = self._column_range[channel_indices]  # a slice keeps the result a view
            return rows[:, selected.start : selected.stop : selected.step]
        return rows[:, self._columns[channel_indices]]


def read_neo(
    file_or_folder_path: str | Path,
    stream_id: str | None = None,
    stream_name: str | None = None,
    block_index: int = 0,
    rawio_class: str | None = None,
    all_annotations: bool = False,
) -> NeoRecording:
    """Open one stream of a file or folder neo reads (see `NeoRecording`)."""
    return NeoRecording(
        file_or_folder_path, stream_id, stream_name, block_index, rawio_class, all_annotations
    )


def read_neo_all(path: str | Path) -> dict:
    """The first signal stream and the events of a raw acquisition file or folder.

    The first stream is the one neo lists first: the imec AP band for SpikeGLX (streams are sorted
    by rate), the first continuous stream of the first experiment for Open Ephys, the amplifier
    channels for Intan. Each format goes through its own reader, so probes are attached.

    Parameters
    ----------
    path : str | Path
        What `detect_rawio_class` recognises.

    Returns
    -------
    dict
        ``{"recording": ...}`` plus ``"events"`` when there are event channels.
    """
    from .intan import IntanRecordingExtractor
    from .openephys import OpenEphysBinaryEventExtractor, OpenEphysBinaryRecordingExtractor
    from .spikeglx import SpikeGLXEventExtractor, SpikeGLXRecordingExtractor

    path = Path(path)
    rawio_class = detect_rawio_class(path)
    if rawio_class == "SpikeGLXRawIO":
        folder = path if path.is_dir() else path.parent
        first = str(open_rawio(folder, rawio_class).header["signal_streams"]["id"][0])
        recording = SpikeGLXRecordingExtractor(folder, stream_id=first)
        events = SpikeGLXEventExtractor(folder)
    elif rawio_class == "OpenEphysBinaryRawIO":  # stream ids are "0", "1"... in folder order
        recording = OpenEphysBinaryRecordingExtractor(path, stream_id="0", block_index=0)
        events = OpenEphysBinaryEventExtractor(path, block_index=0)
    else:  # Intan: "0" is the amplifier stream; the header is parsed once (it reads every block)
        recording, events = IntanRecordingExtractor(path, stream_id="0"), None
    if events is None or events.get_num_channels() == 0:
        return {"recording": recording}
    return {"recording": recording, "events": events}


register_extractor_class(NeoRecording)


def is_raw_acquisition(path: Path) -> bool:
    """Whether ``path`` is a raw acquisition file or folder neo reads here."""
    try:
        detect_rawio_class(path)
    except ValueError:
        return False
    return True


def _open_raw(path: Path, options: OpenOptions) -> dict:
    return read_neo_all(path)


register_opener(
    "raw_acquisition",
    is_raw_acquisition,
    _open_raw,
    kinds=("recording", "events"),
    saved=False,
    priority=PRIORITY_RAW,
)
