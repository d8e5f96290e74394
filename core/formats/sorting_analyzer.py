"""SpikeInterface SortingAnalyzers (>= 0.101), folder or zarr store, read as a WaveformExtractor.

A SortingAnalyzer is saved as a binary folder (FORMATS.md §9.1) or a zarr store (§9.3); both
hold the sorting, the recording attributes, an optional sparsity mask and
``extensions/<name>``. :class:`AnalyzerWaveformStore` reads either, through the
:class:`~core.formats.analyzer_store.AnalyzerStore` of its format, as the store of a
:class:`~core.waveforms.WaveformExtractor` (§9.2): waveforms of each unit come from the
``waveforms`` and ``random_spikes`` extensions (sliced from the analyzer's array when asked
for), templates from ``templates``, noise levels from ``noise_levels``. It never writes to the
analyzer: like memory, it keeps whatever the extractor computes (extensions, templates) in
memory. :func:`read_sorting_analyzer` opens an analyzer as a recordingless extractor.

Nothing is unpickled: the stores read only JSON, ``.npy`` files without pickle and numeric zarr
arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..opening import PRIORITY_ANALYZER, OpenOptions, is_zarr_store, register_opener
from ..waveforms.extractor import WaveformExtractor
from ..waveforms.sparsity import ChannelSparsity
from ..waveforms.store import StoredExtractor
from ..waveforms.store_memory import MemoryStore
from ..zarr_v2_raw import read_attributes
from .analyzer_store import AnalyzerStore, open_analyzer_store

if TYPE_CHECKING:
    from ..sorting.base import BaseSorting

__all__ = ["AnalyzerWaveformStore", "read_sorting_analyzer"]

_SAMPLED_INDEX_DTYPE = [("spike_index", "<i8"), ("segment_index", "<i8")]


def _return_in_uV(store: AnalyzerStore) -> bool:
    settings = store.settings()
    if settings is None:
        return True  # early 0.101 development analyzers
    if not isinstance(settings, dict):
        raise ValueError(f"{store.settings_location()}: settings are not a JSON object")
    if "return_in_uV" in settings:
        return bool(settings["return_in_uV"])
    return bool(settings.get("return_scaled", True))


def _completed(store: AnalyzerStore, name: str) -> bool:
    """False when the extension's ``run_info`` says its computation did not complete."""
    run_info = store.extension_run_info(name)
    return not isinstance(run_info, dict) or bool(run_info.get("run_completed", True))


def _require_completed(store: AnalyzerStore, name: str) -> None:
    if not _completed(store, name):
        raise ValueError(
            f"{store.extension_params_location(name)}: the {name} extension did not complete "
            "(run_info.run_completed is false); compute it again"
        )


def _params(store: AnalyzerStore, name: str, required: bool) -> dict:
    params = store.extension_params(name)
    where = store.extension_params_location(name)
    if params is None:
        if required:
            raise ValueError(f"{where}: missing {name} parameters of the SortingAnalyzer")
        return {}
    if not isinstance(params, dict):
        raise ValueError(f"{where}: {name} parameters are not a JSON object")
    return params


def _optional_extension(store: AnalyzerStore, name: str) -> bool:
    """Whether an optional extension is present and complete (warns when it is incomplete)."""
    if store.extension_params(name) is None and not store.extension_array_names(name):
        return False
    if not _completed(store, name):
        warnings.warn(
            f"{store.path}: the {name} extension did not complete (run_info.run_completed is "
            "false); it is not read",
            stacklevel=4,
        )
        return False
    return True


def _template_name(stem: str) -> str:
    # 0.101-0.103 misspelled the percentile arrays "pencentile_<p>"
    if stem.startswith("pencentile_"):
        return "percentile_" + stem[len("pencentile_") :]
    return stem


def _read_templates(store: AnalyzerStore, shape: tuple[int, int, int]) -> dict[str, np.ndarray]:
    templates: dict[str, np.ndarray] = {}
    if not _optional_extension(store, "templates"):
        return templates
    for key in store.extension_array_names("templates"):
        values = store.extension_array("templates", key, "a templates array")
        if values.shape != shape:
            raise ValueError(
                f"{store.array_location('extensions', 'templates', key)}: templates of shape "
                f"{values.shape}, expected {shape}"
            )
        name = _template_name(key)
        templates[name] = values
        if name.startswith("percentile_"):
            # also reachable as get_all_templates(mode="percentile", percentile=<float>)
            try:
                templates.setdefault(f"percentile_{float(name[len('percentile_') :])}", values)
            except ValueError:
                pass
    return templates


