"""Auto- and cross-correlograms (SpikeInterface 0.100's ``compute_correlograms``).

``ccgs[a, b, k]`` counts the pairs of a spike of unit ``a`` and another spike of unit ``b`` (same
segment) whose lag ``t_a - t_b`` falls in bin ``k`` of ``bins`` (ms, ``2 * half + 1`` edges
from ``-window_ms / 2``): bins are closed on the left, open on the right, so a lag of exactly
``+window_ms / 2`` is out and ``-window_ms / 2`` is in. ``ccgs[a, a]`` is ``a``'s
autocorrelogram (a spike is not paired with itself) and ``ccgs[b, a]`` is ``ccgs[a, b]`` seen
from the other side.

These are the counts of SpikeInterface's numpy method (0.105), which 0.100.8 also gives except in
two cases where its numpy path was wrong: several spikes at the same sample exactly one half
window after a spike (0.100.8 drops all but the first from the ``-window`` bin), and a segment
where a unit has no spike (0.100.8 raises). The numba method of SpikeInterface counts a lag that
is an exact multiple of the bin size in the neighbouring bin for the transposed pair; SpikeDesk
does not use numba.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..jobs import CancelToken
from ..sorting.base import BaseSorting
from ..waveforms.extractor import WaveformExtractor
from .computed_extension import ComputedExtension
from .correlogram_counts import correlograms_of_segment

__all__ = [
    "CorrelogramsCalculator",
    "compute_correlograms",
    "compute_correlograms_numpy",
    "correlogram_for_one_segment",
]

_METHODS = ("auto", "numpy", "numba")


def _check_method(method: Any) -> None:
    if method not in _METHODS:
        raise ValueError(f"method must be 'auto', 'numpy' or 'numba', got {method!r}")
    if method == "numba":
        warnings.warn(
            "method='numba': SpikeDesk does not use numba; the counts are computed with numpy",
            stacklevel=3,
        )


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number of milliseconds, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


def _make_bins(sorting: BaseSorting, window_ms: float, bin_ms: float):
    """Bin edges (ms), half window and bin size (samples), as SpikeInterface rounds them.

    Raises
    ------
    ValueError
        If the bin is shorter than half a sample or the window holds no bin.
    """
    window_ms = _check_positive(window_ms, "window_ms")
    bin_ms = _check_positive(bin_ms, "bin_ms")
    fs = sorting.sampling_frequency
    window_size = int(round(fs * window_ms / 2 * 1e-3))
    bin_size = int(round(fs * bin_ms * 1e-3))
    if bin_size < 1:
        raise ValueError(f"bin_ms={bin_ms} is less than one sample at {fs} Hz")
    window_size -= window_size % bin_size
    if window_size < bin_size:
        raise ValueError(
            f"window_ms={window_ms} holds no bin of bin_ms={bin_ms}: the half window must be at "
            "least one bin"
        )
    bins = np.arange(-window_size, window_size + bin_size, bin_size) * 1e3 / fs
    return bins, window_size, bin_size


def _progress_counter(
    total: int, progress_callback: Callable[[int, int], None] | None
) -> Callable[[], None] | None:
    if progress_callback is None:
        return None
    done = [0]
    progress_callback(0, total)

    def advance() -> None:
        done[0] += 1
        progress_callback(done[0], total)

    return advance


def compute_correlograms_numpy(
    sorting: BaseSorting,
    window_size: int,
    bin_size: int,
    cancel_token: CancelToken | None = None,
    progress_callback: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Correlograms of all units of ``sorting``, summed over segments.

    Parameters
    ----------
    sorting : BaseSorting
    window_size : int
        Half window in samples, a multiple of ``bin_size``.
    bin_size : int
        Bin width in samples.
    cancel_token : CancelToken or None, default: None
        Checked between units (raises :class:`~core.jobs.JobCancelled`).
    progress_callback : callable or None, default: None
        ``progress_callback(done, total)`` over units and segments.

    Returns
    -------
    np.ndarray
        ``(num_units, num_units, 2 * window_size // bin_size)`` int64.
    """
    num_units = len(sorting.unit_ids)
    correlograms = np.zeros((num_units, num_units, 2 * (window_size // bin_size)), dtype="int64")
    segments = sorting.to_spike_vector(concatenated=False)
    advance = _progress_counter(num_units * len(segments), progress_callback)
    for spikes in segments:
        correlograms_of_segment(
            spikes["sample_index"],
            spikes["unit_index"],
            num_units,
            window_size,
            bin_size,
            correlograms=correlograms,
            cancel_token=cancel_token,
            unit_done=advance,
        )
    return correlograms


def correlogram_for_one_segment(
    spike_times: np.ndarray,
    spike_labels: np.ndarray,
    window_size: int,
    bin_size: int,
    num_units: int | None = None,
) -> np.ndarray:
    """Correlograms of one segment's spikes (SpikeInterface's low-level function).

    Parameters
    ----------
    spike_times : np.ndarray
        Sorted spike samples.
    spike_labels : np.ndarray
        Unit index of each spike (``0 .. num_units - 1``).
    window_size, bin_size : int
        Half window and bin width in samples; the half window is cut to whole bins.
    num_units : int or None, default: None
        Number of units (SpikeInterface 0.105's argument); None: ``max(spike_labels) + 1``.

    Returns
    -------
    np.ndarray
        ``(num_units, num_units, 2 * (window_size // bin_size))`` int64.
    """
    spike_labels = np.asarray(spike_labels)
    if num_units is None:
        num_units = int(spike_labels.max()) + 1 if spike_labels.size else 0
    bin_size = int(bin_size)
    if bin_size < 1:
        raise ValueError(f"bin_size must be >= 1 sample, got {bin_size}")
    window_size = int(window_size) - int(window_size) % bin_size
    return correlograms_of_segment(
        np.asarray(spike_times), spike_labels, int(num_units), window_size, bin_size
    )


def _compute_correlograms(
    sorting: BaseSorting,
    window_ms: float,
    bin_ms: float,
    method: str = "auto",
    cancel_token: CancelToken | None = None,
    progress_callback: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    bins, window_size, bin_size = _make_bins(sorting, window_ms, bin_ms)
    correlograms = compute_correlograms_numpy(
        sorting, window_size, bin_size, cancel_token, progress_callback
    )
    return correlograms, bins


class CorrelogramsCalculator(ComputedExtension):
    """Correlograms kept as the ``correlograms`` extension (``ccgs.npy``, ``bins.npy``).

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    """

    extension_name = "correlograms"

    @classmethod
    def _check_params(
        cls,
        waveform_extractor: WaveformExtractor,
        window_ms: float = 100.0,
        bin_ms: float = 5.0,
        method: str = "auto",
    ) -> dict:
        _make_bins(waveform_extractor.sorting, window_ms, bin_ms)
        if method not in _METHODS:
            raise ValueError(f"method must be 'auto', 'numpy' or 'numba', got {method!r}")
        return dict(window_ms=float(window_ms), bin_ms=float(bin_ms), method=method)

    @classmethod
    def _compute_data(
        cls,
        waveform_extractor: WaveformExtractor,
        params: dict,
        cancel_token: CancelToken | None = None,
        progress_callback: Callable[[int, int], None] | None = None,
    ) -> dict:
        ccgs, bins = _compute_correlograms(
            waveform_extractor.sorting,
            params["window_ms"],
            params["bin_ms"],
            cancel_token=cancel_token,
            progress_callback=progress_callback,
        )
        return {"ccgs": ccgs, "bins": bins}

    def _select_extension_data(self, unit_ids) -> dict:
        indices = self.waveform_extractor.sorting.ids_to_indices(unit_ids)
        return {
            "ccgs": self._extension_data["ccgs"][indices][:, indices],
            "bins": self._extension_data["bins"],
        }

    def get_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The correlograms and their bin edges.

        Returns
        -------
        ccgs : np.ndarray
            ``(num_units, num_units, num_bins)``.
        bins : np.ndarray
            ``num_bins + 1`` edges in ms.
        """
        self._require_data("ccgs", "bins")
        return self._extension_data["ccgs"], self._extension_data["bins"]

    @staticmethod
    def get_extension_function():
        """:func:`compute_correlograms`."""
        return compute_correlograms


WaveformExtractor.register_extension(CorrelogramsCalculator)


def compute_correlograms(
    waveform_or_sorting_extractor: WaveformExtractor | BaseSorting,
    load_if_exists: bool = False,
    window_ms: float = 50.0,
    bin_ms: float = 1.0,
    method: str = "auto",
    *,
    cancel_token: CancelToken | None = None,
    progress_callback: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Auto- and cross-correlograms of all units.

    Parameters
    ----------
    waveform_or_sorting_extractor : WaveformExtractor or BaseSorting
        With a WaveformExtractor the result is kept as its ``correlograms`` extension (saved in
        its folder or zarr store).
    load_if_exists : bool, default: False
        Return the stored extension if there is one (whatever its parameters).
    window_ms : float, default: 50.0
        Whole window in ms: lags from ``-window_ms / 2`` to ``+window_ms / 2``.
    bin_ms : float, default: 1.0
        Bin width in ms.
    method : {"auto", "numpy", "numba"}, default: "auto"
        Kept for SpikeInterface compatibility: all compute the same counts with numpy.
    cancel_token : CancelToken or None, default: None
        Stops the computation between units (:class:`~core.jobs.JobCancelled`); nothing is
        saved.
    progress_callback : callable or None, default: None
        ``progress_callback(done, total)`` over units and segments.

    Returns
    -------
    ccgs : np.ndarray
        ``(num_units, num_units, num_bins)`` int64; ``ccgs[a, b]`` is the histogram of
        ``t_a - t_b`` (see the module docstring).
    bins : np.ndarray
        ``num_bins + 1`` bin edges in ms.

    Raises
    ------
    TypeError
        If the input is neither a WaveformExtractor nor a sorting.
    ValueError
        If ``window_ms``, ``bin_ms`` or ``method`` is invalid.
    """
    _check_method(method)
    if isinstance(waveform_or_sorting_extractor, WaveformExtractor):
        extension = CorrelogramsCalculator.compute(
            waveform_or_sorting_extractor,
            load_if_exists,
            dict(window_ms=window_ms, bin_ms=bin_ms, method=method),
            cancel_token=cancel_token,
            progress_callback=progress_callback,
        )
        return extension.get_data()
    if isinstance(waveform_or_sorting_extractor, BaseSorting):
        return _compute_correlograms(
            waveform_or_sorting_extractor,
            window_ms,
            bin_ms,
            cancel_token=cancel_token,
            progress_callback=progress_callback,
        )
    raise TypeError(
        "waveform_or_sorting_extractor must be a WaveformExtractor or a sorting, got "
        f"{type(waveform_or_sorting_extractor).__name__}"
    )
