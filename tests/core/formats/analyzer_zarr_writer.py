"""Writer of small SortingAnalyzer zarr stores (FORMATS.md §9.3) for the reader tests.

The layout is the one SpikeInterface 0.101-0.105 writes with zarr-python 2: a zarr format v2
group with root attributes ``spikeinterface_info`` and ``settings``, a ``sorting`` group (written
here by core's zarr sorting writer), ``recording_info`` attributes, a ``sparsity_mask`` array,
``extensions/<name>`` groups with ``params`` / ``info`` / ``run_info`` attributes and their arrays,
and the ``recording`` / ``sorting_provenance`` descriptions as 1-element object arrays. zarr-python
3 cannot write object arrays, so those are written file by file (``.zarray`` plus one chunk
encoded by the numcodecs JSON or Pickle codec, then Blosc, as zarr 2 does).

`write_analyzer_store` returns what it wrote so that tests compare values read back with values
written, not with what the reader says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import zarr
from probeinterface import ProbeGroup, generate_linear_probe

from core.sorting.numpy import NumpySorting
from core.sorting.zarr import add_sorting_to_zarr_group

SAMPLING_FREQUENCY = 30000.0
MS_BEFORE, MS_AFTER = 1.0, 2.0
NBEFORE, NAFTER = 30, 60
NUM_CHANNELS = 6
UNIT_IDS = np.array(["a", "b", "c"])
CHANNEL_IDS = np.array([f"ch{i}" for i in range(NUM_CHANNELS)])
SPARSITY_MASK = np.array(
    [
        [True, True, True, False, False, False],
        [False, True, True, True, True, False],
        [False, False, False, False, True, True],
    ]
)
PAD_VALUE = -1.0  # what the zero-padding of waveforms holds here, so that it is recognisable

_V2_CHUNK_KEYS = {"name": "v2", "separator": "."}
_OBJECT_CODECS = {"json": numcodecs.JSON(), "pickle": numcodecs.Pickle()}


@dataclass
class WrittenAnalyzer:
    """A store written by `write_analyzer_store` and the values in it."""

    path: Path
    sorting: NumpySorting
    mask: np.ndarray | None
    random_spikes_indices: np.ndarray
    waveforms: np.ndarray
    templates: dict[str, np.ndarray]
    noise_levels: np.ndarray


def make_sorting() -> NumpySorting:
    """Three units, two segments (3000 and 2000 samples), spikes away from the borders."""
    rng = np.random.default_rng(7)
    times_list, labels_list = [], []
    for num_samples, num_spikes in ((3000, 30), (2000, 20)):
        times = np.sort(rng.choice(np.arange(100, num_samples - 100), num_spikes, replace=False))
        labels = UNIT_IDS[rng.integers(0, UNIT_IDS.size, num_spikes)]
        times_list.append(times)
        labels_list.append(labels)
    return NumpySorting.from_times_labels(
        times_list, labels_list, SAMPLING_FREQUENCY, unit_ids=UNIT_IDS
    )


def encoded_waveforms(
    spikes: np.ndarray, indices: np.ndarray, mask: np.ndarray | None
) -> np.ndarray:
    """Waveforms whose value tells the spike and channel: ``100 * spike + channel index``.

    Row ``r`` belongs to spike ``indices[r]``; with a mask, slot ``j`` holds the unit's ``j``-th
    active channel and the remaining slots hold `PAD_VALUE`.
    """
    width = NUM_CHANNELS if mask is None else int(mask.sum(axis=1).max())
    waveforms = np.full((indices.size, NBEFORE + NAFTER, width), PAD_VALUE, dtype="float32")
    for row, spike in enumerate(indices):
        unit = spikes["unit_index"][spike]
        channels = np.arange(NUM_CHANNELS) if mask is None else np.flatnonzero(mask[unit])
        waveforms[row, :, : channels.size] = 100.0 * spike + channels
    return waveforms


def write_object_array(group: Path, name: str, value: Any, codec: str) -> None:
    """A 1-element object array coded by numcodecs JSON or Pickle, as zarr 2 writes it."""
    folder = group / name
    folder.mkdir(parents=True)
    compressor = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    object_codec = _OBJECT_CODECS[codec]
    metadata = {
        "chunks": [1],
        "compressor": compressor.get_config(),
        "dtype": "|O",
        "fill_value": 0,
        "filters": [object_codec.get_config()],
        "order": "C",
        "shape": [1],
        "zarr_format": 2,
    }
    (folder / ".zarray").write_text(json.dumps(metadata))
    chunk = object_codec.encode(np.array([value], dtype=object))
    (folder / "0").write_bytes(compressor.encode(chunk))


def consolidate(path: Path) -> None:
    """``.zmetadata`` of the metadata files as they are now (zarr 2's ``consolidate_metadata``)."""
    metadata = {}
    for file in sorted(path.rglob(".z*")):
        if file.name in (".zgroup", ".zattrs", ".zarray"):
            metadata[file.relative_to(path).as_posix()] = json.loads(file.read_text())
    (path / ".zmetadata").write_text(
        json.dumps({"metadata": metadata, "zarr_consolidated_format": 1}, indent=4)
    )


def _array(group: zarr.Group, name: str, values: np.ndarray) -> None:
    group.create_array(name, data=values, chunk_key_encoding=_V2_CHUNK_KEYS)


def _extension(root: zarr.Group, name: str, params: dict, arrays: dict[str, np.ndarray]) -> None:
    group = root["extensions"].create_group(name)
    group.attrs.update(
        {
            "params": params,
            "info": {"class": f"spikeinterface.core.{name}", "module": "spikeinterface"},
            "run_info": {"run_completed": True, "runtime_s": 0.01},
        }
    )
    for key, values in arrays.items():
        _array(group, key, values)


def _probegroup_dict() -> dict:
    probe = generate_linear_probe(num_elec=NUM_CHANNELS, ypitch=20)
    probe.set_device_channel_indices(np.arange(NUM_CHANNELS))
    probegroup = ProbeGroup()
    probegroup.add_probe(probe)
    return probegroup.to_dict(array_as_list=True)


def write_analyzer_store(
    path: Path,
    sparse: bool = True,
    consolidated: bool = True,
    recording_codec: str | None = "json",
    extensions: tuple[str, ...] = ("random_spikes", "waveforms", "templates", "noise_levels"),
) -> WrittenAnalyzer:
    """Write a SortingAnalyzer zarr store of `make_sorting` at ``path``.

    Parameters
    ----------
    path : Path
        The store folder (need not end in ``.zarr``).
    sparse : bool
        Write `SPARSITY_MASK` (else the analyzer is dense).
    consolidated : bool
        Write ``.zmetadata`` at the end.
    recording_codec : "json", "pickle" or None
        Codec of the ``recording`` object array (None: not written).
    extensions : tuple of str
        Extensions to write, among the four core ones.
    """
    sorting = make_sorting()
    spikes = sorting.to_spike_vector()
    mask = SPARSITY_MASK if sparse else None
    rng = np.random.default_rng(3)
    # up to 4 spikes per unit, in spike-vector order as SpikeInterface's "uniform" method gives
    indices = np.sort(
        np.concatenate(
            [np.flatnonzero(spikes["unit_index"] == u)[:4] for u in range(UNIT_IDS.size)]
        )
    ).astype("int64")
    waveforms = encoded_waveforms(spikes, indices, mask)
    shape = (UNIT_IDS.size, NBEFORE + NAFTER, NUM_CHANNELS)
    templates = {name: rng.normal(size=shape) for name in ("average", "std")}
    noise_levels = rng.uniform(4.0, 6.0, NUM_CHANNELS).astype("float32")

    root = zarr.open_group(str(path), mode="w", zarr_format=2)
    root.attrs.update(
        {
            "spikeinterface_info": {
                "version": "0.105.3",
                "dev_mode": False,
                "object": "SortingAnalyzer",
            },
            "settings": {"return_in_uV": True, "peak_sign": "neg", "peak_mode": "extremum"},
        }
    )
    add_sorting_to_zarr_group(sorting, root.create_group("sorting"))
    recording_info = root.create_group("recording_info")
    recording_info.attrs.update(
        {
            "recording_attributes": {
                "channel_ids": CHANNEL_IDS.tolist(),
                "sampling_frequency": SAMPLING_FREQUENCY,
                "num_channels": NUM_CHANNELS,
                "num_samples": [3000, 2000],
                "is_filtered": True,
                "properties": {"group": [0] * NUM_CHANNELS},
                "dtype": "float32",
            },
            "probegroup": _probegroup_dict(),
        }
    )
    if mask is not None:
        _array(root, "sparsity_mask", mask)
    root.create_group("extensions")
    content = {
        "random_spikes": (
            {"method": "uniform", "max_spikes_per_unit": 4, "margin_size": None, "seed": 0},
            {"random_spikes_indices": indices},
        ),
        "waveforms": (
            {"ms_before": MS_BEFORE, "ms_after": MS_AFTER, "dtype": "<f4"},
            {"waveforms": waveforms},
        ),
        "templates": (
            {"operators": ["average", "std"], "ms_before": MS_BEFORE, "ms_after": MS_AFTER},
            templates,
        ),
        "noise_levels": ({}, {"noise_levels": noise_levels}),
    }
    for name in extensions:
        _extension(root, name, *content[name])
    description = {
        "class": "spikeinterface.core.binaryfolder.BinaryFolderRecording",
        "module": "spikeinterface",
        "version": "0.105.3",
        "kwargs": {"folder_path": "../missing_recording"},
        "relative_paths": True,
        "annotations": {},
        "properties": {},
    }
    if recording_codec is not None:
        write_object_array(path, "recording", description, recording_codec)
    if consolidated:
        consolidate(path)
    return WrittenAnalyzer(path, sorting, mask, indices, waveforms, templates, noise_levels)