def _read_noise_levels(store: AnalyzerStore) -> np.ndarray | None:
    if not _optional_extension(store, "noise_levels"):
        return None
    if "noise_levels" not in store.extension_array_names("noise_levels"):
        return None
    return store.extension_array("noise_levels", "noise_levels", "noise levels")


def _positions_in_trains(spikes: np.ndarray, num_units: int, num_segments: int) -> np.ndarray:
    """Position of every spike in its unit's train of its segment."""
    key = spikes["unit_index"].astype(np.int64) * num_segments + spikes["segment_index"]
    order = np.argsort(key, kind="stable")  # spikes are time-sorted within each segment
    counts = np.bincount(key, minlength=num_units * num_segments)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.empty(spikes.size, dtype=np.int64)
    position[order] = np.arange(spikes.size) - np.repeat(starts, counts)
    return position


class _UnitWaveforms(Mapping):
    """``unit_id -> waveforms`` sliced on demand from the analyzer's single waveforms array."""

    def __init__(self, waveforms: np.ndarray, rows: dict, widths: dict) -> None:
        self._array = waveforms
        self._rows = rows
        self._widths = widths

    def __getitem__(self, unit_id) -> np.ndarray:
        rows = self._rows[unit_id]
        return np.ascontiguousarray(self._array[rows, :, : self._widths[unit_id]])

    def __iter__(self) -> Iterator:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class AnalyzerWaveformStore(MemoryStore):
    """A SortingAnalyzer folder or zarr store as the store of a WaveformExtractor (§9.2).

    The analyzer is read once (everything but the per-unit waveforms, which are sliced when
    asked for) and never written: the extractor's format is ``"memory"`` and what it computes
    stays in memory.

    Parameters
    ----------
    path : str or Path
        The analyzer folder (holding ``spikeinterface_info.json``, ``sorting/``, ...) or
        ``.zarr`` store (root attribute ``spikeinterface_info``, groups ``sorting``, ...).

    Attributes
    ----------
    analyzer_path : Path
    noise_levels : np.ndarray or None
        From the ``noise_levels`` extension.
    random_spikes_indices : np.ndarray
        Rows of the sorting's spike vector whose waveforms the analyzer holds.

    Raises
    ------
    ValueError
        If a required file, array or attribute is missing (the message names it), or an array
        is inconsistent. Extensions whose ``run_info`` says they did not complete are not read
        (``random_spikes`` and ``waveforms`` are then an error).
    """

    def __init__(self, path: str | Path) -> None:
        self.analyzer_path = Path(path)
        store = open_analyzer_store(self.analyzer_path)
        self._sorting = store.sorting()
        rec_attributes = store.recording_attributes()
        rec_attributes.setdefault("num_channels", len(rec_attributes.get("channel_ids", [])))
        self._rec_attributes = rec_attributes
        channel_ids = np.asarray(rec_attributes["channel_ids"])
        num_channels = int(rec_attributes["num_channels"])
        unit_ids = self._sorting.unit_ids
        num_units = len(unit_ids)

        self._sparsity = None
        mask = store.sparsity_mask()
        if mask is not None:
            if mask.shape != (num_units, num_channels):
                raise ValueError(
                    f"{store.array_location('sparsity_mask')}: mask of shape {mask.shape}, "
                    f"expected {(num_units, num_channels)}"
                )
            self._sparsity = ChannelSparsity(mask.astype(bool), unit_ids, channel_ids)

        wf_params = _params(store, "waveforms", required=True)
        _require_completed(store, "waveforms")
        ms_before = float(wf_params["ms_before"])
        ms_after = float(wf_params["ms_after"])
        fs = float(self._sorting.get_sampling_frequency())
        nsamples = int(ms_before * fs / 1000.0) + int(ms_after * fs / 1000.0)

        rs_params = _params(store, "random_spikes", required=False)
        _require_completed(store, "random_spikes")
        indices = store.extension_array(
            "random_spikes", "random_spikes_indices", "random spikes indices"
        ).astype(np.int64)
        waveforms = store.extension_array("waveforms", "waveforms", "waveforms array")
        spikes = self._sorting.to_spike_vector()
        if indices.ndim != 1 or (
            indices.size and (indices.min() < 0 or indices.max() >= spikes.size)
        ):
            raise ValueError(
                f"{store.array_location('extensions', 'random_spikes', 'random_spikes_indices')}"
                ": indices out of the sorting's spike vector"
            )
        waveforms_location = store.array_location("extensions", "waveforms", "waveforms")
        if (
            waveforms.ndim != 3
            or waveforms.shape[0] != indices.size
            or waveforms.shape[1] != nsamples
        ):
            raise ValueError(
                f"{waveforms_location}: shape {waveforms.shape} does not match "
                f"{indices.size} random spikes of {nsamples} samples"
            )

        position = _positions_in_trains(spikes, num_units, self._sorting.get_num_segments())
        selected = spikes[indices]
        rows, widths, sampled_indices = {}, {}, {}
        for u, unit_id in enumerate(unit_ids.tolist()):
            unit_rows = np.flatnonzero(selected["unit_index"] == u)
            n_active = num_channels if self._sparsity is None else int(mask[u].sum())
            if n_active > waveforms.shape[2]:
                raise ValueError(
                    f"{waveforms_location}: {waveforms.shape[2]} channels, unit {unit_id!r} has "
                    f"{n_active}"
                )
            rows[unit_id], widths[unit_id] = unit_rows, n_active
            sampled = np.zeros(unit_rows.size, dtype=_SAMPLED_INDEX_DTYPE)
            sampled["spike_index"] = position[indices[unit_rows]]
            sampled["segment_index"] = selected["segment_index"][unit_rows]
            sampled_indices[unit_id] = sampled

        params = {
            "ms_before": ms_before,
            "ms_after": ms_after,
            "max_spikes_per_unit": rs_params.get("max_spikes_per_unit"),
            "return_scaled": _return_in_uV(store),
            "dtype": np.dtype(wf_params.get("dtype", waveforms.dtype.str)).str,
        }
        super().__init__(
            params=params,
            templates=_read_templates(store, (num_units, nsamples, num_channels)),
            waveforms=_UnitWaveforms(waveforms, rows, widths),
            sampled_indices=sampled_indices,
        )
        self.noise_levels = _read_noise_levels(store)
        self.random_spikes_indices = indices

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.analyzer_path)!r})"

    @classmethod
    def matches(cls, path: str | Path) -> bool:
        """Whether ``path`` is a SortingAnalyzer folder or zarr store (from metadata only)."""
        path = Path(path)
        info_file = path / "spikeinterface_info.json"
        if info_file.is_file():
            return '"SortingAnalyzer"' in info_file.read_text(encoding="utf8")
        if (path / ".zgroup").is_file():
            info = read_attributes(path).get("spikeinterface_info")
            return isinstance(info, dict) and info.get("object") == "SortingAnalyzer"
        return False

    def read_description(
        self, with_recording: bool = False, sorting: BaseSorting | None = None
    ) -> StoredExtractor:
        """The analyzer's sorting (or ``sorting``), recording attributes and sparsity.

        The recording is never loaded: ``with_recording`` is accepted for symmetry only.
        """
        return StoredExtractor(
            None,
            self._sorting if sorting is None else sorting,
            self._rec_attributes,
            self._sparsity,
        )


