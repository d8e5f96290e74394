"""load_extractor and load_waveforms open SortingAnalyzer folders and stores, like core.read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import core as si
from core.waveforms import WaveformExtractor
from tests.conftest import FIXTURES_ROOT

BINARY = FIXTURES_ROOT / "si_0.105.3" / "sorting_analyzer_binary_folder"
DATA = Path(__file__).resolve().parents[2] / "data"
ZARR_EXPECTED = DATA / "si_0.105.3_sorting_analyzer.expected.json"


def _analyzer_paths() -> list:
    paths = [pytest.param(DATA / json.loads(ZARR_EXPECTED.read_text())["data_path"], id="zarr")]
    binary = BINARY / "expected.json"
    if binary.is_file():
        paths.append(
            pytest.param(BINARY / json.loads(binary.read_text())["data_path"], id="binary")
        )
    else:
        paths.append(
            pytest.param(
                None, id="binary", marks=pytest.mark.skip(reason=f"no fixture at {BINARY}")
            )
        )
    return paths


@pytest.mark.parametrize("path", _analyzer_paths())
@pytest.mark.parametrize("loader", [si.load_extractor, si.load_waveforms])
def test_analyzer_opens_like_core_read(path: Path, loader) -> None:
    opened = loader(path)
    reference = si.read_all(path)["waveform_extractor"]
    assert isinstance(opened, WaveformExtractor)
    assert opened.unit_ids.tolist() == reference.unit_ids.tolist()
    unit_id = opened.unit_ids[0]
    np.testing.assert_array_equal(opened.get_waveforms(unit_id), reference.get_waveforms(unit_id))
    np.testing.assert_array_equal(opened.get_all_templates(), reference.get_all_templates())


def test_load_extractor_opens_a_waveform_folder(tmp_path: Path) -> None:
    recording, sorting = si.generate_ground_truth_recording(
        durations=[2.0], num_channels=4, num_units=3, seed=1
    )
    recording = recording.save(folder=tmp_path / "recording")
    sorting = sorting.save(folder=tmp_path / "sorting")
    si.extract_waveforms(recording, sorting, folder=tmp_path / "wf", sparse=False, seed=0)
    loaded = si.load_extractor(tmp_path / "wf")
    assert isinstance(loaded, WaveformExtractor)
    np.testing.assert_array_equal(
        loaded.get_waveforms(sorting.unit_ids[0]),
        si.load_waveforms(tmp_path / "wf").get_waveforms(sorting.unit_ids[0]),
    )


def test_load_extractor_opens_a_waveform_folder_whose_recording_is_gone(tmp_path: Path) -> None:
    recording, sorting = si.generate_ground_truth_recording(
        durations=[2.0], num_channels=4, num_units=3, seed=2
    )
    saved = recording.save(folder=tmp_path / "recording")
    sorting = sorting.save(folder=tmp_path / "sorting")
    si.extract_waveforms(saved, sorting, folder=tmp_path / "wf", sparse=False, seed=0)
    (tmp_path / "recording").rename(tmp_path / "moved")
    with pytest.warns(UserWarning, match="opened without its recording"):
        loaded = si.load_extractor(tmp_path / "wf")
    assert not loaded.has_recording()
    assert loaded.get_waveforms(sorting.unit_ids[0]).shape[0] > 0
