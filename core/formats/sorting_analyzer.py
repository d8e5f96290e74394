"""SpikeInterface SortingAnalyzers (>= 0.101), folder or zarr store, read as a WaveformExtractor.

A SortingAnalyzer is saved as a binary folder (FORMATS.md §9.1) or a zarr store (§9.3); both
hold the sorting, the recording attributes, an optional sparsity mask and
``extensions/<name>``. :func:`read_sorting_analyzer` opens either, through the
:class:`~core.formats.analyzer_store.AnalyzerStore` of its format, read-only and without its
recording, as a :class:`~core.waveforms.WaveformExtractor` in memory mode (§9.2): waveforms of
each unit come from the ``waveforms`` and ``random_spikes`` extensions, templates from
``templates``, noise levels from ``noise_levels``.

Nothing is unpickled: the stores read only JSON, ``.npy`` files without pickle and numeric zarr
arrays.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..opening import PRIORITY_ANALYZER, OpenOptions, is_zarr_store, register_opener
from ..waveforms.extractor import WaveformExtractor
from ..waveforms.sparsity import ChannelSparsity
from .analyzer_store import AnalyzerStore, open_analyzer_store

__all__ = ["read_sorting_analyzer"]

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


def read_sorting_analyzer(folder: str | Path) -> WaveformExtractor:
    """Open a SortingAnalyzer folder or zarr store as a recordingless, in-memory WaveformExtractor.

    Parameters
    ----------
    folder : str or Path
        The analyzer folder (holding ``spikeinterface_info.json``, ``sorting/``, ...) or
        ``.zarr`` store (root attribute ``spikeinterface_info``, groups ``sorting``, ...).

    Returns
    -------
    WaveformExtractor
        Recordingless, ``format == "memory"``; waveforms and sampled indices from the
        ``random_spikes`` and ``waveforms`` extensions, dense templates of every operator of the
        ``templates`` extension, and ``noise_levels`` (array or None) from the ``noise_levels``
        extension. Extensions whose ``run_info`` says they did not complete are not read
        (``random_spikes`` and ``waveforms`` are then an error). Nothing is written.

    Raises
    ------
    ValueError
        If a required file, array or attribute is missing (the message names it), or an array
        is inconsistent.
    """
    folder = Path(folder)
    store = open_analyzer_store(folder)
    sorting = store.sorting()
    return_in_uV = _return_in_uV(store)

    rec_attributes = store.recording_attributes()
    rec_attributes.setdefault("num_channels", len(rec_attributes.get("channel_ids", [])))
    channel_ids = np.asarray(rec_attributes["channel_ids"])
    num_channels = int(rec_attributes["num_channels"])
    unit_ids = sorting.unit_ids
    num_units = len(unit_ids)

    sparsity = None
    mask = store.sparsity_mask()
    if mask is not None:
        if mask.shape != (num_units, num_channels):
            raise ValueError(
                f"{store.array_location('sparsity_mask')}: mask of shape {mask.shape}, expected "
                f"{(num_units, num_channels)}"
            )
        sparsity = ChannelSparsity(mask.astype(bool), unit_ids, channel_ids)

    wf_params = _params(store, "waveforms", required=True)
    _require_completed(store, "waveforms")
    ms_before = float(wf_params["ms_before"])
    ms_after = float(wf_params["ms_after"])
    fs = float(sorting.get_sampling_frequency())
    nsamples = int(ms_before * fs / 1000.0) + int(ms_after * fs / 1000.0)

    rs_params = _params(store, "random_spikes", required=False)
    _require_completed(store, "random_spikes")
    indices = store.extension_array(
        "random_spikes", "random_spikes_indices", "random spikes indices"
    ).astype(np.int64)
    waveforms = store.extension_array("waveforms", "waveforms", "waveforms array")
    spikes = sorting.to_spike_vector()
    if indices.ndim != 1 or (indices.size and (indices.min() < 0 or indices.max() >= spikes.size)):
        raise ValueError(
            f"{store.array_location('extensions', 'random_spikes', 'random_spikes_indices')}: "
            "indices out of the sorting's spike vector"
        )
    waveforms_location = store.array_location("extensions", "waveforms", "waveforms")
    if waveforms.ndim != 3 or waveforms.shape[0] != indices.size or waveforms.shape[1] != nsamples:
        raise ValueError(
            f"{waveforms_location}: shape {waveforms.shape} does not match "
            f"{indices.size} random spikes of {nsamples} samples"
        )

    position = _positions_in_trains(spikes, num_units, sorting.get_num_segments())
    selected = spikes[indices]
    wfs_arrays = {}
    sampled_indices = {}
    for u, unit_id in enumerate(unit_ids.tolist()):
        rows = np.flatnonzero(selected["unit_index"] == u)
        n_active = num_channels if sparsity is None else int(sparsity.mask[u].sum())
        if n_active > waveforms.shape[2]:
            raise ValueError(
                f"{waveforms_location}: {waveforms.shape[2]} channels, unit {unit_id!r} has "
                f"{n_active}"
            )
        wfs_arrays[unit_id] = np.ascontiguousarray(waveforms[rows, :, :n_active])
        sampled = np.zeros(rows.size, dtype=_SAMPLED_INDEX_DTYPE)
        sampled["spike_index"] = position[indices[rows]]
        sampled["segment_index"] = selected["segment_index"][rows]
        sampled_indices[unit_id] = sampled

    we = WaveformExtractor(
        None, sorting, folder=None, rec_attributes=rec_attributes, sparsity=sparsity
    )
    we._params = {
        "ms_before": ms_before,
        "ms_after": ms_after,
        "max_spikes_per_unit": rs_params.get("max_spikes_per_unit"),
        "return_scaled": return_in_uV,
        "dtype": np.dtype(wf_params.get("dtype", waveforms.dtype.str)).str,
    }
    we._memory_objects = {"wfs_arrays": wfs_arrays, "sampled_indices": sampled_indices}
    we._template_cache = _read_templates(store, (num_units, nsamples, num_channels))
    we.noise_levels = _read_noise_levels(store)
    we.random_spikes_indices = indices
    we.analyzer_folder = folder
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
