"""The opener registry: one list that load_extractor, read, read_all and load_waveforms walk."""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

import core as si
from core import opening
from core.opening import OpenOptions, find_opener, openers, register_opener

CORE = Path(si.__file__).parent
ANALYZER_ZARR_EXPECTED = (
    Path(__file__).parents[1] / "data" / "si_0.105.3_sorting_analyzer.expected.json"
)


def _recording():
    return si.generate_recording(num_channels=2, durations=[0.5], seed=0)


def _sorting():
    return si.generate_sorting(num_units=2, durations=[0.5], seed=0)


def _waveforms(tmp_path, mode="folder"):
    recording, sorting = si.generate_ground_truth_recording(
        durations=[1.0], num_channels=4, num_units=2, seed=0
    )
    recording = recording.save(folder=tmp_path / "rec")
    sorting = sorting.save(folder=tmp_path / "sort")
    we = si.extract_waveforms(
        recording, sorting, folder=tmp_path / "wf", sparse=False, max_spikes_per_unit=5, seed=0
    )
    if mode == "zarr":
        we.save(tmp_path / "wf_zarr", format="zarr")
        return tmp_path / "wf_zarr.zarr"
    return tmp_path / "wf"


def _phy(tmp_path):
    folder = tmp_path / "phy"
    folder.mkdir()
    np.save(folder / "spike_times.npy", np.array([10, 20], "int64"))
    np.save(folder / "spike_clusters.npy", np.array([0, 1], "int64"))
    (folder / "params.py").write_text("sample_rate = 30000.0\n")
    return folder


def _legacy(tmp_path):
    folder = tmp_path / "legacy"
    _recording().save(folder=tmp_path / "saved")
    description = json.loads((tmp_path / "saved" / "si_folder.json").read_text())
    folder.mkdir()
    (folder / "cached.json").write_text(json.dumps(description))
    for name in ("traces_cached_seg0.raw", "binary.json"):
        (folder / name).write_bytes((tmp_path / "saved" / name).read_bytes())
    return folder


def _saved_folder(tmp_path):
    _recording().save(folder=tmp_path / "saved")
    return tmp_path / "saved"


def _description(tmp_path):
    _recording().dump_to_json(tmp_path / "rec.json")
    return tmp_path / "rec.json"


def _zarr_sorting(tmp_path):
    _sorting().save(folder=tmp_path / "s", format="zarr")
    return tmp_path / "s.zarr"


def _npz(tmp_path):
    si.create_sorting_npz(2, tmp_path / "s.npz")
    return tmp_path / "s.npz"


# name of the opener -> how to make a path it opens
CASES = {
    "saved_folder": _saved_folder,
    "legacy_cached_folder": _legacy,
    "extractor_description": _description,
    "zarr_extractor": _zarr_sorting,
    "waveform_extractor_folder": _waveforms,
    "waveform_extractor_zarr": lambda tmp_path: _waveforms(tmp_path, "zarr"),
    "npz_sorting": _npz,
    "phy_folder": _phy,
}


def test_openers_are_ordered_by_priority_with_unique_names():
    registered = openers()
    names = [opener.name for opener in registered]
    assert len(names) == len(set(names))
    assert set(CASES) | {"sorting_analyzer", "raw_acquisition"} <= set(names)
    assert [o.priority for o in registered] == sorted(o.priority for o in registered)
    assert names[-1] == "raw_acquisition"


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_format_is_recognised_by_its_opener(tmp_path, name):
    path = CASES[name](tmp_path)
    assert find_opener(path).name == name


@pytest.mark.parametrize("name", sorted(CASES))
def test_read_and_load_extractor_agree(tmp_path, name):
    path = CASES[name](tmp_path)
    found = si.read_all(path)
    opener = find_opener(path)
    if opener.saved:
        loaded = si.load_extractor(path)
        main = found[opener.kinds[0]] if opener.kinds[0] in found else next(iter(found.values()))
        assert type(loaded) is type(main)
    else:
        with pytest.raises(ValueError, match="saved extractor"):
            si.load_extractor(path)


def test_sorting_analyzer_store_opens_with_every_entry_point():
    path = (
        ANALYZER_ZARR_EXPECTED.parent / json.loads(ANALYZER_ZARR_EXPECTED.read_text())["data_path"]
    )
    assert find_opener(path).name == "sorting_analyzer"
    assert find_opener(path, kind="waveform_extractor").name == "sorting_analyzer"
    for opened in (
        si.load_extractor(path),
        si.load_waveforms(path),
        si.read(path)["waveform_extractor"],
    ):
        assert opened.unit_ids.size > 0


