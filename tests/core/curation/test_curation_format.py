"""The curation format (version 2, version 1 read): every rule, reading and writing files."""

import copy
import json

import numpy as np
import pytest

from core.curation import (
    Curation,
    CurationFormatError,
    load_curation,
    save_curation,
    validate_curation_dict,
)

from .helpers import small_sorting

VALID = {
    "format_version": "2",
    "unit_ids": [0, 1, 2, 3],
    "label_definitions": {
        "quality": {"label_options": ["good", "mua", "noise"], "exclusive": True},
        "putative_type": {"label_options": ["excitatory", "inhibitory"], "exclusive": False},
    },
    "manual_labels": [
        {"unit_id": 0, "labels": {"quality": ["good"]}},
        {"unit_id": 3, "labels": {"putative_type": ["excitatory", "inhibitory"]}},
    ],
    "removed": [1],
    "merges": [{"unit_ids": [0, 2], "new_unit_id": 10}],
    "splits": [{"unit_id": 3, "mode": "indices", "indices": [[0, 1, 2]], "new_unit_ids": [20, 21]}],
}


def with_changes(**changes) -> dict:
    curation = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            curation.pop(key)
        else:
            curation[key] = value
    return curation


def test_valid_curation_reads_into_values():
    curation = Curation.from_dict(VALID)
    assert curation.unit_ids == (0, 1, 2, 3)
    assert curation.label_definitions["quality"].label_options == ("good", "mua", "noise")
    assert curation.merges[0].unit_ids == (0, 2) and curation.merges[0].new_unit_id == 10
    assert curation.splits[0].indices[0].tolist() == [0, 1, 2]
    assert curation.removed == (1,)


def test_to_dict_round_trips_through_json():
    curation = Curation.from_dict(VALID)
    again = Curation.from_dict(json.loads(json.dumps(curation.to_dict())))
    assert again == curation
    assert again.to_dict()["label_definitions"]["quality"]["name"] == "quality"


def test_optional_sections_may_be_missing():
    curation = Curation.from_dict({"format_version": "2", "unit_ids": ["a", "b"]})
    assert curation.merges == () and curation.splits == () and curation.manual_labels == ()


def test_version_1_is_converted():
    version_1 = {
        "format_version": "1",
        "unit_ids": [1, 2, 3, 4],
        "label_definitions": {"quality": {"label_options": ["good", "noise"], "exclusive": True}},
        "manual_labels": [{"unit_id": 1, "quality": ["good"]}],
        "merge_unit_groups": [[2, 3]],
        "removed_units": [4],
    }
    curation = Curation.from_dict(version_1)
    assert curation.merges[0].unit_ids == (2, 3) and curation.merges[0].new_unit_id is None
    assert curation.removed == (4,)
    assert curation.manual_labels[0].labels == {"quality": ("good",)}
    assert curation.to_dict()["format_version"] == "2"


