"""Parts of WaveformExtractor binary folders (SpikeInterface <= 0.100 layout, FORMATS.md §8.1).

:class:`~.store_folder.BinaryFolderStore` reads and writes whole folders with these: the
recording and sorting descriptions (``.json``, or ``.pickle`` that :func:`load_described` reads
only with ``allow_pickle=True``), ``recording_info/``, ``sparsity.json`` and the sparsity of
folders re-saved from a sparse extractor without ``sparsity.json`` (§8.1).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..json_io import read_json, to_jsonable, write_json
from ..loading import load_extractor
from .extractor_io import template_names

if TYPE_CHECKING:
    from probeinterface import ProbeGroup

    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting
    from .sparsity import ChannelSparsity


# --------------------------------------------------------------------------- describing extractors
def dump_recording(recording: BaseRecording, folder: Path, relative_to: Path | None) -> None:
    """Write ``recording.json`` if JSON-serializable, else ``recording.pickle``, else nothing."""
    if recording.check_if_json_serializable():
        recording.dump_to_json(folder / "recording.json", relative_to=relative_to)
    elif recording.check_if_pickle_serializable():
        recording.dump_to_pickle(folder / "recording.pickle", relative_to=relative_to)


def dump_sorting(sorting: BaseSorting, folder: Path, relative_to: Path | None) -> None:
    """Write ``sorting.json``; an in-memory sorting is first saved into ``folder/sorting/``.

    SpikeInterface pickles such sortings; a saved copy described with a relative path loads
    without unpickling, moves with the folder, and SpikeInterface 0.100 reads it too. That
    holds for generated sortings as well: their own JSON description names a SpikeDesk class.
    """
    from ..sorting.numpy import NumpySorting

    if not sorting.check_if_json_serializable() or isinstance(sorting, NumpySorting):
        sorting = sorting.save(folder=folder / "sorting", verbose=False)
        relative_to = folder
    sorting.dump_to_json(folder / "sorting.json", relative_to=relative_to)


def load_described(folder: Path, name: str, allow_pickle: bool):
    """Load ``<name>.json`` (or ``.pickle`` with ``allow_pickle``) of a WE folder.

    Raises
    ------
    FileNotFoundError
        If there is no description file.
    ValueError
        If only a pickle exists and ``allow_pickle`` is False.
    """
    json_file = folder / f"{name}.json"
    if json_file.is_file():
        return load_extractor(json_file, base_folder=folder)
    for suffix in (".pickle", ".pkl"):
        pickle_file = folder / f"{name}{suffix}"
        if pickle_file.is_file():
            if not allow_pickle:
                raise ValueError(
                    f"{pickle_file}: the {name} is only described by a pickle, which can execute "
                    f"code when read; pass allow_pickle=True for folders you trust, or pass the "
                    f"{name} yourself"
                )
            return load_extractor(pickle_file, base_folder=folder, allow_pickle=True)
    raise FileNotFoundError(f"{folder}: no {name}.json or {name}.pickle")


# --------------------------------------------------------------------------- folder parts
def write_recording_info(folder: Path, rec_attributes: dict, probegroup: ProbeGroup | None) -> None:
    """``recording_info/recording_attributes.json`` and ``probegroup.json``."""
    info = folder / "recording_info"
    info.mkdir(exist_ok=True)
    write_json(info / "recording_attributes.json", rec_attributes)
    if probegroup is not None:
        from probeinterface import write_probeinterface

        write_probeinterface(info / "probegroup.json", probegroup)


def read_recording_info(folder: Path) -> dict:
    """Recording attributes of a WE folder, with ``probegroup`` (or None) added.

    Raises
    ------
    ValueError
        If the folder has no ``recording_info/recording_attributes.json`` (written by old
        versions): it cannot be used without its recording.
    """
    attributes_file = folder / "recording_info" / "recording_attributes.json"
    if not attributes_file.is_file():
        raise ValueError(
            f"{folder}: no recording_info/recording_attributes.json (written by an older "
            "version): this folder cannot be loaded with with_recording=False"
        )
    rec_attributes = read_json(attributes_file)
    probegroup_file = folder / "recording_info" / "probegroup.json"
    from probeinterface import read_probeinterface

    rec_attributes["probegroup"] = (
        read_probeinterface(probegroup_file) if probegroup_file.is_file() else None
    )
    return rec_attributes


def write_sparsity(folder: Path, sparsity: ChannelSparsity) -> None:
    """``sparsity.json``."""
    write_json(folder / "sparsity.json", to_jsonable(sparsity.to_dict()), indent=None)


def read_sparsity(folder: Path) -> ChannelSparsity | None:
    """``sparsity.json`` as a ChannelSparsity, or None."""
    from .sparsity import ChannelSparsity

    sparsity_file = folder / "sparsity.json"
    if not sparsity_file.is_file():
        return None
    return ChannelSparsity.from_dict(read_json(sparsity_file))


def infer_sparsity_from_templates(
    folder: Path, unit_ids: np.ndarray, channel_ids: np.ndarray, widths: list[int]
) -> ChannelSparsity | None:
    """Sparsity of a folder re-saved from a sparse WE without ``sparsity.json``.

    SpikeInterface 0.100's ``save()`` of a sparse WE keeps sparse waveforms but drops
    ``sparsity.json``; its dense templates are zero outside each unit's channels, which gives the
    mask back when the counts agree with the waveforms' widths.
    """
    from .sparsity import ChannelSparsity

    for name in template_names(folder):
        templates = np.load(folder / f"templates_{name}.npy")
        if templates.shape[0] != len(unit_ids) or templates.shape[2] != len(channel_ids):
            continue
        mask = np.any(templates != 0, axis=1)
        if all(int(mask[u].sum()) == widths[u] for u in range(len(unit_ids))):
            return ChannelSparsity(mask, unit_ids, channel_ids)
    return None


def sparsity_of_resaved_folder(
    folder: Path, unit_ids: np.ndarray, channel_ids: np.ndarray
) -> ChannelSparsity | None:
    """Sparsity of a folder whose waveforms are narrower than the recording (FORMATS.md §8.1).

    Raises
    ------
    ValueError
        If the waveforms are sparse and the templates do not tell which channels they hold.
    """
    widths = []
    for unit_id in unit_ids.tolist():
        path = folder / "waveforms" / f"waveforms_{unit_id}.npy"
        if not path.is_file():
            return None
        widths.append(np.load(path, mmap_mode="r").shape[2])
    if all(width == len(channel_ids) for width in widths):
        return None
    sparsity = infer_sparsity_from_templates(folder, unit_ids, channel_ids, widths)
    if sparsity is None:
        raise ValueError(
            f"{folder}: waveforms are sparse but there is no sparsity.json and the templates "
            "do not tell which channels they hold"
        )
    return sparsity
