"""CurationSession: actions, labels through merges and splits, undo/redo, export to the format."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.curation import (
    CurationSession,
    LabelAction,
    MergeAction,
    apply_curation,
    load_curation,
    validate_curation_dict,
)
from core.loading import load_extractor

from .helpers import concatenated_train, fixture_sorting, small_sorting, trains, trains_from_pairs

TAGS = {
    "quality": {"label_options": ["good", "mua", "noise"], "exclusive": True},
    "tags": {"label_options": ["burst", "drift"], "exclusive": False},
}


@pytest.fixture(params=["si_0.100.8", "si_0.105.3"])
def sorting(request, si_fixtures):
    return fixture_sorting(si_fixtures, request.param)


def ids_of(sorting):
    return sorting.unit_ids.tolist()


def label_properties(sorting) -> dict:
    """``{unit_id: (quality, burst, drift)}`` from the label properties."""
    columns = [sorting.get_property(k) for k in ("quality", "burst", "drift")]
    return {
        u: tuple(None if c is None else c[i].item() for c in columns)
        for i, u in enumerate(ids_of(sorting))
    }


# ---------------------------------------------------------------------- actions
def test_label_sets_a_property_and_records_an_action(sorting):
    session = CurationSession(sorting)
    first = ids_of(sorting)[0]
    action = session.label(first, "good")
    assert action == LabelAction((first,), "quality", ("good",))
    assert session.get_labels(first) == {"quality": ("good",)}
    assert session.sorting.get_property("quality")[0] == "good"
    assert session.label(first, "good") is None  # no change: nothing recorded
    assert len(session.actions) == 1
    session.label(first, None)
    assert session.get_labels(first) == {}
    assert session.sorting.get_property("quality")[0] == ""


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": "great"}, "the category of \\['great'\\] is unknown"),
        ({"values": ["good", "mua"]}, "'quality' is exclusive"),
        ({"values": "good", "key": "colour"}, "unknown category 'colour'"),
        ({"values": "burst", "key": "quality"}, "'burst' is not an option of 'quality'"),
        ({"values": None}, "give key="),
    ],
)
def test_bad_labels_are_refused(kwargs, message):
    session = CurationSession(small_sorting(), label_definitions=TAGS)
    with pytest.raises(ValueError, match=message):
        session.label(0, **kwargs)
    assert session.actions == []


def test_non_exclusive_labels_are_sets_of_options():
    session = CurationSession(small_sorting(), label_definitions=TAGS)
    session.label([0, 1], ["drift", "burst"])
    assert session.get_labels(1) == {"tags": ("burst", "drift")}
    assert label_properties(session.sorting)[1] == ("", True, True)


def test_merge_gives_the_merged_unit_its_units_labels():
    session = CurationSession(small_sorting(), label_definitions=TAGS)
    session.label([0, 1], "good")
    session.label(0, "burst")
    session.label(1, "drift")
    new_id = session.merge([0, 1])
    # exclusive: kept when shared; non-exclusive: every option any unit had
    assert session.get_labels(new_id) == {"quality": ("good",), "tags": ("burst", "drift")}
    assert label_properties(session.sorting)[new_id] == ("good", True, True)
    session.label(2, "mua")
    other = session.merge([2, 3])
    assert session.get_labels(other) == {}


def test_merge_ids_append_above_every_id_used(sorting):
    session = CurationSession(sorting)
    ids = ids_of(sorting)
    first = session.merge(ids[:2])
    second = session.merge([first, ids[2]])
    top = max(int(u) for u in ids)
    assert [str(first), str(second)] == [str(top + 1), str(top + 2)]
    assert type(first) is type(ids[0])
    before = trains(sorting)
    assert trains(session.sorting)[second] == [
        sorted(before[ids[0]][s] + before[ids[1]][s] + before[ids[2]][s]) for s in range(2)
    ]


def test_merge_strategies():
    strings = small_sorting(unit_ids=("a", "b", "c", "d"))
    assert CurationSession(strings, new_id_strategy="join").merge(["a", "c"]) == "a-c"
    assert CurationSession(strings, new_id_strategy="take_first").merge(["c", "a"]) == "c"
    assert CurationSession(strings).merge(["a", "b"]) == "merge0"
    with pytest.raises(ValueError, match="new_id_strategy must be one of"):
        CurationSession(strings, new_id_strategy="random")


def test_merge_with_an_explicit_id(sorting):
    ids = ids_of(sorting)
    session = CurationSession(sorting)
    assert session.merge(ids[:2], new_unit_id=ids[1]) == ids[1]
    with pytest.raises(ValueError, match="already the id of a unit"):
        session.merge(ids[2:4], new_unit_id=ids[4])
    with pytest.raises(TypeError, match="integer or a string"):
        session.merge(ids[2:4], new_unit_id=3.5)
    other_kind = "x" if isinstance(ids[0], int) else 7
    with pytest.raises(TypeError, match="sorting's unit ids are"):
        session.merge(ids[2:4], new_unit_id=other_kind)


def test_split_by_indices_keeps_unlisted_spikes_together(sorting):
    unit = ids_of(sorting)[0]
    session = CurationSession(sorting)
    pairs = concatenated_train(sorting, unit)
    chosen = [1, len(pairs) - 2]
    new_ids = session.split(unit, indices=[chosen])
    assert len(new_ids) == 2 and unit not in ids_of(session.sorting)
    assert trains(session.sorting)[new_ids[0]] == trains_from_pairs([pairs[i] for i in chosen], 2)
    rest = [p for i, p in enumerate(pairs) if i not in chosen]
    assert trains(session.sorting)[new_ids[1]] == trains_from_pairs(rest, 2)


def test_split_by_labels_and_split_labels_are_inherited():
    session = CurationSession(small_sorting(), label_definitions=TAGS)
    session.label(2, "noise")
    count = session.sorting.count_num_spikes_per_unit()[2]
    new_ids = session.split(2, labels=np.arange(count) % 3, new_unit_ids=[20, 21, 22])
    assert new_ids == [20, 21, 22]
    assert [session.get_labels(u) for u in new_ids] == [{"quality": ("noise",)}] * 3
    assert session.sorting.get_property("is_split").tolist()[-3:] == [True] * 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give indices or labels"),
        ({"indices": [[0, 0]]}, "in two parts"),
        ({"indices": [[10_000]]}, "out of range"),
        ({"labels": [0, 1]}, "one label per spike"),
        ({"indices": [[0], [1]], "new_unit_ids": [20, 21]}, "3 distinct new_unit_ids are needed"),
    ],
)
def test_bad_splits_are_refused(kwargs, message):
    session = CurationSession(small_sorting())
    with pytest.raises(ValueError, match=message):
        session.split(1, **kwargs)
    assert session.actions == []


def test_remove_and_unknown_units():
    session = CurationSession(small_sorting())
    session.remove([1, 3])
    assert ids_of(session.sorting) == [0, 2]
    with pytest.raises(ValueError, match="unit 1 is not a unit of the curated sorting"):
        session.merge([0, 1])


def test_starting_labels_come_from_the_sortings_properties():
    base = small_sorting()
    base.set_property("quality", np.array(["good", "unsorted", "noise", ""]))
    session = CurationSession(base)
    assert session.unit_labels == {0: {"quality": ("good",)}, 2: {"quality": ("noise",)}}
    # phy's "unsorted" is not an option: no label, as SpikeInterface's apply_curation gives
    assert session.sorting.get_property("quality").tolist() == ["good", "", "noise", ""]


# ---------------------------------------------------------------------- undo / redo
def test_undo_and_redo_walk_the_history(sorting):
    ids = ids_of(sorting)
    session = CurationSession(sorting)
    session.label(ids[0], "good")
    merged = session.merge(ids[:2])
    session.remove([ids[3]])
    assert session.undo() == session.undone_actions[0]
    assert ids[3] in ids_of(session.sorting)
    assert session.undo() == MergeAction(tuple(ids[:2]), merged)
    assert ids_of(session.sorting) == ids
    assert session.get_labels(ids[0]) == {"quality": ("good",)}
    session.redo()
    assert merged in ids_of(session.sorting) and session.can_redo
    session.split(ids[2], indices=[[0]])  # a new action drops what could be redone
    assert not session.can_redo and len(session.actions) == 3
    for _ in range(3):
        session.undo()
    assert not session.can_undo and trains(session.sorting) == trains(sorting)
    with pytest.raises(ValueError, match="nothing to undo"):
        session.undo()


# ---------------------------------------------------------------------- export
def test_curation_dict_is_one_curation_for_the_usual_history(sorting):
    ids = ids_of(sorting)
    session = CurationSession(sorting)
    session.label(ids[:2], "good")
    merged = session.merge(ids[:2])
    again = session.merge([merged, ids[2]])  # grows the first merge
    session.label(again, "mua")  # labels the merge: its units get the label
    parts = session.split(ids[3], indices=[[0, 1]])
    session.split(parts[1], indices=[[0]])  # refines the first split
    session.remove([ids[4]])
    curation = session.curation_dict()
    assert isinstance(curation, dict)
    validate_curation_dict(curation, sorting)
    assert curation["merges"] == [{"unit_ids": ids[:3], "new_unit_id": again}]
    assert len(curation["splits"][0]["indices"]) == 3
    assert_same_result(session, apply_curation(sorting, curation))


def test_curation_dict_is_a_sequence_when_one_curation_cannot_say_it(sorting):
    ids = ids_of(sorting)
    session = CurationSession(sorting)
    parts = session.split(ids[0], indices=[[0, 1, 2]])
    session.label(parts[0], "noise")  # a part of a split cannot be labelled in the same curation
    session.merge([parts[1], ids[1]])
    steps = session.curation_dict()
    assert isinstance(steps, list) and len(steps) == 2
    assert steps[1]["unit_ids"] == ids_of(apply_curation(sorting, steps[0]))
    assert_same_result(session, apply_curation(sorting, steps))


def test_save_curation_writes_what_load_curation_reads(sorting, tmp_path):
    session = CurationSession(sorting)
    session.merge(ids_of(sorting)[:2])
    path = tmp_path / "curation.json"
    session.save_curation(path)
    assert load_curation(path).to_dict() == session.curation_dict()
    assert json.loads(path.read_text())["format_version"] == "2"


def test_the_curated_sorting_saves_and_reloads(sorting, tmp_path):
    session = CurationSession(sorting)
    session.label(ids_of(sorting)[2], "good")
    session.merge(ids_of(sorting)[:2])
    saved = session.sorting.save(folder=tmp_path / "curated", verbose=False)
    assert trains(saved) == trains(session.sorting)
    assert (
        saved.get_property("quality").tolist() == session.sorting.get_property("quality").tolist()
    )
    described = load_extractor(json.loads(json.dumps(session.sorting.to_dict(recursive=True))))
    assert trains(described) == trains(session.sorting)
    assert (
        described.get_property("quality").tolist()
        == session.sorting.get_property("quality").tolist()
    )


def assert_same_result(session, applied):
    """Same units, spike trains and labels (the unit order may differ)."""
    assert sorted(map(str, ids_of(applied))) == sorted(map(str, ids_of(session.sorting)))
    assert trains(applied) == trains(session.sorting)
    ours = {u: session.get_labels(u).get("quality", ("",))[0] for u in ids_of(session.sorting)}
    theirs = dict(zip(ids_of(applied), applied.get_property("quality").tolist()))
    assert theirs == ours


# ---------------------------------------------------------------------- any history
@st.composite
def histories(draw):
    return draw(
        st.lists(
            st.tuples(
                st.sampled_from(["label", "merge", "split", "remove", "undo", "redo"]),
                st.integers(0, 2**31 - 1),
            ),
            min_size=1,
            max_size=12,
        )
    )


def play(session: CurationSession, history) -> None:
    """Apply random but valid actions (each drawn from its seed and the units present)."""
    for kind, seed in history:
        rng = np.random.default_rng(seed)
        ids = ids_of(session.sorting)
        if kind == "undo":
            if session.can_undo:
                session.undo()
        elif kind == "redo":
            if session.can_redo:
                session.redo()
        elif kind == "label" and ids:
            chosen = rng.choice(len(ids), size=min(len(ids), 2), replace=False)
            options = ["good", "mua", "noise", None, ["burst"], ["burst", "drift"]]
            value = options[int(rng.integers(len(options)))]
            key = "tags" if isinstance(value, list) else "quality"
            session.label([ids[i] for i in chosen], value, key=key)
        elif kind == "merge" and len(ids) >= 2:
            chosen = rng.choice(len(ids), size=2, replace=False)
            session.merge([ids[i] for i in chosen])
        elif kind == "split" and ids:
            unit = ids[int(rng.integers(len(ids)))]
            count = session.sorting.count_num_spikes_per_unit()[unit]
            session.split(unit, labels=rng.integers(0, 2, count) if count else [])
        elif kind == "remove" and len(ids) > 1:
            session.remove([ids[int(rng.integers(len(ids)))]])


HYPOTHESIS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


@HYPOTHESIS
@given(histories())
def test_undoing_everything_gives_back_the_base(history):
    base = small_sorting(unit_ids=(0, 1, 2, 3, 4), seed=1)
    session = CurationSession(base, label_definitions=TAGS)
    start = (trains(session.sorting), label_properties(session.sorting))
    try:
        play(session, history)
    except ValueError as error:  # a split of a unit whose spikes all drew one label
        assert "a split needs at least two parts" in str(error)
    while session.can_undo:
        session.undo()
    assert (trains(session.sorting), label_properties(session.sorting)) == start


@HYPOTHESIS
@given(histories())
def test_exported_curation_gives_the_sessions_result(history):
    base = small_sorting(unit_ids=(0, 1, 2, 3, 4), seed=2)
    session = CurationSession(base, label_definitions=TAGS)
    try:
        play(session, history)
    except ValueError as error:
        assert "a split needs at least two parts" in str(error)
    applied = apply_curation(base, session.curation_dict())
    assert trains(applied) == trains(session.sorting)
    assert label_properties(applied) == label_properties(session.sorting)