def test_merges_and_splits_as_dictionaries_are_read():
    curation = Curation.from_dict(
        with_changes(merges={"10": [0, 2]}, splits={"3": [[0, 1], [2]]}, removed=[])
    )
    assert curation.merges[0].new_unit_id == 10  # JSON keys are strings: read as the ids' type
    assert curation.splits[0].unit_id == 3 and curation.splits[0].mode == "indices"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"format_version": "3"}, "format_version: '3' is not supported"),
        ({"format_version": None}, "format_version: missing"),
        ({"unit_ids": None}, "unit_ids: missing"),
        ({"unit_ids": [0, "1", 2, 3]}, "unit_ids: mixes integers and strings"),
        ({"unit_ids": [0, 1, 1, 2, 3]}, "unit_ids: unit 1 is listed twice"),
        ({"unit_ids": [0, 1.0, 2, 3]}, "unit_ids[1]: 1.0 (float) is not a unit id"),
        ({"removed": [7]}, "removed[0]: unit 7 is not in unit_ids"),
        ({"removed": ["1"]}, "removed[0]: unit '1' is a string but unit_ids are integers"),
        ({"removed": [2]}, "merges[0]: unit 2 is both merged and removed"),
        ({"removed": [3]}, "splits[0]: unit 3 is both split and removed"),
        ({"removed": [1, 1]}, "removed: unit 1 is listed twice"),
        ({"merges": [[0]]}, "merges[0]: a merge needs at least two units"),
        ({"merges": [[0, 2], [2, 1]], "removed": []}, "merges[1]: unit 2 is also in merges[0]"),
        ({"merges": [[0, 0, 2]]}, "merges[0].unit_ids: unit 0 is listed twice"),
        ({"merges": [[0, 3]]}, "merges[0]: unit 3 is both merged and split"),
        ({"merges": [{"unit_ids": [0, 2], "new_unit_id": 3}]}, "new_unit_id 3 is already the id"),
        (
            {"merges": [{"unit_ids": [0, 2], "new_unit_id": "x"}]},
            "merges[0].new_unit_id: new unit id 'x' is a string but unit_ids are integers",
        ),
        (
            {
                "merges": [{"unit_ids": [0, 2], "new_unit_id": 10}, {"unit_ids": [1, 3]}],
                "removed": [],
                "splits": [],
            },
            "merges[1]: new_unit_id is missing while other merges give one",
        ),
        ({"splits": [{"unit_id": 9, "indices": [[0]]}]}, "splits[0].unit_id: unit 9 is not in"),
        ({"splits": [{"unit_id": 3, "mode": "halves"}]}, "splits[0].mode: expected 'indices'"),
        ({"splits": [{"unit_id": 3, "mode": "indices"}]}, "the split of unit 3 has no indices"),
        ({"splits": [{"unit_id": 3, "indices": []}]}, "the split of unit 3 has empty indices"),
        ({"splits": [{"unit_id": 3, "indices": [[0, -1]]}]}, "spike index -1 is negative"),
        (
            {"splits": [{"unit_id": 3, "indices": [[0, 1], [1, 2]]}]},
            "spike 1 of unit 3 is in indices [0, 1]",
        ),
        ({"splits": [{"unit_id": 3, "indices": [[0, 1, 1]]}]}, "spike 1 of unit 3 is listed twice"),
        ({"splits": [{"unit_id": 3, "indices": [[0.5]]}]}, "expected a list of integers"),
        ({"splits": [{"unit_id": 3, "mode": "labels"}]}, "the split of unit 3 has no labels"),
        ({"splits": [{"unit_id": 3, "mode": "labels", "labels": []}]}, "has empty labels"),
        (
            {"splits": [{"unit_id": 3, "indices": [[0], [1]], "new_unit_ids": [20]}]},
            "1 new_unit_ids for the 2 index lists",
        ),
        (
            {
                "splits": [
                    {"unit_id": 3, "mode": "labels", "labels": [0, 1, 1], "new_unit_ids": [7, 8, 9]}
                ]
            },
            "3 new_unit_ids for the 2 distinct labels",
        ),
        (
            {"splits": [{"unit_id": 3, "indices": [[0]], "new_unit_ids": [1, 20]}]},
            "new unit id 1 is already the id of a unit",
        ),
        (
            {"splits": [{"unit_id": 3, "indices": [[0]], "new_unit_ids": [10, 20]}]},
            "new unit id 10 is also the new id of merges[0]",
        ),
        (
            {"splits": [{"unit_id": 3, "indices": [[0]]}, {"unit_id": 3, "indices": [[1]]}]},
            "splits[1]: unit 3 is already split by splits[0]",
        ),
        (
            {
                "label_definitions": {"quality": {"label_options": ["good"], "exclusive": True}},
                "manual_labels": [],
            },
            "at least two options are needed",
        ),
        (
            {
                "label_definitions": {"quality": {"label_options": ["a", "b"], "exclusive": "yes"}},
                "manual_labels": [],
            },
            "label_definitions['quality'].exclusive: expected true or false",
        ),
        (
            {
                "label_definitions": {
                    "quality": {"label_options": ["a", "b"], "exclusive": True},
                    "other": {"label_options": ["quality", "c"], "exclusive": False},
                },
                "manual_labels": [],
            },
            "property 'quality' would also come from label_definitions['quality']",
        ),
        (
            {"manual_labels": [{"unit_id": 0, "labels": {"colour": ["red"]}}]},
            "unit 0 has label category 'colour', which label_definitions does not define",
        ),
        (
            {"manual_labels": [{"unit_id": 0, "labels": {"quality": ["good", "mua"]}}]},
            "unit 0 has 2 labels ['good', 'mua'] but 'quality' is exclusive",
        ),
        (
            {"manual_labels": [{"unit_id": 0, "labels": {"quality": ["great"]}}]},
            "unit 0 has label 'great', which is not an option of 'quality'",
        ),
        (
            {"manual_labels": [{"unit_id": 0, "labels": {"quality": "good"}}]},
            "the labels of unit 0 must be a list",
        ),
        (
            {
                "manual_labels": [
                    {"unit_id": 0, "labels": {"quality": ["good"]}},
                    {"unit_id": 0, "labels": {"quality": ["mua"]}},
                ]
            },
            "unit 0 is already labelled in manual_labels[0]",
        ),
        ({"manual_labels": [{"unit_id": 8, "labels": {}}]}, "unit 8 is not in unit_ids"),
    ],
)
def test_each_rule_is_checked_with_a_message_naming_it(changes, message):
    with pytest.raises(CurationFormatError, match=None) as error:
        validate_curation_dict(with_changes(**changes))
    assert message in str(error.value)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        validate_curation_dict(with_changes(removed=[7]))


def test_a_curation_must_be_a_dictionary():
    with pytest.raises(TypeError, match="must be a dictionary"):
        validate_curation_dict([VALID])


