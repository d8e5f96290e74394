"""The WaveformExtractor, portability, sparsity and template-tools examples of ``core-module.txt``, run
against ``core`` with only the import changed (complete calls from spec/README.md)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

import core as si
from core import compute_sparsity, extract_waveforms, load_waveforms

pytestmark = [
    pytest.mark.filterwarnings("ignore:the recording has no gain_to_uV"),
    pytest.mark.filterwarnings("ignore:the sorting is not JSON-serializable"),
]


@pytest.fixture
def recording():
    return si.generate_recording(num_channels=4, durations=[3.0, 1.0], seed=0)


@pytest.fixture
def sorting():
    return si.generate_sorting(num_units=5, durations=[3.0, 1.0], firing_rates=10.0, seed=0)


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def test_waveform_extractor_section(recording, sorting):
    unit0 = sorting.unit_ids[0]

    # extract dense waveforms on 500 spikes per unit
    we = extract_waveforms(
        recording=recording,
        sorting=sorting,
        sparse=False,
        folder="waveforms",
        max_spikes_per_unit=500,
        overwrite=True,
    )
    # same, but with parallel processing! (1s chunks processed by 8 jobs)
    job_kwargs = dict(n_jobs=8, chunk_duration="1s")
    we = extract_waveforms(
        recording=recording,
        sorting=sorting,
        sparse=False,
        folder="waveforms_parallel",
        max_spikes_per_unit=500,
        overwrite=True,
        **job_kwargs,
    )
    # same, but in-memory
    we_mem = extract_waveforms(
        recording=recording,
        sorting=sorting,
        sparse=False,
        folder=None,
        mode="memory",
        max_spikes_per_unit=500,
        **job_kwargs,
    )

    # load pre-computed waveforms
    we_loaded = load_waveforms(folder="waveforms")

    # retrieve waveforms and templates for a unit
    waveforms0 = we.get_waveforms(unit_id=unit0)
    template0 = we.get_template(unit_id=unit0)

    # compute template standard deviations (average is computed by default)
    we.precompute_templates(modes=("std",))

    # retrieve all template means and standard deviations
    template_means = we.get_all_templates(mode="average")
    template_stds = we.get_all_templates(mode="std")

    # save to Zarr
    we_zarr = we.save(folder="waveforms_zarr", format="zarr")

    # extract sparse waveforms (see Sparsity section)
    # this will use 50 spikes per unit to estimate the sparsity within a 40um radius from that unit
    we_sparse = extract_waveforms(
        recording=recording,
        sorting=sorting,
        folder="waveforms_sparse",
        max_spikes_per_unit=500,
        method="radius",
        radius_um=40,
        num_spikes_for_sparsity=50,
    )

    assert waveforms0.shape[1:] == (we.nsamples, 4)
    np.testing.assert_array_equal(we_loaded.get_waveforms(unit0), we_mem.get_waveforms(unit0))
    np.testing.assert_allclose(template0, waveforms0.mean(axis=0), rtol=1e-6)
    assert template_means.shape == template_stds.shape == (5, we.nsamples, 4)
    assert we_zarr.folder == Path("waveforms_zarr.zarr") and we_zarr.format == "zarr"
    np.testing.assert_array_equal(we_zarr.get_all_templates(mode="std"), template_stds)
    assert we_sparse.is_sparse()
    assert we_sparse.get_waveforms(unit0).shape[2] == we_sparse.sparsity.mask[0].sum()


def test_portable_folder_section(recording, sorting):
    # create a "processed" folder
    processed_folder = Path("processed")

    # save the sorting object in the "processed" folder
    sorting = sorting.save(folder=processed_folder / "sorting")
    # extract waveforms using relative paths
    we = extract_waveforms(
        recording=recording,
        sorting=sorting,
        folder=processed_folder / "waveforms",
        use_relative_path=True,
    )
    # the "processed" folder is now portable, and the waveform extractor can be reloaded
    # from a different location/machine (without loading the recording)
    shutil.move(processed_folder, "moved")
    processed_folder = Path("moved")
    we_loaded = si.load_waveforms(folder=processed_folder / "waveforms", with_recording=False)

    np.testing.assert_array_equal(we_loaded.unit_ids, we.unit_ids)
    np.testing.assert_array_equal(we_loaded.get_all_templates(), we.get_all_templates())


def test_sparsity_saving_section(recording, sorting):
    we = extract_waveforms(
        recording=recording, sorting=sorting, sparse=False, folder="waveforms", overwrite=True
    )
    # in this case 'we' should be a dense waveform_extractor
    sparsity = compute_sparsity(we, method="radius", radius_um=40)
    we_sparse = we.save(sparsity=sparsity, folder="waveforms_sparse")

    assert we_sparse.is_sparse() and we_sparse.sparsity == sparsity
    unit = sorting.unit_ids[1]
    mask = sparsity.mask[1]
    np.testing.assert_array_equal(we_sparse.get_waveforms(unit), we.get_waveforms(unit)[:, :, mask])


def test_sparsity_section(recording, sorting):
    we = extract_waveforms(recording=recording, sorting=sorting, sparse=False, folder="dense")
    sparsity = compute_sparsity(we, method="radius", radius_um=40)
    unit0 = sorting.unit_ids[0]
    channel_ids = sparsity.unit_id_to_channel_ids[unit0]
    channel_indices = sparsity.unit_id_to_channel_indices[unit0]
    np.testing.assert_array_equal(recording.channel_ids[channel_indices], channel_ids)
    best = compute_sparsity(we, method="best_channels", num_channels=2)
    assert all(ids.size == 2 for ids in best.unit_id_to_channel_ids.values())
    snr = compute_sparsity(we, method="threshold", threshold=0.0)
    assert snr.mask.all()
    recording.set_channel_groups([0, 0, 1, 1])
    sorting.set_property("group", np.array([0, 1, 0, 1, 0]))
    by_group = compute_sparsity(
        extract_waveforms(recording=recording, sorting=sorting, sparse=False, folder="grouped"),
        method="by_property",
        by_property="group",
    )
    assert by_group.unit_id_to_channel_indices[sorting.unit_ids[1]].tolist() == [2, 3]


def test_template_tools_section(recording, sorting):
    we = extract_waveforms(recording=recording, sorting=sorting, sparse=False, folder="tools")
    amplitudes = si.get_template_amplitudes(we, peak_sign="neg")
    extremum = si.get_template_extremum_channel(we, peak_sign="neg")
    shifts = si.get_template_extremum_channel_peak_shift(we, peak_sign="neg")
    extremum_amplitude = si.get_template_extremum_amplitude(we, peak_sign="neg")
    for unit_id in sorting.unit_ids:
        template = we.get_template(unit_id)
        assert extremum[unit_id] == recording.channel_ids[np.argmax(-template.min(axis=0))]
        np.testing.assert_allclose(amplitudes[unit_id], -template.min(axis=0), rtol=1e-6)
        channel = list(recording.channel_ids).index(extremum[unit_id])
        assert shifts[unit_id] == int(np.argmin(template[:, channel])) - we.nbefore
        at_index = -template[we.nbefore]
        assert extremum_amplitude[unit_id] == pytest.approx(at_index[np.argmax(np.abs(at_index))])
