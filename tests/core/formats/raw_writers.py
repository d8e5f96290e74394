"""Writers of small, valid raw acquisition files (RAW-FORMATS.md) for the reader tests.

Every writer returns what it wrote (arrays, rates, gains, event times) so that tests compare the
values read back with the values written, not with what a reader says.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# ---------------------------------------------------------------------------------------- SpikeGLX
NP1_AP_GAIN = 500
NP1_LF_GAIN = 250
NP1_NUM_CHANNELS = 384
IM_AI_RANGE_MAX = 0.6
NI_AI_RANGE_MAX = 5.0
NI_MN_GAIN = 200.0
NI_MA_GAIN = 2.0


@dataclass
class SpikeGLXRun:
    """A run folder written by `write_spikeglx_run` and the values in it."""

    folder: Path
    ap: np.ndarray  # (samples, 385) int16, sync word last
    lf: np.ndarray  # (samples, 385)
    nidq: np.ndarray  # (samples, 4): MN0, MA0, XA0, digital word
    ap_rate: float
    lf_rate: float
    ni_rate: float
    ap_gains: np.ndarray  # µV per bit, 384 channels
    lf_gains: np.ndarray
    ni_gains: np.ndarray  # µV per bit, 4 channels
    banks: np.ndarray  # imroTbl bank per channel
    first_sample: int  # of the AP stream; the LF stream starts at first_sample // 12
    digital_edges: dict = field(default_factory=dict)  # "XDn" -> (rising samples, falling samples)

    @property
    def ap_meta(self) -> Path:
        return self.folder / "run_g0_imec0" / "run_g0_t0.imec0.ap.meta"


def np1_imro_table(ap_gains, lf_gains, banks) -> str:
    """imroTbl of a Neuropixels 1.0 probe: ``(0,384)`` then ``(ch bank ref apgain lfgain hp)``."""
    entries = "".join(
        f"({ch} {bank} 0 {ap} {lf} 1)"
        for ch, (bank, ap, lf) in enumerate(zip(banks, ap_gains, lf_gains))
    )
    return f"(0,{len(banks)}){entries}"


def write_spikeglx_meta(path: Path, entries: dict) -> None:
    """Write a ``.meta`` file: one ``key=value`` line per entry, in the order given."""
    path.write_text("".join(f"{key}={value}\n" for key, value in entries.items()))


def imec_meta(
    bin_path: Path, kind: str, num_samples: int, rate: float, imro: str, first_sample: int
) -> dict:
    """Entries of an imec ``.ap.meta`` / ``.lf.meta`` (Neuropixels 1.0, 384 channels + SY0)."""
    prefix = "AP" if kind == "ap" else "LF"
    counts = "384,0,1" if kind == "ap" else "0,384,1"
    offset = 0 if kind == "ap" else 384
    channel_map = "".join(f"({prefix}{c};{c + offset}:{c + offset})" for c in range(384))
    return {
        "acqApLfSy": "384,384,1",
        "appVersion": "20230905",
        "fileName": bin_path.as_posix(),
        "fileSizeBytes": num_samples * 385 * 2,
        "firstSample": first_sample,
        "imAiRangeMax": IM_AI_RANGE_MAX,
        "imAiRangeMin": -IM_AI_RANGE_MAX,
        "imDatPrb_pn": "NP1000",
        "imDatPrb_port": 1,
        "imDatPrb_slot": 2,
        "imDatPrb_sn": 18194814702,
        "imDatPrb_type": 0,
        "imMaxInt": 512,
        "imSampRate": rate,
        "nSavedChans": 385,
        "snsApLfSy": counts,
        "snsSaveChanSubset": "all",
        "typeThis": "imec",
        "~imroTbl": imro,
        "~snsChanMap": f"(384,384,1){channel_map}(SY0;768:768)",
    }


def nidq_meta(bin_path: Path, num_samples: int, rate: float, first_sample: int) -> dict:
    """Entries of a ``.nidq.meta`` with one MN, one MA, one XA channel and the digital word."""
    return {
        "appVersion": "20230905",
        "fileName": bin_path.as_posix(),
        "fileSizeBytes": num_samples * 4 * 2,
        "firstSample": first_sample,
        "niAiRangeMax": NI_AI_RANGE_MAX,
        "niAiRangeMin": -NI_AI_RANGE_MAX,
        "niMAGain": NI_MA_GAIN,
        "niMNGain": NI_MN_GAIN,
        "niSampRate": rate,
        "niXDChans1": "0:2",
        "nSavedChans": 4,
        "snsMnMaXaDw": "1,1,1,1",
        "snsSaveChanSubset": "all",
        "typeThis": "nidq",
        "~snsChanMap": "(1,1,1,0,1)(MN0;0:0)(MA0;1:1)(XA0;2:2)(XD0;3:3)",
    }


def write_spikeglx_run(
    folder: Path, num_samples: int = 3000, with_nidq: bool = True
) -> SpikeGLXRun:
    """Write ``<folder>/run_g0/`` with imec0 AP + LF streams and (optionally) a NIDQ stream.

    AP gains are 500 except channels 10-19 (1000); banks are 1 for channels 0-9, else 0. The
    digital word of the NIDQ stream has pulses on lines XD0 and XD2.
    """
    rng = np.random.default_rng(0)
    run = Path(folder) / "run_g0"
    imec = run / "run_g0_imec0"
    imec.mkdir(parents=True)
    ap_gains_imro = np.full(NP1_NUM_CHANNELS, NP1_AP_GAIN)
    ap_gains_imro[10:20] = 1000
    lf_gains_imro = np.full(NP1_NUM_CHANNELS, NP1_LF_GAIN)
    banks = np.zeros(NP1_NUM_CHANNELS, dtype=int)
    banks[:10] = 1
    imro = np1_imro_table(ap_gains_imro, lf_gains_imro, banks)
    first_sample = 90_000
    ap_rate, lf_rate, ni_rate = 30000.113247, 2500.009437, 25000.123456

    ap = rng.integers(-500, 500, size=(num_samples, 385), dtype=np.int16)
    ap[:, -1] = np.arange(num_samples) % 2  # sync word
    lf_samples = num_samples // 12
    lf = rng.integers(-300, 300, size=(lf_samples, 385), dtype=np.int16)
    for kind, data, rate, first in (
        ("ap", ap, ap_rate, first_sample),
        ("lf", lf, lf_rate, first_sample // 12),
    ):
        bin_path = imec / f"run_g0_t0.imec0.{kind}.bin"
        data.tofile(bin_path)
        meta = imec_meta(bin_path, kind, data.shape[0], rate, imro, first)
        write_spikeglx_meta(bin_path.with_suffix(".meta"), meta)

    ni_samples = num_samples
    nidq = rng.integers(-1000, 1000, size=(ni_samples, 4), dtype=np.int16)
    edges = {"XD0": ([100, 1000], [200, 1500]), "XD1": ([], []), "XD2": ([150], [2000])}
    word = np.zeros(ni_samples, dtype=np.int16)
    for line, (rising, falling) in edges.items():
        bit = 1 << int(line[2:])
        for on, off in zip(rising, falling):
            word[on:off] |= bit
    nidq[:, 3] = word
    if with_nidq:
        bin_path = run / "run_g0_t0.nidq.bin"
        nidq.tofile(bin_path)
        write_spikeglx_meta(
            bin_path.with_suffix(".meta"), nidq_meta(bin_path, ni_samples, ni_rate, 0)
        )

    volts_per_bit = NI_AI_RANGE_MAX / 32768
    return SpikeGLXRun(
        folder=run,
        ap=ap,
        lf=lf,
        nidq=nidq,
        ap_rate=ap_rate,
        lf_rate=lf_rate,
        ni_rate=ni_rate,
        ap_gains=IM_AI_RANGE_MAX / 512 / ap_gains_imro * 1e6,
        lf_gains=IM_AI_RANGE_MAX / 512 / lf_gains_imro * 1e6,
        ni_gains=np.array([1 / NI_MN_GAIN, 1 / NI_MA_GAIN, 1.0, 1.0]) * volts_per_bit * 1e6,
        banks=banks,
        first_sample=first_sample,
        digital_edges={k: v for k, v in edges.items() if with_nidq},
    )


def write_sparse_spikeglx(folder: Path, size_bytes: int, rate: float = 30000.0) -> Path:
    """A run folder with one sparse ``.ap.bin`` of ``size_bytes`` (385 channels) and its meta.

    The file is made with ``truncate``: it reads as zeros and takes no disk space.
    """
    imec = Path(folder) / "big_g0" / "big_g0_imec0"
    imec.mkdir(parents=True)
    num_samples = size_bytes // (385 * 2)
    bin_path = imec / "big_g0_t0.imec0.ap.bin"
    with open(bin_path, "wb") as file:
        file.truncate(num_samples * 385 * 2)
    gains = np.full(NP1_NUM_CHANNELS, NP1_AP_GAIN)
    imro = np1_imro_table(gains, np.full(NP1_NUM_CHANNELS, NP1_LF_GAIN), np.zeros(384, dtype=int))
    write_spikeglx_meta(
        bin_path.with_suffix(".meta"), imec_meta(bin_path, "ap", num_samples, rate, imro, 0)
    )
    return imec.parent


# ------------------------------------------------------------------------------ Open Ephys binary
@dataclass
class OpenEphysStream:
    """One continuous stream: folder name, rate, channel names/units/bit_volts and data."""

    folder_name: str
    sample_rate: float
    channel_names: list[str]
    bit_volts: list[float]
    units: list[str]
    data: np.ndarray  # (samples, channels) int16
    first_sample_number: int = 0


@dataclass
class OpenEphysTTL:
    """TTL events of one stream: (line, rising sample number, falling sample number)."""

    folder_name: str
    channel_name: str
    sample_rate: float
    pulses: list[tuple[int, int, int]]


def np1_stream(
    folder_name: str, rate: float, num_samples: int, first: int, seed: int
) -> OpenEphysStream:
    """A 384-channel Neuropixels stream (CH1..CH384, 0.195 µV/bit)."""
    data = np.random.default_rng(seed).integers(-800, 800, size=(num_samples, 384), dtype=np.int16)
    names = [f"CH{i + 1}" for i in range(384)]
    return OpenEphysStream(folder_name, rate, names, [0.195] * 384, ["uV"] * 384, data, first)


def write_openephys_binary(
    folder: Path,
    streams: list[OpenEphysStream],
    ttls: list[OpenEphysTTL] = (),
    settings_xml: str | None = None,
    node: str = "Record Node 101",
    recordings: int = 1,
) -> Path:
    """Write ``<folder>/<node>/experiment1/recording<i>/`` (GUI 0.6) and return the node folder.

    Every recording holds the same streams and TTLs (later recordings shift sample numbers by the
    stream length).
    """
    node_folder = Path(folder) / node
    for index in range(recordings):
        rec = node_folder / "experiment1" / f"recording{index + 1}"
        oebin = {"GUI version": "0.6.4", "continuous": [], "events": [], "spikes": []}
        for stream in streams:
            out = rec / "continuous" / stream.folder_name
            out.mkdir(parents=True)
            stream.data.astype(np.int16).tofile(out / "continuous.dat")
            samples = stream_sample_numbers(stream, index)
            np.save(out / "sample_numbers.npy", samples)
            np.save(out / "timestamps.npy", samples / stream.sample_rate)
            channels = [
                {
                    "channel_name": n,
                    "description": "",
                    "identifier": "",
                    "history": "",
                    "bit_volts": b,
                    "units": u,
                }
                for n, b, u in zip(stream.channel_names, stream.bit_volts, stream.units)
            ]
            oebin["continuous"].append(
                {
                    "folder_name": stream.folder_name + "/",
                    "sample_rate": stream.sample_rate,
                    "source_processor_name": "Neuropix-PXI",
                    "source_processor_id": 100,
                    "stream_name": stream.folder_name.split(".", 1)[-1],
                    "recorded_processor": "Record Node",
                    "recorded_processor_id": 101,
                    "num_channels": len(channels),
                    "channels": channels,
                }
            )
        for ttl in ttls:
            out = rec / "events" / ttl.folder_name / "TTL"
            out.mkdir(parents=True)
            states, numbers = ttl_arrays(ttl.pulses)
            np.save(out / "states.npy", states)
            np.save(out / "sample_numbers.npy", numbers)
            np.save(out / "timestamps.npy", numbers / ttl.sample_rate)
            np.save(out / "full_words.npy", np.abs(states).astype(np.uint64))
            oebin["events"].append(
                {
                    "folder_name": ttl.folder_name + "/TTL/",
                    "channel_name": ttl.channel_name,
                    "description": "TTL",
                    "identifier": "",
                    "sample_rate": ttl.sample_rate,
                    "type": "int16",
                    "num_channels": 8,
                    "source_processor": "Neuropix-PXI",
                }
            )
        (rec / "structure.oebin").write_text(json.dumps(oebin, indent=4))
    if settings_xml is not None:
        (node_folder / "settings.xml").write_text(settings_xml)
    return node_folder


def stream_sample_numbers(stream: OpenEphysStream, recording_index: int) -> np.ndarray:
    """Sample numbers of a stream in a recording (int64)."""
    first = stream.first_sample_number + recording_index * stream.data.shape[0]
    return np.arange(first, first + stream.data.shape[0], dtype=np.int64)


def ttl_arrays(pulses) -> tuple[np.ndarray, np.ndarray]:
    """``states`` (+line on rising, -line on falling) and sample numbers sorted by time."""
    rows = [(on, line) for line, on, _ in pulses] + [(off, -line) for line, _, off in pulses]
    rows.sort()
    return np.array([s for _, s in rows], dtype=np.int16), np.array(
        [t for t, _ in rows], dtype=np.int64
    )


def np1_settings_xml(probe_name: str = "ProbeA", electrodes=range(384)) -> str:
    """settings.xml (GUI 0.6) with a Neuropix-PXI NP1.0 probe; x written as the plugin does."""
    electrodes = list(electrodes)
    channels = " ".join(f'CH{c}="{e // 384}"' for c, e in enumerate(electrodes))
    xs = " ".join(f'CH{c}="{np1_plugin_x(e)}"' for c, e in enumerate(electrodes))
    ys = " ".join(f'CH{c}="{20 * ((e % 960) // 2)}"' for c, e in enumerate(electrodes))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<SETTINGS>
  <INFO><VERSION>0.6.4</VERSION><PLUGIN_API_VERSION>8</PLUGIN_API_VERSION></INFO>
  <SIGNALCHAIN>
    <PROCESSOR name="Sources/Neuropix-PXI" insertionPoint="0" pluginName="Neuropix-PXI"
               type="1" index="0" libraryName="Neuropix-PXI" libraryVersion="0.4.0" nodeId="100">
      <STREAM name="{probe_name}-AP" description="" sample_rate="30000.0" channel_count="384"/>
      <STREAM name="{probe_name}-LFP" description="" sample_rate="2500.0" channel_count="384"/>
      <EDITOR isCollapsed="0" displayName="Neuropix-PXI" activeStream="0">
        <NP_PROBE slot="2" port="1" dock="0" probe_serial_number="18194814702"
                  probe_part_number="NP1000" hs_serial_number="1" hs_part_number="NP2_HS_30"
                  flex_part_number="NP2_FLEX_0" apGainValue="500x" lfpGainValue="250x"
                  referenceChannel="Ext" filterCut="ON" customName="{probe_name}">
          <CHANNELS {channels}/>
          <ELECTRODE_XPOS {xs}/>
          <ELECTRODE_YPOS {ys}/>
        </NP_PROBE>
      </EDITOR>
    </PROCESSOR>
    <PROCESSOR name="Record Node" insertionPoint="1" pluginName="Record Node" type="0"
               index="1" libraryName="" libraryVersion="" nodeId="101"/>
  </SIGNALCHAIN>
</SETTINGS>
"""


