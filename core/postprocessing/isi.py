"""Inter-spike-interval histograms (SpikeInterface 0.100's ``compute_isi_histograms``).

For each unit, the intervals between its consecutive spikes of a segment are counted in bins of
``bin_ms`` from 0 to ``window_ms`` (``np.histogram`` semantics: bins closed on the left, the last
one also on the right). Intervals are taken in samples against bin edges in samples, as
SpikeInterface >= 0.101 does; 0.100.8 compared intervals in samples with edges in ms, so its
histograms (not its ``bins``) count intervals of 0 to ``window_ms`` samples instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..sorting.base import BaseSorting
from ..waveforms.extractor import WaveformExtractor
from .computed_extension import ComputedExtension
from .unit_trains import unit_trains

__all__ = [
    "ISIHistogramsCalculator",
    "compute_isi_histograms",
    "compute_isi_histograms_numpy",
]

_METHODS = ("auto", "numpy", "numba")


def _isi_bins(sorting: BaseSorting, window_ms: Any, bin_ms: Any) -> tuple[int, int]:
    """Window and bin in samples (window cut to whole bins).

    Raises
    ------
    ValueError
        If the bin is shorter than a sample period or longer than the window.
    """
    for value, name in ((window_ms, "window_ms"), (bin_ms, "bin_ms")):
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise TypeError(f"{name} must be a number of milliseconds, got {value!r}")
    fs = sorting.get_sampling_frequency()
    if not bin_ms * 1e-3 >= 1 / fs:
        raise ValueError(f"bin_ms={bin_ms} must be at least the sampling period {1e3 / fs} ms")
    if not bin_ms <= window_ms:
        raise ValueError(f"bin_ms={bin_ms} must not exceed window_ms={window_ms}")
    window_size = int(round(fs * window_ms * 1e-3))
    bin_size = int(round(fs * bin_ms * 1e-3))
    window_size -= window_size % bin_size
    return window_size, bin_size


def compute_isi_histograms_numpy(
    sorting: BaseSorting, window_ms: float = 50.0, bin_ms: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """ISI histograms of all units, vectorised over the spike vector.

    Parameters
    ----------
    sorting : BaseSorting
    window_ms : float, default: 50.0
        Longest interval counted, in ms.
    bin_ms : float, default: 1.0
        Bin width in ms (at least one sample).

    Returns
    -------
    isi_histograms : np.ndarray
        ``(num_units, num_bins)`` int64.
    bins : np.ndarray
        ``num_bins + 1`` edges in ms.
    """
    window_size, bin_size = _isi_bins(sorting, window_ms, bin_ms)
    num_units = len(sorting.unit_ids)
    num_bins = window_size // bin_size
    counts = np.zeros((num_units, num_bins), dtype="int64")
    for segment_index in range(sorting.get_num_segments()):
        for unit_index, train in enumerate(unit_trains(sorting, segment_index)):
            intervals = np.diff(train)
            intervals = intervals[intervals <= window_size]
            if intervals.size:
                bin_index = np.minimum(intervals // bin_size, num_bins - 1)  # last bin closed
                counts[unit_index] += np.bincount(bin_index, minlength=num_bins)
    bins = np.arange(0, window_size + bin_size, bin_size) * 1e3 / sorting.get_sampling_frequency()
    return counts, bins


class ISIHistogramsCalculator(ComputedExtension):
    """ISI histograms kept as the ``isi_histograms`` extension (``isi_histograms.npy``,
    ``bins.npy``).

    Parameters
    ----------
    waveform_extractor : WaveformExtractor
    """

    extension_name = "isi_histograms"

    @classmethod
    def _check_params(
        cls,
        waveform_extractor: WaveformExtractor,
        window_ms: float = 100.0,
        bin_ms: float = 5.0,
        method: str = "auto",
    ) -> dict:
        _isi_bins(waveform_extractor.sorting, window_ms, bin_ms)
        if method not in _METHODS:
            raise ValueError(f"method must be 'auto', 'numpy' or 'numba', got {method!r}")
        return dict(window_ms=float(window_ms), bin_ms=float(bin_ms), method=method)

    @classmethod
    def _compute_data(cls, waveform_extractor: WaveformExtractor, params: dict) -> dict:
        histograms, bins = compute_isi_histograms_numpy(
            waveform_extractor.sorting, params["window_ms"], params["bin_ms"]
        )
        return {"isi_histograms": histograms, "bins": bins}

    def _select_extension_data(self, unit_ids) -> dict:
        indices = self.waveform_extractor.sorting.ids_to_indices(unit_ids)
        return {
            "isi_histograms": self._extension_data["isi_histograms"][indices, :],
            "bins": self._extension_data["bins"],
        }

    def get_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The ISI histograms and their bin edges.

        Returns
        -------
        isi_histograms : np.ndarray
            ``(num_units, num_bins)``.
        bins : np.ndarray
            ``num_bins + 1`` edges in ms.
        """
        self._require_data("isi_histograms", "bins")
        return self._extension_data["isi_histograms"], self._extension_data["bins"]

    @staticmethod
    def get_extension_function():
        """:func:`compute_isi_histograms`."""
        return compute_isi_histograms


WaveformExtractor.register_extension(ISIHistogramsCalculator)


def compute_isi_histograms(
    waveform_or_sorting_extractor: WaveformExtractor | BaseSorting,
    load_if_exists: bool = False,
    window_ms: float = 50.0,
    bin_ms: float = 1.0,
    method: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """ISI histograms of all units.

    Parameters
    ----------
    waveform_or_sorting_extractor : WaveformExtractor or BaseSorting
        With a WaveformExtractor the result is kept as its ``isi_histograms`` extension.
    load_if_exists : bool, default: False
        Return the stored extension if there is one (whatever its parameters).
    window_ms : float, default: 50.0
        Longest interval counted, in ms.
    bin_ms : float, default: 1.0
        Bin width in ms.
    method : {"auto", "numpy", "numba"}, default: "auto"
        Kept for SpikeInterface compatibility: all compute with numpy.

    Returns
    -------
    isi_histograms : np.ndarray
        ``(num_units, num_bins)`` int64.
    bins : np.ndarray
        ``num_bins + 1`` edges in ms.

    Raises
    ------
    TypeError
        If the input is neither a WaveformExtractor nor a sorting.
    ValueError
        If ``window_ms``, ``bin_ms`` or ``method`` is invalid.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be 'auto', 'numpy' or 'numba', got {method!r}")
    if isinstance(waveform_or_sorting_extractor, WaveformExtractor):
        extension = ISIHistogramsCalculator.compute(
            waveform_or_sorting_extractor,
            load_if_exists,
            dict(window_ms=window_ms, bin_ms=bin_ms, method=method),
        )
        return extension.get_data()
    if isinstance(waveform_or_sorting_extractor, BaseSorting):
        return compute_isi_histograms_numpy(waveform_or_sorting_extractor, window_ms, bin_ms)
    raise TypeError(
        "waveform_or_sorting_extractor must be a WaveformExtractor or a sorting, got "
        f"{type(waveform_or_sorting_extractor).__name__}"
    )
