"""Events saved to a folder of ``.npy`` files: NpyFolderEvent (read_npy_folder_event).

SpikeInterface 0.100 cannot save events; this format is ours, in the spirit of its saved folders.
``event.save(folder=...)`` writes, atomically (see `core.atomic`)::

    folder/
        si_folder.json          class path of NpyFolderEvent, kwargs {"folder_path": "."},
                                relative_paths true, annotations
        provenance.json         description of the saved object (when JSON-serializable)
        events.json             {"format_version": 1, "channel_ids": [...], "num_segments": N,
                                 "dtypes": [descr of channel 0, descr of channel 1, ...]}
        events_seg{N}_ch{i}.npy one 1-D array per segment N and channel index i
        properties/<key>.npy    per-channel properties

A dtype descr is `numpy.lib.format.dtype_to_descr` of the channel's dtype: a string such as
``"<f8"`` for plain times, a list of ``[name, format(, shape)]`` fields for structured events.
Object fields (Python strings) are stored as fixed-width unicode, so the files never need pickle
and are read with ``allow_pickle=False``. Reading is lazy: arrays are memory-mapped (read-only)
when asked for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..json_io import read_json, write_json
from ..registry import register_extractor_class
from .base import BaseEvent, BaseEventSegment, select_in_window

FORMAT_VERSION = 1


def events_file_name(segment_index: int, channel_index: int) -> str:
    """Name of the file of one segment and channel in a saved events folder."""
    return f"events_seg{segment_index}_ch{channel_index}.npy"


class NpyFolderEvent(BaseEvent):
    """Events saved by ``save(folder=...)``, read lazily from their ``.npy`` files.

    Parameters
    ----------
    folder_path : str | Path
        The saved folder.

    Raises
    ------
    FileNotFoundError
        If ``events.json`` or an events file is missing.
    ValueError
        If ``events.json`` is not of a known format version, or a file does not hold the dtype
        ``events.json`` gives for its channel.
    """

    def __init__(self, folder_path) -> None:
        folder_path = Path(folder_path)
        description = read_json(folder_path / "events.json")
        version = description.get("format_version")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"{folder_path / 'events.json'}: format_version {version!r} is not supported "
                f"(this version reads {FORMAT_VERSION})"
            )
        channel_ids = description["channel_ids"]
        dtypes = [np.lib.format.descr_to_dtype(descr) for descr in description["dtypes"]]
        super().__init__(channel_ids, dict(zip(channel_ids, dtypes)))
        for segment_index in range(int(description["num_segments"])):
            file_paths = {
                channel_id: folder_path / events_file_name(segment_index, channel_index)
                for channel_index, channel_id in enumerate(self.channel_ids.tolist())
            }
            self.add_event_segment(NpyFolderEventSegment(file_paths, self.structured_dtype))
        self.load_metadata_from_folder(folder_path)
        self._kwargs = {"folder_path": str(folder_path.absolute())}


class NpyFolderEventSegment(BaseEventSegment):
    """One segment of a saved events folder: one ``.npy`` file per channel.

    Each call memory-maps the file (read-only) so that no file stays open between calls.

    Parameters
    ----------
    file_paths : dict
        ``channel_id -> Path`` of the channel's file.
    dtypes : dict
        ``channel_id -> np.dtype`` the files must hold.
    """

    def __init__(self, file_paths: dict, dtypes: dict) -> None:
        self.file_paths = file_paths
        for channel_id, path in file_paths.items():
            found = _open(path).dtype
            if found != dtypes[channel_id]:
                raise ValueError(
                    f"{path}: holds dtype {found}, but events.json gives "
                    f"{dtypes[channel_id]} for channel {channel_id!r}"
                )

    def get_events(
        self,
        channel_id,
        start_time: float | None = None,
        end_time: float | None = None,
        include_overlapping: bool = False,
    ) -> np.ndarray:
        """Events of ``channel_id`` within ``[start_time, end_time]`` (see `BaseEvent.get_events`)."""
        events = np.asarray(_open(self.file_paths[channel_id]))
        return select_in_window(events, start_time, end_time, include_overlapping)


def _open(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: events file not found") from None
    except (ValueError, EOFError) as err:  # e.g. truncated after the folder was opened
        raise ValueError(f"{path}: not a readable .npy events file ({err})") from None


def write_npy_folder_event_data(
    event: BaseEvent, folder: Path, progress_callback=None, cancel_token=None
) -> None:
    """Write ``events.json`` and the ``.npy`` files of a saved events folder.

    The folder is the temporary one of an atomic save (`BaseExtractor.save_to_folder`), which
    also writes ``si_folder.json`` and the properties.

    Parameters
    ----------
    event : BaseEvent
    folder : Path
        Existing, empty folder.
    progress_callback : callable | None
        ``progress_callback(done_files, total_files)`` after each file.
    cancel_token : CancelToken | None
        Checked before each file; a cancelled save raises `JobCancelled`.

    Raises
    ------
    TypeError
        If an object field holds values other than strings (naming the channel and field).
    """
    channel_ids = event.channel_ids.tolist()
    num_segments = event.get_num_segments()
    dtypes = [_storable_dtype(event, channel_id) for channel_id in channel_ids]
    write_json(
        folder / "events.json",
        {
            "format_version": FORMAT_VERSION,
            "channel_ids": event.channel_ids,
            "num_segments": num_segments,
            "dtypes": [np.lib.format.dtype_to_descr(dtype) for dtype in dtypes],
        },
    )
    total = num_segments * len(channel_ids)
    done = 0
    for segment_index in range(num_segments):
        for channel_index, channel_id in enumerate(channel_ids):
            if cancel_token is not None:
                cancel_token.raise_if_cancelled()
            events = event.get_events(channel_id, segment_index=segment_index)
            np.save(
                folder / events_file_name(segment_index, channel_index),
                np.asarray(events).astype(dtypes[channel_index], copy=False),
                allow_pickle=False,
            )
            done += 1
            if progress_callback is not None:
                progress_callback(done, total)


def _storable_dtype(event: BaseEvent, channel_id) -> np.dtype:
    """The channel's dtype with object fields (strings) as unicode wide enough for every value."""
    dtype = event.get_dtype(channel_id)
    if not dtype.hasobject:
        return dtype
    arrays = [
        event.get_events(channel_id, segment_index=i) for i in range(event.get_num_segments())
    ]
    fields = []
    for name in dtype.names:
        field_dtype = dtype.fields[name][0]
        if field_dtype.kind == "O":
            values = [value for events in arrays for value in events[name]]
            if not all(isinstance(value, str) for value in values):
                raise TypeError(
                    f"field {name!r} of channel {channel_id!r} holds Python objects that are "
                    "not strings; events can be saved with numbers and strings only"
                )
            field_dtype = np.dtype(f"<U{max((len(v) for v in values), default=1) or 1}")
        elif field_dtype.hasobject:
            raise TypeError(
                f"field {name!r} of channel {channel_id!r} holds Python objects; events can be "
                "saved with numbers and strings only"
            )
        fields.append((name, field_dtype))
    return np.dtype(fields)


register_extractor_class(NpyFolderEvent)

read_npy_folder_event = NpyFolderEvent
