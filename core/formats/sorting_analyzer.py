"""SpikeInterface SortingAnalyzer binary folders (>= 0.101), read as a WaveformExtractor.

A SortingAnalyzer folder (FORMATS.md §9.1) holds ``settings.json``, ``sorting/`` (a numpy folder),
``recording_info/``, an optional ``sparsity_mask.npy`` and ``extensions/<name>/``.
:func:`read_sorting_analyzer` opens one read-only, without its recording, as a
:class:`~core.waveforms.WaveformExtractor` in memory mode (§9.2): waveforms of each unit come from
``extensions/waveforms/waveforms.npy`` and ``extensions/random_spikes/random_spikes_indices.npy``,
templates from ``extensions/templates``, noise levels from ``extensions/noise_levels``.

Only ``.json`` and ``.npy`` files are read (``allow_pickle=False``): pickles are never loaded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..json_io import read_json
from ..loading import load_extractor
from ..waveforms.extractor import WaveformExtractor
from ..waveforms.folder_io import read_recording_info
from ..waveforms.sparsity import ChannelSparsity

__all__ = ["read_sorting_analyzer"]

_SAMPLED_INDEX_DTYPE = [("spike_index", "<i8"), ("segment_index", "<i8")]


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        raise ValueError(f"{path}: missing {what} of the SortingAnalyzer folder")
    return path


def _load_npy(path: Path, what: str) -> np.ndarray:
    _require(path, what)
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"{path}: cannot read {what} without unpickling ({error})") from None


def _read_json(path: Path, what: str) -> dict:
    return read_json(_require(path, what))


def _return_in_uV(folder: Path) -> bool:
    settings_file = folder / "settings.json"
    if not settings_file.is_file():
        return True  # early 0.101 development folders
    settings = read_json(settings_file)
    if "return_in_uV" in settings:
        return bool(settings["return_in_uV"])
    return bool(settings.get("return_scaled", True))


def _template_name(stem: str) -> str:
    # 0.101-0.103 misspelled the percentile files "pencentile_<p>"
    if stem.startswith("pencentile_"):
        return "percentile_" + stem[len("pencentile_") :]
    return stem


def _read_templates(folder: Path, shape: tuple[int, int, int]) -> dict[str, np.ndarray]:
    templates: dict[str, np.ndarray] = {}
    ext = folder / "extensions" / "templates"
    if not ext.is_dir():
        return templates
    for path in sorted(ext.glob("*.npy")):
        values = _load_npy(path, "a templates array")
        if values.shape != shape:
            raise ValueError(f"{path}: templates of shape {values.shape}, expected {shape}")
        name = _template_name(path.stem)
        templates[name] = values
        if name.startswith("percentile_"):
            # also reachable as get_all_templates(mode="percentile", percentile=<float>)
            try:
                templates.setdefault(f"percentile_{float(name[len('percentile_') :])}", values)
            except ValueError:
                pass
    return templates


def read_sorting_analyzer(folder: str | Path) -> WaveformExtractor:
    """Open a SortingAnalyzer binary folder as a recordingless, in-memory WaveformExtractor.

    Parameters
    ----------
    folder : str or Path
        The analyzer folder (holding ``spikeinterface_info.json``, ``sorting/``, ...).

    Returns
    -------
    WaveformExtractor
        Recordingless, ``format == "memory"``; waveforms and sampled indices from the
        ``random_spikes`` and ``waveforms`` extensions, dense templates of every operator of the
        ``templates`` extension, and ``noise_levels`` (array or None) from the ``noise_levels``
        extension. The folder is never written.

    Raises
    ------
    ValueError
        If a required file is missing (the message names it), or an array is inconsistent.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a SortingAnalyzer folder")
    sorting_folder = folder / "sorting"
    if not sorting_folder.is_dir():
        raise ValueError(f"{sorting_folder}: missing sorting folder of the SortingAnalyzer")
    sorting = load_extractor(sorting_folder)
    return_in_uV = _return_in_uV(folder)

    _require(folder / "recording_info" / "recording_attributes.json", "recording attributes")
    rec_attributes = read_recording_info(folder)
    rec_attributes.setdefault("num_channels", len(rec_attributes.get("channel_ids", [])))
    channel_ids = np.asarray(rec_attributes["channel_ids"])
    num_channels = int(rec_attributes["num_channels"])
    unit_ids = sorting.unit_ids
    num_units = len(unit_ids)

    sparsity = None
    mask_file = folder / "sparsity_mask.npy"
    if mask_file.is_file():
        mask = _load_npy(mask_file, "sparsity mask").astype(bool)
        if mask.shape != (num_units, num_channels):
            raise ValueError(
                f"{mask_file}: mask of shape {mask.shape}, expected {(num_units, num_channels)}"
            )
        sparsity = ChannelSparsity(mask, unit_ids, channel_ids)

    ext = folder / "extensions"
    wf_params = _read_json(ext / "waveforms" / "params.json", "waveforms parameters")
    ms_before = float(wf_params["ms_before"])
    ms_after = float(wf_params["ms_after"])
    fs = float(sorting.get_sampling_frequency())
    nsamples = int(ms_before * fs / 1000.0) + int(ms_after * fs / 1000.0)

    indices = _load_npy(
        ext / "random_spikes" / "random_spikes_indices.npy", "random spikes indices"
    ).astype(np.int64)
    waveforms = _load_npy(ext / "waveforms" / "waveforms.npy", "waveforms array")
    spikes = sorting.to_spike_vector()
    if indices.ndim != 1 or (indices.size and (indices.min() < 0 or indices.max() >= spikes.size)):
        raise ValueError(f"{ext / 'random_spikes'}: indices out of the sorting's spike vector")
    if waveforms.ndim != 3 or waveforms.shape[0] != indices.size or waveforms.shape[1] != nsamples:
        raise ValueError(
            f"{ext / 'waveforms' / 'waveforms.npy'}: shape {waveforms.shape} does not match "
            f"{indices.size} random spikes of {nsamples} samples"
        )
    rs_params_file = ext / "random_spikes" / "params.json"
    rs_params = read_json(rs_params_file) if rs_params_file.is_file() else {}

    # position of every spike in its unit's train of its segment
    unit_index = spikes["unit_index"].astype(np.int64)
    segment_index = spikes["segment_index"].astype(np.int64)
    num_segments = sorting.get_num_segments()
    key = unit_index * num_segments + segment_index
    order = np.argsort(key, kind="stable")  # spikes are time-sorted within each segment
    counts = np.bincount(key, minlength=num_units * num_segments)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.empty(spikes.size, dtype=np.int64)
    position[order] = np.arange(spikes.size) - np.repeat(starts, counts)

    selected = spikes[indices]
    wfs_arrays = {}
    sampled_indices = {}
    for u, unit_id in enumerate(unit_ids.tolist()):
        rows = np.flatnonzero(selected["unit_index"] == u)
        n_active = num_channels if sparsity is None else int(sparsity.mask[u].sum())
        if n_active > waveforms.shape[2]:
            raise ValueError(
                f"{ext / 'waveforms' / 'waveforms.npy'}: {waveforms.shape[2]} channels, unit "
                f"{unit_id!r} has {n_active}"
            )
        wfs_arrays[unit_id] = np.ascontiguousarray(waveforms[rows, :, :n_active])
        sampled = np.zeros(rows.size, dtype=_SAMPLED_INDEX_DTYPE)
        sampled["spike_index"] = position[indices[rows]]
        sampled["segment_index"] = segment_index[indices[rows]]
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
    we._template_cache = _read_templates(folder, (num_units, nsamples, num_channels))
    noise_file = ext / "noise_levels" / "noise_levels.npy"
    we.noise_levels = _load_npy(noise_file, "noise levels") if noise_file.is_file() else None
    we.random_spikes_indices = indices
    we.analyzer_folder = folder
    return we
