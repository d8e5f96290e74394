"""Templates of a WaveformExtractor: computed from its waveforms, cached, stored with it.

:class:`TemplatesMixin` computes every requested mode (average, std, median, percentile) in one
read of each unit's waveforms, keeps them dense in ``_template_cache`` (zeros outside the
sparsity) and writes them to the extractor's store (``templates_<name>.npy``, zarr arrays, or
memory) when it is writable.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from ..jobs import fix_job_kwargs
from .extractor_io import TEMPLATE_MODES

if TYPE_CHECKING:
    from .sparsity import ChannelSparsity

_SEGMENT_MODES = ("average", "median", "std")
#: Units whose dense templates `get_all_templates` copies in one step.
_UNITS_PER_COPY = 16


class TemplatesMixin:
    """Template computation and caching of a WaveformExtractor.

    Needs ``unit_ids``, ``sorting``, ``sparsity``, ``nsamples``, ``dtype``, ``store``,
    ``get_num_channels()``, ``get_waveforms()``, ``get_waveforms_segment()``, ``_unit_index()``,
    ``_check_extra_sparsity()`` and ``_template_cache`` on the class it is mixed into.
    """

    def precompute_templates(
        self,
        modes=("average", "std", "median", "percentile"),
        percentile: float | None = None,
        n_jobs: int | None = None,
    ) -> None:
        """Compute and cache templates of every unit, all modes in one read of the waveforms.

        Parameters
        ----------
        modes : sequence of {"average", "std", "median", "percentile"}
            The default computes ``percentile`` only when ``percentile`` is given.
        percentile : float or None, default: None
            In ``[0, 100]``; cached as ``percentile_<p>``.
        n_jobs : int or None, default: None
            Threads processing the units (None: ``n_jobs`` of the global job keyword arguments).

        Templates are dense ``(num_units, nsamples, num_channels)``, zeros outside the sparsity;
        float32 except ``median`` (waveform dtype). ``average`` is exactly ``np.mean`` of the
        waveforms. They are written to the store when it is writable. Modes already cached
        (computed before, or read from the store) are not computed again.
        """
        if n_jobs is None:
            n_jobs = fix_job_kwargs({})["n_jobs"]
        modes = [modes] if isinstance(modes, str) else list(modes)
        if percentile is None and modes == list(TEMPLATE_MODES):
            modes.remove("percentile")
        names = {}
        for mode in modes:
            if mode not in TEMPLATE_MODES:
                raise ValueError(f"mode must be one of {TEMPLATE_MODES}, got {mode!r}")
            if mode == "percentile":
                if percentile is None or not 0 <= percentile <= 100:
                    raise ValueError(f"percentile must be in [0, 100], got {percentile!r}")
                names[mode] = f"percentile_{percentile}"
            else:
                names[mode] = mode
        modes = [mode for mode in modes if names[mode] not in self._template_cache]
        if not modes:  # e.g. averages computed while extracting
            return
        shape = (len(self.unit_ids), self.nsamples, self.get_num_channels())
        templates = {
            mode: np.zeros(shape, dtype=self.dtype if mode == "median" else np.float32)
            for mode in modes
        }

        def compute(unit_index: int, unit_id) -> None:
            waveforms = np.asarray(self.get_waveforms(unit_id))
            if waveforms.shape[0] == 0:
                return
            columns = slice(None) if self.sparsity is None else self.sparsity.mask[unit_index]
            for mode in modes:
                templates[mode][unit_index][:, columns] = _reduce(waveforms, mode, percentile)

        unit_ids = self.unit_ids.tolist()
        if n_jobs > 1 and len(unit_ids) > 1:
            # numpy reductions release the GIL; each thread fills its own units' rows
            with ThreadPoolExecutor(min(n_jobs, len(unit_ids))) as pool:
                list(pool.map(compute, range(len(unit_ids)), unit_ids))
        else:
            for unit_index, unit_id in enumerate(unit_ids):
                compute(unit_index, unit_id)
        for mode, values in templates.items():
            self._template_cache[names[mode]] = values
            self._store_templates(names[mode], values)

    def _set_average_templates(self, averages: dict) -> None:
        """Cache and store ``average`` templates given per unit (the unit's channels)."""
        shape = (len(self.unit_ids), self.nsamples, self.get_num_channels())
        templates = np.zeros(shape, dtype=np.float32)
        for unit_index, unit_id in enumerate(self.unit_ids.tolist()):
            columns = slice(None) if self.sparsity is None else self.sparsity.mask[unit_index]
            templates[unit_index][:, columns] = averages[unit_id]
        self._template_cache["average"] = templates
        self._store_templates("average", templates)

    def _store_templates(self, name: str, values: np.ndarray) -> None:
        if not self.store.is_read_only():
            self.store.write_templates(name, values)

    def get_all_templates(
        self, unit_ids=None, mode: str = "average", percentile: float | None = None
    ) -> np.ndarray:
        """Dense templates ``(num_units, nsamples, num_channels)`` of ``mode`` (a copy)."""
        name = mode if mode != "percentile" else f"percentile_{percentile}"
        if name not in self._template_cache:
            self.precompute_templates(modes=[mode], percentile=percentile)
        templates = self._template_cache[name]
        if unit_ids is not None:
            templates = templates[self.sorting.ids_to_indices(unit_ids)]
        # copied a few units at a time: one copy of hundreds of dense templates (tens of MB)
        # holds the GIL long enough to stall a GUI thread
        copy = np.empty(templates.shape, dtype=templates.dtype)
        for first in range(0, len(templates), _UNITS_PER_COPY):
            copy[first : first + _UNITS_PER_COPY] = templates[first : first + _UNITS_PER_COPY]
        return copy

    def get_template(
        self,
        unit_id,
        mode: str = "average",
        sparsity: ChannelSparsity | None = None,
        force_dense: bool = False,
        percentile: float | None = None,
    ) -> np.ndarray:
        """Template ``(nsamples, channels)`` of one unit: its sparsity channels unless dense.

        Parameters
        ----------
        unit_id : int or str
        mode : {"average", "std", "median", "percentile"}, default: "average"
        sparsity : ChannelSparsity or None, default: None
            Channels to keep (dense extractors only).
        force_dense : bool, default: False
            All channels (zeros outside the sparsity).
        percentile : float or None, default: None
            For ``mode="percentile"``.
        """
        if mode not in TEMPLATE_MODES:
            raise ValueError(f"mode must be one of {TEMPLATE_MODES}, got {mode!r}")
        unit_index = self._unit_index(unit_id)
        self._check_extra_sparsity(sparsity)
        name = mode if mode != "percentile" else f"percentile_{percentile}"
        if name in self._template_cache:
            template = self._template_cache[name][unit_index]
            mask = sparsity if sparsity is not None else self.sparsity
            if mask is not None and not force_dense:
                template = template[:, mask.mask[unit_index]]
            return np.array(template)
        waveforms = np.asarray(self.get_waveforms(unit_id, force_dense=force_dense))
        if sparsity is not None and not force_dense:
            waveforms = waveforms[:, :, sparsity.mask[unit_index]]
        return np.array(_reduce(waveforms, mode, percentile))

    def get_template_segment(
        self, unit_id, segment_index: int, mode: str = "average", sparsity=None
    ) -> np.ndarray:
        """Template of one unit from the waveforms of one segment (average, median or std)."""
        if mode not in _SEGMENT_MODES:
            raise ValueError(f"mode must be one of {_SEGMENT_MODES}, got {mode!r}")
        self._unit_index(unit_id)
        waveforms = np.asarray(self.get_waveforms_segment(segment_index, unit_id, sparsity))
        return _reduce(waveforms, mode, None)


def _reduce(waveforms: np.ndarray, mode: str, percentile: float | None) -> np.ndarray:
    """One template from ``(num_spikes, nsamples, channels)`` waveforms."""
    if mode == "average":
        return np.mean(waveforms, axis=0)
    if mode == "std":
        return np.std(waveforms, axis=0)
    if mode == "median":
        return np.median(waveforms, axis=0)
    return np.percentile(waveforms, percentile, axis=0)
