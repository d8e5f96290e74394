"""ProbeEditor (no Qt): every edit, undo/redo, apply, and probe files written in tmp_path."""

import numpy as np
import pytest
from probeinterface import ProbeGroup, generate_multi_shank

import core as si
from app.model.probe_editor import ProbeEditor
from app.model.probe_layouts import available_layouts, build_layout, validate_wiring
from tests.core.formats.test_probe_files import TWO_GROUPS_PRB, spikeglx_meta
from tests.test_headless import run_with_qt_blocked

CHANNEL_IDS = [f"ch{i}" for i in range(8)]


def make_recording() -> si.NumpyRecording:
    traces = np.zeros((100, 8), dtype="float32")
    return si.NumpyRecording(traces, sampling_frequency=30_000.0, channel_ids=CHANNEL_IDS)


@pytest.fixture
def recording():
    """Eight channels, no probe."""
    return make_recording()


@pytest.fixture
def probed():
    """Eight channels on a two-shank probe (four contacts each), grouped by shank."""
    probe = generate_multi_shank(num_shank=2, num_columns=2, num_contact_per_column=2)
    probe.set_device_channel_indices(np.arange(8))
    return make_recording().set_probe(probe, group_mode="by_shank")


@pytest.fixture
def editor(probed):
    return ProbeEditor(probed)


# --------------------------------------------------------------------------- starting state
def test_starts_from_the_recordings_probe_and_groups(editor):
    assert editor.has_probe and editor.probegroup.get_contact_count() == 8
    assert editor.device_channel_indices.tolist() == list(range(8))
    assert editor.groups.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert editor.bad_channel_ids == set() and not editor.can_undo and editor.history == []


def test_starts_without_a_probe(recording):
    editor = ProbeEditor(recording)
    assert editor.probegroup is None and editor.device_channel_indices is None
    assert editor.groups.tolist() == [0] * 8
    with pytest.raises(ValueError, match="there is no probe"):
        editor.groups_by_shank()


def test_without_a_recording_edits_are_refused():
    editor = ProbeEditor()
    with pytest.raises(ValueError, match="no recording"):
        editor.generate_layout("linear")


def test_the_probegroup_is_a_copy(editor):
    editor.probegroup.probes[0].move([1000, 0])
    assert editor.probegroup.probes[0].contact_positions[:, 0].max() < 1000


# --------------------------------------------------------------------------- layouts
@pytest.mark.parametrize(
    ("kind", "params", "groups"),
    [
        ("tetrodes", {"num_tetrodes": 2}, [0, 0, 0, 0, 1, 1, 1, 1]),
        ("linear", {"num_contacts": 8}, [0] * 8),
        ("multi_column", {"num_columns": 2, "contacts_per_column": 4}, [0] * 8),
        ("multi_shank", {"num_shanks": 4, "contacts_per_column": 1}, [0, 0, 1, 1, 2, 2, 3, 3]),
    ],
)
def test_generate_layout_wires_in_order_and_groups_by_shank(recording, kind, params, groups):
    editor = ProbeEditor(recording)
    editor.generate_layout(kind, **params)
    assert editor.device_channel_indices.tolist() == list(range(8))
    assert editor.groups.tolist() == groups
    assert editor.history == [f"Generate {kind} layout"]


def test_generate_layout_defaults_fit_the_channel_count(recording):
    editor = ProbeEditor(recording)
    editor.generate_layout("multi_shank")
    assert editor.probegroup.get_contact_count() == 8


def test_generate_layout_with_too_many_contacts(recording):
    editor = ProbeEditor(recording)
    with pytest.raises(ValueError, match="has 16 contacts but the recording has only 8 channels"):
        editor.generate_layout("linear", num_contacts=16)
    assert not editor.can_undo


@pytest.mark.parametrize(
    ("kind", "params", "match"),
    [
        ("hexagonal", {}, "kind must be one of"),
        ("linear", {"num_contacts": 0}, "num_contacts must be positive"),
        ("linear", {"radius": 3}, r"unknown parameter\(s\) \['radius'\]"),
    ],
)
def test_generate_layout_rejects_bad_input(recording, kind, params, match):
    with pytest.raises(ValueError, match=match):
        ProbeEditor(recording).generate_layout(kind, **params)


@pytest.mark.skipif("neuropixels" not in available_layouts(), reason="no local NP catalogue")
def test_neuropixels_from_the_local_catalogue(recording):
    editor = ProbeEditor(recording)
    editor.generate_layout("neuropixels", part_number="NP1000", num_contacts=8)
    probe = editor.probegroup.probes[0]
    assert probe.model_name == "NP1000" and probe.get_contact_count() == 8
    assert set(probe.contact_shapes) == {"square"}


def test_unknown_neuropixels_part_number():
    with pytest.raises(ValueError, match="NP9999"):
        build_layout("neuropixels", part_number="NP9999")


# --------------------------------------------------------------------------- wiring
def test_set_wiring_moves_groups_with_their_contacts(editor):
    editor.set_wiring([4, 5, 6, 7, 0, 1, 2, 3])
    assert editor.device_channel_indices.tolist() == [4, 5, 6, 7, 0, 1, 2, 3]
    assert editor.groups.tolist() == [1, 1, 1, 1, 0, 0, 0, 0]