@pytest.mark.parametrize("name", ["waveform_extractor_folder", "waveform_extractor_zarr"])
def test_load_waveforms_opens_waveform_stores(tmp_path, name):
    we = si.load_waveforms(CASES[name](tmp_path))
    assert we.get_waveforms(we.unit_ids[0]).shape[0] > 0


@pytest.mark.parametrize("name", ["saved_folder", "npz_sorting", "phy_folder"])
def test_load_waveforms_refuses_other_formats(tmp_path, name):
    with pytest.raises(ValueError, match="WaveformExtractor or SortingAnalyzer"):
        si.load_waveforms(CASES[name](tmp_path))


def test_waveform_store_kind_decides_before_the_generic_zarr_opener(tmp_path):
    path = _waveforms(tmp_path, "zarr")
    assert opening.is_zarr_store(path)
    assert find_opener(path, saved_only=True).name == "waveform_extractor_zarr"


def test_read_zarr_opens_recordings_and_sortings(tmp_path):
    _recording().save(folder=tmp_path / "r", format="zarr")
    _sorting().save(folder=tmp_path / "s", format="zarr")
    assert isinstance(si.read_zarr(tmp_path / "r.zarr"), si.ZarrRecordingExtractor)
    assert isinstance(si.read_zarr(tmp_path / "s.zarr"), si.ZarrSortingExtractor)


def test_description_holding_a_warning_gives_none_and_prints(tmp_path, capsys):
    (tmp_path / "rec.json").write_text(json.dumps({"warning": "not dumpable"}))
    assert si.load_extractor(tmp_path / "rec.json") is None
    assert "not dumpable" in capsys.readouterr().out
    with pytest.raises(ValueError, match="only a warning"):
        si.read(tmp_path / "rec.json")


def test_legacy_pickle_folder_needs_allow_pickle(tmp_path):
    folder = tmp_path / "legacy"
    folder.mkdir()
    _recording().dump_to_pickle(folder / "cached.pkl")
    assert find_opener(folder).name == "legacy_cached_folder"
    with pytest.raises(ValueError, match="allow_pickle"):
        si.load_extractor(folder)
    assert si.load_extractor(folder, allow_pickle=True).get_num_channels() == 2


def test_a_registered_opener_is_used_by_read(tmp_path):
    path = tmp_path / "traces.mine"
    np.save(path.with_suffix(".npy"), np.ones((5, 2), "float32"))
    path.with_suffix(".npy").rename(path)

    def open_mine(p: Path, options: OpenOptions) -> dict:
        return {"recording": si.NumpyRecording([np.load(p)], sampling_frequency=100.0)}

    register_opener(
        "test_mine",
        lambda p: p.suffix == ".mine",
        open_mine,
        kinds=("recording",),
        saved=False,
        priority=opening.PRIORITY_SORTER_OUTPUT,
    )
    try:
        assert si.read(path).get_num_samples() == 5
        with pytest.raises(ValueError, match="saved extractor"):
            si.load_extractor(path)
    finally:
        opening._openers.pop("test_mine")


def test_register_opener_checks_kinds():
    with pytest.raises(ValueError, match="kinds"):
        register_opener("bad", bool, dict, kinds=("traces",), saved=False, priority=1)


# --------------------------------------------------------------------------- structure
def _imported_modules(path: Path) -> set[str]:
    """Modules imported at the top level of a source file (relative imports resolved)."""
    package = ".".join(path.relative_to(CORE.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            names.add(
                f"{base}.{node.module}" if node.level and node.module else node.module or base
            )
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_opening_imports_no_format_at_import_time():
    imported = _imported_modules(CORE / "opening.py")
    assert not any(name.startswith("core") for name in imported)


def test_loading_imports_neither_formats_nor_waveforms():
    imported = _imported_modules(CORE / "loading.py")
    assert imported & {"core.formats", "core.waveforms"} == set()
    assert not any(name.startswith(("core.formats", "core.waveforms")) for name in imported)


def test_recordings_do_not_import_sortings():
    for path in (CORE / "recording").glob("*.py"):
        source = path.read_text()
        assert "sorting" not in " ".join(_imported_modules(path)), path.name
        assert "ZarrSortingExtractor" not in source, path.name


def test_detect_module_is_gone():
    assert not (CORE / "formats" / "detect.py").exists()
    assert si.read_all is opening.read_all and si.read is opening.read
