"""Readers of what users already have on disk.

Raw acquisition formats go through neo's ``rawio`` layer (headers only at opening, traces read
lazily) and probeinterface: SpikeGLX run folders, Open Ephys binary folders, Intan files, and
any other format neo reads through the generic `NeoRecording` / `NeoEvent`.
"""

from ..lazy_exports import lazy_exports

#: Public name -> module that defines it, imported on first access (PEP 562).
_EXPORTS = {
    "download_dataset": ".datasets",
    "IntanRecordingExtractor": ".intan",
    "read_intan": ".intan",
    "NEO_EVENT_DTYPE": ".neo_event",
    "NeoEvent": ".neo_event",
    "detect_rawio_class": ".neo_rawio",
    "get_neo_streams": ".neo_rawio",
    "NeoRecording": ".neo_recording",
    "read_neo": ".neo_recording",
    "read_neo_all": ".neo_recording",
    "OpenEphysBinaryEventExtractor": ".openephys",
    "OpenEphysBinaryRecordingExtractor": ".openephys",
    "read_openephys": ".openephys",
    "read_openephys_event": ".openephys",
    "KiloSortSortingExtractor": ".phy",
    "PhySortingExtractor": ".phy",
    "read_kilosort": ".phy",
    "read_phy": ".phy",
    "read_probe_file": ".probe_files",
    "write_probe_file": ".probe_files",
    "read_sorting_analyzer": ".sorting_analyzer",
    "SpikeGLXEventExtractor": ".spikeglx",
    "SpikeGLXRecordingExtractor": ".spikeglx",
    "read_spikeglx": ".spikeglx",
    "read_spikeglx_event": ".spikeglx",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

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