# ---------------------------------------------------------------------- against a sorting
def test_validation_with_the_sorting_checks_ids_and_splits():
    sorting = small_sorting(unit_ids=(0, 1, 2, 3))
    validate_curation_dict(VALID, sorting)  # fits
    counts = sorting.count_num_spikes_per_unit()
    too_far = with_changes(splits=[{"unit_id": 3, "indices": [[0, counts[3]]]}])
    with pytest.raises(CurationFormatError, match=rf"spike index {counts[3]} is out of range"):
        validate_curation_dict(too_far, sorting)


def test_validation_names_a_unit_missing_from_the_curation():
    sorting = small_sorting(unit_ids=(0, 1, 2, 3, 4))
    with pytest.raises(CurationFormatError, match="unit 4 of the sorting is not in the curation"):
        validate_curation_dict(VALID, sorting)


def test_validation_names_id_types_that_differ_from_the_sortings():
    sorting = small_sorting(unit_ids=("0", "1", "2", "3"))
    with pytest.raises(CurationFormatError, match="are integers .* but the sorting's are strings"):
        validate_curation_dict(VALID, sorting)


def test_a_split_that_keeps_all_spikes_together_is_refused():
    sorting = small_sorting(unit_ids=(0, 1, 2, 3))
    everything = list(range(sorting.count_num_spikes_per_unit()[3]))
    curation = with_changes(splits=[{"unit_id": 3, "indices": [everything]}])
    with pytest.raises(CurationFormatError, match="gives a single unit"):
        validate_curation_dict(curation, sorting)


def test_new_ids_must_count_the_unlisted_spikes_part():
    sorting = small_sorting(unit_ids=(0, 1, 2, 3))
    curation = with_changes(
        splits=[{"unit_id": 3, "indices": [[0], [1]], "new_unit_ids": [20, 21]}]
    )
    with pytest.raises(CurationFormatError, match="unlisted|no index list names"):
        validate_curation_dict(curation, sorting)


def test_labels_mode_needs_one_label_per_spike():
    sorting = small_sorting(unit_ids=(0, 1, 2, 3))
    curation = with_changes(splits=[{"unit_id": 3, "mode": "labels", "labels": [0, 1]}])
    with pytest.raises(CurationFormatError, match="2 labels for the .* spikes of the unit"):
        validate_curation_dict(curation, sorting)


# ---------------------------------------------------------------------- files
def test_save_and_load_a_curation_file(tmp_path):
    path = tmp_path / "curation.json"
    assert save_curation(VALID, path) is None
    assert load_curation(path) == Curation.from_dict(VALID)
    assert json.loads(path.read_text())["format_version"] == "2"


def test_saving_over_a_file_needs_overwrite_and_keeps_a_backup(tmp_path):
    path = tmp_path / "curation.json"
    path.write_text("my old curation")
    with pytest.raises(FileExistsError):
        save_curation(VALID, path)
    backup = save_curation(VALID, path, overwrite=True)
    assert backup.read_text() == "my old curation"
    assert backup.name.startswith("curation.json.bak-")
    assert load_curation(path).unit_ids == (0, 1, 2, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["curation.json", backup.name])


def test_load_curation_names_the_file_of_a_bad_curation(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(with_changes(removed=[7])))
    with pytest.raises(CurationFormatError, match=r"bad\.json: removed\[0\]: unit 7"):
        load_curation(path)
    path.write_text("{not json")
    with pytest.raises(CurationFormatError, match="not a JSON file"):
        load_curation(path)
    with pytest.raises(FileNotFoundError):
        load_curation(tmp_path / "missing.json")


def test_a_file_with_a_list_loads_as_sequential_curations(tmp_path):
    path = tmp_path / "steps.json"
    path.write_text(json.dumps([VALID, {"format_version": "2", "unit_ids": [0, 10, 20, 21]}]))
    steps = load_curation(path)
    assert [s.unit_ids for s in steps] == [(0, 1, 2, 3), (0, 10, 20, 21)]


def test_split_parts_follow_the_modes():
    curation = Curation.from_dict(
        with_changes(splits=[{"unit_id": 3, "mode": "labels", "labels": [2, 0, 2, 1]}])
    )
    assert [p.tolist() for p in curation.splits[0].parts(4)] == [[1], [3], [0, 2]]
    by_indices = Curation.from_dict(VALID).splits[0]
    assert [p.tolist() for p in by_indices.parts(5)] == [[0, 1, 2], [3, 4]]
    assert [p.tolist() for p in by_indices.parts(3)] == [[0, 1, 2]]


def test_label_vectors_follow_the_categories():
    vectors = Curation.from_dict(VALID).label_vectors()
    assert vectors["quality"].tolist() == ["good", "", "", ""]
    assert vectors["excitatory"].tolist() == [False, False, False, True]
    assert vectors["inhibitory"].dtype == np.bool_