def test_set_wiring_accepts_unwired_contacts(editor):
    editor.set_wiring([0, 1, 2, 3, -1, -1, -1, -1])
    assert editor.device_channel_indices.tolist() == [0, 1, 2, 3, -1, -1, -1, -1]


@pytest.mark.parametrize(
    ("wiring", "match"),
    [
        ([0, 0, 2, 3, 4, 5, 6, 7], "device channel 0 is wired to contacts 0 and 1"),
        ([0, 1, 2, 3, 4, 5, 6, 8], r"contact 7: device channel 8 is outside 0\.\.7"),
        ([0, 1, 2, 3, 4, 5, 6, -2], "contact 7: device channel -2 is outside"),
        ([0, 1, 2], "has 3 entries but the probe has 8 contacts"),
        ([0.0, 1, 2, 3, 4, 5, 6, 7], "must be integers"),
    ],
)
def test_invalid_wiring_is_named_and_not_recorded(editor, wiring, match):
    with pytest.raises(ValueError, match=match):
        editor.set_wiring(wiring)
    assert not editor.can_undo


def test_validate_wiring_returns_int64():
    assert validate_wiring([1, 0, -1], 3, 2).dtype == np.int64


# ------------------------------------------------------------------------ groups and bad channels
def test_assign_group_then_undo_and_redo(editor):
    editor.assign_group(["ch0", "ch5"], 7)
    assert editor.groups.tolist() == [7, 0, 0, 0, 1, 7, 1, 1]
    assert editor.history == ["Assign 2 channel(s) to group 7"]
    editor.undo()
    assert editor.groups.tolist() == [0, 0, 0, 0, 1, 1, 1, 1] and editor.can_redo
    editor.redo()
    assert editor.groups.tolist() == [7, 0, 0, 0, 1, 7, 1, 1] and not editor.can_redo


@pytest.mark.parametrize(
    ("ids", "group", "error", "match"),
    [
        (["ch0"], -1, ValueError, "non-negative integer"),
        (["ch0"], 1.5, ValueError, "non-negative integer"),
        ([], 1, ValueError, "channel_ids is empty"),
        (["nope"], 1, ValueError, "nope"),
    ],
)
def test_assign_group_rejects_bad_input(editor, ids, group, error, match):
    with pytest.raises(error, match=match):
        editor.assign_group(ids, group)


def test_groups_by_shank_restores_shank_groups(editor):
    editor.assign_group(CHANNEL_IDS, 3)
    editor.groups_by_shank()
    assert editor.groups.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_mark_bad_and_good(editor):
    editor.mark_bad(["ch1", "ch2"])
    editor.mark_bad(["ch2"], bad=False)
    assert editor.bad_channel_ids == {"ch1"}
    assert editor.history == ["Mark 2 channel(s) bad", "Mark 1 channel(s) good"]
    editor.undo()
    assert editor.bad_channel_ids == {"ch1", "ch2"}


def test_a_new_edit_clears_redo(editor):
    editor.mark_bad(["ch1"])
    editor.undo()
    editor.assign_group(["ch1"], 2)
    assert not editor.can_redo and editor.history == ["Assign 1 channel(s) to group 2"]


def test_changed_is_emitted_after_edits_undo_and_redo(editor):
    calls = []
    editor.changed.connect(lambda: calls.append(1))
    editor.mark_bad(["ch1"])
    editor.undo()
    editor.redo()
    editor.undo()
    editor.undo()  # nothing left: no signal
    assert len(calls) == 4


def test_undo_restores_a_replaced_probe(editor):
    before = editor.probegroup.probes[0].contact_positions.copy()
    editor.generate_layout("linear", num_contacts=8)
    editor.undo()
    np.testing.assert_array_equal(editor.probegroup.probes[0].contact_positions, before)


# --------------------------------------------------------------------------- apply
def test_apply_returns_a_new_recording(editor, probed):
    editor.assign_group(["ch0"], 5)
    editor.mark_bad(["ch3"])
    result = editor.apply()
    assert result is not probed
    assert result.get_channel_groups().tolist() == [5, 0, 0, 0, 1, 1, 1, 1]
    assert result.get_property("bad_channel").tolist() == [0, 0, 0, 1, 0, 0, 0, 0]
    assert probed.get_property("bad_channel") is None
    assert probed.get_channel_groups().tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_apply_in_place(recording):
    editor = ProbeEditor(recording)
    editor.generate_layout("tetrodes", num_tetrodes=2)
    editor.mark_bad(["ch7"])
    assert editor.apply(in_place=True) is recording
    assert recording.has_probe() and len(recording.get_probegroup().probes) == 2
    assert recording.get_channel_groups().tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert recording.get_property("bad_channel").tolist()[-1]


def test_apply_removing_bad_channels(editor):
    editor.mark_bad(["ch0", "ch4"])
    result = editor.apply(remove_bad=True)
    assert result.channel_ids.tolist() == ["ch1", "ch2", "ch3", "ch5", "ch6", "ch7"]
    assert not result.get_property("bad_channel").any()


