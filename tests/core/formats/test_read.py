"""core.read: recognise what a path holds and open it with the right reader."""

import json

import numpy as np
import pytest

import core as si
from core.opening import read_all

from .raw_writers import write_spikeglx_run
from .test_phy import write_folder as write_phy_folder


@pytest.mark.parametrize("version", ["si_0.100.8", "si_0.105.3"])
@pytest.mark.parametrize(
    ("fixture", "expected_type"),
    [
        ("recording_binary", si.BinaryFolderRecording),
        ("recording_zarr_default", si.ZarrRecordingExtractor),
        ("sorting_default_folder", si.NumpyFolderSorting),
        ("sorting_npz_file", si.NpzSortingExtractor),
        ("snippets_npy_folder", si.NpyFolderSnippets),
    ],
)
def test_spikeinterface_fixtures_open_as_their_kind(si_fixtures, version, fixture, expected_type):
    root = si_fixtures / version / fixture
    expected = json.loads((root / "expected.json").read_text())
    opened = si.read(root / expected["data_path"])
    assert isinstance(opened, expected_type)
    ids = opened.unit_ids if isinstance(opened, si.BaseSorting) else opened.channel_ids
    key = "unit_ids" if isinstance(opened, si.BaseSorting) else "channel_ids"
    if key in expected:
        assert ids.tolist() == expected[key]["values"]


def test_read_matches_load_extractor_for_saved_folders(si_fixtures):
    folder = si_fixtures / "si_0.100.8" / "recording_binary" / "recording"
    np.testing.assert_array_equal(
        si.read(folder).get_traces(segment_index=1),
        si.load_extractor(folder).get_traces(segment_index=1),
    )


def test_spikeglx_run_opens_recording_and_events(tmp_path):
    run = write_spikeglx_run(tmp_path, num_samples=3000)
    imec_folder = next((tmp_path / "run_g0").glob("*imec0"))
    found = read_all(imec_folder)
    assert isinstance(found["recording"], si.BaseRecording)
    assert found["recording"].get_num_samples() == 3000
    assert found["recording"].has_probe()
    assert run is not None


def test_phy_folder_opens_as_sorting(tmp_path):
    folder = write_phy_folder(tmp_path / "phy")
    assert isinstance(si.read(folder), si.PhySortingExtractor)


def test_missing_path_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing"):
        si.read(tmp_path / "nothing")


def test_unknown_file_says_what_was_expected(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="notes.txt"):
        si.read(tmp_path / "notes.txt")


def test_damaged_saved_folder_names_the_file(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "si_folder.json").write_text("{ not json")
    with pytest.raises(ValueError, match="si_folder.json"):
        si.read(folder)


def test_pickle_description_needs_allow_pickle(tmp_path):
    (tmp_path / "data.raw").write_bytes(np.zeros((10, 2), "int16").tobytes())
    si.read_binary(tmp_path / "data.raw", 1000.0, "int16", num_channels=2).dump(
        tmp_path / "cached.pkl"
    )
    folder = tmp_path
    with pytest.raises(ValueError, match="allow_pickle"):
        si.read(folder)


def test_waveform_folder_opens_with_its_sorting(tmp_path):
    recording = si.generate_recording(num_channels=4, durations=[2.0], seed=0)
    sorting = si.generate_sorting(num_units=3, durations=[2.0], seed=0).save(
        folder=tmp_path / "sorting"
    )
    si.extract_waveforms(
        recording,
        sorting,
        folder=tmp_path / "waveforms",
        sparse=False,
        use_relative_path=True,
        max_spikes_per_unit=20,
        seed=0,
    )
    found = read_all(tmp_path / "waveforms")
    assert set(found) == {"sorting", "waveform_extractor"}
    assert found["waveform_extractor"].unit_ids.tolist() == [0, 1, 2]


def test_waveform_folder_with_a_missing_sorting_says_how_to_open_it(si_fixtures):
    folder = si_fixtures / "si_0.100.8" / "waveforms_sparse_folder" / "waveforms"
    with pytest.raises(FileNotFoundError, match="sorting=<the sorting>"):
        si.read(folder)


def test_sorting_analyzer_folder_opens_as_waveform_extractor(si_fixtures):
    folder = si_fixtures / "si_0.105.3" / "sorting_analyzer_binary_folder" / "analyzer"
    found = read_all(folder)
    assert set(found) == {"sorting", "waveform_extractor"}
    assert found["waveform_extractor"].get_all_templates().shape[0] == 5
