"""core.zarr_v2_raw: zarr format 2 nodes read from their files, object arrays decoded safely."""

from __future__ import annotations

import json
from pathlib import Path

import numcodecs
import numpy as np
import pytest
import zarr

from core.zarr_v2_raw import (
    group_members,
    read_array,
    read_array_metadata,
    read_attributes,
    write_json_array,
)

from .formats.analyzer_zarr_writer import write_object_array


class _Trap:
    """Unpickling it creates ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture
def group(tmp_path) -> Path:
    path = tmp_path / "store.zarr"
    zarr.open_group(str(path), mode="w", zarr_format=2)
    return path


def _edit_metadata(array: Path, **changes) -> None:
    metadata = json.loads((array / ".zarray").read_text())
    metadata.update(changes)
    (array / ".zarray").write_text(json.dumps(metadata))


def test_members_include_object_arrays(group):
    root = zarr.open_group(str(group), mode="r+")
    root.create_group("sub")
    root.create_array("numbers", data=np.arange(3))
    write_object_array(group, "labels", {"a": 1}, "json")
    assert group_members(group) == (["sub"], ["labels", "numbers"])


def test_members_of_a_folder_that_is_not_a_group(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path}: not a zarr format 2 group"):
        group_members(tmp_path)


def test_json_dict_array_is_decoded(group):
    value = {"u0": "good", "nested": {"n": [1, 2.5, None]}}
    write_object_array(group, "labels", value, "json")
    decoded = read_array(group / "labels")
    assert decoded.shape == (1,) and decoded.dtype == object
    assert decoded[0] == value


def test_numeric_and_string_arrays_are_read_by_zarr(group):
    root = zarr.open_group(str(group), mode="r+")
    root.create_array("numbers", data=np.arange(12, dtype="int16").reshape(3, 4), chunks=(2, 2))
    strings = root.create_array("names", shape=(3,), dtype=str)
    strings[:] = np.array(["a", "bb", "ccc"])
    np.testing.assert_array_equal(
        read_array(group / "numbers"), np.arange(12, dtype="int16").reshape(3, 4)
    )
    names = read_array(group / "names")
    assert names.dtype.str == "<U3" and names.tolist() == ["a", "bb", "ccc"]


def test_pickled_array_is_refused_without_running_it(group, tmp_path):
    marker = tmp_path / "unpickled"
    write_object_array(group, "model", _Trap(marker), "pickle")
    with pytest.raises(ValueError, match="pickle codec") as error:
        read_array(group / "model")
    assert str(group / "model") in str(error.value)
    assert "allow_pickle=True" in str(error.value)
    assert not marker.exists()


def test_pickled_array_is_decoded_with_allow_pickle(group, tmp_path):
    marker = tmp_path / "unpickled"
    write_object_array(group, "model", _Trap(marker), "pickle")
    read_array(group / "model", allow_pickle=True)
    assert marker.exists()


def test_pickled_zero_dimensional_array_as_spikeinterface_writes_it(group):
    """SpikeInterface 0.100 pickles one object as a 0-d array: no chunks, no compressor."""
    folder = group / "model"
    folder.mkdir()
    codec = numcodecs.Pickle(protocol=5)
    metadata = {
        "chunks": [],
        "compressor": None,
        "dtype": "|O",
        "fill_value": 0,
        "filters": [codec.get_config()],
        "order": "C",
        "shape": [],
        "zarr_format": 2,
    }
    (folder / ".zarray").write_text(json.dumps(metadata))
    value = {"components": [[1.0, 0.0], [0.0, 1.0]]}
    (folder / "0").write_bytes(codec.encode(np.array(value, dtype=object)))
    decoded = read_array(folder, allow_pickle=True)
    assert decoded.shape == () and decoded[()] == value


def test_pickle_compressor_on_a_numeric_array_is_refused(group, tmp_path):
    """Any pickle codec is refused, not only object codecs: zarr would unpickle it too."""
    zarr.open_group(str(group), mode="r+").create_array("numbers", data=np.arange(3))
    _edit_metadata(group / "numbers", compressor={"id": "pickle", "protocol": 5})
    with pytest.raises(ValueError, match="numbers: array is stored with the pickle codec"):
        read_array(group / "numbers")


def test_unsupported_object_codec_is_named(group):
    write_object_array(group, "labels", {"a": 1}, "json")
    _edit_metadata(group / "labels", filters=[{"id": "msgpack2"}])
    with pytest.raises(ValueError, match=r"labels: object array .*msgpack2.* not supported"):
        read_array(group / "labels")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"shape": [1], "chunks": [1', r"\.zarray: not valid JSON"),
        ("[1, 2]", r"\.zarray: expected a JSON object"),
        ('{"zarr_format": 2, "chunks": [1], "dtype": "|O"}', r"\.zarray: .*shape is None"),
        (
            '{"zarr_format": 2, "shape": [1], "chunks": [1], "dtype": "|O", "filters": "json2"}',
            r"\.zarray: .*filters is 'json2'",
        ),
        ('{"zarr_format": 3, "shape": [1], "chunks": [1], "dtype": "<f4"}', r"zarr_format is 3"),
    ],
)
def test_damaged_zarray_is_named(group, content, named):
    write_object_array(group, "labels", {"a": 1}, "json")
    (group / "labels" / ".zarray").write_text(content)
    with pytest.raises(ValueError, match=named) as error:
        read_array(group / "labels")
    assert str(group / "labels" / ".zarray") in str(error.value)


def test_missing_zarray_is_named(group):
    (group / "empty").mkdir()
    with pytest.raises(ValueError, match=r"empty: not a zarr format 2 array"):
        read_array_metadata(group / "empty")


def test_missing_chunk_is_named(group):
    write_object_array(group, "labels", {"a": 1}, "json")
    (group / "labels" / "0").unlink()
    with pytest.raises(ValueError, match=r"labels/0: missing chunk"):
        read_array(group / "labels")


def test_damaged_chunk_is_named(group):
    write_object_array(group, "labels", {"a": 1}, "json")
    (group / "labels" / "0").write_bytes(b"not blosc")
    with pytest.raises(ValueError, match=r"labels/0: cannot decode the object array"):
        read_array(group / "labels")


def test_object_array_in_several_chunks_is_refused(group):
    write_object_array(group, "labels", {"a": 1}, "json")
    _edit_metadata(group / "labels", shape=[4], chunks=[2])
    with pytest.raises(ValueError, match=r"labels: object array of shape \(4,\) .* 2 chunks"):
        read_array(group / "labels")


def test_attributes(group):
    write_object_array(group, "labels", {"a": 1}, "json")
    assert read_attributes(group / "labels") == {}
    (group / "labels" / ".zattrs").write_text('{"dict": true}')
    assert read_attributes(group / "labels") == {"dict": True}
    (group / "labels" / ".zattrs").write_text("[true]")
    with pytest.raises(ValueError, match=r"labels/\.zattrs: expected a JSON object"):
        read_attributes(group / "labels")


# --------------------------------------------------------------------------- writing
def test_written_json_array_reads_back_with_its_attributes(group):
    values = [{"u0": "good", "nested": {"n": [1, 2.5, None]}}, [1, 2], "text", float("nan")]
    write_json_array(group, "labels", values, attributes={"dict": True})
    assert group_members(group) == ([], ["labels"])
    decoded = read_array(group / "labels")
    assert decoded.shape == (4,) and decoded.dtype == object
    assert decoded[:3].tolist() == values[:3] and np.isnan(decoded[3])
    assert read_attributes(group / "labels") == {"dict": True}


def test_written_json_array_has_zarr2_metadata(group):
    write_json_array(group, "labels", [{"a": 1}])
    metadata = read_array_metadata(group / "labels")
    assert metadata["dtype"] == "|O" and metadata["shape"] == [1] and metadata["chunks"] == [1]
    assert metadata["filters"] == [numcodecs.JSON().get_config() | {"separators": [",", ":"]}]
    assert metadata["compressor"] == {
        "id": "blosc",
        "cname": "lz4",
        "clevel": 5,
        "shuffle": 1,
        "blocksize": 0,
    }
    # zarr 2's metadata files: sorted keys, 4-space indent
    text = (group / "labels" / ".zarray").read_text()
    assert text == json.dumps(metadata, indent=4, sort_keys=True)
    assert not (group / "labels" / ".zattrs").exists()


def test_json_array_is_not_written_over_an_existing_node(group):
    write_json_array(group, "labels", [{"a": 1}])
    with pytest.raises(FileExistsError):
        write_json_array(group, "labels", [{"b": 2}])
    assert read_array(group / "labels")[0] == {"a": 1}


def test_empty_json_array_is_refused(group):
    with pytest.raises(ValueError, match="labels: a JSON object array needs at least one value"):
        write_json_array(group, "labels", [])
    assert not (group / "labels").exists()