def np1_plugin_x(electrode: int) -> int:
    """x of an NP1.0 electrode as the Neuropix-PXI plugin writes it (left edge 11/27 µm)."""
    row, column = divmod(electrode % 960, 2)
    return (27 if row % 2 == 0 else 11) + 32 * column


def np1_expected_positions(electrodes) -> np.ndarray:
    """RAW-FORMATS.md NP1.0 positions: x = 32 (e % 2) + 16 on even rows, y = 20 (e // 2)."""
    e = np.asarray(list(electrodes))
    x = 32 * (e % 2) + np.where((e // 2) % 2 == 0, 16, 0)
    return np.stack([x, 20 * (e // 2)], axis=1).astype(float)


# ------------------------------------------------------------------------------------------ Intan
RHD_MAGIC = 0xC6912702
RHD_BLOCK = 128


@dataclass
class IntanFile:
    """An ``.rhd`` written by `write_intan_rhd` and the values in it."""

    path: Path
    sampling_rate: float
    amplifier: np.ndarray  # (samples, enabled amplifier channels) uint16
    amplifier_ids: list[str]
    aux: np.ndarray  # (samples / 4, aux channels)
    supply: np.ndarray  # (blocks, 1)
    digital_in: np.ndarray  # (samples,) uint16 word


def _qstring(text: str) -> bytes:
    if not text:
        return struct.pack("<I", 0xFFFFFFFF)
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data)) + data


def _channel_record(native: str, native_order: int, signal_type: int, enabled: bool) -> bytes:
    return (
        _qstring(native)
        + _qstring(native)
        + struct.pack(
            "<hhhhhh", native_order, native_order, signal_type, int(enabled), native_order, 0
        )
        + struct.pack("<hhhh", 0, 0, 0, 0)
        + struct.pack("<ff", 1.0e5, -45.0)
    )


def _group(name: str, prefix: str, records: list[bytes]) -> bytes:
    count = len(records)
    return (
        _qstring(name) + _qstring(prefix) + struct.pack("<hhh", 1, count, count) + b"".join(records)
    )


def write_intan_rhd(path: Path, num_blocks: int = 4, sampling_rate: float = 20000.0) -> IntanFile:
    """Write a traditional (header-attached) RHD v3.0 file.

    Port A: amplifier channels A-000, A-001, A-002 (disabled, so not saved), A-003; one aux
    input (A-AUX1) and one supply voltage (A-VDD1). Board: digital inputs DIGITAL-IN-01/02.
    """
    rng = np.random.default_rng(1)
    amp_channels = [("A-000", 0, True), ("A-001", 1, True), ("A-002", 2, False), ("A-003", 3, True)]
    port = [_channel_record(n, o, 0, e) for n, o, e in amp_channels]
    port += [_channel_record("A-AUX1", 32, 1, True), _channel_record("A-VDD1", 33, 2, True)]
    digital = [
        _channel_record("DIGITAL-IN-01", 0, 4, True),
        _channel_record("DIGITAL-IN-02", 1, 4, True),
    ]
    header = struct.pack("<Ihh", RHD_MAGIC, 3, 0)
    header += struct.pack(
        "<fhffffffhff", sampling_rate, 1, 1.0, 0.1, 7500.0, 1.0, 0.1, 7500.0, 0, 1000.0, 1000.0
    )
    header += _qstring("") + _qstring("note two") + _qstring("")
    header += struct.pack("<hh", 0, 0)  # temperature sensors, eval board mode
    header += _qstring("")  # reference channel
    header += struct.pack("<h", 2)
    header += _group("Port A", "A", port) + _group("Board Digital Inputs", "DIGITAL-IN", digital)

    samples = num_blocks * RHD_BLOCK
    amplifier = rng.integers(20000, 45000, size=(samples, 3), dtype=np.uint16)
    aux = rng.integers(0, 60000, size=(samples // 4, 1), dtype=np.uint16)
    supply = rng.integers(40000, 50000, size=(num_blocks, 1), dtype=np.uint16)
    digital_in = np.zeros(samples, dtype=np.uint16)
    digital_in[50:300] |= 1
    digital_in[200:260] |= 2
    blocks = []
    for b in range(num_blocks):
        rows = slice(b * RHD_BLOCK, (b + 1) * RHD_BLOCK)
        blocks.append(np.arange(b * RHD_BLOCK, (b + 1) * RHD_BLOCK, dtype=np.int32).tobytes())
        blocks.append(np.ascontiguousarray(amplifier[rows].T).tobytes())
        blocks.append(np.ascontiguousarray(aux[b * 32 : (b + 1) * 32].T).tobytes())
        blocks.append(supply[b].tobytes())
        blocks.append(digital_in[rows].tobytes())
    Path(path).write_bytes(header + b"".join(blocks))
    return IntanFile(
        path=Path(path),
        sampling_rate=sampling_rate,
        amplifier=amplifier,
        amplifier_ids=["A-000", "A-001", "A-003"],
        aux=aux,
        supply=supply,
        digital_in=digital_in,
    )


# ------------------------------------------------------------------------------------ BrainVision
@dataclass
class BrainVisionFile:
    """A ``.vhdr``/``.eeg``/``.vmrk`` triple written by `write_brainvision`."""

    vhdr: Path
    data: np.ndarray  # (samples, channels) int16
    sampling_rate: float
    resolution: float
    markers: list  # (type, description, sample position)


def write_brainvision(
    folder: Path, units: str = "mV", resolution: float = 0.5, num_samples: int = 400
) -> BrainVisionFile:
    """Write a multiplexed int16 BrainVision recording of 3 channels (a format neo reads that
    none of the dedicated readers handles) with two marker types."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = np.random.default_rng(2).integers(-2000, 2000, size=(num_samples, 3), dtype=np.int16)
    data.tofile(folder / "rec.eeg")
    channels = "".join(f"Ch{c + 1}=E{c + 1},,{resolution},{units}\n" for c in range(3))
    (folder / "rec.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n"
        "[Common Infos]\nDataFile=rec.eeg\nMarkerFile=rec.vmrk\nDataFormat=BINARY\n"
        "DataOrientation=MULTIPLEXED\nNumberOfChannels=3\nSamplingInterval=500\n"
        "[Binary Infos]\nBinaryFormat=INT_16\n"
        f"[Channel Infos]\n{channels}"
    )
    markers = [("Stimulus", "S  1", 10), ("Response", "R  2", 50), ("Stimulus", "S  3", 300)]
    lines = "".join(f"Mk{i + 1}={t},{d},{p},1,0\n" for i, (t, d, p) in enumerate(markers))
    (folder / "rec.vmrk").write_text(
        "Brain Vision Data Exchange Marker File, Version 1.0\n"
        f"[Common Infos]\nDataFile=rec.eeg\n[Marker Infos]\n{lines}"
    )
    return BrainVisionFile(folder / "rec.vhdr", data, 2000.0, resolution, markers)
