"""Events and epochs of any format neo's ``rawio`` layer reads: NeoEvent."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..event.base import BaseEvent, BaseEventSegment, select_in_window
from ..registry import register_extractor_class
from .neo_rawio import open_rawio

if TYPE_CHECKING:  # neo is imported when a file is opened: `import core` stays quick
    from neo.rawio.baserawio import BaseRawIO

#: Dtype of every `NeoEvent` channel; point events (no duration in neo) have a NaN duration.
NEO_EVENT_DTYPE = np.dtype([("time", "<f8"), ("duration", "<f8"), ("label", "<U100")])


class NeoEvent(BaseEvent):
    """Events and epochs of anything neo's rawio layer reads, read when first asked for.

    Parameters
    ----------
    file_or_folder_path : str | Path
    block_index : int
        neo block; its segments become the segments.
    rawio_class : str | None
        Name of a class in ``neo.rawio.rawiolist``; guessed from the path if None.

    Notes
    -----
    Channel ids are neo's event channel names. Every channel has dtype `NEO_EVENT_DTYPE`
    (time and duration in seconds; duration NaN for point events).
    """

    def __init__(
        self, file_or_folder_path: str | Path, block_index: int = 0, rawio_class: str | None = None
    ) -> None:
        path = Path(file_or_folder_path)
        rawio = open_rawio(path, rawio_class)
        self._init_events(rawio, path, block_index)
        self._kwargs = {
            "file_or_folder_path": str(path.absolute()),
            "block_index": block_index,
            "rawio_class": type(rawio).__name__,
        }

    def _init_events(self, rawio: BaseRawIO, path: Path, block_index: int) -> None:
        if not 0 <= block_index < rawio.block_count():
            raise ValueError(
                f"{path}: block_index {block_index} out of range ({rawio.block_count()} blocks)"
            )
        names = [str(n) for n in rawio.header["event_channels"]["name"]]
        if len(set(names)) != len(names):  # e.g. one "TTL Input" channel per Open Ephys stream
            names = [f"{n}#{i}" for i, n in enumerate(names)]
        self.neo_reader = rawio
        BaseEvent.__init__(self, names, NEO_EVENT_DTYPE)
        for seg_index in range(rawio.segment_count(block_index)):
            self.add_event_segment(NeoEventSegment(rawio, block_index, seg_index, names))


class NeoEventSegment(BaseEventSegment):
    """Events of one neo segment; each channel is read (and kept) on first access."""

    def __init__(
        self, rawio: BaseRawIO, block_index: int, seg_index: int, channel_ids: list[str]
    ) -> None:
        self._rawio = rawio
        self._where = {"block_index": block_index, "seg_index": seg_index}
        self._channel_index = {ch: i for i, ch in enumerate(channel_ids)}
        self._cache: dict = {}

    def get_events(
        self,
        channel_id: str,
        start_time: float | None = None,
        end_time: float | None = None,
        include_overlapping: bool = False,
    ) -> np.ndarray:
        """Events of ``channel_id`` in ``[start_time, end_time]`` (see `BaseEvent.get_events`)."""
        if channel_id not in self._cache:
            self._cache[channel_id] = self._read(self._channel_index[channel_id])
        return select_in_window(self._cache[channel_id], start_time, end_time, include_overlapping)

    def _read(self, index: int) -> np.ndarray:
        timestamps, durations, labels = self._rawio.get_event_timestamps(
            **self._where, event_channel_index=index
        )
        events = np.zeros(len(timestamps), dtype=NEO_EVENT_DTYPE)
        if events.size == 0:
            return events
        events["time"] = self._rawio.rescale_event_timestamp(timestamps, "float64", index)
        if durations is None:
            events["duration"] = np.nan
        else:
            events["duration"] = self._rawio.rescale_epoch_duration(durations, "float64", index)
        events["label"] = np.asarray(labels).astype(str)
        return events[np.argsort(events["time"], kind="stable")]


register_extractor_class(NeoEvent)
