"""Entry points: extract_waveforms, load_waveforms, precompute_sparsity, estimate_sparsity."""

from __future__ import annotations

import math
import numbers
import shutil
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..argument_checks import checked_numeric_dtype
from ..atomic import atomic_folder
from ..errors import ExistingPathError
from ..jobs import split_job_kwargs
from ..opening import (
    PRIORITY_WAVEFORMS,
    OpenOptions,
    is_zarr_store,
    open_path,
    register_opener,
)
from ..source_files import check_save_target
from .extractor import WaveformExtractor
from .extractor_io import RecordingUnavailableError
from .extractor_recording import check_spikes_in_recording
from .kernel import estimate_templates_average
from .sampling import random_spikes_selection, sample_spikes
from .store_folder import BinaryFolderStore
from .store_memory import MemoryStore

if TYPE_CHECKING:
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting
    from .sparsity import ChannelSparsity

#: Keyword arguments of ``compute_sparsity`` accepted by ``extract_waveforms``.
SPARSITY_KWARGS = ("method", "peak_sign", "num_channels", "radius_um", "threshold", "by_property")
#: Keyword arguments of the chunked jobs besides the job keys.
_CONTROL_KWARGS = ("progress_callback", "cancel_token")
# seed of estimate_sparsity's spike draws, as in SpikeInterface
_ESTIMATE_SPARSITY_SEED = 2205


def _split_kwargs(kwargs: dict, allowed: tuple[str, ...], function: str) -> tuple[dict, dict]:
    """Split into ``allowed`` keys and job keyword arguments (+ progress/cancel)."""
    specific, job_kwargs = split_job_kwargs(
        {k: v for k, v in kwargs.items() if k not in _CONTROL_KWARGS}
    )
    unknown = sorted(set(specific) - set(allowed))
    if unknown:
        raise TypeError(f"{function}() got unexpected keyword arguments {unknown}")
    job_kwargs.update({k: kwargs[k] for k in _CONTROL_KWARGS if k in kwargs})
    return specific, job_kwargs


def _aligned_sparsity(
    sparsity: ChannelSparsity, recording: BaseRecording, sorting: BaseSorting
) -> ChannelSparsity:
    """``sparsity`` with rows in the sorting's unit order and columns in channel order."""
    from .sparsity import ChannelSparsity

    if not isinstance(sparsity, ChannelSparsity):
        raise TypeError(f"sparsity must be a ChannelSparsity, got {type(sparsity).__name__}")
    units = {u: i for i, u in enumerate(sparsity.unit_ids.tolist())}
    channels = {c: i for i, c in enumerate(sparsity.channel_ids.tolist())}
    missing_units = [u for u in sorting.unit_ids.tolist() if u not in units]
    if missing_units:
        raise ValueError(f"sparsity has no entry for units {missing_units}")
    missing_channels = [c for c in recording.channel_ids.tolist() if c not in channels]
    if missing_channels:
        raise ValueError(f"sparsity does not know the channels {missing_channels}")
    rows = [units[u] for u in sorting.unit_ids.tolist()]
    columns = [channels[c] for c in recording.channel_ids.tolist()]
    extra = np.delete(sparsity.mask[rows], columns, axis=1)
    if extra.any():
        raise ValueError("sparsity selects channels that are not in the recording")
    mask = sparsity.mask[np.ix_(rows, columns)]
    return ChannelSparsity(mask, sorting.unit_ids, recording.channel_ids)


def _check_window(ms_before, ms_after) -> None:
    """Both sides of the waveform window: finite positive numbers of milliseconds."""
    for argument, value in (("ms_before", ms_before), ("ms_after", ms_after)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{argument} must be a number of milliseconds, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"{argument} must be a finite number of milliseconds > 0, got {value}")


