"""read_sorting_analyzer on SortingAnalyzer zarr stores written in the test (FORMATS.md §9.3)."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numcodecs
import numpy as np
import pytest
import zarr

import core as si
from core.formats.sorting_analyzer import read_sorting_analyzer
from core.opening import read_all

from .analyzer_zarr_writer import (
    CHANNEL_IDS,
    NBEFORE,
    NUM_CHANNELS,
    PAD_VALUE,
    SPARSITY_MASK,
    UNIT_IDS,
    consolidate,
    write_analyzer_store,
    write_object_array,
)


class _Trap:
    """Unpickling it creates ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _unpickle_chunk(array_folder: Path) -> None:
    metadata = json.loads((array_folder / ".zarray").read_text())
    chunk = numcodecs.get_codec(metadata["compressor"]).decode((array_folder / "0").read_bytes())
    pickle.loads(chunk)


def _edit_attrs(group: Path, **changes) -> None:
    attrs_file = group / ".zattrs"
    attrs = json.loads(attrs_file.read_text())
    for key, value in changes.items():
        if value is None:
            attrs.pop(key, None)
        else:
            attrs[key] = value
    attrs_file.write_text(json.dumps(attrs))


@pytest.mark.parametrize("consolidated", [True, False], ids=["consolidated", "plain"])
@pytest.mark.parametrize("sparse", [True, False], ids=["sparse", "dense"])
def test_waveforms_come_from_the_unit_rows_and_channels(tmp_path, sparse, consolidated):
    written = write_analyzer_store(tmp_path / "a.zarr", sparse=sparse, consolidated=consolidated)
    we = read_sorting_analyzer(written.path)
    spikes = written.sorting.to_spike_vector()
    assert we.is_sparse() is sparse
    for u, unit_id in enumerate(UNIT_IDS):
        mine = written.random_spikes_indices[
            spikes["unit_index"][written.random_spikes_indices] == u
        ]
        dense = we.get_waveforms(unit_id, force_dense=True)
        active = SPARSITY_MASK[u] if sparse else np.ones(NUM_CHANNELS, dtype=bool)
        # the values encode 100 * spike + channel index (see encoded_waveforms)
        expected = 100.0 * mine[:, None] + np.arange(NUM_CHANNELS)[None, :]
        np.testing.assert_array_equal(dense[:, NBEFORE, active], expected[:, active])
        assert not dense[:, :, ~active].any()
        assert we.get_waveforms(unit_id).shape == (mine.size, we.nsamples, int(active.sum()))
        assert PAD_VALUE not in we.get_waveforms(unit_id)