def test_apply_drops_unwired_channels_but_in_place_refuses(recording):
    editor = ProbeEditor(recording)
    editor.generate_layout("linear", num_contacts=6)
    assert editor.apply().channel_ids.tolist() == CHANNEL_IDS[:6]
    with pytest.raises(ValueError, match="every channel wired"):
        editor.apply(in_place=True)


def test_apply_without_a_probe_sets_properties_only(recording):
    editor = ProbeEditor(recording)
    editor.assign_group(["ch1"], 2)
    result = editor.apply()
    assert not result.has_probe() and result.get_channel_groups()[1] == 2


def test_reset_from_the_applied_recording_keeps_the_edits(editor):
    editor.mark_bad(["ch2"])
    editor.assign_group(["ch0"], 4)
    editor.reset(editor.apply())
    assert editor.bad_channel_ids == {"ch2"} and editor.groups[0] == 4
    assert not editor.can_undo


# --------------------------------------------------------------------------- probe files
def test_save_and_load_json_round_trip(editor, tmp_path, recording):
    editor.set_wiring([7, 6, 5, 4, 3, 2, 1, 0])
    editor.save_probe(tmp_path / "probe.json")
    other = ProbeEditor(recording)
    other.load_probe_file(tmp_path / "probe.json")
    np.testing.assert_array_equal(other.device_channel_indices, [7, 6, 5, 4, 3, 2, 1, 0])
    saved, loaded = editor.probegroup.probes[0], other.probegroup.probes[0]
    np.testing.assert_array_equal(loaded.contact_positions, saved.contact_positions)
    assert other.history == ["Load probe.json"]


def test_save_without_a_probe(recording, tmp_path):
    with pytest.raises(ValueError, match="there is no probe"):
        ProbeEditor(recording).save_probe(tmp_path / "probe.json")


def test_load_prb_groups_by_channel_group(tmp_path):
    path = tmp_path / "two.prb"
    path.write_text(TWO_GROUPS_PRB)
    recording = si.NumpyRecording(np.zeros((10, 6), "float32"), sampling_frequency=1000.0)
    editor = ProbeEditor(recording)
    editor.load_probe_file(path)
    assert isinstance(editor.probegroup, ProbeGroup) and len(editor.probegroup.probes) == 2
    assert editor.groups.tolist() == [0, 0, 0, 1, 1, 1]


def test_load_spikeglx_meta(recording, tmp_path):
    path = tmp_path / "rec_g0_t0.imec0.ap.meta"
    path.write_text(spikeglx_meta(8))
    editor = ProbeEditor(recording)
    editor.load_probe_file(path)
    assert editor.probegroup.probes[0].model_name == "NP1000"
    assert editor.device_channel_indices.tolist() == list(range(8))


def test_load_a_probe_wired_beyond_the_recording(tmp_path):
    path = tmp_path / "two.prb"
    path.write_text(TWO_GROUPS_PRB)
    editor = ProbeEditor(make_recording().channel_slice(CHANNEL_IDS[:4]))
    with pytest.raises(ValueError, match=r"two\.prb: contact 4: device channel 4 is outside"):
        editor.load_probe_file(path)
    assert not editor.can_undo


def test_load_a_damaged_file_names_it(recording, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"probes": [')
    with pytest.raises(ValueError, match=r"broken\.json"):
        ProbeEditor(recording).load_probe_file(path)


# --------------------------------------------------------------------------- boundary
def test_probe_editor_imports_without_qt():
    result = run_with_qt_blocked("""
        import app.model.probe_editor
        print("ok")
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# --------------------------------------------------------------------------- edited, not applied
def test_an_edit_is_modified_until_undone(editor):
    assert not editor.is_modified
    editor.mark_bad(["ch1"])
    assert editor.is_modified
    editor.undo()
    assert not editor.is_modified


def test_an_edit_and_its_reverse_are_not_modified(editor):
    editor.mark_bad(["ch1"])
    editor.mark_bad(["ch1"], bad=False)
    assert not editor.is_modified and editor.can_undo


def test_loading_the_recordings_own_probe_is_not_a_modification(editor, tmp_path):
    editor.save_probe(tmp_path / "same.json")
    editor.load_probe_file(tmp_path / "same.json")
    assert editor.can_undo and not editor.is_modified
    editor.generate_layout("linear")
    assert editor.is_modified


def test_applying_in_place_makes_the_edit_what_the_recording_has(editor, probed):
    editor.assign_group(["ch0"], 5)
    editor.apply(in_place=True)
    assert not editor.is_modified and probed.get_channel_groups()[0] == 5
    editor.undo()  # the recording keeps group 5: the working copy differs from it again
    assert editor.is_modified and probed.get_channel_groups()[0] == 5


def test_discard_goes_back_to_the_recording_and_can_be_undone(editor):
    editor.assign_group(["ch2"], 7)
    editor.discard()
    assert not editor.is_modified and editor.groups[2] == 0
    assert editor.undo_description == "Discard edits"
    editor.undo()
    assert editor.groups[2] == 7 and editor.is_modified
