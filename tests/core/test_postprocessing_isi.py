"""ISI histograms against counts worked out by hand (1 kHz: one sample is one millisecond).

With ``window_ms=10`` and ``bin_ms=2`` the bins are ``[0,2) [2,4) [4,6) [6,8) [8,10]``: the last
one is closed, as ``np.histogram`` makes it.
"""

from __future__ import annotations

import numpy as np
import pytest

from core import load_waveforms
from core.postprocessing import ISIHistogramsCalculator, compute_isi_histograms

from .postprocessing_data import recording_with_spikes, sorting_of, waveform_extractor

WINDOW = dict(window_ms=10.0, bin_ms=2.0)


def test_histogram_by_hand():
    # intervals 1, 2, 4, 10, 10, 11: bins 0, 1, 2, the closed last bin twice; 11 is out
    sorting = sorting_of({"a": [0, 1, 3, 7, 17, 27, 38]})
    histograms, bins = compute_isi_histograms(sorting, **WINDOW)
    np.testing.assert_array_equal(bins, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0])
    np.testing.assert_array_equal(histograms[0], [1, 1, 1, 0, 2])
    assert histograms.dtype == np.int64


def test_intervals_are_per_unit_and_per_segment():
    # b's spikes interleave with a's; segment 1 starts again (no interval across segments)
    sorting = sorting_of({"a": [0, 5], "b": [2, 9]}, {"a": [1], "b": [3, 4]})
    histograms, _ = compute_isi_histograms(sorting, **WINDOW)
    np.testing.assert_array_equal(histograms[0], [0, 0, 1, 0, 0])  # 5
    np.testing.assert_array_equal(histograms[1], [1, 0, 0, 1, 0])  # 7, then 1 in segment 1


def test_empty_unit_has_an_empty_histogram():
    sorting = sorting_of({"a": [0, 3]}, unit_ids=("a", "empty"))
    histograms, _ = compute_isi_histograms(sorting, **WINDOW)
    np.testing.assert_array_equal(histograms, [[0, 1, 0, 0, 0], [0, 0, 0, 0, 0]])


def test_window_is_cut_to_whole_bins():
    _, bins = compute_isi_histograms(sorting_of({"a": [0, 3]}), window_ms=11.0, bin_ms=2.0)
    assert bins[-1] == 10.0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (dict(window_ms=10.0, bin_ms=0.5), "sampling period"),
        (dict(window_ms=2.0, bin_ms=3.0), "must not exceed"),
        (dict(method="fast"), "method must be"),
    ],
)
def test_bad_parameters_are_named(kwargs, error):
    with pytest.raises(ValueError, match=error):
        compute_isi_histograms(sorting_of({"a": [0, 3]}), **kwargs)


def test_extension_is_saved_and_reloaded(tmp_path):
    sorting = sorting_of({"a": [10, 12, 20], "b": [30, 31]})
    we = waveform_extractor(recording_with_spikes(sorting, [100]), sorting, tmp_path / "we")
    histograms, bins = compute_isi_histograms(we, **WINDOW)
    folder = tmp_path / "we" / "isi_histograms"
    assert sorted(p.name for p in folder.iterdir()) == [
        "bins.npy",
        "isi_histograms.npy",
        "params.json",
    ]
    reloaded = load_waveforms(tmp_path / "we", with_recording=False, sorting=sorting)
    extension = reloaded.load_extension("isi_histograms")
    assert isinstance(extension, ISIHistogramsCalculator)
    np.testing.assert_array_equal(extension.get_data()[0], histograms)
    again, _ = compute_isi_histograms(reloaded, load_if_exists=True, window_ms=50.0)
    np.testing.assert_array_equal(again, histograms)
    selected = we.select_units(["b"])
    np.testing.assert_array_equal(
        selected.load_extension("isi_histograms").get_data()[0], histograms[1:]
    )
