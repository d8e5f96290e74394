"""MemoryStore: a WaveformExtractor in memory (``mode="memory"``, in-memory selections).

Waveforms are numpy arrays, one per unit, filled in place by the extraction kernel; parameters,
templates and extension data are kept as given (no copies).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .kernel import extract_waveforms_to_buffers

if TYPE_CHECKING:
    from ..recording.base import BaseRecording


class MemoryStore:
    """The storage of an in-memory WaveformExtractor (a `WaveformStore`).

    Parameters
    ----------
    params : dict or None, default: None
        Extraction parameters.
    templates : dict or None, default: None
        Templates by name.
    waveforms : dict or None, default: None
        ``{unit_id: waveforms}``; None: no waveforms.
    sampled_indices : dict or None, default: None
        ``{unit_id: sampled_index}``, required with ``waveforms``.
    """

    format = "memory"
    path: Path | None = None

    def __init__(
        self,
        params: dict | None = None,
        templates: dict[str, np.ndarray] | None = None,
        waveforms: dict[Any, np.ndarray] | None = None,
        sampled_indices: dict[Any, np.ndarray] | None = None,
    ) -> None:
        if (waveforms is None) != (sampled_indices is None):
            raise ValueError("waveforms and sampled_indices are given together or not at all")
        self._params = dict(params or {})
        self._templates = dict(templates or {})
        self._waveforms = waveforms
        self._sampled_indices = sampled_indices
        self._extension_params: dict[str, dict] = {}
        self._extension_data: dict[str, dict[str, Any]] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def is_read_only(self) -> bool:
        """False: memory is always writable."""
        return False

    # ------------------------------------------------------------------ parameters and templates
    def read_params(self) -> dict:
        """The parameters."""
        return dict(self._params)

    def write_params(self, params: dict) -> None:
        """Keep ``params``."""
        self._params = dict(params)

    def read_templates(self) -> dict[str, np.ndarray]:
        """The templates by name."""
        return dict(self._templates)

    def write_templates(self, name: str, values: np.ndarray) -> None:
        """Keep ``values`` as templates ``name``."""
        self._templates[name] = values

    # ------------------------------------------------------------------ waveforms
    def has_waveforms(self) -> bool:
        """Whether sampled indices (and waveforms) are held."""
        return self._sampled_indices is not None

    def reset_waveforms(self) -> None:
        """Forget waveforms, sampled indices and templates."""
        self.delete_waveforms()
        self._templates = {}

    def delete_waveforms(self) -> None:
        """Forget waveforms and sampled indices."""
        self._waveforms = None
        self._sampled_indices = None

    def write_sampled_indices(self, sampled_indices: dict[Any, np.ndarray]) -> None:
        """Keep the sampled indices; the waveforms are empty until extracted."""
        self._sampled_indices = sampled_indices
        self._waveforms = {}

    def extract_waveforms(
        self,
        recording: BaseRecording,
        spikes: np.ndarray,
        unit_ids: np.ndarray,
        nbefore: int,
        nafter: int,
        averages: dict | None = None,
        **kernel_kwargs: Any,
    ) -> None:
        """Cut the waveforms into arrays (``"memory"`` mode)."""
        self._waveforms = extract_waveforms_to_buffers(
            recording,
            spikes,
            unit_ids,
            nbefore,
            nafter,
            mode="memory",
            averages=averages,
            **kernel_kwargs,
        )

    def read_waveforms(self, unit_id: Any, lazy: bool) -> np.ndarray:
        """The waveforms array of ``unit_id`` (the held array itself)."""
        if unit_id not in self._waveforms:
            raise ValueError(f"no waveforms for unit {unit_id!r}: not extracted yet")
        return self._waveforms[unit_id]

    def read_sampled_indices(self, unit_id: Any) -> np.ndarray:
        """The sampled indices of ``unit_id``."""
        return self._sampled_indices[unit_id]

    # ------------------------------------------------------------------ extensions
    def has_extension(self, name: str) -> bool:
        """Whether parameters of extension ``name`` are held."""
        return name in self._extension_params

    def extension_folder(self, name: str) -> None:
        """None: there is no folder."""
        return None

    def read_extension_params(self, name: str) -> dict:
        """The held parameters of extension ``name``."""
        if name not in self._extension_params:
            raise FileNotFoundError(f"extension {name!r} not found in memory")
        return dict(self._extension_params[name])

    def write_extension_params(self, name: str, params: dict) -> None:
        """Keep the parameters of extension ``name``."""
        self._extension_params[name] = dict(params)

    def read_extension_data(self, name: str) -> dict[str, Any]:
        """The held data of extension ``name``."""
        return dict(self._extension_data.get(name, {}))

    def write_extension_data(self, name: str, data: dict[str, Any], compressor: Any = None) -> None:
        """Keep the data of extension ``name`` (``compressor`` is ignored)."""
        self._extension_data[name] = data

    def reset_extension(self, name: str) -> None:
        """Forget the parameters and data of extension ``name``."""
        self.delete_extension(name)

    def delete_extension(self, name: str) -> None:
        """Forget extension ``name``."""
        self._extension_params.pop(name, None)
        self._extension_data.pop(name, None)