def read_sorting_analyzer(folder: str | Path) -> WaveformExtractor:
    """Open a SortingAnalyzer folder or zarr store as a recordingless WaveformExtractor.

    Parameters
    ----------
    folder : str or Path
        The analyzer folder or ``.zarr`` store (see :class:`AnalyzerWaveformStore`).

    Returns
    -------
    WaveformExtractor
        Recordingless, ``format == "memory"`` (its store is an :class:`AnalyzerWaveformStore`);
        waveforms and sampled indices from the ``random_spikes`` and ``waveforms`` extensions,
        dense templates of every operator of the ``templates`` extension, and ``noise_levels``
        (array or None), ``random_spikes_indices`` and ``analyzer_folder`` attributes. Nothing
        is written.

    Raises
    ------
    ValueError
        If a required file, array or attribute is missing (the message names it), or an array
        is inconsistent.
    """
    store = AnalyzerWaveformStore(folder)
    we = WaveformExtractor.from_store(store, with_recording=False)
    we.noise_levels = store.noise_levels
    we.random_spikes_indices = store.random_spikes_indices
    we.analyzer_folder = store.analyzer_path
    return we


def is_sorting_analyzer(path: Path) -> bool:
    """Whether ``path`` is a SortingAnalyzer folder or zarr store (from its metadata only)."""
    from ..zarr_v2_raw import read_attributes

    info = path / "spikeinterface_info.json"
    if info.is_file():
        return '"SortingAnalyzer"' in info.read_text(encoding="utf8")
    if is_zarr_store(path):
        info = read_attributes(path).get("spikeinterface_info")
        return isinstance(info, dict) and info.get("object") == "SortingAnalyzer"
    return False


def _open_analyzer(path: Path, options: OpenOptions) -> dict:
    we = read_sorting_analyzer(path)
    return {"waveform_extractor": we, "sorting": we.sorting}


register_opener(
    "sorting_analyzer",
    is_sorting_analyzer,
    _open_analyzer,
    kinds=("waveform_extractor", "sorting"),
    saved=True,
    priority=PRIORITY_ANALYZER,
)
