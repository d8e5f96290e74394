"""Open Ephys binary folders (GUI >= 0.6): OpenEphysBinaryRecordingExtractor (read_openephys),
OpenEphysBinaryEventExtractor (read_openephys_event).

Layout (RAW-FORMATS.md "Open Ephys binary"): ``Record Node N/experimentE/recordingR/`` with
``structure.oebin``, ``continuous/<stream>/continuous.dat`` (+ ``sample_numbers.npy``) and
``events/<stream>/TTL/``; ``settings.xml`` (``settings_E.xml`` for later experiments) beside the
experiments. Experiments are neo blocks, recordings are segments.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import probeinterface

from ..json_io import read_json
from ..registry import register_extractor_class
from .neo_event import NeoEvent
from .neo_rawio import open_rawio, select_stream
from .neo_recording import NeoRecording

if TYPE_CHECKING:  # neo is imported when a file is opened: `import core` stays quick
    from neo.rawio.baserawio import BaseRawIO


def _open_folder(folder_path: str | Path, block_index: int | None) -> tuple[Path, BaseRawIO, int]:
    """Check the folder and its ``structure.oebin`` files; return (folder, rawio, block index)."""
    folder = Path(folder_path)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder_path: {folder} is not an existing folder")
    structures = sorted(folder.rglob("structure.oebin"))
    if not structures:
        raise ValueError(f"{folder}: no structure.oebin inside; not an Open Ephys binary folder")
    for structure in structures:
        read_json(structure)  # a damaged file is reported by name
    rawio = open_rawio(folder, "OpenEphysBinaryRawIO")
    if block_index is None:
        if rawio.block_count() > 1:
            raise ValueError(
                f"{folder} has {rawio.block_count()} experiments (neo blocks): pass block_index"
            )
        block_index = 0
    return folder, rawio, block_index


class OpenEphysBinaryRecordingExtractor(NeoRecording):
    """One continuous stream of an Open Ephys binary folder, with its Neuropixels probe if any.

    Parameters
    ----------
    folder_path : str | Path
        A Record Node folder, the folder above it, or an experiment/recording folder.
    stream_id : str | None
        neo's stream id (``"0"``, ``"1"``...); required, or ``stream_name``, when there are
        several streams (the error lists them).
    stream_name : str | None
        ``"Record Node 101#Neuropix-PXI-100.ProbeA-AP"``; ADC channels (in V) form a stream of
        their own named ``"<stream>_ADC"``.
    block_index : int | None
        Experiment (0-based); required when there are several.
    all_annotations : bool
        Copy neo's annotations too (see `NeoRecording`).

    Notes
    -----
    Channel ids are the oebin channel names (``"CH1"``...); ``bit_volts`` gives the gains (µV, or
    V x 1e6 for ADC channels). Each segment starts at ``sample_numbers[0] / sample_rate``.
    """

    def __init__(
        self,
        folder_path: str | Path,
        stream_id: str | None = None,
        stream_name: str | None = None,
        block_index: int | None = None,
        all_annotations: bool = False,
    ) -> None:
        folder, rawio, block = _open_folder(folder_path, block_index)
        index = select_stream(rawio, folder, stream_id, stream_name)
        self._init_streams(rawio, folder, block, [index], all_annotations)
        if not self.stream_name.endswith("_ADC") and "SYNC" not in self.stream_name:
            self._attach_probe(block, rawio.header["signal_streams"]["buffer_id"][index])
        self._kwargs = {
            "folder_path": str(folder.absolute()),
            "stream_id": self.stream_id,
            "stream_name": stream_name,
            "block_index": block,
            "all_annotations": all_annotations,
        }

    def _attach_probe(self, block_index: int, buffer_id: str) -> None:
        """Attach the probe that ``settings.xml`` describes for this stream, when it does."""
        description = self.neo_reader.get_analogsignal_buffer_description(block_index, 0, buffer_id)
        experiment = Path(description["file_path"]).parents[
            3
        ]  # .../experimentE/recordingR/continuous/<stream>
        number = int(experiment.name.removeprefix("experiment"))
        settings = experiment.parent / ("settings.xml" if number == 1 else f"settings_{number}.xml")
        if not settings.is_file() or not probeinterface.has_neuropixels_probes(
            settings, stream_name=self.stream_name
        ):
            return
        try:
            probe = probeinterface.read_openephys_neuropixels(
                settings, stream_name=self.stream_name
            )
        except Exception as err:  # a probe unknown to probeinterface must not hide the data
            warnings.warn(f"{settings}: no probe attached ({type(err).__name__}: {err})")
            return
        if probe.get_contact_count() != self.get_num_channels():
            warnings.warn(
                f"{settings}: the probe has {probe.get_contact_count()} contacts for "
                f"{self.get_num_channels()} channels of {self.stream_name!r}; no probe attached"
            )
            return
        self.set_probe(probe, in_place=True)


class OpenEphysBinaryEventExtractor(NeoEvent):
    """Events of an Open Ephys binary folder: TTL pulses as epochs, one channel per event stream.

    Each epoch has the rising-edge ``time`` (seconds, same clock as the recordings' times), the
    ``duration`` until the falling edge, and ``label`` = the TTL line (1-based, as text).

    Parameters
    ----------
    folder_path : str | Path
    block_index : int | None
        Experiment (0-based); required when there are several.
    """

    def __init__(self, folder_path: str | Path, block_index: int | None = None) -> None:
        folder, rawio, block = _open_folder(folder_path, block_index)
        self._init_events(rawio, folder, block)
        self._kwargs = {"folder_path": str(folder.absolute()), "block_index": block}


def read_openephys_event(
    folder_path: str | Path, block_index: int | None = None
) -> OpenEphysBinaryEventExtractor:
    """TTL epochs of an Open Ephys binary folder (see `OpenEphysBinaryEventExtractor`)."""
    return OpenEphysBinaryEventExtractor(folder_path, block_index)


register_extractor_class(
    OpenEphysBinaryRecordingExtractor,
    "spikeinterface.extractors.neoextractors.openephys.OpenEphysBinaryRecordingExtractor",
)
register_extractor_class(
    OpenEphysBinaryEventExtractor,
    "spikeinterface.extractors.neoextractors.openephys.OpenEphysBinaryEventExtractor",
)

read_openephys = OpenEphysBinaryRecordingExtractor
