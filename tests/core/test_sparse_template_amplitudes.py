"""Amplitudes, extremum channels and SNR of a sparse WaveformExtractor come from each unit's
sparse template: the same values as from its dense templates, without a dense copy of every
template."""

import tracemalloc

import numpy as np
import pytest

import core as si
from core.waveforms import template_tools


@pytest.fixture(scope="module")
def extractors(tmp_path_factory):
    """The same waveforms, dense and with a radius sparsity (a sparse folder on disk too)."""
    recording, sorting = si.generate_ground_truth_recording(
        durations=[6.0], num_units=8, num_channels=16, seed=4
    )
    dense = si.extract_waveforms(
        recording, sorting, mode="memory", max_spikes_per_unit=30, sparse=False, seed=0
    )
    sparsity = si.compute_sparsity(dense, method="radius", radius_um=40.0)
    folder = tmp_path_factory.mktemp("sparse") / "we"
    si.extract_waveforms(
        recording, sorting, folder=folder, max_spikes_per_unit=30, sparse=False,
        sparsity=sparsity, seed=0, n_jobs=1,
    )  # fmt: skip
    return dense, si.load_waveforms(folder)


def _dense_amplitudes(we, peak_sign, mode):
    templates = np.asarray(we.get_all_templates(mode="average"))
    return template_tools._amplitude_array(templates, we.nbefore, peak_sign, mode)


@pytest.mark.parametrize("peak_sign", ["neg", "pos", "both"])
@pytest.mark.parametrize("mode", ["extremum", "at_index"])
def test_sparse_amplitudes_and_channels_equal_the_dense_templates_ones(extractors, peak_sign, mode):
    _, sparse = extractors
    assert sparse.is_sparse()
    expected = _dense_amplitudes(sparse, peak_sign, mode)
    amplitudes = si.get_template_amplitudes(sparse, peak_sign=peak_sign, mode=mode)
    assert list(amplitudes) == sparse.unit_ids.tolist()
    np.testing.assert_array_equal(np.stack(list(amplitudes.values())), expected)
    channels = si.get_template_extremum_channel(
        sparse, peak_sign=peak_sign, mode=mode, outputs="index"
    )
    assert list(channels.values()) == np.argmax(np.abs(expected), axis=1).tolist()
    # every unit's extremum is one of its own channels
    for row, channel in enumerate(channels.values()):
        assert sparse.sparsity.mask[row, channel]


def test_snrs_of_a_sparse_extractor_equal_the_dense_computation(extractors):
    dense, sparse = extractors
    noise = si.get_noise_levels(sparse.recording, return_scaled=sparse.return_scaled)
    amplitudes = _dense_amplitudes(sparse, "neg", "extremum")
    channels = np.argmax(np.abs(amplitudes), axis=1)
    expected = np.abs(amplitudes[np.arange(len(channels)), channels]) / noise[channels]
    snrs = si.compute_snrs(sparse)
    np.testing.assert_array_equal(np.array(list(snrs.values())), expected)
    # the dense extractor of the same waveforms: its extremum lies in the radius sparsity
    dense_snrs = si.compute_snrs(dense)
    np.testing.assert_allclose(list(dense_snrs.values()), list(snrs.values()), rtol=1e-6)


def test_sparse_amplitudes_make_no_dense_copy_of_the_templates(extractors):
    _, sparse = extractors
    sparse.precompute_templates(modes=["average"], n_jobs=1)
    dense_bytes = len(sparse.unit_ids) * sparse.nsamples * sparse.get_num_channels() * 4
    tracemalloc.start()
    try:
        si.get_template_extremum_channel(sparse)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < dense_bytes / 2
