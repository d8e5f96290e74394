"""SpikeGLX run folders: SpikeGLXRecordingExtractor (read_spikeglx), SpikeGLXEventExtractor.

A run folder holds ``.bin``/``.meta`` pairs (RAW-FORMATS.md "SpikeGLX"): imec AP and LF streams
(``"imec0.ap"``, ``"imec0.lf"``), whose last channel, the sync word, neo exposes as a stream of
its own (``"imec0.ap-SYNC"``), and the NI card (``"nidq"``), whose digital lines are events.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import probeinterface

from ..registry import register_extractor_class
from .neo_event import NeoEvent
from .neo_rawio import open_rawio, select_stream
from .neo_recording import NeoRecording

_RATE_KEYS = ("imSampRate", "niSampRate", "obSampRate")
_REQUIRED_KEYS = ("nSavedChans", "fileName", "~snsChanMap")


def check_spikeglx_folder(folder_path: str | Path) -> Path:
    """Check that every ``.meta`` under ``folder_path`` has its ``.bin`` and the keys neo needs.

    Parameters
    ----------
    folder_path : str | Path

    Returns
    -------
    Path

    Raises
    ------
    FileNotFoundError
        If the folder, or the ``.bin`` of a ``.meta``, does not exist (naming it).
    ValueError
        If a ``.meta`` lacks a required key (naming the file and the keys).
    """
    folder = Path(folder_path)
    if not folder.is_dir():
        raise FileNotFoundError(f"folder_path: {folder} is not an existing folder")
    for meta in sorted(folder.rglob("*.meta")):
        if not meta.with_suffix(".bin").is_file():
            raise FileNotFoundError(
                f"{meta.with_suffix('.bin')}: data file of {meta.name} not found"
            )
        keys = {line.split("=", 1)[0] for line in meta.read_text(errors="replace").splitlines()}
        missing = [k for k in _REQUIRED_KEYS if k not in keys]
        if not keys.intersection(_RATE_KEYS):
            missing.append(" or ".join(_RATE_KEYS))
        if missing:
            raise ValueError(f"{meta}: not a complete SpikeGLX .meta file (missing {missing})")
    return folder


class SpikeGLXRecordingExtractor(NeoRecording):
    """One stream of a SpikeGLX run folder, with the Neuropixels probe for imec streams.

    Parameters
    ----------
    folder_path : str | Path
        The run folder (``<run>_g0``) or a folder inside it.
    stream_id : str | None
        ``"imec0.ap"``, ``"imec0.lf"``, ``"nidq"``, ``"imec0.ap-SYNC"``...; required when the
        folder has several streams (the error lists them).
    load_sync_channel : bool
        Append the sync word (``SY0``) to the channels of an imec stream. The probe is then not
        attached (it has no contact for the sync channel).
    stream_name : str | None
        Alternative to ``stream_id`` (the same strings for SpikeGLX).
    all_annotations : bool
        Copy neo's annotations too (see `NeoRecording`).

    Notes
    -----
    Channel ids are ``"imec0.ap#AP0"``... Gains are in µV (NIDQ channels included); the probe
    comes from the ``.ap.meta`` through ``probeinterface.read_spikeglx``, also for LF streams.
    """

    def __init__(
        self,
        folder_path: str | Path,
        stream_id: str | None = None,
        load_sync_channel: bool = False,
        stream_name: str | None = None,
        all_annotations: bool = False,
    ) -> None:
        folder = check_spikeglx_folder(folder_path)
        rawio = open_rawio(folder, "SpikeGLXRawIO")
        index = select_stream(rawio, folder, stream_id, stream_name)
        stream_ids = [str(i) for i in rawio.header["signal_streams"]["id"]]
        indices = [index]
        if load_sync_channel:
            sync_id = f"{stream_ids[index]}-SYNC"
            if sync_id not in stream_ids:
                raise ValueError(
                    f"load_sync_channel: stream {stream_ids[index]!r} of {folder} has no sync "
                    "channel"
                )
            indices.append(stream_ids.index(sync_id))
        self._init_streams(rawio, folder, 0, indices, all_annotations)
        if (
            "imec" in self.stream_id
            and not self.stream_id.endswith("-SYNC")
            and not load_sync_channel
        ):
            self._attach_probe()
        self._kwargs = {
            "folder_path": str(folder.absolute()),
            "stream_id": self.stream_id,
            "load_sync_channel": load_sync_channel,
            "stream_name": stream_name,
            "all_annotations": all_annotations,
        }

    def _attach_probe(self) -> None:
        streams = self.neo_reader.header["signal_streams"]
        buffer_id = streams["buffer_id"][list(streams["id"]).index(self.stream_id)]
        data_file = self.neo_reader.get_analogsignal_buffer_description(0, 0, buffer_id)[
            "file_path"
        ]
        meta = Path(data_file).with_suffix(".meta")
        ap_meta = meta.with_name(meta.name.replace(".lf.meta", ".ap.meta"))
        meta = ap_meta if ap_meta.is_file() else meta
        try:
            probe = probeinterface.read_spikeglx(meta)
        except Exception as err:  # a probe unknown to probeinterface must not hide the data
            warnings.warn(f"{meta}: no probe attached ({type(err).__name__}: {err})")
            return
        if probe.get_contact_count() != self.get_num_channels():
            warnings.warn(
                f"{meta}: the probe has {probe.get_contact_count()} contacts for "
                f"{self.get_num_channels()} channels; no probe attached"
            )
            return
        self.set_probe(probe, in_place=True)


class SpikeGLXEventExtractor(NeoEvent):
    """Digital lines of the NIDQ stream (``niXDChans1``) as events, one channel per line.

    Channel ids are ``"XD0"``, ``"XD1"``...; each edge is one event: ``label`` is ``"XDn ON"``
    at a rising edge (the first high sample), ``"XDn OFF"`` at a falling edge; ``time`` is the
    sample index / ``niSampRate`` (seconds from the start of the file).

    Parameters
    ----------
    folder_path : str | Path
        The run folder.
    """

    def __init__(self, folder_path: str | Path) -> None:
        folder = check_spikeglx_folder(folder_path)
        self._init_events(open_rawio(folder, "SpikeGLXRawIO"), folder, 0)
        self._kwargs = {"folder_path": str(folder.absolute())}


def read_spikeglx_event(folder_path: str | Path) -> SpikeGLXEventExtractor:
    """NIDQ digital line edges of a SpikeGLX run folder (see `SpikeGLXEventExtractor`)."""
    return SpikeGLXEventExtractor(folder_path)


register_extractor_class(
    SpikeGLXRecordingExtractor,
    "spikeinterface.extractors.neoextractors.spikeglx.SpikeGLXRecordingExtractor",
)
register_extractor_class(
    SpikeGLXEventExtractor,
    "spikeinterface.extractors.neoextractors.spikeglx.SpikeGLXEventExtractor",
)

read_spikeglx = SpikeGLXRecordingExtractor
