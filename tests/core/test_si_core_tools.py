"""SpikeInterface's ``core_tools`` helpers, against hand-computed values."""

import json
import math
from multiprocessing.shared_memory import SharedMemory
from pathlib import Path

import numpy as np
import pytest
from core.core_tools import (
    SIJsonEncoder,
    add_suffix,
    check_json,
    check_paths_relative,
    convert_bytes_to_str,
    convert_seconds_to_str,
    define_function_from_class,
    is_dict_extractor,
    is_editable_mode,
    make_paths_absolute,
    make_paths_relative,
    make_shared_array,
    normal_pdf,
    read_python,
    recursive_key_finder,
    recursive_path_modifier,
    write_python,
)

import core as si

NESTED = {
    "kwargs": {
        "path": "/yep/sub/path1",
        "file_paths": ["/yep/a.raw", "/yep/b.raw"],
        "recording": {
            "module": "spikeinterface",
            "class": "spikeinterface.core.binaryfolder.BinaryFolderRecording",
            "version": "0.100.8",
            "annotations": {},
            "kwargs": {"folder_path": "/yep/sub/path2", "other": 3},
        },
    }
}


# --------------------------------------------------------------------------- JSON
def test_encoder_writes_numpy_scalar_keys_and_values():
    text = json.dumps(
        {np.int32(1): np.float32(0.5), np.bool_(False): np.int64(2)}, cls=SIJsonEncoder
    )
    assert json.loads(text) == {"1": 0.5, "false": 2}


def test_encoder_writes_dtypes_and_numpy_types_by_name():
    assert json.loads(json.dumps([np.dtype("int32"), np.float32], cls=SIJsonEncoder)) == [
        "int32",
        "float32",
    ]


def test_encoder_writes_an_extractor_as_its_dictionary():
    recording = si.generate_recording(num_channels=2, durations=[1.0], seed=0)
    written = json.loads(json.dumps(recording, cls=SIJsonEncoder))
    assert written["class"] == recording.to_dict()["class"]
    assert written["kwargs"]["num_channels"] == 2


def test_check_json_gives_plain_types():
    checked = check_json({"a": np.arange(3), "b": {np.int64(4): np.float64(1.5)}})
    assert checked == {"a": [0, 1, 2], "b": {"4": 1.5}}


# --------------------------------------------------------------------------- paths
def test_recursive_path_modifier_reaches_nested_extractors_and_lists():
    modified = recursive_path_modifier(NESTED, lambda p: p.replace("/yep", "/yop"))
    assert modified["kwargs"]["path"] == "/yop/sub/path1"
    assert modified["kwargs"]["file_paths"] == ["/yop/a.raw", "/yop/b.raw"]
    assert modified["kwargs"]["recording"]["kwargs"]["folder_path"] == "/yop/sub/path2"
    assert modified["kwargs"]["recording"]["kwargs"]["other"] == 3
    assert NESTED["kwargs"]["path"] == "/yep/sub/path1"  # copy=True leaves the input alone


def test_recursive_path_modifier_in_place():
    d = json.loads(json.dumps(NESTED))
    returned = recursive_path_modifier(d, str.upper, copy=False)
    assert returned is d
    assert d["kwargs"]["path"] == "/YEP/SUB/PATH1"


def test_make_paths_relative_then_absolute():
    relative = make_paths_relative(NESTED, Path("/yep"))
    assert relative["kwargs"]["path"] == "sub/path1"
    assert relative["kwargs"]["recording"]["kwargs"]["folder_path"] == "sub/path2"
    absolute = make_paths_absolute(relative, "/yop")
    assert absolute["kwargs"]["path"] == "/yop/sub/path1"
    assert absolute["kwargs"]["file_paths"] == ["/yop/a.raw", "/yop/b.raw"]


def test_check_paths_relative_refuses_urls():
    assert check_paths_relative(NESTED, "/yep")
    assert not check_paths_relative({"kwargs": {"path": "https://host/x.raw"}}, "/yep")


