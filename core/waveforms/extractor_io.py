"""What the on-disk WaveformExtractor stores share (FORMATS.md §8).

The binary folder holds ``params.json``, ``recording.json``/``.pickle``, ``sorting.json``/
``.pickle``, ``recording_info/`` (``recording_attributes.json`` and ``probegroup.json``: what
recordingless use needs), ``sparsity.json`` when sparse, ``templates_<mode>.npy`` and
``waveforms/`` with ``waveforms_<unit_id>.npy`` and ``sampled_index_<unit_id>.npy``. The zarr store
holds the same as attributes, groups and arrays (zarr format 2, as SpikeInterface 0.100 writes).
Nothing unpickles unless the caller passes ``allow_pickle=True``.

The stores are :class:`~.store_folder.BinaryFolderStore` and
:class:`~.store_zarr.ZarrWaveformStore`; this module holds what both use: template names, the
write permission of a folder and the error raised when a stored recording cannot be loaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..recording.base import BaseRecording

#: Template modes; ``percentile`` is cached as ``percentile_<p>``.
TEMPLATE_MODES = ("average", "std", "median", "percentile")


class RecordingUnavailableError(ValueError):
    """The recording of a WaveformExtractor folder or store cannot be loaded."""


def load_recording(folder: Path, load: Callable[[], BaseRecording]) -> BaseRecording:
    """Run ``load()``; turn failures into an error suggesting ``with_recording=False``."""
    try:
        return load()
    except Exception as error:
        raise RecordingUnavailableError(
            f"{folder}: the recording could not be loaded ({error}); open the folder with "
            "with_recording=False"
        ) from error


def is_template_name(name: str) -> bool:
    """Whether ``name`` names cached templates (``average``, ``percentile_5.0``...)."""
    return name in TEMPLATE_MODES or name.startswith("percentile_")


def template_names(folder: Path) -> list[str]:
    """Cached template names of a binary folder (its ``templates_<name>.npy`` files)."""
    names = [p.stem.removeprefix("templates_") for p in folder.glob("templates_*.npy")]
    return sorted(n for n in names if is_template_name(n))


def folder_is_read_only(folder: Path) -> bool:
    """Whether ``folder`` must not be changed: not writable, or without any write bit.

    No write bit counts too: root may write anywhere, but must not change such folders.
    """
    return not folder.stat().st_mode & 0o222 or not os.access(folder, os.W_OK)