def test_sampled_indices_are_positions_in_the_unit_trains(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr")
    we = read_sorting_analyzer(written.path)
    spikes = written.sorting.to_spike_vector()
    for u, unit_id in enumerate(UNIT_IDS):
        chosen = spikes[written.random_spikes_indices]
        chosen = chosen[chosen["unit_index"] == u]
        sampled = we.get_sampled_indices(unit_id)
        np.testing.assert_array_equal(sampled["segment_index"], chosen["segment_index"])
        for row, spike in zip(sampled, chosen):
            train = written.sorting.get_unit_spike_train(unit_id, int(spike["segment_index"]))
            assert train[row["spike_index"]] == spike["sample_index"]


def test_templates_noise_levels_and_recording_facts(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr")
    we = read_sorting_analyzer(written.path)
    for name, values in written.templates.items():
        np.testing.assert_array_equal(we.get_all_templates(mode=name), values)
    np.testing.assert_array_equal(we.noise_levels, written.noise_levels)
    assert we.channel_ids.tolist() == CHANNEL_IDS.tolist()
    assert we.sampling_frequency == 30000.0
    assert we.get_num_segments() == 2
    assert we.get_probegroup().get_contact_count() == NUM_CHANNELS
    assert we._params["max_spikes_per_unit"] == 4


def test_settings_say_whether_waveforms_are_in_uV(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr")
    assert read_sorting_analyzer(written.path).return_scaled is True
    _edit_attrs(written.path, settings={"return_in_uV": False, "peak_sign": "neg"})
    assert read_sorting_analyzer(written.path).return_scaled is False


def test_store_without_zarr_suffix_is_recognised_by_its_metadata(tmp_path):
    written = write_analyzer_store(tmp_path / "analyzer_store")
    found = read_all(written.path)
    assert set(found) == {"waveform_extractor", "sorting"}
    assert found["waveform_extractor"].unit_ids.tolist() == UNIT_IDS.tolist()


def test_stale_consolidated_metadata_is_not_trusted(tmp_path):
    """0.101.0 did not re-consolidate after computing extensions: the node files win."""
    path = tmp_path / "a.zarr"
    written = write_analyzer_store(path, extensions=("random_spikes", "waveforms"))
    stale = (path / ".zmetadata").read_text()
    written = write_analyzer_store(path)
    (path / ".zmetadata").write_text(stale)
    np.testing.assert_array_equal(read_sorting_analyzer(path).noise_levels, written.noise_levels)


def test_missing_optional_extensions(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr", extensions=("random_spikes", "waveforms"))
    we = read_sorting_analyzer(written.path)
    assert we.noise_levels is None
    # templates are then computed from the waveforms
    templates = we.get_all_templates()
    assert templates.shape == (UNIT_IDS.size, we.nsamples, NUM_CHANNELS)
    np.testing.assert_allclose(
        templates[0][:, SPARSITY_MASK[0]], we.get_waveforms(UNIT_IDS[0]).mean(axis=0)
    )


@pytest.mark.parametrize("missing", ["random_spikes", "waveforms"])
def test_missing_required_extension_is_named(tmp_path, missing):
    kept = tuple(name for name in ("random_spikes", "waveforms") if name != missing)
    written = write_analyzer_store(tmp_path / "a.zarr", extensions=kept)
    with pytest.raises(ValueError, match=f"extensions/{missing}") as error:
        read_sorting_analyzer(written.path)
    assert str(written.path) in str(error.value)


def test_incomplete_required_extension_is_an_error(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr")
    _edit_attrs(written.path / "extensions" / "waveforms", run_info={"run_completed": False})
    with pytest.raises(ValueError, match="waveforms extension did not complete"):
        read_sorting_analyzer(written.path)


def test_incomplete_optional_extension_is_skipped_with_a_warning(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr")
    _edit_attrs(written.path / "extensions" / "noise_levels", run_info={"run_completed": False})
    with pytest.warns(UserWarning, match="noise_levels extension did not complete"):
        we = read_sorting_analyzer(written.path)
    assert we.noise_levels is None


def test_old_percentile_spelling(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr")
    shutil.copytree(
        written.path / "extensions" / "templates" / "average",
        written.path / "extensions" / "templates" / "pencentile_5.0",
    )
    we = read_sorting_analyzer(written.path)
    np.testing.assert_array_equal(
        we.get_all_templates(mode="percentile", percentile=5.0), written.templates["average"]
    )


@pytest.mark.parametrize("name", ["recording", "sorting_provenance"])
def test_pickled_descriptions_are_never_unpickled(tmp_path, name):
    written = write_analyzer_store(tmp_path / "a.zarr", recording_codec=None)
    marker = tmp_path / "unpickled"
    write_object_array(written.path, name, _Trap(marker), "pickle")
    consolidate(written.path)
    for allow_pickle in (False, True):
        found = read_all(written.path, allow_pickle=allow_pickle)
        assert found["waveform_extractor"].unit_ids.tolist() == UNIT_IDS.tolist()
    assert not marker.exists()
    _unpickle_chunk(written.path / name)  # the trap works: decoding it would have run code
    assert marker.exists()


def test_pickled_extension_array_is_refused(tmp_path):
    written = write_analyzer_store(tmp_path / "a.zarr")
    marker = tmp_path / "unpickled"
    shutil.rmtree(written.path / "extensions" / "noise_levels" / "noise_levels")
    write_object_array(
        written.path / "extensions" / "noise_levels", "noise_levels", _Trap(marker), "pickle"
    )
    with pytest.raises(
        ValueError, match=r"noise_levels/noise_levels: noise levels .*never decoded"
    ):
        read_sorting_analyzer(written.path)
    assert not marker.exists()


def _drop_spikeinterface_info(path: Path) -> None:
    _edit_attrs(path, spikeinterface_info=None)


def _settings_not_an_object(path: Path) -> None:
    _edit_attrs(path, settings="uV")


def _corrupt_root_attrs(path: Path) -> None:
    (path / ".zattrs").write_text('{"spikeinterface_info": {"object": "SortingAn')


def _drop_recording_attributes(path: Path) -> None:
    _edit_attrs(path / "recording_info", recording_attributes=None)


def _drop_waveforms_params(path: Path) -> None:
    _edit_attrs(path / "extensions" / "waveforms", params=None)


def _bad_probegroup(path: Path) -> None:
    _edit_attrs(path / "recording_info", probegroup={"probes": [{"ndim": 2}]})


def _drop_sorting_group(path: Path) -> None:
    shutil.rmtree(path / "sorting")


def _drop_sorting_rate(path: Path) -> None:
    _edit_attrs(path / "sorting", sampling_frequency=None)


def _wrong_mask_shape(path: Path) -> None:
    shutil.rmtree(path / "sparsity_mask")
    zarr.create_array(
        str(path / "sparsity_mask"),
        data=np.ones((UNIT_IDS.size, NUM_CHANNELS - 1), dtype=bool),
        zarr_format=2,
    )


def _truncated_waveforms_chunk(path: Path) -> None:
    chunk = path / "extensions" / "waveforms" / "waveforms" / "0.0.0"
    chunk.write_bytes(chunk.read_bytes()[:20])


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (_drop_spikeinterface_info, r"\.zattrs: not a SortingAnalyzer store .*spikeinterface_info"),
        (_corrupt_root_attrs, r"\.zattrs: not valid JSON"),
        (_settings_not_an_object, r"\.zattrs \(attribute 'settings'\): settings are not a JSON"),
        (_drop_recording_attributes, r"recording_info/\.zattrs: missing recording attributes"),
        (_drop_waveforms_params, r"extensions/waveforms/\.zattrs \(attribute 'params'\): missing"),
        (_bad_probegroup, r"recording_info/\.zattrs: attribute 'probegroup' is not a ProbeGroup"),
        (_drop_sorting_group, r"/sorting: missing sorting group"),
        (_drop_sorting_rate, r"/sorting: not a zarr sorting \(no 'sampling_frequency'"),
        (_wrong_mask_shape, r"/sparsity_mask: mask of shape \(3, 5\), expected \(3, 6\)"),
        (_truncated_waveforms_chunk, r"extensions/waveforms/waveforms: cannot read waveforms"),
    ],
)
def test_damaged_store_errors_name_the_path_and_problem(tmp_path, damage, named):
    written = write_analyzer_store(tmp_path / "a.zarr", consolidated=False)
    damage(written.path)
    with pytest.raises(ValueError, match=named) as error:
        read_sorting_analyzer(written.path)
    assert str(written.path) in str(error.value)


def test_zarr_format_3_store_is_refused_by_name(tmp_path):
    path = tmp_path / "a.zarr"
    path.mkdir()
    (path / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    with pytest.raises(ValueError, match="zarr format 3"):
        read_sorting_analyzer(path)


def test_core_read_keeps_other_zarr_stores_apart(tmp_path):
    recording = si.NumpyRecording(np.zeros((100, 2), dtype="float32"), 1000.0)
    store = tmp_path / "rec.zarr"
    recording.save(folder=store, format="zarr")
    assert isinstance(si.read(store), si.BaseRecording)