def test_is_dict_extractor_needs_module_class_version_annotations():
    assert is_dict_extractor(NESTED["kwargs"]["recording"])
    assert not is_dict_extractor(NESTED)
    assert not is_dict_extractor("not a dict")


def test_recursive_key_finder_finds_nested_values():
    assert sorted(recursive_key_finder({"a": 1, "b": {"a": 2, "c": {"a": 3}}}, "a")) == [1, 2, 3]


@pytest.mark.parametrize(
    ("name", "suffix", "expected"),
    [
        ("x", "json", "x.json"),
        ("x.json", [".json", ".pkl"], "x.json"),
        ("x.txt", ".pkl", "x.txt.pkl"),
    ],
)
def test_add_suffix(name, suffix, expected):
    assert add_suffix(Path("/d") / name, suffix) == Path("/d") / expected


# --------------------------------------------------------------------------- python files
def test_write_then_read_python(tmp_path):
    write_python(tmp_path / "params.py", {"dat_path": "a.bin", "n_channels_dat": 4, "Offset": 0})
    assert read_python(tmp_path / "params.py") == {
        "dat_path": "a.bin",
        "n_channels_dat": 4,
        "offset": 0,
    }


def test_read_python_reads_range_and_never_runs_code(tmp_path):
    flag = tmp_path / "ran"
    (tmp_path / "params.py").write_text(
        f"channels = range(3)\nimport os\nos.system('touch {flag}')\n"
    )
    with pytest.warns(UserWarning, match="skipped"):
        params = read_python(tmp_path / "params.py")
    assert params == {"channels": [0, 1, 2]}
    assert not flag.exists()


# --------------------------------------------------------------------------- small utilities
def test_define_function_from_class_is_the_class():
    assert define_function_from_class(si.BinaryRecordingExtractor, "read_binary") is (
        si.BinaryRecordingExtractor
    )


def test_make_shared_array_is_zeroed_and_attachable():
    array, shm = make_shared_array((3, 2), "int16")
    try:
        assert array.dtype == np.int16 and array.shape == (3, 2) and not array.any()
        array[1, 1] = 7
        other = SharedMemory(name=shm.name)
        assert np.ndarray((3, 2), "int16", buffer=other.buf)[1, 1] == 7
        other.close()
    finally:
        del array
        shm.close()
        shm.unlink()


@pytest.mark.parametrize(
    ("value", "text"),
    [(500, "500.00 B"), (1024, "1.00 KiB"), (1536, "1.50 KiB"), (3 * 1024**3, "3.00 GiB")],
)
def test_convert_bytes_to_str(value, text):
    assert convert_bytes_to_str(value) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.5, "0.50s (500.00 ms)"),
        (30.0, "30.00s"),
        (90.0, "90.00s (1.50 minutes)"),
        (7200.0, "7,200.00s (2.00 hours)"),
        (3 * 86400.0, "259,200.00s (3.00 days)"),
    ],
)
def test_convert_seconds_to_str(seconds, text):
    assert convert_seconds_to_str(seconds) == text


def test_convert_seconds_to_str_short_notation():
    assert convert_seconds_to_str(7200.0, long_notation=False) == "7,200.00s"


def test_normal_pdf_values():
    assert math.isclose(normal_pdf(0.0), 1 / math.sqrt(2 * math.pi))
    assert math.isclose(normal_pdf(1.0, mu=1.0, sigma=2.0), 1 / (2 * math.sqrt(2 * math.pi)))
    assert math.isclose(normal_pdf(-0.9355, mu=4.160771, sigma=2.9334), 0.03006929091)
    np.testing.assert_allclose(normal_pdf(np.array([-1.0, 1.0])), [0.24197072451914337] * 2)


def test_is_editable_mode_in_a_checkout():
    assert (
        is_editable_mode() == (Path(si.__file__).resolve().parents[1] / "pyproject.toml").is_file()
    )
