"""WaveformExtractors on disk (FORMATS.md §8): the two layouts, and what they share.

The binary folder holds ``params.json``, ``recording.json``/``.pickle``, ``sorting.json``/
``.pickle``, ``recording_info/`` (``recording_attributes.json`` and ``probegroup.json``: what
recordingless use needs), ``sparsity.json`` when sparse, ``templates_<mode>.npy`` and
``waveforms/`` with ``waveforms_<unit_id>.npy`` and ``sampled_index_<unit_id>.npy``. The zarr store
holds the same as attributes, groups and arrays (zarr format 2, as SpikeInterface 0.100 writes).
Nothing here unpickles unless the caller passes ``allow_pickle=True``.

Reading and writing each layout is in :mod:`.folder_io` and :mod:`.zarr_io`; this module holds
what both use: :class:`StoredExtractor` (what reading gives), template names, and the recording
attributes, templates and waveforms that a save writes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from probeinterface import ProbeGroup

from .extractor_recording import recording_attributes

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting
    from .extractor import WaveformExtractor
    from .sparsity import ChannelSparsity

#: Template modes; ``percentile`` is cached as ``percentile_<p>``.
TEMPLATE_MODES = ("average", "std", "median", "percentile")


@dataclass
class StoredExtractor:
    """What a folder or store gives to build a WaveformExtractor."""

    recording: BaseRecording | None
    sorting: BaseSorting
    rec_attributes: dict | None
    sparsity: ChannelSparsity | None
    templates: dict[str, np.ndarray]


class RecordingUnavailableError(ValueError):
    """The recording of a WaveformExtractor folder or store cannot be loaded."""


def _load_recording(folder: Path, load: Callable[[], BaseRecording]) -> BaseRecording:
    """Run ``load()``; turn failures into an error suggesting ``with_recording=False``."""
    try:
        return load()
    except Exception as error:
        raise RecordingUnavailableError(
            f"{folder}: the recording could not be loaded ({error}); open the folder with "
            "with_recording=False"
        ) from error


def template_names(folder_or_group) -> list[str]:
    """Cached template names (``average``, ``percentile_5.0``...) of a folder or zarr group."""
    if isinstance(folder_or_group, Path):
        names = [p.stem.removeprefix("templates_") for p in folder_or_group.glob("templates_*.npy")]
    else:
        names = [
            k.removeprefix("templates_")
            for k in folder_or_group.keys()
            if k.startswith("templates_")
        ]
    return sorted(n for n in names if n in TEMPLATE_MODES or n.startswith("percentile_"))


# --------------------------------------------------------------------------- what a save writes
def _saved_recording_info(we: WaveformExtractor) -> tuple[dict, ProbeGroup | None]:
    if we.has_recording():
        return recording_attributes(we.recording), we.get_probegroup()
    attributes = {k: v for k, v in we._rec_attributes.items() if k != "probegroup"}
    return attributes, we.get_probegroup()


def _saved_templates(we: WaveformExtractor, sparsity: ChannelSparsity | None) -> dict:
    """Cached templates, zeroed outside a new ``sparsity``."""
    templates = {}
    for name, values in we._template_cache.items():
        values = np.array(values)
        if sparsity is not None:
            values[~np.broadcast_to(sparsity.mask[:, None, :], values.shape)] = 0
        templates[name] = values
    return templates


def _saved_waveforms(we: WaveformExtractor, sparsity: ChannelSparsity | None):
    """``(unit_id, waveforms, sampled_index)`` per unit, restricted to a new ``sparsity``."""
    for unit_index, unit_id in enumerate(we.unit_ids.tolist()):
        waveforms, index = we.get_waveforms(unit_id, with_index=True)
        waveforms = np.asarray(waveforms)
        if sparsity is not None:
            waveforms = waveforms[:, :, sparsity.mask[unit_index]]
        yield unit_id, waveforms, index
