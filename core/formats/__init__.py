"""Readers of what users already have on disk.

Raw acquisition formats go through neo's ``rawio`` layer (headers only at opening, traces read
lazily) and probeinterface: SpikeGLX run folders, Open Ephys binary folders, Intan files, and
any other format neo reads through the generic `NeoRecording` / `NeoEvent`.
"""

from .datasets import download_dataset
from .intan import IntanRecordingExtractor, read_intan
from .neo_event import NEO_EVENT_DTYPE, NeoEvent
from .neo_rawio import detect_rawio_class, get_neo_streams
from .neo_recording import NeoRecording, read_neo, read_neo_all
from .openephys import (
    OpenEphysBinaryEventExtractor,
    OpenEphysBinaryRecordingExtractor,
    read_openephys,
    read_openephys_event,
)
from .phy import KiloSortSortingExtractor, PhySortingExtractor, read_kilosort, read_phy
from .probe_files import read_probe_file, write_probe_file
from .sorting_analyzer import read_sorting_analyzer
from .spikeglx import (
    SpikeGLXEventExtractor,
    SpikeGLXRecordingExtractor,
    read_spikeglx,
    read_spikeglx_event,
)

__all__ = [
    "read_sorting_analyzer",
    "download_dataset",
    "KiloSortSortingExtractor",
    "PhySortingExtractor",
    "read_kilosort",
    "read_phy",
    "read_probe_file",
    "write_probe_file",
    "NEO_EVENT_DTYPE",
    "IntanRecordingExtractor",
    "NeoEvent",
    "NeoRecording",
    "OpenEphysBinaryEventExtractor",
    "OpenEphysBinaryRecordingExtractor",
    "SpikeGLXEventExtractor",
    "SpikeGLXRecordingExtractor",
    "detect_rawio_class",
    "get_neo_streams",
    "read_intan",
    "read_neo",
    "read_neo_all",
    "read_openephys",
    "read_openephys_event",
    "read_spikeglx",
    "read_spikeglx_event",
]
