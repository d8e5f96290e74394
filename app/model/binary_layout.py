"""The layout of a raw binary file from the metadata next to it, and its first samples (no Qt).

Open Raw Binary asks for a file's sample type, channel count and rate; when the file comes from a
SpikeInterface binary folder (``binary.json``), a SpikeGLX run (``.meta``) or an Open Ephys
binary folder (``structure.oebin``) those are known, and `layout_from_metadata` reads them.
`read_first_samples` reads the start of the file as a given layout would, for a preview in which
wrong settings show as garbage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.extractor_dict import read_extractor_json
from core.json_io import read_json


@dataclass(frozen=True)
class BinaryLayout:
    """How a headerless binary file is laid out, and where that was read.

    Attributes
    ----------
    dtype : str
        Sample type (``"int16"``...).
    num_channels : int
        Values per frame.
    sampling_frequency : float
        In Hz.
    file_offset : int
        Header bytes before the first frame.
    time_axis : int
        0: samples x channels (interleaved), 1: channels x samples.
    gains_to_uV : np.ndarray | None
        µV per unit of each channel (None when unknown).
    offsets_to_uV : np.ndarray | None
        µV added to each channel (None when unknown).
    source : Path
        The metadata file.
    description : str
        What the metadata says the file is, for the user.
    """

    dtype: str
    num_channels: int
    sampling_frequency: float
    file_offset: int
    time_axis: int
    gains_to_uV: np.ndarray | None
    offsets_to_uV: np.ndarray | None
    source: Path
    description: str


def layout_from_metadata(path: str | Path) -> BinaryLayout | None:
    """The layout that metadata next to ``path`` gives, or None when there is none.

    Looks for, in order: a SpikeInterface ``binary.json`` listing the file in the same folder; a
    SpikeGLX ``.meta`` of the same name; an Open Ephys ``structure.oebin`` whose continuous
    stream folder holds the file (``continuous/<stream>/continuous.dat``).

    Parameters
    ----------
    path : str | Path
        The binary file.

    Returns
    -------
    BinaryLayout | None

    Raises
    ------
    ValueError
        If a metadata file is there but cannot be read (the message names it).
    """
    path = Path(path)
    for reader in (_from_binary_json, _from_spikeglx_meta, _from_openephys_oebin):
        layout = reader(path)
        if layout is not None:
            return layout
    return None


def read_first_samples(
    path: str | Path,
    dtype: str,
    num_channels: int,
    file_offset: int,
    time_axis: int,
    num_samples: int,
    max_channels: int,
) -> np.ndarray:
    """The first ``num_samples`` frames of the first ``max_channels`` channels as the layout
    reads them (fewer when the file is shorter).

    Parameters
    ----------
    path : str | Path
        The binary file.
    dtype, num_channels, file_offset, time_axis
        The layout (see `BinaryLayout`).
    num_samples, max_channels : int
        How much to read.

    Returns
    -------
    np.ndarray
        ``(samples, channels)`` float64 (non-finite values, e.g. from a wrong float type, as
        they are read).
    """
    itemsize = np.dtype(dtype).itemsize
    path = Path(path)
    data_bytes = path.stat().st_size - file_offset
    frames = max(data_bytes // (itemsize * num_channels), 0)
    count = min(num_samples, frames)
    channels = min(max_channels, num_channels)
    if count == 0 or channels == 0:
        return np.empty((0, channels))
    if time_axis == 0:
        values = np.fromfile(path, dtype=dtype, count=count * num_channels, offset=file_offset)
        values = values.reshape(count, num_channels)[:, :channels]
    else:
        values = np.stack(
            [
                np.fromfile(
                    path, dtype=dtype, count=count, offset=file_offset + c * frames * itemsize
                )
                for c in range(channels)
            ],
            axis=1,
        )
    with np.errstate(invalid="ignore", over="ignore"):  # garbage read as floats is expected
        return values.astype("float64")


# ---------------------------------------------------------------------------- SpikeInterface
def _from_binary_json(path: Path) -> BinaryLayout | None:
    description_path = path.parent / "binary.json"
    if not description_path.is_file():
        return None
    kwargs = read_extractor_json(description_path)["kwargs"]
    names = [Path(str(p).replace("\\", "/")).name for p in kwargs.get("file_paths", [])]
    if path.name not in names:
        return None
    try:
        num_channels = int(kwargs["num_channels"])
        return BinaryLayout(
            dtype=np.dtype(kwargs["dtype"]).name,
            num_channels=num_channels,
            sampling_frequency=float(kwargs["sampling_frequency"]),
            file_offset=int(kwargs.get("file_offset") or 0),
            time_axis=int(kwargs.get("time_axis") or 0),
            gains_to_uV=_per_channel(kwargs.get("gain_to_uV"), num_channels),
            offsets_to_uV=_per_channel(kwargs.get("offset_to_uV"), num_channels),
            source=description_path,
            description=(
                f"SpikeInterface binary folder: segment {names.index(path.name)} of {len(names)}"
            ),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{description_path}: not a binary recording description ({error})"
        ) from None


# ---------------------------------------------------------------------------------- SpikeGLX
def _from_spikeglx_meta(path: Path) -> BinaryLayout | None:
    meta_path = path.with_suffix(".meta")
    if path.suffix != ".bin" or not meta_path.is_file():
        return None
    from neo.rawio.spikeglxrawio import extract_stream_info, read_meta_file

    try:
        info = extract_stream_info(meta_path, read_meta_file(meta_path))
    except (KeyError, ValueError, IndexError) as error:
        raise ValueError(f"{meta_path}: not a readable SpikeGLX .meta file ({error})") from None
    to_uV = 1e6 if info["units"] == "V" else 1.0
    num_channels = int(info["num_chan"])
    description = f"SpikeGLX stream {info['stream_name']}: {num_channels} channels"
    if info.get("has_sync_trace"):
        description += " (the last one is the sync word)"
    return BinaryLayout(
        dtype="int16",
        num_channels=num_channels,
        sampling_frequency=float(info["sampling_rate"]),
        file_offset=0,
        time_axis=0,
        gains_to_uV=np.asarray(info["channel_gains"], dtype="float64") * to_uV,
        offsets_to_uV=np.asarray(info["channel_offsets"], dtype="float64") * to_uV,
        source=meta_path,
        description=description,
    )


# -------------------------------------------------------------------------------- Open Ephys
def _from_openephys_oebin(path: Path) -> BinaryLayout | None:
    if path.name != "continuous.dat" or path.parent.parent.name != "continuous":
        return None
    structure_path = path.parent.parent.parent / "structure.oebin"
    if not structure_path.is_file():
        return None
    structure = read_json(structure_path)
    stream = path.parent.name
    for entry in structure.get("continuous", []):
        if str(entry.get("folder_name", "")).strip("/") != stream:
            continue
        channels = entry.get("channels", [])
        gains = [float(c["bit_volts"]) * (1e6 if c.get("units") == "V" else 1.0) for c in channels]
        num_channels = int(entry["num_channels"])
        return BinaryLayout(
            dtype="int16",
            num_channels=num_channels,
            sampling_frequency=float(entry["sample_rate"]),
            file_offset=0,
            time_axis=0,
            gains_to_uV=np.asarray(gains) if len(gains) == num_channels else None,
            offsets_to_uV=np.zeros(num_channels) if len(gains) == num_channels else None,
            source=structure_path,
            description=f"Open Ephys stream {stream}: {num_channels} channels",
        )
    return None


def _per_channel(values, num_channels: int) -> np.ndarray | None:
    if values is None:
        return None
    values = np.asarray(values, dtype="float64")
    return np.full(num_channels, float(values)) if values.ndim == 0 else values