def _check_count(value, argument: str, allow_none: bool) -> None:
    """A positive whole number (None too when ``allow_none``)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        expected = "a positive int or None" if allow_none else "a positive int"
        raise TypeError(f"{argument} must be {expected}, got {value!r}")
    if value < 1:
        raise ValueError(f"{argument} must be >= 1, got {value}")


def _check_extraction_inputs(recording, sorting) -> None:
    """The recording and sorting are what their names say (TypeError otherwise)."""
    from ..recording.base import BaseRecording
    from ..sorting.base import BaseSorting

    if not isinstance(recording, BaseRecording):
        raise TypeError(f"recording must be a recording, got {type(recording).__name__}")
    if not isinstance(sorting, BaseSorting):
        raise TypeError(f"sorting must be a sorting, got {type(sorting).__name__}")


def extract_waveforms(
    recording: BaseRecording,
    sorting: BaseSorting,
    folder: str | Path | None = None,
    mode: str = "folder",
    precompute_template=("average",),
    ms_before: float = 1.0,
    ms_after: float = 2.0,
    max_spikes_per_unit: int | None = 500,
    overwrite: bool = False,
    return_scaled: bool = True,
    dtype=None,
    sparse: bool = True,
    sparsity: ChannelSparsity | None = None,
    sparsity_temp_folder: str | Path | None = None,
    num_spikes_for_sparsity: int = 100,
    unit_batch_size: int = 200,
    allow_unfiltered: bool = False,
    use_relative_path: bool = False,
    seed: int | None = None,
    load_if_exists: bool | None = None,
    **kwargs,
) -> WaveformExtractor:
    """Sample spikes, extract their waveforms and compute templates.

    Parameters
    ----------
    recording : BaseRecording
        Must have channel locations (a probe).
    sorting : BaseSorting
        Spikes must lie inside the recording.
    folder : str or Path or None, default: None
        Target folder of ``mode="folder"``; written atomically: a failed or cancelled extraction
        leaves nothing that loads.
    mode : {"folder", "memory"}, default: "folder"
    precompute_template : sequence of str or None, default: ("average",)
        Template modes computed at the end (None: none).
    ms_before, ms_after : float, default: 1.0, 2.0
        Window around each spike in ms; both must be > 0.
    max_spikes_per_unit : int or None, default: 500
        Spikes sampled per unit (>= 1), among those whose window fits in their segment; None
        keeps all: a window crossing a segment border then holds the samples that exist and
        zeros beyond the border (as SpikeInterface >= 0.101; 0.100 gave all zeros).
    overwrite : bool, default: False
        Replace an existing folder once the new one is complete (else ``FileExistsError``);
        refused (``ValueError``, before anything is written) when that folder holds a file the
        recording or the sorting reads from.
    return_scaled : bool, default: True
        Waveforms in µV when the recording has gains.
    dtype : numpy dtype-like or None, default: None
    sparse : bool, default: True
        Estimate a sparsity (``precompute_sparsity``) when ``sparsity`` is not given.
    sparsity : ChannelSparsity or None, default: None
        Explicit sparsity (reordered to the sorting's units and the recording's channels).
    sparsity_temp_folder : str or Path or None, default: None
        Folder for the dense waveforms of ``method="energy"`` sparsity estimation.
    num_spikes_for_sparsity : int, default: 100
    unit_batch_size : int, default: 200
        Units per batch when the sparsity estimation keeps waveforms in memory.
    allow_unfiltered : bool, default: False
    use_relative_path : bool, default: False
        Describe the recording and sorting relative to the folder (portable folders).
    seed : int or None, default: None
        Seed of the spike sampling (and of the sparsity estimation).
    load_if_exists : bool or None, default: None
        Deprecated: load an existing folder instead of failing.
    **kwargs
        Sparsity arguments (``method``, ``peak_sign``, ``num_channels``, ``radius_um``,
        ``threshold``, ``by_property``), job keyword arguments, ``progress_callback`` and
        ``cancel_token``.

    Returns
    -------
    WaveformExtractor

    Raises
    ------
    TypeError
        If an argument has the wrong type (e.g. a sorting passed as ``recording``).
    ValueError
        If an argument is out of range (``ms_before``/``ms_after`` <= 0, ...), the recording
        and sorting disagree (sampling frequency, segments, spikes past the end), or the
        folder holds a file they read from.
    FileExistsError
        If ``folder`` exists and ``overwrite`` is False.
    """
    sparsity_kwargs, job_kwargs = _split_kwargs(kwargs, SPARSITY_KWARGS, "extract_waveforms")
    if mode not in ("folder", "memory"):
        raise ValueError(f"mode must be 'folder' or 'memory', got {mode!r}")
    _check_extraction_inputs(recording, sorting)
    _check_window(ms_before, ms_after)
    _check_count(max_spikes_per_unit, "max_spikes_per_unit", allow_none=True)
    _check_count(num_spikes_for_sparsity, "num_spikes_for_sparsity", allow_none=False)
    _check_count(unit_batch_size, "unit_batch_size", allow_none=True)
    if dtype is not None:
        checked_numeric_dtype(dtype)
    if load_if_exists is not None:
        warnings.warn(
            "load_if_exists is deprecated: use load_waveforms()", DeprecationWarning, stacklevel=2
        )
    if mode == "folder":
        if folder is None:
            raise ValueError("folder is required with mode='folder' (or use mode='memory')")
        folder = Path(folder)
        if folder.exists():
            if load_if_exists:
                return WaveformExtractor.load(folder)
            if not overwrite:
                raise FileExistsError(f"{folder} already exists (use overwrite=True)")
            check_save_target(folder, {"recording": recording, "sorting": sorting})
    if not recording.has_channel_location():
        raise ValueError("extract_waveforms() needs channel locations: set a probe first")
    check_spikes_in_recording(recording, sorting)
    if sparsity is not None:
        sparsity = _aligned_sparsity(sparsity, recording, sorting)
    elif sparse:
        sparsity = precompute_sparsity(
            recording,
            sorting,
            num_spikes_for_sparsity=num_spikes_for_sparsity,
            unit_batch_size=unit_batch_size,
            ms_before=ms_before,
            ms_after=ms_after,
            temp_folder=sparsity_temp_folder,
            allow_unfiltered=allow_unfiltered,
            seed=seed,
            **sparsity_kwargs,
            **job_kwargs,
        )

    def run(we: WaveformExtractor) -> WaveformExtractor:
        we.set_params(
            ms_before=ms_before,
            ms_after=ms_after,
            max_spikes_per_unit=max_spikes_per_unit,
            return_scaled=return_scaled,
            dtype=dtype,
        )
        modes = [precompute_template] if isinstance(precompute_template, str) else []
        if precompute_template is not None and not modes:
            modes = list(precompute_template)
        we.run_extract_waveforms(seed=seed, precompute_average="average" in modes, **job_kwargs)
        if modes:
            we.precompute_templates(modes, n_jobs=job_kwargs["n_jobs"])
        return we

    if mode == "memory":
        return run(
            WaveformExtractor.create(
                recording,
                sorting,
                None,
                mode="memory",
                allow_unfiltered=allow_unfiltered,
                sparsity=sparsity,
            )
        )
    with atomic_folder(folder, overwrite=overwrite) as partial:
        store = BinaryFolderStore.create(partial, recording, sorting, use_relative_path, sparsity)
        run(
            WaveformExtractor(
                recording,
                sorting,
                allow_unfiltered=allow_unfiltered,
                sparsity=sparsity,
                store=store,
            )
        )
    return WaveformExtractor(
        recording,
        sorting,
        allow_unfiltered=True,
        sparsity=sparsity,
        store=BinaryFolderStore(folder),
    )


def load_waveforms(
    folder: str | Path,
    with_recording: bool = True,
    sorting: BaseSorting | None = None,
    allow_pickle: bool = False,
) -> WaveformExtractor:
    """Open a WaveformExtractor folder or ``.zarr`` store (ours or SpikeInterface <= 0.100's).

    A SortingAnalyzer folder or store (SpikeInterface >= 0.101) opens too, read-only and
    without its recording (see `core.formats.read_sorting_analyzer`). The path is recognised
    by the opener registry (:mod:`core.opening`), as ``load_extractor`` and ``read`` do.

    Parameters
    ----------
    folder : str or Path
    with_recording : bool, default: True
        Load the recording described in the folder (an error suggests ``with_recording=False``
        when it cannot be found); False uses ``recording_info/`` instead.
    sorting : BaseSorting or None, default: None
        The sorting, when the one described in the folder cannot be loaded.
    allow_pickle : bool, default: False
        Read ``.pickle`` descriptions and pickled extension data, which can execute code: only
        for folders you trust.

    Returns
    -------
    WaveformExtractor

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    ValueError
        If it is not a WaveformExtractor or SortingAnalyzer folder or store.
    """
    options = OpenOptions(allow_pickle=allow_pickle, with_recording=with_recording, sorting=sorting)
    found = open_path(
        folder,
        options,
        kind="waveform_extractor",
        expected="a WaveformExtractor or SortingAnalyzer folder or .zarr store",
    )
    return found["waveform_extractor"]


# --------------------------------------------------------------------------- openers
def is_waveforms_folder(path: Path) -> bool:
    """Whether ``path`` is a WaveformExtractor binary folder (``params.json`` and data)."""
    return (path / "params.json").is_file() and (
        (path / "recording_info").is_dir() or (path / "waveforms").is_dir()
    )


def is_waveforms_zarr(path: Path) -> bool:
    """Whether ``path`` is a WaveformExtractor zarr store (root attribute ``params``)."""
    from ..zarr_v2_raw import read_attributes

    return is_zarr_store(path) and "params" in read_attributes(path)


def _open_waveforms(path: Path, options: OpenOptions, load) -> dict:
    """The WaveformExtractor of a folder or store, read by ``load``; ``with_recording=None``
    falls back without the recording (with a warning) when it cannot be loaded."""
    try:
        if options.with_recording is not None:
            we = load(path, options.with_recording, options.sorting, options.allow_pickle)
        else:
            try:
                we = load(path, True, options.sorting, options.allow_pickle)
            except RecordingUnavailableError as error:
                warnings.warn(f"{error}: opened without its recording", stacklevel=4)
                we = load(path, False, options.sorting, options.allow_pickle)
    except FileNotFoundError as error:
        if options.sorting is not None:
            raise
        raise FileNotFoundError(
            f"{path}: waveform folder whose sorting is missing ({error}); it was probably "
            "written with absolute paths on another machine: open it with "
            "load_waveforms(folder, with_recording=False, sorting=<the sorting>)"
        ) from None
    return {"waveform_extractor": we, "sorting": we.sorting}


def _open_waveforms_folder(path: Path, options: OpenOptions) -> dict:
    return _open_waveforms(path, options, WaveformExtractor.load_from_folder)


def _open_waveforms_zarr(path: Path, options: OpenOptions) -> dict:
    return _open_waveforms(path, options, WaveformExtractor.load_from_zarr)


register_opener(
    "waveform_extractor_folder",
    is_waveforms_folder,
    _open_waveforms_folder,
    kinds=("waveform_extractor", "sorting"),
    saved=True,
    priority=PRIORITY_WAVEFORMS,
)
register_opener(
    "waveform_extractor_zarr",
    is_waveforms_zarr,
    _open_waveforms_zarr,
    kinds=("waveform_extractor", "sorting"),
    saved=True,
    priority=PRIORITY_WAVEFORMS,
)


def _templates_extractor(
    recording: BaseRecording,
    sorting: BaseSorting,
    ms_before: float,
    ms_after: float,
    spikes: np.ndarray,
    job_kwargs: dict,
) -> WaveformExtractor:
    """A waveformless in-memory extractor holding the raw average templates of ``spikes``."""
    fs = sorting.sampling_frequency  # as the extractor's nbefore/nafter
    nbefore, nafter = int(ms_before * fs / 1000.0), int(ms_after * fs / 1000.0)
    params = {
        "ms_before": float(ms_before),
        "ms_after": float(ms_after),
        "max_spikes_per_unit": None,
        "return_scaled": False,
        "dtype": np.dtype(recording.get_dtype()).str,
    }
    average = estimate_templates_average(
        recording, spikes, sorting.unit_ids, nbefore, nafter, **job_kwargs
    )
    store = MemoryStore(params=params, templates={"average": average})
    return WaveformExtractor(recording, sorting, allow_unfiltered=True, store=store)


def precompute_sparsity(
    recording: BaseRecording,
    sorting: BaseSorting,
    num_spikes_for_sparsity: int = 100,
    unit_batch_size: int | None = 200,
    ms_before: float = 2.0,
    ms_after: float = 3.0,
    temp_folder: str | Path | None = None,
    allow_unfiltered: bool = False,
    seed: int | None = None,
    **kwargs,
) -> ChannelSparsity:
    """Estimate a sparsity from a few spikes per unit (raw, unscaled templates).

    Every method except ``"energy"`` needs only average templates: they are computed in one
    pass over the recording without keeping waveforms. ``"energy"`` extracts dense waveforms by
    unit batches in memory (or in ``temp_folder``, deleted afterwards).

    Parameters
    ----------
    recording : BaseRecording
    sorting : BaseSorting
    num_spikes_for_sparsity : int, default: 100
        Spikes sampled per unit.
    unit_batch_size : int or None, default: 200
        Units per in-memory batch for ``"energy"`` (None: all at once).
    ms_before, ms_after : float, default: 2.0, 3.0
    temp_folder : str or Path or None, default: None
        Must not exist (checked for every method, as SpikeInterface does); used (then
        deleted) by ``"energy"``.
    allow_unfiltered : bool, default: False
    seed : int or None, default: None
        Seed of the spike sampling (None: random, as SpikeInterface).
    **kwargs
        ``compute_sparsity`` arguments and job keyword arguments.

    Returns
    -------
    ChannelSparsity
    """
    from .sparsity import ChannelSparsity, compute_sparsity

    sparsity_kwargs, job_kwargs = _split_kwargs(kwargs, SPARSITY_KWARGS, "precompute_sparsity")
    _check_extraction_inputs(recording, sorting)
    _check_window(ms_before, ms_after)
    _check_count(num_spikes_for_sparsity, "num_spikes_for_sparsity", allow_none=False)
    _check_count(unit_batch_size, "unit_batch_size", allow_none=True)
    if temp_folder is not None and Path(temp_folder).exists():
        raise ExistingPathError(f"temp_folder {temp_folder} already exists")
    if not recording.is_filtered() and not allow_unfiltered:
        raise ValueError("the recording is not filtered: filter it or pass allow_unfiltered=True")
    fs = sorting.sampling_frequency  # as the extractor's nbefore/nafter
    nbefore, nafter = int(ms_before * fs / 1000.0), int(ms_after * fs / 1000.0)
    if sparsity_kwargs.get("method", "radius") != "energy":
        spikes, _ = sample_spikes(
            recording, sorting, num_spikes_for_sparsity, nbefore, nafter, seed
        )
        we = _templates_extractor(recording, sorting, ms_before, ms_after, spikes, job_kwargs)
        return compute_sparsity(we, **sparsity_kwargs)

    extract = {
        "ms_before": ms_before,
        "ms_after": ms_after,
        "max_spikes_per_unit": num_spikes_for_sparsity,
        "return_scaled": False,
        "sparse": False,
        "allow_unfiltered": allow_unfiltered,
        "seed": seed,
        "precompute_template": ("average",),
        **job_kwargs,
    }
    if temp_folder is not None:
        temp_folder = Path(temp_folder)
        try:
            dense = extract_waveforms(recording, sorting, folder=temp_folder, **extract)
            mask = compute_sparsity(dense, **sparsity_kwargs).mask
        finally:
            shutil.rmtree(temp_folder, ignore_errors=True)
        return ChannelSparsity(mask, sorting.unit_ids, recording.channel_ids)
    unit_ids = sorting.unit_ids
    batch = len(unit_ids) if unit_batch_size is None else max(int(unit_batch_size), 1)
    mask = np.zeros((len(unit_ids), recording.get_num_channels()), dtype=bool)
    for start in range(0, len(unit_ids), batch):
        batch_sorting = sorting.select_units(unit_ids[start : start + batch])
        dense = extract_waveforms(recording, batch_sorting, mode="memory", **extract)
        mask[start : start + batch] = compute_sparsity(dense, **sparsity_kwargs).mask
    return ChannelSparsity(mask, unit_ids, recording.channel_ids)


def estimate_sparsity(
    recording: BaseRecording,
    sorting: BaseSorting,
    num_spikes_for_sparsity: int = 100,
    ms_before: float = 1.0,
    ms_after: float = 2.5,
    method: str = "radius",
    peak_sign: str = "neg",
    radius_um: float = 100.0,
    num_channels: int = 5,
    **job_kwargs,
) -> ChannelSparsity:
    """Estimate a sparsity from the average templates of a few random spikes, in one pass.

    Parameters
    ----------
    recording : BaseRecording
    sorting : BaseSorting
    num_spikes_for_sparsity : int, default: 100
        Spikes drawn per unit (seed 2205, as SpikeInterface).
    ms_before, ms_after : float, default: 1.0, 2.5
    method : {"radius", "best_channels"}, default: "radius"
    peak_sign : {"neg", "pos", "both"}, default: "neg"
    radius_um : float, default: 100.0
    num_channels : int, default: 5
    **job_kwargs
        Job keyword arguments, ``progress_callback`` and ``cancel_token``.

    Returns
    -------
    ChannelSparsity

    Raises
    ------
    ValueError
        For another method, or ``"radius"`` with several probes.
    """
    from .sparsity import compute_sparsity

    if method not in ("radius", "best_channels"):
        raise ValueError(f"method must be 'radius' or 'best_channels', got {method!r}")
    _check_extraction_inputs(recording, sorting)
    _check_window(ms_before, ms_after)
    _check_count(num_spikes_for_sparsity, "num_spikes_for_sparsity", allow_none=False)
    if method == "radius" and len(recording.get_probes()) != 1:
        raise ValueError("estimate_sparsity(method='radius') needs a recording with one probe")
    _, job_kwargs = _split_kwargs(job_kwargs, (), "estimate_sparsity")
    fs = recording.sampling_frequency
    nbefore, nafter = int(ms_before * fs / 1000.0), int(ms_after * fs / 1000.0)
    num_samples = [recording.get_num_samples(i) for i in range(recording.get_num_segments())]
    spikes = sorting.to_spike_vector()[
        random_spikes_selection(
            sorting,
            num_samples,
            max_spikes_per_unit=num_spikes_for_sparsity,
            margin_size=max(nbefore, nafter),
            seed=_ESTIMATE_SPARSITY_SEED,
        )
    ]
    we = _templates_extractor(recording, sorting, ms_before, ms_after, spikes, job_kwargs)
    return compute_sparsity(
        we, method=method, peak_sign=peak_sign, num_channels=num_channels, radius_um=radius_um
    )
