"""Intan ``.rhd``/``.rhs`` files: IntanRecordingExtractor (read_intan).

A traditional file (RAW-FORMATS.md "Intan") is a header followed by data blocks of 128 samples.
neo groups channels by signal type into streams: ``"0"`` amplifier (µV, gain 0.195, offset
-6389.76 for the stored uint16), ``"1"`` auxiliary inputs (fs / 4), ``"2"`` supply voltage
(one sample per block), ``"3"`` board ADC, ``"4"``/``"5"`` digital inputs/outputs (0 or 1).
"""

from __future__ import annotations

import struct
from pathlib import Path

from ..registry import register_extractor_class
from .neo_rawio import open_rawio, select_stream
from .neo_recording import NeoRecording

_MAGIC_NUMBERS = {".rhd": 0xC6912702, ".rhs": 0xD69127AC}


def check_intan_file(file_path: str | Path) -> Path:
    """Check that ``file_path`` is an existing ``.rhd``/``.rhs`` file with Intan's magic number.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the extension or the magic number is not Intan's (naming the file).
    """
    path = Path(file_path)
    if not path.is_file():
        raise FileNotFoundError(f"file_path: {path} is not an existing file")
    if path.suffix not in _MAGIC_NUMBERS:
        raise ValueError(f"file_path: {path} is not an Intan file (expected .rhd or .rhs)")
    with open(path, "rb") as file:
        head = file.read(4)
    magic = struct.unpack("<I", head)[0] if len(head) == 4 else None
    if magic != _MAGIC_NUMBERS[path.suffix]:
        raise ValueError(f"{path}: not an Intan {path.suffix} file (wrong magic number)")
    return path


class IntanRecordingExtractor(NeoRecording):
    """One stream of an Intan ``.rhd``/``.rhs`` file.

    Parameters
    ----------
    file_path : str | Path
        The ``.rhd`` or ``.rhs`` file (or ``info.rhd`` of a one-file-per-signal folder).
    stream_id : str | None
        ``"0"`` for amplifier channels (see the module docstring); required, or
        ``stream_name``, when the file has several streams (the error lists them).
    stream_name : str | None
        ``"RHD2000 amplifier channel"``...
    all_annotations : bool
        Copy neo's annotations too (see `NeoRecording`).

    Notes
    -----
    Channel ids are the native channel names (``"A-000"``). Only enabled channels are saved,
    so only they are channels of the recording.
    """

    def __init__(
        self,
        file_path: str | Path,
        stream_id: str | None = None,
        stream_name: str | None = None,
        all_annotations: bool = False,
    ) -> None:
        path = check_intan_file(file_path)
        rawio = open_rawio(path, "IntanRawIO")
        index = select_stream(rawio, path, stream_id, stream_name)
        self._init_streams(rawio, path, 0, [index], all_annotations)
        self._kwargs = {
            "file_path": str(path.absolute()),
            "stream_id": self.stream_id,
            "stream_name": stream_name,
            "all_annotations": all_annotations,
        }


register_extractor_class(
    IntanRecordingExtractor,
    "spikeinterface.extractors.neoextractors.intan.IntanRecordingExtractor",
)

read_intan = IntanRecordingExtractor
